/*
 * result_page.h: what UPKI answered to a TSV upload (form SP1011). The answer is
 * an EUC-JP HTML page, always HTTP 200 [S]; HTTP 200 alone is never success.
 *
 * The parser decodes the page, drops tags, comments, scripts and styles, and
 * reads the text. It needs none of the markup (the real one is unknown: the
 * shape the simulator serves is in upki_profile.h) and looks for:
 *  - the success sentence UPKI_TEXT_UPLOAD_DONE;
 *  - the failure sentence UPKI_TEXT_UPLOAD_FAILED or the error title;
 *  - error lines "<code>:<row>,<項目名>,<message>" anywhere in the text
 *    (several may share one line or cell);
 *  - rows of the results table: a cell with the SEQ number followed by a cell
 *    "OK" or "NG";
 *  - the busy and maintenance texts.
 * The upload is accepted only if the success sentence is there, and there is
 * no error line, no NG row and no failure sentence.
 *
 * No allocation; the page is read once, in place.
 */
#ifndef UPKI_RESULT_PAGE_H
#define UPKI_RESULT_PAGE_H

#include <stddef.h>

#define UPKI_RESULT_MAX_ERRORS 16
#define UPKI_RESULT_MAX_ROWS 64

enum upki_page {
	UPKI_PAGE_UNKNOWN,     /* none of the known texts: not an answer we understand */
	UPKI_PAGE_DONE,        /* success sentence, nothing wrong */
	UPKI_PAGE_ERROR,       /* failure sentence, error lines or NG rows */
	UPKI_PAGE_BUSY,        /* the busy page */
	UPKI_PAGE_MAINTENANCE, /* the maintenance page */
};

struct upki_result_error {
	int code;           /* UPKI error code, e.g. 212 */
	int row;            /* TSV row it is about, 1-based */
	char field[64];     /* 項目名, UTF-8, e.g. "主体者DN" (cut at a character boundary) */
	char message[256];  /* UTF-8, e.g. "指定したDNはすでに存在しています。" */
};

struct upki_result_row {
	int seq; /* SEQ: the TSV row */
	int ok;  /* 処理結果 OK (1) or NG (0) */
};

struct upki_result {
	int ok;                 /* 1 only when the upload was accepted as a whole */
	enum upki_page page;
	int done_text;          /* the success sentence was seen */
	int failed_text;        /* the failure sentence or error title was seen */
	int n_errors;           /* entries in errors[] */
	int errors_dropped;     /* error lines past UPKI_RESULT_MAX_ERRORS */
	struct upki_result_error errors[UPKI_RESULT_MAX_ERRORS];
	int n_rows;             /* entries in rows[] */
	int n_ng;               /* NG rows seen (all, also past UPKI_RESULT_MAX_ROWS) */
	struct upki_result_row rows[UPKI_RESULT_MAX_ROWS];
};

/*
 * Parse the page html[0..n) (EUC-JP; undecodable bytes become U+FFFD) into r.
 * Returns 0 when the upload was accepted (r->ok = 1); ERR_REJECTED when UPKI
 * refused at least one row (see errors and rows); ERR_RATELIMIT for the busy
 * page; ERR_AGAIN for the maintenance page; ERR_PROTOCOL for a page that is
 * none of these (r->page UPKI_PAGE_UNKNOWN). r is always filled.
 */
int upki_result_parse(struct upki_result *r, const void *html, size_t n);

/*
 * The ACME problem type (without the URN prefix) that fits r: the type of the
 * first error line's code (upki_err_to_acme), "rateLimited" for the busy page,
 * "serverInternal" otherwise. Never NULL.
 */
const char *upki_result_acme(const struct upki_result *r);

/*
 * A one-line UTF-8 summary of r for logs and ACME problem details, keeping
 * UPKI's own words, e.g. "UPKI refused row 1: 212 主体者DN: 指定したDNはすで
 * に存在しています。". Always NUL-terminates (outsz > 0); cut to fit; returns
 * the length written.
 */
size_t upki_result_detail(const struct upki_result *r, char *out, size_t outsz);

#endif
