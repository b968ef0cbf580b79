/*
 * Unit tests for the outbound HTTP client (src/http/client.c) and its response
 * parser (src/http/resp_parse.c). The client talks to the project's own server
 * and to a tiny raw TCP server with canned answers, all on 127.0.0.1 on one
 * event_base; TLS keys and certificates are made with the openssl CLI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>
#include <bearssl.h>
#include <event2/event.h>

#include "http/client.h"
#include "http/http.h"
#include "http/resp_parse.h"
#include "tls/tls.h"
#include "util/err.h"
#include "util/log.h"

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

static void
test_tls_kind(void **state)
{
	(void)state;
	/* client.c asks tls/ (tls_error_kind, tested against BearSSL's header in test_tls_error). */
	for (int e = 0; e < 1024; e++) {
		int want;

		switch (tls_error_kind(e)) {
		case TLS_ERROR_NONE:
			want = HTTP_CLIENT_TLS_NONE;
			break;
		case TLS_ERROR_SERVER_UNTRUSTED:
			want = HTTP_CLIENT_TLS_SERVER_UNTRUSTED;
			break;
		case TLS_ERROR_CLIENT_REFUSED:
			want = HTTP_CLIENT_TLS_CLIENT_REFUSED;
			break;
		default:
			want = HTTP_CLIENT_TLS_OTHER;
			break;
		}
		assert_int_equal(http_client_tls_kind(e), want);
	}
	assert_int_equal(http_client_tls_kind(BR_ERR_X509_NOT_TRUSTED), HTTP_CLIENT_TLS_SERVER_UNTRUSTED);
	assert_int_equal(http_client_tls_kind(BR_ERR_RECV_FATAL_ALERT + 48),
	    HTTP_CLIENT_TLS_CLIENT_REFUSED);
}

/* ---- client against servers on loopback ----------------------------------- */

#define LARGE_LEN (1024u * 1024)
#define SLOW_REPLY_MS 1500

static char tmpdir[64];
static unsigned char *large_body;

/*
 * recv() as the client and server code see it: with spurious_every = n, every
 * n-th call says EAGAIN although data may be there, as happens when a peer's
 * records arrive in several segments between two reads. Level-triggered
 * events must make up for it; a state machine that waits for the wrong
 * event stalls.
 */
static unsigned spurious_every, recv_calls;

ssize_t recv(int fd, void *buf, size_t len, int flags);

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	if (spurious_every > 0 && ++recv_calls % spurious_every == 0) {
		errno = EAGAIN;
		return -1;
	}
	return (ssize_t)syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
}

struct result {
	int done, calls, rc, status, tls_error, heads, head_status;
	char location[128], ctype[128];
	char cookies[4][128];
	int ncookies;
	unsigned char *body;       /* buffered copy or streamed bytes */
	size_t body_len, body_cap;
	int nchunks;
	size_t max_chunk;
	int64_t content_length;
	int abort_at_chunk;        /* streaming: return abort_rc at this chunk (1-based) */
	int abort_rc;
	int cancel_at_chunk;       /* streaming: http_client_cancel at this chunk */
	struct http_client *c;
};

