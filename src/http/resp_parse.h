/*
 * resp_parse.h: incremental HTTP/1.x response parser (status line, fields,
 * body framing by Content-Length, chunked coding or connection close). Pure: no
 * sockets, no allocation; the caller gives the storage for one header block.
 * Used by the client (client.c), its tests and the fuzzer.
 *
 * Feed bytes as they arrive with http_resp_parse(); it consumes a prefix and
 * reports one event at a time. Interim 1xx responses are parsed and dropped
 * (101 is refused: we never ask to upgrade). Bare LF line ends are accepted;
 * a bare CR, a NUL, a control character in a field value or an obs-fold is
 * ERR_PROTOCOL.
 */
#ifndef UPKI_HTTP_RESP_PARSE_H
#define UPKI_HTTP_RESP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

#define HTTP_CLIENT_MAX_1XX 8               /* interim responses skipped */
#define HTTP_CLIENT_MAX_HEADERS 64          /* response fields kept */

/* A response as the client reports it (client.h); the parser fills it. */
struct http_client_resp {
	int status;                  /* 100..599; 0: no final response head received */
	int minor;                   /* HTTP/1.<minor> */
	const char *reason;          /* reason phrase, possibly "" */
	int nhdr;
	struct http_header hdr[HTTP_CLIENT_MAX_HEADERS];   /* names lower-case, values trimmed */
	int64_t content_length;      /* as sent (after HEAD: what GET would send);
	                                -1: none (chunked, or until close) */
	int chunked;
	/*
	 * Buffered mode and rc == 0: the body, NUL-terminated (not counted in
	 * body_len); otherwise NULL. In streaming mode body_len counts the bytes
	 * handed to on_body.
	 */
	const unsigned char *body;
	size_t body_len;
	int tls_error;               /* BearSSL error code (BR_ERR_*) when rc == ERR_TLS, else 0 */
	/*
	 * What the server can have seen, for deciding whether a failed request
	 * may be sent again: sent is 1 once the whole request (head and body) was
	 * written; answered is 1 once any byte of the answer arrived. A failure
	 * with sent == 0 means the server never had the whole request.
	 */
	int sent;
	int answered;
};

enum http_resp_event {
	HTTP_RESP_NEED = 0,    /* all input consumed, more is needed */
	HTTP_RESP_HEAD = 1,    /* the final response head is in p->resp */
	HTTP_RESP_BODY = 2,    /* body bytes: *data, *n (inside the input) */
	HTTP_RESP_DONE = 3,    /* response complete; later input is not consumed */
};

#define HTTP_RESP_CHUNK_LINE_MAX 4096   /* a chunk-size line with extensions */

struct http_resp_parser {
	struct http_client_resp resp;   /* status and fields valid after HTTP_RESP_HEAD;
	                                   names and values point into hbuf */
	/* private */
	char *hbuf;
	size_t hcap;
	size_t hlen;
	size_t line_len;        /* bytes since the last LF (header block, trailer) */
	size_t skipped;         /* blank lines before a status line, trailer bytes */
	uint64_t max_body;      /* 0: none */
	uint64_t remaining;     /* Content-Length or chunk bytes still to come */
	uint64_t total;         /* body bytes reported */
	int state;
	int n1xx;
	int ndigits;
	unsigned char head_request;
	unsigned char last;     /* previous byte in a trailer line */
};

/*
 * Set up for one response. hbuf (hcap bytes) holds the header block and must
 * live as long as the fields are used. max_body: 0 for no limit. head_request:
 * the request was HEAD, so the response has no body whatever its fields say.
 */
void http_resp_parser_init(struct http_resp_parser *p, char *hbuf, size_t hcap,
    uint64_t max_body, int head_request);

/*
 * Consume a prefix of in[0..len) and report an event (enum http_resp_event) or
 * an error: ERR_PROTOCOL (malformed), ERR_TOOBIG (a limit). *used is set to the
 * bytes consumed (all of them for HTTP_RESP_NEED; at least one for HEAD and
 * BODY unless the head completed in an earlier call). On HTTP_RESP_BODY,
 * *data and *n give the body bytes, pointing into in. Call again with the rest
 * until it returns HTTP_RESP_NEED or HTTP_RESP_DONE. After an error the parser
 * must not be used again.
 */
int http_resp_parse(struct http_resp_parser *p, const unsigned char *in, size_t len,
    size_t *used, const unsigned char **data, size_t *n);

/*
 * The peer closed the connection: HTTP_RESP_DONE if that ends the response (a
 * body delimited by close, or a response already complete), else ERR_CLOSED.
 */
int http_resp_parse_eof(struct http_resp_parser *p);

#endif
