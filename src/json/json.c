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

#include "json/json.h"
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
static size_t
utf8_seq(const unsigned char *s, size_t n)
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
		k = u[i] < 0x80 ? 1 : utf8_seq(u + i, n - i);
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
static size_t
str_unit(const char *s, size_t n, size_t *i, unsigned char o[4])
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

static int
num_check(const char *s, size_t n, int *is_int)
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
	else if (num_check(s, n, &is_int) == 0)
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
		it->k = str_unit(it->s, it->n, &it->i, it->o);
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

/* ---- getters ------------------------------------------------------------- */

/* Common check: t < 0 passes through, out of range is ERR_RANGE. */
static int
tok_ok(const struct json_doc *d, int t)
{
	if (t < 0)
		return t;
	if (t >= d->ntok)
		return ERR_RANGE;
	return 0;
}

int
json_type(const struct json_doc *d, int t)
{
	int rc = tok_ok(d, t);

	return rc < 0 ? rc : d->tok[t].type;
}

/* String token t equals the n bytes of s after unescaping. */
static int
str_eq_bytes(const struct json_doc *d, int t, const char *s, size_t n)
{
	const struct json_tok *k = &d->tok[t];
	size_t rn = (size_t)(k->end - k->start), i = 0, j = 0, u;
	unsigned char o[4];

	if ((size_t)k->size != n)
		return 0;
	if (rn == n)
		return memcmp(d->js + k->start, s, n) == 0;
	while ((u = str_unit(d->js + k->start, rn, &i, o)) > 0) {
		if (u > n - j || memcmp(o, s + j, u) != 0)
			return 0;
		j += u;
	}
	return j == n;
}

int
json_obj_get(const struct json_doc *d, int obj, const char *key)
{
	int rc = tok_ok(d, obj);
	size_t kn = strlen(key);

	if (rc < 0)
		return rc;
	if (d->tok[obj].type != JSON_OBJECT)
		return ERR_MALFORMED;
	for (int i = 0, k = obj + 1; i < d->tok[obj].size; i++, k = d->tok[k + 1].next)
		if (str_eq_bytes(d, k, key, kn))
			return k + 1;
	return ERR_NOTFOUND;
}

int
json_str(const struct json_doc *d, int t, char *out, size_t outsz,
    size_t *outlen)
{
	const struct json_tok *k;
	size_t rn, i = 0, j = 0, u;
	unsigned char o[4];
	int rc = tok_ok(d, t);

	if (rc < 0)
		return rc;
	k = &d->tok[t];
	if (k->type != JSON_STRING)
		return ERR_MALFORMED;
	if ((size_t)k->size >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return ERR_TOOBIG;
	}
	rn = (size_t)(k->end - k->start);
	if (rn == (size_t)k->size) {
		memcpy(out, d->js + k->start, rn);   /* raw text cannot hold NUL */
		j = rn;
	} else {
		while ((u = str_unit(d->js + k->start, rn, &i, o)) > 0) {
			if (o[0] == '\0' && u == 1) {
				out[0] = '\0';
				return ERR_MALFORMED;
			}
			memcpy(out + j, o, u);
			j += u;
		}
	}
	out[j] = '\0';
	if (outlen)
		*outlen = j;
	return 0;
}

int
json_raw(const struct json_doc *d, int t, const char **p, size_t *n,
    int *escaped)
{
	const struct json_tok *k;
	int rc = tok_ok(d, t);

	if (rc < 0)
		return rc;
	k = &d->tok[t];
	*p = d->js + k->start;
	*n = (size_t)(k->end - k->start);
	if (escaped)
		*escaped = k->type == JSON_STRING && *n != (size_t)k->size;
	return 0;
}

int
json_str_eq(const struct json_doc *d, int t, const char *s)
{
	if (tok_ok(d, t) < 0 || d->tok[t].type != JSON_STRING)
		return 0;
	return str_eq_bytes(d, t, s, strlen(s));
}

int
json_int(const struct json_doc *d, int t, int64_t *v)
{
	const char *s;
	size_t n, i = 0;
	uint64_t acc = 0, lim;
	int rc = tok_ok(d, t), neg, is_int;

	if (rc < 0)
		return rc;
	if (d->tok[t].type != JSON_NUMBER)
		return ERR_MALFORMED;
	s = d->js + d->tok[t].start;
	n = (size_t)(d->tok[t].end - d->tok[t].start);
	if (num_check(s, n, &is_int) < 0 || !is_int)
		return ERR_MALFORMED;
	neg = s[0] == '-';
	i = (size_t)neg;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned dg = (unsigned)(s[i] - '0');
		if (acc > (lim - dg) / 10)
			return ERR_RANGE;
		acc = acc * 10 + dg;
	}
	if (neg)
		*v = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	else
		*v = (int64_t)acc;
	return 0;
}