static void
res_free(struct result *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static int
on_head_cb(void *arg, const struct http_client_resp *resp)
{
	struct result *r = arg;

	r->heads++;
	r->head_status = resp->status;
	return 0;
}

static int
on_body_cb(void *arg, const unsigned char *p, size_t n)
{
	struct result *r = arg;

	r->nchunks++;
	if (n > r->max_chunk)
		r->max_chunk = n;
	if (r->body_len + n > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap * 2 : 65536;
		while (cap < r->body_len + n)
			cap *= 2;
		r->body = realloc(r->body, cap);
		assert_non_null(r->body);
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, p, n);
	r->body_len += n;
	if (r->cancel_at_chunk && r->nchunks == r->cancel_at_chunk) {
		http_client_cancel(r->c);
		return 0;
	}
	if (r->abort_at_chunk && r->nchunks == r->abort_at_chunk)
		return r->abort_rc;
	return 0;
}

static void
on_done_cb(void *arg, int rc, const struct http_client_resp *resp)
{
	struct result *r = arg;
	const char *v;

	assert_non_null(resp);
	r->calls++;
	r->done = 1;
	r->rc = rc;
	r->status = resp->status;
	r->tls_error = resp->tls_error;
	r->content_length = resp->content_length;
	if ((v = http_client_resp_header(resp, "Location")) != NULL)
		snprintf(r->location, sizeof(r->location), "%s", v);
	if ((v = http_client_resp_header(resp, "content-type")) != NULL)
		snprintf(r->ctype, sizeof(r->ctype), "%s", v);
	{
		const char *vals[4];
		int n = http_client_resp_headers(resp, "set-cookie", vals, 4);
		r->ncookies = n;
		for (int i = 0; i < n && i < 4; i++)
			snprintf(r->cookies[i], sizeof(r->cookies[i]), "%s", vals[i]);
	}
	if (resp->body != NULL) {
		assert_int_equal(resp->body[resp->body_len], '\0');
		r->body = malloc(resp->body_len + 1);
		assert_non_null(r->body);
		memcpy(r->body, resp->body, resp->body_len + 1);
		r->body_len = resp->body_len;
	}
}

struct env {
	struct event_base *base;
	struct http_server *srv;
	struct tls_server *ts;
	int port;
	struct event *slow_ev;
	struct http_req *slow_req;
};

static struct env *cur_env;

static void
h_small(struct http_req *req, void *arg)
{
	(void)arg;
	http_reply(req, 200, "text/plain", "hello world", 11);
}

static void
h_large(struct http_req *req, void *arg)
{
	(void)arg;
	http_reply(req, 200, "application/octet-stream", large_body, LARGE_LEN);
}

static void
h_cookies(struct http_req *req, void *arg)
{
	(void)arg;
	http_resp_header(req, "Set-Cookie", "JSESSIONID=abc123; Path=/; Secure");
	http_resp_header(req, "Set-Cookie", "lang=ja; Path=/");
	http_reply(req, 200, "text/plain", "ok", 2);
}

static void
h_redirect(struct http_req *req, void *arg)
{
	(void)arg;
	http_resp_header(req, "Location", "/small");
	http_reply(req, 302, NULL, NULL, 0);
}

static void
h_echo(struct http_req *req, void *arg)
{
	const char *ct = http_req_header(req, "content-type"), *x = http_req_header(req, "x-test");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	unsigned sum = 0;

	(void)arg;
	for (size_t i = 0; i < req->body_len; i++)
		sum = sum * 31 + req->body[i];
	fprintf(f, "%s %zu %u ct=%s x=%s host=%s", req->method_str, req->body_len, sum,
	    ct ? ct : "-", x ? x : "-", http_req_header(req, "host"));
	if (req->body_len < 64)
		fprintf(f, " body=%.*s", (int)req->body_len, req->body);
	fclose(f);
	http_reply(req, 200, "text/plain", out, len);
	free(out);
}

static void
h_challenge(struct http_req *req, void *arg)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s.thumbprint@%s",
	    req->path + strlen("/.well-known/acme-challenge/"), http_req_header(req, "host"));

	(void)arg;
	http_reply(req, 200, "application/octet-stream", buf, (size_t)n);
}

static void
h_peer(struct http_req *req, void *arg)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "peer_cert=%zu", req->peer_cert_len);

	(void)arg;
	http_reply(req, 200, "text/plain", buf, (size_t)n);
}

static void
h_nocontent(struct http_req *req, void *arg)
{
	(void)arg;
	http_reply(req, 204, NULL, NULL, 0);
}

static void
slow_fire(evutil_socket_t fd, short what, void *arg)
{
	struct env *e = arg;
	struct http_req *req = e->slow_req;

	(void)fd;
	(void)what;
	e->slow_req = NULL;
	http_reply(req, 200, "text/plain", "late", 4);
}

static void
slow_abort(struct http_req *req, void *arg)
{
	struct env *e = arg;

	(void)req;
	e->slow_req = NULL;
	event_del(e->slow_ev);
}

static void
h_slow(struct http_req *req, void *arg)
{
	struct env *e = arg;
	struct timeval tv = { SLOW_REPLY_MS / 1000, (SLOW_REPLY_MS % 1000) * 1000 };

	e->slow_req = req;
	http_req_defer(req, slow_abort, e);
	evtimer_add(e->slow_ev, &tv);
}

static struct http_route routes[] = {
	{ HTTP_GET | HTTP_HEAD, "/small", 0, h_small, NULL },
	{ HTTP_GET, "/large", 0, h_large, NULL },
	{ HTTP_GET, "/cookies", 0, h_cookies, NULL },
	{ HTTP_GET, "/redirect", 0, h_redirect, NULL },
	{ HTTP_POST | HTTP_PUT | HTTP_GET, "/echo", 0, h_echo, NULL },
	{ HTTP_GET, "/.well-known/acme-challenge/", 1, h_challenge, NULL },
	{ HTTP_GET, "/peer", 0, h_peer, NULL },
	{ HTTP_GET, "/nocontent", 0, h_nocontent, NULL },
	{ HTTP_GET, "/slow", 0, h_slow, NULL },
};

