/*
 * Responses as bytes: status texts, response headers kept in the request's
 * arena, and the serialization of an answer. No sockets.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http/reply.h"
#include "util/err.h"

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

int
http_reply_format(struct buf *out, const struct http_req *r, int status, const char *ctype,
    const void *body, size_t len, int close)
{
	int rc = 0;

	rc |= buf_printf(out, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
	if (ctype != NULL)
		rc |= buf_printf(out, "Content-Type: %s\r\n", ctype);
	for (int i = 0; i < r->resp_nhdr; i++)
		rc |= buf_printf(out, "%s: %s\r\n", r->resp_hdr[i].name, r->resp_hdr[i].value);
	if (status != 204 && status >= 200)
		rc |= buf_printf(out, "Content-Length: %zu\r\n", len);
	if (close)
		rc |= buf_puts(out, "Connection: close\r\n");
	rc |= buf_puts(out, "\r\n");
	if (r->method != HTTP_HEAD && status != 204 && len > 0)
		rc |= buf_append(out, body, len);
	return rc != 0 ? ERR_TOOBIG : 0;
}
