/*
 * test_tls_error: tls_error_kind / tls_error_alert / tls_error_name against
 * the real BearSSL header (the rest of the program sees only these).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <bearssl.h>

#include "tls/tls.h"

static void
test_kind(void **state)
{
	(void)state;
	assert_int_equal(tls_error_kind(0), TLS_ERROR_NONE);
	assert_int_equal(tls_error_kind(BR_ERR_X509_NOT_TRUSTED), TLS_ERROR_SERVER_UNTRUSTED);
	assert_int_equal(tls_error_kind(BR_ERR_X509_EXPIRED), TLS_ERROR_SERVER_UNTRUSTED);
	assert_int_equal(tls_error_kind(BR_ERR_X509_BAD_SERVER_NAME), TLS_ERROR_SERVER_UNTRUSTED);
	assert_int_equal(tls_error_kind(BR_ERR_X509_INVALID_VALUE), TLS_ERROR_SERVER_UNTRUSTED);
	assert_int_equal(tls_error_kind(BR_ERR_X509_WEAK_PUBLIC_KEY), TLS_ERROR_SERVER_UNTRUSTED);
	assert_int_equal(tls_error_kind(BR_ERR_RECV_FATAL_ALERT + 42), TLS_ERROR_CLIENT_REFUSED);
	assert_int_equal(tls_error_kind(BR_ERR_RECV_FATAL_ALERT + 48), TLS_ERROR_CLIENT_REFUSED);
	assert_int_equal(tls_error_kind(BR_ERR_RECV_FATAL_ALERT + 116), TLS_ERROR_CLIENT_REFUSED);
	assert_int_equal(tls_error_kind(BR_ERR_RECV_FATAL_ALERT + 40), TLS_ERROR_OTHER);
	assert_int_equal(tls_error_kind(BR_ERR_SEND_FATAL_ALERT + 42), TLS_ERROR_OTHER);
	assert_int_equal(tls_error_kind(BR_ERR_BAD_MAC), TLS_ERROR_OTHER);
	assert_int_equal(tls_error_kind(BR_ERR_IO), TLS_ERROR_OTHER);
	assert_int_equal(tls_error_kind(BR_ERR_X509_OK), TLS_ERROR_OTHER);
}

static void
test_alert(void **state)
{
	(void)state;
	assert_int_equal(tls_error_alert(0), -1);
	assert_int_equal(tls_error_alert(BR_ERR_X509_NOT_TRUSTED), -1);
	assert_int_equal(tls_error_alert(BR_ERR_RECV_FATAL_ALERT), 0);
	assert_int_equal(tls_error_alert(BR_ERR_RECV_FATAL_ALERT + 48), 48);
	assert_int_equal(tls_error_alert(BR_ERR_RECV_FATAL_ALERT + 255), 255);
	assert_int_equal(tls_error_alert(BR_ERR_SEND_FATAL_ALERT), -1);
	assert_int_equal(tls_error_alert(BR_ERR_SEND_FATAL_ALERT + 42), -1);
}

/* Every code's name is its BearSSL macro name, alone or before ": why". */
static void
test_name(void **state)
{
#define E(x) {x, #x}
	static const struct {
		int code;
		const char *name;
	} codes[] = {
		E(BR_ERR_BAD_PARAM), E(BR_ERR_BAD_STATE), E(BR_ERR_UNSUPPORTED_VERSION),
		E(BR_ERR_BAD_MAC), E(BR_ERR_BAD_HANDSHAKE), E(BR_ERR_BAD_CIPHER_SUITE),
		E(BR_ERR_BAD_SNI), E(BR_ERR_NO_CLIENT_AUTH), E(BR_ERR_IO),
		E(BR_ERR_X509_INVALID_VALUE), E(BR_ERR_X509_EMPTY_CHAIN), E(BR_ERR_X509_BAD_TIME),
		E(BR_ERR_X509_EXPIRED), E(BR_ERR_X509_BAD_SERVER_NAME), E(BR_ERR_X509_NOT_CA),
		E(BR_ERR_X509_WEAK_PUBLIC_KEY), E(BR_ERR_X509_NOT_TRUSTED),
	};
#undef E
	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *n = tls_error_name(codes[i].code);
		size_t k = strlen(codes[i].name);

		assert_int_equal(strncmp(n, codes[i].name, k), 0);
		assert_true(n[k] == '\0' || n[k] == ':');
	}
	assert_string_equal(tls_error_name(BR_ERR_X509_NOT_TRUSTED),
	    "BR_ERR_X509_NOT_TRUSTED: the server certificate does not chain to a trusted CA");
	assert_string_equal(tls_error_name(BR_ERR_RECV_FATAL_ALERT + 48),
	    "BR_ERR_RECV_FATAL_ALERT: the server sent alert 48 (unknown_ca)");
	assert_string_equal(tls_error_name(BR_ERR_SEND_FATAL_ALERT + 40),
	    "BR_ERR_SEND_FATAL_ALERT: we sent alert 40 (handshake_failure)");
	assert_string_equal(tls_error_name(BR_ERR_RECV_FATAL_ALERT + 99),
	    "BR_ERR_RECV_FATAL_ALERT: the server sent alert 99 (?)");
	assert_string_equal(tls_error_name(9999), "unknown BearSSL error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_alert),
		cmocka_unit_test(test_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