static void
env_open(struct env *e, struct tls_server *ts)
{
	struct http_server_cfg cfg;
	struct sockaddr_in sin;

	memset(e, 0, sizeof(*e));
	e->base = event_base_new();
	assert_non_null(e->base);
	e->ts = ts;
	e->slow_ev = evtimer_new(e->base, slow_fire, e);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		routes[i].arg = e;
	memset(&cfg, 0, sizeof(cfg));
	cfg.tls = ts;
	cfg.routes = routes;
	cfg.nroutes = sizeof(routes) / sizeof(routes[0]);
	cfg.name = "test";
	cfg.max_body_bytes = 2u << 20;
	assert_int_equal(http_server_new(&e->srv, e->base, &cfg), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(http_server_listen(e->srv, (struct sockaddr *)&sin, sizeof(sin)), 0);
	e->port = http_server_port(e->srv);
	assert_true(e->port > 0);
	cur_env = e;
}

static void
env_close(struct env *e)
{
	http_server_free(e->srv);
	event_free(e->slow_ev);
	event_base_free(e->base);
	cur_env = NULL;
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Run the loop until r->done (or ms pass: then fail). */
static void
run_until(struct event_base *base, struct result *r, unsigned ms)
{
	int expired = 0;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event *wd = evtimer_new(base, watchdog_cb, &expired);

	evtimer_add(wd, &tv);
	while (!r->done && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(wd);
	if (!r->done)
		fail_msg("no on_done within %u ms", ms);
}

/* Run the loop for ms whatever happens. */
static void
run_for(struct event_base *base, unsigned ms)
{
	int expired = 0;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event *wd = evtimer_new(base, watchdog_cb, &expired);

	evtimer_add(wd, &tv);
	while (!expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(wd);
}

static struct sockaddr_in
loopback(int port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

/* A request to 127.0.0.1:port with everything else defaulted. */
static struct http_client_req
mkreq(const struct sockaddr_in *sin, const char *method, const char *target, struct result *r)
{
	struct http_client_req q;

	memset(&q, 0, sizeof(q));
	q.addr = (const struct sockaddr *)sin;
	q.addrlen = sizeof(*sin);
	q.method = method;
	q.host = "localhost";
	q.target = target;
	q.timeout_ms = 5000;
	q.on_done = on_done_cb;
	q.arg = r;
	return q;
}

/* Start q and run to on_done; checks on_done is not called from inside start. */
static void
exchange(struct event_base *base, struct http_client_req *q, struct result *r)
{
	int rc = http_client_start(base, q, &r->c);

	if (rc != 0)
		fail_msg("http_client_start: %s", err_str(rc));
	assert_int_equal(r->done, 0);
	run_until(base, r, 10000);
	assert_int_equal(r->calls, 1);
}

static void
test_small_buffered(void **state)
{
	struct env e;
	struct result r = { 0 };
	struct sockaddr_in sin;
	struct http_client_req q;

	(void)state;
	env_open(&e, NULL);
	sin = loopback(e.port);
	q = mkreq(&sin, "GET", "/small", &r);
	q.on_head = on_head_cb;
	q.max_body_bytes = 8192;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.heads, 1);
	assert_int_equal(r.head_status, 200);
	assert_string_equal(r.ctype, "text/plain");
	assert_int_equal(r.content_length, 11);
	assert_int_equal(r.body_len, 11);
	assert_memory_equal(r.body, "hello world", 11);
	res_free(&r);

	/* HEAD: no body, Content-Length still reported. */
	q = mkreq(&sin, "HEAD", "/small", &r);
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.content_length, 11);
	assert_int_equal(r.body_len, 0);
	res_free(&r);

	/* 204. */
	q = mkreq(&sin, "GET", "/nocontent", &r);
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 204);
	assert_int_equal(r.body_len, 0);
	res_free(&r);

	/* 404 is a complete response too. */
	q = mkreq(&sin, "GET", "/nowhere", &r);
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 404);
	res_free(&r);
	env_close(&e);
}

static void
test_http01_shape(void **state)
{
	struct env e;
	struct result r = { 0 };
	struct sockaddr_in sin;
	struct http_client_req q;
	char host[64], want[128];

	(void)state;
	env_open(&e, NULL);
	sin = loopback(e.port);
	snprintf(host, sizeof(host), "www.example.ac.jp:%d", e.port);
	q = mkreq(&sin, "GET", "/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0", &r);
	q.host = host;
	q.max_body_bytes = 8192;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	snprintf(want, sizeof(want), "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0.thumbprint@%s", host);
	assert_string_equal((char *)r.body, want);
	res_free(&r);

	/* Redirects are only reported. */
	q = mkreq(&sin, "GET", "/redirect", &r);
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 302);
	assert_string_equal(r.location, "/small");
	res_free(&r);
	env_close(&e);
}

static void
test_large_stream(void **state)
{
	struct env e;
	struct result r = { 0 };
	struct sockaddr_in sin;
	struct http_client_req q;

	(void)state;
	env_open(&e, NULL);
	sin = loopback(e.port);
	q = mkreq(&sin, "GET", "/large", &r);
	q.on_head = on_head_cb;
	q.on_body = on_body_cb;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.heads, 1);
	assert_int_equal(r.body_len, LARGE_LEN);
	assert_memory_equal(r.body, large_body, LARGE_LEN);
	assert_true(r.nchunks > 8);
	assert_true(r.max_chunk <= 8192);
	res_free(&r);

	/* Buffered with a smaller max: refused. */
	q = mkreq(&sin, "GET", "/large", &r);
	q.max_body_bytes = 512 * 1024;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, ERR_TOOBIG);
	assert_null(r.body);
	res_free(&r);

	/* Buffered with enough room. */
	q = mkreq(&sin, "GET", "/large", &r);
	q.max_body_bytes = LARGE_LEN;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.body_len, LARGE_LEN);
	assert_memory_equal(r.body, large_body, LARGE_LEN);
	res_free(&r);

	/* Streaming with a limit. */
	q = mkreq(&sin, "GET", "/large", &r);
	q.on_body = on_body_cb;
	q.max_body_bytes = 1000;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, ERR_TOOBIG);
	assert_int_equal(r.nchunks, 0);
	res_free(&r);

	/* The consumer aborts at the third chunk with its own code. */
	q = mkreq(&sin, "GET", "/large", &r);
	q.on_body = on_body_cb;
	r.abort_at_chunk = 3;
	r.abort_rc = ERR_STORE;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, ERR_STORE);
	assert_int_equal(r.nchunks, 3);
	res_free(&r);
	r.abort_at_chunk = 2;
	r.abort_rc = 1;
	q = mkreq(&sin, "GET", "/large", &r);
	q.on_body = on_body_cb;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, ERR_STATE);
	res_free(&r);

	/* Cancelled from inside on_body: no on_done. */
	q = mkreq(&sin, "GET", "/large", &r);
	q.on_body = on_body_cb;
	r.cancel_at_chunk = 2;
	assert_int_equal(http_client_start(e.base, &q, &r.c), 0);
	run_for(e.base, 300);
	assert_int_equal(r.calls, 0);
	assert_int_equal(r.nchunks, 2);
	res_free(&r);
	env_close(&e);
}

