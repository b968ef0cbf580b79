/*
 * validate/http01_url: where an http-01 redirect goes (RFC 8555 §8.3, RFC 3986
 * §5.2). Each row: the current URL, the Location, and the URL that follows or
 * the reason it is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "util/err.h"
#include "validate/http01_url.h"

#define H01 5002     /* the configured http01_port of these rows */

struct row {
	const char *loc;
	int rc;
	const char *want;    /* "scheme host port target" or a substring of why */
};

/* From http://www.example.ac.jp:5002/.well-known/acme-challenge/tok?a=1 */
static const struct row rows[] = {
	{ "http://other.example.ac.jp/x", 0, "http other.example.ac.jp 80 /x" },
	{ "HTTPS://other.example.ac.jp/x?y=1#frag", 0, "https other.example.ac.jp 443 /x?y=1" },
	{ "https://other.example.ac.jp:5002/x", 0, "https other.example.ac.jp 5002 /x" },
	{ "http://other.example.ac.jp:443/x", ERR_UNSUPPORTED, "port 443 are not followed" },
	{ "https://other.example.ac.jp:80/x", ERR_UNSUPPORTED, "port 80 are not followed" },
	{ "http://other.example.ac.jp", 0, "http other.example.ac.jp 80 /" },
	{ "http://other.example.ac.jp?q", 0, "http other.example.ac.jp 80 /?q" },
	{ "http://Other.Example.ac.jp./x", 0, "http Other.Example.ac.jp 80 /x" },
	{ "//cdn.example.ac.jp/y", 0, "http cdn.example.ac.jp 80 /y" },
	{ "/abs/path", 0, "http www.example.ac.jp 5002 /abs/path" },
	{ "rel/tok2", 0, "http www.example.ac.jp 5002 /.well-known/acme-challenge/rel/tok2" },
	{ "../up", 0, "http www.example.ac.jp 5002 /.well-known/acme-challenge/../up" },
	{ "?b=2", 0, "http www.example.ac.jp 5002 /.well-known/acme-challenge/tok?b=2" },
	{ "#only-fragment", 0, "http www.example.ac.jp 5002 /.well-known/acme-challenge/" },
	{ "http://192.0.2.1/x", 0, "http 192.0.2.1 80 /x" },
	{ "http://[2001:db8::1]:5002/x", 0, "http 2001:db8::1 5002 /x" },
	{ "http://[::ffff:127.0.0.1]/x", 0, "http ::ffff:127.0.0.1 80 /x" },
	/* refused */
	{ "http://other.example.ac.jp:8080/x", ERR_UNSUPPORTED, "port 8080 are not followed" },
	{ "https://other.example.ac.jp:8443/x", ERR_UNSUPPORTED, "port 8443" },
	{ "http://other.example.ac.jp:0/x", ERR_UNSUPPORTED, "no usable host" },
	{ "http://other.example.ac.jp:65536/x", ERR_UNSUPPORTED, "no usable host" },
	{ "http://other.example.ac.jp:/x", 0, "http other.example.ac.jp 80 /x" },
	{ "http://other.example.ac.jp:80x/x", ERR_UNSUPPORTED, "no usable host" },
	{ "http://other.example.ac.jp:+80/x", ERR_UNSUPPORTED, "no usable host" },
	{ "ftp://other.example.ac.jp/x", ERR_UNSUPPORTED, "only http:// and https://" },
	{ "file:///etc/passwd", ERR_UNSUPPORTED, "only http:// and https://" },
	{ "javascript:alert(1)", ERR_UNSUPPORTED, "only http:// and https://" },
	{ "gopher:x", ERR_UNSUPPORTED, "only http:// and https://" },
	{ "http://user:pw@other.example.ac.jp/x", ERR_UNSUPPORTED, "user information" },
	{ "http://other.example.ac.jp/a b", ERR_UNSUPPORTED, "spaces, control" },
	{ "http://other.example.ac.jp/\x7f", ERR_UNSUPPORTED, "spaces, control" },
	{ "http://other.example.ac.jp/\xc3\xa9", ERR_UNSUPPORTED, "non-ASCII" },
	{ "http:///x", ERR_UNSUPPORTED, "no usable host" },
	{ "http://", ERR_UNSUPPORTED, "no usable host" },
	{ "http://exa%6dple.ac.jp/", ERR_UNSUPPORTED, "no usable host" },
	{ "http://[2001:db8::1/x", ERR_UNSUPPORTED, "no usable host" },
	{ "http://[2001:db8::1]x/x", ERR_UNSUPPORTED, "no usable host" },
	{ "http://[]/x", ERR_UNSUPPORTED, "no usable host" },
	{ "http://a:b:c/x", ERR_UNSUPPORTED, "no usable host" },
};

