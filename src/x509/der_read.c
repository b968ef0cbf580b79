/* der_read.c: the bounded DER reader (see der.h). */
#include <string.h>

#include "util/err.h"
#include "util/timefmt.h"
#include "x509/der.h"

void
der_init(struct der *d, const void *p, size_t len)
{
	d->p = p;
	d->len = p ? len : 0;
	d->depth = 0;
}

/* Decode the header of the next element without consuming it. */
static int
der_header(const struct der *d, unsigned *tag, size_t *hlen, size_t *clen)
{
	const unsigned char *p = d->p;
	size_t n = d->len, len, h;

	if (n == 0)
		return ERR_NOTFOUND;
	/* High tag numbers never occur in X.509; refusing them keeps tags one byte. */
	if ((p[0] & 0x1f) == 0x1f || n < 2)
		return ERR_MALFORMED;
	if (p[1] < 0x80) {
		len = p[1];
		h = 2;
	} else {
		unsigned k = p[1] & 0x7f;

		/* k == 0 is the indefinite form (BER only); nothing here needs > 4 octets. */
		if (k == 0 || k > 4 || n - 2 < k || p[2] == 0)
			return ERR_MALFORMED;
		len = 0;
		for (unsigned i = 0; i < k; i++)
			len = (len << 8) | p[2 + i];
		if (len < 0x80)
			return ERR_MALFORMED; /* the short form was required */
		h = 2 + k;
	}
	if (len > n - h)
		return ERR_MALFORMED;
	*tag = p[0];
	*hlen = h;
	*clen = len;
	return 0;
}

int
der_peek(const struct der *d)
{
	return d->len == 0 ? ERR_NOTFOUND : d->p[0];
}

int
der_read_end(const struct der *d)
{
	return d->len == 0 ? 0 : ERR_MALFORMED;
}

int
der_read_tlv(struct der *d, unsigned *tag, struct der *val)
{
	size_t h, n;
	int rc;

	if ((rc = der_header(d, tag, &h, &n)) != 0)
		return rc;
	if (val) {
		val->p = d->p + h;
		val->len = n;
		val->depth = d->depth;
	}
	d->p += h + n;
	d->len -= h + n;
	return 0;
}

int
der_read_expect(struct der *d, unsigned tag, struct der *val)
{
	struct der save = *d, v;
	unsigned t;
	int rc;

	if ((rc = der_read_tlv(d, &t, &v)) != 0)
		return rc == ERR_NOTFOUND ? ERR_MALFORMED : rc;
	if (t != tag) {
		*d = save;
		return ERR_MALFORMED;
	}
	if (val)
		*val = v;
	return 0;
}

int
der_read_enter(struct der *d, unsigned tag, struct der *inner)
{
	int rc;

	if (!(tag & DER_CONSTRUCTED))
		return ERR_MALFORMED;
	if (d->depth >= DER_MAX_DEPTH)
		return ERR_TOOBIG;
	if ((rc = der_read_expect(d, tag, inner)) != 0)
		return rc;
	inner->depth = d->depth + 1;
	return 0;
}

int
der_read_skip(struct der *d)
{
	unsigned tag;
	int rc = der_read_tlv(d, &tag, NULL);

	return rc == ERR_NOTFOUND ? ERR_MALFORMED : rc;
}

int
der_read_raw(struct der *d, const unsigned char **p, size_t *len)
{
	const unsigned char *start = d->p;
	int rc;

	if ((rc = der_read_skip(d)) != 0)
		return rc;
	*p = start;
	*len = (size_t)(d->p - start);
	return 0;
}

int
der_read_uint(struct der *d, const unsigned char **p, size_t *len)
{
	struct der save = *d, v;
	int rc;

	if ((rc = der_read_expect(d, DER_INTEGER, &v)) != 0)
		return rc;
	if (v.len == 0 || (v.p[0] & 0x80) ||
	    (v.len > 1 && v.p[0] == 0x00 && !(v.p[1] & 0x80))) {
		*d = save;
		return ERR_MALFORMED;
	}
	if (v.p[0] == 0x00) {
		v.p++;
		v.len--;
	}
	*p = v.p;
	*len = v.len;
	return 0;
}

int
der_read_small(struct der *d, uint32_t max, uint32_t *v)
{
	struct der save = *d;
	const unsigned char *p;
	size_t n;
	uint64_t x = 0;
	int rc;

	if ((rc = der_read_uint(d, &p, &n)) != 0)
		return rc;
	if (n > 4) {
		*d = save;
		return ERR_RANGE;
	}
	for (size_t i = 0; i < n; i++)
		x = (x << 8) | p[i];
	if (x > max) {
		*d = save;
		return ERR_RANGE;
	}
	*v = (uint32_t)x;
	return 0;
}

int
der_read_oid(struct der *d, struct der *oid)
{
	struct der save = *d, v;
	int rc, start = 1;

	if ((rc = der_read_expect(d, DER_OID, &v)) != 0)
		return rc;
	if (v.len == 0 || (v.p[v.len - 1] & 0x80))
		goto bad;
	for (size_t i = 0; i < v.len; i++) {
		/* A leading 0x80 would pad a sub-identifier: not minimal. */
		if (start && v.p[i] == 0x80)
			goto bad;
		start = !(v.p[i] & 0x80);
	}
	*oid = v;
	return 0;
bad:
	*d = save;
	return ERR_MALFORMED;
}

