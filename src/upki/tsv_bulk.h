/*
 * tsv_bulk.h: streaming parser of UPKI's bulk certificate TSV (「全証明書情報一括
 * ダウンロード」): Shift_JIS, TAB-separated, a header row of column names, then
 * one row per certificate or application, each with its PEM. The file holds
 * every certificate of the institution, so it is parsed as a stream with
 * bounded memory: feed it in chunks of any size (a multibyte character or a
 * CRLF may be split across chunks), get a callback per row.
 *
 * Format rules (names and [I]/[X] choices in upki_profile.h):
 *  - columns are found by name in the header row; unknown columns are ignored;
 *    a header without one of the required columns is refused (ERR_MALFORMED)
 *    and nothing else is parsed;
 *  - lines end in CRLF or LF; the last line may lack it; blank lines are
 *    skipped; a UTF-8 BOM at the start means the file is UTF-8, not Shift_JIS;
 *  - a cell that starts with '"' is quoted: it runs to the next '"' that is not
 *    doubled, may hold line breaks, and "" in it is one '"' (how a multi-line
 *    PEM cell would be written); text after the closing quote is kept. A TAB
 *    before the closing quote means the cell was not quoted after all (its
 *    text just starts with '"');
 *  - a record (row) longer than UPKI_BULK_RECORD_MAX bytes is reported as a bad
 *    row and skipped to its end. A quoted cell that is never closed (found
 *    out at a TAB after one of its line breaks, at that limit, or at the end
 *    of input) has only the record's first line reported bad, and parsing
 *    resumes at the next line: one stray quote costs one row, never the rest
 *    of the file;
 *  - a bad row (bad serial, state, date or PEM; a control character in a text
 *    cell; invalid UTF-8 in a UTF-8 file ...) is passed to the callback with
 *    err set, counted, and does not stop the parse. Shift_JIS that does not
 *    decode (cp932 extension characters, broken pairs) becomes U+FFFD;
 *  - the first problem of a row is reported; the other cells are still filled
 *    as far as they parse;
 *  - an input that is not a TSV at all is recognised early: an HTML page (first
 *    non-blank byte '<') or a header row holding the busy text. The busy text
 *    (UPKI_TEXT_BUSY_KEY, in EUC-JP, Shift_JIS or UTF-8) gives ERR_RATELIMIT,
 *    any other HTML ERR_PROTOCOL, so the poller can back off.
 */
#ifndef UPKI_TSV_BULK_H
#define UPKI_TSV_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "upki/upki_profile.h"

/* Bits of upki_bulk_row.have: which optional values the row carries. */
#define UPKI_BULK_HAVE_APPLIED (1u << 0)
#define UPKI_BULK_HAVE_NOT_BEFORE (1u << 1)
#define UPKI_BULK_HAVE_NOT_AFTER (1u << 2)
#define UPKI_BULK_HAVE_REVOKED (1u << 3)
#define UPKI_BULK_HAVE_CERT (1u << 4)

/*
 * One decoded and checked row. Strings are UTF-8, NUL-terminated, never NULL
 * ("" when the cell is empty or the column absent), and live in the parser:
 * valid only during the callback. Copy what you keep.
 */
struct upki_bulk_row {
	unsigned long line;       /* physical line where the record starts (1-based) */
	unsigned long index;      /* data row number, 1-based, header not counted */
	int err;                  /* 0, or why the row is bad (ERR_MALFORMED, ERR_TOOBIG) */
	int err_col;              /* enum upki_bulk_col of the bad cell, -1 if none */
	char errmsg[160];         /* UTF-8 sentence when err != 0 */

	const char *app_id;       /* 申請ID: digits */
	const char *serial;       /* decimal digits, at most UPKI_SERIAL_DIGITS_MAX; may be
	                           * "" for an application not issued yet */
	const char *dn;           /* 主体者DN, never "" in a good row */
	enum upki_cert_state state;
	int state_raw;            /* the number in 状態 (or the code of its label); -1 */
	int kind;                 /* 処理区分 as enum upki_apply_type, 0 when absent */
	const char *profile_id;
	const char *dnsnames;
	const char *admin_name;
	const char *admin_email;
	int64_t applied_at;       /* Unix seconds (converted from JST), see have */
	int64_t not_before;
	int64_t not_after;
	int64_t revoked_at;
	unsigned have;            /* UPKI_BULK_HAVE_* */
	const char *cert_pem;     /* normalised: "-----BEGIN CERTIFICATE-----\n", 64-column
	                           * base64 lines, "-----END CERTIFICATE-----\n", one block
	                           * per certificate in the cell */
	size_t cert_pem_len;
	unsigned cert_count;      /* blocks in cert_pem */
};

