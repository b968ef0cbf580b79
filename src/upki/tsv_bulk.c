/*
 * tsv_bulk.c: push parser of the bulk certificate TSV (see tsv_bulk.h for the
 * rules): the byte scanner that cuts records (quotes, BOM, bounds), the HTML
 * and busy-page detection, and the JST dates. One record's cells: tsv_bulk_row.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "upki/sjis.h"
#include "upki/tsv_bulk.h"
#include "upki/tsv_bulk_int.h"
#include "util/err.h"
#include "util/timefmt.h"

const unsigned char upki_bulk_bom[3] = {0xEF, 0xBB, 0xBF};

static int bulk_byte(struct upki_bulk *p, unsigned char c);

int
upki_bulk_stop(struct upki_bulk *p, int rc, const char *fmt, ...)
{
	va_list ap;

	if (p->phase == UPKI_BULK_DONE)
		return p->err;
	p->phase = UPKI_BULK_DONE;
	p->err = rc;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
		va_end(ap);
		upki_utf8_trim(p->errmsg);
	}
	return rc;
}

void
upki_bulk_init(struct upki_bulk *p, upki_bulk_row_cb cb, void *arg)
{
	static const char key[] = UPKI_TEXT_BUSY_KEY;
	size_t n;

	p->rows_good = p->rows_bad = p->lines = 0;
	p->cb = cb;
	p->cb_arg = arg;
	p->phase = UPKI_BULK_START;
	p->err = 0;
	p->errmsg[0] = '\0';
	p->utf8 = 0;
	for (int i = 0; i < UPKI_BCOL__MAX; i++)
		p->col[i] = -1;
	p->rec_line = 1;
	p->rec_nl = 0;
	p->len = 0;
	p->field_start = 1;
	p->inq = p->qpend = p->qnl = p->skip = 0;
	p->html_seen = 0;
	p->win_len = 0;
	/* The busy page's encoding is not known for sure: look for all three. */
	p->patlen[0] = p->patlen[1] = p->patlen[2] = 0;
	if (eucjp_from_utf8((char *)p->pat[0], sizeof(p->pat[0]), &n, key, sizeof(key) - 1,
	    NULL) == 0)
		p->patlen[0] = n;
	if (sjis_from_utf8((char *)p->pat[1], sizeof(p->pat[1]), &n, key, sizeof(key) - 1,
	    NULL) == 0)
		p->patlen[1] = n;
	if (sizeof(key) - 1 <= sizeof(p->pat[2])) {
		memcpy(p->pat[2], key, sizeof(key) - 1);
		p->patlen[2] = sizeof(key) - 1;
	}
}

const char *
upki_bulk_errmsg(const struct upki_bulk *p)
{
	return p->errmsg;
}

/* Does pat (m > 0 bytes) occur in s[0..n)? */
static int
bulk_find(const unsigned char *s, size_t n, const unsigned char *pat, size_t m)
{
	const unsigned char *p = s, *end = s + n;

	while (m <= (size_t)(end - p)) {
		p = memchr(p, pat[0], (size_t)(end - p) - m + 1);
		if (p == NULL)
			return 0;
		if (memcmp(p, pat, m) == 0)
			return 1;
		p++;
	}
	return 0;
}

int
upki_bulk_has_busy(const struct upki_bulk *p, const void *s, size_t n)
{
	for (int k = 0; k < 3; k++)
		if (p->patlen[k] > 0 && bulk_find(s, n, p->pat[k], p->patlen[k]))
			return 1;
	return 0;
}

