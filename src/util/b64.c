#include <stdint.h>

#include "util/b64.h"
#include "util/err.h"

static const char b64url_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b64_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
b64url_enc_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t
b64url_dec_max(size_t n)
{
	return n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
}

size_t
b64_enc_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

static int
encode(char *out, size_t outsz, const unsigned char *in, size_t n,
    const char *alpha, int pad)
{
	size_t need = pad ? b64_enc_len(n) : b64url_enc_len(n);
	size_t o = 0, i = 0;

	if (outsz < need + 1)
		return ERR_TOOBIG;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

int
b64url_encode(char *out, size_t outsz, const void *in, size_t n)
{
	if (n > (size_t)(1u << 30))
		return ERR_TOOBIG;
	return encode(out, outsz, in, n, b64url_alpha, 0);
}

int
b64_encode(char *out, size_t outsz, const void *in, size_t n)
{
	if (n > (size_t)(1u << 30))
		return ERR_TOOBIG;
	return encode(out, outsz, in, n, b64_alpha, 1);
}

int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
b64url_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
b64url_decode(void *out, size_t outsz, const char *in, size_t n, size_t *outlen)
{
	unsigned char *o = out;
	size_t olen = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (n % 4 == 1)
		return ERR_MALFORMED;
	if (b64url_dec_max(n) > outsz)
		return ERR_TOOBIG;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_val((unsigned char)in[i]);
		if (v < 0)
			return ERR_MALFORMED;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[olen++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)   /* non-canonical: leftover bits set */
		return ERR_MALFORMED;
	*outlen = olen;
	return 0;
}
