/* tsv_bulk.c: push parser of the bulk certificate TSV (see tsv_bulk.h for the rules). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "upki/sjis.h"
#include "upki/tsv_bulk.h"
#include "util/err.h"
#include "util/timefmt.h"

#define BULK_MAX_FIELDS 64 /* header cells past this are ignored */

static const unsigned char bulk_bom[3] = {0xEF, 0xBB, 0xBF};

static int bulk_byte(struct upki_bulk *p, unsigned char c);

static int
bulk_stop(struct upki_bulk *p, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Enter DONE with rc; the first reason given is kept. */
static int
bulk_stop(struct upki_bulk *p, int rc, const char *fmt, ...)
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

static int
bulk_has_busy(const struct upki_bulk *p, const void *s, size_t n)
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
	if (bulk_has_busy(p, edge, p->win_len + take) || bulk_has_busy(p, s, n))
		return bulk_stop(p, ERR_RATELIMIT, "UPKI answered with its busy page (%s)",
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
		return bulk_stop(p, ERR_PROTOCOL, "UPKI answered with an HTML page, not a TSV");
	return 0;
}

/* ---- rows ---------------------------------------------------------------- */

/*
 * Is the '"' at rec[i] the start of a quoted cell? Not when a TAB comes before
 * its closing quote: then it is a cell that happens to start with '"' (the
 * scanner in bulk_byte() applies the same rule).
 */
static int
bulk_quoted(const unsigned char *rec, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (rec[i] == '"') {
			if (i + 1 < len && rec[i + 1] == '"') {
				i++;
				continue;
			}
			return 1;
		}
		if (rec[i] == '\t')
			return 0;
	}
	return 1;
}

/* Split rec[0..len) into cells, unquoting in place. */
static size_t
bulk_split(unsigned char *rec, size_t len, unsigned char **f, size_t *fl, size_t max)
{
	size_t nf = 0, i = 0;

	for (;;) {
		unsigned char *start = rec + i, *w;

		if (i < len && rec[i] == '"' && bulk_quoted(rec, len, i)) {
			w = start;
			for (i++; i < len; i++) {
				if (rec[i] == '"') {
					if (i + 1 < len && rec[i + 1] == '"') {
						*w++ = '"';
						i++;
						continue;
					}
					i++;
					break;
				}
				*w++ = rec[i];
			}
			/* Text after the closing quote is kept as it is. */
			while (i < len && rec[i] != '\t')
				*w++ = rec[i++];
		} else {
			while (i < len && rec[i] != '\t')
				i++;
			w = rec + i;
		}
		if (nf < max) {
			f[nf] = start;
			fl[nf] = (size_t)(w - start);
			nf++;
		}
		if (i >= len)
			break;
		i++;
	}
	return nf;
}

/* Bump allocator over p->scratch for one record. */
struct bulk_mem {
	char *base;
	size_t cap;
	size_t used;
};

static char *
bulk_alloc(struct bulk_mem *m, size_t n)
{
	char *r;

	if (m->cap - m->used < n)
		return NULL;
	r = m->base + m->used;
	m->used += n;
	return r;
}

static int
bulk_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Decode one cell to UTF-8 in scratch, trimmed of ASCII blanks. NULL: no room,
 * *bad 1: invalid UTF-8 (UTF-8 file), 2: a control character in the value. */
static const char *
bulk_text(struct upki_bulk *p, struct bulk_mem *m, const unsigned char *s, size_t n,
    int *bad)
{
	size_t cap = 3 * n + 1, len;
	char *out;

	while (n > 0 && bulk_is_space(s[0]))
		s++, n--;
	while (n > 0 && bulk_is_space(s[n - 1]))
		n--;
	out = bulk_alloc(m, cap);
	if (out == NULL)
		return NULL;
	if (p->utf8) {
		if (upki_utf8_check((const char *)s, n, NULL, NULL) < 0) {
			*bad = 1;
			return NULL;
		}
		memcpy(out, s, n);
		out[n] = '\0';
		len = n;
	} else if (sjis_to_utf8(out, cap, &len, s, n, JIS_REPLACE, NULL) < 0) {
		return NULL;
	}
	m->used -= cap - (len + 1);
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7F) {
			/* A NUL would cut the value short; a line break garbles logs. */
			*bad = 2;
			return NULL;
		}
	}
	return out;
}

