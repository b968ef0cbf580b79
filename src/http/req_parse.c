/*
 * The request parser: a pure function over a header block (no sockets, no
 * connection), so that it can be tested and fuzzed alone.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http/req_parse.h"
#include "util/str.h"

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

size_t
http_req_head_len(const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;

	for (const unsigned char *q = p; q < end; q++) {
		if (*q != '\n')
			continue;
		if (q + 1 < end && q[1] == '\n')
			return (size_t)(q + 2 - p);
		if (q + 2 < end && q[1] == '\r' && q[2] == '\n')
			return (size_t)(q + 3 - p);
	}
	return 0;
}

int
http_req_parse(struct http_req *r, const unsigned char *buf, size_t len, size_t max_body,
    struct http_req_meta *m, const char **why)
{
	char *head, *p, *end, *line, *sp1, *sp2;
	size_t cl = 0;
	int have_cl = 0, have_host = 0;

	m->content_length = 0;
	m->close = 1;
	if (memchr(buf, '\0', len) != NULL) {
		*why = "NUL byte in the request header block";
		return 400;
	}
	head = arena_strndup(&r->arena, (const char *)buf, len);
	if (head == NULL) {
		*why = "out of memory";
		return 503;
	}
	p = head;
	end = head + len;
	line = next_line(&p, end);
	if (line == NULL || (sp1 = strchr(line, ' ')) == NULL || sp1 == line ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL || strchr(sp2 + 1, ' ') != NULL) {
		*why = "malformed request line";
		return 400;
	}
	*sp1 = '\0';
	*sp2 = '\0';
	for (char *mc = line; *mc; mc++)
		if (!tchar((unsigned char)*mc)) {
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
	if (cl > max_body) {
		*why = "request body over the limit";
		return 413;
	}
	{
		const char *conn = http_req_header(r, "connection");
		if (r->minor == 0)
			m->close = !(conn && !strcasecmp(conn, "keep-alive"));
		else
			m->close = conn && !strcasecmp(conn, "close");
	}
	m->content_length = cl;
	return 0;
}
const char *
http_req_header(const struct http_req *r, const char *name)
{
	for (int i = 0; i < r->nhdr; i++)
		if (strcmp(r->hdr[i].name, name) == 0)
			return r->hdr[i].value;
	return NULL;
}
