/*
 * The server's request parser (http/req_parse.c) alone, over buffers: what it
 * accepts and the status and reason of each refusal. Cases found by
 * fuzz_http_req are kept here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/req_parse.h"
#include "util/str.h"

static struct http_req req;
static struct http_req_meta meta;
static const char *why;

/* Parse text (a C string) as a header block: the status. */
static int
parse(const char *text, size_t len, size_t max_body)
{
	arena_free(&req.arena);
	memset(&req, 0, sizeof(req));
	arena_init(&req.arena, 64 * 1024);
	why = NULL;
	return http_req_parse(&req, (const unsigned char *)text, len, max_body, &meta, &why);
}

#define PARSE(lit) parse(lit, sizeof(lit) - 1, 65536)

static void
test_get(void **state)
{
	(void)state;
	assert_int_equal(PARSE("GET /acme/order/7?x=1 HTTP/1.1\r\nHost: a\r\nX-Y:  v \r\n\r\n"), 0);
	assert_int_equal(req.method, HTTP_GET);
	assert_string_equal(req.target, "/acme/order/7?x=1");
	assert_string_equal(req.path, "/acme/order/7");
	assert_string_equal(req.query, "x=1");
	assert_int_equal(req.minor, 1);
	assert_string_equal(http_req_header(&req, "x-y"), "v");
	assert_int_equal(meta.content_length, 0);
	assert_int_equal(meta.close, 0);
	assert_int_equal(PARSE("POST /x HTTP/1.0\r\nContent-Length: 12\r\n\r\n"), 0);
	assert_int_equal(meta.content_length, 12);
	assert_int_equal(meta.close, 1);
}

/* Found by fuzz_http_req: a request line starting with a space had an empty method. */
static void
test_empty_method(void **state)
{
	(void)state;
	assert_int_equal(PARSE(" /directory HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_string_equal(why, "malformed request line");
}

static void
test_refusals(void **state)
{
	static const char nul[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";

	(void)state;
	assert_int_equal(parse(nul, sizeof(nul) - 1, 65536), 400);
	assert_string_equal(why, "NUL byte in the request header block");
	assert_int_equal(PARSE("GET / HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(PARSE("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
	assert_int_equal(PARSE("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
	assert_int_equal(PARSE("GET x HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_int_equal(PARSE("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 411);
	assert_int_equal(PARSE("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), 400);
	assert_int_equal(PARSE("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n"), 400);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n",
	    strlen("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n"), 1999), 413);
	assert_int_equal(PARSE("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"), 400);
	assert_int_equal(PARSE("GET / HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n"), 400);
	assert_int_equal(PARSE("GET / HTTP/1.1\r\nHost: a\r\nX: a\001b\r\n\r\n"), 400);
}

static void
test_head_len(void **state)
{
	static const char two[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n";
	static const unsigned char lf[] = "GET / HTTP/1.1\nHost: a\n\nrest";

	(void)state;
	assert_int_equal(http_req_head_len((const unsigned char *)two, sizeof(two) - 1),
	    strlen("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
	assert_int_equal(http_req_head_len((const unsigned char *)STR_LIT("GET / HTTP/1.1\r\nHost: a\r\n")), 0);
	assert_int_equal(http_req_head_len(lf, sizeof(lf) - 1), sizeof(lf) - 1 - 4);
	assert_int_equal(http_req_head_len(NULL, 0), 0);
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(&req.arena);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_empty_method),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_head_len),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
