/*
 * http.h: a small HTTP/1.1 server on the libevent reactor, plain or over TLS
 * (tls/). One request at a time per connection (pipelined bytes wait in the
 * input buffer); keep-alive; limits from Kconfig:
 *   - request line + headers over HTTP_MAX_HEADER_BYTES -> 431, connection closed
 *   - body over HTTP_MAX_BODY_BYTES (by Content-Length) -> 413, connection closed
 *   - Transfer-Encoding on a request -> 411 (bodies need Content-Length), closed
 *   - no complete request HTTP_REQUEST_TIMEOUT_S after its first byte -> 408, closed
 *   - idle keep-alive longer than HTTP_IDLE_TIMEOUT_S -> closed silently
 *   - more than HTTP_MAX_CONNS connections -> the new one is closed at once
 *   - more than HTTP_MAX_CONNS_PER_ADDR from one client address -> the new one
 *     is closed at accept (before any TLS work; one log line per 10 s)
 *   - answers the server makes before a request was read to its end (400, 408,
 *     411, 413, 431, 505, ...) close with a lingering close: the write side is
 *     shut (TLS: close_notify sent first), input is read and dropped for at most
 *     HTTP_LINGER_TIMEOUT_S and HTTP_LINGER_MAX_BYTES, then the socket is closed,
 *     so a client still sending reads the answer instead of a reset
 * Memory: an idle connection holds no request buffers; a request's memory comes
 * from its arena and is freed in one call when the response has been written.
 */
#ifndef UPKI_HTTP_H
#define UPKI_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/arena.h"

struct event_base;
struct tls_server;
struct http_server;
struct http_conn;

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_DELETE = 1 << 4,
	HTTP_OPTIONS = 1 << 5,
	HTTP_OTHER = 1 << 6,
};

#define HTTP_MAX_REQ_HEADERS 64
#define HTTP_MAX_RESP_HEADERS 24

struct http_header {
	const char *name;     /* lower-case */
	const char *value;    /* leading/trailing white space removed */
};

struct http_req {
	struct http_conn *conn;
	struct arena arena;           /* lives until the response is written */
	enum http_method method;
	const char *method_str;
	const char *target;           /* as received: path plus "?query" */
	const char *path;             /* target without the query */
	const char *query;            /* after '?', or NULL */
	int minor;                    /* HTTP/1.<minor> */
	struct http_header hdr[HTTP_MAX_REQ_HEADERS];
	int nhdr;
	const unsigned char *body;    /* NUL-terminated copy, body_len bytes */
	size_t body_len;
	char peer[64];                /* "addr:port" of the client */

	/* Response under construction. */
	struct http_header resp_hdr[HTTP_MAX_RESP_HEADERS];
	int resp_nhdr;
	int replied;
	void (*abort_cb)(struct http_req *req, void *arg);
	void *abort_arg;
	const unsigned char *peer_cert; /* client certificate (DER) on mTLS listeners */
	size_t peer_cert_len;
};

/*
 * A handler answers with http_reply() (now, or later after http_req_defer()).
 * It must not keep req after replying.
 */
typedef void (*http_handler_fn)(struct http_req *req, void *arg);

struct http_route {
	unsigned methods;             /* mask of enum http_method */
	const char *path;             /* exact path, or prefix when prefix != 0 */
	int prefix;
	http_handler_fn fn;
	void *arg;
};

struct http_server_cfg {
	struct tls_server *tls;       /* NULL: plain HTTP */
	const struct http_route *routes;
	size_t nroutes;
	/* Called for every response before it is written (e.g. ACME's Replay-Nonce). */
	void (*before_reply)(struct http_req *req, int status, void *arg);
	void *before_arg;
	/*
	 * Optional: the body of answers the server makes itself (400, 404, 405,
	 * 408, 411, 413, 431, ...). Write at most sz bytes into buf, set *ctype,
	 * return the length (< 0: use the plain-text default).
	 */
	int (*error_body)(void *arg, int status, const char *why, char *buf, size_t sz,
	    const char **ctype);
	/*
	 * Optional: header lines ("Name: value\r\n"...) for answers made before a
	 * request was parsed (where before_reply cannot run). Return the length.
	 */
	int (*error_headers)(void *arg, char *buf, size_t sz);
	const char *name;             /* for log lines: "acme", "admin", "upki-sim" */
	/* Limits; 0 = the Kconfig default. */
	size_t max_header_bytes;
	size_t max_body_bytes;
	unsigned max_conns;
	unsigned max_conns_per_addr;
	unsigned idle_timeout_s;
	unsigned request_timeout_s;
};

int http_server_new(struct http_server **out, struct event_base *base,
    const struct http_server_cfg *cfg);

/* Listen on a numeric address (SO_REUSEADDR, IPV6_V6ONLY); 0 or -errno (logged). */
int http_server_listen(struct http_server *srv, const struct sockaddr *sa, socklen_t len);

/* Port actually bound by the last http_server_listen (useful with port 0). */
int http_server_port(const struct http_server *srv);

/* Close listeners and every connection; deferred requests get their abort_cb. */
void http_server_free(struct http_server *srv);

struct http_server_stats {
	unsigned conns;
	unsigned long long accepted, requests, refused;
	unsigned long long refused_addr;   /* of refused: over the per-address limit */
};
void http_server_stats(const struct http_server *srv, struct http_server_stats *st);

/* The value of request header name (lower-case), or NULL. */
const char *http_req_header(const struct http_req *req, const char *name);

/* Add a response header; name and value are copied. 0 or ERR_TOOBIG. */
int http_resp_header(struct http_req *req, const char *name, const char *value);
int http_resp_headerf(struct http_req *req, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Send the response and finish the request: status, Content-Type (NULL: none),
 * body copied. For HEAD the body is not sent but Content-Length is.
 */
void http_reply(struct http_req *req, int status, const char *content_type,
    const void *body, size_t len);

/* A short text/plain or problem answer with a reason phrase body. */
void http_reply_status(struct http_req *req, int status);

/*
 * Take the request out of the handler; reply later with http_reply(). If the
 * connection dies first, cb(req, arg) is called and req must not be used after.
 */
void http_req_defer(struct http_req *req, void (*cb)(struct http_req *req, void *arg), void *arg);

const char *http_status_text(int status);

#endif
