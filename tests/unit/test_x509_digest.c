/* test_x509_digest: SHA-256 (FIPS 180-2 vectors) and HMAC-SHA-256 (RFC 4231). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "x509/digest.h"

static void
hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void
test_sha256(void **state)
{
	struct x509_sha256 h;
	unsigned char d[X509_SHA256_LEN];
	char s[2 * X509_SHA256_LEN + 1];

	(void)state;
	x509_sha256_init(&h);
	x509_sha256_out(&h, d);
	hex(d, sizeof(d), s);
	assert_string_equal(s, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* Two updates hash as one; out leaves h usable. */
	x509_sha256_update(&h, "a", 1);
	x509_sha256_update(&h, "bc", 2);
	x509_sha256_out(&h, d);
	hex(d, sizeof(d), s);
	assert_string_equal(s, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	x509_sha256_update(&h, "", 0);
	x509_sha256_out(&h, d);
	hex(d, sizeof(d), s);
	assert_string_equal(s, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	x509_sha256_init(&h);
	x509_sha256_update(&h, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	x509_sha256_out(&h, d);
	hex(d, sizeof(d), s);
	assert_string_equal(s, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_hmac(void **state)
{
	static const char msg[] = "what do ya want for nothing?";
	unsigned char d[X509_SHA256_LEN];
	char s[2 * X509_SHA256_LEN + 1];

	(void)state;
	x509_hmac_sha256("Jefe", 4, msg, sizeof(msg) - 1, d);
	hex(d, sizeof(d), s);
	assert_string_equal(s, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_hmac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
