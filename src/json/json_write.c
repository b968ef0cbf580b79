/* The bounded, always-escaping JSON writer. */
#include <limits.h>
#include <string.h>

#include "json/json_int.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/str.h"

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
			k = json_utf8_seq(u + i, n - i);
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
