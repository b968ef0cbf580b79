/*
 * HTTP/1.1 server: a resumable state machine per connection. After every step
 * the connection recomputes what it waits for (read, write, a timer), as
 * BearSSL's engine state dictates on TLS listeners.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "autoconf.h"
#include "http/http.h"
#include "tls/tls.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"

#define HTTP_MAX_LISTENERS 4
#define HTTP_RESP_MAX (16u << 20)
#define HTTP_READ_CHUNK 4096

/*
 * CS_LINGER: an answer went out before the request was read to its end; the
 * write side is shut (TLS: close_notify first) and input is read and dropped
 * until the peer closes, HTTP_LINGER_MAX_BYTES or HTTP_LINGER_TIMEOUT_S, so the
 * peer, still sending, is not reset before it reads the answer.
 */
enum conn_state { CS_READ, CS_HANDLE, CS_WRITE, CS_LINGER, CS_CLOSE };

struct http_server {
	struct event_base *base;
	struct http_server_cfg cfg;
	struct evconnlistener *ls[HTTP_MAX_LISTENERS];
	int nls;
	int port;
	struct http_conn *conns;
	struct http_server_stats st;
	time_t addr_log_at;           /* last "too many from one address" line */
	unsigned long long addr_log_refused;   /* st.refused_addr then */
};

struct http_conn {
	struct http_server *srv;
	struct http_conn *prev, *next;
	int fd;
	struct tls_conn *tls;
	struct event ev;
	struct event timer;
	short armed;              /* events ev is registered for */
	enum conn_state state;
	struct buf in;            /* unparsed request bytes; freed when empty */
	size_t head_len;          /* length of the header block once complete */
	size_t need;              /* head_len + Content-Length */
	struct http_req *req;
	struct buf out;           /* serialized response */
	size_t out_off;
	unsigned char close_after;
	unsigned char timing_request;   /* request timer running (vs idle timer) */
	unsigned char in_drive;
	unsigned char dead;
	unsigned char linger;     /* error answer: input left unread, linger after it */
	unsigned char shut;       /* lingering: write side shut down */
	unsigned char sniffed;    /* TLS listener: the first byte was looked at */
	size_t linger_left;       /* bytes still to discard while lingering */
	int family;               /* AF_INET / AF_INET6 of the peer */
	unsigned char addr[16];   /* peer address, for the per-address limit */
	char peer[64];
};

static void conn_drive(struct http_conn *c);

const char *
http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

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

