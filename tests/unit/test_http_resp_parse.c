/*
 * Unit tests for the HTTP/1.1 response parser (src/http/resp_parse.c) alone, no
 * sockets: framing by Content-Length, chunked and close, bodies that must be
 * empty, and malformed answers, fed whole and in small steps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/resp_parse.h"
#include "util/err.h"

/* ---- response parser, no sockets ------------------------------------------ */

struct pres {
	int rc;                    /* HTTP_RESP_DONE or an error */
	int status, nhdr, heads;
	char hdr[8][2][64];
	unsigned char body[256];
	size_t body_len;
	int64_t content_length;
};

/* Feed raw in pieces of step bytes (0: all at once), then EOF if still open. */
static void
pparse(const char *raw, size_t len, size_t step, int head_req, uint64_t max_body, size_t hcap,
    struct pres *o)
{
	static char hbuf[4096];
	struct http_resp_parser p;
	size_t off = 0;
	int rc = HTTP_RESP_NEED;

	memset(o, 0, sizeof(*o));
	assert_true(hcap <= sizeof(hbuf));
	http_resp_parser_init(&p, hbuf, hcap, max_body, head_req);
	while (off < len || rc != HTTP_RESP_NEED) {
		size_t piece = step == 0 || len - off < step ? len - off : step, used, n;
		const unsigned char *d;

		rc = http_resp_parse(&p, (const unsigned char *)raw + off, piece, &used, &d, &n);
		assert_true(used <= piece);
		off += used;
		if (rc < 0 || rc == HTTP_RESP_DONE)
			break;
		if (rc == HTTP_RESP_HEAD) {
			o->heads++;
			o->status = p.resp.status;
			o->nhdr = p.resp.nhdr;
			o->content_length = p.resp.content_length;
			for (int i = 0; i < p.resp.nhdr && i < 8; i++) {
				snprintf(o->hdr[i][0], sizeof(o->hdr[i][0]), "%s", p.resp.hdr[i].name);
				snprintf(o->hdr[i][1], sizeof(o->hdr[i][1]), "%s", p.resp.hdr[i].value);
			}
		}
		if (rc == HTTP_RESP_BODY) {
			assert_true(n > 0);
			assert_true(o->body_len + n <= sizeof(o->body));
			memcpy(o->body + o->body_len, d, n);
			o->body_len += n;
		}
	}
	if (rc == HTTP_RESP_NEED)
		rc = http_resp_parse_eof(&p);
	o->rc = rc;
}

/* Whole and byte by byte must agree. */
static void
pcheck(const char *raw, int head_req, uint64_t max_body, size_t hcap, int want_rc,
    int want_status, const char *want_body)
{
	struct pres a, b;

	for (int pass = 0; pass < 3; pass++) {
		size_t step = pass == 0 ? 0 : pass == 1 ? 1 : 7;

		pparse(raw, strlen(raw), step, head_req, max_body, hcap, &a);
		if (a.rc != want_rc)
			fail_msg("step %zu: rc %d, expected %d for %.60s", step, a.rc, want_rc, raw);
		if (want_rc == HTTP_RESP_DONE) {
			assert_int_equal(a.status, want_status);
			assert_int_equal(a.heads, 1);
			assert_int_equal(a.body_len, strlen(want_body));
			assert_memory_equal(a.body, want_body, a.body_len);
		}
		/* On errors, how much body came before depends on the pieces. */
		if (pass == 0)
			b = a;
		else if (want_rc == HTTP_RESP_DONE)
			assert_int_equal(a.content_length, b.content_length);
	}
}