static void
test_cookies_post(void **state)
{
	static const char *const hdrs[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"X-Test: yes",
		"Cookie: JSESSIONID=abc123",
		NULL
	};
	static const char form[] = "user=ra&pass=p%40ss";
	struct env e;
	struct result r = { 0 };
	struct sockaddr_in sin;
	struct http_client_req q;
	unsigned char *up;
	size_t uplen = 300 * 1024;
	unsigned sum = 0;
	char want[256];

	(void)state;
	env_open(&e, NULL);
	sin = loopback(e.port);
	q = mkreq(&sin, "GET", "/cookies", &r);
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.ncookies, 2);
	assert_string_equal(r.cookies[0], "JSESSIONID=abc123; Path=/; Secure");
	assert_string_equal(r.cookies[1], "lang=ja; Path=/");
	res_free(&r);

	q = mkreq(&sin, "POST", "/echo", &r);
	q.headers = hdrs;
	q.body = form;
	q.body_len = strlen(form);
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	for (size_t i = 0; i < strlen(form); i++)
		sum = sum * 31 + (unsigned char)form[i];
	snprintf(want, sizeof(want), "POST %zu %u ct=application/x-www-form-urlencoded x=yes "
	    "host=localhost body=%s", strlen(form), sum, form);
	assert_string_equal((char *)r.body, want);
	res_free(&r);

	/* POST without a body sends Content-Length: 0. */
	q = mkreq(&sin, "POST", "/echo", &r);
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal((char *)r.body, "POST 0 0 ct=- x=- host=localhost body=");
	res_free(&r);

	/* A large upload (multipart-sized) goes out whole. */
	up = malloc(uplen);
	assert_non_null(up);
	sum = 0;
	for (size_t i = 0; i < uplen; i++) {
		up[i] = (unsigned char)(i * 13 + (i >> 9));
		sum = sum * 31 + up[i];
	}
	q = mkreq(&sin, "PUT", "/echo", &r);
	q.body = up;
	q.body_len = uplen;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	snprintf(want, sizeof(want), "PUT %zu %u ct=- x=- host=localhost", uplen, sum);
	assert_string_equal((char *)r.body, want);
	res_free(&r);
	free(up);
	env_close(&e);
}

static void
test_bad_requests(void **state)
{
	static const char *const crlf[] = { "X-A: b\r\nX-Evil: 1", NULL };
	static const char *const own[] = { "host: other", NULL };
	static const char *const own2[] = { "Content-Length: 3", NULL };
	static const char *const nocolon[] = { "Nope", NULL };
	struct event_base *base = event_base_new();
	struct result r = { 0 };
	struct sockaddr_in sin = loopback(9);
	struct http_client_req q;

	(void)state;
	q = mkreq(&sin, "GET", "/", &r);
	q.headers = crlf;
	assert_int_equal(http_client_start(base, &q, NULL), ERR_MALFORMED);
	q.headers = own;
	assert_int_equal(http_client_start(base, &q, NULL), ERR_MALFORMED);
	q.headers = own2;
	assert_int_equal(http_client_start(base, &q, NULL), ERR_MALFORMED);
	q.headers = nocolon;
	assert_int_equal(http_client_start(base, &q, NULL), ERR_MALFORMED);
	q = mkreq(&sin, "GET", "/a b", &r);
	assert_int_equal(http_client_start(base, &q, NULL), ERR_MALFORMED);
	q = mkreq(&sin, "GET", "http://x/", &r);
	assert_int_equal(http_client_start(base, &q, NULL), ERR_MALFORMED);
	q = mkreq(&sin, "G T", "/", &r);
	assert_int_equal(http_client_start(base, &q, NULL), ERR_MALFORMED);
	q = mkreq(&sin, "GET", "/", &r);
	q.host = "a\r\nb";
	assert_int_equal(http_client_start(base, &q, NULL), ERR_MALFORMED);
	q = mkreq(&sin, "GET", "/", &r);
	q.on_done = NULL;
	assert_int_equal(http_client_start(base, &q, NULL), ERR_MALFORMED);
	q = mkreq(&sin, "GET", "/", &r);
	q.max_header_bytes = 64u << 20;
	assert_int_equal(http_client_start(base, &q, NULL), ERR_RANGE);
	{
		static char huge[40000];
		static const char *const big[] = { huge, NULL };
		memset(huge, 'a', sizeof(huge) - 1);
		memcpy(huge, "X-Big: ", 7);
		q = mkreq(&sin, "GET", "/", &r);
		q.headers = big;
		assert_int_equal(http_client_start(base, &q, NULL), ERR_TOOBIG);
	}
	run_for(base, 50);
	assert_int_equal(r.calls, 0);
	event_base_free(base);
}