static void
conn_free(struct http_conn *c)
{
	struct http_server *s = c->srv;

	if (c->req != NULL && !c->req->replied && c->req->abort_cb != NULL)
		c->req->abort_cb(c->req, c->req->abort_arg);
	req_free(c);
	if (c->armed)
		event_del(&c->ev);
	event_del(&c->timer);
	if (c->tls != NULL && !c->shut) {
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

static int
tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static enum http_method
method_of(const char *m)
{
	if (!strcmp(m, "GET")) return HTTP_GET;
	if (!strcmp(m, "HEAD")) return HTTP_HEAD;
	if (!strcmp(m, "POST")) return HTTP_POST;
	if (!strcmp(m, "PUT")) return HTTP_PUT;
	if (!strcmp(m, "DELETE")) return HTTP_DELETE;
	if (!strcmp(m, "OPTIONS")) return HTTP_OPTIONS;
	return HTTP_OTHER;
}

/* Next line of the header block: [*p, eol) without CR; NULL at the end. */
static char *
next_line(char **p, char *end)
{
	char *s = *p, *nl;

	if (s >= end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	if (nl == NULL)
		nl = end;
	*p = nl + 1;
	if (nl > s && nl[-1] == '\r')
		nl--;
	*nl = '\0';
	return s;
}

/*
 * Parse the header block at c->in into a new request. Returns 0, or an HTTP
 * status to refuse with (why set).
 */
static int
conn_parse_head(struct http_conn *c, size_t *content_length, const char **why)
{
	struct http_server *s = c->srv;
	struct http_req *r;
	char *head, *p, *end, *line, *sp1, *sp2;
	size_t cl = 0;
	int have_cl = 0, have_host = 0;

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		*why = "out of memory";
		return 503;
	}
	c->req = r;
	r->conn = c;
	arena_init(&r->arena, lim_header(s) + lim_body(s) + 256 * 1024);
	memcpy(r->peer, c->peer, sizeof(r->peer));
	head = arena_strndup(&r->arena, (const char *)c->in.p, c->head_len);
	if (head == NULL) {
		*why = "out of memory";
		return 503;
	}
	p = head;
	end = head + c->head_len;
	line = next_line(&p, end);
	if (line == NULL || (sp1 = strchr(line, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL || strchr(sp2 + 1, ' ') != NULL) {
		*why = "malformed request line";
		return 400;
	}
	*sp1 = '\0';
	*sp2 = '\0';
	for (char *m = line; *m; m++)
		if (!tchar((unsigned char)*m)) {
			*why = "malformed method";
			return 400;
		}
	r->method_str = line;
	r->method = method_of(line);
	r->target = sp1 + 1;
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		r->minor = 1;
	else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		r->minor = 0;
	else if (strncmp(sp2 + 1, STR_LIT("HTTP/")) == 0) {
		*why = "only HTTP/1.0 and HTTP/1.1 are served";
		return 505;
	} else {
		*why = "malformed request line";
		return 400;
	}
	if (r->target[0] != '/') {
		*why = "request target must be an absolute path";
		return 400;
	}
	for (const char *t = r->target; *t; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f) {
			*why = "invalid character in request target";
			return 400;
		}
	{
		char *q = strchr(r->target, '?');
		if (q != NULL) {
			r->path = arena_strndup(&r->arena, r->target, (size_t)(q - r->target));
			r->query = q + 1;
			if (r->path == NULL) {
				*why = "out of memory";
				return 503;
			}
		} else {
			r->path = r->target;
		}
	}
	while ((line = next_line(&p, end)) != NULL) {
		char *colon, *v, *ve;

		if (*line == '\0')
			break;
		if (*line == ' ' || *line == '\t') {
			*why = "obsolete header line folding";
			return 400;
		}
		colon = strchr(line, ':');
		if (colon == NULL || colon == line) {
			*why = "malformed header line";
			return 400;
		}
		for (char *n = line; n < colon; n++) {
			if (!tchar((unsigned char)*n)) {
				*why = "malformed header name";
				return 400;
			}
			if (*n >= 'A' && *n <= 'Z')
				*n = (char)(*n - 'A' + 'a');
		}
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		ve = v + strlen(v);
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			*--ve = '\0';
		for (char *x = v; *x; x++)
			if (((unsigned char)*x < 0x20 && *x != '\t') || *x == 0x7f) {
				*why = "control character in header value";
				return 400;
			}
		if (r->nhdr == HTTP_MAX_REQ_HEADERS) {
			*why = "too many header fields";
			return 431;
		}
		r->hdr[r->nhdr].name = line;
		r->hdr[r->nhdr].value = v;
		r->nhdr++;
		if (!strcmp(line, "content-length")) {
			size_t n = 0;
			if (*v == '\0') {
				*why = "empty Content-Length";
				return 400;
			}
			for (char *d = v; *d; d++) {
				if (*d < '0' || *d > '9' || n > (SIZE_MAX - 9) / 10) {
					*why = "malformed Content-Length";
					return 400;
				}
				n = n * 10 + (size_t)(*d - '0');
			}
			if (have_cl && n != cl) {
				*why = "conflicting Content-Length";
				return 400;
			}
			have_cl = 1;
			cl = n;
		} else if (!strcmp(line, "transfer-encoding")) {
			*why = "Transfer-Encoding is not accepted on requests; send Content-Length";
			return 411;
		} else if (!strcmp(line, "host")) {
			if (have_host) {
				*why = "duplicate Host";
				return 400;
			}
			have_host = 1;
		}
	}
	if (r->minor == 1 && !have_host) {
		*why = "HTTP/1.1 request without Host";
		return 400;
	}
	if (cl > lim_body(s)) {
		*why = "request body over the limit";
		return 413;
	}
	{
		const char *conn = http_req_header(r, "connection");
		if (r->minor == 0)
			c->close_after = !(conn && !strcasecmp(conn, "keep-alive"));
		else
			c->close_after = conn && !strcasecmp(conn, "close");
	}
	*content_length = cl;
	return 0;
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

/* Try to complete a request from c->in; dispatch it when complete. */
static void
conn_parse(struct http_conn *c)
{
	struct http_server *s = c->srv;
	const char *why = NULL;
	size_t cl = 0;
	int status;

	if (c->head_len == 0) {
		unsigned char *p = c->in.p, *end;
		size_t scan = c->in.len, hl = 0;

		if (scan == 0)
			return;
		/* Tolerate stray CRLFs between requests (RFC 9112 §2.2). */
		while (c->in.len > 0 && (c->in.p[0] == '\r' || c->in.p[0] == '\n'))
			buf_consume(&c->in, 1);
		p = c->in.p;
		scan = c->in.len;
		end = p + scan;
		for (unsigned char *q = p; q < end; q++) {
			if (*q != '\n')
				continue;
			if (q + 1 < end && q[1] == '\n') {
				hl = (size_t)(q + 2 - p);
				break;
			}
			if (q + 2 < end && q[1] == '\r' && q[2] == '\n') {
				hl = (size_t)(q + 3 - p);
				break;
			}
		}
		if (hl == 0) {
			if (scan >= lim_header(s))
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
 * request (a TLS record starts with 0x16, SSLv2 with 0x80): answer it with a
 * plain-text 400 saying so, as nginx does, instead of a silent close.
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
		conn_free(c);
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
	conn_free(c);
}

/* The address of sa as family + bytes; 0, or -1 for a family we do not count. */
static int
addr_of(const struct sockaddr *sa, int *family, unsigned char addr[16])
{
	memset(addr, 0, 16);
	*family = sa->sa_family;
	if (sa->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

/*
 * 1 when the peer at (family, addr) already holds the most connections one
 * address may have. A walk over at most max_conns entries per accept: no table
 * to keep in step, and cheaper than the TLS handshake it saves.
 */
static int
addr_full(struct http_server *s, int family, const unsigned char addr[16])
{
	unsigned lim = s->cfg.max_conns_per_addr ? s->cfg.max_conns_per_addr :
	    CONFIG_HTTP_MAX_CONNS_PER_ADDR;
	unsigned n = 0;

	for (const struct http_conn *c = s->conns; c != NULL; c = c->next)
		if (c->family == family && memcmp(c->addr, addr, 16) == 0 && ++n >= lim)
			return 1;
	return 0;
}

/* One line per 10 s at most, with the count refused since the last one. */
static void
addr_refused_log(struct http_server *s, const struct sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN] = "?";
	time_t now = time(NULL);

	s->st.refused_addr++;
	if (s->addr_log_at != 0 && now - s->addr_log_at < 10)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof(host));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof(host));
	log_warn("%s: %s: connections per address limit reached (%u): refusing "
	    "(%llu refused from any address since the last such line)", s->cfg.name, host,
	    s->cfg.max_conns_per_addr ? s->cfg.max_conns_per_addr : CONFIG_HTTP_MAX_CONNS_PER_ADDR,
	    s->st.refused_addr - s->addr_log_refused);
	s->addr_log_at = now;
	s->addr_log_refused = s->st.refused_addr;
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct http_server *s = arg;
	struct http_conn *c = NULL;
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned char addr[16];
	int port = 0, one = 1, family;

	(void)l;
	(void)salen;
	s->st.accepted++;
	if (addr_of(sa, &family, addr) == 0 && addr_full(s, family, addr)) {
		s->st.refused++;
		addr_refused_log(s, sa);
		close(fd);
		return;
	}
	if (s->st.conns >= (s->cfg.max_conns ? s->cfg.max_conns : CONFIG_HTTP_MAX_CONNS)) {
		s->st.refused++;
		if (s->st.refused % 1000 == 1)
			log_warn("%s: connection limit reached (%u): refusing new connections",
			    s->cfg.name, s->st.conns);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->family = family;
	memcpy(c->addr, addr, sizeof(c->addr));
	evutil_make_socket_nonblocking(fd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(c->peer, sizeof(c->peer), "[%s]:%d", host, port);
	}
	if (s->cfg.tls != NULL && tls_conn_new_server(&c->tls, s->cfg.tls) != 0) {
		log_err("%s: out of memory for a TLS connection", s->cfg.name);
		close(fd);
		free(c);
		return;
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
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct http_server *s = arg;

	(void)l;
	log_warn("%s: accept: %s", s->cfg.name, strerror(errno));
}

int
http_server_new(struct http_server **out, struct event_base *base,
    const struct http_server_cfg *cfg)
{
	struct http_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return ERR_NOMEM;
	s->base = base;
	s->cfg = *cfg;
	if (s->cfg.name == NULL)
		s->cfg.name = "http";
	*out = s;
	return 0;
}

int
http_server_listen(struct http_server *s, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, one = 1, rc;

	if (s->nls == HTTP_MAX_LISTENERS)
		return ERR_TOOBIG;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, sa, len) != 0 || listen(fd, 128) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		s->port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	s->ls[s->nls] = evconnlistener_new(s->base, accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (s->ls[s->nls] == NULL) {
		close(fd);
		return ERR_NOMEM;
	}
	evconnlistener_set_error_cb(s->ls[s->nls], accept_error_cb);
	s->nls++;
	return 0;
}

int
http_server_port(const struct http_server *s)
{
	return s->port;
}

void
http_server_free(struct http_server *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < s->nls; i++)
		evconnlistener_free(s->ls[i]);
	while (s->conns != NULL)
		conn_free(s->conns);
	free(s);
}

void
http_server_stats(const struct http_server *s, struct http_server_stats *st)
{
	*st = s->st;
}

const char *
http_req_header(const struct http_req *r, const char *name)
{
	for (int i = 0; i < r->nhdr; i++)
		if (strcmp(r->hdr[i].name, name) == 0)
			return r->hdr[i].value;
	return NULL;
}

int
http_resp_header(struct http_req *r, const char *name, const char *value)
{
	if (r->resp_nhdr == HTTP_MAX_RESP_HEADERS)
		return ERR_TOOBIG;
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return ERR_MALFORMED;   /* no header injection, whatever the caller passes */
	r->resp_hdr[r->resp_nhdr].name = arena_strndup(&r->arena, name, strlen(name));
	r->resp_hdr[r->resp_nhdr].value = arena_strndup(&r->arena, value, strlen(value));
	if (r->resp_hdr[r->resp_nhdr].name == NULL || r->resp_hdr[r->resp_nhdr].value == NULL)
		return ERR_NOMEM;
	r->resp_nhdr++;
	return 0;
}

int
http_resp_headerf(struct http_req *r, const char *name, const char *fmt, ...)
{
	char v[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(v))
		return ERR_TOOBIG;
	return http_resp_header(r, name, v);
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
	int rc = 0;

	if (r->replied)
		return;
	r->replied = 1;
	if (s->cfg.before_reply != NULL)
		s->cfg.before_reply(r, status, s->cfg.before_arg);
	buf_init(&c->out, HTTP_RESP_MAX);
	c->out_off = 0;
	rc |= buf_printf(&c->out, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
	if (ctype != NULL)
		rc |= buf_printf(&c->out, "Content-Type: %s\r\n", ctype);
	for (int i = 0; i < r->resp_nhdr; i++)
		rc |= buf_printf(&c->out, "%s: %s\r\n", r->resp_hdr[i].name, r->resp_hdr[i].value);
	if (status != 204 && status >= 200)
		rc |= buf_printf(&c->out, "Content-Length: %zu\r\n", len);
	if (c->close_after)
		rc |= buf_puts(&c->out, "Connection: close\r\n");
	rc |= buf_puts(&c->out, "\r\n");
	if (r->method != HTTP_HEAD && status != 204 && len > 0)
		rc |= buf_append(&c->out, body, len);
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
