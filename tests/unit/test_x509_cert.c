/*
 * test_x509_cert.c: certificate parsing (openssl-made CA and leaf), the
 * certificate and CSR writers, and the self-signed bootstrap certificate.
 *
 * Written certificates are checked three ways: parsed back field by field,
 * validated by BearSSL's br_x509_minimal with the issuer as trust anchor (what
 * tls/ will do), and by `openssl x509 -text`
 * and `openssl verify -x509_strict` on files in a temporary directory (openssl
 * is a test dependency: without it these tests fail).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bearssl.h>

#include "util/err.h"
#include "x509/pem.h"
#include "x509/x509.h"

#define DATA "tests/unit/data/x509/"

static size_t
load_pem(const char *name, unsigned char *der, size_t dersz)
{
	char path[256], text[16384], label[PEM_LABEL_MAX + 1];
	size_t n, pos = 0, outlen = 0;
	FILE *f;

	snprintf(path, sizeof path, DATA "%s", name);
	if (!(f = fopen(path, "rb")))
		fail_msg("cannot open %s", path);
	n = fread(text, 1, sizeof text, f);
	fclose(f);
	assert_int_equal(pem_decode(text, n, &pos, label, sizeof label, der, dersz, &outlen), 0);
	return outlen;
}

static void
assert_str(const struct x509_str *s, const char *want)
{
	if (!want) {
		assert_null(s->p);
		return;
	}
	assert_non_null(s->p);
	assert_int_equal(s->len, strlen(want));
	assert_memory_equal(s->p, want, s->len);
}

static void
assert_format(const struct x509_name *n, const char *want)
{
	char buf[512];
	int rc = x509_name_format(n, buf, sizeof buf);

	assert_int_equal(rc, (int)strlen(want));
	assert_string_equal(buf, want);
}

static void
assert_same_bytes(const struct x509_bytes *b, const unsigned char *want, size_t n)
{
	assert_non_null(b->p);
	assert_int_equal(b->len, n);
	assert_memory_equal(b->p, want, n);
}

/* ---- parsing openssl's certificates ---- */

static void
test_cert_parse_openssl(void **state)
{
	static const unsigned char serial[15] = { 0xf1, 0xe2, 0xd3, 0xc4, 0xb5, 0xa6, 0x97, 0x88,
		0x79, 0x6a, 0x5b, 0x4c, 0x3d, 0x2e, 0x1f };
	static const unsigned char leaf_ski[20] = { 0xe4, 0xb9, 0xec, 0x4e, 0x5a, 0x38, 0x53, 0xbc,
		0xda, 0xfe, 0xf9, 0xdd, 0xd0, 0xbb, 0x6c, 0xe9, 0x99, 0xc5, 0xbf, 0x42 };
	static const unsigned char ca_ski[20] = { 0xda, 0x63, 0xa0, 0x61, 0x3f, 0x4b, 0x26, 0x6e,
		0x52, 0x46, 0xfb, 0x3d, 0x39, 0x48, 0xb9, 0x9c, 0xd1, 0xa5, 0xd5, 0x27 };
	unsigned char leafder[4096], cader[4096], ski[20];
	struct x509_cert leaf, ca;
	size_t ln, cn;
	char s[64];

	(void)state;
	ln = load_pem("cert_leaf_p256.pem", leafder, sizeof leafder);
	cn = load_pem("cert_ca_rsa.pem", cader, sizeof cader);
	assert_int_equal(x509_cert_parse(&leaf, leafder, ln), 0);
	assert_int_equal(x509_cert_parse(&ca, cader, cn), 0);

	assert_int_equal(leaf.version, 2);
	assert_same_bytes(&leaf.serial, serial, sizeof serial);
	assert_int_equal(x509_serial_hex(leaf.serial.p, leaf.serial.len, s, sizeof s), 30);
	assert_string_equal(s, "F1E2D3C4B5A69788796A5B4C3D2E1F");
	assert_int_equal(leaf.sig_alg, X509_SIG_RSA_SHA256);
	assert_format(&leaf.issuer, "CN=Example Test RSA CA,O=Example Test CA,C=JP");
	assert_format(&leaf.subject, "CN=www.example.ac.jp,O=Nagoya University,L=Nagoya,ST=Aichi,C=JP");
	assert_int_equal(leaf.issuer.der_len, ca.subject.der_len);
	assert_memory_equal(leaf.issuer.der, ca.subject.der, ca.subject.der_len);
	assert_int_equal(leaf.not_before, 1795459422);
	assert_int_equal(leaf.not_after, 1829760222);
	assert_int_equal(leaf.key.type, X509_KEY_EC);
	assert_int_equal(leaf.key.curve, BR_EC_secp256r1);
	assert_int_equal(leaf.ext.has_san, 1);
	assert_int_equal(leaf.ext.san.n_dns, 2);
	assert_str(&leaf.ext.san.dns[0], "www.example.ac.jp");
	assert_str(&leaf.ext.san.dns[1], "example.ac.jp");
	assert_int_equal(leaf.ext.san.n_ip, 1);
	assert_same_bytes(&leaf.ext.san.ip[0], (const unsigned char *)"\xc0\x00\x02\x0a", 4);
	assert_int_equal(leaf.ext.has_bc, 1);
	assert_int_equal(leaf.ext.bc_critical, 1);
	assert_int_equal(leaf.ext.ca, 0);
	assert_int_equal(leaf.ext.has_ku, 1);
	assert_int_equal(leaf.ext.ku, X509_KU_DIGITAL_SIGNATURE);
	assert_int_equal(leaf.ext.has_eku, 1);
	assert_int_equal(leaf.ext.eku, X509_EKU_SERVER_AUTH | X509_EKU_CLIENT_AUTH);
	assert_same_bytes(&leaf.ext.ski, leaf_ski, 20);
	assert_same_bytes(&leaf.ext.aki, ca_ski, 20);
	/* CRL DP, AIA, certificatePolicies: kept as unrecognised OIDs. */
	assert_int_equal(leaf.ext.n, 9);
	assert_int_equal(leaf.ext.n_other, 3);
	assert_int_equal(leaf.ext.other_critical, 0);
	x509_pubkey_ski(&leaf.key, ski); /* openssl's "hash" SKI is method 1 too */
	assert_memory_equal(ski, leaf_ski, 20);
	assert_int_equal(x509_cert_verify_sig(&leaf, &ca.key), 0);
	assert_int_equal(x509_cert_verify_sig(&leaf, &leaf.key), ERR_BADKEY);

	assert_int_equal(ca.version, 2);
	assert_int_equal(x509_serial_dec(ca.serial.p, ca.serial.len, s, sizeof s), 2);
	assert_string_equal(s, "58");
	assert_int_equal(ca.not_after, 2616259422); /* GeneralizedTime */
	assert_int_equal(ca.key.type, X509_KEY_RSA);
	assert_int_equal(ca.key.bits, 2048);
	assert_int_equal(ca.ext.ca, 1);
	assert_int_equal(ca.ext.path_len, 0);
	assert_int_equal(ca.ext.ku, X509_KU_KEY_CERT_SIGN | X509_KU_CRL_SIGN);
	assert_int_equal(ca.ext.has_san, 0);
	assert_null(ca.ext.aki.p);
	assert_same_bytes(&ca.ext.ski, ca_ski, 20);
	assert_int_equal(x509_cert_verify_sig(&ca, &ca.key), 0);

	/* A changed TBS byte (in the subject's CN) breaks the RSA signature. */
	{
		unsigned char *p = memmem(leafder, ln, "www.example", 11);

		assert_non_null(p);
		p[2] = 'x';
		assert_int_equal(x509_cert_parse(&leaf, leafder, ln), 0);
		assert_int_equal(x509_cert_verify_sig(&leaf, &ca.key), ERR_BADSIG);
	}
}