static void
test_refused_and_timeout(void **state)
{
	struct env e;
	struct result r = { 0 };
	struct sockaddr_in sin, addr;
	socklen_t al = sizeof(addr);
	struct http_client_req q;
	int fd;

	(void)state;
	env_open(&e, NULL);
	/* A port nobody listens on: bind one, learn it, close it. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sin = loopback(0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &al), 0);
	close(fd);
	q = mkreq(&addr, "GET", "/", &r);
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, -ECONNREFUSED);
	assert_int_equal(r.status, 0);
	res_free(&r);

	/* connect() fails at once: still reported from the loop, not from start. */
	sin = loopback(1);
	sin.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	q = mkreq(&sin, "GET", "/", &r);
	exchange(e.base, &q, &r);
	if (r.rc >= 0 || r.rc <= -1000)
		fail_msg("rc %d, expected -errno", r.rc);
	res_free(&r);

	/* The slow handler answers after the client gave up. */
	sin = loopback(e.port);
	q = mkreq(&sin, "GET", "/slow", &r);
	q.timeout_ms = 200;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, ERR_TIMEOUT);
	res_free(&r);

	/* Cancel before anything happens: no on_done. */
	q = mkreq(&sin, "GET", "/slow", &r);
	assert_int_equal(http_client_start(e.base, &q, &r.c), 0);
	http_client_cancel(r.c);
	run_for(e.base, 100);
	assert_int_equal(r.calls, 0);
	/* And cancel while waiting for the response. */
	q = mkreq(&sin, "GET", "/slow", &r);
	assert_int_equal(http_client_start(e.base, &q, &r.c), 0);
	run_for(e.base, 100);
	http_client_cancel(r.c);
	run_for(e.base, 100);
	assert_int_equal(r.calls, 0);
	env_close(&e);
}

/* ---- a raw TCP server with canned answers --------------------------------- */

struct raw_conn {
	int fd;
	struct event *ev;
	char in[8192];
	size_t inlen;
	int replied;
};

struct raw_srv {
	int lfd, port;
	struct event *lev;
	const char *resp;
	size_t resp_len;
	int close_after;          /* shutdown(SHUT_WR) after the answer */
	int silent;               /* never answer */
	struct raw_conn conns[8];
	int nconns;
};

static struct raw_srv *raw_cur;

static void
raw_conn_read(evutil_socket_t fd, short what, void *arg)
{
	struct raw_conn *c = arg;
	struct raw_srv *s = raw_cur;
	ssize_t n;

	(void)what;
	n = recv(fd, c->in + c->inlen, sizeof(c->in) - c->inlen - 1, 0);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			event_del(c->ev);
		return;
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	if (c->replied || strstr(c->in, "\r\n\r\n") == NULL || s->silent)
		return;
	c->replied = 1;
	for (size_t off = 0; off < s->resp_len;) {
		ssize_t w = send(fd, s->resp + off, s->resp_len - off, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		assert_true(w > 0);
		off += (size_t)w;
	}
	if (s->close_after)
		shutdown(fd, SHUT_WR);
}

static void
raw_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct raw_srv *s = arg;
	struct raw_conn *c;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)what;
	if (fd < 0)
		return;
	assert_true(s->nconns < 8);
	c = &s->conns[s->nconns++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->ev = event_new(cur_env->base, fd, EV_READ | EV_PERSIST, raw_conn_read, c);
	event_add(c->ev, NULL);
}

static void
raw_open(struct raw_srv *s, struct event_base *base, const char *resp, size_t len, int close_after)
{
	struct sockaddr_in sin = loopback(0);
	socklen_t sl = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->resp = resp;
	s->resp_len = len;
	s->close_after = close_after;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s->lfd, 8), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sin, &sl), 0);
	s->port = ntohs(sin.sin_port);
	s->lev = event_new(base, s->lfd, EV_READ | EV_PERSIST, raw_accept, s);
	event_add(s->lev, NULL);
	raw_cur = s;
}

static void
raw_close(struct raw_srv *s)
{
	for (int i = 0; i < s->nconns; i++) {
		event_free(s->conns[i].ev);
		close(s->conns[i].fd);
	}
	event_free(s->lev);
	close(s->lfd);
	raw_cur = NULL;
}

