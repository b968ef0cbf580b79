/*
 * Incremental HTTP/1.x response parser (RFC 9112 §4, §5, §6.3, §7.1). Byte
 * counts and line lengths are bounded here so the socket side only moves bytes.
 */
#include <string.h>
#include <strings.h>

#include "http/resp_parse.h"
#include "util/err.h"
#include "util/str.h"

enum resp_state {
	PS_HEAD,
	PS_LEN,          /* Content-Length body */
	PS_CLOSE,        /* body until the connection closes */
	PS_CSIZE,        /* chunk-size digits */
	PS_CEXT,         /* chunk extensions, up to LF */
	PS_CSIZE_LF,
	PS_CDATA,
	PS_CDATA_CR,
	PS_CDATA_LF,
	PS_TRAILER,
	PS_DONE,
	PS_ERROR,
};

void
http_resp_parser_init(struct http_resp_parser *p, char *hbuf, size_t hcap, uint64_t max_body,
    int head_request)
{
	memset(p, 0, sizeof(*p));
	p->hbuf = hbuf;
	p->hcap = hcap;
	p->max_body = max_body;
	p->head_request = head_request != 0;
	p->resp.content_length = -1;
	p->state = PS_HEAD;
}

static int
resp_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Field values and reason phrases: HTAB, SP, VCHAR, obs-text. */
static int
resp_text_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return 0;
	}
	return 1;
}

/* Cut the next line out of [*s, end) in place; a CR is allowed only before LF. */
static int
resp_line_next(char **s, char *end, char **line)
{
	char *nl = memchr(*s, '\n', (size_t)(end - *s)), *e;

	if (nl == NULL)
		return ERR_PROTOCOL;
	e = nl;
	if (e > *s && e[-1] == '\r')
		e--;
	if (memchr(*s, '\r', (size_t)(e - *s)) != NULL || memchr(*s, '\0', (size_t)(e - *s)) != NULL)
		return ERR_PROTOCOL;
	*e = '\0';
	*nl = '\0';
	*line = *s;
	*s = nl + 1;
	return 0;
}

static int
resp_status_line(struct http_client_resp *r, char *line)
{
	if (strncmp(line, STR_LIT("HTTP/1.")) != 0 || line[7] < '0' || line[7] > '9' || line[8] != ' ')
		return ERR_PROTOCOL;
	r->minor = line[7] - '0';
	for (int i = 9; i < 12; i++)
		if (line[i] < '0' || line[i] > '9')
			return ERR_PROTOCOL;
	r->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	if (r->status < 100 || r->status > 599)
		return ERR_PROTOCOL;
	if (line[12] == '\0')
		r->reason = line + 12;     /* RFC 9112 §4: be lenient about a missing SP */
	else if (line[12] == ' ' && resp_text_ok(line + 13))
		r->reason = line + 13;
	else
		return ERR_PROTOCOL;
	return 0;
}

static int
resp_field_line(struct http_client_resp *r, char *line)
{
	char *colon, *v, *ve;

	if (*line == ' ' || *line == '\t')
		return ERR_PROTOCOL;           /* obs-fold */
	colon = strchr(line, ':');
	if (colon == NULL || colon == line)
		return ERR_PROTOCOL;
	for (char *n = line; n < colon; n++) {
		if (!resp_tchar((unsigned char)*n))
			return ERR_PROTOCOL;   /* includes white space before the colon */
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
	if (!resp_text_ok(v))
		return ERR_PROTOCOL;
	if (r->nhdr == HTTP_CLIENT_MAX_HEADERS)
		return ERR_TOOBIG;
	r->hdr[r->nhdr].name = line;
	r->hdr[r->nhdr].value = v;
	r->nhdr++;
	return 0;
}

static int
resp_content_length(const char *v, uint64_t *out)
{
	uint64_t n = 0;

	if (*v == '\0')
		return ERR_PROTOCOL;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > (UINT64_MAX - 9) / 10)
			return ERR_PROTOCOL;   /* lists ("5, 5") are refused too */
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*out = n;
	return 0;
}

