/*
 * tsv.h: what tsv_check.c (rows, cells, most columns) and tsv_dn.c (subject
 * DN and CSR columns) share while checking one uploaded TSV.
 */
#ifndef SIM_TSV_H
#define SIM_TSV_H

#include <stddef.h>

#include "sim.h"
#include "upki/upki_profile.h"

#define TSV_MIN_COLS 13          /* [X] accept 13-15 */
#define TSV_MAX_COLS UPKI_TSV_COLUMNS
#define TSV_RAW_CELL_MAX 4096    /* Shift_JIS bytes of one cell */
#define TSV_CELL_MAX (TSV_RAW_CELL_MAX * 3 / 2 + 1)
#define TSV_CSR_DER_MAX 4096

struct tsv_ctx {
	struct sim *s;
	int type;
	char cell[TSV_MAX_COLS][TSV_CELL_MAX];
	int ncols;
	struct sim_row *rows;     /* rows accepted so far in this file (ok ones) */
	struct sim_row_result *res;
	unsigned n;
};

/* Record error code for field in r (once per code and field, at most SIM_MAX_ROW_ERRORS). */
void tsv_row_err(struct sim_row_result *r, int code, const char *field);
/* The cell of field f in the current row ("" when the row is short). */
const char *tsv_fcell(const struct tsv_ctx *c, enum upki_field f);
/*
 * Presence and length of field f for this kind; 0 when the value can be
 * checked further, -1 when an error was recorded or the value is empty.
 */
int tsv_field_basic(struct tsv_ctx *c, struct sim_row_result *r, enum upki_field f);

/* LDH host name of at most max bytes, two labels at least, no wildcard. */
int tsv_host_ok(const char *h, size_t max);
/* ASCII-lowercased copy of src into dst (truncated to dstsz - 1). */
void tsv_lower_copy(char *dst, size_t dstsz, const char *src);

/* The subject DN column (its attributes into attrs) and the CSR column checked
 * against them, for the current row; errors go to r. */
void tsv_check_dn(struct tsv_ctx *c, struct sim_row_result *r, struct sim_app *a,
		  char attrs[X509_NAME__MAX][X509_NAME_VALUE_MAX + 1]);
void tsv_check_csr(struct tsv_ctx *c, struct sim_row_result *r, struct sim_row *row,
		   char attrs[X509_NAME__MAX][X509_NAME_VALUE_MAX + 1], int profile_kind);

#endif
