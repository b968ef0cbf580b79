/* Identifier normalisation and the EAB allow-list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "acme/acme_int.h"
#include "util/err.h"

static int
norm(const char *in, char *out)
{
	const char *why = NULL;

	strcpy(out, in);
	return acme_ident_normalize(out, &why);
}

static void
test_normalize(void **state)
{
	char b[300];

	(void)state;
	assert_int_equal(norm("WWW.Example.AC.JP", b), 0);
	assert_string_equal(b, "www.example.ac.jp");
	assert_int_equal(norm("*.example.ac.jp", b), 0);
	assert_int_equal(norm("xn--eckwd4c7c.example.jp", b), 0);
	assert_int_equal(norm("a..b.jp", b), ERR_MALFORMED);
	assert_int_equal(norm("-a.example.jp", b), ERR_MALFORMED);
	assert_int_equal(norm("a-.example.jp", b), ERR_MALFORMED);
	assert_int_equal(norm("example.jp.", b), ERR_MALFORMED);
	assert_int_equal(norm("localhost", b), ERR_MALFORMED);
	assert_int_equal(norm("a_b.example.jp", b), ERR_MALFORMED);
	assert_int_equal(norm("*example.jp", b), ERR_MALFORMED);
	assert_int_equal(norm("www.*.example.jp", b), ERR_MALFORMED);
	assert_int_equal(norm("192.0.2.1", b), ERR_UNSUPPORTED);
	memset(b, 'a', 64);
	strcpy(b + 64, ".example.jp");
	{
		char c[300];
		assert_int_equal(norm(b, c), ERR_MALFORMED);   /* 64-character label */
	}
	memset(b, 'a', 63);
	strcpy(b + 63, ".example.jp");
	{
		char c[300];
		assert_int_equal(norm(b, c), 0);
	}
}

static void
test_allowed(void **state)
{
	struct rec_eab e;

	(void)state;
	memset(&e, 0, sizeof(e));
	strcpy(e.allow[0], "*.example.ac.jp");
	strcpy(e.allow[1], "www.other.jp");
	e.n_allow = 2;
	assert_true(acme_ident_allowed(&e, "www.example.ac.jp"));
	assert_true(acme_ident_allowed(&e, "a.b.example.ac.jp"));
	assert_true(acme_ident_allowed(&e, "www.other.jp"));
	assert_false(acme_ident_allowed(&e, "example.ac.jp"));      /* the domain itself is not below it */
	assert_false(acme_ident_allowed(&e, "badexample.ac.jp"));   /* no suffix confusion */
	assert_false(acme_ident_allowed(&e, "mail.other.jp"));
	assert_false(acme_ident_allowed(&e, "www.example.ac.jp.evil.jp"));
	/* A wildcard is allowed when every name it covers is: "*.d" by "*.d" or a "*." above d. */
	assert_true(acme_ident_allowed(&e, "*.example.ac.jp"));
	assert_true(acme_ident_allowed(&e, "*.a.b.example.ac.jp"));
	assert_false(acme_ident_allowed(&e, "*.ac.jp"));              /* wider than the pattern */
	assert_false(acme_ident_allowed(&e, "*.badexample.ac.jp"));
	assert_false(acme_ident_allowed(&e, "*.other.jp"));           /* a host name allows no wildcard */
	assert_false(acme_ident_allowed(&e, "*.www.other.jp"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