static void
test_cert_malformed(void **state)
{
	unsigned char der[4096], bad[4096];
	struct x509_cert c;
	size_t n;
	const unsigned char *alg;

	(void)state;
	n = load_pem("cert_leaf_p256.pem", der, sizeof der);
	for (size_t i = 0; i < n; i++)
		if (x509_cert_parse(&c, der, i) == 0)
			fail_msg("prefix of %zu bytes parsed", i);
	der[n] = 0;
	assert_int_equal(x509_cert_parse(&c, der, n + 1), ERR_MALFORMED); /* trailing byte */
	/* Outer signature algorithm changed to sha384WithRSA: differs from the TBS one. */
	memcpy(bad, der, n);
	alg = memmem(bad + n - 300, 300, "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", 9);
	assert_non_null(alg);
	bad[alg - bad + 8] = 0x0c;
	assert_int_equal(x509_cert_parse(&c, bad, n), ERR_MALFORMED);
	/* Indefinite length in the outer SEQUENCE. */
	memcpy(bad, der, n);
	bad[1] = 0x80;
	assert_int_equal(x509_cert_parse(&c, bad, n), ERR_MALFORMED);
	assert_int_equal(x509_cert_parse(&c, der, n), 0);
}

/* ---- keys and signing callbacks for the writer tests ---- */

struct test_key {
	int is_rsa;
	br_ec_private_key ec;
	br_ec_public_key ecpub;
	unsigned char ecbuf[BR_EC_KBUF_PRIV_MAX_SIZE], ecpubbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	br_rsa_private_key rsa;
	br_rsa_public_key rsapub;
	unsigned char rsabuf[BR_RSA_KBUF_PRIV_SIZE(2048)], rsapubbuf[BR_RSA_KBUF_PUB_SIZE(2048)];
	unsigned char spki[600];
	size_t spki_len;
	unsigned calls;
};

static void
key_ec(struct test_key *k, const char *seed, int curve)
{
	br_hmac_drbg_context rng;

	memset(k, 0, sizeof *k);
	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, strlen(seed));
	assert_true(br_ec_keygen(&rng.vtable, br_ec_get_default(), &k->ec, k->ecbuf, curve) > 0);
	assert_true(br_ec_compute_pub(br_ec_get_default(), &k->ecpub, k->ecpubbuf, &k->ec) > 0);
	assert_int_equal(x509_spki_build_ec(k->spki, sizeof k->spki, &k->spki_len, curve,
	    k->ecpub.q, k->ecpub.qlen), 0);
}

