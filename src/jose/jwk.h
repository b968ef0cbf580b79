/*
 * jwk.h: public JSON Web Keys (RFC 7517/7518) as ACME accounts use them:
 * RSA (2048..4096-bit modulus) and EC (P-256, P-384, P-521). Strict parsing,
 * canonical writing, and the RFC 7638 thumbprint. No private keys here: a JWK
 * carrying private members is refused. Fixed-size storage; nothing allocated.
 */
#ifndef UPKI_JWK_H
#define UPKI_JWK_H

#include <stddef.h>

#include "json/json.h"

#define JWK_RSA_MIN_BITS 2048
#define JWK_RSA_MAX_BYTES 512           /* 4096-bit modulus */
#define JWK_EC_MAX_POINT 133            /* 0x04 || X || Y on P-521 */
#define JWK_THUMB_LEN 32                /* SHA-256 */
#define JWK_THUMB_B64_LEN 43            /* base64url of 32 bytes, no padding */
/* Upper bound of jwk_write() output for any key (fits a 4096-bit RSA key). */
#define JWK_JSON_MAX 768

enum jwk_kty {
	JWK_RSA = 1,
	JWK_EC,
	JWK__MAX
};

/* EC curves by their IANA TLS NamedCurve numbers (BearSSL uses the same). */
enum jwk_crv {
	JWK_P256 = 23,
	JWK_P384 = 24,
	JWK_P521 = 25
};

/*
 * A public key. rsa.n is the big-endian modulus without leading zero bytes,
 * rsa.e the exponent (1..4 bytes, no leading zero). ec.q is the uncompressed
 * point 0x04 || X || Y, each coordinate exactly the field size (32, 48, 66).
 */
struct jwk {
	int kty;                        /* enum jwk_kty */
	union {
		struct {
			unsigned char n[JWK_RSA_MAX_BYTES];
			size_t nlen;
			unsigned char e[4];
			size_t elen;
		} rsa;
		struct {
			int crv;        /* enum jwk_crv */
			unsigned char q[JWK_EC_MAX_POINT];
			size_t qlen;
		} ec;
	};
};

/*
 * Parse the JWK object at token obj of d into k.
 * Required: "kty" and, for "RSA", "n" and "e"; for "EC", "crv", "x", "y"; all
 * strings in strict base64url (no padding, no escapes). Other members ("use",
 * "kid", "alg", ...) are ignored.
 * Returns 0, or:
 *   ERR_MALFORMED  obj not an object, a required member missing or of the wrong
 *                  type, bad base64url;
 *   ERR_BADKEY     key not acceptable: kty other than RSA/EC (e.g. "oct"),
 *                  private members present ("d", "p", "q", "dp", "dq", "qi",
 *                  "oth", "k"), modulus outside 2048..4096 bits, even, or with a
 *                  leading zero byte; exponent even, < 3, > 2^32-1 or with a
 *                  leading zero byte; unknown curve; coordinate not exactly
 *                  the field size; point not on the curve.
 * k is fully written (zeroed first) whatever the result.
 */
int jwk_parse(struct jwk *k, const struct json_doc *d, int obj);

/*
 * Write k as the canonical JSON object of RFC 7638 (required members only, in
 * lexicographic order, no white space) at the writer's current position.
 * Errors are left in the writer (see json_w_finish); returns 0 or
 * ERR_MALFORMED if k is not a valid key.
 */
int jwk_write(const struct jwk *k, struct json_w *w);

/* RFC 7638 thumbprint: SHA-256 of the canonical JSON. 0 or ERR_MALFORMED. */
int jwk_thumbprint(const struct jwk *k, unsigned char out[JWK_THUMB_LEN]);
/* Same, base64url-encoded and NUL-terminated (43 characters). */
int jwk_thumbprint_b64(const struct jwk *k, char out[JWK_THUMB_B64_LEN + 1]);

/* 1 if a and b are the same public key, else 0. */
int jwk_equal(const struct jwk *a, const struct jwk *b);

#endif
