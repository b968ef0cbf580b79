/* key.c: SubjectPublicKeyInfo parse and build, SPKI hash, key identifier. */
#include <string.h>

#include <bearssl.h>

#include "util/err.h"
#include "x509/internal.h"

static const struct {
	int curve;
	const char *oid;
	size_t oidlen;
	size_t coord; /* bytes per coordinate */
	unsigned bits;
} key_curves[] = {
	{ BR_EC_secp256r1, OID_P256, sizeof OID_P256 - 1, 32, 256 },
	{ BR_EC_secp384r1, OID_P384, sizeof OID_P384 - 1, 48, 384 },
	{ BR_EC_secp521r1, OID_P521, sizeof OID_P521 - 1, 66, 521 },
};
#define KEY_NCURVES (sizeof key_curves / sizeof key_curves[0])

static unsigned
key_bitlen(const unsigned char *p, size_t n)
{
	unsigned b = 0;

	if (n == 0)
		return 0;
	for (unsigned c = p[0]; c; c >>= 1)
		b++;
	return (unsigned)(n - 1) * 8 + b;
}

static int
key_rsa_read(struct x509_pubkey *k, struct der *alg, const unsigned char *bits, size_t nbits)
{
	struct der d, seq;
	int rc;

	/* Parameters must be NULL (RFC 3279); an absent one is tolerated. */
	if (alg->len > 0 && (rc = der_read_null(alg)) != 0)
		return rc;
	if ((rc = der_read_end(alg)) != 0)
		return rc;
	der_init(&d, bits, nbits);
	d.depth = alg->depth;
	if ((rc = der_read_enter(&d, DER_SEQUENCE, &seq)) != 0 ||
	    (rc = der_read_uint(&seq, &k->n, &k->nlen)) != 0 ||
	    (rc = der_read_uint(&seq, &k->e, &k->elen)) != 0 ||
	    (rc = der_read_end(&seq)) != 0 || (rc = der_read_end(&d)) != 0)
		return rc;
	if (k->nlen == 0 || k->elen == 0)
		return ERR_BADKEY;
	k->type = X509_KEY_RSA;
	k->bits = key_bitlen(k->n, k->nlen);
	return 0;
}

static int
key_ec_read(struct x509_pubkey *k, struct der *alg, const unsigned char *bits, size_t nbits)
{
	struct der oid;
	int rc;

	k->type = X509_KEY_EC;
	k->point = bits;
	k->pointlen = nbits;
	if (der_peek(alg) != DER_OID) {
		/* Explicit parameters or implicitCA: well-formed, not supported. */
		if ((rc = der_read_skip(alg)) != 0)
			return rc;
		return der_read_end(alg);
	}
	if ((rc = der_read_oid(alg, &oid)) != 0 || (rc = der_read_end(alg)) != 0)
		return rc;
	for (size_t i = 0; i < KEY_NCURVES; i++) {
		if (!der_oid_eq(&oid, (const unsigned char *)key_curves[i].oid, key_curves[i].oidlen))
			continue;
		if (nbits > 0 && (bits[0] == 2 || bits[0] == 3))
			return ERR_UNSUPPORTED; /* compressed point */
		if (nbits != 1 + 2 * key_curves[i].coord || bits[0] != 4)
			return ERR_BADKEY;
		k->curve = key_curves[i].curve;
		k->bits = key_curves[i].bits;
		break;
	}
	return 0;
}

int
x509_pubkey_read(struct der *d, struct x509_pubkey *k)
{
	struct der save = *d, probe = *d, spki, alg, oid;
	const unsigned char *raw, *bits;
	size_t rawlen, nbits;
	unsigned unused;
	int rc;

	memset(k, 0, sizeof *k);
	if ((rc = der_read_raw(&probe, &raw, &rawlen)) != 0 ||
	    (rc = der_read_enter(d, DER_SEQUENCE, &spki)) != 0 ||
	    (rc = der_read_enter(&spki, DER_SEQUENCE, &alg)) != 0 ||
	    (rc = der_read_oid(&alg, &oid)) != 0 ||
	    (rc = der_read_bitstring(&spki, &bits, &nbits, &unused)) != 0 ||
	    (rc = der_read_end(&spki)) != 0)
		goto out;
	k->spki.p = raw;
	k->spki.len = rawlen;
	k->bits_raw.p = bits;
	k->bits_raw.len = nbits;
	if (der_oid_eq(&oid, X509_OID(OID_RSA_ENCRYPTION))) {
		rc = unused ? ERR_MALFORMED : key_rsa_read(k, &alg, bits, nbits);
	} else if (der_oid_eq(&oid, X509_OID(OID_EC_PUBLIC_KEY))) {
		rc = unused ? ERR_MALFORMED : key_ec_read(k, &alg, bits, nbits);
	} else {
		k->type = X509_KEY_OTHER;
		rc = 0;
	}
out:
	if (rc)
		*d = save;
	return rc;
}

