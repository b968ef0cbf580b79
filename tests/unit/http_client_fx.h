/*
 * http_client_fx.h: what the HTTP client tests share (test_http_client.c,
 * test_http_client_tls.c): the project's own server on 127.0.0.1 with a few
 * routes, the client callbacks that record a result, and loop helpers with a
 * watchdog. Header-only; the functions are static inline so a test may leave
 * some unused.
 */
#ifndef TEST_HTTP_CLIENT_FX_H
#define TEST_HTTP_CLIENT_FX_H

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

#define LARGE_LEN (1024u * 1024)
#define SLOW_REPLY_MS 1500

static unsigned char *large_body;

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

static inline void
res_free(struct result *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static inline int
on_head_cb(void *arg, const struct http_client_resp *resp)
{
	struct result *r = arg;

	r->heads++;
	r->head_status = resp->status;
	return 0;
}

static inline int
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

static inline void
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

static inline void
h_small(struct http_req *req, void *arg)
{
	(void)arg;
	http_reply(req, 200, "text/plain", "hello world", 11);
}

static inline void
h_large(struct http_req *req, void *arg)
{
	(void)arg;
	http_reply(req, 200, "application/octet-stream", large_body, LARGE_LEN);
}

static inline void
h_cookies(struct http_req *req, void *arg)
{
	(void)arg;
	http_resp_header(req, "Set-Cookie", "JSESSIONID=abc123; Path=/; Secure");
	http_resp_header(req, "Set-Cookie", "lang=ja; Path=/");
	http_reply(req, 200, "text/plain", "ok", 2);
}

static inline void
h_redirect(struct http_req *req, void *arg)
{
	(void)arg;
	http_resp_header(req, "Location", "/small");
	http_reply(req, 302, NULL, NULL, 0);
}

static inline void
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

static inline void
h_challenge(struct http_req *req, void *arg)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s.thumbprint@%s",
	    req->path + strlen("/.well-known/acme-challenge/"), http_req_header(req, "host"));

	(void)arg;
	http_reply(req, 200, "application/octet-stream", buf, (size_t)n);
}

static inline void
h_peer(struct http_req *req, void *arg)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "peer_cert=%zu", req->peer_cert_len);

	(void)arg;
	http_reply(req, 200, "text/plain", buf, (size_t)n);
}

static inline void
h_nocontent(struct http_req *req, void *arg)
{
	(void)arg;
	http_reply(req, 204, NULL, NULL, 0);
}

static inline void
slow_fire(evutil_socket_t fd, short what, void *arg)
{
	struct env *e = arg;
	struct http_req *req = e->slow_req;

	(void)fd;
	(void)what;
	e->slow_req = NULL;
	http_reply(req, 200, "text/plain", "late", 4);
}

static inline void
slow_abort(struct http_req *req, void *arg)
{
	struct env *e = arg;

	(void)req;
	e->slow_req = NULL;
	event_del(e->slow_ev);
}

static inline void
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

static inline void
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

static inline void
env_close(struct env *e)
{
	http_server_free(e->srv);
	event_free(e->slow_ev);
	event_base_free(e->base);
	cur_env = NULL;
}

static inline void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Run the loop until r->done (or ms pass: then fail). */
static inline void
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
static inline void
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

static inline struct sockaddr_in
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
static inline struct http_client_req
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
static inline void
exchange(struct event_base *base, struct http_client_req *q, struct result *r)
{
	int rc = http_client_start(base, q, &r->c);

	if (rc != 0)
		fail_msg("http_client_start: %s", err_str(rc));
	assert_int_equal(r->done, 0);
	run_until(base, r, 10000);
	assert_int_equal(r->calls, 1);
}


/* The body of /large: LARGE_LEN bytes of a fixed pattern. 0 or -1. */
static inline int
large_body_make(void)
{
	large_body = malloc(LARGE_LEN);
	if (large_body == NULL)
		return -1;
	for (size_t i = 0; i < LARGE_LEN; i++)
		large_body[i] = (unsigned char)(i % 251 + (i >> 16));
	return 0;
}

#endif