static void
key_rsa(struct test_key *k, const char *seed)
{
	br_hmac_drbg_context rng;
	br_rsa_keygen gen = br_rsa_keygen_get_default();

	memset(k, 0, sizeof *k);
	k->is_rsa = 1;
	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, strlen(seed));
	assert_true(gen(&rng.vtable, &k->rsa, k->rsabuf, &k->rsapub, k->rsapubbuf, 2048, 65537));
	assert_int_equal(x509_spki_build_rsa(k->spki, sizeof k->spki, &k->spki_len, k->rsapub.n,
	    k->rsapub.nlen, k->rsapub.e, k->rsapub.elen), 0);
}

static int
test_sign_cb(void *ctx, int sig_alg, const unsigned char *hash, size_t hashlen,
    unsigned char *sig, size_t sigsz, size_t *siglen)
{
	struct test_key *k = ctx;
	const br_hash_class *hc = hashlen == 32 ? &br_sha256_vtable :
	    hashlen == 48 ? &br_sha384_vtable : &br_sha512_vtable;

	k->calls++;
	assert_int_equal(hashlen, x509_sig_hash_len(sig_alg));
	if (k->is_rsa) {
		const unsigned char *oid = hashlen == 32 ? BR_HASH_OID_SHA256 :
		    hashlen == 48 ? BR_HASH_OID_SHA384 : BR_HASH_OID_SHA512;
		size_t n = (k->rsa.n_bitlen + 7) / 8;

		assert_true(sig_alg == X509_SIG_RSA_SHA256 || sig_alg == X509_SIG_RSA_SHA384 ||
		    sig_alg == X509_SIG_RSA_SHA512);
		if (n > sigsz || !br_rsa_pkcs1_sign_get_default()(oid, hash, hashlen, &k->rsa, sig))
			return ERR_TOOBIG;
		*siglen = n;
		return 0;
	}
	assert_true(sig_alg == X509_SIG_ECDSA_SHA256 || sig_alg == X509_SIG_ECDSA_SHA384 ||
	    sig_alg == X509_SIG_ECDSA_SHA512);
	assert_true(sigsz >= 139);
	*siglen = br_ecdsa_i31_sign_asn1(br_ec_get_default(), hc, hash, &k->ec, sig);
	return *siglen ? 0 : ERR_BADKEY;
}

static int
test_sign_fail_cb(void *ctx, int sig_alg, const unsigned char *hash, size_t hashlen,
    unsigned char *sig, size_t sigsz, size_t *siglen)
{
	(void)ctx, (void)sig_alg, (void)hash, (void)hashlen, (void)sig, (void)sigsz, (void)siglen;
	return ERR_DENIED;
}

/* BearSSL's chain validation of ee with ta's subject and key as the trust anchor. */
static unsigned
bearssl_validate(const struct x509_cert *ta, const unsigned char *ee, size_t ee_len, int64_t now)
{
	br_x509_trust_anchor anchor;
	br_x509_minimal_context xc;
	const br_x509_class **vt = &xc.vtable;

	memset(&anchor, 0, sizeof anchor);
	anchor.dn.data = (unsigned char *)(uintptr_t)ta->subject.der;
	anchor.dn.len = ta->subject.der_len;
	anchor.flags = BR_X509_TA_CA;
	if (ta->key.type == X509_KEY_RSA) {
		anchor.pkey.key_type = BR_KEYTYPE_RSA;
		anchor.pkey.key.rsa.n = (unsigned char *)(uintptr_t)ta->key.n;
		anchor.pkey.key.rsa.nlen = ta->key.nlen;
		anchor.pkey.key.rsa.e = (unsigned char *)(uintptr_t)ta->key.e;
		anchor.pkey.key.rsa.elen = ta->key.elen;
	} else {
		anchor.pkey.key_type = BR_KEYTYPE_EC;
		anchor.pkey.key.ec.curve = ta->key.curve;
		anchor.pkey.key.ec.q = (unsigned char *)(uintptr_t)ta->key.point;
		anchor.pkey.key.ec.qlen = ta->key.pointlen;
	}
	br_x509_minimal_init_full(&xc, &anchor, 1);
	br_x509_minimal_set_time(&xc, (uint32_t)(now / 86400 + 719528), (uint32_t)(now % 86400));
	(*vt)->start_chain(vt, NULL);
	(*vt)->start_cert(vt, (uint32_t)ee_len);
	(*vt)->append(vt, ee, ee_len);
	(*vt)->end_cert(vt);
	return (*vt)->end_chain(vt);
}

/* ---- openssl cross-check (openssl is a test dependency: its absence fails) ---- */

static char tmpdir[64];

static int
have_openssl(void)
{
	return system("command -v openssl >/dev/null 2>&1") == 0;
}

static void
write_pem(const char *name, const char *label, const unsigned char *der, size_t len)
{
	char path[128], text[16384];
	int n = pem_encode(text, sizeof text, label, der, len);
	FILE *f;

	assert_true(n > 0);
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
}