static void
test_parse_content_length(void **state)
{
	struct pres o;
	const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Thing:  a b \r\n"
	    "Set-Cookie: s=1\r\n\r\nhelloTRAILING";

	(void)state;
	pparse(r, strlen(r), 0, 0, 0, 4096, &o);
	assert_int_equal(o.rc, HTTP_RESP_DONE);
	assert_int_equal(o.status, 200);
	assert_int_equal(o.content_length, 5);
	assert_int_equal(o.nhdr, 3);
	assert_string_equal(o.hdr[0][0], "content-length");
	assert_string_equal(o.hdr[1][0], "x-thing");
	assert_string_equal(o.hdr[1][1], "a b");
	assert_string_equal(o.hdr[2][0], "set-cookie");
	assert_int_equal(o.body_len, 5);
	assert_memory_equal(o.body, "hello", 5);
	pcheck(r, 0, 0, 4096, HTTP_RESP_DONE, 200, "hello");
	pcheck("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 0, 4096, HTTP_RESP_DONE, 200, "");
	/* Repeated identical Content-Length is fine. */
	pcheck("HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nok", 0, 0, 4096,
	    HTTP_RESP_DONE, 200, "ok");
	/* Missing reason phrase, lenient. */
	pcheck("HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", 0, 0, 4096, HTTP_RESP_DONE, 200, "ok");
	/* Bare LF line ends and leading blank lines. */
	pcheck("\r\n\nHTTP/1.0 404 Not Found\nContent-Length: 3\n\nnop", 0, 0, 4096,
	    HTTP_RESP_DONE, 404, "nop");
}

static void
test_parse_chunked(void **state)
{
	(void)state;
	pcheck("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5;name=\"v\"\r\nhello\r\n6\r\n world\r\nA \r\n0123456789\r\n0\r\n"
	    "X-Trailer: t\r\nOther: u\r\n\r\nGARBAGE", 0, 0, 4096, HTTP_RESP_DONE, 200,
	    "hello world0123456789");
	pcheck("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 99\r\n\r\n"
	    "1\nx\n0\n\n", 0, 0, 4096, HTTP_RESP_DONE, 200, "x");
	pcheck("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 0, 4096,
	    HTTP_RESP_DONE, 200, "");
	/* Leading zeros in a chunk size. */
	pcheck("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "00000000000000000000003\r\nabc\r\n0\r\n\r\n", 0, 0, 4096, HTTP_RESP_DONE, 200, "abc");
}

static void
test_parse_close_and_nobody(void **state)
{
	(void)state;
	pcheck("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", 0, 0, 4096,
	    HTTP_RESP_DONE, 200, "until close");
	pcheck("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", 0, 0, 4096,
	    HTTP_RESP_DONE, 204, "");
	pcheck("HTTP/1.1 304 Not Modified\r\n\r\n", 0, 0, 4096, HTTP_RESP_DONE, 304, "");
	/* HEAD: Content-Length describes the GET body, none follows. */
	pcheck("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 1, 0, 4096, HTTP_RESP_DONE, 200, "");
	/* Interim responses are dropped. */
	pcheck("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
	    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 0, 0, 4096, HTTP_RESP_DONE, 201, "ok");
}

static void
test_parse_errors(void **state)
{
	char big[4200], many[4096];
	size_t n = 0;

	(void)state;
	pcheck("HTTP/2 200 OK\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 20 OK\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 600 Odd\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 099 Odd\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 2000 OK\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("ICY 200 OK\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 O\x01K\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nA : b\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\n: b\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", 0, 0, 4096,
	    ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0, 0, 4096,
	    ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, 0, 4096,
	    ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	    0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, 0, 4096,
	    ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 0, 0, 4096,
	    ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n", 0, 0, 4096,
	    ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX", 0, 0, 4096,
	    ERR_PROTOCOL, 0, NULL);
	pcheck("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	/* Too many 1xx. */
	for (int i = 0; i <= HTTP_CLIENT_MAX_1XX; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "HTTP/1.1 100 Continue\r\n\r\n");
	snprintf(many + n, sizeof(many) - n, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	pcheck(many, 0, 0, 4096, ERR_PROTOCOL, 0, NULL);
	/* Limits. */
	memset(big, 0, sizeof(big));
	n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX: ");
	memset(big + n, 'a', 300);
	strcpy(big + n + 300, "\r\n\r\n");
	pcheck(big, 0, 0, 256, ERR_TOOBIG, 0, NULL);
	pcheck(big, 0, 0, 4096, HTTP_RESP_DONE, 200, "");     /* close-delimited, empty */
	n = (size_t)snprintf(many, sizeof(many), "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i <= HTTP_CLIENT_MAX_HEADERS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "H%d: v\r\n", i);
	snprintf(many + n, sizeof(many) - n, "\r\n");
	pcheck(many, 0, 0, 4096, ERR_TOOBIG, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", 0, 10, 4096, ERR_TOOBIG, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 0, 10, 4096,
	    HTTP_RESP_DONE, 200, "0123456789");
	pcheck("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n", 0, 10, 4096,
	    ERR_TOOBIG, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\n\r\n01234567890", 0, 10, 4096, ERR_TOOBIG, 0, NULL);
	/* Trailer section over the header limit. */
	n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: ");
	memset(big + n, 'a', 300);
	strcpy(big + n + 300, "\r\n\r\n");
	pcheck(big, 0, 0, 256, ERR_TOOBIG, 0, NULL);
	/* Truncated. */
	pcheck("", 0, 0, 4096, ERR_CLOSED, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nContent-Len", 0, 0, 4096, ERR_CLOSED, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 0, 0, 4096, ERR_CLOSED, 0, NULL);
	pcheck("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 0, 0, 4096,
	    ERR_CLOSED, 0, NULL);
	/* A NUL inside the header block. */
	{
		static const char nul[] = "HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n";
		struct pres o;
		pparse(nul, sizeof(nul) - 1, 0, 0, 0, 4096, &o);
		assert_int_equal(o.rc, ERR_PROTOCOL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_content_length),
		cmocka_unit_test(test_parse_chunked),
		cmocka_unit_test(test_parse_close_and_nobody),
		cmocka_unit_test(test_parse_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
