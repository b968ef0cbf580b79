/*
 * dn.c: the names and subject DNs of UPKI applications: the hash of a name set
 * (orders and certificates compared by their names), the subject DN built from
 * the configured institution, the canonical form of a DN for comparisons, and
 * the badCSR advice that tells a client how to make a CSR UPKI accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/records.h"
#include "upki/job.h"
#include "upki/tsv_write.h"
#include "upki/upki_profile.h"
#include "util/config.h"
#include "util/err.h"
#include "util/str.h"
#include "x509/digest.h"
#include "x509/x509.h"

#define NAMES_MAX (X509_SAN_MAX + 1)

/* ---- names and DNs ---- */

struct nm {
	const char *p;
	size_t len;
};

static int
nm_cmp(const void *a, const void *b)
{
	const struct nm *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;

	for (size_t i = 0; i < n; i++) {
		unsigned char cx = (unsigned char)x->p[i], cy = (unsigned char)y->p[i];

		if (cx >= 'A' && cx <= 'Z')
			cx = (unsigned char)(cx - 'A' + 'a');
		if (cy >= 'A' && cy <= 'Z')
			cy = (unsigned char)(cy - 'A' + 'a');
		if (cx != cy)
			return cx < cy ? -1 : 1;
	}
	return x->len < y->len ? -1 : x->len > y->len;
}

static void
nm_hash(struct nm *v, size_t n, uint8_t out[REC_SHA256_LEN])
{
	struct x509_sha256 h;

	qsort(v, n, sizeof(v[0]), nm_cmp);
	x509_sha256_init(&h);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && nm_cmp(&v[i - 1], &v[i]) == 0)
			continue;
		for (size_t k = 0; k < v[i].len; k++) {
			unsigned char ch = (unsigned char)v[i].p[k];

			if (ch >= 'A' && ch <= 'Z')
				ch = (unsigned char)(ch - 'A' + 'a');
			x509_sha256_update(&h, &ch, 1);
		}
		x509_sha256_update(&h, STR_LIT("\n"));
	}
	x509_sha256_out(&h, out);
}

int
upki_names_hash(const char *const *names, size_t n, uint8_t out[REC_SHA256_LEN])
{
	struct nm v[NAMES_MAX];

	if (n == 0 || n > NAMES_MAX)
		return ERR_RANGE;
	for (size_t i = 0; i < n; i++) {
		v[i].p = names[i];
		v[i].len = strlen(names[i]);
	}
	nm_hash(v, n, out);
	return 0;
}

int
upki_cert_names_hash(const struct x509_cert *c, uint8_t out[REC_SHA256_LEN])
{
	struct nm v[NAMES_MAX];
	size_t n = 0;
	const struct x509_str *cn = &c->subject.attr[X509_NAME_CN];

	if (cn->p != NULL && cn->len > 0) {
		v[n].p = cn->p;
		v[n++].len = cn->len;
	}
	for (unsigned i = 0; i < c->ext.san.n_dns && n < NAMES_MAX; i++) {
		v[n].p = c->ext.san.dns[i].p;
		v[n++].len = c->ext.san.dns[i].len;
	}
	if (n == 0)
		return ERR_NOTFOUND;
	nm_hash(v, n, out);
	return 0;
}

int
upki_subject_dn(const struct config *cfg, const char *cn, char *out, size_t outsz, char *why,
    size_t whysz)
{
	struct upki_dn dn = {
		.cn = cn, .o = cfg->upki_org, .l = cfg->upki_locality, .st = cfg->upki_state,
		.c = UPKI_DN_COUNTRY,
	};
	struct upki_err e;
	int rc = upki_dn_format(out, outsz, &dn, &e);

	if (rc != 0 && why != NULL)
		snprintf(why, whysz, "%s", e.msg[0] ? e.msg : err_str(rc));
	return rc;
}

struct dn_part {
	char key[16];
	int rank;
	const char *v;
	size_t vlen;
};

static int
dn_rank(const char *k)
{
	static const char *const order[] = { "CN", "OU", "O", "L", "ST", "C", "EMAILADDRESS" };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(k, order[i]) == 0)
			return (int)i;
	return 100;
}

static int
dn_part_cmp(const void *a, const void *b)
{
	const struct dn_part *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->key, y->key);
}

