/* JSON parsing: jsmn tokens checked against the whole grammar. */
#include <limits.h>
#include <string.h>

/*
 * Parent links keep jsmn linear: without them every ',' and closing bracket
 * scans back over all earlier tokens. Non-strict mode is used on purpose: we
 * check the whole grammar ourselves below, and jsmn's strict mode refuses a
 * top-level scalar while still accepting {"a":1,}.
 */
#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "json/json_int.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/str.h"

/*
 * jsmn writes its tokens straight into the caller's json_tok array (same size
 * and alignment), so no second array is needed. Each slot is read back with
 * memcpy (character access, which may alias anything) exactly once, before it
 * is overwritten with the json_tok form, so no access through one struct type
 * is ever reordered against an access through the other.
 */
_Static_assert(sizeof(jsmntok_t) == sizeof(struct json_tok),
    "jsmntok_t and json_tok must have the same size");
_Static_assert(_Alignof(jsmntok_t) == _Alignof(struct json_tok),
    "jsmntok_t and json_tok must have the same alignment");

/* ---- UTF-8 and string escapes ------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (lead byte >= 0x80), or 0. */
size_t
json_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t k;

	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	/* The second byte carries the overlong, surrogate and range limits. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

static int
hex4(const char *s, size_t n)
{
	int v = 0;

	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t
utf8_put(unsigned char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decode the escape at s[*i] (s[*i] == '\\') into o. Returns the byte count
 * (1..4) and advances *i, or 0 if the escape is invalid.
 */
static size_t
str_escape(const char *s, size_t n, size_t *i, unsigned char o[4])
{
	size_t p = *i;
	int hi, lo;

	if (p + 1 >= n)
		return 0;
	switch (s[p + 1]) {
	case '"': o[0] = '"'; break;
	case '\\': o[0] = '\\'; break;
	case '/': o[0] = '/'; break;
	case 'b': o[0] = '\b'; break;
	case 'f': o[0] = '\f'; break;
	case 'n': o[0] = '\n'; break;
	case 'r': o[0] = '\r'; break;
	case 't': o[0] = '\t'; break;
	case 'u':
		hi = hex4(s + p + 2, n - p - 2);
		if (hi < 0 || (hi >= 0xdc00 && hi <= 0xdfff))
			return 0;
		if (hi < 0xd800 || hi > 0xdbff) {
			*i = p + 6;
			return utf8_put(o, (unsigned long)hi);
		}
		if (p + 12 > n || s[p + 6] != '\\' || s[p + 7] != 'u')
			return 0;
		lo = hex4(s + p + 8, n - p - 8);
		if (lo < 0xdc00 || lo > 0xdfff)
			return 0;
		*i = p + 12;
		return utf8_put(o, 0x10000ul + ((unsigned long)(hi - 0xd800) << 10) +
		    (unsigned long)(lo - 0xdc00));
	default:
		return 0;
	}
	*i = p + 2;
	return 1;
}

/*
 * Check string contents s[0..n); compute the unescaped length and an FNV-1a
 * hash of the unescaped bytes (used to skip most duplicate-name compares).
 */
static int
str_check(const char *s, size_t n, size_t *ulen, uint32_t *hash)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char tmp[4];
	uint32_t h = 2166136261u;
	size_t i = 0, len = 0, k;

	while (i < n) {
		if (u[i] < 0x20 || u[i] == '"')
			return ERR_MALFORMED;
		if (u[i] == '\\') {
			k = str_escape(s, n, &i, tmp);
			if (k == 0)
				return ERR_MALFORMED;
			for (size_t j = 0; j < k; j++)
				h = (h ^ tmp[j]) * 16777619u;
			len += k;
			continue;
		}
		k = u[i] < 0x80 ? 1 : json_utf8_seq(u + i, n - i);
		if (k == 0)
			return ERR_MALFORMED;
		for (size_t j = 0; j < k; j++)
			h = (h ^ u[i + j]) * 16777619u;
		i += k;
		len += k;
	}
	*ulen = len;
	*hash = h;
	return 0;
}

/*
 * Next unescaped unit of an already checked string: bytes into o, returns
 * their count (0 at the end or on a defect, which a checked string lacks).
 */
size_t
json_str_unit(const char *s, size_t n, size_t *i, unsigned char o[4])
{
	if (*i >= n)
		return 0;
	if (s[*i] == '\\')
		return str_escape(s, n, i, o);
	o[0] = (unsigned char)s[(*i)++];
	return 1;
}