int
x509_pubkey_parse(struct x509_pubkey *k, const unsigned char *der, size_t len)
{
	struct der d;
	int rc;

	der_init(&d, der, len);
	if ((rc = x509_pubkey_read(&d, k)) != 0)
		return rc;
	return der_read_end(&d);
}

void
x509_spki_hash(const unsigned char *spki, size_t len, unsigned char out[X509_SPKI_HASH_LEN])
{
	br_sha256_context h;

	br_sha256_init(&h);
	br_sha256_update(&h, spki, len);
	br_sha256_out(&h, out);
}

void
x509_pubkey_ski(const struct x509_pubkey *k, unsigned char out[X509_SKI_LEN])
{
	br_sha1_context h;

	br_sha1_init(&h);
	br_sha1_update(&h, k->bits_raw.p, k->bits_raw.len);
	br_sha1_out(&h, out);
}

/* Move what w wrote to the start of its buffer. */
static int
key_finish(struct der_writer *w, unsigned char *out, size_t *outlen)
{
	int rc = der_writer_error(w);

	if (rc)
		return rc;
	memmove(out, der_writer_data(w), der_writer_mark(w));
	*outlen = der_writer_mark(w);
	return 0;
}

int
x509_spki_build_ec(unsigned char *out, size_t outsz, size_t *outlen, int curve,
    const unsigned char *point, size_t ptlen)
{
	struct der_writer w;
	size_t i, m;

	for (i = 0; i < KEY_NCURVES && key_curves[i].curve != curve; i++)
		;
	if (i == KEY_NCURVES || ptlen != 1 + 2 * key_curves[i].coord || point[0] != 4)
		return ERR_BADKEY;
	der_writer_init(&w, out, outsz);
	der_write_bitstring(&w, point, ptlen);
	m = der_writer_mark(&w);
	der_write_oid(&w, (const unsigned char *)key_curves[i].oid, key_curves[i].oidlen);
	der_write_oid(&w, X509_OID(OID_EC_PUBLIC_KEY));
	der_write_wrap(&w, DER_SEQUENCE, m);
	der_write_wrap(&w, DER_SEQUENCE, 0);
	return key_finish(&w, out, outlen);
}

int
x509_spki_build_rsa(unsigned char *out, size_t outsz, size_t *outlen, const unsigned char *n,
    size_t nlen, const unsigned char *e, size_t elen)
{
	struct der_writer w;
	size_t m;

	while (nlen > 0 && n[0] == 0) {
		n++;
		nlen--;
	}
	while (elen > 0 && e[0] == 0) {
		e++;
		elen--;
	}
	if (nlen == 0 || elen == 0)
		return ERR_BADKEY;
	der_writer_init(&w, out, outsz);
	der_write_uint(&w, e, elen);
	der_write_uint(&w, n, nlen);
	der_write_wrap(&w, DER_SEQUENCE, 0);
	der_write_bytes(&w, der_zero, 1); /* BIT STRING: no unused bits */
	der_write_wrap(&w, DER_BITSTRING, 0);
	m = der_writer_mark(&w);
	der_write_null(&w);
	der_write_oid(&w, X509_OID(OID_RSA_ENCRYPTION));
	der_write_wrap(&w, DER_SEQUENCE, m);
	der_write_wrap(&w, DER_SEQUENCE, 0);
	return key_finish(&w, out, outlen);
}

const char *
x509_rsa_exponent_problem(const struct x509_pubkey *k)
{
	const unsigned char *e = k->e;
	size_t len = k->elen;
	unsigned bits;
	uint32_t small = 0;

	while (len > 0 && e[0] == 0) {
		e++;
		len--;
	}
	if (len == 0)
		return "its RSA public exponent is 0";
	if ((e[len - 1] & 1) == 0)
		return "its RSA public exponent is even";
	bits = key_bitlen(e, len);
	if (bits > 256)
		return "its RSA public exponent is larger than 2^256-1";
	if (bits <= 17) {
		for (size_t i = 0; i < len; i++)
			small = small << 8 | e[i];
		if (small < 3)
			return "its RSA public exponent is below 3";
		if (small < 65537)
			return "its RSA public exponent is below 2^16+1 (65537)";
	}
	return NULL;
}
