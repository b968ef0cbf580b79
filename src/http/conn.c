/*
 * One HTTP/1.1 connection: a resumable state machine. After every step the
 * connection recomputes what it waits for (read, write, a timer), as BearSSL's
 * engine state dictates on TLS listeners. Also the reply API handlers use.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "autoconf.h"
#include "http/reply.h"
#include "http/req_parse.h"
#include "http/server_int.h"
#include "tls/tls.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

static void conn_drive(struct http_conn *c);

static size_t
lim_header(const struct http_server *s)
{
	return s->cfg.max_header_bytes ? s->cfg.max_header_bytes : CONFIG_HTTP_MAX_HEADER_BYTES;
}

static size_t
lim_body(const struct http_server *s)
{
	return s->cfg.max_body_bytes ? s->cfg.max_body_bytes : CONFIG_HTTP_MAX_BODY_BYTES;
}

static void
timer_set(struct http_conn *c, unsigned seconds, int request)
{
	struct timeval tv = { (time_t)seconds, 0 };

	c->timing_request = (unsigned char)request;
	evtimer_add(&c->timer, &tv);
}

static void
timer_idle(struct http_conn *c)
{
	timer_set(c, c->srv->cfg.idle_timeout_s ? c->srv->cfg.idle_timeout_s :
	    CONFIG_HTTP_IDLE_TIMEOUT_S, 0);
}

static void
timer_request(struct http_conn *c)
{
	timer_set(c, c->srv->cfg.request_timeout_s ? c->srv->cfg.request_timeout_s :
	    CONFIG_HTTP_REQUEST_TIMEOUT_S, 1);
}

static void
req_free(struct http_conn *c)
{
	struct http_req *r = c->req;

	if (r == NULL)
		return;
	arena_free(&r->arena);
	free(r);
	c->req = NULL;
}

void
http_conn_free(struct http_conn *c)
{
	struct http_server *s = c->srv;

	if (c->req != NULL && !c->req->replied && c->req->abort_cb != NULL)
		c->req->abort_cb(c->req, c->req->abort_arg);
	req_free(c);
	if (c->armed)
		event_del(&c->ev);
	event_del(&c->timer);
	if (c->tls != NULL && c->shut) {
		tls_conn_free(c->tls);   /* lingered: close_notify sent, input drained */
	} else if (c->tls != NULL) {
		unsigned char sink[4096];

		tls_conn_close(c->tls, c->fd);
		tls_conn_free(c->tls);
		/*
		 * Unread bytes make close() send a reset, which can overtake what we
		 * sent last: read what already arrived (bounded) so the peer sees an
		 * orderly end of stream.
		 */
		shutdown(c->fd, SHUT_WR);
		for (int i = 0; i < 16 && recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
			;
	}
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->st.conns--;
	free(c);
}

/* A bare answer for requests we refuse before any handler runs; closes after. */
/* Body of an answer the server makes itself: the listener's format, or plain text. */
static int
error_body(const struct http_server *s, int status, const char *why, char *buf, size_t sz,
    const char **ctype)
{
	int n = -1;

	if (s->cfg.error_body != NULL)
		n = s->cfg.error_body(s->cfg.before_arg, status, why, buf, sz, ctype);
	if (n < 0 || (size_t)n >= sz) {
		*ctype = "text/plain";
		n = snprintf(buf, sz, "%d %s: %s\n", status, http_status_text(status), why);
		if (n < 0 || (size_t)n >= sz)
			n = 0;
	}
	return n;
}

static void
conn_error_reply(struct http_conn *c, int status, const char *why)
{
	char body[512], extra[512] = "";
	const char *ctype = NULL;
	int n = error_body(c->srv, status, why, body, sizeof(body), &ctype);

	log_info("%s: %s: %d %s (%s)", c->srv->cfg.name, c->peer, status,
	    http_status_text(status), why);
	req_free(c);
	buf_free(&c->in);
	c->head_len = c->need = 0;
	buf_reset(&c->out);
	c->out.max = HTTP_RESP_MAX;
	c->out_off = 0;
	if (c->srv->cfg.error_headers != NULL) {
		int e = c->srv->cfg.error_headers(c->srv->cfg.before_arg, extra, sizeof(extra));
		if (e < 0 || (size_t)e >= sizeof(extra) || strpbrk(extra, "\n") == NULL)
			extra[0] = '\0';
	}
	if (buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%s"
	    "Content-Length: %d\r\nConnection: close\r\n\r\n", status,
	    http_status_text(status), ctype, extra, n) != 0 || buf_append(&c->out, body, (size_t)n) != 0) {
		c->state = CS_CLOSE;
		return;
	}
	c->close_after = 1;
	c->linger = 1;
	c->state = CS_WRITE;
	timer_request(c);
}