/* ---- grammar walk over jsmn's tokens ------------------------------------- */

struct walk {
	const char *js;
	size_t len, pos;
	struct json_tok *tok;
	int ntok;
	int i;          /* next token to visit, in document order */
};

static int walk_value(struct walk *w, unsigned depth);

static void
walk_ws(struct walk *w)
{
	while (w->pos < w->len) {
		char c = w->js[w->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		w->pos++;
	}
}

static int
walk_peek(struct walk *w)
{
	walk_ws(w);
	return w->pos < w->len ? (unsigned char)w->js[w->pos] : -1;
}

/* Take the next jsmn token; its slot is free for the json_tok form after. */
static int
walk_take(struct walk *w, jsmntok_t *r)
{
	if (w->i >= w->ntok)
		return ERR_MALFORMED;
	memcpy(r, &w->tok[w->i], sizeof *r);
	return w->i++;
}

int
json_num_check(const char *s, size_t n, int *is_int)
{
	size_t i = 0, d;

	*is_int = 1;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return ERR_MALFORMED;
	if (i < n && s[i] == '.') {
		*is_int = 0;
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return ERR_MALFORMED;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		*is_int = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return ERR_MALFORMED;
	}
	return i == n ? 0 : ERR_MALFORMED;
}

static int
walk_primitive(struct walk *w)
{
	jsmntok_t r;
	int idx = walk_take(w, &r), type, is_int;
	const char *s;
	size_t n;

	if (idx < 0)
		return idx;
	if (r.type != JSMN_PRIMITIVE || r.start < 0 || (size_t)r.start != w->pos ||
	    r.end <= r.start || (size_t)r.end > w->len)
		return ERR_MALFORMED;
	s = w->js + r.start;
	n = (size_t)(r.end - r.start);
	if (n == 4 && memcmp(s, STR_LIT("true")) == 0)
		type = JSON_TRUE;
	else if (n == 5 && memcmp(s, STR_LIT("false")) == 0)
		type = JSON_FALSE;
	else if (n == 4 && memcmp(s, STR_LIT("null")) == 0)
		type = JSON_NULL;
	else if (json_num_check(s, n, &is_int) == 0)
		type = JSON_NUMBER;
	else
		return ERR_MALFORMED;
	w->tok[idx] = (struct json_tok){ type, r.start, r.end, 0, idx + 1 };
	w->pos = (size_t)r.end;
	return idx;
}

/* *hash gets the hash of the unescaped value (see str_check). */
static int
walk_string(struct walk *w, uint32_t *hash)
{
	jsmntok_t r;
	int idx = walk_take(w, &r), rc;
	size_t ulen;

	if (idx < 0)
		return idx;
	if (r.type != JSMN_STRING || r.start < 1 || (size_t)r.start != w->pos + 1 ||
	    r.end < r.start || (size_t)r.end >= w->len || w->js[r.end] != '"')
		return ERR_MALFORMED;
	rc = str_check(w->js + r.start, (size_t)(r.end - r.start), &ulen, hash);
	if (rc < 0)
		return rc;
	w->tok[idx] = (struct json_tok){ JSON_STRING, r.start, r.end, (int)ulen,
	    idx + 1 };
	w->pos = (size_t)r.end + 1;
	return idx;
}

/* Byte iterator over the unescaped value of a checked string. */
struct str_it {
	const char *s;
	size_t n, i;
	unsigned char o[4];
	size_t k, p;    /* bytes in o, next one to hand out */
};

static int
str_it_byte(struct str_it *it)
{
	if (it->p == it->k) {
		it->k = json_str_unit(it->s, it->n, &it->i, it->o);
		it->p = 0;
		if (it->k == 0)
			return -1;
	}
	return it->o[it->p++];
}

/* Two checked string tokens hold the same value. */
static int
str_tok_eq(const char *js, const struct json_tok *a, const struct json_tok *b)
{
	size_t an = (size_t)(a->end - a->start), bn = (size_t)(b->end - b->start);
	struct str_it ia = { .s = js + a->start, .n = an };
	struct str_it ib = { .s = js + b->start, .n = bn };
	int ca, cb;

	if (a->size != b->size)
		return 0;
	if (an == (size_t)a->size && bn == (size_t)b->size)
		return memcmp(js + a->start, js + b->start, an) == 0;
	do {
		ca = str_it_byte(&ia);
		cb = str_it_byte(&ib);
		if (ca != cb)
			return 0;
	} while (ca >= 0);
	return 1;
}

static int
walk_object(struct walk *w, unsigned depth)
{
	jsmntok_t r;
	int idx = walk_take(w, &r), key, rc, n = 0;
	uint32_t h;

	if (idx < 0)
		return idx;
	if (r.type != JSMN_OBJECT || r.start < 0 || (size_t)r.start != w->pos ||
	    depth >= JSON_MAX_DEPTH)
		return ERR_MALFORMED;
	w->pos++;
	if (walk_peek(w) == '}')
		goto end;
	for (;;) {
		if (walk_peek(w) != '"')
			return ERR_MALFORMED;
		key = walk_string(w, &h);
		if (key < 0)
			return key;
		/*
		 * A key's next is always key + 1, so while the object is open that
		 * field holds the name's hash instead; restored below. Earlier
		 * values are complete, so their next links hold.
		 */
		w->tok[key].next = (int)(h & INT_MAX);
		for (int i = 0, k = idx + 1; i < n; i++, k = w->tok[k + 1].next)
			if (w->tok[k].next == w->tok[key].next &&
			    str_tok_eq(w->js, &w->tok[k], &w->tok[key]))
				return ERR_MALFORMED;
		if (walk_peek(w) != ':')
			return ERR_MALFORMED;
		w->pos++;
		rc = walk_value(w, depth + 1);
		if (rc < 0)
			return rc;
		n++;
		rc = walk_peek(w);
		if (rc == '}')
			break;
		if (rc != ',')
			return ERR_MALFORMED;
		w->pos++;
	}
end:
	if (r.end < 0 || (size_t)r.end != w->pos + 1)
		return ERR_MALFORMED;
	for (int i = 0, k = idx + 1; i < n; i++, k = w->tok[k + 1].next)
		w->tok[k].next = k + 1;
	w->pos++;
	w->tok[idx] = (struct json_tok){ JSON_OBJECT, r.start, r.end, n, w->i };
	return idx;
}

static int
walk_array(struct walk *w, unsigned depth)
{
	jsmntok_t r;
	int idx = walk_take(w, &r), rc, n = 0;

	if (idx < 0)
		return idx;
	if (r.type != JSMN_ARRAY || r.start < 0 || (size_t)r.start != w->pos ||
	    depth >= JSON_MAX_DEPTH)
		return ERR_MALFORMED;
	w->pos++;
	if (walk_peek(w) == ']')
		goto end;
	for (;;) {
		rc = walk_value(w, depth + 1);
		if (rc < 0)
			return rc;
		n++;
		rc = walk_peek(w);
		if (rc == ']')
			break;
		if (rc != ',')
			return ERR_MALFORMED;
		w->pos++;
	}
end:
	if (r.end < 0 || (size_t)r.end != w->pos + 1)
		return ERR_MALFORMED;
	w->pos++;
	w->tok[idx] = (struct json_tok){ JSON_ARRAY, r.start, r.end, n, w->i };
	return idx;
}

/* Recursion is bounded: both containers refuse depth >= JSON_MAX_DEPTH. */
static int
walk_value(struct walk *w, unsigned depth)
{
	uint32_t h;

	switch (walk_peek(w)) {
	case -1:
		return ERR_MALFORMED;
	case '{':
		return walk_object(w, depth);
	case '[':
		return walk_array(w, depth);
	case '"':
		return walk_string(w, &h);
	default:
		return walk_primitive(w);
	}
}

int
json_parse(struct json_doc *d, const char *js, size_t len,
    struct json_tok *tok, int maxtok)
{
	jsmn_parser p;
	struct walk w;
	int rc;

	d->js = js;
	d->len = len;
	d->tok = tok;
	d->ntok = 0;
	if (maxtok < 1)
		return ERR_RANGE;
	if (len > INT_MAX)
		return ERR_TOOBIG;
	jsmn_init(&p);
	rc = jsmn_parse(&p, js, len, (jsmntok_t *)(void *)tok, (unsigned)maxtok);
	if (rc == JSMN_ERROR_NOMEM)
		return ERR_TOOBIG;
	if (rc < 0)
		return ERR_MALFORMED;
	w = (struct walk){ .js = js, .len = len, .pos = 0, .tok = tok,
	    .ntok = (int)p.toknext, .i = 0 };
	rc = walk_value(&w, 0);
	if (rc < 0)
		return rc;
	if (walk_peek(&w) != -1 || w.i != w.ntok)
		return ERR_MALFORMED;
	d->ntok = w.ntok;
	return 0;
}
