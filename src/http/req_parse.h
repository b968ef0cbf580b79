/*
 * req_parse.h: the HTTP/1.1 request parser of the server, a pure function over
 * a buffer (RFC 9112 §2-§6, the subset a server of ACME needs): request line,
 * header fields, Content-Length. No sockets, no allocation but the request's
 * own arena, so it can be fuzzed (tests/fuzz/fuzz_http_req.c).
 */
#ifndef UPKI_HTTP_REQ_PARSE_H
#define UPKI_HTTP_REQ_PARSE_H

#include <stddef.h>

#include "http/http.h"

/* What the header block says about the connection, besides the request. */
struct http_req_meta {
	size_t content_length;   /* body bytes that follow the header block */
	int close;               /* 1: close after the answer (HTTP/1.0, Connection: close) */
};

/*
 * Length of the header block at the start of p[0..len) through its blank line
 * (CRLF CRLF or LF LF), or 0 when the blank line has not arrived yet.
 */
size_t http_req_head_len(const unsigned char *p, size_t len);

/*
 * Parse the header block buf[0..len) (as measured by http_req_head_len) into r,
 * whose arena must be initialised; strings in r point into a copy in that arena.
 * Refuses NUL bytes, obsolete line folding, bad names, control characters in
 * values, more than HTTP_MAX_REQ_HEADERS fields, conflicting Content-Length,
 * Transfer-Encoding (411), a missing or duplicate Host on HTTP/1.1, other
 * versions (505) and Content-Length over max_body (413).
 * Returns 0, or the HTTP status to refuse with and *why (a static string).
 */
int http_req_parse(struct http_req *r, const unsigned char *buf, size_t len, size_t max_body,
    struct http_req_meta *m, const char **why);

#endif
