/*
 * tsv_bulk_row.c: one record of the bulk certificate TSV (see tsv_bulk.h for
 * the rules): the header row that maps columns, and a data row cut into cells,
 * decoded to UTF-8 and checked (state, kind, dates, PEM) before the row
 * callback sees it.
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

#define BULK_MAX_FIELDS 64 /* header cells past this are ignored */

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

/* Decode one cell to UTF-8 in scratch, trimmed of ASCII blanks. NULL: no room,
 * *bad 1: invalid UTF-8 (UTF-8 file), 2: a control character in the value. */
static const char *
bulk_text(struct upki_bulk *p, struct bulk_mem *m, const unsigned char *s, size_t n,
    int *bad)
{
	size_t cap = 3 * n + 1, len;
	char *out;

	while (n > 0 && upki_bulk_is_space(s[0]))
		s++, n--;
	while (n > 0 && upki_bulk_is_space(s[n - 1]))
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
		return upki_bulk_stop(p, rc, "stopped by the row callback");
	return 0;
}

int
upki_bulk_emit_bad(struct upki_bulk *p, const char *fmt, ...)
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
		while (i < n && (upki_bulk_is_space(s[i]) || (s[i] == '\\' && i + 1 < n &&
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
			if (upki_bulk_is_space(s[i]))
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

int
upki_bulk_row_parse(struct upki_bulk *p, unsigned char *rec, size_t len)
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

		while (k < fl[i] && upki_bulk_is_space(f[i][k]))
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

int
upki_bulk_header_parse(struct upki_bulk *p, unsigned char *rec, size_t len)
{
	unsigned char *f[BULK_MAX_FIELDS];
	size_t fl[BULK_MAX_FIELDS], nf, o = 0;
	struct bulk_mem m = {p->scratch, sizeof(p->scratch), 0};
	char missing[128];

	if (len >= 3 && memcmp(rec, upki_bulk_bom, 3) == 0) {
		p->utf8 = 1;
		rec += 3;
		len -= 3;
	}
	if (upki_bulk_has_busy(p, rec, len))
		return upki_bulk_stop(p, ERR_RATELIMIT, "UPKI answered with its busy page (%s)",
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
			return upki_bulk_stop(p, ERR_PROTOCOL,
			    "UPKI answered with an HTML page, not a TSV");
		return upki_bulk_stop(p, ERR_MALFORMED,
		    "not a bulk certificate TSV: the header row lacks %s", missing);
	}
	p->phase = UPKI_BULK_ROWS;
	return 0;
}
