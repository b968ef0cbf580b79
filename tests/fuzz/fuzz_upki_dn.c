/*
 * Fuzz the UPKI backend's small text parsers of what UPKI sends: the DN
 * canonical form used to match bulk TSV rows to jobs (a canonical DN is its
 * own canonical form, and never longer than its buffer), and the visible-text
 * extraction of EUC-JP pages (always one NUL-terminated line).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upki/job.h"
#include "upki/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[1024], a[300], b[300], text[200];
	size_t n = size < sizeof(in) - 1 ? size : sizeof(in) - 1, t;

	memcpy(in, data, n);
	in[n] = '\0';
	if (upki_dn_canon(in, a, sizeof(a)) == 0) {
		CHECK(strlen(a) < sizeof(a));
		/* A value ending in "\" can escape the separator of the next one; only
		 * forms without that are fixed points. */
		if (strstr(a, "\\,") == NULL && (strlen(a) == 0 || a[strlen(a) - 1] != '\\') &&
		    upki_dn_canon(a, b, sizeof(b)) == 0)
			CHECK(strcmp(a, b) == 0);
	}
	t = upki_html_text(data, size, text, sizeof(text));
	CHECK(t < sizeof(text));
	CHECK(text[t] == '\0');
	CHECK(strlen(text) == t);
	for (size_t i = 0; i < t; i++)
		CHECK((unsigned char)text[i] >= 0x20 && text[i] != 0x7f);
	return 0;
}