static int
bulk_all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int
bulk_row_fail(struct upki_bulk_row *r, enum upki_bulk_col c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record the first problem of a row (later ones are not reported). */
static int
bulk_row_fail(struct upki_bulk_row *r, enum upki_bulk_col c, int rc, const char *fmt, ...)
{
	va_list ap;
	int k = 0;

	if (r->err != 0)
		return rc;
	r->err = rc;
	r->err_col = (int)c;
	if ((int)c >= 0 && c < UPKI_BCOL__MAX) {
		k = snprintf(r->errmsg, sizeof(r->errmsg), "%s: ", upki_bulk_cols[c].names[0]);
		if (k < 0 || (size_t)k >= sizeof(r->errmsg))
			k = 0;
	}
	va_start(ap, fmt);
	vsnprintf(r->errmsg + k, sizeof(r->errmsg) - (size_t)k, fmt, ap);
	va_end(ap);
	upki_utf8_trim(r->errmsg);
	return rc;
}

static void
bulk_row_init(struct upki_bulk *p, struct upki_bulk_row *r)
{
	memset(r, 0, sizeof(*r));
	r->line = p->rec_line;
	r->index = p->rows_good + p->rows_bad + 1;
	r->err_col = -1;
	r->app_id = r->serial = r->dn = r->profile_id = r->dnsnames = "";
	r->admin_name = r->admin_email = r->cert_pem = "";
	r->state = UPKI_CERT_NONE;
	r->state_raw = -1;
}

/* Pass a row to the callback and count it. */
static int
bulk_emit(struct upki_bulk *p, const struct upki_bulk_row *r)
{
	int rc;

	if (r->err != 0)
		p->rows_bad++;
	else
		p->rows_good++;
	rc = p->cb(p->cb_arg, r);
	if (rc != 0)
		return bulk_stop(p, rc, "stopped by the row callback");
	return 0;
}

static int
bulk_emit_bad(struct upki_bulk *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
bulk_emit_bad(struct upki_bulk *p, const char *fmt, ...)
{
	struct upki_bulk_row r;
	va_list ap;

	bulk_row_init(p, &r);
	r.err = ERR_MALFORMED;
	va_start(ap, fmt);
	vsnprintf(r.errmsg, sizeof(r.errmsg), fmt, ap);
	va_end(ap);
	return bulk_emit(p, &r);
}

static int
bulk_label(const char *v, const char *const *labels, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (labels[i] != NULL && strcmp(v, labels[i]) == 0)
			return 1;
	return 0;
}

static void
bulk_state(struct upki_bulk_row *r, const char *v)
{
	const struct upki_state_def *d;

	if (*v == '\0') {
		bulk_row_fail(r, UPKI_BCOL_STATE, ERR_MALFORMED, "empty");
		return;
	}
	if (bulk_all_digits(v)) {
		if (strlen(v) > 4) {
			bulk_row_fail(r, UPKI_BCOL_STATE, ERR_MALFORMED, "\"%.*s\" is not a state",
			    upki_utf8_clip(v, 16), v);
			return;
		}
		r->state_raw = (int)strtol(v, NULL, 10);
		r->state = UPKI_CERT_ERROR;
		for (d = upki_states; d->code >= 0; d++)
			if (d->code == r->state_raw)
				r->state = d->state;
		return;
	}
	for (d = upki_states; d->code >= 0; d++) {
		if (bulk_label(v, d->labels, sizeof(d->labels) / sizeof(d->labels[0]))) {
			r->state_raw = d->code;
			r->state = d->state;
			return;
		}
	}
	bulk_row_fail(r, UPKI_BCOL_STATE, ERR_MALFORMED,
	    "\"%.*s\" is not a state (a number, or a name such as 発行済み)",
	    upki_utf8_clip(v, 40), v);
}

static void
bulk_kind(struct upki_bulk_row *r, const char *v)
{
	if (*v == '\0')
		return;
	if (strlen(v) == 1 && v[0] >= '0' + UPKI_APPLY_NEW && v[0] < '0' + UPKI_APPLY__MAX) {
		r->kind = v[0] - '0';
		return;
	}
	for (int k = UPKI_APPLY_NEW; k < UPKI_APPLY__MAX; k++) {
		if (upki_kind_labels[k] != NULL && strcmp(v, upki_kind_labels[k]) == 0) {
			r->kind = k;
			return;
		}
	}
	bulk_row_fail(r, UPKI_BCOL_KIND, ERR_MALFORMED, "\"%.*s\" is not 1, 2 or 3",
	    upki_utf8_clip(v, 40), v);
}

static void
bulk_date(struct upki_bulk_row *r, enum upki_bulk_col c, const char *v, int64_t *t,
    unsigned bit)
{
	if (*v == '\0')
		return;
	if (upki_jst_parse(v, strlen(v), t) < 0) {
		bulk_row_fail(r, c, ERR_MALFORMED, "\"%.*s\" is not a date (YYYY/MM/DD HH:MM:SS)",
		    upki_utf8_clip(v, 40), v);
		return;
	}
	r->have |= bit;
}

static int
bulk_is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/';
}

/*
 * Rewrite the PEM cell (one line, or several; "\n" written as two characters
 * tolerated) as standard PEM: 64-column lines and '\n'. Returns NULL with *why.
 */
static char *
bulk_pem(struct bulk_mem *m, const unsigned char *s, size_t n, size_t *outlen,
    unsigned *count, const char **why)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	size_t cap = n + n / 64 + UPKI_BULK_PEM_MAX_CERTS * 4 + 2, o = 0, i = 0;
	char *out = bulk_alloc(m, cap);

	*count = 0;
	if (out == NULL) {
		*why = "no room to decode";
		return NULL;
	}
	for (;;) {
		size_t col = 0, b64 = 0, pad = 0;

		/* White space (and literal "\n", "\r") between blocks. */
		while (i < n && (bulk_is_space(s[i]) || (s[i] == '\\' && i + 1 < n &&
		    (s[i + 1] == 'n' || s[i + 1] == 'r'))))
			i += s[i] == '\\' ? 2 : 1;
		if (i == n)
			break;
		if (*count == UPKI_BULK_PEM_MAX_CERTS) {
			*why = "holds too many certificates";
			return NULL;
		}
		if (n - i < sizeof(begin) - 1 || memcmp(s + i, begin, sizeof(begin) - 1) != 0) {
			*why = "does not start with -----BEGIN CERTIFICATE-----";
			return NULL;
		}
		i += sizeof(begin) - 1;
		memcpy(out + o, begin, sizeof(begin) - 1);
		o += sizeof(begin) - 1;
		for (; i < n && s[i] != '-'; i++) {
			if (bulk_is_space(s[i]))
				continue;
			if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 'n' || s[i + 1] == 'r')) {
				i++;
				continue;
			}
			if (s[i] == '=') {
				pad++;
			} else if (!bulk_is_b64(s[i]) || pad > 0) {
				*why = "has a character that is not base64";
				return NULL;
			}
			if (pad > 2) {
				*why = "has bad base64 padding";
				return NULL;
			}
			if (col % 64 == 0)
				out[o++] = '\n';
			out[o++] = (char)s[i];
			col++;
			b64++;
		}
		if (b64 == 0 || b64 % 4 != 0) {
			*why = "has a base64 body of the wrong length";
			return NULL;
		}
		if (n - i < sizeof(end) - 1 || memcmp(s + i, end, sizeof(end) - 1) != 0) {
			*why = "has no -----END CERTIFICATE----- line (truncated?)";
			return NULL;
		}
		i += sizeof(end) - 1;
		out[o++] = '\n';
		memcpy(out + o, end, sizeof(end) - 1);
		o += sizeof(end) - 1;
		out[o++] = '\n';
		(*count)++;
	}
	if (*count == 0) {
		*why = "is empty";
		return NULL;
	}
	out[o] = '\0';
	*outlen = o;
	m->used -= cap - (o + 1);
	return out;
}

