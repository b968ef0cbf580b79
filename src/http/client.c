/*
 * Outbound HTTP/1.1 client: one exchange per connection, a resumable state
 * machine (connect, send, receive) on one I/O event and one timer. On TLS the
 * engine state says what to wait for, as in server.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include "autoconf.h"
#include "http/client.h"
#include "http/resp_parse.h"
#include "tls/tls.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define CLIENT_READ_CHUNK 8192
#define CLIENT_READ_PER_EVENT (256u * 1024)  /* then yield to other events */
#define CLIENT_MAX_HEADER_CAP (1u << 20)     /* largest max_header_bytes accepted */
#define CLIENT_MAX_EXTRA_HEADERS 64

enum client_state { CL_CONNECT, CL_SEND, CL_RECV, CL_DONE };

/* What client_send reports besides errors. */
enum { SEND_NONE, SEND_SOME, SEND_BUDGET, SEND_DONE };

/* What client_recv and client_feed report besides errors. */
enum { RECV_AGAIN, RECV_DONE, RECV_BUDGET, RECV_CANCELLED };

struct http_client {
	struct event_base *base;
	struct event ev;
	struct event timer;
	short armed;                /* events ev is registered for */
	unsigned char ev_ready;     /* ev and timer assigned */
	unsigned char in_cb;        /* inside on_head or on_body */
	unsigned char cancelled;
	unsigned char has_sni;
	enum client_state state;
	int fd;
	int pending_rc;             /* failure found in http_client_start, reported by the timer */
	int send_err;               /* send failed; a response may still be readable */
	struct tls_client *tc;
	struct tls_conn *tls;
	struct buf out;             /* request line and fields */
	size_t out_off;
	const unsigned char *body;
	size_t body_len, body_off;
	struct buf bodybuf;         /* buffered mode */
	int (*on_head)(void *arg, const struct http_client_resp *resp);
	int (*on_body)(void *arg, const unsigned char *p, size_t n);
	void (*on_done)(void *arg, int rc, const struct http_client_resp *resp);
	void *arg;
	struct http_resp_parser p;
	char sni[256];
	char peer[64];
	char label[128];            /* "METHOD host target" for log lines */
	char hbuf[];                /* response header block */
};

static void client_event_cb(evutil_socket_t fd, short what, void *arg);

enum http_client_tls_kind
http_client_tls_kind(int err)
{
	switch (tls_error_kind(err)) {
	case TLS_ERROR_NONE:
		return HTTP_CLIENT_TLS_NONE;
	case TLS_ERROR_SERVER_UNTRUSTED:
		return HTTP_CLIENT_TLS_SERVER_UNTRUSTED;
	case TLS_ERROR_CLIENT_REFUSED:
		return HTTP_CLIENT_TLS_CLIENT_REFUSED;
	default:
		return HTTP_CLIENT_TLS_OTHER;
	}
}

const char *
http_client_resp_header(const struct http_client_resp *r, const char *name)
{
	for (int i = 0; i < r->nhdr && i < HTTP_CLIENT_MAX_HEADERS; i++)
		if (strcasecmp(r->hdr[i].name, name) == 0)
			return r->hdr[i].value;
	return NULL;
}

int
http_client_resp_headers(const struct http_client_resp *r, const char *name, const char **vals,
    int max)
{
	int n = 0;

	for (int i = 0; i < r->nhdr && i < HTTP_CLIENT_MAX_HEADERS; i++) {
		if (strcasecmp(r->hdr[i].name, name) != 0)
			continue;
		if (n < max)
			vals[n] = r->hdr[i].value;
		n++;
	}
	return n;
}

static int
client_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Visible ASCII only: no space, no control character. */
static int
client_vchars(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static int
client_header_ok(const char *h)
{
	static const char *const owned[] = {
		"host", "content-length", "connection", "transfer-encoding"
	};
	const char *colon = strchr(h, ':');
	size_t nl;

	if (colon == NULL || colon == h || strpbrk(h, "\r\n") != NULL)
		return 0;
	for (const char *n = h; n < colon; n++)
		if (!client_tchar((unsigned char)*n))
			return 0;
	nl = (size_t)(colon - h);
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (strlen(owned[i]) == nl && strncasecmp(h, owned[i], nl) == 0)
			return 0;
	for (const char *v = colon + 1; *v; v++)
		if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f)
			return 0;
	return 1;
}

