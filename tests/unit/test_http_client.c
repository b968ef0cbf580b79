/*
 * Unit tests for the outbound HTTP client (src/http/client.c) over plain TCP.
 * The client talks to the project's own server and to a tiny raw TCP server
 * with canned answers, all on 127.0.0.1 on one event_base. TLS cases:
 * test_http_client_tls.c; the response parser alone: test_http_resp_parse.c.
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
#include "http_client_fx.h"

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
static int
group_setup(void **state)
{
	(void)state;
	return large_body_make();
}

static int
group_teardown(void **state)
{
	(void)state;
	free(large_body);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
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
	};

	log_set_level(getenv("TEST_VERBOSE") ? PLOG_DEBUG : PLOG_ERR);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
