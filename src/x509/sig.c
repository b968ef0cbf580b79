/* sig.c: signature AlgorithmIdentifiers, hashing, verification, the signed wrapper. */
#include <string.h>

#include <bearssl.h>

#include "util/err.h"
#include "x509/internal.h"

enum { SIG_PARAMS_NULL, SIG_PARAMS_NONE, SIG_PARAMS_ANY };

static const struct {
	int alg;
	const char *oid;
	size_t oidlen;
	int params;
	const char *name;
} sig_algs[] = {
	{ X509_SIG_RSA_SHA256, OID_SHA256_RSA, sizeof OID_SHA256_RSA - 1, SIG_PARAMS_NULL,
	    "sha256WithRSAEncryption" },
	{ X509_SIG_RSA_SHA384, OID_SHA384_RSA, sizeof OID_SHA384_RSA - 1, SIG_PARAMS_NULL,
	    "sha384WithRSAEncryption" },
	{ X509_SIG_RSA_SHA512, OID_SHA512_RSA, sizeof OID_SHA512_RSA - 1, SIG_PARAMS_NULL,
	    "sha512WithRSAEncryption" },
	{ X509_SIG_ECDSA_SHA256, OID_ECDSA_SHA256, sizeof OID_ECDSA_SHA256 - 1, SIG_PARAMS_NONE,
	    "ecdsa-with-SHA256" },
	{ X509_SIG_ECDSA_SHA384, OID_ECDSA_SHA384, sizeof OID_ECDSA_SHA384 - 1, SIG_PARAMS_NONE,
	    "ecdsa-with-SHA384" },
	{ X509_SIG_ECDSA_SHA512, OID_ECDSA_SHA512, sizeof OID_ECDSA_SHA512 - 1, SIG_PARAMS_NONE,
	    "ecdsa-with-SHA512" },
	{ X509_SIG_RSA_SHA1, OID_SHA1_RSA, sizeof OID_SHA1_RSA - 1, SIG_PARAMS_NULL,
	    "sha1WithRSAEncryption" },
	{ X509_SIG_RSA_MD5, OID_MD5_RSA, sizeof OID_MD5_RSA - 1, SIG_PARAMS_NULL,
	    "md5WithRSAEncryption" },
	{ X509_SIG_ECDSA_SHA1, OID_ECDSA_SHA1, sizeof OID_ECDSA_SHA1 - 1, SIG_PARAMS_NONE,
	    "ecdsa-with-SHA1" },
	{ X509_SIG_RSA_PSS, OID_RSA_PSS, sizeof OID_RSA_PSS - 1, SIG_PARAMS_ANY, "RSASSA-PSS" },
	{ X509_SIG_ED25519, OID_ED25519, sizeof OID_ED25519 - 1, SIG_PARAMS_NONE, "Ed25519" },
};
#define SIG_NALGS (sizeof sig_algs / sizeof sig_algs[0])

const char *
x509_sig_alg_name(int sig_alg)
{
	for (size_t i = 0; i < SIG_NALGS; i++)
		if (sig_algs[i].alg == sig_alg)
			return sig_algs[i].name;
	return sig_alg == X509_SIG_NONE ? "none" : "unknown";
}

int
x509_sig_alg_read(struct der *d, int *sig_alg)
{
	struct der save = *d, seq, oid;
	size_t i;
	int rc;

	if ((rc = der_read_enter(d, DER_SEQUENCE, &seq)) != 0 || (rc = der_read_oid(&seq, &oid)) != 0)
		goto out;
	for (i = 0; i < SIG_NALGS; i++)
		if (der_oid_eq(&oid, (const unsigned char *)sig_algs[i].oid, sig_algs[i].oidlen))
			break;
	*sig_alg = i < SIG_NALGS ? sig_algs[i].alg : X509_SIG_OTHER;
	/*
	 * RSA PKCS#1 parameters are NULL, ECDSA ones absent (RFC 4055, 5758); both
	 * absent and NULL are seen in the wild and accepted for either.
	 */
	if (i == SIG_NALGS || sig_algs[i].params == SIG_PARAMS_ANY) {
		if (seq.len > 0 && (rc = der_read_skip(&seq)) != 0)
			goto out;
	} else if (seq.len > 0 && (rc = der_read_null(&seq)) != 0) {
		goto out;
	}
	rc = der_read_end(&seq);
out:
	if (rc)
		*d = save;
	return rc;
}

void
x509_sig_alg_write(struct der_writer *w, int sig_alg)
{
	size_t m = der_writer_mark(w);

	for (size_t i = 0; i < SIG_NALGS; i++) {
		if (sig_algs[i].alg != sig_alg)
			continue;
		if (sig_algs[i].params == SIG_PARAMS_NULL)
			der_write_null(w);
		der_write_oid(w, (const unsigned char *)sig_algs[i].oid, sig_algs[i].oidlen);
		der_write_wrap(w, DER_SEQUENCE, m);
		return;
	}
	der_writer_fail(w, ERR_UNSUPPORTED);
}

size_t
x509_sig_hash_len(int sig_alg)
{
	switch (sig_alg) {
	case X509_SIG_RSA_SHA256:
	case X509_SIG_ECDSA_SHA256:
		return 32;
	case X509_SIG_RSA_SHA384:
	case X509_SIG_ECDSA_SHA384:
		return 48;
	case X509_SIG_RSA_SHA512:
	case X509_SIG_ECDSA_SHA512:
		return 64;
	default:
		return 0;
	}
}

