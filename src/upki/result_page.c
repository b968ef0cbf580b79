/* result_page.c: read UPKI's upload answer from its text, not its markup. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "upki/result_page.h"
#include "upki/sjis.h"
#include "upki/upki_profile.h"
#include "util/err.h"
#include "util/str.h"

#define RP_SEG_MAX 4096 /* a longer text run is read in pieces */
#define RP_CELL_MAX 32
#define RP_NAME_MAX 16

enum rp_state {
	RP_TEXT,
	RP_TAG_OPEN,  /* after '<' */
	RP_TAG_NAME,
	RP_TAG_ATTR,  /* rest of the tag up to '>' */
	RP_TAG_QUOTE, /* quoted attribute value */
	RP_COMMENT,
	RP_DECL,      /* <!DOCTYPE ...> and the like */
	RP_ENTITY,
	RP_RAW        /* script or style body */
};

struct rp {
	struct upki_result *r;
	enum rp_state st;
	uint32_t quote;
	int closing;
	char name[RP_NAME_MAX];
	size_t name_len;
	char raw_end[RP_NAME_MAX];   /* "</script" while in RP_RAW */
	size_t raw_match;
	int dashes;                  /* '-' seen in a row inside a comment */
	char ent[12];
	size_t ent_len;
	int busy, maintenance;
	/* current text run */
	char seg[RP_SEG_MAX + 8];
	size_t seg_len;
	int space;
	/* results table */
	int in_row, cell;
	char cells[2][RP_CELL_MAX];
	size_t cell_len[2];
};