int
json_bool(const struct json_doc *d, int t, int *v)
{
	int rc = tok_ok(d, t);

	if (rc < 0)
		return rc;
	if (d->tok[t].type == JSON_TRUE)
		*v = 1;
	else if (d->tok[t].type == JSON_FALSE)
		*v = 0;
	else
		return ERR_MALFORMED;
	return 0;
}

int
json_is_null(const struct json_doc *d, int t)
{
	return tok_ok(d, t) == 0 && d->tok[t].type == JSON_NULL;
}

int
json_arr_len(const struct json_doc *d, int t)
{
	int rc = tok_ok(d, t);

	if (rc < 0)
		return rc;
	return d->tok[t].type == JSON_ARRAY ? d->tok[t].size : ERR_MALFORMED;
}

int
json_child(const struct json_doc *d, int t)
{
	int rc = tok_ok(d, t);

	if (rc < 0)
		return rc;
	if (d->tok[t].type != JSON_OBJECT && d->tok[t].type != JSON_ARRAY)
		return ERR_MALFORMED;
	return d->tok[t].size > 0 ? t + 1 : ERR_NOTFOUND;
}

int
json_next(const struct json_doc *d, int t)
{
	int rc = tok_ok(d, t);

	return rc < 0 ? rc : d->tok[t].next;
}

int
json_obj_get_str(const struct json_doc *d, int obj, const char *key,
    char *out, size_t outsz)
{
	return json_str(d, json_obj_get(d, obj, key), out, outsz, NULL);
}

int
json_obj_get_int(const struct json_doc *d, int obj, const char *key,
    int64_t *v)
{
	return json_int(d, json_obj_get(d, obj, key), v);
}

int
json_obj_get_bool(const struct json_doc *d, int obj, const char *key, int *v)
{
	return json_bool(d, json_obj_get(d, obj, key), v);
}

/* ---- writer -------------------------------------------------------------- */

static void
w_fail(struct json_w *w, int err)
{
	if (w->err == 0)
		w->err = err;
}