/* One canned answer, buffered body up to 8 KiB; returns rc, fills r. */
static int
raw_exchange(const char *resp, size_t len, int close_after, size_t max_header, struct result *r,
    const char **request_seen)
{
	static char seen[8192];
	struct env e;
	struct raw_srv s;
	struct sockaddr_in sin;
	struct http_client_req q;

	env_open(&e, NULL);
	raw_open(&s, e.base, resp, len, close_after);
	sin = loopback(s.port);
	q = mkreq(&sin, "GET", "/raw", r);
	q.max_body_bytes = 8192;
	q.max_header_bytes = max_header;
	q.timeout_ms = 2000;
	exchange(e.base, &q, r);
	if (request_seen != NULL) {
		snprintf(seen, sizeof(seen), "%s", s.nconns ? s.conns[0].in : "");
		*request_seen = seen;
	}
	raw_close(&s);
	env_close(&e);
	return r->rc;
}

static void
test_raw_framing(void **state)
{
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n"
	    "4;ext=1\r\nkey.\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-T: 1\r\n\r\n";
	static const char closed[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close";
	static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	static const char truncated[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
	struct result r = { 0 };
	const char *seen;

	(void)state;
	assert_int_equal(raw_exchange(chunked, strlen(chunked), 0, 0, &r, &seen), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal((char *)r.body, "key.abcdefghijklmnopqrstuvwxyz");
	assert_int_equal(r.ncookies, 2);
	assert_string_equal(r.cookies[0], "a=1");
	assert_string_equal(r.cookies[1], "b=2");
	/* What went out on the wire. */
	assert_string_equal(seen, "GET /raw HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
	res_free(&r);

	assert_int_equal(raw_exchange(closed, strlen(closed), 1, 0, &r, NULL), 0);
	assert_string_equal((char *)r.body, "body until close");
	assert_int_equal(r.content_length, -1);
	res_free(&r);

	assert_int_equal(raw_exchange(interim, strlen(interim), 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal((char *)r.body, "ok");
	res_free(&r);

	assert_int_equal(raw_exchange(truncated, strlen(truncated), 1, 0, &r, NULL), ERR_CLOSED);
	assert_int_equal(r.status, 200);
	res_free(&r);

	/* Closed without a byte. */
	assert_int_equal(raw_exchange("", 0, 1, 0, &r, NULL), ERR_CLOSED);
	assert_int_equal(r.status, 0);
	res_free(&r);
}

static void
test_raw_malformed(void **state)
{
	static const char badstatus[] = "HTTP/1.1 OK 200\r\nContent-Length: 0\r\n\r\n";
	static const char notttp[] = "SSH-2.0-OpenSSH_9.2\r\n\r\n";
	static const char fold[] = "HTTP/1.1 200 OK\r\nA: b\r\n c\r\nContent-Length: 0\r\n\r\n";
	char *big;
	size_t n;
	struct result r = { 0 };

	(void)state;
	assert_int_equal(raw_exchange(badstatus, strlen(badstatus), 1, 0, &r, NULL), ERR_PROTOCOL);
	res_free(&r);
	assert_int_equal(raw_exchange(notttp, strlen(notttp), 1, 0, &r, NULL), ERR_PROTOCOL);
	res_free(&r);
	assert_int_equal(raw_exchange(fold, strlen(fold), 1, 0, &r, NULL), ERR_PROTOCOL);
	res_free(&r);

	/* Header block over the limit: 20 KiB against the default 16 KiB, then against 1 KiB. */
	big = malloc(24 * 1024);
	assert_non_null(big);
	n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 40; i++) {
		n += (size_t)sprintf(big + n, "X-Pad-%d: ", i);
		memset(big + n, 'p', 500);
		n += 500;
		n += (size_t)sprintf(big + n, "\r\n");
	}
	n += (size_t)sprintf(big + n, "Content-Length: 0\r\n\r\n");
	assert_int_equal(raw_exchange(big, n, 0, 0, &r, NULL), ERR_TOOBIG);
	res_free(&r);
	assert_int_equal(raw_exchange(big, n, 0, 32768, &r, NULL), 0);
	assert_int_equal(r.status, 200);
	res_free(&r);
	n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\nX: ");
	memset(big + n, 'q', 1100);
	n += 1100;
	n += (size_t)sprintf(big + n, "\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(raw_exchange(big, n, 0, 1024, &r, NULL), ERR_TOOBIG);
	res_free(&r);
	/* Body over the 8 KiB buffered limit, close-delimited. */
	n = (size_t)sprintf(big, "HTTP/1.0 200 OK\r\n\r\n");
	memset(big + n, 'b', 9000);
	n += 9000;
	assert_int_equal(raw_exchange(big, n, 1, 0, &r, NULL), ERR_TOOBIG);
	res_free(&r);
	free(big);
}

static void
test_raw_silent_timeout(void **state)
{
	struct env e;
	struct raw_srv s;
	struct sockaddr_in sin;
	struct http_client_req q;
	struct result r = { 0 };

	(void)state;
	env_open(&e, NULL);
	raw_open(&s, e.base, "", 0, 0);
	s.silent = 1;
	sin = loopback(s.port);
	q = mkreq(&sin, "GET", "/", &r);
	q.timeout_ms = 150;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, ERR_TIMEOUT);
	res_free(&r);
	raw_close(&s);
	env_close(&e);
}

/* ---- TLS --------------------------------------------------------------------- */

static char path_srv_key[128], path_srv_cert[128], path_other_ca[128], path_other_key[128];
static char path_cli_ca[128], path_cli_ca_key[128], path_cli_key[128], path_cli_cert[128];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

static int
group_setup(void **state)
{
	(void)state;
	large_body = malloc(LARGE_LEN);
	if (large_body == NULL)
		return -1;
	for (size_t i = 0; i < LARGE_LEN; i++)
		large_body[i] = (unsigned char)(i % 251 + (i >> 16));
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_http_client.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path_srv_key, sizeof(path_srv_key), "%s/srv-key.pem", tmpdir);
	snprintf(path_srv_cert, sizeof(path_srv_cert), "%s/srv-cert.pem", tmpdir);
	snprintf(path_other_key, sizeof(path_other_key), "%s/other-key.pem", tmpdir);
	snprintf(path_other_ca, sizeof(path_other_ca), "%s/other-ca.pem", tmpdir);
	snprintf(path_cli_ca_key, sizeof(path_cli_ca_key), "%s/cli-ca-key.pem", tmpdir);
	snprintf(path_cli_ca, sizeof(path_cli_ca), "%s/cli-ca.pem", tmpdir);
	snprintf(path_cli_key, sizeof(path_cli_key), "%s/cli-key.pem", tmpdir);
	snprintf(path_cli_cert, sizeof(path_cli_cert), "%s/cli-cert.pem", tmpdir);
	/* Server: self-signed P-256 for localhost / 127.0.0.1. */
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
	    "-out %s -days 2 -subj /CN=localhost "
	    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null", path_srv_key,
	    path_srv_cert);
	/* An unrelated CA the client may wrongly trust. */
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
	    "-out %s -days 2 -subj /CN=Other-CA 2>/dev/null", path_other_key, path_other_ca);
	/* Client CA and an RSA client certificate from it (like a UPKI RA officer's). */
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
	    "-out %s -days 2 -subj /CN=Client-CA 2>/dev/null", path_cli_ca_key, path_cli_ca);
	sh("openssl req -new -newkey rsa:2048 -nodes -keyout %s -subj /CN=ra-officer "
	    "-out %s/cli.csr 2>/dev/null && openssl x509 -req -in %s/cli.csr -CA %s -CAkey %s "
	    "-CAcreateserial -days 2 -out %s "
	    "-extfile /dev/stdin 2>/dev/null <<'EOF'\nextendedKeyUsage=clientAuth\nEOF",
	    path_cli_key, tmpdir, tmpdir, path_cli_ca, path_cli_ca_key, path_cli_cert);
	chmod(path_srv_key, 0600);
	chmod(path_other_key, 0600);
	chmod(path_cli_ca_key, 0600);
	chmod(path_cli_key, 0600);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(large_body);
	if (tmpdir[0] != '\0')
		sh("rm -rf %s", tmpdir);
	return 0;
}

static struct tls_server *
tls_srv(int require_client)
{
	struct tls_server *ts = NULL;

	assert_int_equal(tls_server_load(&ts, path_srv_key, path_srv_cert), 0);
	if (require_client)
		assert_int_equal(tls_server_require_client_cert(ts, path_cli_ca), 0);
	return ts;
}

static void
test_tls_basic(void **state)
{
	struct tls_server *ts = tls_srv(0);
	struct tls_client *tc = NULL, *wrong = NULL;
	struct env e;
	struct result r = { 0 };
	struct sockaddr_in sin;
	struct http_client_req q;

	(void)state;
	assert_int_equal(tls_client_new(&tc, path_srv_cert, NULL, NULL), 0);
	assert_int_equal(tls_client_new(&wrong, path_other_ca, NULL, NULL), 0);
	env_open(&e, ts);
	sin = loopback(e.port);

	q = mkreq(&sin, "GET", "/small", &r);
	q.tls = tc;
	q.sni = "localhost";
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal((char *)r.body, "hello world");
	res_free(&r);

	/* 1 MiB streamed over TLS. */
	q = mkreq(&sin, "GET", "/large", &r);
	q.tls = tc;
	q.sni = "localhost";
	q.on_body = on_body_cb;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.body_len, LARGE_LEN);
	assert_memory_equal(r.body, large_body, LARGE_LEN);
	assert_true(r.nchunks > 8);
	res_free(&r);

	/* A 300 KiB upload over TLS. */
	{
		size_t uplen = 300 * 1024;
		unsigned char *up = malloc(uplen);
		unsigned sum = 0;
		char want[128];

		assert_non_null(up);
		for (size_t i = 0; i < uplen; i++) {
			up[i] = (unsigned char)(i * 7);
			sum = sum * 31 + up[i];
		}
		q = mkreq(&sin, "POST", "/echo", &r);
		q.tls = tc;
		q.sni = "localhost";
		q.body = up;
		q.body_len = uplen;
		exchange(e.base, &q, &r);
		assert_int_equal(r.rc, 0);
		snprintf(want, sizeof(want), "POST %zu %u ct=- x=- host=localhost", uplen, sum);
		assert_string_equal((char *)r.body, want);
		res_free(&r);
		free(up);
	}

	/* Untrusted server certificate. */
	q = mkreq(&sin, "GET", "/small", &r);
	q.tls = wrong;
	q.sni = "localhost";
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, ERR_TLS);
	if (http_client_tls_kind(r.tls_error) != HTTP_CLIENT_TLS_SERVER_UNTRUSTED)
		fail_msg("tls_error %d is not an X.509 error", r.tls_error);
	res_free(&r);

	/* Right CA, wrong name. */
	q = mkreq(&sin, "GET", "/small", &r);
	q.tls = tc;
	q.sni = "upki.example.jp";
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, ERR_TLS);
	assert_int_equal(r.tls_error, BR_ERR_X509_BAD_SERVER_NAME);
	res_free(&r);

	/* A TLS client against a plain server fails cleanly. */
	env_close(&e);
	env_open(&e, NULL);
	sin = loopback(e.port);
	q = mkreq(&sin, "GET", "/small", &r);
	q.tls = tc;
	q.sni = "localhost";
	q.timeout_ms = 2000;
	exchange(e.base, &q, &r);
	assert_true(r.rc != 0);
	res_free(&r);
	env_close(&e);
	tls_client_free(tc);
	tls_client_free(wrong);
	tls_server_free(ts);
}