static int
bulk_row(struct upki_bulk *p, unsigned char *rec, size_t len)
{
	unsigned char *f[BULK_MAX_FIELDS];
	size_t fl[BULK_MAX_FIELDS], nf;
	struct bulk_mem m = {p->scratch, sizeof(p->scratch), 0};
	struct upki_bulk_row r;
	const char *v[UPKI_BCOL__MAX];

	bulk_row_init(p, &r);
	nf = bulk_split(rec, len, f, fl, BULK_MAX_FIELDS);
	for (int c = 0; c < UPKI_BCOL__MAX; c++) {
		int bad = 0, i = p->col[c];

		v[c] = "";
		if (i < 0 || (size_t)i >= nf || c == UPKI_BCOL_CERT)
			continue;
		v[c] = bulk_text(p, &m, f[i], fl[i], &bad);
		if (v[c] == NULL) {
			bulk_row_fail(&r, (enum upki_bulk_col)c, ERR_MALFORMED,
			    bad == 1 ? "not valid UTF-8" : bad == 2 ?
			    "contains a control character" : "cannot be decoded");
			v[c] = "";
		}
	}
	r.app_id = v[UPKI_BCOL_APP_ID];
	if (*r.app_id != '\0' && (!bulk_all_digits(r.app_id) || strlen(r.app_id) > 20))
		bulk_row_fail(&r, UPKI_BCOL_APP_ID, ERR_MALFORMED, "\"%.*s\" is not an ID",
		    upki_utf8_clip(r.app_id, 32), r.app_id);
	r.serial = v[UPKI_BCOL_SERIAL];
	if (*r.serial != '\0' && (!bulk_all_digits(r.serial) ||
	    strlen(r.serial) > UPKI_SERIAL_DIGITS_MAX))
		bulk_row_fail(&r, UPKI_BCOL_SERIAL, ERR_MALFORMED,
		    "\"%.*s\" is not a decimal serial number", upki_utf8_clip(r.serial, 60),
		    r.serial);
	r.dn = v[UPKI_BCOL_DN];
	if (*r.dn == '\0')
		bulk_row_fail(&r, UPKI_BCOL_DN, ERR_MALFORMED, "empty");
	bulk_state(&r, v[UPKI_BCOL_STATE]);
	bulk_kind(&r, v[UPKI_BCOL_KIND]);
	r.profile_id = v[UPKI_BCOL_PROFILE];
	r.dnsnames = v[UPKI_BCOL_DNSNAMES];
	r.admin_name = v[UPKI_BCOL_ADMIN_NAME];
	r.admin_email = v[UPKI_BCOL_ADMIN_EMAIL];
	bulk_date(&r, UPKI_BCOL_APPLIED, v[UPKI_BCOL_APPLIED], &r.applied_at,
	    UPKI_BULK_HAVE_APPLIED);
	bulk_date(&r, UPKI_BCOL_NOT_BEFORE, v[UPKI_BCOL_NOT_BEFORE], &r.not_before,
	    UPKI_BULK_HAVE_NOT_BEFORE);
	bulk_date(&r, UPKI_BCOL_NOT_AFTER, v[UPKI_BCOL_NOT_AFTER], &r.not_after,
	    UPKI_BULK_HAVE_NOT_AFTER);
	bulk_date(&r, UPKI_BCOL_REVOKED, v[UPKI_BCOL_REVOKED], &r.revoked_at,
	    UPKI_BULK_HAVE_REVOKED);
	if (p->col[UPKI_BCOL_CERT] >= 0 && (size_t)p->col[UPKI_BCOL_CERT] < nf) {
		int i = p->col[UPKI_BCOL_CERT];
		size_t k = 0;

		while (k < fl[i] && bulk_is_space(f[i][k]))
			k++;
		if (k < fl[i]) {
			const char *why = NULL;
			char *pem = bulk_pem(&m, f[i], fl[i], &r.cert_pem_len, &r.cert_count, &why);

			if (pem == NULL) {
				bulk_row_fail(&r, UPKI_BCOL_CERT, ERR_MALFORMED, "%s", why);
			} else {
				r.cert_pem = pem;
				r.have |= UPKI_BULK_HAVE_CERT;
			}
		}
	}
	return bulk_emit(p, &r);
}

