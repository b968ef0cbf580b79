/*
 * Bulk TSV parser: random bytes in random chunks. Oracles: the rows seen must
 * not depend on the chunking (compared with a one-chunk parse of the same
 * bytes), and every row must hold what the header promises (valid UTF-8,
 * digits-only serial, a well-formed PEM).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upki/sjis.h"
#include "upki/tsv_bulk.h"

static struct upki_bulk parser;

struct digest {
	uint64_t h;
	unsigned long rows;
};

static void
mix(struct digest *d, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ s[i]) * 0x100000001b3ULL;
	d->h = (d->h ^ 0xff) * 0x100000001b3ULL;
}

static void
check_str(const char *s)
{
	if (s == NULL || upki_utf8_check(s, strlen(s), NULL, NULL) != 0)
		abort();
}

static int
row_cb(void *arg, const struct upki_bulk_row *r)
{
	struct digest *d = arg;
	const char *strs[] = {r->app_id, r->serial, r->dn, r->profile_id, r->dnsnames,
	    r->admin_name, r->admin_email, r->cert_pem, r->errmsg};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		check_str(strs[i]);
		mix(d, strs[i], strlen(strs[i]));
	}
	if (r->err == 0) {
		for (const char *c = r->serial; *c != '\0'; c++)
			if (*c < '0' || *c > '9')
				abort();
		if (r->dn[0] == '\0' || r->state == UPKI_CERT_NONE)
			abort();
		if ((r->have & UPKI_BULK_HAVE_CERT) &&
		    (strncmp(r->cert_pem, "-----BEGIN CERTIFICATE-----\n", 28) != 0 ||
		    strlen(r->cert_pem) != r->cert_pem_len || r->cert_count == 0))
			abort();
	}
	mix(d, &r->line, sizeof(r->line));
	mix(d, &r->index, sizeof(r->index));
	mix(d, &r->err, sizeof(r->err));
	mix(d, &r->state, sizeof(r->state));
	mix(d, &r->state_raw, sizeof(r->state_raw));
	mix(d, &r->have, sizeof(r->have));
	mix(d, &r->not_after, sizeof(r->not_after));
	d->rows++;
	return 0;
}

static int
run(const uint8_t *data, size_t size, const uint8_t *chunks, size_t nchunks, struct digest *d)
{
	size_t i = 0, k = 0;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	upki_bulk_init(&parser, row_cb, d);
	while (i < size && rc == 0) {
		size_t n = nchunks > 0 ? (size_t)chunks[k++ % nchunks] % 97 + 1 : size;

		if (n > size - i)
			n = size - i;
		rc = upki_bulk_feed(&parser, data + i, n);
		i += n;
	}
	if (rc == 0)
		rc = upki_bulk_finish(&parser);
	if (parser.rows_good + parser.rows_bad != d->rows)
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest whole, chunked;
	size_t nchunks;
	int rc1, rc2;

	if (size < 1)
		return 0;
	/* First byte: how many of the following bytes give chunk sizes. */
	nchunks = data[0] % 16;
	if (size < 1 + nchunks)
		return 0;
	rc1 = run(data + 1 + nchunks, size - 1 - nchunks, NULL, 0, &whole);
	rc2 = run(data + 1 + nchunks, size - 1 - nchunks, data + 1, nchunks, &chunked);
	/* HTML pages may be refused earlier or later; everything else must agree. */
	if (rc1 != rc2 || whole.h != chunked.h || whole.rows != chunked.rows)
		abort();
	return 0;
}