static void
test_tls_client_cert(void **state)
{
	struct tls_server *ts = tls_srv(1);
	struct tls_client *with = NULL, *without = NULL;
	struct env e;
	struct result r = { 0 };
	struct sockaddr_in sin;
	struct http_client_req q;

	(void)state;
	assert_int_equal(tls_client_new(&with, path_srv_cert, path_cli_cert, path_cli_key), 0);
	assert_int_equal(tls_client_new(&without, path_srv_cert, NULL, NULL), 0);
	env_open(&e, ts);
	sin = loopback(e.port);

	q = mkreq(&sin, "GET", "/peer", &r);
	q.tls = with;
	q.sni = "localhost";
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_true(strncmp((char *)r.body, "peer_cert=", 10) == 0);
	assert_true(atoi((char *)r.body + 10) > 100);
	res_free(&r);

	q = mkreq(&sin, "GET", "/peer", &r);
	q.tls = without;
	q.sni = "localhost";
	exchange(e.base, &q, &r);
	if (r.rc != ERR_TLS && r.rc != ERR_CLOSED && r.rc != -ECONNRESET)
		fail_msg("rc %d (%s), expected a TLS failure", r.rc, err_str(r.rc));
	assert_int_equal(r.status, 0);
	if (r.rc == ERR_TLS && http_client_tls_kind(r.tls_error) != HTTP_CLIENT_TLS_CLIENT_REFUSED)
		fail_msg("tls_error %d not classified as a refused client certificate", r.tls_error);
	res_free(&r);
	env_close(&e);
	tls_client_free(with);
	tls_client_free(without);
	tls_server_free(ts);
}