int
der_oid_eq(const struct der *oid, const unsigned char *enc, size_t n)
{
	return oid->len == n && memcmp(oid->p, enc, n) == 0;
}

int
der_read_bitstring(struct der *d, const unsigned char **p, size_t *len, unsigned *unused)
{
	struct der save = *d, v;
	unsigned u;
	int rc;

	if ((rc = der_read_expect(d, DER_BITSTRING, &v)) != 0)
		return rc;
	if (v.len == 0 || v.p[0] > 7 || (v.len == 1 && v.p[0] != 0))
		goto bad;
	u = v.p[0];
	if (u && (v.p[v.len - 1] & ((1u << u) - 1)))
		goto bad; /* DER: unused bits are zero */
	*p = v.p + 1;
	*len = v.len - 1;
	*unused = u;
	return 0;
bad:
	*d = save;
	return ERR_MALFORMED;
}

int
der_read_octets(struct der *d, const unsigned char **p, size_t *len)
{
	struct der v;
	int rc;

	if ((rc = der_read_expect(d, DER_OCTETSTRING, &v)) != 0)
		return rc;
	*p = v.p;
	*len = v.len;
	return 0;
}

int
der_read_bool(struct der *d, int *b)
{
	struct der save = *d, v;
	int rc;

	if ((rc = der_read_expect(d, DER_BOOLEAN, &v)) != 0)
		return rc;
	if (v.len != 1 || (v.p[0] != 0x00 && v.p[0] != 0xff)) {
		*d = save;
		return ERR_MALFORMED;
	}
	*b = v.p[0] == 0xff;
	return 0;
}

int
der_read_null(struct der *d)
{
	struct der save = *d, v;
	int rc;

	if ((rc = der_read_expect(d, DER_NULL, &v)) != 0)
		return rc;
	if (v.len != 0) {
		*d = save;
		return ERR_MALFORMED;
	}
	return 0;
}

static int
der_digits(const unsigned char *s, unsigned n, unsigned *v)
{
	*v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

static unsigned
der_mdays(unsigned y, unsigned m)
{
	static const unsigned char md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return md[m - 1];
}

int
der_read_time(struct der *d, int64_t *t)
{
	struct der save = *d, v;
	unsigned tag, y, mo, dd, h, mi, s;
	const unsigned char *p;
	int rc;

	if ((rc = der_read_tlv(d, &tag, &v)) != 0)
		return rc == ERR_NOTFOUND ? ERR_MALFORMED : rc;
	p = v.p;
	if (tag == DER_UTCTIME && v.len == 13) {
		if (der_digits(p, 2, &y))
			goto bad;
		y += y < 50 ? 2000 : 1900;
		p += 2;
	} else if (tag == DER_GENERALIZEDTIME && v.len == 15) {
		if (der_digits(p, 4, &y))
			goto bad;
		p += 4;
	} else {
		goto bad;
	}
	if (der_digits(p, 2, &mo) || der_digits(p + 2, 2, &dd) || der_digits(p + 4, 2, &h) ||
	    der_digits(p + 6, 2, &mi) || der_digits(p + 8, 2, &s) || p[10] != 'Z')
		goto bad;
	if (mo < 1 || mo > 12 || dd < 1 || dd > der_mdays(y, mo) || h > 23 || mi > 59 || s > 59)
		goto bad;
	*t = timefmt_days_from_civil(y, mo, dd) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
bad:
	*d = save;
	return ERR_MALFORMED;
}

int
der_printable_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (!memchr(" '()+,-./:=?", c, 12))
			return 0;
	}
	return 1;
}

int
der_utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i - 1 < k)
			return 0;
		for (unsigned j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

int
der_read_string(struct der *d, unsigned *tag, const unsigned char **p, size_t *len)
{
	struct der save = *d, v;
	unsigned t;
	int rc, ok = 1;

	if ((rc = der_read_tlv(d, &t, &v)) != 0)
		return rc == ERR_NOTFOUND ? ERR_MALFORMED : rc;
	switch (t) {
	case DER_UTF8STRING:
		ok = der_utf8_ok(v.p, v.len);
		break;
	case DER_PRINTABLESTRING:
	case DER_VISIBLESTRING:
		/* Lenient on purpose (see der.h). */
		for (size_t i = 0; i < v.len && ok; i++)
			ok = v.p[i] >= 0x20 && v.p[i] <= 0x7e;
		break;
	case DER_NUMERICSTRING:
		for (size_t i = 0; i < v.len && ok; i++)
			ok = (v.p[i] >= '0' && v.p[i] <= '9') || v.p[i] == ' ';
		break;
	case DER_IA5STRING:
		for (size_t i = 0; i < v.len && ok; i++)
			ok = v.p[i] < 0x80;
		break;
	case DER_T61STRING:
	case DER_UNIVERSALSTRING:
	case DER_BMPSTRING:
		break;
	default:
		ok = 0;
		break;
	}
	if (!ok) {
		*d = save;
		return ERR_MALFORMED;
	}
	*tag = t;
	*p = v.p;
	*len = v.len;
	return 0;
}