/* Choose the body framing of a final response (RFC 9112 §6.3). */
static int
resp_framing(struct http_resp_parser *p)
{
	struct http_client_resp *r = &p->resp;
	uint64_t cl = 0;
	int nte = 0, have_cl = 0, rc;

	if (p->head_request || r->status == 204 || r->status == 304) {
		/* Reported as the length a GET would have; a bad one is harmless here. */
		for (int i = 0; i < r->nhdr; i++)
			if (strcmp(r->hdr[i].name, "content-length") == 0 &&
			    resp_content_length(r->hdr[i].value, &cl) == 0 && cl <= INT64_MAX)
				r->content_length = (int64_t)cl;
		p->state = PS_DONE;
		return 0;
	}
	for (int i = 0; i < r->nhdr; i++) {
		if (strcmp(r->hdr[i].name, "transfer-encoding") == 0) {
			/* We send no TE header, so chunked alone is all a server may use. */
			if (strcasecmp(r->hdr[i].value, "chunked") != 0 || ++nte > 1)
				return ERR_PROTOCOL;
		} else if (strcmp(r->hdr[i].name, "content-length") == 0) {
			uint64_t n;
			if ((rc = resp_content_length(r->hdr[i].value, &n)) != 0)
				return rc;
			if (have_cl && n != cl)
				return ERR_PROTOCOL;
			have_cl = 1;
			cl = n;
		}
	}
	if (nte) {
		r->chunked = 1;
		p->remaining = 0;
		p->ndigits = 0;
		p->line_len = 0;
		p->state = PS_CSIZE;
		return 0;
	}
	if (have_cl) {
		if (cl > INT64_MAX || (p->max_body != 0 && cl > p->max_body))
			return ERR_TOOBIG;
		r->content_length = (int64_t)cl;
		p->remaining = cl;
		p->state = cl ? PS_LEN : PS_DONE;
		return 0;
	}
	p->state = PS_CLOSE;
	return 0;
}

/* The header block in hbuf is complete: 0 final head, 1 interim (dropped), or error. */
static int
resp_head_finish(struct http_resp_parser *p)
{
	struct http_client_resp *r = &p->resp;
	char *s = p->hbuf, *end = p->hbuf + p->hlen, *line;
	int rc;

	r->nhdr = 0;
	if ((rc = resp_line_next(&s, end, &line)) != 0 || (rc = resp_status_line(r, line)) != 0)
		return rc;
	for (;;) {
		if ((rc = resp_line_next(&s, end, &line)) != 0)
			return rc;
		if (*line == '\0')
			break;
		if ((rc = resp_field_line(r, line)) != 0)
			return rc;
	}
	if (r->status < 200) {
		if (r->status == 101 || ++p->n1xx > HTTP_CLIENT_MAX_1XX)
			return ERR_PROTOCOL;
		return 1;
	}
	return resp_framing(p);
}