size_t
x509_sig_hash(int sig_alg, const void *data, size_t len, unsigned char *out)
{
	const br_hash_class *hc;
	br_hash_compat_context h;

	switch (x509_sig_hash_len(sig_alg)) {
	case 32:
		hc = &br_sha256_vtable;
		break;
	case 48:
		hc = &br_sha384_vtable;
		break;
	case 64:
		hc = &br_sha512_vtable;
		break;
	default:
		return 0;
	}
	hc->init(&h.vtable);
	hc->update(&h.vtable, data, len);
	hc->out(&h.vtable, out);
	return x509_sig_hash_len(sig_alg);
}

static int
sig_is_rsa(int sig_alg)
{
	return sig_alg == X509_SIG_RSA_SHA256 || sig_alg == X509_SIG_RSA_SHA384 ||
	    sig_alg == X509_SIG_RSA_SHA512;
}

static int
sig_rsa_verify(int sig_alg, const struct x509_pubkey *key, const unsigned char *hash,
    size_t hlen, const unsigned char *sig, size_t siglen)
{
	const unsigned char *oid = sig_alg == X509_SIG_RSA_SHA256 ? BR_HASH_OID_SHA256 :
	    sig_alg == X509_SIG_RSA_SHA384 ? BR_HASH_OID_SHA384 : BR_HASH_OID_SHA512;
	br_rsa_public_key pk;
	unsigned char out[64];

	if (key->type != X509_KEY_RSA)
		return ERR_BADKEY;
	if (key->bits > 4096 || key->bits < 512)
		return ERR_UNSUPPORTED; /* outside what BearSSL's RSA code handles */
	if (siglen != (key->bits + 7) / 8)
		return ERR_BADSIG;
	/* BearSSL only reads the key; its struct lacks const. */
	pk.n = (unsigned char *)(uintptr_t)key->n;
	pk.nlen = key->nlen;
	pk.e = (unsigned char *)(uintptr_t)key->e;
	pk.elen = key->elen;
	if (!br_rsa_pkcs1_vrfy_get_default()(sig, siglen, oid, hlen, &pk, out))
		return ERR_BADSIG;
	return memcmp(out, hash, hlen) == 0 ? 0 : ERR_BADSIG;
}

static int
sig_ecdsa_verify(const struct x509_pubkey *key, const unsigned char *hash, size_t hlen,
    const unsigned char *sig, size_t siglen)
{
	br_ec_public_key pk;

	if (key->type != X509_KEY_EC)
		return ERR_BADKEY;
	if (key->curve == 0)
		return ERR_UNSUPPORTED;
	pk.curve = key->curve;
	pk.q = (unsigned char *)(uintptr_t)key->point;
	pk.qlen = key->pointlen;
	if (!br_ecdsa_vrfy_asn1_get_default()(br_ec_get_default(), hash, hlen, &pk, sig, siglen))
		return ERR_BADSIG;
	return 0;
}

int
x509_sig_verify(int sig_alg, const struct x509_pubkey *key, const unsigned char *data,
    size_t len, const unsigned char *sig, size_t siglen)
{
	unsigned char hash[64];
	size_t hlen = x509_sig_hash(sig_alg, data, len, hash);

	if (hlen == 0)
		return ERR_UNSUPPORTED;
	if (sig_is_rsa(sig_alg))
		return sig_rsa_verify(sig_alg, key, hash, hlen, sig, siglen);
	return sig_ecdsa_verify(key, hash, hlen, sig, siglen);
}

int
x509_sign_wrap(unsigned char *out, size_t outsz, size_t *outlen, size_t tbs_len, int sig_alg,
    x509_sign_fn sign, void *sign_ctx)
{
	unsigned char hash[64], sig[X509_SIG_MAX], tail[X509_SIG_MAX + 32], hdr[8];
	const unsigned char *tbs;
	struct der_writer tw, hw;
	size_t hlen, siglen = 0, tlen, h;
	int rc;

	if (tbs_len > outsz)
		return ERR_RANGE;
	tbs = out + (outsz - tbs_len);
	if ((hlen = x509_sig_hash(sig_alg, tbs, tbs_len, hash)) == 0)
		return ERR_UNSUPPORTED;
	if ((rc = sign(sign_ctx, sig_alg, hash, hlen, sig, sizeof sig, &siglen)) != 0)
		return rc;
	if (siglen == 0 || siglen > sizeof sig)
		return ERR_RANGE;
	der_writer_init(&tw, tail, sizeof tail);
	der_write_bitstring(&tw, sig, siglen);
	x509_sig_alg_write(&tw, sig_alg);
	if ((rc = der_writer_error(&tw)) != 0)
		return rc;
	tlen = der_writer_mark(&tw);
	der_writer_init(&hw, hdr, sizeof hdr);
	der_write_header(&hw, DER_SEQUENCE, tbs_len + tlen);
	if ((rc = der_writer_error(&hw)) != 0)
		return rc;
	h = der_writer_mark(&hw);
	if (h + tbs_len + tlen > outsz)
		return ERR_TOOBIG;
	memmove(out + h, tbs, tbs_len);
	memcpy(out, der_writer_data(&hw), h);
	memcpy(out + h + tbs_len, der_writer_data(&tw), tlen);
	*outlen = h + tbs_len + tlen;
	return 0;
}