static void
run_ok(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_x509.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown_tmp(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- certificate writer ---- */

static const unsigned char serial16[16] = { 0x8f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };

static void
test_write_selfsigned_p256(void **state)
{
	static const struct x509_str dns[] = { { "gw.example.ac.jp", 16 }, { "*.gw.example.ac.jp", 18 } };
	static const unsigned char v4[4] = { 192, 0, 2, 7 };
	const struct x509_bytes ip[] = { { v4, 4 } };
	struct test_key k;
	struct x509_tbs t;
	struct x509_cert c;
	unsigned char out[4096], ski[20], h1[32], h2[32];
	size_t n;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	key_ec(&k, "p256 self", BR_EC_secp256r1);
	memset(&t, 0, sizeof t);
	t.serial = serial16;
	t.serial_len = sizeof serial16;
	t.subject.attr[X509_NAME_C] = (struct x509_str){ "JP", 2 };
	t.subject.attr[X509_NAME_O] = (struct x509_str){ "Nagoya University", 17 };
	t.subject.attr[X509_NAME_CN] = (struct x509_str){ "gw.example.ac.jp", 16 };
	t.issuer = t.subject;
	t.not_before = now - 3600;
	t.not_after = now + 90 * 86400;
	t.spki = k.spki;
	t.spki_len = k.spki_len;
	t.dns = dns;
	t.n_dns = 2;
	t.ip = ip;
	t.n_ip = 1;
	t.basic_constraints = 1;
	t.path_len = -1;
	t.key_usage = X509_KU_DIGITAL_SIGNATURE;
	t.eku = X509_EKU_SERVER_AUTH | X509_EKU_CLIENT_AUTH;
	t.ski = 1;
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA256,
	    test_sign_cb, &k), 0);
	assert_int_equal(k.calls, 1);

	assert_int_equal(x509_cert_parse(&c, out, n), 0);
	assert_int_equal(c.version, 2);
	/* high bit set: a 0x00 sign byte was added and is stripped again */
	assert_same_bytes(&c.serial, serial16, 16);
	assert_int_equal(c.sig_alg, X509_SIG_ECDSA_SHA256);
	assert_format(&c.subject, "CN=gw.example.ac.jp,O=Nagoya University,C=JP");
	assert_int_equal(c.issuer.der_len, c.subject.der_len);
	assert_memory_equal(c.issuer.der, c.subject.der, c.subject.der_len);
	assert_int_equal(c.not_before, now - 3600);
	assert_int_equal(c.not_after, now + 90 * 86400);
	assert_int_equal(c.key.spki.len, k.spki_len);
	assert_memory_equal(c.key.spki.p, k.spki, k.spki_len);
	x509_spki_hash(c.key.spki.p, c.key.spki.len, h1);
	x509_spki_hash(k.spki, k.spki_len, h2);
	assert_memory_equal(h1, h2, 32);
	assert_int_equal(c.key.curve, BR_EC_secp256r1);
	assert_memory_equal(c.key.point, k.ecpub.q, 65);
	assert_int_equal(c.ext.n, 5);
	assert_int_equal(c.ext.san.n_dns, 2);
	assert_str(&c.ext.san.dns[0], "gw.example.ac.jp");
	assert_str(&c.ext.san.dns[1], "*.gw.example.ac.jp");
	assert_int_equal(c.ext.san.n_ip, 1);
	assert_same_bytes(&c.ext.san.ip[0], v4, 4);
	assert_int_equal(c.ext.san_critical, 0);
	assert_int_equal(c.ext.has_bc, 1);
	assert_int_equal(c.ext.bc_critical, 1);
	assert_int_equal(c.ext.ca, 0);
	assert_int_equal(c.ext.path_len, -1);
	assert_int_equal(c.ext.ku_critical, 1);
	assert_int_equal(c.ext.ku, X509_KU_DIGITAL_SIGNATURE);
	assert_int_equal(c.ext.eku, X509_EKU_SERVER_AUTH | X509_EKU_CLIENT_AUTH);
	x509_pubkey_ski(&c.key, ski);
	assert_same_bytes(&c.ext.ski, ski, 20);
	assert_null(c.ext.aki.p);
	assert_int_equal(c.ext.n_other, 0);
	assert_int_equal(c.ext.has_acme_id, 0);
	assert_int_equal(x509_cert_verify_sig(&c, &c.key), 0);

	assert_int_equal(bearssl_validate(&c, out, n, now), BR_ERR_OK);
	/* Expired by then: BearSSL must say so (the check has teeth). */
	assert_int_equal(bearssl_validate(&c, out, n, now + 91 * 86400), BR_ERR_X509_EXPIRED);
	out[n - 5] ^= 0x40; /* inside the signature */
	assert_int_not_equal(bearssl_validate(&c, out, n, now), BR_ERR_OK);
	out[n - 5] ^= 0x40;

	if (!have_openssl())
		fail_msg("openssl CLI missing: it is a test dependency (make deps-test)");
	write_pem("self.pem", "CERTIFICATE", out, n);
	run_ok("openssl x509 -in %s/self.pem -noout -text >/dev/null", tmpdir);
	run_ok("openssl verify -x509_strict -CAfile %s/self.pem %s/self.pem >/dev/null", tmpdir,
	    tmpdir);
}