/* Copy n bytes of UTF-8 into dst (size dstsz), cut at a character boundary. */
static void
rp_copy(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (n >= dstsz) {
		n = dstsz - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
rp_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at s[*i], 1..max of them, value into *v. */
static int
rp_num(const char *s, size_t n, size_t *i, int max, int *v)
{
	int k = 0;

	*v = 0;
	while (*i < n && rp_isdigit(s[*i]) && k < max) {
		*v = *v * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	return k > 0 && (*i >= n || !rp_isdigit(s[*i]));
}

/*
 * Is there an error line head "<code>:<row>,<field>," at s[i]? Returns the
 * length of the head (0 if not) and fills code, row and the field's span.
 */
static size_t
rp_error_head(const char *s, size_t n, size_t i, int *code, int *row, size_t *fs,
    size_t *fl)
{
	size_t j = i;

	if (i > 0 && rp_isdigit(s[i - 1]))
		return 0;
	if (!rp_num(s, n, &j, 4, code) || j >= n || s[j] != ':')
		return 0;
	j++;
	if (!rp_num(s, n, &j, 6, row) || j >= n || s[j] != ',')
		return 0;
	*fs = ++j;
	while (j < n && s[j] != ',' && s[j] != ':' && j - *fs < 64)
		j++;
	if (j >= n || s[j] != ',' || j == *fs)
		return 0;
	*fl = j - *fs;
	return j + 1 - i;
}

static void
rp_add_error(struct upki_result *r, int code, int row, const char *f, size_t fl,
    const char *m, size_t ml)
{
	struct upki_result_error *e;
	char field[sizeof(e->field)];

	while (ml > 0 && (m[ml - 1] == ' '))
		ml--;
	while (ml > 0 && m[0] == ' ')
		m++, ml--;
	rp_copy(field, sizeof(field), f, fl);
	for (int k = 0; k < r->n_errors; k++)
		if (r->errors[k].code == code && r->errors[k].row == row &&
		    strcmp(r->errors[k].field, field) == 0)
			return; /* the same line shown twice on the page */
	if (r->n_errors == UPKI_RESULT_MAX_ERRORS) {
		r->errors_dropped++;
		return;
	}
	e = &r->errors[r->n_errors++];
	e->code = code;
	e->row = row;
	memcpy(e->field, field, sizeof(field));
	rp_copy(e->message, sizeof(e->message), m, ml);
}

/* Does s contain key once white space (ASCII and U+3000) is ignored? */
static int
rp_contains(const char *s, size_t n, const char *key)
{
	static const char ideo_space[] = "\xE3\x80\x80";
	size_t klen = strlen(key);

	for (size_t i = 0; i < n; i++) {
		size_t j = i, k = 0;

		while (j < n && k < klen) {
			if (s[j] == ' ') {
				j++;
				continue;
			}
			if (n - j >= 3 && memcmp(s + j, ideo_space, 3) == 0) {
				j += 3;
				continue;
			}
			if (s[j] != key[k])
				break;
			j++;
			k++;
		}
		if (k == klen)
			return 1;
	}
	return 0;
}

/* One run of text between block tags. */
static void
rp_segment(struct rp *p)
{
	struct upki_result *r = p->r;
	const char *s = p->seg;
	size_t n = p->seg_len;

	if (n == 0)
		return;
	if (rp_contains(s, n, UPKI_TEXT_UPLOAD_DONE))
		r->done_text = 1;
	if (rp_contains(s, n, UPKI_TEXT_UPLOAD_FAILED) || rp_contains(s, n, UPKI_TEXT_ERROR_TITLE))
		r->failed_text = 1;
	if (rp_contains(s, n, UPKI_TEXT_BUSY_KEY))
		p->busy = 1;
	if (rp_contains(s, n, UPKI_TEXT_MAINTENANCE_KEY))
		p->maintenance = 1;
	for (size_t i = 0; i < n; i++) {
		int code, row;
		size_t fs, fl, head = rp_error_head(s, n, i, &code, &row, &fs, &fl), m, e;

		if (head == 0)
			continue;
		/* The message runs to the next error line head or the end of the run. */
		m = i + head;
		for (e = m; e < n; e++) {
			int c2, r2;
			size_t f2, l2;

			if (rp_error_head(s, n, e, &c2, &r2, &f2, &l2) > 0)
				break;
		}
		rp_add_error(r, code, row, s + fs, fl, s + m, e - m);
		i = e - 1;
	}
	p->seg_len = 0;
	p->space = 0;
}

static void
rp_cell_trim(const char *s, size_t n, const char **out, size_t *outlen)
{
	while (n > 0 && s[0] == ' ')
		s++, n--;
	while (n > 0 && s[n - 1] == ' ')
		n--;
	*out = s;
	*outlen = n;
}

/* A table row ended: is it "SEQ | OK/NG | ..."? */
static void
rp_row_end(struct rp *p)
{
	struct upki_result *r = p->r;
	const char *a, *b;
	size_t al, bl, i = 0;
	int seq, ok;

	if (!p->in_row)
		return;
	p->in_row = 0;
	if (p->cell < 1)
		return;
	rp_cell_trim(p->cells[0], p->cell_len[0], &a, &al);
	rp_cell_trim(p->cells[1], p->cell_len[1], &b, &bl);
	if (al == 0 || al > 6 || !rp_num(a, al, &i, 6, &seq) || i != al)
		return;
	if ((bl == 2 && strncasecmp(b, UPKI_TEXT_RESULT_OK, 2) == 0) ||
	    (bl == 6 && memcmp(b, STR_LIT("ＯＫ")) == 0))
		ok = 1;
	else if ((bl == 2 && strncasecmp(b, UPKI_TEXT_RESULT_NG, 2) == 0) ||
	    (bl == 6 && memcmp(b, STR_LIT("ＮＧ")) == 0))
		ok = 0;
	else
		return;
	if (!ok)
		r->n_ng++;
	if (r->n_rows < UPKI_RESULT_MAX_ROWS) {
		r->rows[r->n_rows].seq = seq;
		r->rows[r->n_rows].ok = ok;
		r->n_rows++;
	}
}

static void
rp_row_start(struct rp *p)
{
	rp_row_end(p);
	p->in_row = 1;
	p->cell = -1;
	p->cell_len[0] = p->cell_len[1] = 0;
}

/* Append one character of text. */
static void
rp_put(struct rp *p, uint32_t cp)
{
	char u[4];
	size_t k;

	if (cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == '\f' || cp == 0xA0) {
		p->space = 1;
		return;
	}
	if (cp < 0x20 || cp == 0x7F)
		return;
	if (p->seg_len + 5 > RP_SEG_MAX)
		rp_segment(p);
	k = upki_utf8_put(u, cp);
	for (int pass = 0; pass < 2; pass++) {
		const char *add = pass == 0 ? " " : u;
		size_t addn = pass == 0 ? 1 : k;

		if (pass == 0 && !(p->space && p->seg_len > 0))
			continue;
		memcpy(p->seg + p->seg_len, add, addn);
		p->seg_len += addn;
		if (p->in_row && p->cell >= 0 && p->cell < 2 &&
		    p->cell_len[p->cell] + addn < RP_CELL_MAX) {
			memcpy(p->cells[p->cell] + p->cell_len[p->cell], add, addn);
			p->cell_len[p->cell] += addn;
		}
	}
	p->space = 0;
}

static int
rp_tag_is(const struct rp *p, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcmp(p->name, *names) == 0)
			return 1;
	return 0;
}

/* A whole tag was read (name in p->name, p->closing). */
static void
rp_tag(struct rp *p)
{
	static const char *const inline_tags[] = {"a", "b", "i", "u", "s", "em", "strong", "span",
	    "font", "small", "big", "code", "tt", "nobr", "strike", "sub", "sup", "abbr", NULL};
	static const char *const raw_tags[] = {"script", "style", NULL};

	if (p->name_len == 0 || rp_tag_is(p, inline_tags))
		return;
	rp_segment(p);
	if (strcmp(p->name, "tr") == 0) {
		if (p->closing)
			rp_row_end(p);
		else
			rp_row_start(p);
	} else if (strcmp(p->name, "table") == 0) {
		rp_row_end(p);
	} else if (!p->closing && (strcmp(p->name, "td") == 0 || strcmp(p->name, "th") == 0)) {
		if (!p->in_row)
			rp_row_start(p);
		p->cell++;
		if (p->cell >= 0 && p->cell < 2)
			p->cell_len[p->cell] = 0;
	}
	if (!p->closing && rp_tag_is(p, raw_tags)) {
		snprintf(p->raw_end, sizeof(p->raw_end), "</%s", p->name);
		p->raw_match = 0;
		p->st = RP_RAW;
	}
}

static void
rp_entity_end(struct rp *p)
{
	static const struct {
		const char *name;
		uint32_t cp;
	} ents[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
	    {"nbsp", ' '}, {"yen", 0xA5}, {"copy", 0xA9}};
	uint32_t cp = 0;

	p->ent[p->ent_len] = '\0';
	if (p->ent_len > 1 && p->ent[0] == '#') {
		int hex = p->ent[1] == 'x' || p->ent[1] == 'X';

		for (size_t i = hex ? 2 : 1; i < p->ent_len; i++) {
			char c = p->ent[i];
			uint32_t d;

			if (c >= '0' && c <= '9')
				d = (uint32_t)(c - '0');
			else if (hex && ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
				d = (uint32_t)((c | 0x20) - 'a' + 10);
			else
				break;
			cp = cp * (hex ? 16 : 10) + d;
			if (cp > 0x10FFFF)
				break;
		}
		if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			cp = 0xFFFD;
	} else {
		for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (strcmp(p->ent, ents[i].name) == 0)
				cp = ents[i].cp;
		if (cp == 0) {
			/* Not one we know: keep the text. */
			rp_put(p, '&');
			for (size_t i = 0; i < p->ent_len; i++)
				rp_put(p, (unsigned char)p->ent[i]);
			rp_put(p, ';');
			return;
		}
	}
	rp_put(p, cp);
}

static int
rp_is_name_char(uint32_t cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
}

static void
rp_char(struct rp *p, uint32_t cp)
{
	switch (p->st) {
	case RP_TEXT:
		if (cp == '<') {
			p->st = RP_TAG_OPEN;
		} else if (cp == '&') {
			p->ent_len = 0;
			p->st = RP_ENTITY;
		} else {
			rp_put(p, cp);
		}
		return;
	case RP_ENTITY:
		if (cp == ';') {
			rp_entity_end(p);
			p->st = RP_TEXT;
			return;
		}
		if ((rp_is_name_char(cp) || cp == '#') && p->ent_len < sizeof(p->ent) - 1) {
			p->ent[p->ent_len++] = (char)cp;
			return;
		}
		/* A bare '&': give the text back and read cp again. */
		rp_put(p, '&');
		for (size_t i = 0; i < p->ent_len; i++)
			rp_put(p, (unsigned char)p->ent[i]);
		p->st = RP_TEXT;
		rp_char(p, cp);
		return;
	case RP_TAG_OPEN:
		p->name_len = 0;
		p->name[0] = '\0';
		p->closing = 0;
		if (cp == '!') {
			p->dashes = 0;
			p->st = RP_DECL;
		} else if (cp == '/') {
			p->closing = 1;
			p->st = RP_TAG_NAME;
		} else if (rp_is_name_char(cp)) {
			p->st = RP_TAG_NAME;
			rp_char(p, cp);
		} else {
			rp_put(p, '<');
			p->st = RP_TEXT;
			rp_char(p, cp);
		}
		return;
	case RP_TAG_NAME:
		if (rp_is_name_char(cp)) {
			if (p->name_len < sizeof(p->name) - 1) {
				p->name[p->name_len++] = (char)(cp | 0x20);
				p->name[p->name_len] = '\0';
			}
			return;
		}
		p->st = RP_TAG_ATTR;
		rp_char(p, cp);
		return;
	case RP_TAG_ATTR:
		if (cp == '>') {
			p->st = RP_TEXT;
			rp_tag(p);
		} else if (cp == '"' || cp == '\'') {
			p->quote = cp;
			p->st = RP_TAG_QUOTE;
		}
		return;
	case RP_TAG_QUOTE:
		if (cp == p->quote)
			p->st = RP_TAG_ATTR;
		return;
	case RP_DECL:
		/* "<!--" opens a comment; anything else ends at '>'. */
		if (cp == '-' && p->dashes < 2) {
			if (++p->dashes == 2) {
				p->dashes = 0;
				p->st = RP_COMMENT;
			}
			return;
		}
		p->dashes = 2;
		if (cp == '>')
			p->st = RP_TEXT;
		return;
	case RP_COMMENT:
		if (cp == '-') {
			p->dashes++;
		} else {
			if (cp == '>' && p->dashes >= 2)
				p->st = RP_TEXT;
			p->dashes = 0;
		}
		return;
	case RP_RAW: {
		uint32_t lc = cp < 0x80 ? (cp >= 'A' && cp <= 'Z' ? cp | 0x20 : cp) : 0;

		if (lc == (unsigned char)p->raw_end[p->raw_match]) {
			if (p->raw_end[++p->raw_match] == '\0') {
				snprintf(p->name, sizeof(p->name), "%s", p->raw_end + 2);
				p->name_len = strlen(p->name);
				p->closing = 1;
				p->st = RP_TAG_ATTR;
			}
		} else {
			p->raw_match = lc == '<' ? 1 : 0;
		}
		return;
	}
	}
}

int
upki_result_parse(struct upki_result *r, const void *html, size_t n)
{
	const unsigned char *s = html;
	struct rp p;
	size_t i = 0;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	p.r = r;
	p.st = RP_TEXT;
	while (i < n) {
		uint32_t cp = eucjp_decode_next(s, n, &i);

		rp_char(&p, cp == JIS_INVALID ? 0xFFFD : cp);
	}
	if (p.st == RP_ENTITY) {
		rp_put(&p, '&');
		for (size_t k = 0; k < p.ent_len; k++)
			rp_put(&p, (unsigned char)p.ent[k]);
	}
	rp_segment(&p);
	rp_row_end(&p);

	if (r->n_errors > 0 || r->errors_dropped > 0 || r->n_ng > 0 || r->failed_text) {
		r->page = UPKI_PAGE_ERROR;
		return ERR_REJECTED;
	}
	if (r->done_text) {
		r->page = UPKI_PAGE_DONE;
		r->ok = 1;
		return 0;
	}
	if (p.busy) {
		r->page = UPKI_PAGE_BUSY;
		return ERR_RATELIMIT;
	}
	if (p.maintenance) {
		r->page = UPKI_PAGE_MAINTENANCE;
		return ERR_AGAIN;
	}
	r->page = UPKI_PAGE_UNKNOWN;
	return ERR_PROTOCOL;
}

const char *
upki_result_acme(const struct upki_result *r)
{
	if (r->page == UPKI_PAGE_BUSY)
		return "rateLimited";
	/* A problem the client can fix is worth more to it than our own fault. */
	for (int k = 0; k < r->n_errors; k++)
		if (strcmp(upki_err_to_acme(r->errors[k].code), "serverInternal") != 0)
			return upki_err_to_acme(r->errors[k].code);
	return "serverInternal";
}

/* Append to out like snprintf, never past outsz, cutting at a UTF-8 boundary. */
static size_t
rp_cat(char *out, size_t outsz, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t
rp_cat(char *out, size_t outsz, size_t len, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (k < 0 || len + 1 >= outsz)
		return len;
	k = (int)upki_utf8_trim(tmp);
	rp_copy(out + len, outsz - len, tmp, (size_t)k < sizeof(tmp) ? (size_t)k : sizeof(tmp) - 1);
	return len + strlen(out + len);
}

size_t
upki_result_detail(const struct upki_result *r, char *out, size_t outsz)
{
	size_t len = 0;

	if (outsz == 0)
		return 0;
	out[0] = '\0';
	switch (r->page) {
	case UPKI_PAGE_DONE:
		return rp_cat(out, outsz, 0, "UPKI accepted the upload: %s", UPKI_TEXT_UPLOAD_DONE);
	case UPKI_PAGE_BUSY:
		return rp_cat(out, outsz, 0, "UPKI is busy: %s", UPKI_TEXT_BUSY);
	case UPKI_PAGE_MAINTENANCE:
		return rp_cat(out, outsz, 0, "UPKI is under maintenance: %s",
		    UPKI_TEXT_MAINTENANCE);
	case UPKI_PAGE_UNKNOWN:
		return rp_cat(out, outsz, 0,
		    "UPKI's answer was not understood (no \"%s\" in it)", UPKI_TEXT_UPLOAD_DONE);
	case UPKI_PAGE_ERROR:
		break;
	}
	len = rp_cat(out, outsz, len, "UPKI refused the application");
	for (int k = 0; k < r->n_errors; k++) {
		const struct upki_result_error *e = &r->errors[k];

		len = rp_cat(out, outsz, len, "%s row %d: %d %s: %s", k == 0 ? ":" : ";", e->row,
		    e->code, e->field, e->message);
	}
	if (r->errors_dropped > 0)
		len = rp_cat(out, outsz, len, "; and %d more", r->errors_dropped);
	if (r->n_errors == 0) {
		if (r->n_ng > 0)
			len = rp_cat(out, outsz, len, ": %d row(s) NG without a reason", r->n_ng);
		else
			len = rp_cat(out, outsz, len, ": %s", UPKI_TEXT_UPLOAD_FAILED);
	}
	return len;
}
