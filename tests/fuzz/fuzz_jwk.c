/*
 * Fuzz the JWK decoder (jose/jwk.c). First byte 'E' or 'R': the rest is raw
 * key material wrapped as a well-formed EC (crv by the second byte) or RSA JWK,
 * so the curve and modulus checks are reached without a corpus; otherwise the
 * input is the JSON text of a JWK. Properties: only the documented codes; an
 * accepted key writes canonically (RFC 7638), parses back equal with the same
 * thumbprint, and its canonical form is a fixed point.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jose/jwk.h"
#include "json/json.h"
#include "util/b64.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAXTOK 128

static struct json_tok tok[MAXTOK], tok2[MAXTOK], tok3[MAXTOK];
static char text[8192];

static void
check_key(const struct jwk *k)
{
	char js[JWK_JSON_MAX], js2[JWK_JSON_MAX];
	unsigned char t1[JWK_THUMB_LEN], t2[JWK_THUMB_LEN];
	struct json_doc d;
	struct json_w w;
	struct jwk k2, k3;
	int n, n2;

	json_w_init(&w, js, sizeof js);
	CHECK(jwk_write(k, &w) == 0);
	n = json_w_finish(&w);
	CHECK(n > 0);
	CHECK(json_parse(&d, js, (size_t)n, tok2, MAXTOK) == 0);
	CHECK(jwk_parse(&k2, &d, 0) == 0);
	CHECK(jwk_equal(k, &k2));
	CHECK(jwk_thumbprint(k, t1) == 0 && jwk_thumbprint(&k2, t2) == 0);
	CHECK(memcmp(t1, t2, sizeof t1) == 0);
	json_w_init(&w, js2, sizeof js2);
	CHECK(jwk_write(&k2, &w) == 0);
	n2 = json_w_finish(&w);
	CHECK(n2 == n && memcmp(js, js2, (size_t)n) == 0);
	CHECK(json_parse(&d, js2, (size_t)n2, tok3, MAXTOK) == 0);
	CHECK(jwk_parse(&k3, &d, 0) == 0 && jwk_equal(&k2, &k3));
}

/* Wrap raw bytes as an EC or RSA JWK; length of the JSON text, or 0. */
static size_t
wrap(const uint8_t *data, size_t size)
{
	static const char *const crv[] = { "P-256", "P-384", "P-521", "P-192", "secp256k1" };
	char a[2048], b[2048];
	int n;

	if (size < 2 || size > 1400)
		return 0;
	if (data[0] == 'E') {
		size_t half = (size - 2) / 2;
		if (b64url_encode(a, sizeof a, data + 2, half) < 0 ||
		    b64url_encode(b, sizeof b, data + 2 + half, size - 2 - half) < 0)
			return 0;
		n = snprintf(text, sizeof text, "{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}",
		    crv[data[1] % 5], a, b);
	} else {
		size_t el = 1 + data[1] % 5;
		if (size - 2 < el)
			return 0;
		if (b64url_encode(a, sizeof a, data + 2 + el, size - 2 - el) < 0 ||
		    b64url_encode(b, sizeof b, data + 2, el) < 0)
			return 0;
		n = snprintf(text, sizeof text, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}", a, b);
	}
	return n > 0 && (size_t)n < sizeof text ? (size_t)n : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct json_doc d;
	struct jwk k;
	size_t len = size;
	int rc;

	if (size > 0 && (data[0] == 'E' || data[0] == 'R')) {
		len = wrap(data, size);
		if (len == 0)
			return 0;
		in = text;
	}
	if (json_parse(&d, in, len, tok, MAXTOK) != 0)
		return 0;
	rc = jwk_parse(&k, &d, 0);
	CHECK(rc == 0 || rc == ERR_MALFORMED || rc == ERR_BADKEY);
	if (rc == 0)
		check_key(&k);
	return 0;
}
