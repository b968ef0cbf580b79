/*
 * test_x509_acmeid.c: the RFC 8737 §3 check of a tls-alpn-01 certificate
 * (x509_acme_tlsalpn_check) on self-signed certificates made by openssl, each
 * wrong in one way (tests/unit/data/x509/tlsalpn/gen.sh), and on mutations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/err.h"
#include "x509/digest.h"
#include "x509/x509.h"

#define DATA "tests/unit/data/x509/tlsalpn/"
#define NAME "www.example.ac.jp"
#define KEYAUTH "alpn-test-token.alpn-test-thumbprint"

static unsigned char der[8192];
static struct x509_cert cert;
static char why[300];

static size_t
load(const char *name)
{
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, DATA "%s", name);
	if (!(f = fopen(path, "rb")))
		fail_msg("cannot open %s (run from the worktree root)", path);
	n = fread(der, 1, sizeof der, f);
	fclose(f);
	assert_true(n > 0 && n < sizeof der);
	return n;
}

static void
digest_of(const char *keyauth, unsigned char out[X509_ACME_ID_LEN])
{
	struct x509_sha256 h;

	x509_sha256_init(&h);
	x509_sha256_update(&h, keyauth, strlen(keyauth));
	x509_sha256_out(&h, out);
}

/* Check file against name with the test key authorization; returns rc, why in why. */
static int
check(const char *file, const char *name)
{
	unsigned char d[X509_ACME_ID_LEN];
	size_t n = load(file);

	digest_of(KEYAUTH, d);
	memset(why, 'x', sizeof why);
	return x509_acme_tlsalpn_check(&cert, der, n, name, d, why, sizeof why);
}

static void
assert_why(const char *want)
{
	for (const char *p = why; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	if (strstr(why, want) == NULL)
		fail_msg("reason \"%s\" does not contain \"%s\"", why, want);
}

static void
test_ok(void **state)
{
	(void)state;
	assert_int_equal(check("ok.der", NAME), 0);
	assert_string_equal(why, "");
	assert_int_equal(check("ok_rsa.der", NAME), 0);
}

static void
test_name_case_insensitive(void **state)
{
	(void)state;
	assert_int_equal(check("upper.der", NAME), 0);       /* SAN upper case, name lower */
	assert_int_equal(check("ok.der", "WWW.example.AC.jp"), 0);
}

static void
test_wrong_digest(void **state)
{
	unsigned char d[X509_ACME_ID_LEN];
	size_t n;

	(void)state;
	assert_int_equal(check("wrongdigest.der", NAME), ERR_DENIED);
	assert_why("is not the SHA-256 digest of the key authorization");
	/* The right certificate against another key authorization. */
	n = load("ok.der");
	digest_of(KEYAUTH "x", d);
	assert_int_equal(x509_acme_tlsalpn_check(&cert, der, n, NAME, d, why, sizeof why), ERR_DENIED);
	assert_why("acmeIdentifier (6614559e");   /* names what it saw */
}

static void
test_not_critical(void **state)
{
	(void)state;
	assert_int_equal(check("noncritical.der", NAME), ERR_DENIED);
	assert_why("not marked critical");
}

static void
test_two_sans(void **state)
{
	(void)state;
	assert_int_equal(check("twosan.der", NAME), ERR_DENIED);
	assert_why("has 2 entries (2 dNSName, 0 iPAddress, 0 other), not exactly one dNSName");
	assert_int_equal(check("ipsan.der", NAME), ERR_DENIED);
	assert_why("(1 dNSName, 1 iPAddress, 0 other)");
}

static void
test_wrong_name(void **state)
{
	(void)state;
	assert_int_equal(check("wrongname.der", NAME), ERR_DENIED);
	assert_why("is for www2.example.ac.jp, not www.example.ac.jp");
	/* No suffix or prefix matching. */
	assert_int_equal(check("ok.der", "example.ac.jp"), ERR_DENIED);
	assert_int_equal(check("ok.der", "www.example.ac.jp.evil.jp"), ERR_DENIED);
	assert_int_equal(check("ok.der", "ww.example.ac.jp"), ERR_DENIED);
}

static void
test_missing(void **state)
{
	(void)state;
	assert_int_equal(check("nosan.der", NAME), ERR_DENIED);
	assert_why("no subjectAltName");
	assert_int_equal(check("noid.der", NAME), ERR_DENIED);
	assert_why("no acmeIdentifier extension (1.3.6.1.5.5.7.1.31)");
}

static void
test_malformed_id(void **state)
{
	(void)state;
	/* 31 bytes, and a UTF8String instead of an OCTET STRING: the certificate is refused. */
	assert_int_equal(check("shortid.der", NAME), ERR_MALFORMED);
	assert_why("cannot be parsed");
	assert_int_equal(check("utf8id.der", NAME), ERR_MALFORMED);
}

static void
test_truncated_and_junk(void **state)
{
	unsigned char d[X509_ACME_ID_LEN];
	size_t n;

	(void)state;
	digest_of(KEYAUTH, d);
	n = load("ok.der");
	for (size_t cut = 0; cut < n; cut += 7)
		assert_int_not_equal(x509_acme_tlsalpn_check(&cert, der, cut, NAME, d, why, sizeof why), 0);
	der[n] = 0;   /* a trailing byte */
	assert_int_equal(x509_acme_tlsalpn_check(&cert, der, n + 1, NAME, d, why, sizeof why),
	    ERR_MALFORMED);
}

static void
test_small_reason_buffer(void **state)
{
	unsigned char d[X509_ACME_ID_LEN];
	char small[8];
	size_t n = load("twosan.der");

	(void)state;
	digest_of(KEYAUTH, d);
	memset(small, 'x', sizeof small);
	assert_int_equal(x509_acme_tlsalpn_check(&cert, der, n, NAME, d, small, sizeof small),
	    ERR_DENIED);
	assert_int_equal(strlen(small), sizeof small - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_name_case_insensitive),
		cmocka_unit_test(test_wrong_digest),
		cmocka_unit_test(test_not_critical),
		cmocka_unit_test(test_two_sans),
		cmocka_unit_test(test_wrong_name),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_malformed_id),
		cmocka_unit_test(test_truncated_and_junk),
		cmocka_unit_test(test_small_reason_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
