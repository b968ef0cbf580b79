#include <string.h>

#include <bearssl.h>

#include "jose/jws.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/str.h"

static const char *const jws_alg_names[JWS__MAX] = {
	[JWS_RS256] = "RS256",
	[JWS_ES256] = "ES256",
	[JWS_ES384] = "ES384",
	[JWS_ES512] = "ES512",
	[JWS_HS256] = "HS256",
};

const char *
jws_alg_name(int alg)
{
	return alg > 0 && alg < JWS__MAX ? jws_alg_names[alg] : NULL;
}

static int
jws_fail(struct jws *j, int rc, const char *detail)
{
	j->detail = detail;
	return rc;
}

/* Raw text of a base64url string member; escapes would give two spellings. */
static int
jws_b64_member(const struct json_doc *d, int t, const char **p, size_t *n)
{
	int esc;

	if (json_type(d, t) != JSON_STRING || json_raw(d, t, p, n, &esc) < 0 || esc)
		return ERR_MALFORMED;
	return 0;
}

static int
jws_nonce_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static int
jws_header_parse(struct jws *j, const struct json_doc *h, unsigned flags)
{
	int talg = -1, tjwk = -1, tkid = -1, turl = -1, tnonce = -1;
	int crit = 0, b64 = 0, rc;

	if (json_type(h, 0) != JSON_OBJECT)
		return jws_fail(j, ERR_MALFORMED, "JWS protected header is not a JSON object");
	for (int i = 0, k = 1; i < h->tok[0].size; i++, k = json_next(h, k + 1)) {
		if (json_str_eq(h, k, "alg"))
			talg = k + 1;
		else if (json_str_eq(h, k, "jwk"))
			tjwk = k + 1;
		else if (json_str_eq(h, k, "kid"))
			tkid = k + 1;
		else if (json_str_eq(h, k, "url"))
			turl = k + 1;
		else if (json_str_eq(h, k, "nonce"))
			tnonce = k + 1;
		else if (json_str_eq(h, k, "crit"))
			crit = 1;
		else if (json_str_eq(h, k, "b64"))
			b64 = 1;
	}
	if (crit)
		return jws_fail(j, ERR_MALFORMED, "JWS \"crit\" is not supported");
	if (b64)
		return jws_fail(j, ERR_MALFORMED, "JWS unencoded payload (\"b64\") is not allowed");

	if (talg < 0 || json_type(h, talg) != JSON_STRING)
		return jws_fail(j, ERR_MALFORMED, "JWS \"alg\" missing or not a string");
	for (int a = 1; a < JWS__MAX; a++)
		if (json_str_eq(h, talg, jws_alg_names[a]))
			j->alg = a;
	if (j->alg == 0)
		return jws_fail(j, ERR_UNSUPPORTED, "JWS \"alg\" is not supported");
	if ((flags & JWS_EAB) && j->alg != JWS_HS256)
		return jws_fail(j, ERR_UNSUPPORTED, "external account binding must use HS256");
	if (!(flags & JWS_EAB) && j->alg == JWS_HS256)
		return jws_fail(j, ERR_UNSUPPORTED, "JWS \"alg\" must not be a MAC algorithm");

	if (flags & JWS_EAB) {
		if (tjwk >= 0 || tnonce >= 0)
			return jws_fail(j, ERR_MALFORMED,
			    "external account binding header must not hold \"jwk\" or \"nonce\"");
		if (tkid < 0)
			return jws_fail(j, ERR_MALFORMED, "external account binding needs \"kid\"");
	} else if ((tjwk < 0) == (tkid < 0)) {
		return jws_fail(j, ERR_MALFORMED, "JWS needs exactly one of \"jwk\" and \"kid\"");
	}

	if (turl < 0 || json_str(h, turl, j->url, sizeof j->url, NULL) < 0 ||
	    j->url[0] == '\0')
		return jws_fail(j, ERR_MALFORMED, "JWS \"url\" missing, not a string or too long");

	if (tkid >= 0) {
		if (json_str(h, tkid, j->kid, sizeof j->kid, NULL) < 0 || j->kid[0] == '\0')
			return jws_fail(j, ERR_MALFORMED, "JWS \"kid\" not a string or too long");
		j->has_kid = 1;
	}

	if (tnonce >= 0) {
		if (json_type(h, tnonce) != JSON_STRING)
			return jws_fail(j, ERR_MALFORMED, "JWS \"nonce\" is not a string");
		j->has_nonce = 1;
		if (json_str(h, tnonce, j->nonce, sizeof j->nonce, NULL) < 0 ||
		    !jws_nonce_ok(j->nonce))
			j->nonce[0] = '\0';
	}

	if (tjwk >= 0) {
		rc = jwk_parse(&j->jwk, h, tjwk);
		if (rc == ERR_BADKEY)
			return jws_fail(j, rc, "JWS \"jwk\" is not an acceptable public key");
		if (rc < 0)
			return jws_fail(j, ERR_MALFORMED, "JWS \"jwk\" is malformed");
		j->has_jwk = 1;
	}
	return 0;
}