int
upki_dn_canon(const char *dn, char *out, size_t outsz)
{
	struct dn_part parts[16];
	size_t np = 0, i = 0, n = strlen(dn), o = 0;

	while (i < n) {
		size_t start = i, end, ks, ke, vs, ve;
		const char *eq;
		struct dn_part *p;

		while (i < n && dn[i] != ',') {
			if (dn[i] == '\\' && i + 1 < n)
				i++;
			i++;
		}
		end = i;
		i++;                     /* past ',' */
		while (start < end && (dn[start] == ' ' || dn[start] == '\t'))
			start++;
		if (start == end)
			continue;
		eq = memchr(dn + start, '=', end - start);
		if (eq == NULL)
			return ERR_MALFORMED;
		if (np == sizeof(parts) / sizeof(parts[0]))
			return ERR_TOOBIG;
		ks = start;
		ke = (size_t)(eq - dn);
		while (ke > ks && (dn[ke - 1] == ' ' || dn[ke - 1] == '\t'))
			ke--;
		vs = (size_t)(eq - dn) + 1;
		while (vs < end && (dn[vs] == ' ' || dn[vs] == '\t'))
			vs++;
		ve = end;
		while (ve > vs && (dn[ve - 1] == ' ' || dn[ve - 1] == '\t') &&
		    !(ve >= 2 && dn[ve - 2] == '\\'))
			ve--;
		if (ke == ks || ke - ks >= sizeof(parts[0].key))
			return ERR_MALFORMED;
		p = &parts[np++];
		for (size_t k = 0; k < ke - ks; k++) {
			char ch = dn[ks + k];

			p->key[k] = (char)(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
		}
		p->key[ke - ks] = '\0';
		if (strcmp(p->key, "S") == 0)
			strcpy(p->key, "ST");
		else if (strcmp(p->key, "E") == 0 || strcmp(p->key, "EMAIL") == 0)
			strcpy(p->key, "EMAILADDRESS");
		p->rank = dn_rank(p->key);
		p->v = dn + vs;
		p->vlen = ve > vs ? ve - vs : 0;
	}
	qsort(parts, np, sizeof(parts[0]), dn_part_cmp);
	for (size_t k = 0; k < np; k++) {
		size_t kl = strlen(parts[k].key);

		if (o + kl + parts[k].vlen + 3 > outsz)
			return ERR_TOOBIG;
		if (k > 0)
			out[o++] = ',';
		memcpy(out + o, parts[k].key, kl);
		o += kl;
		out[o++] = '=';
		memcpy(out + o, parts[k].v, parts[k].vlen);
		o += parts[k].vlen;
	}
	if (o >= outsz)
		return ERR_TOOBIG;
	out[o] = '\0';
	return 0;
}

/* "/C=JP/ST=.../CN=..." for openssl -subj ('/' in a value escaped). */
static void
subj_arg(const struct config *cfg, const char *cn, char *out, size_t outsz)
{
	const char *keys[] = { "C", "ST", "L", "O", "CN" };
	const char *vals[] = { UPKI_DN_COUNTRY, cfg->upki_state, cfg->upki_locality, cfg->upki_org,
	    cn };
	size_t o = 0;

	for (size_t i = 0; i < 5 && o + 8 < outsz; i++) {
		o += (size_t)snprintf(out + o, outsz - o, "/%s=", keys[i]);
		for (const char *p = vals[i]; *p && o + 3 < outsz; p++) {
			if (*p == '/' || *p == '\\')
				out[o++] = '\\';
			out[o++] = *p;
		}
		out[o] = '\0';
	}
}

void
upki_csr_advice(const struct config *cfg, const char *cn, const char *what, char *out,
    size_t outsz)
{
	char subj[400];

	subj_arg(cfg, cn, subj, sizeof(subj));
	snprintf(out, outsz, "%s%sUPKI needs a new RSA 2048-bit key and a CSR with exactly this "
	    "subject%s. Make them with: openssl req -new -newkey rsa:2048 -nodes -keyout %s.key "
	    "-subj \"%s\" -out %s.csr and run certbot certonly --csr %s.csr ... (or lego --csr "
	    "%s.csr ... run)", what, what[0] ? " " : "",
	    cfg->upki_accept_san ? "" : " and no subjectAltName", cn, subj, cn, cn, cn);
}