static const struct http_route *
route_find(const struct http_server *s, const char *path, int *path_found)
{
	*path_found = 0;
	for (size_t i = 0; i < s->cfg.nroutes; i++) {
		const struct http_route *rt = &s->cfg.routes[i];
		if (rt->prefix ? strncmp(path, rt->path, strlen(rt->path)) == 0 :
		    strcmp(path, rt->path) == 0) {
			*path_found = 1;
			return rt;
		}
	}
	return NULL;
}

static void
conn_dispatch(struct http_conn *c)
{
	struct http_server *s = c->srv;
	struct http_req *r = c->req;
	const struct http_route *rt;
	unsigned allowed = 0;
	int found;

	s->st.requests++;
	if (c->tls != NULL)
		r->peer_cert = tls_conn_peer_cert(c->tls, &r->peer_cert_len);
	c->state = CS_HANDLE;
	event_del(&c->timer);
	rt = route_find(s, r->path, &found);
	if (rt == NULL) {
		http_reply_status(r, 404);
		return;
	}
	/* Several routes may share a path with different methods. */
	for (size_t i = 0; i < s->cfg.nroutes; i++) {
		const struct http_route *x = &s->cfg.routes[i];
		if (x->prefix ? strncmp(r->path, x->path, strlen(x->path)) == 0 :
		    strcmp(r->path, x->path) == 0) {
			allowed |= x->methods;
			if (x->methods & r->method) {
				x->fn(r, x->arg);
				return;
			}
		}
	}
	{
		char allow[64] = "";
		static const char *const names[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS" };
		for (int i = 0; i < 6; i++)
			if (allowed & (1u << i)) {
				if (allow[0])
					strcat(allow, ", ");
				strcat(allow, names[i]);
			}
		http_resp_header(r, "Allow", allow);
		http_reply_status(r, 405);
	}
}

/* A new request for the header block at c->in; 0 or the status to refuse with. */
static int
conn_parse_head(struct http_conn *c, size_t *content_length, const char **why)
{
	struct http_server *s = c->srv;
	struct http_req_meta m;
	struct http_req *r = calloc(1, sizeof(*r));
	int status;

	if (r == NULL) {
		*why = "out of memory";
		return 503;
	}
	c->req = r;
	r->conn = c;
	arena_init(&r->arena, lim_header(s) + lim_body(s) + 256 * 1024);
	memcpy(r->peer, c->peer, sizeof(r->peer));
	status = http_req_parse(r, c->in.p, c->head_len, lim_body(s), &m, why);
	if (status != 0)
		return status;
	c->close_after = (unsigned char)m.close;
	*content_length = m.content_length;
	return 0;
}

/* Try to complete a request from c->in; dispatch it when complete. */
static void
conn_parse(struct http_conn *c)
{
	struct http_server *s = c->srv;
	const char *why = NULL;
	size_t cl = 0, hl;
	int status;

	if (c->head_len == 0) {
		if (c->in.len == 0)
			return;
		/* Tolerate stray CRLFs between requests (RFC 9112 §2.2). */
		while (c->in.len > 0 && (c->in.p[0] == '\r' || c->in.p[0] == '\n'))
			buf_consume(&c->in, 1);
		hl = http_req_head_len(c->in.p, c->in.len);
		if (hl == 0) {
			if (c->in.len >= lim_header(s))
				conn_error_reply(c, 431, "request header block over the limit");
			return;
		}
		if (hl > lim_header(s)) {
			conn_error_reply(c, 431, "request header block over the limit");
			return;
		}
		c->head_len = hl;
		status = conn_parse_head(c, &cl, &why);
		if (status != 0) {
			conn_error_reply(c, status, why);
			return;
		}
		c->need = hl + cl;
	}
	if (c->in.len < c->need)
		return;
	{
		struct http_req *r = c->req;
		size_t bl = c->need - c->head_len;
		unsigned char *body = arena_alloc(&r->arena, bl + 1);

		if (body == NULL) {
			conn_error_reply(c, 503, "out of memory");
			return;
		}
		memcpy(body, c->in.p + c->head_len, bl);
		body[bl] = '\0';
		r->body = body;
		r->body_len = bl;
		buf_consume(&c->in, c->need);
		if (c->in.len == 0)
			buf_free(&c->in);
		c->head_len = c->need = 0;
	}
	conn_dispatch(c);
}

/* Read what is available into c->in; 0 progress or would block, <0 closed. */
static int
conn_read(struct http_conn *c)
{
	struct http_server *s = c->srv;
	size_t max = lim_header(s) + lim_body(s);

	if (c->in.max == 0)
		buf_init(&c->in, max);
	for (int turn = 0; turn < 16; turn++) {
		ssize_t n;
		size_t room;

		if (c->in.len >= max)
			return 0;
		room = max - c->in.len < HTTP_READ_CHUNK ? max - c->in.len : HTTP_READ_CHUNK;
		if (buf_reserve(&c->in, room) != 0)
			return ERR_NOMEM;
		if (c->tls != NULL) {
			n = tls_conn_read(c->tls, c->fd, c->in.p + c->in.len, room);
		} else {
			n = recv(c->fd, c->in.p + c->in.len, room, 0);
			if (n == 0)
				n = ERR_CLOSED;
			else if (n < 0)
				n = (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ?
				    ERR_AGAIN : -errno;
		}
		if (n == ERR_AGAIN)
			break;
		if (n <= 0) {
			if (n < 0 && n != ERR_CLOSED && c->tls != NULL)
				log_debug("%s: %s: TLS: %s (BearSSL error %d)", s->cfg.name, c->peer,
				    err_str((int)n), tls_conn_error(c->tls));
			return n == 0 ? ERR_CLOSED : (int)n;
		}
		if (c->in.len == 0 && !c->timing_request)
			timer_request(c);
		c->in.len += (size_t)n;
		if ((size_t)n < room)
			break;
	}
	if (c->in.len == 0 && c->in.cap > 0 && c->head_len == 0)
		buf_free(&c->in);   /* nothing buffered: an idle connection holds no buffer */
	return 0;
}

/*
 * Read what blocks a TLS write (see conn_write): into c->in, or dropped when an
 * error answer is going out. 1 when a record was read, 0 would block, <0 error.
 */
static int
conn_write_unjam(struct http_conn *c)
{
	unsigned char sink[HTTP_READ_CHUNK];
	size_t before = c->in.len;
	ssize_t n;
	int rc;

	if (!c->linger) {
		rc = conn_read(c);
		if (rc < 0)
			return rc;
		return c->in.len > before;
	}
	n = tls_conn_read(c->tls, c->fd, sink, sizeof(sink));
	if (n == ERR_AGAIN)
		return 0;
	if (n <= 0)
		return n == 0 ? ERR_CLOSED : (int)n;
	return 1;
}

/*
 * Lingering close: 1 when done (close now), 0 when waiting for the socket.
 * TLS: close_notify is sent and flushed before the write side is shut.
 */
static int
conn_linger(struct http_conn *c)
{
	unsigned char sink[HTTP_READ_CHUNK];

	if (!c->shut) {
		if (c->tls != NULL) {
			int rc = tls_conn_shutdown(c->tls, c->fd);
			if (rc == ERR_AGAIN)
				return 0;
			if (rc < 0)
				return 1;
		}
		shutdown(c->fd, SHUT_WR);
		c->shut = 1;
	}
	for (int turn = 0; turn < 16; turn++) {
		size_t want = c->linger_left < sizeof(sink) ? c->linger_left : sizeof(sink);
		ssize_t n;

		if (want == 0)
			return 1;
		n = recv(c->fd, sink, want, 0);
		if (n == 0)
			return 1;
		if (n < 0)
			return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
		c->linger_left -= (size_t)n;
	}
	return 0;
}

static void
conn_linger_start(struct http_conn *c)
{
	struct timeval tv = { (time_t)CONFIG_HTTP_LINGER_TIMEOUT_S, 0 };

	c->state = CS_LINGER;
	c->linger_left = CONFIG_HTTP_LINGER_MAX_BYTES;
	c->timing_request = 0;
	evtimer_add(&c->timer, &tv);
}

/*
 * TLS listener: a first byte that is an upper-case letter starts a plain HTTP
 * request (a TLS record starts with 0x16, SSLv2 with 0x80): answer it in plain
 * HTTP with a 400 saying so (the listener's error body), as nginx does, instead
 * of a silent close.
 * 0 (c->sniffed set once decided), or <0 when the peer is gone.
 */
static int
conn_sniff(struct http_conn *c)
{
	unsigned char b;
	ssize_t n = recv(c->fd, &b, 1, MSG_PEEK);

	if (n == 0)
		return ERR_CLOSED;
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
	c->sniffed = 1;
	if (b >= 'A' && b <= 'Z') {
		tls_conn_free(c->tls);
		c->tls = NULL;
		conn_error_reply(c, 400, "plain HTTP request sent to the HTTPS port; use https://");
	}
	return 0;
}

/* Write pending response bytes; 1 when all written and flushed, 0 pending, <0 error. */
static int
conn_write(struct http_conn *c)
{
	size_t budget = CONFIG_HTTP_MAX_WRITE_PER_EVENT;
	int unjam = 0;

	while (c->out_off < c->out.len && budget > 0) {
		size_t chunk = c->out.len - c->out_off;
		ssize_t n;

		if (chunk > budget)
			chunk = budget;
		if (c->tls != NULL) {
			n = tls_conn_write(c->tls, c->fd, c->out.p + c->out_off, chunk);
			if (n == ERR_AGAIN && tls_conn_want(c->tls) == EV_READ && unjam++ < 4) {
				/*
				 * One buffer for both directions: a record coming in
				 * blocks the answer until it has been read. Keep it for
				 * the next request, or drop it after an error answer.
				 */
				int rc = conn_write_unjam(c);
				if (rc < 0)
					return rc;
				if (rc > 0)
					continue;
				return 0;
			}
		} else {
			n = send(c->fd, c->out.p + c->out_off, chunk, MSG_NOSIGNAL);
			if (n < 0)
				n = (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ?
				    ERR_AGAIN : -errno;
		}
		if (n == ERR_AGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		c->out_off += (size_t)n;
		budget -= (size_t)n;
	}
	if (c->out_off < c->out.len)
		return 0;
	if (c->tls != NULL) {
		int rc = tls_conn_flush(c->tls, c->fd);
		if (rc == ERR_AGAIN)
			return 0;
		if (rc < 0)
			return rc;
	}
	return 1;
}

static void conn_event_cb(evutil_socket_t fd, short what, void *arg);

static void
conn_arm(struct http_conn *c)
{
	short want = 0;

	switch (c->state) {
	case CS_READ:
		want = c->tls ? tls_conn_want(c->tls) : EV_READ;
		if (want == 0)
			want = EV_READ;
		break;
	case CS_WRITE:
		want = c->tls ? tls_conn_want(c->tls) : EV_WRITE;
		if (want == 0)
			want = EV_WRITE;
		break;
	case CS_LINGER:
		want = c->shut ? EV_READ : EV_WRITE;
		break;
	default:
		break;
	}
	if (want == c->armed)
		return;
	if (c->armed)
		event_del(&c->ev);
	c->armed = want;
	if (want != 0) {
		event_assign(&c->ev, c->srv->base, c->fd, want | EV_PERSIST, conn_event_cb, c);
		event_add(&c->ev, NULL);
	}
}

static void
conn_drive(struct http_conn *c)
{
	c->in_drive = 1;
	for (int turn = 0; turn < 64; turn++) {
		enum conn_state before = c->state;
		int rc;

		if (c->state == CS_READ) {
			if (c->tls != NULL && !c->sniffed) {
				rc = conn_sniff(c);
				if (rc < 0) {
					c->state = CS_CLOSE;
					break;
				}
				if (c->state != CS_READ)
					continue;
				if (!c->sniffed)
					break;
			}
			conn_parse(c);
			if (c->state != CS_READ)
				continue;
			rc = conn_read(c);
			if (rc < 0) {
				c->state = CS_CLOSE;
				break;
			}
			conn_parse(c);
			if (c->state == CS_READ)
				break;     /* need more bytes */
			continue;
		}
		if (c->state == CS_WRITE) {
			rc = conn_write(c);
			if (rc < 0) {
				c->state = CS_CLOSE;
				break;
			}
			if (rc == 0)
				break;
			buf_free(&c->out);
			c->out_off = 0;
			if (c->close_after && c->linger) {
				conn_linger_start(c);
				continue;
			}
			if (c->close_after) {
				c->state = CS_CLOSE;
				break;
			}
			c->state = CS_READ;
			timer_idle(c);
			continue;
		}
		if (c->state == CS_LINGER) {
			if (conn_linger(c))
				c->state = CS_CLOSE;
			break;
		}
		if (c->state == CS_HANDLE || c->state == CS_CLOSE)
			break;
		if (c->state == before)
			break;
	}
	c->in_drive = 0;
	if (c->state == CS_CLOSE) {
		http_conn_free(c);
		return;
	}
	conn_arm(c);
}

static void
conn_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	(void)fd;
	(void)what;
	conn_drive(c);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	(void)fd;
	(void)what;
	/* A started, incomplete request gets its 408; anything else just closes. */
	if (c->state == CS_READ && c->timing_request && c->in.len > 0 &&
	    (c->tls == NULL || tls_conn_ready(c->tls))) {
		conn_error_reply(c, 408, "request not complete in time");
		conn_drive(c);
		return;
	}
	log_debug("%s: %s: %s timeout, closing", c->srv->cfg.name, c->peer,
	    c->state == CS_LINGER ? "linger" : c->timing_request ? "request" : "idle");
	http_conn_free(c);
}

int
http_conn_start(struct http_server *s, int fd, const char *peer, int family,
    const unsigned char addr[16])
{
	struct http_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(fd);
		return ERR_NOMEM;
	}
	c->srv = s;
	c->fd = fd;
	c->family = family;
	memcpy(c->addr, addr, sizeof(c->addr));
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	if (s->cfg.tls != NULL && tls_conn_new_server(&c->tls, s->cfg.tls) != 0) {
		log_err("%s: out of memory for a TLS connection", s->cfg.name);
		close(fd);
		free(c);
		return ERR_NOMEM;
	}
	evtimer_assign(&c->timer, s->base, conn_timer_cb, c);
	c->state = CS_READ;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->st.conns++;
	if (c->tls != NULL)
		timer_request(c);   /* the handshake must finish in time too */
	else
		timer_idle(c);
	conn_arm(c);
	return 0;
}

void
http_req_defer(struct http_req *r, void (*cb)(struct http_req *, void *), void *arg)
{
	r->abort_cb = cb;
	r->abort_arg = arg;
}

void
http_reply(struct http_req *r, int status, const char *ctype, const void *body, size_t len)
{
	struct http_conn *c = r->conn;
	struct http_server *s = c->srv;
	int rc;

	if (r->replied)
		return;
	r->replied = 1;
	if (s->cfg.before_reply != NULL)
		s->cfg.before_reply(r, status, s->cfg.before_arg);
	buf_init(&c->out, HTTP_RESP_MAX);
	c->out_off = 0;
	rc = http_reply_format(&c->out, r, status, ctype, body, len, c->close_after);
	if (rc != 0) {
		log_err("%s: %s: response of %zu bytes over the limit", s->cfg.name, c->peer, len);
		c->close_after = 1;
		buf_reset(&c->out);
		buf_printf(&c->out, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n");
	}
	log_debug("%s: %s: %s %s -> %d", s->cfg.name, c->peer, r->method_str, r->target, status);
	req_free(c);
	c->state = CS_WRITE;
	timer_request(c);
	if (!c->in_drive)
		conn_drive(c);
}

void
http_reply_status(struct http_req *r, int status)
{
	char body[512];
	const char *ctype = NULL;
	int n = error_body(r->conn->srv, status, status == 404 ? "no such resource" :
	    status == 405 ? "method not allowed for this resource" : http_status_text(status),
	    body, sizeof(body), &ctype);

	http_reply(r, status, ctype, body, (size_t)n);
}