static void
test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct http01_url u = { 0, H01, "www.example.ac.jp", "/.well-known/acme-challenge/tok?a=1" };
		struct http01_url before = u;
		char why[200] = "", got[900];
		int rc = http01_url_redirect(&u, rows[i].loc, H01, why, sizeof(why));

		snprintf(got, sizeof(got), "%s %s %d %s", u.https ? "https" : "http", u.host, u.port,
		    u.target);
		if (rc != rows[i].rc || (rc == 0 && strcmp(got, rows[i].want) != 0) ||
		    (rc != 0 && (strstr(why, rows[i].want) == NULL ||
		    memcmp(&u, &before, sizeof(u)) != 0))) {
			print_error("row %zu '%s': got %d '%s' (why '%s'), want %d '%s'\n", i, rows[i].loc,
			    rc, got, why, rows[i].rc, rows[i].want);
			fail();
		}
	}
}

/* From an https URL, a scheme-relative or relative Location stays https. */
static void
test_from_https(void **state)
{
	struct http01_url u = { 1, 443, "www.example.ac.jp", "/a/b" };
	char why[200];

	(void)state;
	assert_int_equal(http01_url_redirect(&u, "c", H01, why, sizeof(why)), 0);
	assert_int_equal(u.https, 1);
	assert_int_equal(u.port, 443);
	assert_string_equal(u.target, "/a/c");
	assert_int_equal(http01_url_redirect(&u, "//cdn.example.ac.jp/d", H01, why, sizeof(why)), 0);
	assert_int_equal(u.https, 1);
	assert_int_equal(u.port, 443);
	assert_string_equal(u.host, "cdn.example.ac.jp");
	/* http01_port 80 (production): https on 5002 is refused, the message says what is allowed. */
	assert_int_equal(http01_url_redirect(&u, "https://x.example.ac.jp:5002/", 80, why, sizeof(why)),
	    ERR_UNSUPPORTED);
	assert_non_null(strstr(why, "only 80 for http, 443 for https"));
}

/* Results that would not fit are refused, not cut. */
static void
test_lengths(void **state)
{
	struct http01_url u = { 0, 80, "www.example.ac.jp", "/" };
	char loc[2000], why[200];

	(void)state;
	memset(loc, 'a', sizeof(loc) - 1);
	loc[sizeof(loc) - 1] = '\0';
	loc[0] = '/';
	assert_int_equal(http01_url_redirect(&u, loc, H01, why, sizeof(why)), ERR_UNSUPPORTED);
	assert_string_equal(u.target, "/");
	snprintf(loc, sizeof(loc), "http://%0300d.example/x", 0);
	assert_int_equal(http01_url_redirect(&u, loc, H01, why, sizeof(why)), ERR_UNSUPPORTED);
	memset(u.target, 'b', sizeof(u.target) - 1);
	u.target[0] = '/';
	u.target[sizeof(u.target) - 2] = '/';
	u.target[sizeof(u.target) - 1] = '\0';
	assert_int_equal(http01_url_redirect(&u, "rel", H01, why, sizeof(why)), ERR_UNSUPPORTED);
	assert_non_null(strstr(why, "too long"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_from_https),
		cmocka_unit_test(test_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