/* HTML mode: look for the busy text across chunk borders, bounded. */
static int
bulk_html(struct upki_bulk *p, const unsigned char *s, size_t n)
{
	unsigned char edge[2 * sizeof(p->win)];
	size_t take = n < sizeof(p->win) ? n : sizeof(p->win), keep;

	memcpy(edge, p->win, p->win_len);
	memcpy(edge + p->win_len, s, take);
	if (upki_bulk_has_busy(p, edge, p->win_len + take) || upki_bulk_has_busy(p, s, n))
		return upki_bulk_stop(p, ERR_RATELIMIT, "UPKI answered with its busy page (%s)",
		    UPKI_TEXT_BUSY_KEY);
	/* Keep the last bytes of win + s for the next border. */
	if (n >= sizeof(p->win) - 1) {
		keep = sizeof(p->win) - 1;
		memcpy(p->win, s + n - keep, keep);
	} else {
		keep = p->win_len + n > sizeof(p->win) - 1 ? sizeof(p->win) - 1 : p->win_len + n;
		memmove(p->win, edge + p->win_len + n - keep, keep);
	}
	p->win_len = keep;
	p->html_seen += n;
	if (p->html_seen > UPKI_BULK_HTML_SCAN_MAX)
		return upki_bulk_stop(p, ERR_PROTOCOL, "UPKI answered with an HTML page, not a TSV");
	return 0;
}


/* ---- records ------------------------------------------------------------- */

static void
bulk_rec_reset(struct upki_bulk *p)
{
	p->len = 0;
	p->rec_nl = 0;
	p->field_start = 1;
	p->inq = p->qpend = p->qnl = 0;
}

/* A complete record is in rec[0..len). */
static int
bulk_record(struct upki_bulk *p)
{
	size_t len = p->len, k;
	int rc = 0;

	if (len > 0 && p->rec[len - 1] == '\r')
		len--;
	k = 0;
	if (p->phase == UPKI_BULK_START && len >= 3 && memcmp(p->rec, upki_bulk_bom, 3) == 0) {
		/* A BOM on a line of its own. */
		p->utf8 = 1;
		k = 3;
	}
	while (k < len && upki_bulk_is_space(p->rec[k]))
		k++;
	if (k < len) {
		if (p->phase == UPKI_BULK_ROWS)
			rc = upki_bulk_row_parse(p, p->rec, len);
		else
			rc = upki_bulk_header_parse(p, p->rec, len);
	}
	p->rec_line += p->rec_nl + 1;
	p->lines = p->rec_line - 1;
	bulk_rec_reset(p);
	return rc;
}

/*
 * The record in rec cannot be completed: a quoted cell never closed (eof) or
 * the record hit UPKI_BULK_RECORD_MAX inside quotes. Report its first line as
 * bad and parse the rest of rec again from the next line.
 */
static int
bulk_recover(struct upki_bulk *p)
{
	unsigned char *nl = memchr(p->rec, '\n', p->len);
	size_t from, tail;
	int rc;

	if (p->phase != UPKI_BULK_ROWS)
		return upki_bulk_stop(p, ERR_MALFORMED,
		    "not a bulk certificate TSV: the header row has an unterminated quote");
	rc = upki_bulk_emit_bad(p, "line %lu: a quoted cell is never closed", p->rec_line);
	if (rc != 0)
		return rc;
	from = nl != NULL ? (size_t)(nl - p->rec) + 1 : p->len;
	tail = p->len - from;
	p->rec_line++;
	p->lines = p->rec_line - 1;
	bulk_rec_reset(p);
	/* Writes into rec (at len) never pass the byte being read (from + i). */
	for (size_t i = 0; i < tail && p->phase != UPKI_BULK_DONE; i++) {
		rc = bulk_byte(p, p->rec[from + i]);
		if (rc != 0)
			return rc;
	}
	return p->phase == UPKI_BULK_DONE ? p->err : 0;
}

