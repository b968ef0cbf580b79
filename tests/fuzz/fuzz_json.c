/*
 * Fuzz the strict JSON reader and the writer. Whatever json_parse() accepts
 * must be self-consistent (token bounds, next links, sizes, getters agree,
 * object names unique) and must survive a rewrite through the writer: the
 * output parses again to the same token structure.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXIN 65536
#define MAXTOK 1024

static struct json_tok tok[MAXTOK], tok2[MAXTOK];
static char str[MAXIN], str2[MAXIN];
static char out[6 * MAXIN + 1024];

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void
check_tok(const struct json_doc *d, int t)
{
	const struct json_tok *k = &d->tok[t];
	int64_t v;
	size_t n;
	int b, rc, c;

	CHECK(k->type >= JSON_OBJECT && k->type < JSON__MAX);
	CHECK(k->start >= 0 && k->start <= k->end && (size_t)k->end <= d->len);
	CHECK(k->next > t && k->next <= d->ntok);
	CHECK(json_type(d, t) == k->type);
	switch (k->type) {
	case JSON_STRING:
		CHECK(k->next == t + 1);
		rc = json_str(d, t, str, sizeof str, &n);
		CHECK(rc == 0 || rc == ERR_MALFORMED);  /* MALFORMED: holds U+0000 */
		if (rc == 0) {
			CHECK(n == (size_t)k->size && strlen(str) == n);
			CHECK(json_str_eq(d, t, str) == 1);
		}
		break;
	case JSON_NUMBER:
		rc = json_int(d, t, &v);
		CHECK(rc == 0 || rc == ERR_MALFORMED || rc == ERR_RANGE);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		CHECK(json_bool(d, t, &b) == 0 && b == (k->type == JSON_TRUE));
		break;
	case JSON_NULL:
		CHECK(json_is_null(d, t) == 1);
		break;
	case JSON_ARRAY:
		CHECK(json_arr_len(d, t) == k->size);
		c = t + 1;
		for (int i = 0; i < k->size; i++)
			c = json_next(d, c);
		CHECK(c == k->next);
		break;
	case JSON_OBJECT:
		c = t + 1;
		for (int i = 0; i < k->size; i++) {
			CHECK(json_type(d, c) == JSON_STRING);
			if (json_str(d, c, str2, sizeof str2, NULL) == 0)
				CHECK(json_obj_get(d, t, str2) == c + 1);
			c = json_next(d, c + 1);
		}
		CHECK(c == k->next);
		break;
	}
}

/* Rewrite value t; returns the next token index, or -1 if not rewritable. */
static int
rewrite(const struct json_doc *d, int t, struct json_w *w)
{
	const struct json_tok *k = &d->tok[t];
	size_t n;
	int c;

	switch (k->type) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (k->type == JSON_OBJECT)
			json_w_obj_begin(w);
		else
			json_w_arr_begin(w);
		c = t + 1;
		for (int i = 0; i < k->size; i++) {
			if (k->type == JSON_OBJECT) {
				if (json_str(d, c, str, sizeof str, NULL) != 0)
					return -1;
				json_w_key(w, str);
				c++;
			}
			c = rewrite(d, c, w);
			if (c < 0)
				return -1;
		}
		if (k->type == JSON_OBJECT)
			json_w_obj_end(w);
		else
			json_w_arr_end(w);
		return c;
	case JSON_STRING:
		if (json_str(d, t, str, sizeof str, &n) != 0)
			return -1;
		json_w_strn(w, str, n);
		return t + 1;
	default:
		json_w_raw(w, d->js + k->start, (size_t)(k->end - k->start));
		return t + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc d, d2;
	struct json_w w;
	int rc;

	if (size > MAXIN)
		return 0;
	rc = json_parse(&d, (const char *)data, size, tok, MAXTOK);
	CHECK(rc == 0 || rc == ERR_MALFORMED || rc == ERR_TOOBIG);
	if (rc != 0)
		return 0;
	CHECK(d.ntok >= 1 && tok[0].next == d.ntok);
	for (int t = 0; t < d.ntok; t++)
		check_tok(&d, t);
	CHECK(json_type(&d, d.ntok) == ERR_RANGE);

	json_w_init(&w, out, sizeof out);
	if (rewrite(&d, 0, &w) != d.ntok)
		return 0;
	rc = json_w_finish(&w);
	CHECK(rc > 0 && (size_t)rc == strlen(out));
	CHECK(json_parse(&d2, out, (size_t)rc, tok2, MAXTOK) == 0);
	CHECK(d2.ntok == d.ntok);
	for (int t = 0; t < d.ntok; t++)
		CHECK(tok2[t].type == tok[t].type && tok2[t].size == tok[t].size &&
		    tok2[t].next == tok[t].next);
	return 0;
}