/*
 * Row callback. Return 0 to go on, anything else to stop: feed/finish then
 * return that value and the parser refuses further input.
 */
typedef int (*upki_bulk_row_cb)(void *arg, const struct upki_bulk_row *row);

enum upki_bulk_phase {
	UPKI_BULK_START,  /* nothing significant seen */
	UPKI_BULK_HEADER, /* reading the header row */
	UPKI_BULK_ROWS,
	UPKI_BULK_HTML,   /* input is an HTML page: scanning for the busy text */
	UPKI_BULK_DONE,   /* finished, or stopped by an error (err) */
};

/*
 * Parser context: about 4 x UPKI_BULK_RECORD_MAX bytes (~66 KiB by default), so
 * allocate it, do not put it on a small stack. Members are private except the
 * counters.
 */
struct upki_bulk {
	/* counters, readable at any time */
	unsigned long rows_good;
	unsigned long rows_bad;
	unsigned long lines;      /* physical lines consumed so far */

	/* private */
	upki_bulk_row_cb cb;
	void *cb_arg;
	enum upki_bulk_phase phase;
	int err;                  /* sticky result once DONE */
	char errmsg[160];         /* why, for a header or input-level error */
	int utf8;                 /* a BOM was seen */
	int col[UPKI_BCOL__MAX];  /* header index of each known column, -1 */
	unsigned long rec_line;   /* line where the current record starts */
	unsigned long rec_nl;     /* line breaks inside quoted cells of the record */
	size_t len;               /* bytes in rec */
	unsigned char field_start, inq, qpend, qnl, skip;
	unsigned char pat[3][64];  /* busy text in EUC-JP, Shift_JIS, UTF-8 */
	size_t patlen[3];
	size_t html_seen;
	size_t win_len;
	unsigned char win[64];     /* tail of the previous chunk in HTML mode */
	unsigned char rec[UPKI_BULK_RECORD_MAX];
	char scratch[3 * UPKI_BULK_RECORD_MAX + UPKI_BULK_RECORD_MAX / 32 + 512];
};

/* Start a parse; cb (not NULL) gets every data row. Cannot fail. */
void upki_bulk_init(struct upki_bulk *p, upki_bulk_row_cb cb, void *arg);

/*
 * Parse n more bytes. Returns 0 to ask for more; ERR_RATELIMIT (busy page),
 * ERR_PROTOCOL (an HTML page), ERR_MALFORMED (bad header: no header, missing
 * columns, header row too long), or the callback's nonzero value. Errors are
 * sticky: later calls return the same value.
 */
int upki_bulk_feed(struct upki_bulk *p, const void *data, size_t n);

/*
 * End of input: parse the last record. 0 when the input was a TSV with a valid
 * header (even with bad rows or no rows: see rows_good/rows_bad), else as
 * upki_bulk_feed, and ERR_MALFORMED for an empty input.
 */
int upki_bulk_finish(struct upki_bulk *p);

/* Why the parse failed (header or input-level error), UTF-8; "" if it did not. */
const char *upki_bulk_errmsg(const struct upki_bulk *p);

/*
 * UPKI's date cells: "YYYY/MM/DD HH:MM:SS" in JST (also '-' for '/', no
 * seconds, no time, one-digit month/day/hour) <-> Unix seconds. parse: 0 or
 * ERR_MALFORMED. format: writes "YYYY/MM/DD HH:MM:SS" and a NUL into out
 * (outsz >= 20); 0 or ERR_RANGE.
 */
int upki_jst_parse(const char *s, size_t n, int64_t *t);
int upki_jst_format(char *out, size_t outsz, int64_t t);

#endif