static void
w_put(struct json_w *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (n >= w->cap - w->len) {     /* keep one byte for the NUL */
		w_fail(w, ERR_TOOBIG);
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

void
json_w_init(struct json_w *w, char *buf, size_t cap)
{
	*w = (struct json_w){ .buf = buf, .cap = cap > INT_MAX ? INT_MAX : cap };
	if (buf == NULL || cap == 0)
		w->err = ERR_TOOBIG;
	else
		buf[0] = '\0';
}

static uint32_t
w_bit(const struct json_w *w)
{
	return (uint32_t)1 << (w->depth - 1);
}

/* Before any value: position rules and the separating comma. */
static int
w_value(struct json_w *w)
{
	if (w->err)
		return -1;
	if (w->depth == 0) {
		if (w->done)
			goto misuse;
		return 0;
	}
	if (w->obj_bits & w_bit(w)) {
		if (!w->want_value)
			goto misuse;
		w->want_value = 0;
		return 0;
	}
	if (!(w->first_bits & w_bit(w)))
		w_put(w, STR_LIT(","));
	w->first_bits &= ~w_bit(w);
	return w->err ? -1 : 0;
misuse:
	w_fail(w, ERR_MALFORMED);
	return -1;
}

static void
w_value_done(struct json_w *w)
{
	if (w->depth == 0 && w->err == 0)
		w->done = 1;
}

static void
w_hex_escape(struct json_w *w, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = { '\\', 'u', hex[v >> 12 & 15], hex[v >> 8 & 15],
	    hex[v >> 4 & 15], hex[v & 15] };

	w_put(w, e, sizeof e);
}

static void
w_string(struct json_w *w, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0, i = 0, k;
	const char *esc;

	w_put(w, STR_LIT("\""));
	while (i < n && w->err == 0) {
		unsigned char c = u[i];
		esc = NULL;
		k = 1;
		if (c >= 0x80) {
			k = utf8_seq(u + i, n - i);
			if (k == 0) {
				w_fail(w, ERR_MALFORMED);
				break;
			}
			/* U+2028/U+2029 end a line in JavaScript source. */
			if (k == 3 && c == 0xe2 && u[i + 1] == 0x80 &&
			    (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
				w_put(w, s + run, i - run);
				w_hex_escape(w, u[i + 2] == 0xa8 ? 0x2028 : 0x2029);
				i += 3;
				run = i;
				continue;
			}
			i += k;
			continue;
		}
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c >= 0x20 && c != 0x7f && c != '<' && c != '>' &&
			    c != '&') {
				i++;
				continue;
			}
		}
		w_put(w, s + run, i - run);
		if (esc)
			w_put(w, esc, 2);
		else
			w_hex_escape(w, c);
		run = ++i;
	}
	w_put(w, s + run, i - run);
	w_put(w, STR_LIT("\""));
}

static void
w_open(struct json_w *w, char c, int obj)
{
	if (w_value(w) < 0)
		return;
	if (w->depth >= JSON_MAX_DEPTH) {
		w_fail(w, ERR_MALFORMED);
		return;
	}
	w_put(w, &c, 1);
	w->depth++;
	w->first_bits |= w_bit(w);
	if (obj)
		w->obj_bits |= w_bit(w);
	else
		w->obj_bits &= ~w_bit(w);
}

static void
w_close(struct json_w *w, char c, int obj)
{
	if (w->err)
		return;
	if (w->depth == 0 || !!(w->obj_bits & w_bit(w)) != obj || w->want_value) {
		w_fail(w, ERR_MALFORMED);
		return;
	}
	w_put(w, &c, 1);
	w->depth--;
	w_value_done(w);
}

void
json_w_obj_begin(struct json_w *w)
{
	w_open(w, '{', 1);
}

void
json_w_obj_end(struct json_w *w)
{
	w_close(w, '}', 1);
}

void
json_w_arr_begin(struct json_w *w)
{
	w_open(w, '[', 0);
}

void
json_w_arr_end(struct json_w *w)
{
	w_close(w, ']', 0);
}

void
json_w_key(struct json_w *w, const char *k)
{
	if (w->err)
		return;
	if (w->depth == 0 || !(w->obj_bits & w_bit(w)) || w->want_value) {
		w_fail(w, ERR_MALFORMED);
		return;
	}
	if (!(w->first_bits & w_bit(w)))
		w_put(w, STR_LIT(","));
	w->first_bits &= ~w_bit(w);
	w_string(w, k, strlen(k));
	w_put(w, STR_LIT(":"));
	w->want_value = 1;
}

void
json_w_strn(struct json_w *w, const char *s, size_t n)
{
	if (w_value(w) < 0)
		return;
	w_string(w, s, n);
	w_value_done(w);
}

void
json_w_str(struct json_w *w, const char *s)
{
	json_w_strn(w, s, strlen(s));
}

void
json_w_b64url(struct json_w *w, const void *p, size_t n)
{
	size_t enc = b64url_enc_len(n);

	if (w_value(w) < 0)
		return;
	/* quote, text, quote, NUL */
	if (n > (size_t)INT_MAX || enc + 3 > w->cap - w->len) {
		w_fail(w, ERR_TOOBIG);
		return;
	}
	w->buf[w->len++] = '"';
	if (b64url_encode(w->buf + w->len, w->cap - w->len, p, n) < 0) {
		w->buf[--w->len] = '\0';
		w_fail(w, ERR_TOOBIG);
		return;
	}
	w->len += enc;
	w_put(w, STR_LIT("\""));
	w_value_done(w);
}

void
json_w_int(struct json_w *w, int64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	if (w_value(w) < 0)
		return;
	do {
		tmp[--i] = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		tmp[--i] = '-';
	w_put(w, tmp + i, sizeof tmp - i);
	w_value_done(w);
}

void
json_w_bool(struct json_w *w, int v)
{
	if (w_value(w) < 0)
		return;
	if (v)
		w_put(w, STR_LIT("true"));
	else
		w_put(w, STR_LIT("false"));
	w_value_done(w);
}

void
json_w_null(struct json_w *w)
{
	if (w_value(w) < 0)
		return;
	w_put(w, STR_LIT("null"));
	w_value_done(w);
}

void
json_w_raw(struct json_w *w, const char *s, size_t n)
{
	if (w_value(w) < 0)
		return;
	w_put(w, s, n);
	w_value_done(w);
}

int
json_w_finish(struct json_w *w)
{
	if (w->err == 0 && (w->depth != 0 || w->want_value || !w->done))
		w->err = ERR_MALFORMED;
	return w->err ? w->err : (int)w->len;
}
