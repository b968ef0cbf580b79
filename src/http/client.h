/*
 * client.h: outbound HTTP/1.1 client on the libevent reactor, plain or over TLS
 * (tls/). One request per connection ("Connection: close"); nothing blocks.
 *
 * The client never resolves names: the caller passes a numeric address and the
 * Host header value. Redirects are not followed: the caller reads the status and
 * the Location header and starts a new request if it wants to.
 *
 * Limits:
 *   - the response header block (status line + fields, each 1xx included) over
 *     max_header_bytes (0: Kconfig HTTP_CLIENT_MAX_RESPONSE_BYTES) -> ERR_TOOBIG
 *   - more than HTTP_CLIENT_MAX_HEADERS fields -> ERR_TOOBIG
 *   - a body over max_body_bytes -> ERR_TOOBIG (as soon as Content-Length or a
 *     chunk size says so, or when the running total passes the limit)
 *   - more than HTTP_CLIENT_MAX_1XX interim responses -> ERR_PROTOCOL
 *   - the whole exchange (connect, TLS handshake, request, response) must end
 *     within timeout_ms (0: Kconfig HTTP_CLIENT_TIMEOUT_S) -> ERR_TIMEOUT
 *
 * Memory: one allocation of about sizeof(struct http_client) + max_header_bytes
 * per exchange; the TLS connection (about 24 KiB) exists from TCP connect to
 * the end of the exchange; a buffered body grows up to max_body_bytes. In
 * streaming mode the body is never held: each chunk is handed to on_body
 * straight from an 8 KiB read buffer.
 */
#ifndef UPKI_HTTP_CLIENT_H
#define UPKI_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http/http.h"
#include "http/resp_parse.h"   /* struct http_client_resp */

struct event_base;
struct tls_client;
struct http_client;

#define HTTP_CLIENT_MAX_REQUEST_HEAD 32768  /* serialized request line + fields */
#define HTTP_CLIENT_BUFFERED_BODY_MAX (64u * 1024)   /* buffered, max_body_bytes == 0 */


struct http_client_req {
	const struct sockaddr *addr;   /* numeric, already resolved; copied */
	socklen_t addrlen;
	struct tls_client *tls;        /* NULL: plain HTTP; must outlive the exchange */
	const char *sni;               /* TLS server name sent and verified; NULL: none sent,
	                                  the chain is still verified (copied, < 256 bytes) */
	const char *method;            /* "GET", "POST", ... (token characters only) */
	const char *host;              /* Host header value, e.g. "www.example.ac.jp:5002" */
	const char *target;            /* "/path?query", no spaces or control characters */
	/*
	 * Extra "Name: value" lines, NULL-terminated, or NULL. Copied. The client
	 * writes Host, Content-Length and Connection itself: passing any of these or
	 * Transfer-Encoding is refused (ERR_MALFORMED), as is a CR or LF.
	 */
	const char *const *headers;
	/*
	 * Request body, sent with Content-Length (also "Content-Length: 0" for POST
	 * and PUT without body). NOT copied: it must stay valid until on_done or
	 * http_client_cancel.
	 */
	const void *body;
	size_t body_len;
	unsigned timeout_ms;           /* whole exchange; 0: Kconfig HTTP_CLIENT_TIMEOUT_S */
	size_t max_header_bytes;       /* 0: Kconfig HTTP_CLIENT_MAX_RESPONSE_BYTES */
	/*
	 * Body limit. Buffered mode: 0 means HTTP_CLIENT_BUFFERED_BODY_MAX.
	 * Streaming mode: 0 means no limit (the timeout still bounds the exchange).
	 */
	uint64_t max_body_bytes;
	/*
	 * Optional: called once when the final response head has arrived, before
	 * any body byte. Return 0 to go on; anything else ends the exchange and
	 * on_done gets that value if negative, else ERR_STATE.
	 */
	int (*on_head)(void *arg, const struct http_client_resp *resp);
	/*
	 * Set: streaming mode, every body byte is handed over in order, in chunks of
	 * at most 8 KiB, never stored; the return value is handled as on_head's.
	 * NULL: buffered mode, the body is collected up to max_body_bytes.
	 */
	int (*on_body)(void *arg, const unsigned char *p, size_t n);
	/*
	 * Called exactly once, never from inside http_client_start, unless the
	 * exchange is cancelled first. rc: 0 (a complete response, any status),
	 * ERR_TIMEOUT, ERR_TOOBIG, ERR_PROTOCOL (malformed response), ERR_CLOSED
	 * (peer closed before the response was complete; over TLS, also a
	 * close-delimited body that ended without close_notify), ERR_TLS
	 * (resp->tls_error says why, see http_client_tls_kind), ERR_NOMEM, a
	 * callback's abort code, or -errno (connect or socket failure, e.g.
	 * -ECONNREFUSED). resp is never NULL and with everything it points to is
	 * valid only during the call. The client object is gone when on_done is
	 * called: do not cancel it, from on_done or later.
	 */
	void (*on_done)(void *arg, int rc, const struct http_client_resp *resp);
	void *arg;
};

/*
 * Start an exchange. Everything in req is copied except tls and body (see
 * above). Returns 0, and on_done will be called later; or a negative code for
 * a request that cannot be started (ERR_MALFORMED: bad method, target, host or
 * header; ERR_TOOBIG: request head over HTTP_CLIENT_MAX_REQUEST_HEAD; ERR_NOMEM;
 * -errno from socket()), and then on_done is never called. Connection failures
 * are reported through on_done, even when connect() fails at once. *out (if out
 * is not NULL) receives the handle for http_client_cancel.
 */
int http_client_start(struct event_base *base, const struct http_client_req *req,
    struct http_client **out);

/*
 * Abort an exchange that has not finished: everything is freed, on_done is not
 * called. Allowed from on_head and on_body (the exchange ends when the callback
 * returns). Not allowed once on_done has been called.
 */
void http_client_cancel(struct http_client *c);

/* The first value of header name (any case), or NULL. */
const char *http_client_resp_header(const struct http_client_resp *r, const char *name);

/*
 * All values of header name (e.g. "set-cookie"), in order: stores the first max
 * in vals and returns how many there are (possibly more than max).
 */
int http_client_resp_headers(const struct http_client_resp *r, const char *name,
    const char **vals, int max);

enum http_client_tls_kind {
	HTTP_CLIENT_TLS_NONE = 0,            /* no TLS error */
	HTTP_CLIENT_TLS_SERVER_UNTRUSTED,    /* we rejected the server certificate (BR_ERR_X509_*) */
	HTTP_CLIENT_TLS_CLIENT_REFUSED,      /* the server sent a certificate-related alert */
	HTTP_CLIENT_TLS_OTHER,
};

/* What a BearSSL error code (resp->tls_error) means for the operator. */
enum http_client_tls_kind http_client_tls_kind(int br_err);

#endif
