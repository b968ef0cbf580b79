/*
 * jws.h: JWS in flattened JSON serialization (RFC 7515 §7.2.2) as RFC 8555
 * §6.2 requires for every ACME POST, its verification (RS256, ES256, ES384,
 * ES512), and External Account Binding (RFC 8555 §7.3.4, HS256).
 *
 * Use on each request:
 *
 *	rc = jws_parse(&j, body, len, 0, tok, ntok, buf, bufsz);
 *	... check j.nonce (badNonce) and j.url (unauthorized) ...
 *	key = j.has_jwk ? &j.jwk : <account key looked up by j.kid>;
 *	rc = jws_verify(&j, key);
 *	... j.payload / j.payload_len (or j.post_as_get) ...
 *
 * Return codes map to ACME problem types (RFC 8555 §6.7) one to one:
 *	ERR_MALFORMED    -> malformed
 *	ERR_UNSUPPORTED  -> badSignatureAlgorithm (list jws_alg_name() of
 *	                    JWS_RS256..JWS_ES512 in the problem's "algorithms")
 *	ERR_BADKEY       -> badPublicKey
 *	ERR_BADSIG       -> malformed for the account JWS (Boulder and Pebble do
 *	                    the same), unauthorized for the EAB MAC
 *	ERR_TOOBIG       -> malformed (caller's buffers too small for the request)
 * On failure j->detail holds a short fixed English sentence for the problem
 * document's "detail"; it never contains client data.
 */
#ifndef UPKI_JWS_H
#define UPKI_JWS_H

#include <stddef.h>

#include "jose/jwk.h"
#include "json/json.h"

enum jws_alg {
	JWS_RS256 = 1,
	JWS_ES256,
	JWS_ES384,
	JWS_ES512,
	JWS_HS256,      /* only for External Account Binding */
	JWS__MAX
};

/* jws_parse() flags */
#define JWS_EAB 0x1     /* MAC mode: alg HS256 only, kid required, no jwk/nonce */

#define JWS_URL_MAX 512         /* sizes include the NUL */
#define JWS_NONCE_MAX 128
#define JWS_KID_MAX 512
#define JWS_SIG_MAX 512         /* RSA-4096 */

/*
 * A parsed JWS. prot and payload_b64 point into the caller's body (the
 * signing input is prot || '.' || payload_b64); payload points into the
 * caller's buf. Both must stay unchanged while the struct is used.
 */
struct jws {
	int alg;                        /* enum jws_alg */
	const char *prot;               /* raw base64url "protected" member */
	size_t prot_len;
	const char *payload_b64;        /* raw base64url "payload" member */
	size_t payload_b64_len;
	char url[JWS_URL_MAX];
	/*
	 * has_nonce: the member was present. nonce is its value, or "" when it
	 * was present but too long or not base64url: no pool holds "", so the
	 * caller's lookup fails and it answers badNonce, as RFC 8555 §6.5 asks.
	 */
	char nonce[JWS_NONCE_MAX];
	int has_nonce;
	char kid[JWS_KID_MAX];
	int has_kid;
	struct jwk jwk;
	int has_jwk;
	unsigned char sig[JWS_SIG_MAX];
	size_t sig_len;
	unsigned char *payload;         /* decoded payload, in the caller's buf */
	size_t payload_len;
	int post_as_get;                /* payload was "" (RFC 8555 §6.3) */
	const char *detail;             /* set on failure, static text */
};

/*
 * Parse a request body holding one flattened JWS.
 * The body must be a JSON object with exactly the members "protected",
 * "payload" and "signature", all base64url strings without escapes. Refused
 * (ERR_MALFORMED): compact or general serialization, an unprotected "header",
 * any other member, an empty or non-object protected header, duplicate member
 * names anywhere, "crit" (we understand no extension, RFC 7515 §4.1.11),
 * "b64" (RFC 7797 payloads are forbidden by RFC 8555 §6.2), a missing or
 * non-string "url", a "url" or "kid" that does not fit, a signature longer
 * than JWS_SIG_MAX.
 * "alg" must be a string (else ERR_MALFORMED) naming RS256, ES256, ES384 or
 * ES512, or with flags & JWS_EAB only HS256; anything else, "none" included,
 * is ERR_UNSUPPORTED.
 * Without JWS_EAB exactly one of "jwk" and "kid" must be present (both or
 * neither: ERR_MALFORMED); a "jwk" is parsed by jwk_parse() (ERR_MALFORMED or
 * ERR_BADKEY). With JWS_EAB "kid" is required and "jwk" and "nonce" are
 * refused (RFC 8555 §7.3.4). Unknown header members are ignored.
 * tok/maxtok: scratch tokens (the body and then the protected header are
 * parsed there; contents undefined afterwards). buf/bufsz: receives the
 * decoded protected header (transiently) and then the decoded payload; bufsz
 * >= len suffices for any body. ERR_TOOBIG if tok or buf is short.
 * The signature is only decoded here: call jws_verify().
 */
int jws_parse(struct jws *j, const char *body, size_t len, unsigned flags,
    struct json_tok *tok, int maxtok, unsigned char *buf, size_t bufsz);

/*
 * Verify the signature of j with public key k. 0 if it verifies. ERR_BADSIG
 * if it does not (including a signature of the wrong length: RSA needs the
 * modulus length, ECDSA exactly twice the coordinate length, raw r || s).
 * ERR_UNSUPPORTED if alg does not fit the key (RS256 needs RSA; ES256,
 * ES384, ES512 need P-256, P-384, P-521 respectively) or alg is HS256.
 */
int jws_verify(const struct jws *j, const struct jwk *k);

/*
 * Verify an HS256 JWS (External Account Binding) with the shared key (keylen
 * >= 1). Constant-time comparison. 0, ERR_BADSIG, ERR_UNSUPPORTED (alg is not
 * HS256), ERR_BADKEY (empty key).
 */
int jws_verify_hmac(const struct jws *j, const unsigned char *key,
    size_t keylen);

/*
 * External Account Binding, first step. eab_obj is the token of the
 * "externalAccountBinding" member value in the newAccount payload d (a
 * flattened JWS object). Parses it as jws_parse() with JWS_EAB does, then
 * checks that its "url" equals outer_url and that its payload is a JWK equal
 * to account_key (the outer JWS's jwk). On success eab->kid names the EAB key:
 * look it up and call jws_verify_hmac(eab, key, keylen).
 * tok/maxtok are scratch and must not be d's own tokens; buf receives the
 * decoded inner header and then the payload. Returns 0, the jws_parse() codes,
 * or ERR_MALFORMED for a url mismatch, a payload that is not a valid JWK, or
 * a JWK that differs from account_key.
 */
int jws_eab_parse(struct jws *eab, const struct json_doc *d, int eab_obj,
    const char *outer_url, const struct jwk *account_key,
    struct json_tok *tok, int maxtok, unsigned char *buf, size_t bufsz);

/* "RS256" etc. for alg, or NULL if unknown. */
const char *jws_alg_name(int alg);

#endif
