/*
 * Encoders and decoders: decoding anything with JIS_REPLACE gives valid UTF-8;
 * when UTF-8 input encodes, decoding the bytes and encoding again gives the
 * same bytes (the only change allowed is an alias mapping to its cp932 form).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upki/sjis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a[3 * 4096 + 1], b[3 * 4096 + 1], c[3 * 4096 + 1];
	size_t na, nb, nc, m;

	if (size > 4096)
		return 0;
	for (int euc = 0; euc < 2; euc++) {
		int (*to)(char *, size_t, size_t *, const void *, size_t, unsigned, size_t *) =
		    euc ? eucjp_to_utf8 : sjis_to_utf8;
		int (*from)(char *, size_t, size_t *, const char *, size_t, size_t *) =
		    euc ? eucjp_from_utf8 : sjis_from_utf8;

		if (to(a, sizeof(a), &na, data, size, JIS_REPLACE, NULL) != 0 ||
		    upki_utf8_check(a, na, NULL, NULL) != 0 || a[na] != '\0')
			abort();
		if (to(NULL, 0, &m, data, size, JIS_REPLACE, NULL) != 0 || m != na)
			abort();
		if (from(b, sizeof(b), &nb, (const char *)data, size, NULL) == 0) {
			if (to(c, sizeof(c), &nc, b, nb, 0, NULL) != 0)
				abort();
			if (from(a, sizeof(a), &na, c, nc, NULL) != 0 || na != nb ||
			    memcmp(a, b, nb) != 0)
				abort();
		}
	}
	return 0;
}