/* Parse the flattened JWS at object obj of d. d's tokens may be tok itself. */
static int
jws_parse_obj(struct jws *j, const struct json_doc *d, int obj, unsigned flags,
    struct json_tok *tok, int maxtok, unsigned char *buf, size_t bufsz)
{
	int tp = -1, tl = -1, ts = -1, rc;
	const char *sig;
	size_t sig_b64_len, n;
	struct json_doc h;

	memset(j, 0, sizeof *j);
	if (json_type(d, obj) != JSON_OBJECT)
		return jws_fail(j, ERR_MALFORMED, "JWS is not a JSON object");
	for (int i = 0, k = obj + 1; i < d->tok[obj].size; i++, k = json_next(d, k + 1)) {
		if (json_str_eq(d, k, "protected"))
			tp = k + 1;
		else if (json_str_eq(d, k, "payload"))
			tl = k + 1;
		else if (json_str_eq(d, k, "signature"))
			ts = k + 1;
		else if (json_str_eq(d, k, "header"))
			return jws_fail(j, ERR_MALFORMED, "JWS unprotected header is not allowed");
		else if (json_str_eq(d, k, "signatures"))
			return jws_fail(j, ERR_MALFORMED,
			    "JWS general serialization is not allowed, use flattened");
		else
			return jws_fail(j, ERR_MALFORMED, "JWS has an unexpected member");
	}
	if (tp < 0 || tl < 0 || ts < 0)
		return jws_fail(j, ERR_MALFORMED,
		    "JWS needs \"protected\", \"payload\" and \"signature\"");
	if (jws_b64_member(d, tp, &j->prot, &j->prot_len) < 0 ||
	    jws_b64_member(d, tl, &j->payload_b64, &j->payload_b64_len) < 0 ||
	    jws_b64_member(d, ts, &sig, &sig_b64_len) < 0)
		return jws_fail(j, ERR_MALFORMED, "JWS members must be base64url strings");
	if (b64url_dec_max(sig_b64_len) > sizeof j->sig)
		return jws_fail(j, ERR_MALFORMED, "JWS signature is too long");
	if (b64url_decode(j->sig, sizeof j->sig, sig, sig_b64_len, &j->sig_len) < 0)
		return jws_fail(j, ERR_MALFORMED, "JWS signature is not base64url");

	/* From here on d's tokens may be overwritten: the spans above are kept. */
	if (j->prot_len == 0)
		return jws_fail(j, ERR_MALFORMED, "JWS protected header is empty");
	rc = b64url_decode(buf, bufsz, j->prot, j->prot_len, &n);
	if (rc == ERR_TOOBIG)
		return jws_fail(j, rc, "JWS protected header is too large");
	if (rc < 0)
		return jws_fail(j, ERR_MALFORMED, "JWS protected header is not base64url");
	rc = json_parse(&h, (const char *)buf, n, tok, maxtok);
	if (rc == ERR_TOOBIG)
		return jws_fail(j, rc, "JWS protected header is too large");
	if (rc < 0)
		return jws_fail(j, ERR_MALFORMED, "JWS protected header is not valid JSON");
	rc = jws_header_parse(j, &h, flags);
	if (rc < 0)
		return rc;

	j->payload = buf;
	if (j->payload_b64_len == 0) {
		j->post_as_get = 1;
		return 0;
	}
	rc = b64url_decode(buf, bufsz, j->payload_b64, j->payload_b64_len,
	    &j->payload_len);
	if (rc == ERR_TOOBIG)
		return jws_fail(j, rc, "JWS payload is too large");
	if (rc < 0)
		return jws_fail(j, ERR_MALFORMED, "JWS payload is not base64url");
	return 0;
}

int
jws_parse(struct jws *j, const char *body, size_t len, unsigned flags,
    struct json_tok *tok, int maxtok, unsigned char *buf, size_t bufsz)
{
	struct json_doc d;
	int rc = json_parse(&d, body, len, tok, maxtok);

	if (rc < 0) {
		memset(j, 0, sizeof *j);
		if (rc == ERR_TOOBIG)
			return jws_fail(j, rc, "request body has too many JSON tokens");
		return jws_fail(j, ERR_MALFORMED, "request body is not valid JSON");
	}
	return jws_parse_obj(j, &d, 0, flags, tok, maxtok, buf, bufsz);
}

static int
jws_ct_eq(const unsigned char *a, const unsigned char *b, size_t n)
{
	unsigned char x = 0;

	for (size_t i = 0; i < n; i++)
		x |= a[i] ^ b[i];
	return x == 0;
}

