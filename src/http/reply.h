/*
 * reply.h: an HTTP/1.1 answer as bytes (no sockets), for conn.c.
 */
#ifndef UPKI_HTTP_REPLY_H
#define UPKI_HTTP_REPLY_H

#include <stddef.h>

#include "http/http.h"
#include "util/buf.h"

/*
 * Append the answer to out: status line, Content-Type (ctype NULL: none), the
 * headers of r, Content-Length (not for 1xx/204), "Connection: close" when close,
 * then the body (not for HEAD or 204). 0, or ERR_TOOBIG when out's limit is hit.
 */
int http_reply_format(struct buf *out, const struct http_req *r, int status, const char *ctype,
    const void *body, size_t len, int close);

#endif
