/*
 * Fuzz the HTTP response parser (src/http/resp_parse.c) with arbitrary server
 * bytes. The first input byte picks the options (HEAD request, body limit,
 * header buffer size, feed piece size); the rest is the response, fed in
 * pieces, then EOF. Checks the parser's promises: it never consumes more than
 * it is given, body bytes come from the input in order and stay under the limit,
 * and the fields it reports are NUL-terminated, lower-case names.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/client.h"
#include "http/resp_parse.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_head(const struct http_client_resp *r)
{
	if (r->status < 200 || r->status > 599 || r->nhdr < 0 || r->nhdr > HTTP_CLIENT_MAX_HEADERS)
		abort();
	for (int i = 0; i < r->nhdr; i++) {
		const char *n = r->hdr[i].name;
		if (n[0] == '\0')
			abort();
		for (; *n; n++)
			if (*n >= 'A' && *n <= 'Z')
				abort();
		(void)strlen(r->hdr[i].value);
	}
	if (strlen(r->reason) > 4096)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char hbuf[4096];
	static const size_t steps[] = { 0, 1, 2, 3, 7, 64, 500, 4096 };
	struct http_resp_parser p;
	uint64_t max_body, total = 0;
	size_t off = 0, step, hcap;
	int rc = HTTP_RESP_NEED, heads = 0;

	if (size < 1)
		return 0;
	step = steps[data[0] & 7];
	max_body = (data[0] & 0x18) == 0 ? 0 : (data[0] & 0x18) == 0x08 ? 16 : 4096;
	hcap = (data[0] & 0x20) ? 256 : sizeof(hbuf);
	http_resp_parser_init(&p, hbuf, hcap, max_body, (data[0] & 0x40) != 0);
	data++;
	size--;
	for (size_t turn = 0; turn < 4 * size + 16; turn++) {
		size_t piece = step == 0 || size - off < step ? size - off : step, used, n;
		const unsigned char *d;

		rc = http_resp_parse(&p, data + off, piece, &used, &d, &n);
		if (used > piece)
			abort();
		if (rc == HTTP_RESP_BODY) {
			if (n == 0 || d < data + off || d + n > data + off + used || heads != 1)
				abort();
			total += n;
			if (max_body != 0 && total > max_body)
				abort();
		}
		off += used;
		if (rc == HTTP_RESP_HEAD) {
			heads++;
			check_head(&p.resp);
		}
		if (rc < 0 || rc == HTTP_RESP_DONE)
			break;
		if (rc == HTTP_RESP_NEED && off == size) {
			rc = http_resp_parse_eof(&p);
			break;
		}
		if (rc == HTTP_RESP_NEED && used != piece)
			abort();
	}
	if (rc == HTTP_RESP_DONE && heads != 1)
		abort();
	if (rc != HTTP_RESP_DONE && rc != ERR_PROTOCOL && rc != ERR_TOOBIG && rc != ERR_CLOSED)
		abort();
	return 0;
}