/* Hash prot || '.' || payload_b64; returns the hash length. */
static size_t
jws_hash_input(const struct jws *j, const br_hash_class *hc, unsigned char *out)
{
	br_hash_compat_context ctx;

	hc->init(&ctx.vtable);
	hc->update(&ctx.vtable, j->prot, j->prot_len);
	hc->update(&ctx.vtable, STR_LIT("."));
	hc->update(&ctx.vtable, j->payload_b64, j->payload_b64_len);
	hc->out(&ctx.vtable, out);
	return (hc->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;
}

static int
jws_verify_rsa(const struct jws *j, const struct jwk *k)
{
	unsigned char h[32], hs[32];
	br_rsa_public_key pk;

	if (j->sig_len != k->rsa.nlen)
		return ERR_BADSIG;
	/* BearSSL takes non-const pointers but never writes a public key. */
	pk.n = (unsigned char *)k->rsa.n;
	pk.nlen = k->rsa.nlen;
	pk.e = (unsigned char *)k->rsa.e;
	pk.elen = k->rsa.elen;
	jws_hash_input(j, &br_sha256_vtable, h);
	if (br_rsa_pkcs1_vrfy_get_default()(j->sig, j->sig_len, BR_HASH_OID_SHA256,
	    sizeof h, &pk, hs) != 1)
		return ERR_BADSIG;
	return jws_ct_eq(h, hs, sizeof h) ? 0 : ERR_BADSIG;
}

static int
jws_verify_ec(const struct jws *j, const struct jwk *k, int crv, size_t flen,
    const br_hash_class *hc)
{
	unsigned char h[64];
	size_t hlen;
	br_ec_public_key pk;

	if (k->ec.crv != crv)
		return ERR_UNSUPPORTED;
	if (k->ec.qlen != 1 + 2 * flen)
		return ERR_BADKEY;
	if (j->sig_len != 2 * flen)
		return ERR_BADSIG;
	pk.curve = k->ec.crv;
	pk.q = (unsigned char *)k->ec.q;
	pk.qlen = k->ec.qlen;
	hlen = jws_hash_input(j, hc, h);
	if (br_ecdsa_vrfy_raw_get_default()(br_ec_get_default(), h, hlen, &pk,
	    j->sig, j->sig_len) != 1)
		return ERR_BADSIG;
	return 0;
}

int
jws_verify(const struct jws *j, const struct jwk *k)
{
	switch (j->alg) {
	case JWS_RS256:
		return k->kty == JWK_RSA ? jws_verify_rsa(j, k) : ERR_UNSUPPORTED;
	case JWS_ES256:
		return k->kty == JWK_EC ? jws_verify_ec(j, k, JWK_P256, 32,
		    &br_sha256_vtable) : ERR_UNSUPPORTED;
	case JWS_ES384:
		return k->kty == JWK_EC ? jws_verify_ec(j, k, JWK_P384, 48,
		    &br_sha384_vtable) : ERR_UNSUPPORTED;
	case JWS_ES512:
		return k->kty == JWK_EC ? jws_verify_ec(j, k, JWK_P521, 66,
		    &br_sha512_vtable) : ERR_UNSUPPORTED;
	default:
		return ERR_UNSUPPORTED;
	}
}

int
jws_verify_hmac(const struct jws *j, const unsigned char *key, size_t keylen)
{
	br_hmac_key_context kc;
	br_hmac_context hc;
	unsigned char mac[32];

	if (j->alg != JWS_HS256)
		return ERR_UNSUPPORTED;
	if (keylen == 0)
		return ERR_BADKEY;
	if (j->sig_len != sizeof mac)
		return ERR_BADSIG;
	br_hmac_key_init(&kc, &br_sha256_vtable, key, keylen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, j->prot, j->prot_len);
	br_hmac_update(&hc, STR_LIT("."));
	br_hmac_update(&hc, j->payload_b64, j->payload_b64_len);
	br_hmac_out(&hc, mac);
	return jws_ct_eq(mac, j->sig, sizeof mac) ? 0 : ERR_BADSIG;
}

int
jws_eab_parse(struct jws *eab, const struct json_doc *d, int eab_obj,
    const char *outer_url, const struct jwk *account_key,
    struct json_tok *tok, int maxtok, unsigned char *buf, size_t bufsz)
{
	struct json_doc p;
	struct jwk k;
	int rc;

	rc = jws_parse_obj(eab, d, eab_obj, JWS_EAB, tok, maxtok, buf, bufsz);
	if (rc < 0)
		return rc;
	if (strcmp(eab->url, outer_url) != 0)
		return jws_fail(eab, ERR_MALFORMED,
		    "external account binding \"url\" differs from the request's");
	if (eab->payload_len == 0 ||
	    json_parse(&p, (const char *)eab->payload, eab->payload_len, tok, maxtok) < 0 ||
	    jwk_parse(&k, &p, 0) < 0 || !jwk_equal(&k, account_key))
		return jws_fail(eab, ERR_MALFORMED,
		    "external account binding payload is not the account key");
	return 0;
}
