/* Bounded record codec: see rec.h. */
#include <string.h>

#include "store/rec.h"
#include "util/err.h"

void
rec_w_init(struct rec_w *w, void *buf, size_t cap)
{
	w->p = buf;
	w->cap = buf != NULL ? cap : 0;
	w->len = 0;
	w->err = 0;
}

static uint8_t *
rec_w_room(struct rec_w *w, size_t n)
{
	uint8_t *p;

	if (w->err != 0)
		return NULL;
	if (n > w->cap - w->len) {
		w->err = ERR_TOOBIG;
		return NULL;
	}
	p = w->p + w->len;
	w->len += n;
	return p;
}

static void
rec_w_be(struct rec_w *w, uint64_t v, size_t n)
{
	uint8_t *p = rec_w_room(w, n);

	if (p == NULL)
		return;
	for (size_t i = n; i > 0; i--) {
		p[i - 1] = (uint8_t)v;
		v >>= 8;
	}
}

void
rec_w_u8(struct rec_w *w, uint8_t v)
{
	rec_w_be(w, v, 1);
}

void
rec_w_u16(struct rec_w *w, uint16_t v)
{
	rec_w_be(w, v, 2);
}

void
rec_w_u32(struct rec_w *w, uint32_t v)
{
	rec_w_be(w, v, 4);
}

void
rec_w_u64(struct rec_w *w, uint64_t v)
{
	rec_w_be(w, v, 8);
}

void
rec_w_i64(struct rec_w *w, int64_t v)
{
	rec_w_be(w, (uint64_t)v, 8);
}

void
rec_w_raw(struct rec_w *w, const void *src, size_t n)
{
	uint8_t *p = rec_w_room(w, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

void
rec_w_bytes(struct rec_w *w, const void *src, size_t n)
{
	if (w->err == 0 && n > UINT32_MAX) {
		w->err = ERR_TOOBIG;
		return;
	}
	rec_w_u32(w, (uint32_t)n);
	rec_w_raw(w, src, n);
}

void
rec_w_str(struct rec_w *w, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (w->err == 0 && n == cap) {
		w->err = ERR_RANGE;
		return;
	}
	rec_w_bytes(w, s, n);
}

int
rec_w_finish(const struct rec_w *w, size_t *len)
{
	if (w->err != 0)
		return w->err;
	*len = w->len;
	return 0;
}

void
rec_r_init(struct rec_r *r, const void *buf, size_t len)
{
	r->p = buf;
	r->len = buf != NULL ? len : 0;
	r->off = 0;
	r->err = 0;
}

int
rec_r_fail(struct rec_r *r)
{
	if (r->err == 0)
		r->err = ERR_MALFORMED;
	return r->err;
}

static const uint8_t *
rec_r_take(struct rec_r *r, size_t n)
{
	const uint8_t *p;

	if (r->err != 0)
		return NULL;
	if (n > r->len - r->off) {
		rec_r_fail(r);
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static uint64_t
rec_r_be(struct rec_r *r, size_t n)
{
	const uint8_t *p = rec_r_take(r, n);
	uint64_t v = 0;

	if (p == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

int
rec_r_u8(struct rec_r *r, uint8_t *v)
{
	*v = (uint8_t)rec_r_be(r, 1);
	return r->err;
}

int
rec_r_u16(struct rec_r *r, uint16_t *v)
{
	*v = (uint16_t)rec_r_be(r, 2);
	return r->err;
}

int
rec_r_u32(struct rec_r *r, uint32_t *v)
{
	*v = (uint32_t)rec_r_be(r, 4);
	return r->err;
}

int
rec_r_u64(struct rec_r *r, uint64_t *v)
{
	*v = rec_r_be(r, 8);
	return r->err;
}

int
rec_r_i64(struct rec_r *r, int64_t *v)
{
	uint64_t u = rec_r_be(r, 8);

	/* Two's complement back to signed without implementation-defined casts. */
	*v = u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
	return r->err;
}

int
rec_r_raw(struct rec_r *r, void *dst, size_t n)
{
	const uint8_t *p = rec_r_take(r, n);

	if (p == NULL) {
		memset(dst, 0, n);
		return r->err;
	}
	memcpy(dst, p, n);
	return 0;
}

int
rec_r_bytes(struct rec_r *r, void *dst, size_t cap, size_t *n)
{
	uint32_t len = 0;
	const uint8_t *p;

	*n = 0;
	if (rec_r_u32(r, &len) != 0)
		return r->err;
	if (len > cap)
		return rec_r_fail(r);
	p = rec_r_take(r, len);
	if (p == NULL)
		return r->err;
	if (len > 0)
		memcpy(dst, p, len);
	*n = len;
	return 0;
}

int
rec_r_str(struct rec_r *r, char *dst, size_t cap)
{
	size_t n = 0;

	if (cap == 0)
		return rec_r_fail(r);
	dst[0] = '\0';
	if (rec_r_bytes(r, dst, cap - 1, &n) != 0) {
		dst[0] = '\0';
		return r->err;
	}
	if (memchr(dst, '\0', n) != NULL) {
		dst[0] = '\0';
		return rec_r_fail(r);
	}
	dst[n] = '\0';
	return 0;
}

int
rec_r_done(const struct rec_r *r)
{
	if (r->err != 0)
		return r->err;
	return r->off == r->len ? 0 : ERR_MALFORMED;
}