static void
test_write_rsa_ca_and_leaf(void **state)
{
	static const struct x509_str dns[] = { { "www.example.ac.jp", 17 } };
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x42 };
	const struct x509_bytes ip[] = { { v6, 16 } };
	static struct test_key ca, leaf;
	struct x509_tbs t;
	struct x509_cert cac, lc;
	unsigned char caout[4096], out[4096];
	size_t can, n;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	key_rsa(&ca, "rsa ca");
	key_ec(&leaf, "leaf", BR_EC_secp384r1);

	/* The CA: self-signed, RSA, sha256WithRSAEncryption. */
	memset(&t, 0, sizeof t);
	t.serial = (const unsigned char *)"\x01";
	t.serial_len = 1;
	t.subject.attr[X509_NAME_C] = (struct x509_str){ "JP", 2 };
	t.subject.attr[X509_NAME_O] = (struct x509_str){ "upki-acme test", 14 };
	t.subject.attr[X509_NAME_CN] = (struct x509_str){ "Test RSA CA", 11 };
	t.issuer = t.subject;
	t.not_before = now - 86400;
	t.not_after = now + 30 * 365 * INT64_C(86400); /* past 2050: GeneralizedTime */
	t.spki = ca.spki;
	t.spki_len = ca.spki_len;
	t.basic_constraints = 1;
	t.ca = 1;
	t.path_len = 0;
	t.key_usage = X509_KU_KEY_CERT_SIGN | X509_KU_CRL_SIGN;
	t.ski = 1;
	assert_int_equal(x509_cert_write(caout, sizeof caout, &can, &t, X509_SIG_RSA_SHA256,
	    test_sign_cb, &ca), 0);
	assert_int_equal(x509_cert_parse(&cac, caout, can), 0);
	assert_int_equal(cac.key.bits, 2048);
	assert_int_equal(cac.ext.ca, 1);
	assert_int_equal(cac.ext.path_len, 0);
	assert_int_equal(cac.ext.ku, X509_KU_KEY_CERT_SIGN | X509_KU_CRL_SIGN);
	assert_int_equal(cac.not_after, t.not_after);
	assert_int_equal(x509_cert_verify_sig(&cac, &cac.key), 0);
	assert_int_equal(bearssl_validate(&cac, caout, can, now), BR_ERR_OK);

	/* The leaf: EC P-384 key, signed by the CA, UPKI-like extensions. */
	memset(&t, 0, sizeof t);
	t.serial = serial16;
	t.serial_len = sizeof serial16;
	t.issuer_der = cac.subject.der;
	t.issuer_der_len = cac.subject.der_len;
	t.subject.attr[X509_NAME_C] = (struct x509_str){ "JP", 2 };
	t.subject.attr[X509_NAME_ST] = (struct x509_str){ "Aichi", 5 };
	t.subject.attr[X509_NAME_L] = (struct x509_str){ "Nagoya", 6 };
	t.subject.attr[X509_NAME_O] = (struct x509_str){ "Nagoya University", 17 };
	t.subject.attr[X509_NAME_CN] = (struct x509_str){ "www.example.ac.jp", 17 };
	t.not_before = now - 60;
	t.not_after = now + 397 * 86400;
	t.spki = leaf.spki;
	t.spki_len = leaf.spki_len;
	t.dns = dns;
	t.n_dns = 1;
	t.ip = ip;
	t.n_ip = 1;
	t.basic_constraints = 1;
	t.path_len = -1;
	t.key_usage = X509_KU_DIGITAL_SIGNATURE;
	t.eku = X509_EKU_SERVER_AUTH;
	t.ski = 1;
	t.aki = cac.ext.ski.p;
	t.aki_len = cac.ext.ski.len;
	t.crl_uri = "http://crl.example.ac.jp/test.crl";
	t.ocsp_uri = "http://ocsp.example.ac.jp/";
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_RSA_SHA256, test_sign_cb,
	    &ca), 0);
	assert_int_equal(x509_cert_parse(&lc, out, n), 0);
	assert_format(&lc.issuer, "CN=Test RSA CA,O=upki-acme test,C=JP");
	assert_format(&lc.subject, "CN=www.example.ac.jp,O=Nagoya University,L=Nagoya,ST=Aichi,C=JP");
	assert_int_equal(lc.sig_alg, X509_SIG_RSA_SHA256);
	assert_int_equal(lc.key.curve, BR_EC_secp384r1);
	assert_int_equal(lc.key.bits, 384);
	assert_int_equal(lc.ext.n, 8);
	assert_int_equal(lc.ext.n_other, 2); /* CRL DP and AIA */
	assert_same_bytes(&lc.ext.aki, cac.ext.ski.p, cac.ext.ski.len);
	assert_int_equal(lc.ext.san.n_ip, 1);
	assert_same_bytes(&lc.ext.san.ip[0], v6, 16);
	assert_int_equal(lc.ext.eku, X509_EKU_SERVER_AUTH);
	assert_int_equal(x509_cert_verify_sig(&lc, &cac.key), 0);
	assert_int_equal(x509_cert_verify_sig(&lc, &lc.key), ERR_BADKEY);
	assert_int_equal(bearssl_validate(&cac, out, n, now), BR_ERR_OK);

	if (!have_openssl())
		fail_msg("openssl CLI missing: it is a test dependency (make deps-test)");
	write_pem("ca.pem", "CERTIFICATE", caout, can);
	write_pem("leaf.pem", "CERTIFICATE", out, n);
	run_ok("openssl x509 -in %s/leaf.pem -noout -text >/dev/null", tmpdir);
	run_ok("openssl verify -x509_strict -purpose sslserver -CAfile %s/ca.pem %s/leaf.pem "
	    ">/dev/null", tmpdir, tmpdir);
}

