/*
 * test_x509_csr.c: PKCS#10 parsing and signature checks against CSRs saved from
 * openssl and from certbot's own CSR code (tests/unit/data/x509/gen.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <bearssl.h>

#include "util/err.h"
#include "x509/pem.h"
#include "x509/x509.h"

#define DATA "tests/unit/data/x509/"

/* Load a vector: PEM files are decoded (first block), others taken as DER. */
static size_t
load(const char *name, unsigned char *der, size_t dersz)
{
	char path[256], text[16384], label[PEM_LABEL_MAX + 1];
	size_t n, pos = 0, outlen = 0;
	FILE *f;

	snprintf(path, sizeof path, DATA "%s", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(text, 1, sizeof text, f);
	fclose(f);
	if (!strstr(name, ".pem")) {
		assert_true(n <= dersz);
		memcpy(der, text, n);
		return n;
	}
	assert_int_equal(pem_decode(text, n, &pos, label, sizeof label, der, dersz, &outlen), 0);
	assert_string_equal(label, "CERTIFICATE REQUEST");
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
assert_dns(const struct x509_san *san, const char *const *want, unsigned n)
{
	assert_int_equal(san->n_dns, n);
	for (unsigned i = 0; i < n; i++)
		assert_str(&san->dns[i], want[i]);
}

static void
assert_format(const struct x509_name *n, const char *want)
{
	char buf[512];

	assert_int_equal(x509_name_format(n, buf, sizeof buf), (int)strlen(want));
	assert_string_equal(buf, want);
}

static void
parse_ok(const char *file, unsigned char *der, struct x509_csr *c)
{
	size_t n = load(file, der, 8192);

	assert_int_equal(x509_csr_parse(c, der, n), 0);
	assert_int_equal(c->version, 0);
	assert_ptr_equal(c->der.p, der);
	assert_int_equal(c->der.len, n);
}

static void
test_csr_rsa2048_cn(void **state)
{
	static const unsigned char spki_sha256[32] = { 0x95, 0x4f, 0x61, 0x22, 0x41, 0x35, 0x28,
		0xac, 0xe6, 0x8e, 0xb7, 0xd9, 0x42, 0x0b, 0x69, 0xa4, 0x08, 0x51, 0x26, 0x8b, 0x12, 0xa7,
		0xb6, 0xf2, 0x99, 0xbf, 0x23, 0xb0, 0xed, 0x73, 0x4f, 0x0a };
	unsigned char der[8192], h[32];
	struct x509_csr c;

	(void)state;
	parse_ok("csr_rsa2048_cn.pem", der, &c);
	assert_int_equal(c.subject.n_rdn, 5);
	assert_int_equal(c.subject.n_other, 0);
	assert_str(&c.subject.attr[X509_NAME_C], "JP");
	assert_str(&c.subject.attr[X509_NAME_ST], "Aichi");
	assert_str(&c.subject.attr[X509_NAME_L], "Nagoya");
	assert_str(&c.subject.attr[X509_NAME_O], "Nagoya University");
	assert_str(&c.subject.attr[X509_NAME_OU], NULL);
	assert_str(&c.subject.attr[X509_NAME_CN], "www.example.ac.jp");
	assert_format(&c.subject, "CN=www.example.ac.jp,O=Nagoya University,L=Nagoya,ST=Aichi,C=JP");
	/* The raw subject is the Name at offset 7 (30 82 xx xx 30 82 xx xx 02 01 00 30 ...). */
	assert_ptr_equal(c.subject.der, der + 11);
	assert_int_equal(c.subject.der[0], 0x30);
	assert_int_equal(c.key.type, X509_KEY_RSA);
	assert_int_equal(c.key.bits, 2048);
	assert_int_equal(c.key.nlen, 256);
	assert_int_equal(c.key.elen, 3);
	assert_memory_equal(c.key.e, "\x01\x00\x01", 3);
	assert_int_equal(c.has_ext_req, 0);
	assert_int_equal(c.ext.has_san, 0);
	assert_int_equal(c.ext.path_len, -1);
	assert_int_equal(c.has_other_attrs, 0);
	assert_int_equal(c.sig_alg, X509_SIG_RSA_SHA256);
	assert_string_equal(x509_sig_alg_name(c.sig_alg), "sha256WithRSAEncryption");
	assert_int_equal(x509_csr_verify(&c), 0);
	x509_spki_hash(c.key.spki.p, c.key.spki.len, h);
	assert_memory_equal(h, spki_sha256, 32);
	assert_int_equal(c.key.spki.len, 294);
	/* The signed bytes are covered: O=Nagoya University -> Magoya University. */
	((unsigned char *)c.subject.attr[X509_NAME_O].p)[0] = 'M';
	assert_int_equal(x509_csr_parse(&c, der, c.der.len), 0);
	assert_int_equal(x509_csr_verify(&c), ERR_BADSIG);
}

static void
test_csr_certbot_rsa(void **state)
{
	static const char *const dns[] = { "www.example.ac.jp", "example.ac.jp" };
	unsigned char der[8192];
	struct x509_csr c;

	(void)state;
	parse_ok("csr_certbot_rsa2048.pem", der, &c);
	assert_int_equal(c.subject.n_rdn, 0);
	assert_format(&c.subject, "");
	assert_int_equal(c.subject.der_len, 2); /* 30 00 */
	assert_int_equal(c.key.type, X509_KEY_RSA);
	assert_int_equal(c.key.bits, 2048);
	assert_int_equal(c.has_ext_req, 1);
	assert_int_equal(c.ext.has_san, 1);
	assert_int_equal(c.ext.san_critical, 0);
	assert_dns(&c.ext.san, dns, 2);
	assert_int_equal(c.ext.san.n_ip, 0);
	assert_int_equal(c.ext.n_other, 0);
	assert_int_equal(c.sig_alg, X509_SIG_RSA_SHA256);
	assert_int_equal(x509_csr_verify(&c), 0);
}

static void
test_csr_certbot_staple(void **state)
{
	static const char *const dns[] = { "staple.example.ac.jp" };
	unsigned char der[8192];
	struct x509_csr c;

	(void)state;
	parse_ok("csr_certbot_p256_staple.pem", der, &c);
	assert_int_equal(c.subject.n_rdn, 0);
	assert_int_equal(c.key.type, X509_KEY_EC);
	assert_int_equal(c.key.curve, BR_EC_secp256r1);
	assert_int_equal(c.key.bits, 256);
	assert_int_equal(c.key.pointlen, 65);
	assert_int_equal(c.key.point[0], 0x04);
	assert_dns(&c.ext.san, dns, 1);
	/* TLS Feature (must-staple), 1.3.6.1.5.5.7.1.24, is listed as unrecognised. */
	assert_int_equal(c.ext.n, 2);
	assert_int_equal(c.ext.n_other, 1);
	assert_int_equal(c.ext.other[0].len, 8);
	assert_memory_equal(c.ext.other[0].p, "\x2b\x06\x01\x05\x05\x07\x01\x18", 8);
	assert_int_equal(c.ext.other_critical, 0);
	assert_int_equal(c.sig_alg, X509_SIG_ECDSA_SHA256);
	assert_int_equal(x509_csr_verify(&c), 0);
}

static void
test_csr_certbot_ip(void **state)
{
	static const char *const dns[] = { "ip.example.ac.jp" };
	unsigned char der[8192];
	struct x509_csr c;

	(void)state;
	parse_ok("csr_certbot_ip.pem", der, &c);
	assert_dns(&c.ext.san, dns, 1);
	assert_int_equal(c.ext.san.n_ip, 2);
	assert_int_equal(c.ext.san.ip[0].len, 4);
	assert_memory_equal(c.ext.san.ip[0].p, "\xc0\x00\x02\x01", 4);
	assert_int_equal(c.ext.san.ip[1].len, 16);
	assert_memory_equal(c.ext.san.ip[1].p,
	    "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	assert_int_equal(c.ext.san.n_other, 0);
	assert_int_equal(x509_csr_verify(&c), 0);
}

static void
test_csr_lego_p256(void **state)
{
	static const unsigned char spki_sha256[32] = { 0x9d, 0x2d, 0x87, 0x47, 0xa4, 0x21, 0x86,
		0x34, 0x30, 0xbb, 0x3f, 0x94, 0xcb, 0x93, 0x26, 0xf8, 0x24, 0x65, 0xce, 0x26, 0x55, 0x69,
		0x43, 0x1c, 0x77, 0x40, 0xec, 0x0b, 0x48, 0xb5, 0xe2, 0xd5 };
	static const char *const dns[] = { "a.example.ac.jp", "b.example.ac.jp" };
	unsigned char der[8192], h[32];
	struct x509_csr c;

	(void)state;
	parse_ok("csr_p256_lego.pem", der, &c);
	assert_int_equal(c.subject.n_rdn, 1);
	assert_str(&c.subject.attr[X509_NAME_CN], "a.example.ac.jp");
	assert_format(&c.subject, "CN=a.example.ac.jp");
	assert_int_equal(c.key.curve, BR_EC_secp256r1);
	assert_int_equal(c.key.spki.len, 91);
	x509_spki_hash(c.key.spki.p, c.key.spki.len, h);
	assert_memory_equal(h, spki_sha256, 32);
	assert_dns(&c.ext.san, dns, 2);
	assert_int_equal(c.sig_alg, X509_SIG_ECDSA_SHA256);
	assert_int_equal(x509_csr_verify(&c), 0);
}

struct key_case {
	const char *file;
	int type, curve, sig_alg;
	unsigned bits;
	int verify;
};

static void
test_csr_keys(void **state)
{
	static const struct key_case cases[] = {
		{ "csr_p384.pem", X509_KEY_EC, BR_EC_secp384r1, X509_SIG_ECDSA_SHA384, 384, 0 },
		{ "csr_p521.pem", X509_KEY_EC, BR_EC_secp521r1, X509_SIG_ECDSA_SHA512, 521, 0 },
		{ "csr_rsa4096.pem", X509_KEY_RSA, 0, X509_SIG_RSA_SHA512, 4096, 0 },
		/* Parsed and verified: the caller refuses 1024 bits by policy. */
		{ "csr_rsa1024.pem", X509_KEY_RSA, 0, X509_SIG_RSA_SHA256, 1024, 0 },
		{ "csr_sha1.pem", X509_KEY_RSA, 0, X509_SIG_RSA_SHA1, 2048, ERR_UNSUPPORTED },
		{ "csr_pss.pem", X509_KEY_RSA, 0, X509_SIG_RSA_PSS, 2048, ERR_UNSUPPORTED },
		{ "csr_ou.pem", X509_KEY_RSA, 0, X509_SIG_RSA_SHA384, 2048, 0 },
		{ "csr_challenge.pem", X509_KEY_EC, BR_EC_secp256r1, X509_SIG_ECDSA_SHA256, 256, 0 },
		{ "csr_utf8.pem", X509_KEY_EC, BR_EC_secp256r1, X509_SIG_ECDSA_SHA256, 256, 0 },
		{ "csr_badsig.der", X509_KEY_EC, BR_EC_secp256r1, X509_SIG_ECDSA_SHA256, 256,
		    ERR_BADSIG },
	};
	unsigned char der[8192];
	struct x509_csr c;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct key_case *k = &cases[i];

		print_message("  %s\n", k->file);
		parse_ok(k->file, der, &c);
		assert_int_equal(c.key.type, k->type);
		assert_int_equal(c.key.curve, k->curve);
		assert_int_equal(c.key.bits, k->bits);
		assert_int_equal(c.sig_alg, k->sig_alg);
		assert_int_equal(x509_csr_verify(&c), k->verify);
	}
}

static void
test_csr_ou_exts(void **state)
{
	static const char *const dns[] = { "ou.example.ac.jp" };
	unsigned char der[8192];
	struct x509_csr c;

	(void)state;
	parse_ok("csr_ou.pem", der, &c);
	assert_str(&c.subject.attr[X509_NAME_OU], "Information Technology Center");
	assert_str(&c.subject.attr[X509_NAME_EMAIL], "admin@example.ac.jp");
	assert_int_equal(c.subject.n_rdn, 7);
	assert_format(&c.subject, "emailAddress=admin@example.ac.jp,CN=ou.example.ac.jp,"
	    "OU=Information Technology Center,O=Nagoya University,L=Nagoya,ST=Aichi,C=JP");
	assert_dns(&c.ext.san, dns, 1);
	assert_int_equal(c.ext.n, 3);
	assert_int_equal(c.ext.has_ku, 1);
	assert_int_equal(c.ext.ku_critical, 1);
	assert_int_equal(c.ext.ku, X509_KU_DIGITAL_SIGNATURE | X509_KU_KEY_ENCIPHERMENT);
	assert_int_equal(c.ext.has_bc, 1);
	assert_int_equal(c.ext.ca, 0);
	assert_int_equal(c.ext.path_len, -1);
	assert_int_equal(c.ext.n_other, 0);
}

static void
test_csr_challenge(void **state)
{
	unsigned char der[8192];
	struct x509_csr c;

	(void)state;
	parse_ok("csr_challenge.pem", der, &c);
	assert_int_equal(c.has_other_attrs, 1);
	assert_int_equal(c.has_ext_req, 0);
	assert_int_equal(c.ext.has_san, 0);
	assert_str(&c.subject.attr[X509_NAME_CN], "chal.example.ac.jp");
}

static void
test_csr_utf8(void **state)
{
	unsigned char der[8192];
	struct x509_csr c;

	(void)state;
	parse_ok("csr_utf8.pem", der, &c);
	assert_str(&c.subject.attr[X509_NAME_O], "\xe5\x90\x8d\xe5\x8f\xa4\xe5\xb1\x8b\xe5\xa4\xa7\xe5\xad\xa6");
	assert_str(&c.subject.attr[X509_NAME_OU], "Example, Inc.+x");
	assert_str(&c.subject.attr[X509_NAME_CN], "#utf8.example.ac.jp ");
	assert_format(&c.subject, "CN=\\#utf8.example.ac.jp\\ ,OU=Example\\, Inc.\\+x,"
	    "O=\xe5\x90\x8d\xe5\x8f\xa4\xe5\xb1\x8b\xe5\xa4\xa7\xe5\xad\xa6,C=JP");
}

static void
test_csr_unsupported_names(void **state)
{
	unsigned char der[8192];
	struct x509_csr c;
	size_t n;

	(void)state;
	n = load("csr_bmp.pem", der, sizeof der);
	assert_int_equal(x509_csr_parse(&c, der, n), ERR_UNSUPPORTED);
	n = load("csr_multirdn.pem", der, sizeof der);
	assert_int_equal(x509_csr_parse(&c, der, n), ERR_UNSUPPORTED);
}

static void
test_csr_trailing_and_truncated(void **state)
{
	unsigned char der[8192];
	struct x509_csr c;
	size_t n;

	(void)state;
	n = load("csr_p256_lego.pem", der, sizeof der);
	der[n] = 0x00;
	assert_int_equal(x509_csr_parse(&c, der, n + 1), ERR_MALFORMED);
	for (size_t i = 0; i < n; i++) {
		int rc = x509_csr_parse(&c, der, i);

		if (rc == 0)
			fail_msg("prefix of %zu bytes parsed", i);
	}
	assert_int_equal(x509_csr_parse(&c, der, n), 0);
	/* Oversized input is refused before parsing. */
	assert_int_equal(x509_csr_parse(&c, der, X509_DER_MAX + 1), ERR_TOOBIG);
}

/* Malformed framing of a real request: each variant must be refused as malformed. */
static void
test_csr_malformed_framing(void **state)
{
	unsigned char der[8192], bad[8300];
	struct x509_csr c;
	size_t n, body;

	(void)state;
	n = load("csr_p256_lego.pem", der, sizeof der);
	assert_int_equal(der[0], 0x30);
	assert_int_equal(der[1], 0x82); /* two length octets */
	body = ((size_t)der[2] << 8) | der[3];
	assert_int_equal(body + 4, n);

	/* length beyond end */
	memcpy(bad, der, n);
	bad[3]++;
	assert_int_equal(x509_csr_parse(&c, bad, n), ERR_MALFORMED);
	/* indefinite length with end-of-contents octets (BER, not DER) */
	bad[0] = 0x30;
	bad[1] = 0x80;
	memcpy(bad + 2, der + 4, body);
	bad[2 + body] = 0;
	bad[3 + body] = 0;
	assert_int_equal(x509_csr_parse(&c, bad, body + 4), ERR_MALFORMED);
	/* non-minimal length: three length octets with a leading zero */
	bad[0] = 0x30;
	bad[1] = 0x83;
	bad[2] = 0x00;
	bad[3] = der[2];
	bad[4] = der[3];
	memcpy(bad + 5, der + 4, body);
	assert_int_equal(x509_csr_parse(&c, bad, body + 5), ERR_MALFORMED);
	/* an inner length pointing past its parent (CertificationRequestInfo + 1) */
	memcpy(bad, der, n);
	assert_int_equal(bad[4], 0x30);
	bad[bad[5] == 0x81 ? 6 : 5]++;
	assert_int_equal(x509_csr_parse(&c, bad, n), ERR_MALFORMED);
	/* depth bomb: 1000 nested SEQUENCEs */
	for (size_t i = 0; i < 1000; i++) {
		size_t inner = 4 * (999 - i);

		bad[4 * i] = 0x30;
		bad[4 * i + 1] = 0x82;
		bad[4 * i + 2] = (unsigned char)(inner >> 8);
		bad[4 * i + 3] = (unsigned char)inner;
	}
	assert_int_equal(x509_csr_parse(&c, bad, 4000), ERR_MALFORMED);
	/* the original still parses */
	assert_int_equal(x509_csr_parse(&c, der, n), 0);
}

/* No single-bit change anywhere may give a request that parses AND verifies. */
static void
test_csr_bitflips(void **state)
{
	unsigned char der[8192];
	struct x509_csr c;
	size_t n;

	(void)state;
	n = load("csr_p256_lego.pem", der, sizeof der);
	for (size_t i = 0; i < n; i++) {
		for (unsigned b = 0; b < 8; b += 7) {
			der[i] ^= (unsigned char)(1u << b);
			if (x509_csr_parse(&c, der, n) == 0 && x509_csr_verify(&c) == 0)
				fail_msg("flip of bit %u in byte %zu still verifies", b, i);
			der[i] ^= (unsigned char)(1u << b);
		}
	}
}

/* CA/B BR 6.1.6: odd exponents from 2^16+1 to 2^256-1 only. */
static const char *
exp_problem(const unsigned char *e, size_t elen)
{
	struct x509_pubkey k;

	memset(&k, 0, sizeof(k));
	k.type = X509_KEY_RSA;
	k.e = e;
	k.elen = elen;
	return x509_rsa_exponent_problem(&k);
}

static void
test_csr_rsa_exponent(void **state)
{
	static const unsigned char e65537[] = { 0x01, 0x00, 0x01 };
	static const unsigned char e65537_pad[] = { 0x00, 0x01, 0x00, 0x01 };
	static const unsigned char e3[] = { 0x03 };
	static const unsigned char e1[] = { 0x01 };
	static const unsigned char e65535[] = { 0xff, 0xff };
	static const unsigned char e_even[] = { 0x01, 0x00, 0x02 };
	static const unsigned char e_zero[] = { 0x00 };
	unsigned char e_max[32], e_big[33];
	const char *why;

	(void)state;
	assert_null(exp_problem(e65537, sizeof(e65537)));
	assert_null(exp_problem(e65537_pad, sizeof(e65537_pad)));
	memset(e_max, 0xff, sizeof(e_max));            /* 2^256-1: the largest allowed */
	assert_null(exp_problem(e_max, sizeof(e_max)));
	memset(e_big, 0, sizeof(e_big));               /* 2^256+1 */
	e_big[0] = 1;
	e_big[32] = 1;
	assert_non_null(why = exp_problem(e_big, sizeof(e_big)));
	assert_non_null(strstr(why, "2^256-1"));
	assert_non_null(why = exp_problem(e3, sizeof(e3)));
	assert_non_null(strstr(why, "65537"));
	assert_non_null(why = exp_problem(e1, sizeof(e1)));
	assert_non_null(strstr(why, "below 3"));
	assert_non_null(why = exp_problem(e65535, sizeof(e65535)));
	assert_non_null(strstr(why, "65537"));
	assert_non_null(why = exp_problem(e_even, sizeof(e_even)));
	assert_non_null(strstr(why, "even"));
	assert_non_null(why = exp_problem(e_zero, sizeof(e_zero)));
	assert_non_null(strstr(why, "is 0"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csr_rsa2048_cn),
		cmocka_unit_test(test_csr_certbot_rsa),
		cmocka_unit_test(test_csr_certbot_staple),
		cmocka_unit_test(test_csr_certbot_ip),
		cmocka_unit_test(test_csr_lego_p256),
		cmocka_unit_test(test_csr_keys),
		cmocka_unit_test(test_csr_ou_exts),
		cmocka_unit_test(test_csr_challenge),
		cmocka_unit_test(test_csr_utf8),
		cmocka_unit_test(test_csr_unsupported_names),
		cmocka_unit_test(test_csr_trailing_and_truncated),
		cmocka_unit_test(test_csr_malformed_framing),
		cmocka_unit_test(test_csr_bitflips),
		cmocka_unit_test(test_csr_rsa_exponent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
