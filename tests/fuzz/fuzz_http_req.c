/*
 * Fuzz the server's request parser (http/req_parse.c) over whole inputs: the
 * header-block scan, then the parse of what it found (or of the whole input as
 * a header block). Properties: only the documented statuses; an accepted
 * request has an absolute-path target without spaces or controls, a path that
 * is the target before '?', lower-case token header names, values without
 * CR, LF or NUL, at most HTTP_MAX_REQ_HEADERS fields, a Content-Length within
 * the limit; a found block ends at its blank line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/req_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_BODY 65536

static void
check_req(const struct http_req *r, const struct http_req_meta *m)
{
	size_t pl;

	CHECK(r->method_str != NULL && r->target != NULL && r->path != NULL);
	CHECK(r->method_str[0] != '\0');
	CHECK(r->target[0] == '/' && r->path[0] == '/');
	for (const char *t = r->target; *t; t++)
		CHECK((unsigned char)*t > 0x20 && (unsigned char)*t < 0x7f);
	pl = strlen(r->path);
	CHECK(strncmp(r->path, r->target, pl) == 0);
	CHECK(r->target[pl] == '\0' || r->target[pl] == '?');
	CHECK(r->query == NULL || r->query == strchr(r->target, '?') + 1);
	CHECK(r->minor == 0 || r->minor == 1);
	CHECK(r->nhdr >= 0 && r->nhdr <= HTTP_MAX_REQ_HEADERS);
	for (int i = 0; i < r->nhdr; i++) {
		const char *n = r->hdr[i].name, *v = r->hdr[i].value;

		CHECK(n[0] != '\0');
		for (; *n; n++)
			CHECK(!(*n >= 'A' && *n <= 'Z') && *n != ':' && (unsigned char)*n > 0x20);
		CHECK(strpbrk(v, "\r\n") == NULL);
		CHECK(v[0] != ' ' && v[0] != '\t');
		/* The first field of a name is the one http_req_header finds. */
		const char *f = http_req_header(r, r->hdr[i].name);
		CHECK(f != NULL);
	}
	CHECK(m->content_length <= MAX_BODY);
	CHECK(m->close == 0 || m->close == 1);
	if (r->minor == 1)
		CHECK(http_req_header(r, "host") != NULL);
	CHECK(http_req_header(r, "transfer-encoding") == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req *r;
	struct http_req_meta m;
	const char *why = NULL;
	size_t hl;
	int st;

	if (size > 70000)
		return 0;
	hl = http_req_head_len(data, size);
	CHECK(hl <= size);
	if (hl > 0) {
		CHECK(hl >= 2 && data[hl - 1] == '\n');
		CHECK(data[hl - 2] == '\n' || (hl >= 3 && data[hl - 2] == '\r' && data[hl - 3] == '\n'));
		CHECK(http_req_head_len(data, hl - 1) == 0 || http_req_head_len(data, hl - 1) < hl);
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return 0;
	arena_init(&r->arena, 256 * 1024);
	st = http_req_parse(r, data, hl ? hl : size, MAX_BODY, &m, &why);
	CHECK(st == 0 || st == 400 || st == 411 || st == 413 || st == 431 || st == 503 ||
	    st == 505);
	if (st == 0)
		check_req(r, &m);
	else
		CHECK(why != NULL && why[0] != '\0');
	arena_free(&r->arena);
	free(r);
	return 0;
}
