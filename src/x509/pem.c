/* pem.c: PEM encode and strict decode (see pem.h). */
#include <stdint.h>
#include <string.h>

#include "util/b64.h"
#include "util/err.h"
#include "x509/pem.h"

#define PEM_BEGIN "-----BEGIN "
#define PEM_END "-----END "
#define PEM_DASHES "-----"

static int
pem_label_ok(const char *s, size_t n)
{
	if (n == 0 || n > PEM_LABEL_MAX || s[0] == '-' || s[0] == ' ' || s[n - 1] == '-' ||
	    s[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

size_t
pem_enc_len(const char *label, size_t len)
{
	size_t l = strlen(label), b = b64_enc_len(len);

	return 2 * l + (sizeof PEM_BEGIN - 1) + (sizeof PEM_END - 1) + 2 * (sizeof PEM_DASHES) +
	    b + (b + 63) / 64;
}

static size_t
pem_put(char *out, size_t o, const char *s)
{
	size_t n = strlen(s);

	memcpy(out + o, s, n);
	return o + n;
}

int
pem_encode(char *out, size_t outsz, const char *label, const unsigned char *der, size_t len)
{
	size_t o = 0, need;

	if (!pem_label_ok(label, strlen(label)))
		return ERR_RANGE;
	if (len > (1u << 24))
		return ERR_TOOBIG;
	need = pem_enc_len(label, len);
	if (outsz < need + 1)
		return ERR_TOOBIG;
	o = pem_put(out, o, PEM_BEGIN);
	o = pem_put(out, o, label);
	o = pem_put(out, o, PEM_DASHES "\n");
	for (size_t i = 0; i < len; i += 48) {
		size_t n = len - i < 48 ? len - i : 48;
		int rc = b64_encode(out + o, outsz - o, der + i, n);

		if (rc < 0)
			return rc;
		o += (size_t)rc;
		out[o++] = '\n';
	}
	o = pem_put(out, o, PEM_END);
	o = pem_put(out, o, label);
	o = pem_put(out, o, PEM_DASHES "\n");
	out[o] = '\0';
	return (int)o;
}

/* Skip trailing blanks of a BEGIN/END line; index past its '\n' (or len), or 0 if junk. */
static size_t
pem_line_rest(const char *t, size_t len, size_t i)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r'))
		i++;
	if (i == len)
		return i;
	return t[i] == '\n' ? i + 1 : 0;
}

/* Index of the next BEGIN line at or after i, or len. */
static size_t
pem_find_begin(const char *t, size_t len, size_t i)
{
	while (i < len) {
		const char *nl;

		if ((i == 0 || t[i - 1] == '\n') && len - i >= sizeof PEM_BEGIN - 1 &&
		    memcmp(t + i, PEM_BEGIN, sizeof PEM_BEGIN - 1) == 0)
			return i;
		nl = memchr(t + i, '\n', len - i);
		i = nl ? (size_t)(nl - t) + 1 : len;
	}
	return len;
}

/* Decode the body from t[i] up to an END line; *endp gets the END line's index. */
static int
pem_body(const char *t, size_t len, size_t i, unsigned char *out, size_t outsz, size_t *outlen,
    size_t *endp)
{
	uint32_t acc = 0;
	unsigned ndata = 0, npad = 0;
	int line_start = 1, done = 0;
	size_t o = 0;

	for (; i < len; i++) {
		unsigned char c = (unsigned char)t[i];
		int v;

		if (line_start && len - i >= sizeof PEM_END - 1 &&
		    memcmp(t + i, PEM_END, sizeof PEM_END - 1) == 0)
			break;
		line_start = c == '\n';
		if (c == '\n' || c == ' ' || c == '\t' || c == '\r')
			continue;
		if (done)
			return ERR_MALFORMED;
		if (c == '=') {
			if (ndata < 2)
				return ERR_MALFORMED;
			if (ndata + ++npad < 4)
				continue;
			/* Last quantum: 3 chars -> 2 bytes, 2 chars -> 1 byte; spare bits zero. */
			if (ndata == 3) {
				if (acc & 3)
					return ERR_MALFORMED;
				if (outsz - o < 2)
					return ERR_TOOBIG;
				out[o++] = (unsigned char)(acc >> 10);
				out[o++] = (unsigned char)(acc >> 2);
			} else {
				if (acc & 15)
					return ERR_MALFORMED;
				if (outsz - o < 1)
					return ERR_TOOBIG;
				out[o++] = (unsigned char)(acc >> 4);
			}
			done = 1;
			continue;
		}
		if ((v = b64_value(c)) < 0 || npad)
			return ERR_MALFORMED;
		acc = (acc << 6) | (uint32_t)v;
		if (++ndata == 4) {
			if (outsz - o < 3)
				return ERR_TOOBIG;
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
			ndata = 0;
		}
	}
	if (i == len || (ndata != 0 && !done) || o == 0)
		return ERR_MALFORMED;
	*outlen = o;
	*endp = i;
	return 0;
}

int
pem_decode(const char *text, size_t len, size_t *pos, char *label, size_t labelsz,
    unsigned char *out, size_t outsz, size_t *outlen)
{
	size_t i, j, k, body, end, next, n = 0, lablen;
	const char *dash;
	int rc;

	if (*pos > len)
		return ERR_RANGE;
	i = pem_find_begin(text, len, *pos);
	if (i == len) {
		*pos = len;
		return ERR_NOTFOUND;
	}
	j = i + sizeof PEM_BEGIN - 1;
	dash = memmem(text + j, len - j, PEM_DASHES, sizeof PEM_DASHES - 1);
	if (!dash)
		return ERR_MALFORMED;
	k = (size_t)(dash - text);
	lablen = k - j;
	if (!pem_label_ok(text + j, lablen) || memchr(text + j, '\n', lablen))
		return ERR_MALFORMED;
	if (lablen + 1 > labelsz)
		return ERR_TOOBIG;
	if ((body = pem_line_rest(text, len, k + sizeof PEM_DASHES - 1)) == 0 || body == len)
		return ERR_MALFORMED;
	if ((rc = pem_body(text, len, body, out, outsz, &n, &end)) != 0)
		return rc;
	/* END line: same label, then dashes. */
	end += sizeof PEM_END - 1;
	if (len - end < lablen + sizeof PEM_DASHES - 1 || memcmp(text + end, text + j, lablen) != 0 ||
	    memcmp(text + end + lablen, PEM_DASHES, sizeof PEM_DASHES - 1) != 0)
		return ERR_MALFORMED;
	next = pem_line_rest(text, len, end + lablen + sizeof PEM_DASHES - 1);
	if (next == 0)
		return ERR_MALFORMED;
	memcpy(label, text + j, lablen);
	label[lablen] = '\0';
	*outlen = n;
	*pos = next;
	return 0;
}
