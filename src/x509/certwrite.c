/* certwrite.c: build and sign v3 certificates from a template (see x509.h). */
#include <string.h>

#include "util/err.h"
#include "x509/internal.h"

#define CERT_URI_MAX 1024

static int
cert_uri_ok(const char *s)
{
	size_t n = strnlen(s, CERT_URI_MAX + 1);

	if (n == 0 || n > CERT_URI_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static int
cert_name_empty(const struct x509_name *n)
{
	for (int i = 0; i < X509_NAME__MAX; i++)
		if (n->attr[i].p)
			return 0;
	return 1;
}

static int
cert_subject_empty(const struct x509_tbs *t)
{
	/* A raw Name is empty when it is just "30 00". */
	if (t->subject_der)
		return t->subject_der_len == 2;
	return cert_name_empty(&t->subject);
}

/* Checks that need no writing; the writer's own checks catch the rest. */
static int
cert_tbs_check(const struct x509_tbs *t, struct x509_pubkey *key)
{
	struct x509_name name;
	size_t sl = t->serial_len;
	const unsigned char *s = t->serial;
	int rc;

	if (!s)
		return ERR_RANGE;
	while (sl > 0 && s[0] == 0) {
		s++;
		sl--;
	}
	if (sl == 0 || sl > X509_SERIAL_MAX)
		return ERR_RANGE;
	if (t->not_after < t->not_before)
		return ERR_RANGE;
	if (!t->spki || (rc = x509_pubkey_parse(key, t->spki, t->spki_len)) != 0)
		return t->spki ? rc : ERR_RANGE;
	if (t->issuer_der && (rc = x509_name_parse(&name, t->issuer_der, t->issuer_der_len)) != 0)
		return rc;
	if (!t->issuer_der && cert_name_empty(&t->issuer))
		return ERR_RANGE; /* RFC 5280 §4.1.2.4: the issuer is never empty */
	if (t->subject_der && (rc = x509_name_parse(&name, t->subject_der, t->subject_der_len)) != 0)
		return rc;
	if (cert_subject_empty(t) && t->n_dns + t->n_ip == 0)
		return ERR_RANGE;
	if (t->path_len >= 0 && !(t->basic_constraints && t->ca))
		return ERR_RANGE;
	if (t->eku & ~(unsigned)(X509_EKU_SERVER_AUTH | X509_EKU_CLIENT_AUTH |
	    X509_EKU_EMAIL_PROTECTION))
		return ERR_RANGE;
	if (t->key_usage & ~0x1ffu)
		return ERR_RANGE;
	if (t->aki && (t->aki_len == 0 || t->aki_len > 64))
		return ERR_RANGE;
	if ((t->crl_uri && !cert_uri_ok(t->crl_uri)) || (t->ocsp_uri && !cert_uri_ok(t->ocsp_uri)))
		return ERR_RANGE;
	return 0;
}

static void
cert_exts_write(struct der_writer *w, const struct x509_tbs *t, const struct x509_pubkey *key)
{
	size_t em = der_writer_mark(w), m;

	/* Backwards: the last extension first. */
	if (t->acme_id) {
		m = der_writer_mark(w);
		der_write_octets(w, t->acme_id, X509_ACME_ID_LEN);
		x509_ext_close(w, m, X509_OID(OID_PE_ACME_ID), 1);
	}
	if (t->ocsp_uri) {
		m = der_writer_mark(w);
		der_write_string(w, GN_URI, t->ocsp_uri, strlen(t->ocsp_uri));
		der_write_oid(w, X509_OID(OID_AD_OCSP));
		der_write_wrap(w, DER_SEQUENCE, m); /* AccessDescription */
		der_write_wrap(w, DER_SEQUENCE, m);
		x509_ext_close(w, m, X509_OID(OID_PE_AIA), 0);
	}
	if (t->crl_uri) {
		m = der_writer_mark(w);
		der_write_string(w, GN_URI, t->crl_uri, strlen(t->crl_uri));
		der_write_wrap(w, DER_CTX_CONS(0), m); /* fullName */
		der_write_wrap(w, DER_CTX_CONS(0), m); /* distributionPoint */
		der_write_wrap(w, DER_SEQUENCE, m);    /* DistributionPoint */
		der_write_wrap(w, DER_SEQUENCE, m);
		x509_ext_close(w, m, X509_OID(OID_CE_CRLDP), 0);
	}
	if (t->n_dns + t->n_ip > 0) {
		m = der_writer_mark(w);
		x509_san_write(w, t->dns, t->n_dns, t->ip, t->n_ip);
		x509_ext_close(w, m, X509_OID(OID_CE_SAN), cert_subject_empty(t));
	}
	if (t->aki) {
		m = der_writer_mark(w);
		der_write_prim(w, DER_CTX(0), t->aki, t->aki_len);
		der_write_wrap(w, DER_SEQUENCE, m);
		x509_ext_close(w, m, X509_OID(OID_CE_AKI), 0);
	}
	if (t->ski) {
		unsigned char ski[X509_SKI_LEN];

		x509_pubkey_ski(key, ski);
		m = der_writer_mark(w);
		der_write_octets(w, ski, sizeof ski);
		x509_ext_close(w, m, X509_OID(OID_CE_SKI), 0);
	}
	if (t->eku) {
		m = der_writer_mark(w);
		if (t->eku & X509_EKU_EMAIL_PROTECTION)
			der_write_oid(w, X509_OID(OID_KP_EMAIL_PROTECTION));
		if (t->eku & X509_EKU_CLIENT_AUTH)
			der_write_oid(w, X509_OID(OID_KP_CLIENT_AUTH));
		if (t->eku & X509_EKU_SERVER_AUTH)
			der_write_oid(w, X509_OID(OID_KP_SERVER_AUTH));
		der_write_wrap(w, DER_SEQUENCE, m);
		x509_ext_close(w, m, X509_OID(OID_CE_EKU), 0);
	}
	if (t->key_usage) {
		m = der_writer_mark(w);
		der_write_named_bits(w, t->key_usage);
		x509_ext_close(w, m, X509_OID(OID_CE_KU), 1);
	}
	if (t->basic_constraints) {
		m = der_writer_mark(w);
		if (t->ca && t->path_len >= 0)
			der_write_small(w, (uint32_t)t->path_len);
		if (t->ca)
			der_write_bool(w, 1); /* cA FALSE is the DEFAULT: omitted in DER */
		der_write_wrap(w, DER_SEQUENCE, m);
		x509_ext_close(w, m, X509_OID(OID_CE_BC), 1);
	}
	if (der_writer_mark(w) != em) {
		der_write_wrap(w, DER_SEQUENCE, em);
		der_write_wrap(w, DER_CTX_CONS(3), em);
	}
}

int
x509_cert_write(unsigned char *out, size_t outsz, size_t *outlen, const struct x509_tbs *t,
    int sig_alg, x509_sign_fn sign, void *sign_ctx)
{
	struct x509_pubkey key;
	struct der_writer w;
	size_t m;
	int rc;

	if (x509_sig_hash_len(sig_alg) == 0)
		return ERR_UNSUPPORTED;
	if ((rc = cert_tbs_check(t, &key)) != 0)
		return rc;
	der_writer_init(&w, out, outsz);
	cert_exts_write(&w, t, &key);
	der_write_bytes(&w, t->spki, t->spki_len);
	if (t->subject_der)
		der_write_bytes(&w, t->subject_der, t->subject_der_len);
	else
		x509_name_write(&w, &t->subject);
	m = der_writer_mark(&w);
	der_write_time(&w, t->not_after);
	der_write_time(&w, t->not_before);
	der_write_wrap(&w, DER_SEQUENCE, m);
	if (t->issuer_der)
		der_write_bytes(&w, t->issuer_der, t->issuer_der_len);
	else
		x509_name_write(&w, &t->issuer);
	x509_sig_alg_write(&w, sig_alg);
	der_write_uint(&w, t->serial, t->serial_len);
	m = der_writer_mark(&w);
	der_write_small(&w, 2); /* v3 */
	der_write_wrap(&w, DER_CTX_CONS(0), m);
	der_write_wrap(&w, DER_SEQUENCE, 0);
	if ((rc = der_writer_error(&w)) != 0)
		return rc;
	return x509_sign_wrap(out, outsz, outlen, der_writer_mark(&w), sig_alg, sign, sign_ctx);
}
