/* Typed getters over a parsed document. */
#include <limits.h>
#include <string.h>

#include "json/json_int.h"
#include "util/err.h"
#include "util/str.h"

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
	while ((u = json_str_unit(d->js + k->start, rn, &i, o)) > 0) {
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
		while ((u = json_str_unit(d->js + k->start, rn, &i, o)) > 0) {
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
	if (json_num_check(s, n, &is_int) < 0 || !is_int)
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