static int
client_build_request(struct http_client *c, const struct http_client_req *req)
{
	const char *m = req->method;
	int rc;

	if (m == NULL || m[0] == '\0' || strlen(m) > 32 || req->host == NULL ||
	    req->target == NULL || req->target[0] != '/' || !client_vchars(req->target) ||
	    !client_vchars(req->host) || (req->body == NULL && req->body_len > 0))
		return ERR_MALFORMED;
	for (const char *x = m; *x; x++)
		if (!client_tchar((unsigned char)*x))
			return ERR_MALFORMED;
	rc = buf_printf(&c->out, "%s %s HTTP/1.1\r\nHost: %s\r\n", m, req->target, req->host);
	if (rc == 0 && req->headers != NULL) {
		int i;
		for (i = 0; i < CLIENT_MAX_EXTRA_HEADERS && req->headers[i] != NULL && rc == 0; i++) {
			if (!client_header_ok(req->headers[i]))
				return ERR_MALFORMED;
			rc = buf_printf(&c->out, "%s\r\n", req->headers[i]);
		}
		if (rc == 0 && req->headers[i] != NULL)
			return ERR_TOOBIG;
	}
	if (rc == 0 && (req->body_len > 0 || !strcmp(m, "POST") || !strcmp(m, "PUT") ||
	    !strcmp(m, "PATCH")))
		rc = buf_printf(&c->out, "Content-Length: %zu\r\n", req->body_len);
	if (rc == 0)
		rc = buf_puts(&c->out, "Connection: close\r\n\r\n");
	if (rc != 0)
		return rc;
	c->body = req->body;
	c->body_len = req->body_len;
	snprintf(c->label, sizeof(c->label), "%s %s%s", m, req->host, req->target);
	return 0;
}

static void
client_peer_name(struct http_client *c, const struct sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(c->peer, sizeof(c->peer), "%s:%d", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(c->peer, sizeof(c->peer), "[%s]:%d", host, ntohs(in6->sin6_port));
	} else {
		snprintf(c->peer, sizeof(c->peer), "family %d", sa->sa_family);
	}
}

