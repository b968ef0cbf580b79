/* der_write.c: the backwards DER writer (see der.h). */
#include <string.h>

#include "util/err.h"
#include "util/timefmt.h"
#include "x509/der.h"

void
der_writer_init(struct der_writer *w, unsigned char *buf, size_t size)
{
	w->buf = buf;
	w->size = buf ? size : 0;
	w->len = 0;
	w->err = 0;
}

size_t
der_writer_mark(const struct der_writer *w)
{
	return w->len;
}

const unsigned char *
der_writer_data(const struct der_writer *w)
{
	return w->buf + (w->size - w->len);
}

int
der_writer_error(const struct der_writer *w)
{
	return w->err;
}

void
der_writer_fail(struct der_writer *w, int err)
{
	if (!w->err)
		w->err = err;
}

/* Room for n more bytes in front of what is written; NULL once in error. */
static unsigned char *
der_writer_reserve(struct der_writer *w, size_t n)
{
	if (w->err)
		return NULL;
	if (n > w->size - w->len) {
		w->err = ERR_TOOBIG;
		return NULL;
	}
	w->len += n;
	return w->buf + (w->size - w->len);
}

const unsigned char der_zero[1] = { 0 };

void
der_write_bytes(struct der_writer *w, const void *p, size_t n)
{
	unsigned char *dst = der_writer_reserve(w, n);

	if (dst && n)
		memmove(dst, p, n);
}

void
der_write_header(struct der_writer *w, unsigned tag, size_t len)
{
	unsigned char h[6];
	size_t n = 0;

	if (len > 0xffffffffu) {
		der_writer_fail(w, ERR_TOOBIG);
		return;
	}
	h[n++] = (unsigned char)tag;
	if (len < 0x80) {
		h[n++] = (unsigned char)len;
	} else {
		unsigned k = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;

		h[n++] = (unsigned char)(0x80 | k);
		while (k-- > 0)
			h[n++] = (unsigned char)(len >> (8 * k));
	}
	der_write_bytes(w, h, n);
}

void
der_write_wrap(struct der_writer *w, unsigned tag, size_t mark)
{
	if (w->err)
		return;
	if (mark > w->len) {
		der_writer_fail(w, ERR_RANGE);
		return;
	}
	der_write_header(w, tag, w->len - mark);
}

void
der_write_prim(struct der_writer *w, unsigned tag, const void *p, size_t n)
{
	der_write_bytes(w, p, n);
	der_write_header(w, tag, n);
}

void
der_write_uint(struct der_writer *w, const unsigned char *be, size_t n)
{
	size_t mark = der_writer_mark(w);

	while (n > 0 && be[0] == 0) {
		be++;
		n--;
	}
	if (n == 0) {
		der_write_bytes(w, der_zero, 1);
	} else {
		der_write_bytes(w, be, n);
		if (be[0] & 0x80)
			der_write_bytes(w, der_zero, 1);
	}
	der_write_wrap(w, DER_INTEGER, mark);
}

void
der_write_small(struct der_writer *w, uint32_t v)
{
	unsigned char be[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
		(unsigned char)(v >> 8), (unsigned char)v };

	der_write_uint(w, be, sizeof be);
}

void
der_write_oid(struct der_writer *w, const unsigned char *enc, size_t n)
{
	der_write_prim(w, DER_OID, enc, n);
}

void
der_write_bitstring(struct der_writer *w, const unsigned char *p, size_t n)
{
	der_write_bytes(w, p, n);
	der_write_bytes(w, der_zero, 1);
	der_write_header(w, DER_BITSTRING, n + 1);
}

void
der_write_named_bits(struct der_writer *w, uint32_t bits)
{
	unsigned char v[5] = { 0 };
	unsigned hi = 0, n;

	if (bits == 0) {
		der_write_prim(w, DER_BITSTRING, v, 1);
		return;
	}
	for (unsigned i = 0; i < 32; i++) {
		if (bits & (UINT32_C(1) << i)) {
			v[1 + i / 8] |= (unsigned char)(0x80 >> (i % 8));
			hi = i;
		}
	}
	n = hi / 8 + 1;
	v[0] = (unsigned char)(7 - hi % 8); /* DER drops trailing zero bits */
	der_write_prim(w, DER_BITSTRING, v, n + 1);
}

void
der_write_octets(struct der_writer *w, const void *p, size_t n)
{
	der_write_prim(w, DER_OCTETSTRING, p, n);
}

void
der_write_string(struct der_writer *w, unsigned tag, const char *s, size_t n)
{
	der_write_prim(w, tag, s, n);
}

void
der_write_time(struct der_writer *w, int64_t t)
{
	char s[TIMEFMT_RFC3339_LEN], o[16];
	int y;
	size_t n = 0, i;

	if (w->err)
		return;
	if (timefmt_rfc3339(s, sizeof s, t) != 0) {
		der_writer_fail(w, ERR_RANGE);
		return;
	}
	/* s is "YYYY-MM-DDTHH:MM:SSZ". */
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	for (i = (y >= 1950 && y <= 2049) ? 2 : 0; i < 4; i++)
		o[n++] = s[i];
	for (i = 5; i < 19; i++)
		if (s[i] >= '0' && s[i] <= '9')
			o[n++] = s[i];
	o[n++] = 'Z';
	der_write_prim(w, (y >= 1950 && y <= 2049) ? DER_UTCTIME : DER_GENERALIZEDTIME, o, n);
}

void
der_write_bool(struct der_writer *w, int v)
{
	unsigned char b = v ? 0xff : 0x00;

	der_write_prim(w, DER_BOOLEAN, &b, 1);
}

void
der_write_null(struct der_writer *w)
{
	der_write_prim(w, DER_NULL, NULL, 0);
}