/* ---- header -------------------------------------------------------------- */

/* "<html" or "<!doctype", any case, anywhere in s. */
static int
bulk_has_tag(const unsigned char *s, size_t n)
{
	static const char *const tags[] = {"<html", "<!doctype"};

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '<')
			continue;
		for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
			size_t k = strlen(tags[t]);

			if (n - i >= k && strncasecmp((const char *)s + i, tags[t], k) == 0)
				return 1;
		}
	}
	return 0;
}

static int
bulk_header(struct upki_bulk *p, unsigned char *rec, size_t len)
{
	unsigned char *f[BULK_MAX_FIELDS];
	size_t fl[BULK_MAX_FIELDS], nf, o = 0;
	struct bulk_mem m = {p->scratch, sizeof(p->scratch), 0};
	char missing[128];

	if (len >= 3 && memcmp(rec, bulk_bom, 3) == 0) {
		p->utf8 = 1;
		rec += 3;
		len -= 3;
	}
	if (bulk_has_busy(p, rec, len))
		return bulk_stop(p, ERR_RATELIMIT, "UPKI answered with its busy page (%s)",
		    UPKI_TEXT_BUSY_KEY);
	nf = bulk_split(rec, len, f, fl, BULK_MAX_FIELDS);
	for (size_t i = 0; i < nf; i++) {
		int bad = 0;
		const char *name = bulk_text(p, &m, f[i], fl[i], &bad);

		if (name == NULL)
			continue;
		for (int c = 0; c < UPKI_BCOL__MAX; c++)
			if (p->col[c] < 0 && bulk_label(name, upki_bulk_cols[c].names,
			    UPKI_BULK_COL_NAMES))
				p->col[c] = (int)i;
	}
	missing[0] = '\0';
	for (int c = 0; c < UPKI_BCOL__MAX; c++) {
		if (p->col[c] >= 0 || !upki_bulk_cols[c].required)
			continue;
		o += (size_t)snprintf(missing + o, o < sizeof(missing) ? sizeof(missing) - o : 0,
		    "%s%s", o > 0 ? ", " : "", upki_bulk_cols[c].names[0]);
		if (o >= sizeof(missing))
			o = sizeof(missing) - 1;
	}
	if (missing[0] != '\0') {
		if (bulk_has_tag(rec, len))
			return bulk_stop(p, ERR_PROTOCOL,
			    "UPKI answered with an HTML page, not a TSV");
		return bulk_stop(p, ERR_MALFORMED,
		    "not a bulk certificate TSV: the header row lacks %s", missing);
	}
	p->phase = UPKI_BULK_ROWS;
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
	if (p->phase == UPKI_BULK_START && len >= 3 && memcmp(p->rec, bulk_bom, 3) == 0) {
		/* A BOM on a line of its own. */
		p->utf8 = 1;
		k = 3;
	}
	while (k < len && bulk_is_space(p->rec[k]))
		k++;
	if (k < len) {
		if (p->phase == UPKI_BULK_ROWS)
			rc = bulk_row(p, p->rec, len);
		else
			rc = bulk_header(p, p->rec, len);
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
		return bulk_stop(p, ERR_MALFORMED,
		    "not a bulk certificate TSV: the header row has an unterminated quote");
	rc = bulk_emit_bad(p, "line %lu: a quoted cell is never closed", p->rec_line);
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
			if (bulk_has_busy(p, p->rec, p->len))
				return bulk_stop(p, ERR_RATELIMIT,
				    "UPKI answered with its busy page (%s)", UPKI_TEXT_BUSY_KEY);
			return bulk_stop(p, ERR_MALFORMED,
			    "not a bulk certificate TSV: the header row is longer than %d bytes",
			    UPKI_BULK_RECORD_MAX);
		}
		if (p->inq && memchr(p->rec, '\n', p->len) != NULL) {
			rc = bulk_recover(p);
			if (rc != 0)
				return rc;
			return bulk_byte(p, c);
		}
		rc = bulk_emit_bad(p, "line %lu: row longer than %d bytes", p->rec_line,
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
	if (p->phase == UPKI_BULK_START && !bulk_is_space(c) &&
	    !(p->len < 3 && c == bulk_bom[p->len] && memcmp(p->rec, bulk_bom, p->len) == 0))
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
		return bulk_stop(p, ERR_PROTOCOL, "UPKI answered with an HTML page, not a TSV");
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
		return bulk_stop(p, ERR_MALFORMED, "empty answer: no header row");
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