/*
 * The handshake can complete inside a read, in any turn of the client's loop:
 * then the engine takes the request at once and the server waits for it. A
 * client that then waits for readable data waits until the server's request
 * timeout (seen against UPKI as "Broken pipe" after 30 s).
 */
static void
test_tls_handshake_ends_in_any_read(void **state)
{
	struct tls_server *ts = tls_srv(1);
	struct tls_client *tc = NULL;
	struct env e;
	struct result r = { 0 };
	struct sockaddr_in sin;
	struct http_client_req q;

	(void)state;
	assert_int_equal(tls_client_new(&tc, path_srv_cert, path_cli_cert, path_cli_key), 0);
	env_open(&e, ts);
	sin = loopback(e.port);
	for (unsigned every = 2; every <= 9; every++) {
		for (int k = 0; k < 4; k++) {
			/* first a full handshake, then resumed ones; GET and POST */
			spurious_every = every;
			recv_calls = (unsigned)k;
			q = mkreq(&sin, k % 2 ? "POST" : "GET", k % 2 ? "/echo" : "/peer", &r);
			q.tls = tc;
			q.sni = "localhost";
			q.timeout_ms = 3000;
			if (k % 2) {
				q.body = "forwardName=SP1011";
				q.body_len = 18;
			}
			exchange(e.base, &q, &r);
			spurious_every = 0;
			if (r.rc != 0)
				fail_msg("EAGAIN every %u reads, exchange %d: %s", every, k, err_str(r.rc));
			assert_int_equal(r.status, 200);
			res_free(&r);
		}
	}
	env_close(&e);
	tls_client_free(tc);
	tls_server_free(ts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_content_length),
		cmocka_unit_test(test_parse_chunked),
		cmocka_unit_test(test_parse_close_and_nobody),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_tls_kind),
		cmocka_unit_test(test_small_buffered),
		cmocka_unit_test(test_http01_shape),
		cmocka_unit_test(test_large_stream),
		cmocka_unit_test(test_cookies_post),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_refused_and_timeout),
		cmocka_unit_test(test_raw_framing),
		cmocka_unit_test(test_raw_malformed),
		cmocka_unit_test(test_raw_silent_timeout),
		cmocka_unit_test(test_tls_basic),
		cmocka_unit_test(test_tls_client_cert),
		cmocka_unit_test(test_tls_handshake_ends_in_any_read),
	};

	log_set_level(getenv("TEST_VERBOSE") ? PLOG_DEBUG : PLOG_ERR);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