/* tls-alpn-01 shape (RFC 8737): empty subject, one dNSName, critical acmeIdentifier. */
static void
test_write_acme_identifier(void **state)
{
	static const struct x509_str dns[] = { { "alpn.example.ac.jp", 18 } };
	unsigned char out[2048], digest[32];
	struct test_key k;
	struct x509_tbs t;
	struct x509_cert c;
	size_t n;

	(void)state;
	for (unsigned i = 0; i < 32; i++)
		digest[i] = (unsigned char)(0xa0 + i);
	key_ec(&k, "alpn", BR_EC_secp256r1);
	memset(&t, 0, sizeof t);
	t.serial = serial16 + 1;
	t.serial_len = 15;
	t.issuer.attr[X509_NAME_CN] = (struct x509_str){ "ACME challenge", 14 };
	t.not_before = 1767225600;
	t.not_after = 1767225600 + 7 * 86400;
	t.spki = k.spki;
	t.spki_len = k.spki_len;
	t.dns = dns;
	t.n_dns = 1;
	t.path_len = -1;
	t.acme_id = digest;
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA512,
	    test_sign_cb, &k), 0);
	assert_int_equal(x509_cert_parse(&c, out, n), 0);
	assert_int_equal(c.subject.n_rdn, 0);
	assert_int_equal(c.ext.n, 2);
	assert_int_equal(c.ext.san_critical, 1); /* empty subject */
	assert_int_equal(c.ext.has_acme_id, 1);
	assert_int_equal(c.ext.acme_id_critical, 1);
	assert_same_bytes(&c.ext.acme_id, digest, 32);
	assert_int_equal(c.sig_alg, X509_SIG_ECDSA_SHA512);
	assert_int_equal(c.not_before, 1767225600);
	assert_int_equal(x509_cert_verify_sig(&c, &c.key), 0);
	if (have_openssl()) {
		write_pem("alpn.pem", "CERTIFICATE", out, n);
		run_ok("openssl x509 -in %s/alpn.pem -noout -text >/dev/null", tmpdir);
	}
}

static void
test_write_refuses(void **state)
{
	static const struct x509_str bad_dns[] = { { "bad name", 8 } };
	unsigned char out[2048], small[100];
	struct test_key k;
	struct x509_tbs t, base;
	size_t n;

	(void)state;
	key_ec(&k, "refuse", BR_EC_secp256r1);
	memset(&base, 0, sizeof base);
	base.serial = serial16;
	base.serial_len = 16;
	base.subject.attr[X509_NAME_CN] = (struct x509_str){ "x", 1 };
	base.issuer = base.subject;
	base.not_before = 0;
	base.not_after = 86400;
	base.spki = k.spki;
	base.spki_len = k.spki_len;
	base.path_len = -1;
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &base, X509_SIG_ECDSA_SHA256,
	    test_sign_cb, &k), 0);

	t = base;
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_RSA_SHA1, test_sign_cb,
	    &k), ERR_UNSUPPORTED);
	t.serial = (const unsigned char *)"\x00\x00";
	t.serial_len = 2;
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA256,
	    test_sign_cb, &k), ERR_RANGE);
	t = base;
	t.not_after = -1;
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA256,
	    test_sign_cb, &k), ERR_RANGE);
	t = base;
	t.path_len = 3; /* without cA */
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA256,
	    test_sign_cb, &k), ERR_RANGE);
	t = base;
	t.dns = bad_dns;
	t.n_dns = 1;
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA256,
	    test_sign_cb, &k), ERR_RANGE);
	t = base;
	t.spki_len--;
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA256,
	    test_sign_cb, &k), ERR_MALFORMED);
	t = base;
	memset(&t.issuer, 0, sizeof t.issuer);
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA256,
	    test_sign_cb, &k), ERR_RANGE);
	t = base;
	t.not_after = INT64_C(253402300800); /* year 10000 */
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA256,
	    test_sign_cb, &k), ERR_RANGE);
	t = base;
	assert_int_equal(x509_cert_write(small, sizeof small, &n, &t, X509_SIG_ECDSA_SHA256,
	    test_sign_cb, &k), ERR_TOOBIG);
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA256,
	    test_sign_fail_cb, &k), ERR_DENIED);
	/* Room for the TBS but not for the signature. */
	assert_int_equal(x509_cert_write(out, 260, &n, &t, X509_SIG_ECDSA_SHA256, test_sign_cb, &k),
	    ERR_TOOBIG);
}

