/* cert.c: X.509 certificate parsing (fields only; chains are BearSSL's job) and serials. */
#include <string.h>

#include "util/err.h"
#include "x509/internal.h"

static int
cert_tbs_read(struct der *tbs, struct x509_cert *c, const unsigned char **alg, size_t *alglen)
{
	struct der v, validity, exts, probe;
	uint32_t version = 0;
	int rc, inner;

	if (der_peek(tbs) == DER_CTX_CONS(0)) {
		if ((rc = der_read_enter(tbs, DER_CTX_CONS(0), &v)) != 0)
			return rc;
		if ((rc = der_read_small(&v, 2, &version)) != 0)
			return rc == ERR_RANGE ? ERR_MALFORMED : rc;
		if ((rc = der_read_end(&v)) != 0)
			return rc;
	}
	c->version = version;
	if ((rc = der_read_uint(tbs, &c->serial.p, &c->serial.len)) != 0)
		return rc;
	if (c->serial.len > X509_SERIAL_MAX)
		return ERR_TOOBIG;
	probe = *tbs;
	if ((rc = der_read_raw(&probe, alg, alglen)) != 0 ||
	    (rc = x509_sig_alg_read(tbs, &inner)) != 0 || (rc = x509_name_read(tbs, &c->issuer)) != 0 ||
	    (rc = der_read_enter(tbs, DER_SEQUENCE, &validity)) != 0 ||
	    (rc = der_read_time(&validity, &c->not_before)) != 0 ||
	    (rc = der_read_time(&validity, &c->not_after)) != 0 ||
	    (rc = der_read_end(&validity)) != 0 || (rc = x509_name_read(tbs, &c->subject)) != 0 ||
	    (rc = x509_pubkey_read(tbs, &c->key)) != 0)
		return rc;
	/* issuerUniqueID [1], subjectUniqueID [2]: v2 and up, ignored. */
	for (int id = 1; id <= 2; id++) {
		if (der_peek(tbs) != DER_CTX(id))
			continue;
		if (version < 1)
			return ERR_MALFORMED;
		if ((rc = der_read_skip(tbs)) != 0)
			return rc;
	}
	if (der_peek(tbs) == DER_CTX_CONS(3)) {
		if (version != 2)
			return ERR_MALFORMED;
		if ((rc = der_read_enter(tbs, DER_CTX_CONS(3), &v)) != 0 ||
		    (rc = der_read_enter(&v, DER_SEQUENCE, &exts)) != 0 || (rc = der_read_end(&v)) != 0)
			return rc;
		if (exts.len == 0)
			return ERR_MALFORMED; /* Extensions is SIZE (1..MAX) */
		if ((rc = x509_exts_read(&exts, &c->ext)) != 0)
			return rc;
	}
	return der_read_end(tbs);
}

int
x509_cert_parse(struct x509_cert *c, const unsigned char *der, size_t len)
{
	struct der d, cert, tbs, probe;
	const unsigned char *alg_in, *alg_out;
	size_t alg_in_len, alg_out_len;
	unsigned unused;
	int rc;

	memset(c, 0, sizeof *c);
	c->ext.path_len = -1;
	if (len > X509_DER_MAX)
		return ERR_TOOBIG;
	der_init(&d, der, len);
	if ((rc = der_read_enter(&d, DER_SEQUENCE, &cert)) != 0 || (rc = der_read_end(&d)) != 0)
		return rc;
	probe = cert;
	if ((rc = der_read_raw(&probe, &c->tbs.p, &c->tbs.len)) != 0 ||
	    (rc = der_read_enter(&cert, DER_SEQUENCE, &tbs)) != 0 ||
	    (rc = cert_tbs_read(&tbs, c, &alg_in, &alg_in_len)) != 0)
		return rc;
	probe = cert;
	if ((rc = der_read_raw(&probe, &alg_out, &alg_out_len)) != 0 ||
	    (rc = x509_sig_alg_read(&cert, &c->sig_alg)) != 0 ||
	    (rc = der_read_bitstring(&cert, &c->sig.p, &c->sig.len, &unused)) != 0 ||
	    (rc = der_read_end(&cert)) != 0)
		return rc;
	/* RFC 5280 §4.1.1.2: the two algorithm fields must be the same. */
	if (unused || alg_in_len != alg_out_len || memcmp(alg_in, alg_out, alg_in_len) != 0)
		return ERR_MALFORMED;
	c->der.p = der;
	c->der.len = len;
	return 0;
}

int
x509_cert_verify_sig(const struct x509_cert *c, const struct x509_pubkey *issuer_key)
{
	return x509_sig_verify(c->sig_alg, issuer_key, c->tbs.p, c->tbs.len, c->sig.p, c->sig.len);
}

#define SERIAL_FMT_MAX 64

int
x509_serial_dec(const unsigned char *s, size_t n, char *out, size_t outsz)
{
	unsigned char b[SERIAL_FMT_MAX];
	char dig[SERIAL_FMT_MAX * 3];
	size_t nd = 0, start = 0;

	while (n > 0 && s[0] == 0) {
		s++;
		n--;
	}
	if (n > SERIAL_FMT_MAX)
		return ERR_TOOBIG;
	if (n)
		memcpy(b, s, n);
	/* Long division by 10, most significant byte first; digits come out reversed. */
	do {
		unsigned rem = 0;

		for (size_t i = start; i < n; i++) {
			unsigned cur = rem * 256 + b[i];

			b[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
		}
		dig[nd++] = (char)('0' + rem);
		while (start < n && b[start] == 0)
			start++;
	} while (start < n);
	if (nd + 1 > outsz)
		return ERR_TOOBIG;
	for (size_t i = 0; i < nd; i++)
		out[i] = dig[nd - 1 - i];
	out[nd] = '\0';
	return (int)nd;
}

int
x509_serial_hex(const unsigned char *s, size_t n, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	while (n > 0 && s[0] == 0) {
		s++;
		n--;
	}
	if (n > SERIAL_FMT_MAX)
		return ERR_TOOBIG;
	if (n == 0) {
		s = (const unsigned char *)"";
		n = 1;
	}
	if (2 * n + 1 > outsz)
		return ERR_TOOBIG;
	for (size_t i = 0; i < n; i++) {
		out[o++] = hex[s[i] >> 4];
		out[o++] = hex[s[i] & 15];
	}
	out[o] = '\0';
	return (int)o;
}
