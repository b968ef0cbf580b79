/* Loading certificates, trust anchors and keys from PEM files (BearSSL decoders). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autoconf.h"
#include "tls/pem_load.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/file.h"
#include "util/log.h"

struct pem_sink {
	struct buf *der;
	int err;
};

static void
pem_sink_cb(void *ctx, const void *data, size_t len)
{
	struct pem_sink *s = ctx;

	if (s->err == 0)
		s->err = buf_append(s->der, data, len);
}

/* Calls fn(arg, label, der, len) for each PEM object of text. */
static int
pem_each(const unsigned char *text, size_t len,
    int (*fn)(void *arg, const char *label, const unsigned char *der, size_t dlen), void *arg)
{
	br_pem_decoder_context pc;
	struct buf der;
	struct pem_sink sink;
	char label[128];
	int inobj = 0, rc = 0;

	buf_init(&der, CONFIG_TLS_MAX_CHAIN_BYTES);
	sink.der = &der;
	sink.err = 0;
	br_pem_decoder_init(&pc);
	while (len > 0) {
		size_t n = br_pem_decoder_push(&pc, text, len);

		text += n;
		len -= n;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			snprintf(label, sizeof(label), "%s", br_pem_decoder_name(&pc));
			buf_reset(&der);
			sink.err = 0;
			br_pem_decoder_setdest(&pc, pem_sink_cb, &sink);
			inobj = 1;
			break;
		case BR_PEM_END_OBJ:
			if (inobj) {
				if (sink.err != 0) {
					rc = sink.err;
					goto out;
				}
				if ((rc = fn(arg, label, der.p, der.len)) != 0)
					goto out;
			}
			inobj = 0;
			break;
		case BR_PEM_ERROR:
			rc = ERR_MALFORMED;
			goto out;
		default:
			break;
		}
	}
	if (inobj)
		rc = ERR_MALFORMED;
out:
	buf_free(&der);
	return rc;
}

static int
cert_add(void *arg, const char *label, const unsigned char *der, size_t len)
{
	struct tls_certs *c = arg;
	unsigned char *copy;

	if (strcmp(label, "CERTIFICATE") != 0)
		return 0;
	if (c->n == TLS_MAX_CHAIN)
		return ERR_TOOBIG;
	copy = malloc(len);
	if (copy == NULL)
		return ERR_NOMEM;
	memcpy(copy, der, len);
	c->cert[c->n].data = copy;
	c->cert[c->n].data_len = len;
	c->n++;
	return 0;
}

int
tls_certs_load(struct tls_certs *c, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = file_read_all(path, CONFIG_TLS_MAX_CHAIN_BYTES, &text, &len);
	if (rc == 0)
		rc = pem_each((const unsigned char *)text, len, cert_add, c);
	if (rc == 0 && c->n == 0)
		rc = ERR_NOTFOUND;
	if (rc != 0) {
		log_err("%s: cannot load certificates: %s", path, err_str(rc));
		tls_certs_free(c);
	}
	free(text);
	return rc;
}

void
tls_certs_free(struct tls_certs *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->cert[i].data);
	c->n = 0;
}

struct dn_acc {
	struct buf b;
};

static void
dn_append(void *ctx, const void *data, size_t len)
{
	struct dn_acc *d = ctx;

	(void)buf_append(&d->b, data, len);
}