/* Issue from a saved CSR the way the UPKI simulator does: subject and key copied raw. */
static void
test_write_from_csr(void **state)
{
	static struct test_key ca;
	unsigned char csrder[4096], out[4096];
	struct x509_csr req;
	struct x509_cert c;
	struct x509_tbs t;
	size_t n;

	(void)state;
	n = load_pem("csr_rsa2048_cn.pem", csrder, sizeof csrder);
	assert_int_equal(x509_csr_parse(&req, csrder, n), 0);
	key_ec(&ca, "issuer", BR_EC_secp256r1);
	memset(&t, 0, sizeof t);
	t.serial = serial16;
	t.serial_len = 16;
	t.issuer.attr[X509_NAME_CN] = (struct x509_str){ "Test EC CA", 10 };
	t.subject_der = req.subject.der;
	t.subject_der_len = req.subject.der_len;
	t.spki = req.key.spki.p;
	t.spki_len = req.key.spki.len;
	t.not_before = 1767225600;
	t.not_after = 1767225600 + 397 * 86400;
	t.path_len = -1;
	t.dns = &req.subject.attr[X509_NAME_CN];
	t.n_dns = 1;
	assert_int_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA384,
	    test_sign_cb, &ca), 0);
	assert_int_equal(x509_cert_parse(&c, out, n), 0);
	assert_int_equal(c.subject.der_len, req.subject.der_len);
	assert_memory_equal(c.subject.der, req.subject.der, req.subject.der_len);
	assert_format(&c.subject, "CN=www.example.ac.jp,O=Nagoya University,L=Nagoya,ST=Aichi,C=JP");
	assert_int_equal(c.ext.san_critical, 0);
	assert_str(&c.ext.san.dns[0], "www.example.ac.jp");
	assert_int_equal(c.key.bits, 2048);
	assert_int_equal(c.sig_alg, X509_SIG_ECDSA_SHA384);
	/* A raw subject that is not a Name is refused. */
	t.subject_der = req.key.spki.p;
	t.subject_der_len = req.key.spki.len;
	assert_int_not_equal(x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA384,
	    test_sign_cb, &ca), 0);
}

/* ---- CSR writer ---- */

static void
test_write_csr(void **state)
{
	static const struct x509_str dns[] = { { "a.example.ac.jp", 15 }, { "b.example.ac.jp", 15 } };
	static const unsigned char v4[4] = { 10, 0, 0, 1 };
	const struct x509_bytes ip[] = { { v4, 4 } };
	static struct test_key ec, rsa;
	struct x509_csr_tmpl t;
	struct x509_csr c;
	unsigned char out[4096];
	size_t n;

	(void)state;
	key_ec(&ec, "csr ec", BR_EC_secp256r1);
	memset(&t, 0, sizeof t);
	t.subject.attr[X509_NAME_CN] = (struct x509_str){ "a.example.ac.jp", 15 };
	t.spki = ec.spki;
	t.spki_len = ec.spki_len;
	t.dns = dns;
	t.n_dns = 2;
	t.ip = ip;
	t.n_ip = 1;
	assert_int_equal(x509_csr_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA256,
	    test_sign_cb, &ec), 0);
	assert_int_equal(x509_csr_parse(&c, out, n), 0);
	assert_int_equal(x509_csr_verify(&c), 0);
	assert_format(&c.subject, "CN=a.example.ac.jp");
	assert_int_equal(c.has_ext_req, 1);
	assert_int_equal(c.has_other_attrs, 0);
	assert_int_equal(c.ext.n, 1);
	assert_int_equal(c.ext.san.n_dns, 2);
	assert_str(&c.ext.san.dns[1], "b.example.ac.jp");
	assert_int_equal(c.ext.san.n_ip, 1);
	assert_same_bytes(&c.ext.san.ip[0], v4, 4);
	assert_int_equal(c.key.spki.len, ec.spki_len);
	assert_memory_equal(c.key.spki.p, ec.spki, ec.spki_len);
	if (have_openssl()) {
		write_pem("ec.csr", "CERTIFICATE REQUEST", out, n);
		run_ok("openssl req -in %s/ec.csr -noout -verify 2>/dev/null", tmpdir);
	}

	/* certbot shape: RSA, empty subject, SAN only. */
	key_rsa(&rsa, "csr rsa");
	memset(&t, 0, sizeof t);
	t.spki = rsa.spki;
	t.spki_len = rsa.spki_len;
	t.dns = dns;
	t.n_dns = 1;
	assert_int_equal(x509_csr_write(out, sizeof out, &n, &t, X509_SIG_RSA_SHA384, test_sign_cb,
	    &rsa), 0);
	assert_int_equal(x509_csr_parse(&c, out, n), 0);
	assert_int_equal(x509_csr_verify(&c), 0);
	assert_int_equal(c.sig_alg, X509_SIG_RSA_SHA384);
	assert_int_equal(c.subject.n_rdn, 0);
	assert_int_equal(c.key.bits, 2048);
	assert_int_equal(c.ext.san.n_dns, 1);
	if (have_openssl()) {
		write_pem("rsa.csr", "CERTIFICATE REQUEST", out, n);
		run_ok("openssl req -in %s/rsa.csr -noout -verify 2>/dev/null", tmpdir);
	}

	/* No SAN: attributes stay an empty [0]. */
	memset(&t, 0, sizeof t);
	t.subject.attr[X509_NAME_CN] = (struct x509_str){ "cn.example.ac.jp", 16 };
	t.spki = ec.spki;
	t.spki_len = ec.spki_len;
	assert_int_equal(x509_csr_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA384,
	    test_sign_cb, &ec), 0);
	assert_int_equal(x509_csr_parse(&c, out, n), 0);
	assert_int_equal(x509_csr_verify(&c), 0);
	assert_int_equal(c.has_ext_req, 0);
	/* A CSR signed with another key fails. */
	assert_int_equal(x509_csr_write(out, sizeof out, &n, &t, X509_SIG_RSA_SHA256, test_sign_cb,
	    &rsa), 0);
	assert_int_equal(x509_csr_parse(&c, out, n), 0);
	assert_int_equal(x509_csr_verify(&c), ERR_BADKEY);
}

/* ---- self-signed bootstrap certificate ---- */