/* Drop the socket, the TLS engine and both events. */
static void
client_release_io(struct http_client *c)
{
	if (c->tls != NULL) {
		tls_conn_free(c->tls);
		c->tls = NULL;
	}
	if (c->ev_ready) {
		if (c->armed)
			event_del(&c->ev);
		event_del(&c->timer);
		c->armed = 0;
		c->ev_ready = 0;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

static void
client_free(struct http_client *c)
{
	client_release_io(c);
	buf_free(&c->out);
	buf_free(&c->bodybuf);
	free(c);
}

static void
client_log_tls(struct http_client *c, int err)
{
	log_debug("http-client: %s (%s): TLS failure, BearSSL error %d", c->label, c->peer, err);
	switch (http_client_tls_kind(err)) {
	case HTTP_CLIENT_TLS_SERVER_UNTRUSTED:
		log_warn("http-client: %s: server certificate not trusted (BearSSL X.509 error %d)",
		    c->peer, err);
		break;
	case HTTP_CLIENT_TLS_CLIENT_REFUSED:
		log_warn("http-client: %s: client certificate refused by the server (TLS alert %d)",
		    c->peer, tls_error_alert(err));
		break;
	default:
		break;
	}
}

/* End the exchange: free the connection first, then tell the caller, then free the rest. */
static void
client_finish(struct http_client *c, int rc)
{
	struct http_client_resp *r = &c->p.resp;

	if (c->tls != NULL) {
		if (rc == ERR_TLS) {
			r->tls_error = tls_conn_error(c->tls);
			client_log_tls(c, r->tls_error);
		} else if (rc == 0) {
			tls_conn_close(c->tls, c->fd);
		}
	}
	client_release_io(c);
	buf_free(&c->out);
	if (rc == 0 && c->on_body == NULL) {
		if (buf_cstr(&c->bodybuf) == NULL)
			rc = ERR_NOMEM;
		else
			r->body = c->bodybuf.p;
	}
	if (rc == 0)
		log_debug("http-client: %s (%s) -> %d, %zu body bytes", c->label, c->peer, r->status,
		    r->body_len);
	else
		log_debug("http-client: %s (%s): %s", c->label, c->peer, err_str(rc));
	c->state = CL_DONE;
	c->on_done(c->arg, rc, r);
	client_free(c);
}

/* Map a callback's return value; RECV_CANCELLED if it cancelled the exchange. */
static int
client_cb_result(struct http_client *c, int rc)
{
	c->in_cb = 0;
	if (c->cancelled)
		return RECV_CANCELLED;
	if (rc == 0)
		return 0;
	return rc < 0 ? rc : ERR_STATE;
}

/* Run received bytes through the parser; 0 (more needed), RECV_DONE, RECV_CANCELLED or error. */
static int
client_feed(struct http_client *c, const unsigned char *in, size_t len)
{
	size_t off = 0;

	/* HEAD and BODY each consume at least one byte; DONE and NEED end the loop. */
	for (size_t turn = 0; turn <= len + 2; turn++) {
		const unsigned char *d;
		size_t dn, used;
		int ev = http_resp_parse(&c->p, in + off, len - off, &used, &d, &dn), rc;

		off += used;
		switch (ev) {
		case HTTP_RESP_NEED:
			return 0;
		case HTTP_RESP_DONE:
			return RECV_DONE;
		case HTTP_RESP_HEAD:
			if (c->on_body == NULL && c->p.resp.content_length > 0 &&
			    (rc = buf_reserve(&c->bodybuf, (size_t)c->p.resp.content_length + 1)) != 0)
				return rc;
			if (c->on_head != NULL) {
				c->in_cb = 1;
				rc = client_cb_result(c, c->on_head(c->arg, &c->p.resp));
				if (rc != 0)
					return rc;
			}
			break;
		case HTTP_RESP_BODY:
			c->p.resp.body_len += dn;
			if (c->on_body != NULL) {
				c->in_cb = 1;
				rc = client_cb_result(c, c->on_body(c->arg, d, dn));
				if (rc != 0)
					return rc;
			} else if ((rc = buf_append(&c->bodybuf, d, dn)) != 0) {
				return rc;
			}
			break;
		default:
			return ev < 0 ? ev : ERR_PROTOCOL;
		}
	}
	return ERR_PROTOCOL;
}

/* Read and parse what is available: RECV_AGAIN, RECV_DONE, RECV_BUDGET, RECV_CANCELLED, error. */
static int
client_recv(struct http_client *c)
{
	unsigned char rb[CLIENT_READ_CHUNK];
	size_t total = 0;

	for (int turn = 0; turn < 64; turn++) {
		ssize_t n;
		int rc;

		if (total >= CLIENT_READ_PER_EVENT)
			return RECV_BUDGET;
		if (c->tls != NULL) {
			n = tls_conn_read(c->tls, c->fd, rb, sizeof(rb));
		} else {
			n = recv(c->fd, rb, sizeof(rb), 0);
			if (n < 0)
				n = (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ?
				    ERR_AGAIN : -errno;
		}
		if (n == ERR_AGAIN)
			return RECV_AGAIN;
		if (n == 0) {
			/* Clean end: FIN on plain TCP, close_notify on TLS. */
			if (http_resp_parse_eof(&c->p) == HTTP_RESP_DONE)
				return RECV_DONE;
			return c->send_err ? c->send_err : ERR_CLOSED;
		}
		if (n < 0)
			return c->send_err ? c->send_err : (int)n;
		c->p.resp.answered = 1;
		rc = client_feed(c, rb, (size_t)n);
		if (rc != 0)
			return rc;
		total += (size_t)n;
	}
	return RECV_BUDGET;
}

/* Write the request: SEND_NONE, SEND_SOME, SEND_BUDGET, SEND_DONE (now receiving) or error. */
static int
client_send(struct http_client *c)
{
	size_t budget = CONFIG_HTTP_MAX_WRITE_PER_EVENT;
	int took = 0;

	for (int turn = 0; turn < 64; turn++) {
		const unsigned char *p;
		size_t len;
		ssize_t n;

		if (c->out_off < c->out.len) {
			p = c->out.p + c->out_off;
			len = c->out.len - c->out_off;
		} else if (c->body_off < c->body_len) {
			p = c->body + c->body_off;
			len = c->body_len - c->body_off;
		} else {
			break;
		}
		if (budget == 0)
			return SEND_BUDGET;
		if (len > budget)
			len = budget;
		if (c->tls != NULL) {
			n = tls_conn_write(c->tls, c->fd, p, len);
		} else {
			n = send(c->fd, p, len, MSG_NOSIGNAL);
			if (n < 0)
				n = (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ?
				    ERR_AGAIN : -errno;
		}
		if (n == ERR_AGAIN)
			return took ? SEND_SOME : SEND_NONE;
		if (n < 0)
			return (int)n;
		if (c->out_off < c->out.len)
			c->out_off += (size_t)n;
		else
			c->body_off += (size_t)n;
		budget -= (size_t)n;
		took = 1;
	}
	if (c->out_off < c->out.len || c->body_off < c->body_len)
		return SEND_BUDGET;
	if (c->tls != NULL) {
		int rc = tls_conn_flush(c->tls, c->fd);
		if (rc == ERR_AGAIN)
			return took ? SEND_SOME : SEND_NONE;
		if (rc < 0)
			return rc;
	}
	buf_free(&c->out);
	c->out_off = 0;
	c->state = CL_RECV;
	c->p.resp.sent = 1;
	return SEND_DONE;
}

static void
client_arm(struct http_client *c)
{
	short want;

	switch (c->state) {
	case CL_CONNECT:
		want = EV_WRITE;
		break;
	case CL_SEND:
		/*
		 * The handshake may have completed inside the last read: then the
		 * engine takes our request now, and the server waits for it.
		 */
		want = c->tls == NULL ? EV_WRITE : tls_conn_accepts_app(c->tls) ? EV_WRITE :
		    tls_conn_want(c->tls);
		break;
	case CL_RECV:
		want = c->tls != NULL ? tls_conn_want(c->tls) : EV_READ;
		break;
	default:
		want = 0;
		break;
	}
	if (want == 0)
		want = EV_READ;     /* engine waits on nothing: a close or the timer ends it */
	if (want == c->armed)
		return;
	if (c->armed)
		event_del(&c->ev);
	c->armed = want;
	event_assign(&c->ev, c->base, c->fd, want | EV_PERSIST, client_event_cb, c);
	event_add(&c->ev, NULL);
}

static void
client_drive(struct http_client *c)
{
	int again = 0;

	/*
	 * While sending on TLS, reading may complete the handshake and make room to
	 * write, so alternate a few times; a response may also arrive early.
	 */
	for (int turn = 0; turn < 4; turn++) {
		int sent = SEND_NONE, rc;

		if (c->state == CL_SEND) {
			sent = client_send(c);
			if (sent < 0) {
				if (c->tls == NULL && (sent == -EPIPE || sent == -ECONNRESET)) {
					c->send_err = sent;
					c->state = CL_RECV;
				} else {
					client_finish(c, sent);
					return;
				}
			} else if (sent == SEND_BUDGET) {
				again = 1;
			}
		}
		rc = client_recv(c);
		if (rc == RECV_CANCELLED) {
			client_free(c);
			return;
		}
		if (rc == RECV_DONE || rc < 0) {
			client_finish(c, rc == RECV_DONE ? 0 : rc);
			return;
		}
		if (rc == RECV_BUDGET)
			again = 1;
		if (c->state != CL_SEND || again || c->tls == NULL || (turn > 0 && sent == SEND_NONE))
			break;
	}
	client_arm(c);
	if (again)
		event_active(&c->ev, c->armed, 0);
}

static void
client_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_client *c = arg;
	int err = 0, rc;
	socklen_t el = sizeof(err);

	(void)what;
	if (c->state == CL_CONNECT) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
			err = errno;
		if (err == EINPROGRESS || err == EALREADY || err == EINTR)
			return;
		if (err != 0) {
			client_finish(c, -err);
			return;
		}
		if (c->tc != NULL) {
			rc = tls_conn_new_client(&c->tls, c->tc, c->has_sni ? c->sni : NULL);
			if (rc != 0) {
				client_finish(c, rc);
				return;
			}
		}
		c->state = CL_SEND;
	}
	client_drive(c);
}

static void
client_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_client *c = arg;

	(void)fd;
	(void)what;
	if (c->pending_rc != 0) {
		client_finish(c, c->pending_rc);
		return;
	}
	log_debug("http-client: %s (%s): timeout", c->label, c->peer);
	client_finish(c, ERR_TIMEOUT);
}

int
http_client_start(struct event_base *base, const struct http_client_req *req,
    struct http_client **out)
{
	struct http_client *c = NULL;
	struct timeval tv;
	size_t hcap;
	uint64_t max_body;
	unsigned ms;
	int rc, one = 1;

	if (out != NULL)
		*out = NULL;
	if (base == NULL || req == NULL || req->addr == NULL || req->addrlen == 0 ||
	    req->addrlen > sizeof(struct sockaddr_storage) || req->on_done == NULL)
		return ERR_MALFORMED;
	if (req->sni != NULL && (req->sni[0] == '\0' || strlen(req->sni) >= sizeof(c->sni)))
		return ERR_MALFORMED;
	hcap = req->max_header_bytes ? req->max_header_bytes : CONFIG_HTTP_CLIENT_MAX_RESPONSE_BYTES;
	if (hcap > CLIENT_MAX_HEADER_CAP)
		return ERR_RANGE;
	max_body = req->max_body_bytes;
	if (req->on_body == NULL) {
		if (max_body == 0)
			max_body = HTTP_CLIENT_BUFFERED_BODY_MAX;
		if (max_body >= SIZE_MAX / 2)
			return ERR_RANGE;
	}
	c = calloc(1, sizeof(*c) + hcap);
	if (c == NULL)
		return ERR_NOMEM;
	c->fd = -1;
	c->base = base;
	buf_init(&c->out, HTTP_CLIENT_MAX_REQUEST_HEAD);
	buf_init(&c->bodybuf, req->on_body == NULL ? (size_t)max_body + 1 : 0);
	if ((rc = client_build_request(c, req)) != 0)
		goto out;
	c->tc = req->tls;
	if (req->sni != NULL) {
		memcpy(c->sni, req->sni, strlen(req->sni) + 1);
		c->has_sni = 1;
	}
	c->on_head = req->on_head;
	c->on_body = req->on_body;
	c->on_done = req->on_done;
	c->arg = req->arg;
	http_resp_parser_init(&c->p, c->hbuf, hcap, max_body, strcmp(req->method, "HEAD") == 0);
	client_peer_name(c, req->addr);

	c->fd = socket(req->addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = -errno;
		goto out;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evtimer_assign(&c->timer, base, client_timer_cb, c);
	c->ev_ready = 1;
	c->state = CL_CONNECT;
	if (connect(c->fd, req->addr, req->addrlen) != 0 && errno != EINPROGRESS &&
	    errno != EINTR) {
		/* Reported from the loop: on_done never runs inside this call. */
		c->pending_rc = -errno;
		tv.tv_sec = 0;
		tv.tv_usec = 0;
	} else {
		ms = req->timeout_ms ? req->timeout_ms : CONFIG_HTTP_CLIENT_TIMEOUT_S * 1000u;
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
		client_arm(c);
	}
	evtimer_add(&c->timer, &tv);
	log_debug("http-client: %s (%s%s)", c->label, c->peer, c->tc ? ", TLS" : "");
	if (out != NULL)
		*out = c;
	c = NULL;
	rc = 0;
out:
	if (c != NULL)
		client_free(c);
	return rc;
}

void
http_client_cancel(struct http_client *c)
{
	if (c == NULL || c->state == CL_DONE)
		return;
	if (c->in_cb) {
		c->cancelled = 1;
		return;
	}
	client_free(c);
}
