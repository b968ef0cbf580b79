/* sjis.c: Shift_JIS (cp932 view) and EUC-JP <-> UTF-8 over the JIS X 0208 table. */
#include <stdint.h>
#include <string.h>

#include "upki/jis0208.h"
#include "upki/sjis.h"
#include "util/err.h"

int
upki_utf8_next(const char *str, size_t n, size_t *pos, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = *pos, len;
	uint32_t c = s[i], min;

	if (c < 0x80) {
		*cp = c;
		*pos = i + 1;
		return 0;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2, min = 0x80, c &= 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3, min = 0x800, c &= 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		return ERR_MALFORMED;
	}
	if (n - i < len)
		return ERR_MALFORMED;
	for (size_t k = 1; k < len; k++) {
		if ((s[i + k] & 0xC0) != 0x80)
			return ERR_MALFORMED;
		c = (c << 6) | (s[i + k] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return ERR_MALFORMED;
	*cp = c;
	*pos = i + len;
	return 0;
}

size_t
upki_utf8_put(char *out, uint32_t cp)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

int
upki_utf8_check(const char *s, size_t n, size_t *nchars, size_t *bad_offset)
{
	size_t i = 0, count = 0;
	uint32_t cp;

	while (i < n) {
		if (upki_utf8_next(s, n, &i, &cp) < 0) {
			if (bad_offset != NULL)
				*bad_offset = i;
			return ERR_MALFORMED;
		}
		count++;
	}
	if (nchars != NULL)
		*nchars = count;
	if (bad_offset != NULL)
		*bad_offset = JIS_NO_OFFSET;
	return 0;
}

size_t
upki_utf8_trim(char *s)
{
	size_t n = strlen(s), bad;

	if (upki_utf8_check(s, n, NULL, &bad) < 0) {
		s[bad] = '\0';
		n = bad;
	}
	return n;
}

int
upki_utf8_clip(const char *s, int max)
{
	size_t n = strnlen(s, max > 0 ? (size_t)max : 0);

	if (s[n] != '\0' && n > 0) {
		/* Cut inside the string: step back to the start of a character. */
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return (int)n;
}

int
jis0208_index(uint32_t cp)
{
	size_t lo = 0, hi = JIS0208_ENCODE_LEN;

	if (cp > 0xFFFF)
		return -1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (jis0208_encode[mid].ucs == cp)
			return jis0208_encode[mid].idx;
		if (jis0208_encode[mid].ucs < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int
jis_ucs_encodable(uint32_t cp)
{
	return cp < 0x80 || jis0208_index(cp) >= 0;
}

/* Kuten index -> the two bytes of the encoding. */
static void
jis_bytes(int idx, int euc, unsigned char b[2])
{
	unsigned row = (unsigned)idx / 94 + 1, cell = (unsigned)idx % 94 + 1;

	if (euc) {
		b[0] = (unsigned char)(row + 0xA0);
		b[1] = (unsigned char)(cell + 0xA0);
		return;
	}
	b[0] = (unsigned char)((row + 1) / 2 + (row <= 62 ? 0x80 : 0xC0));
	if (row % 2)
		b[1] = (unsigned char)(cell + (cell <= 63 ? 0x3F : 0x40));
	else
		b[1] = (unsigned char)(cell + 0x9E);
}

static int
jis_encode(char *out, size_t outsz, size_t *outlen, const char *s, size_t n,
    size_t *bad_offset, int euc)
{
	size_t i = 0, o = 0;

	if (bad_offset != NULL)
		*bad_offset = JIS_NO_OFFSET;
	while (i < n) {
		size_t at = i, k;
		unsigned char b[2];
		uint32_t cp;
		int idx;

		if (upki_utf8_next(s, n, &i, &cp) < 0) {
			if (bad_offset != NULL)
				*bad_offset = at;
			return ERR_MALFORMED;
		}
		if (cp < 0x80) {
			b[0] = (unsigned char)cp;
			k = 1;
		} else {
			idx = jis0208_index(cp);
			if (idx < 0) {
				if (bad_offset != NULL)
					*bad_offset = at;
				return ERR_UNSUPPORTED;
			}
			jis_bytes(idx, euc, b);
			k = 2;
		}
		if (out != NULL) {
			if (outsz - o < k + 1)
				return ERR_TOOBIG;
			memcpy(out + o, b, k);
		}
		o += k;
	}
	if (out != NULL) {
		if (outsz - o < 1)
			return ERR_TOOBIG;
		out[o] = '\0';
	}
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

uint32_t
sjis_decode_next(const unsigned char *s, size_t n, size_t *pos)
{
	size_t i = *pos;
	unsigned b1 = s[i], b2, row, cell;

	*pos = i + 1;
	if (b1 < 0x80)
		return b1;
	if (b1 >= 0xA1 && b1 <= 0xDF)
		return 0xFF61 + (b1 - 0xA1);
	if (!((b1 >= 0x81 && b1 <= 0x9F) || (b1 >= 0xE0 && b1 <= 0xFC)) || n - i < 2)
		return JIS_INVALID;
	b2 = s[i + 1];
	if (b2 < 0x40 || b2 == 0x7F || b2 > 0xFC)
		return JIS_INVALID; /* the trail byte may be a TAB or newline: keep it */
	*pos = i + 2;
	row = (b1 <= 0x9F ? b1 - 0x81 : b1 - 0xE0 + 31) * 2 + 1;
	if (b2 <= 0x9E) {
		cell = b2 - (b2 <= 0x7E ? 0x3F : 0x40);
	} else {
		cell = b2 - 0x9E;
		row++;
	}
	if (row > 94 || jis0208_decode[(row - 1) * 94 + cell - 1] == 0)
		return JIS_INVALID;
	return jis0208_decode[(row - 1) * 94 + cell - 1];
}

uint32_t
eucjp_decode_next(const unsigned char *s, size_t n, size_t *pos)
{
	size_t i = *pos;
	unsigned b1 = s[i], b2;

	*pos = i + 1;
	if (b1 < 0x80)
		return b1;
	if (n - i < 2)
		return JIS_INVALID;
	b2 = s[i + 1];
	if (b1 == 0x8E) {
		if (b2 < 0xA1 || b2 > 0xDF)
			return JIS_INVALID;
		*pos = i + 2;
		return 0xFF61 + (b2 - 0xA1);
	}
	if (b1 == 0x8F) {
		/* JIS X 0212: skip the whole character, it is not in our table. */
		if (n - i >= 3 && b2 >= 0xA1 && b2 <= 0xFE && s[i + 2] >= 0xA1 && s[i + 2] <= 0xFE)
			*pos = i + 3;
		return JIS_INVALID;
	}
	if (b1 < 0xA1 || b1 > 0xFE || b2 < 0xA1 || b2 > 0xFE)
		return JIS_INVALID;
	*pos = i + 2;
	if (jis0208_decode[(b1 - 0xA1) * 94 + (b2 - 0xA1)] == 0)
		return JIS_INVALID;
	return jis0208_decode[(b1 - 0xA1) * 94 + (b2 - 0xA1)];
}

static int
jis_decode(char *out, size_t outsz, size_t *outlen, const void *in, size_t n,
    unsigned flags, size_t *bad_offset, int euc)
{
	const unsigned char *s = in;
	size_t i = 0, o = 0;

	if (bad_offset != NULL)
		*bad_offset = JIS_NO_OFFSET;
	while (i < n) {
		size_t at = i, k;
		char u[4];
		uint32_t cp = euc ? eucjp_decode_next(s, n, &i) : sjis_decode_next(s, n, &i);

		if (cp == JIS_INVALID) {
			if (bad_offset != NULL && *bad_offset == JIS_NO_OFFSET)
				*bad_offset = at;
			if (!(flags & JIS_REPLACE))
				return ERR_MALFORMED;
			cp = 0xFFFD;
		}
		k = upki_utf8_put(u, cp);
		if (out != NULL) {
			if (outsz - o < k + 1)
				return ERR_TOOBIG;
			memcpy(out + o, u, k);
		}
		o += k;
	}
	if (out != NULL) {
		if (outsz - o < 1)
			return ERR_TOOBIG;
		out[o] = '\0';
	}
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

int
sjis_from_utf8(char *out, size_t outsz, size_t *outlen, const char *utf8, size_t n,
    size_t *bad_offset)
{
	return jis_encode(out, outsz, outlen, utf8, n, bad_offset, 0);
}

int
eucjp_from_utf8(char *out, size_t outsz, size_t *outlen, const char *utf8, size_t n,
    size_t *bad_offset)
{
	return jis_encode(out, outsz, outlen, utf8, n, bad_offset, 1);
}

int
sjis_to_utf8(char *out, size_t outsz, size_t *outlen, const void *sjis, size_t n,
    unsigned flags, size_t *bad_offset)
{
	return jis_decode(out, outsz, outlen, sjis, n, flags, bad_offset, 0);
}

int
eucjp_to_utf8(char *out, size_t outsz, size_t *outlen, const void *eucjp, size_t n,
    unsigned flags, size_t *bad_offset)
{
	return jis_decode(out, outsz, outlen, eucjp, n, flags, bad_offset, 1);
}
