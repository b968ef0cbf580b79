/*
 * server_int.h: shared by the files of the HTTP server only (server.c: the
 * server object, listeners and admission; conn.c: one connection's state
 * machine and the reply API). Graph: server.c -> conn.c -> reply.c, req_parse.c.
 */
#ifndef UPKI_HTTP_SERVER_INT_H
#define UPKI_HTTP_SERVER_INT_H

#include <stddef.h>
#include <time.h>

#include <event2/event_struct.h>

#include "http/http.h"
#include "util/buf.h"


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

/*
 * A connection for an accepted socket fd (non-blocking already) from peer
 * ("addr:port"), counted under (family, addr) for the per-address limit; added to
 * s->conns and armed. 0, or ERR_NOMEM (fd is then closed).
 */
int http_conn_start(struct http_server *s, int fd, const char *peer, int family,
    const unsigned char addr[16]);

/* Close and free a connection (deferred requests get their abort_cb). */
void http_conn_free(struct http_conn *c);

#endif
