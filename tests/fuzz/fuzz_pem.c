/*
 * Fuzz the strict PEM decoder: every block it accepts re-encodes with
 * pem_encode() and decodes again to the same label and bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "x509/pem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static unsigned char der[65536], der2[65536];
static char text[2 * 65536];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char label[PEM_LABEL_MAX + 1], label2[PEM_LABEL_MAX + 1];
	size_t pos = 0, n, n2, p2;
	unsigned blocks = 0;
	int rc;

	while (blocks++ < 64) {
		size_t before = pos;

		rc = pem_decode((const char *)data, size, &pos, label, sizeof label, der, sizeof der, &n);
		if (rc != 0) {
			CHECK(rc == ERR_NOTFOUND || rc == ERR_MALFORMED || rc == ERR_TOOBIG);
			CHECK(rc == ERR_NOTFOUND ? pos == size : pos == before);
			break;
		}
		CHECK(pos > before && pos <= size && n > 0);
		rc = pem_encode(text, sizeof text, label, der, n);
		CHECK(rc > 0 && (size_t)rc == pem_enc_len(label, n));
		p2 = 0;
		CHECK(pem_decode(text, (size_t)rc, &p2, label2, sizeof label2, der2, sizeof der2,
		    &n2) == 0);
		CHECK(p2 == (size_t)rc && strcmp(label, label2) == 0 && n2 == n);
		CHECK(memcmp(der, der2, n) == 0);
	}
	return 0;
}