static int
resp_hex(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A chunk-size line ended: data follows, or the trailer section for size 0. */
static int
resp_chunk_start(struct http_resp_parser *p)
{
	p->line_len = 0;
	p->ndigits = 0;
	if (p->remaining == 0) {
		p->skipped = 0;
		p->last = 0;
		p->state = PS_TRAILER;
		return 0;
	}
	if (p->max_body != 0 && p->remaining > p->max_body - p->total)
		return ERR_TOOBIG;
	p->state = PS_CDATA;
	return 0;
}

static int
resp_body(struct http_resp_parser *p, const unsigned char *in, size_t len, size_t i,
    size_t *used, const unsigned char **data, size_t *n)
{
	size_t take = len - i;

	if (p->state != PS_CLOSE && take > p->remaining)
		take = (size_t)p->remaining;
	if (p->max_body != 0 && take > p->max_body - p->total)
		return ERR_TOOBIG;
	p->total += take;
	if (p->state != PS_CLOSE) {
		p->remaining -= take;
		if (p->remaining == 0)
			p->state = p->state == PS_LEN ? PS_DONE : PS_CDATA_CR;
	}
	*data = in + i;
	*n = take;
	*used = i + take;
	return HTTP_RESP_BODY;
}

int
http_resp_parse(struct http_resp_parser *p, const unsigned char *in, size_t len, size_t *used,
    const unsigned char **data, size_t *n)
{
	size_t i = 0;
	int rc = 0, v;

	*used = 0;
	*data = NULL;
	*n = 0;
	/* Every turn consumes a byte or returns, so len + 1 turns suffice. */
	for (size_t turn = 0; turn <= len; turn++) {
		unsigned char ch;

		switch (p->state) {
		case PS_DONE:
			*used = i;
			return HTTP_RESP_DONE;
		case PS_ERROR:
			*used = i;
			return ERR_PROTOCOL;
		case PS_LEN:
		case PS_CLOSE:
		case PS_CDATA:
			if (i == len)
				goto need;
			rc = resp_body(p, in, len, i, used, data, n);
			if (rc < 0)
				goto fail;
			return rc;
		default:
			break;
		}
		if (i == len)
			goto need;
		ch = in[i++];
		switch (p->state) {
		case PS_HEAD:
			if (p->hlen == 0 && (ch == '\r' || ch == '\n')) {
				if (++p->skipped > p->hcap) {
					rc = ERR_TOOBIG;
					goto fail;
				}
				continue;
			}
			if (p->hlen == p->hcap) {
				rc = ERR_TOOBIG;
				goto fail;
			}
			p->hbuf[p->hlen++] = (char)ch;
			if (ch != '\n') {
				p->line_len++;
				continue;
			}
			if (!(p->line_len == 0 || (p->line_len == 1 && p->hbuf[p->hlen - 2] == '\r'))) {
				p->line_len = 0;
				continue;
			}
			rc = resp_head_finish(p);
			if (rc < 0)
				goto fail;
			p->hlen = 0;
			p->line_len = 0;
			if (rc == 1) {
				p->resp.status = 0;
				p->resp.nhdr = 0;
				continue;
			}
			*used = i;
			return HTTP_RESP_HEAD;
		case PS_CSIZE:
			if (++p->line_len > HTTP_RESP_CHUNK_LINE_MAX)
				goto proto;
			if ((v = resp_hex(ch)) >= 0) {
				if (p->remaining > (UINT64_MAX >> 4))
					goto proto;
				p->remaining = p->remaining << 4 | (uint64_t)v;
				p->ndigits++;
			} else if (p->ndigits == 0) {
				goto proto;
			} else if (ch == ';' || ch == ' ' || ch == '\t') {
				p->state = PS_CEXT;
			} else if (ch == '\r') {
				p->state = PS_CSIZE_LF;
			} else if (ch == '\n') {
				if ((rc = resp_chunk_start(p)) != 0)
					goto fail;
			} else {
				goto proto;
			}
			continue;
		case PS_CEXT:
			/* Extensions are ignored, but their length counts. */
			if (++p->line_len > HTTP_RESP_CHUNK_LINE_MAX)
				goto proto;
			if (ch == '\n' && (rc = resp_chunk_start(p)) != 0)
				goto fail;
			continue;
		case PS_CSIZE_LF:
			if (ch != '\n')
				goto proto;
			if ((rc = resp_chunk_start(p)) != 0)
				goto fail;
			continue;
		case PS_CDATA_CR:
			if (ch == '\r')
				p->state = PS_CDATA_LF;
			else if (ch == '\n')
				p->state = PS_CSIZE;
			else
				goto proto;
			continue;
		case PS_CDATA_LF:
			if (ch != '\n')
				goto proto;
			p->state = PS_CSIZE;
			continue;
		case PS_TRAILER:
			if (++p->skipped > p->hcap) {
				rc = ERR_TOOBIG;
				goto fail;
			}
			if (ch != '\n') {
				p->line_len++;
				p->last = ch;
				continue;
			}
			if (p->line_len == 0 || (p->line_len == 1 && p->last == '\r')) {
				p->state = PS_DONE;
				*used = i;
				return HTTP_RESP_DONE;
			}
			p->line_len = 0;
			continue;
		default:
			goto proto;
		}
	}
	goto proto;   /* not reached: the loop bound covers every byte */
need:
	*used = len;
	return HTTP_RESP_NEED;
proto:
	rc = ERR_PROTOCOL;
fail:
	p->state = PS_ERROR;
	*used = i;
	return rc;
}

int
http_resp_parse_eof(struct http_resp_parser *p)
{
	if (p->state == PS_CLOSE || p->state == PS_DONE) {
		p->state = PS_DONE;
		return HTTP_RESP_DONE;
	}
	return ERR_CLOSED;
}