static int
anchor_add(void *arg, const char *label, const unsigned char *der, size_t len)
{
	struct tls_anchors *a = arg;
	br_x509_decoder_context dc;
	struct dn_acc dn;
	br_x509_pkey *pk;
	br_x509_trust_anchor *ta;
	unsigned char *mem = NULL;
	size_t need;

	if (strcmp(label, "CERTIFICATE") != 0)
		return 0;
	if (a->n == TLS_MAX_ANCHORS)
		return ERR_TOOBIG;
	buf_init(&dn.b, 4096);
	br_x509_decoder_init(&dc, dn_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (pk == NULL || br_x509_decoder_last_error(&dc) != 0 || dn.b.p == NULL) {
		buf_free(&dn.b);
		return ERR_MALFORMED;
	}
	ta = &a->ta[a->n];
	memset(ta, 0, sizeof(*ta));
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	need = dn.b.len;
	if (pk->key_type == BR_KEYTYPE_RSA)
		need += pk->key.rsa.nlen + pk->key.rsa.elen;
	else
		need += pk->key.ec.qlen;
	mem = malloc(need);
	if (mem == NULL) {
		buf_free(&dn.b);
		return ERR_NOMEM;
	}
	memcpy(mem, dn.b.p, dn.b.len);
	ta->dn.data = mem;
	ta->dn.len = dn.b.len;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		unsigned char *n = mem + dn.b.len;
		memcpy(n, pk->key.rsa.n, pk->key.rsa.nlen);
		memcpy(n + pk->key.rsa.nlen, pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.n = n;
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = n + pk->key.rsa.nlen;
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
	} else {
		unsigned char *q = mem + dn.b.len;
		memcpy(q, pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = q;
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
	}
	buf_free(&dn.b);
	a->n++;
	return 0;
}

int
tls_anchors_load(struct tls_anchors *a, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(a, 0, sizeof(*a));
	rc = file_read_all(path, 1u << 20, &text, &len);
	if (rc == 0)
		rc = pem_each((const unsigned char *)text, len, anchor_add, a);
	if (rc == 0 && a->n == 0)
		rc = ERR_NOTFOUND;
	if (rc != 0) {
		log_err("%s: cannot load CA certificates: %s", path, err_str(rc));
		tls_anchors_free(a);
	}
	free(text);
	return rc;
}

void
tls_anchors_free(struct tls_anchors *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->ta[i].dn.data);   /* one block per anchor, DN first */
	a->n = 0;
}

struct key_acc {
	br_skey_decoder_context dc;
	int found;
	int err;
};

static int
key_take(void *arg, const char *label, const unsigned char *der, size_t len)
{
	struct key_acc *k = arg;

	if (strcmp(label, "EC PRIVATE KEY") != 0 && strcmp(label, "RSA PRIVATE KEY") != 0 &&
	    strcmp(label, "PRIVATE KEY") != 0)
		return 0;
	if (k->found)
		return ERR_EXISTS;   /* one key per file: which one was meant? */
	br_skey_decoder_init(&k->dc);
	br_skey_decoder_push(&k->dc, der, len);
	if (br_skey_decoder_last_error(&k->dc) != 0)
		return ERR_MALFORMED;
	k->found = 1;
	return 0;
}

static int
key_copy(struct tls_key *k, const br_skey_decoder_context *dc)
{
	if (br_skey_decoder_key_type(dc) == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *r = br_skey_decoder_get_rsa(dc);
		size_t n = r->plen + r->qlen + r->dplen + r->dqlen + r->iqlen;
		unsigned char *m = malloc(n);
		if (m == NULL)
			return ERR_NOMEM;
		k->type = BR_KEYTYPE_RSA;
		k->rsa = *r;
		k->mem = m;
		k->memlen = n;
		memcpy(m, r->p, r->plen); k->rsa.p = m; m += r->plen;
		memcpy(m, r->q, r->qlen); k->rsa.q = m; m += r->qlen;
		memcpy(m, r->dp, r->dplen); k->rsa.dp = m; m += r->dplen;
		memcpy(m, r->dq, r->dqlen); k->rsa.dq = m; m += r->dqlen;
		memcpy(m, r->iq, r->iqlen); k->rsa.iq = m;
		return 0;
	}
	if (br_skey_decoder_key_type(dc) == BR_KEYTYPE_EC) {
		const br_ec_private_key *e = br_skey_decoder_get_ec(dc);
		unsigned char *m = malloc(e->xlen);
		if (m == NULL)
			return ERR_NOMEM;
		k->type = BR_KEYTYPE_EC;
		k->ec = *e;
		memcpy(m, e->x, e->xlen);
		k->ec.x = m;
		k->mem = m;
		k->memlen = e->xlen;
		return 0;
	}
	return ERR_UNSUPPORTED;
}

int
tls_key_parse_pem(struct tls_key *k, const unsigned char *pem, size_t len)
{
	struct key_acc *acc;
	int rc;

	memset(k, 0, sizeof(*k));
	acc = calloc(1, sizeof(*acc));
	if (acc == NULL)
		return ERR_NOMEM;
	rc = pem_each(pem, len, key_take, acc);
	if (rc == 0 && !acc->found)
		rc = ERR_NOTFOUND;
	if (rc == 0)
		rc = key_copy(k, &acc->dc);
	explicit_bzero(acc, sizeof(*acc));
	free(acc);
	return rc;
}

int
tls_key_load(struct tls_key *k, const char *path, int private_only)
{
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int rc;

	memset(k, 0, sizeof(*k));
	if (stat(path, &st) != 0) {
		rc = -errno;
		log_err("%s: %s", path, strerror(errno));
		return rc;
	}
	if (private_only && (st.st_mode & 077) != 0) {
		log_err("%s: private key is readable by group or others (mode %03o): "
		    "run chmod 600 %s", path, (unsigned)(st.st_mode & 0777), path);
		return ERR_DENIED;
	}
	rc = file_read_all(path, 64 * 1024, &text, &len);
	if (rc == 0)
		rc = tls_key_parse_pem(k, (const unsigned char *)text, len);
	if (rc != 0)
		log_err("%s: cannot load private key: %s", path, err_str(rc));
	if (text != NULL) {
		explicit_bzero(text, len);
		free(text);
	}
	return rc;
}

void
tls_key_free(struct tls_key *k)
{
	if (k->mem != NULL) {
		explicit_bzero(k->mem, k->memlen);
		free(k->mem);
	}
	memset(k, 0, sizeof(*k));
}