static void
test_selfsigned(void **state)
{
	static const unsigned char lo6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	unsigned char out[4096], ski[20], zero[16] = { 0 };
	struct test_key k;
	struct x509_cert c;
	size_t n;
	int64_t now = (int64_t)time(NULL);
	char many[40 * 4 + 1];

	(void)state;
	key_ec(&k, "bootstrap", BR_EC_secp256r1);
	assert_int_equal(x509_selfsigned_build(out, sizeof out, &n, " localhost, 127.0.0.1,::1 \t"
	    "gw.example.ac.jp", k.ecpub.q, k.ecpub.qlen, BR_EC_secp256r1, now - 60,
	    now + 365 * 86400, serial16, test_sign_cb, &k), 0);
	assert_int_equal(x509_cert_parse(&c, out, n), 0);
	assert_format(&c.subject, "CN=localhost");
	assert_format(&c.issuer, "CN=localhost");
	assert_int_equal(c.subject.n_rdn, 1);
	assert_int_equal(c.ext.san.n_dns, 2);
	assert_str(&c.ext.san.dns[0], "localhost");
	assert_str(&c.ext.san.dns[1], "gw.example.ac.jp");
	assert_int_equal(c.ext.san.n_ip, 2);
	assert_same_bytes(&c.ext.san.ip[0], (const unsigned char *)"\x7f\x00\x00\x01", 4);
	assert_same_bytes(&c.ext.san.ip[1], lo6, 16);
	assert_int_equal(c.ext.has_bc, 1);
	assert_int_equal(c.ext.ca, 0);
	assert_int_equal(c.ext.ku, X509_KU_DIGITAL_SIGNATURE);
	assert_int_equal(c.ext.eku, X509_EKU_SERVER_AUTH);
	x509_pubkey_ski(&c.key, ski);
	assert_same_bytes(&c.ext.ski, ski, 20);
	assert_int_equal(c.sig_alg, X509_SIG_ECDSA_SHA256);
	assert_int_equal(bearssl_validate(&c, out, n, now), BR_ERR_OK);
	if (have_openssl()) {
		write_pem("boot.pem", "CERTIFICATE", out, n);
		run_ok("openssl verify -x509_strict -purpose sslserver -CAfile %s/boot.pem %s/boot.pem "
		    ">/dev/null", tmpdir, tmpdir);
	}

	/* IP only: CN is the first name. */
	assert_int_equal(x509_selfsigned_build(out, sizeof out, &n, "192.0.2.1", k.ecpub.q,
	    k.ecpub.qlen, BR_EC_secp256r1, now, now + 86400, serial16, test_sign_cb, &k), 0);
	assert_int_equal(x509_cert_parse(&c, out, n), 0);
	assert_format(&c.subject, "CN=192.0.2.1");
	assert_int_equal(c.ext.san.n_dns, 0);
	assert_int_equal(c.ext.san.n_ip, 1);

	assert_int_equal(x509_selfsigned_build(out, sizeof out, &n, " , ", k.ecpub.q, k.ecpub.qlen,
	    BR_EC_secp256r1, now, now + 86400, serial16, test_sign_cb, &k), ERR_MALFORMED);
	assert_int_equal(x509_selfsigned_build(out, sizeof out, &n, "bad!name", k.ecpub.q,
	    k.ecpub.qlen, BR_EC_secp256r1, now, now + 86400, serial16, test_sign_cb, &k),
	    ERR_MALFORMED);
	assert_int_equal(x509_selfsigned_build(out, sizeof out, &n, "1::2::3", k.ecpub.q,
	    k.ecpub.qlen, BR_EC_secp256r1, now, now + 86400, serial16, test_sign_cb, &k),
	    ERR_MALFORMED);
	assert_int_equal(x509_selfsigned_build(out, sizeof out, &n, "localhost", k.ecpub.q,
	    k.ecpub.qlen, BR_EC_secp384r1, now, now + 86400, serial16, test_sign_cb, &k),
	    ERR_BADKEY);
	assert_int_equal(x509_selfsigned_build(out, sizeof out, &n, "localhost", k.ecpub.q,
	    k.ecpub.qlen, BR_EC_sect571k1, now, now + 86400, serial16, test_sign_cb, &k),
	    ERR_BADKEY);
	assert_int_equal(x509_selfsigned_build(out, sizeof out, &n, "localhost", k.ecpub.q,
	    k.ecpub.qlen, BR_EC_secp256r1, now, now + 86400, zero, test_sign_cb, &k), ERR_RANGE);
	for (unsigned i = 0; i < 40; i++)
		memcpy(many + 4 * i, "a.b ", 4);
	many[sizeof many - 1] = '\0';
	assert_int_equal(x509_selfsigned_build(out, sizeof out, &n, many, k.ecpub.q, k.ecpub.qlen,
	    BR_EC_secp256r1, now, now + 86400, serial16, test_sign_cb, &k), ERR_TOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_parse_openssl),
		cmocka_unit_test(test_cert_malformed),
		cmocka_unit_test(test_write_selfsigned_p256),
		cmocka_unit_test(test_write_rsa_ca_and_leaf),
		cmocka_unit_test(test_write_acme_identifier),
		cmocka_unit_test(test_write_refuses),
		cmocka_unit_test(test_write_from_csr),
		cmocka_unit_test(test_write_csr),
		cmocka_unit_test(test_selfsigned),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
