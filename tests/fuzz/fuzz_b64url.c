/*
 * Fuzz the strict base64url decoder (util/b64.c). Properties: only the
 * documented codes; an accepted input has only [A-Za-z0-9_-], a length that is
 * not 1 mod 4, decodes to floor(n*3/4) bytes within b64url_dec_max, and
 * encodes back to exactly the input (one encoding per value); a short output
 * buffer gives ERR_TOOBIG, never a write past it. Every byte string encodes to
 * something that decodes back to it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/b64.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAXIN 8192

static unsigned char out[MAXIN], back[MAXIN];
static char enc[MAXIN * 2];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0, n2 = 0;
	int rc, e;

	if (size > MAXIN)
		return 0;
	rc = b64url_decode(out, sizeof(out), (const char *)data, size, &n);
	CHECK(rc == 0 || rc == ERR_MALFORMED || rc == ERR_TOOBIG);
	if (rc == 0) {
		CHECK(size % 4 != 1);
		CHECK(n == size * 3 / 4 && n <= b64url_dec_max(size));
		for (size_t i = 0; i < size; i++)
			CHECK((data[i] >= 'A' && data[i] <= 'Z') || (data[i] >= 'a' && data[i] <= 'z') ||
			    (data[i] >= '0' && data[i] <= '9') || data[i] == '-' || data[i] == '_');
		e = b64url_encode(enc, sizeof(enc), out, n);
		CHECK(e >= 0 && (size_t)e == size && memcmp(enc, data, size) == 0);
		CHECK(enc[e] == '\0');
		if (n > 0) {
			/* One byte short of room: refused, and nothing written past it. */
			unsigned char *small = malloc(n - 1 ? n - 1 : 1);
			CHECK(small != NULL);
			rc = b64url_decode(small, n - 1, (const char *)data, size, &n2);
			CHECK(rc == ERR_TOOBIG);
			free(small);
		}
	}
	/* The other way round: any bytes encode and decode back. */
	e = b64url_encode(enc, sizeof(enc), data, size);
	CHECK(e >= 0 && (size_t)e == b64url_enc_len(size));
	rc = b64url_decode(back, sizeof(back), enc, (size_t)e, &n2);
	CHECK(rc == 0 && n2 == size && memcmp(back, data, size) == 0);
	return 0;
}
