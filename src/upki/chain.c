/*
 * Intermediates to serve after a UPKI leaf. upki_chain may hold several sets
 * (G7 RSA, G7 ECC, G8 RSA + the cross-signed root, self-signed roots too): the
 * chain is picked per leaf by its issuer, not taken as one fixed file, so a
 * change of issuing CA (G7 -> G8 in 2025-12) needs no configuration change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "upki/chain.h"
#include "util/err.h"
#include "util/file.h"
#include "util/log.h"
#include "x509/pem.h"
#include "x509/x509.h"

#define CHAIN_FILE_MAX (1u << 20)
#define CHAIN_CERTS_MAX 32
#define CHAIN_DEPTH_MAX 8

struct chain_cert {
	unsigned char *der;
	size_t len;
	struct x509_cert c;          /* points into der */
	int self_signed;
	char *pem;                   /* the chain starting here, built on first use */
	size_t pem_len;
	int built;
};

struct upki_chains {
	size_t n;
	struct chain_cert certs[CHAIN_CERTS_MAX];
};

static int
chain_same_name(const struct x509_name *a, const struct x509_name *b)
{
	return a->der_len == b->der_len && a->der_len > 0 &&
	    memcmp(a->der, b->der, a->der_len) == 0;
}

int
upki_chains_load(struct upki_chains **out, const char *path)
{
	struct upki_chains *c = calloc(1, sizeof(*c));
	unsigned char *der = NULL;
	char *text = NULL, label[PEM_LABEL_MAX + 1];
	size_t len = 0, pos = 0, dlen;
	int rc = 0;

	*out = NULL;
	if (c == NULL)
		return ERR_NOMEM;
	if (path == NULL || path[0] == '\0')
		goto done;
	if ((rc = file_read_all(path, CHAIN_FILE_MAX, &text, &len)) != 0) {
		log_err("upki: upki_chain %s: %s", path, err_str(rc));
		goto out;
	}
	der = malloc(X509_DER_MAX);
	if (der == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (;;) {
		struct chain_cert *cc;

		rc = pem_decode(text, len, &pos, label, sizeof(label), der, X509_DER_MAX, &dlen);
		if (rc == ERR_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			log_err("upki: upki_chain %s: bad PEM: %s", path, err_str(rc));
			goto out;
		}
		if (strcmp(label, "CERTIFICATE") != 0)
			continue;
		if (c->n == CHAIN_CERTS_MAX) {
			log_err("upki: upki_chain %s: more than %d certificates", path, CHAIN_CERTS_MAX);
			rc = ERR_TOOBIG;
			goto out;
		}
		cc = &c->certs[c->n];
		cc->der = malloc(dlen);
		if (cc->der == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		memcpy(cc->der, der, dlen);
		cc->len = dlen;
		c->n++;
		if ((rc = x509_cert_parse(&cc->c, cc->der, cc->len)) != 0) {
			log_err("upki: upki_chain %s: certificate %zu does not parse: %s", path, c->n,
			    err_str(rc));
			goto out;
		}
		cc->self_signed = chain_same_name(&cc->c.subject, &cc->c.issuer) &&
		    x509_cert_verify_sig(&cc->c, &cc->c.key) == 0;
	}
	if (c->n == 0)
		log_warn("upki: upki_chain %s holds no certificate", path);
done:
	*out = c;
	c = NULL;
out:
	free(der);
	free(text);
	upki_chains_free(c);
	return rc;
}

void
upki_chains_free(struct upki_chains *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->certs[i].der);
		free(c->certs[i].pem);
	}
	free(c);
}

size_t
upki_chains_count(const struct upki_chains *c)
{
	return c ? c->n : 0;
}

/* The non-root certificate named by issuer that signed child (first match if none verifies). */
static int
chain_find_issuer(const struct upki_chains *c, const struct x509_cert *child, int skip)
{
	int first = -1;

	for (size_t i = 0; i < c->n; i++) {
		const struct chain_cert *cc = &c->certs[i];

		if ((int)i == skip || cc->self_signed ||
		    !chain_same_name(&cc->c.subject, &child->issuer))
			continue;
		if (x509_cert_verify_sig(child, &cc->c.key) == 0)
			return (int)i;
		if (first < 0)
			first = (int)i;
	}
	return first;
}

static int
chain_build(struct upki_chains *c, int start)
{
	int path[CHAIN_DEPTH_MAX], depth = 0, cur = start;
	size_t cap = 0, o = 0;
	char *pem;

	while (cur >= 0 && depth < CHAIN_DEPTH_MAX) {
		for (int k = 0; k < depth; k++)
			if (path[k] == cur)
				goto loop;
		path[depth++] = cur;
		cap += pem_enc_len("CERTIFICATE", c->certs[cur].len);
		cur = chain_find_issuer(c, &c->certs[cur].c, cur);
	}
loop:
	pem = malloc(cap + 1);
	if (pem == NULL)
		return ERR_NOMEM;
	for (int k = 0; k < depth; k++) {
		int n = pem_encode(pem + o, cap + 1 - o, "CERTIFICATE", c->certs[path[k]].der,
		    c->certs[path[k]].len);

		if (n < 0) {
			free(pem);
			return n;
		}
		o += (size_t)n;
	}
	c->certs[start].pem = pem;
	c->certs[start].pem_len = o;
	c->certs[start].built = 1;
	return 0;
}

int
upki_chains_find(struct upki_chains *c, const unsigned char *leaf, size_t leaf_len,
    const char **pem, size_t *len, char *name, size_t namesz)
{
	struct x509_cert lc;
	int start, rc;

	*pem = "";
	*len = 0;
	if (name != NULL && namesz > 0)
		name[0] = '\0';
	if ((rc = x509_cert_parse(&lc, leaf, leaf_len)) != 0)
		return ERR_MALFORMED;
	if (c == NULL || c->n == 0)
		return 0;
	start = chain_find_issuer(c, &lc, -1);
	if (start < 0)
		return 0;
	if (!c->certs[start].built && (rc = chain_build(c, start)) != 0)
		return rc;
	*pem = c->certs[start].pem;
	*len = c->certs[start].pem_len;
	if (name != NULL && namesz > 0) {
		const struct x509_str *cn = &c->certs[start].c.subject.attr[X509_NAME_CN];
		size_t n = cn->len < namesz - 1 ? cn->len : namesz - 1;

		if (cn->p != NULL)
			memcpy(name, cn->p, n);
		name[cn->p != NULL ? n : 0] = '\0';
	}
	return 0;
}