static int
bulk_append(struct upki_bulk *p, unsigned char c)
{
	int rc;

	if (p->len == sizeof(p->rec)) {
		if (p->phase != UPKI_BULK_ROWS) {
			if (upki_bulk_has_busy(p, p->rec, p->len))
				return upki_bulk_stop(p, ERR_RATELIMIT,
				    "UPKI answered with its busy page (%s)", UPKI_TEXT_BUSY_KEY);
			return upki_bulk_stop(p, ERR_MALFORMED,
			    "not a bulk certificate TSV: the header row is longer than %d bytes",
			    UPKI_BULK_RECORD_MAX);
		}
		if (p->inq && memchr(p->rec, '\n', p->len) != NULL) {
			rc = bulk_recover(p);
			if (rc != 0)
				return rc;
			return bulk_byte(p, c);
		}
		rc = upki_bulk_emit_bad(p, "line %lu: row longer than %d bytes", p->rec_line,
		    UPKI_BULK_RECORD_MAX);
		if (rc != 0)
			return rc;
		/* Drop the rest of the physical line. */
		p->skip = 1;
		p->len = 0;
		p->inq = p->qpend = 0;
		return c == '\n' ? bulk_byte(p, c) : 0;
	}
	if (c == '\n')
		p->rec_nl++;
	p->rec[p->len++] = c;
	return 0;
}

static int
bulk_byte(struct upki_bulk *p, unsigned char c)
{
	if (p->skip) {
		if (c == '\n') {
			p->skip = 0;
			p->rec_line += p->rec_nl + 1;
			p->lines = p->rec_line - 1;
			bulk_rec_reset(p);
		}
		return 0;
	}
	if (p->phase == UPKI_BULK_START && !upki_bulk_is_space(c) &&
	    !(p->len < 3 && c == upki_bulk_bom[p->len] && memcmp(p->rec, upki_bulk_bom, p->len) == 0))
		p->phase = c == '<' ? UPKI_BULK_HTML : UPKI_BULK_HEADER;
	if (p->inq) {
		if (p->qpend) {
			p->qpend = 0;
			if (c == '"')
				return bulk_append(p, c);
			p->inq = 0;
		} else if (c == '\t' && !p->qnl) {
			/* A TAB before the closing quote: the '"' only started the
			 * text of a plain cell. */
			p->inq = 0;
		} else if (c == '\t') {
			/* ... and after a line break the quote swallowed lines. */
			int rc = bulk_recover(p);

			return rc != 0 ? rc : bulk_byte(p, c);
		} else {
			if (c == '"')
				p->qpend = 1;
			if (c == '\n')
				p->qnl = 1;
			return bulk_append(p, c);
		}
	}
	if (c == '"' && p->field_start) {
		p->inq = 1;
		p->qnl = 0;
		p->field_start = 0;
		return bulk_append(p, c);
	}
	if (c == '\n')
		return bulk_record(p);
	p->field_start = c == '\t';
	return bulk_append(p, c);
}

int
upki_bulk_feed(struct upki_bulk *p, const void *data, size_t n)
{
	const unsigned char *s = data;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (p->phase == UPKI_BULK_DONE)
			return p->err != 0 ? p->err : ERR_STATE;
		if (p->phase == UPKI_BULK_HTML)
			return bulk_html(p, s + i, n - i);
		if (p->phase == UPKI_BULK_ROWS && !p->skip && !p->qpend) {
			/* Fast path: copy the run up to the next byte that means
			 * something to bulk_byte() in one go. */
			size_t j = i, room = sizeof(p->rec) - p->len;

			while (j < n && j - i < room && s[j] != '\n' && s[j] != '\t' && s[j] != '"')
				j++;
			if (j > i) {
				memcpy(p->rec + p->len, s + i, j - i);
				p->len += j - i;
				if (!p->inq)
					p->field_start = 0;
				i = j - 1;
				continue;
			}
		}
		rc = bulk_byte(p, s[i]);
		if (rc != 0)
			return rc;
		if (p->phase == UPKI_BULK_HTML) {
			/* The '<' just read is in rec with any blank before it. */
			rc = bulk_html(p, p->rec, p->len);
			p->len = 0;
			if (rc != 0)
				return rc;
		}
	}
	if (p->phase == UPKI_BULK_DONE)
		return p->err != 0 ? p->err : ERR_STATE;
	return 0;
}

