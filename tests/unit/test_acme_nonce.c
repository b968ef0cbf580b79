/* Nonce pool: single use, authenticated, bounded window, lost on restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "acme/acme_int.h"
#include "util/err.h"

static void
test_issue_consume_once(void **state)
{
	struct acme_nonces *n;
	char a[ACME_NONCE_LEN + 1], b[ACME_NONCE_LEN + 1];

	(void)state;
	assert_int_equal(acme_nonces_new(&n), 0);
	assert_int_equal(acme_nonce_issue(n, a), 0);
	assert_int_equal(acme_nonce_issue(n, b), 0);
	assert_int_equal(strlen(a), ACME_NONCE_LEN);
	assert_string_not_equal(a, b);
	assert_int_equal(acme_nonce_consume(n, b), 0);
	assert_int_equal(acme_nonce_consume(n, a), 0);
	assert_int_equal(acme_nonce_consume(n, a), ERR_EXISTS);   /* replay */
	assert_int_equal(acme_nonce_consume(n, b), ERR_EXISTS);
	acme_nonces_free(n);
}

static void
test_tampered_and_foreign(void **state)
{
	struct acme_nonces *n, *m;
	char a[ACME_NONCE_LEN + 1];

	(void)state;
	assert_int_equal(acme_nonces_new(&n), 0);
	assert_int_equal(acme_nonces_new(&m), 0);   /* as after a restart: another key */
	assert_int_equal(acme_nonce_issue(n, a), 0);
	assert_int_equal(acme_nonce_consume(m, a), ERR_NOTFOUND);
	a[5] = a[5] == 'A' ? 'B' : 'A';
	assert_int_equal(acme_nonce_consume(n, a), ERR_NOTFOUND);
	assert_int_equal(acme_nonce_consume(n, ""), ERR_NOTFOUND);
	assert_int_equal(acme_nonce_consume(n, "not-a-nonce-at-all-but-30-chr!"), ERR_NOTFOUND);
	acme_nonces_free(n);
	acme_nonces_free(m);
}

static void
test_window(void **state)
{
	struct acme_nonces *n;
	char first[ACME_NONCE_LEN + 1], x[ACME_NONCE_LEN + 1];

	(void)state;
	assert_int_equal(acme_nonces_new(&n), 0);
	assert_int_equal(acme_nonce_issue(n, first), 0);
	/* Push the first nonce out of the window: memory stays bounded. */
	for (int i = 0; i < CONFIG_ACME_NONCE_POOL; i++)
		assert_int_equal(acme_nonce_issue(n, x), 0);
	assert_int_equal(acme_nonce_consume(n, first), ERR_NOTFOUND);
	assert_int_equal(acme_nonce_consume(n, x), 0);   /* the newest still works */
	acme_nonces_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_consume_once),
		cmocka_unit_test(test_tampered_and_foreign),
		cmocka_unit_test(test_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
