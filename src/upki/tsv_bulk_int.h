/*
 * tsv_bulk_int.h: shared by the two halves of the bulk TSV parser only:
 * tsv_bulk.c (the byte scanner that cuts records) and tsv_bulk_row.c (the
 * header row and the data rows). Everyone else uses tsv_bulk.h.
 */
#ifndef UPKI_TSV_BULK_INT_H
#define UPKI_TSV_BULK_INT_H

#include <stddef.h>

#include "upki/tsv_bulk.h"

/* The UTF-8 byte order mark a UTF-8 listing may start with. */
extern const unsigned char upki_bulk_bom[3];

/* ASCII blanks trimmed around cells and records. */
static inline int
upki_bulk_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Enter UPKI_BULK_DONE with rc and the reason fmt (may be NULL); the first
 * reason given is kept. Returns the error kept (rc the first time).
 */
int upki_bulk_stop(struct upki_bulk *p, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Does s[0..n) hold UPKI's busy text, in any of the encodings looked for? 1 or 0. */
int upki_bulk_has_busy(const struct upki_bulk *p, const void *s, size_t n);

/*
 * The header row rec[0..len) (modified in place): map the columns, or stop
 * with the reason (HTML page, busy page, a missing column). 0 or the error.
 */
int upki_bulk_header_parse(struct upki_bulk *p, unsigned char *rec, size_t len);

/*
 * A data row rec[0..len) (modified in place): decode and check its cells and
 * hand the row to the callback (a bad row goes to it with err set). 0, or the
 * callback's stop.
 */
int upki_bulk_row_parse(struct upki_bulk *p, unsigned char *rec, size_t len);

/* Hand the callback a row that is malformed as a whole, with the reason fmt. */
int upki_bulk_emit_bad(struct upki_bulk *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