int
upki_bulk_finish(struct upki_bulk *p)
{
	int rc;

	if (p->phase == UPKI_BULK_DONE)
		return p->err;
	if (p->phase == UPKI_BULK_HTML)
		return upki_bulk_stop(p, ERR_PROTOCOL, "UPKI answered with an HTML page, not a TSV");
	if (p->qpend)
		p->inq = p->qpend = 0;
	while (p->inq) {
		rc = bulk_recover(p);
		if (rc != 0)
			return rc;
		if (p->qpend)
			p->inq = p->qpend = 0;
	}
	if (p->skip) {
		p->skip = 0;
		bulk_rec_reset(p);
	}
	if (p->len > 0) {
		rc = bulk_record(p);
		if (rc != 0)
			return rc;
	}
	if (p->phase == UPKI_BULK_START)
		return upki_bulk_stop(p, ERR_MALFORMED, "empty answer: no header row");
	if (p->phase == UPKI_BULK_DONE)
		return p->err;
	p->phase = UPKI_BULK_DONE;
	p->err = 0;
	return 0;
}

/* ---- dates --------------------------------------------------------------- */

/* Read 1..max digits at s[*i]; -1 if none. */
static int
bulk_num(const char *s, size_t n, size_t *i, int min, int max)
{
	int v = 0, k = 0;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9' && k < max) {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	return k >= min ? v : -1;
}

int
upki_jst_parse(const char *s, size_t n, int64_t *t)
{
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, se = 0;
	char sep;

	while (n > 0 && s[n - 1] == ' ')
		n--;
	while (i < n && s[i] == ' ')
		i++;
	y = bulk_num(s, n, &i, 4, 4);
	if (y < 0 || i >= n || (s[i] != '/' && s[i] != '-'))
		return ERR_MALFORMED;
	sep = s[i++];
	mo = bulk_num(s, n, &i, 1, 2);
	if (mo < 0 || i >= n || s[i] != sep)
		return ERR_MALFORMED;
	i++;
	d = bulk_num(s, n, &i, 1, 2);
	if (d < 0)
		return ERR_MALFORMED;
	if (i < n) {
		if (s[i] != ' ' && s[i] != 'T')
			return ERR_MALFORMED;
		while (i < n && (s[i] == ' ' || s[i] == 'T'))
			i++;
		h = bulk_num(s, n, &i, 1, 2);
		if (h < 0 || i >= n || s[i] != ':')
			return ERR_MALFORMED;
		i++;
		mi = bulk_num(s, n, &i, 2, 2);
		if (mi < 0)
			return ERR_MALFORMED;
		if (i < n && s[i] == ':') {
			i++;
			se = bulk_num(s, n, &i, 2, 2);
			if (se < 0)
				return ERR_MALFORMED;
		}
		if (i != n)
			return ERR_MALFORMED;
	}
	if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    se > 59)
		return ERR_MALFORMED;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return ERR_MALFORMED;
	*t = timefmt_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
	    se - UPKI_TZ_OFFSET_S;
	return 0;
}

int
upki_jst_format(char *out, size_t outsz, int64_t t)
{
	char iso[TIMEFMT_RFC3339_LEN];

	if (outsz < 20 || t > INT64_MAX - UPKI_TZ_OFFSET_S ||
	    timefmt_rfc3339(iso, sizeof(iso), t + UPKI_TZ_OFFSET_S) < 0)
		return ERR_RANGE;
	/* "2026-11-24T03:33:36Z" -> "2026/11/24 03:33:36" */
	memcpy(out, iso, 19);
	out[4] = out[7] = UPKI_DATE_SEP;
	out[10] = ' ';
	out[19] = '\0';
	return 0;
}
