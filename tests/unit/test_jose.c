/*
 * Unit tests for src/jose: JWK parse/write/thumbprint, flattened JWS parse and
 * verify, External Account Binding. Known answers from RFC 7638 and RFC 7515
 * (files under tests/unit/data/jose/); other signatures are made here with
 * BearSSL keys from a seeded HMAC-DRBG, so runs are reproducible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <bearssl.h>

#include "jose/jwk.h"
#include "jose/jws.h"
#include "json/json.h"
#include "util/b64.h"
#include "util/err.h"

#define DATA "tests/unit/data/jose/"
#define NTOK 128
#define URL "https://acme.test/acme/new-acct"

/* ---- helpers ------------------------------------------------------------ */

/* snprintf that fails the test instead of truncating. */
#define FMT(out, outsz, ...) \
	fmt_check(snprintf((out), (outsz), __VA_ARGS__), (outsz), __FILE__, __LINE__)

static int
fmt_check(int rc, size_t outsz, const char *file, int line)
{
	if (rc < 0 || (size_t)rc >= outsz)
		fail_msg("%s:%d: test buffer too small", file, line);
	return rc;
}


#define EXPECT_RC(call, want) expect_rc((call), (want), #call, __FILE__, __LINE__)

static void
expect_rc(int rc, int want, const char *what, const char *file, int line)
{
	if (rc != want)
		fail_msg("%s:%d: %s = %d (%s), want %d (%s)", file, line, what, rc,
		    err_str(rc), want, err_str(want));
}

static size_t
load(const char *name, char *buf, size_t sz)
{
	char path[256];
	FILE *f;
	size_t n;

	FMT(path, sizeof path, DATA "%s", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (run from the repository root)", path);
	n = fread(buf, 1, sz - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return n;
}

static void
b64u(char *out, size_t outsz, const void *in, size_t n)
{
	if (b64url_encode(out, outsz, in, n) < 0)
		fail_msg("b64url_encode: buffer too small");
}

/* Parse JWK text into k; returns jwk_parse's code (or json_parse's). */
static int
jwk_from_text(struct jwk *k, const char *js)
{
	struct json_tok tok[NTOK];
	struct json_doc d;
	int rc = json_parse(&d, js, strlen(js), tok, NTOK);

	if (rc < 0)
		return rc;
	return jwk_parse(k, &d, 0);
}

/* ---- test keys ---------------------------------------------------------- */

struct tkey {
	int kty;                /* JWK_RSA or JWK_EC */
	int crv;
	br_rsa_private_key rsk;
	br_rsa_public_key rpk;
	unsigned char rpriv[BR_RSA_KBUF_PRIV_SIZE(2048)];
	unsigned char rpub[BR_RSA_KBUF_PUB_SIZE(2048)];
	br_ec_private_key esk;
	br_ec_public_key epk;
	unsigned char epriv[BR_EC_KBUF_PRIV_MAX_SIZE];
	unsigned char epub[BR_EC_KBUF_PUB_MAX_SIZE];
};

static struct tkey key_rsa, key_p256, key_p256b, key_p384, key_p521;
static br_hmac_drbg_context rng;

static void
tkey_ec(struct tkey *k, int crv)
{
	const br_ec_impl *ec = br_ec_get_default();

	k->kty = JWK_EC;
	k->crv = crv;
	if (br_ec_keygen(&rng.vtable, ec, &k->esk, k->epriv, crv) == 0 ||
	    br_ec_compute_pub(ec, &k->epk, k->epub, &k->esk) == 0)
		fail_msg("EC key generation failed for curve %d", crv);
}

static int
setup_keys(void **state)
{
	static const char seed[] = "upki-acme test_jose fixed seed";

	(void)state;
	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof seed - 1);
	key_rsa.kty = JWK_RSA;
	if (!br_rsa_keygen_get_default()(&rng.vtable, &key_rsa.rsk, key_rsa.rpriv,
	    &key_rsa.rpk, key_rsa.rpub, 2048, 65537))
		return -1;
	tkey_ec(&key_p256, JWK_P256);
	tkey_ec(&key_p256b, JWK_P256);
	tkey_ec(&key_p384, JWK_P384);
	tkey_ec(&key_p521, JWK_P521);
	return 0;
}

/* Public JWK JSON of a test key, members deliberately not in canonical order. */
static void
tkey_jwk_json(const struct tkey *k, char *out, size_t outsz)
{
	char a[800], b[800];
	size_t f;

	if (k->kty == JWK_RSA) {
		b64u(a, sizeof a, k->rpk.n, k->rpk.nlen);
		b64u(b, sizeof b, k->rpk.e, k->rpk.elen);
		FMT(out, outsz, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}", a, b);
		return;
	}
	f = (k->epk.qlen - 1) / 2;
	b64u(a, sizeof a, k->epk.q + 1, f);
	b64u(b, sizeof b, k->epk.q + 1 + f, f);
	FMT(out, outsz, "{\"y\":\"%s\",\"x\":\"%s\",\"kty\":\"EC\",\"crv\":\"%s\"}",
	    b, a, k->crv == JWK_P256 ? "P-256" : k->crv == JWK_P384 ? "P-384" : "P-521");
}

static struct jwk
tkey_jwk(const struct tkey *k)
{
	char js[1024];
	struct jwk j;

	tkey_jwk_json(k, js, sizeof js);
	EXPECT_RC(jwk_from_text(&j, js), 0);
	return j;
}

/*
 * Sign in with key k using the hash of alg (for HS256: HMAC with mac/maclen).
 * The hash follows alg, not the key, so mismatches can be built on purpose.
 */
static size_t
sign(const struct tkey *k, int alg, const unsigned char *mac, size_t maclen,
    const char *in, size_t n, unsigned char *sig)
{
	const br_hash_class *hc = alg == JWS_ES384 ? &br_sha384_vtable :
	    alg == JWS_ES512 ? &br_sha512_vtable : &br_sha256_vtable;
	br_hash_compat_context h;
	unsigned char hv[64];

	if (alg == JWS_HS256) {
		br_hmac_key_context kc;
		br_hmac_context hm;
		br_hmac_key_init(&kc, &br_sha256_vtable, mac, maclen);
		br_hmac_init(&hm, &kc, 0);
		br_hmac_update(&hm, in, n);
		return br_hmac_out(&hm, sig);
	}
	hc->init(&h.vtable);
	hc->update(&h.vtable, in, n);
	hc->out(&h.vtable, hv);
	if (k->kty == JWK_RSA) {
		if (!br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, hv, 32,
		    &k->rsk, sig))
			fail_msg("RSA signing failed");
		return k->rpk.nlen;
	}
	return br_ecdsa_sign_raw_get_default()(br_ec_get_default(), hc, hv,
	    &k->esk, sig);
}

/*
 * Flattened JWS body: protected header JSON prot, payload (NULL: ""), signed
 * by k with alg's hash (or HMAC). Returns the body length.
 */
static size_t
make_jws(char *out, size_t outsz, const char *prot, const char *payload,
    const struct tkey *k, int alg, const unsigned char *mac, size_t maclen)
{
	static char in[16384], sigb[1024];
	unsigned char sig[600];
	size_t pl = strlen(prot), n, sl;
	int rc;

	b64u(in, sizeof in, prot, pl);
	n = b64url_enc_len(pl);
	in[n++] = '.';
	if (payload)
		b64u(in + n, sizeof in - n, payload, strlen(payload));
	else
		in[n] = '\0';
	sl = sign(k, alg, mac, maclen, in, strlen(in), sig);
	if (sl == 0)
		fail_msg("signing failed");
	b64u(sigb, sizeof sigb, sig, sl);
	in[b64url_enc_len(pl)] = '\0';
	rc = FMT(out, outsz, "{\"protected\":\"%s\",\"payload\":\"%s\","
	    "\"signature\":\"%s\"}", in, in + b64url_enc_len(pl) + 1, sigb);
	return (size_t)rc;
}

static const char *
alg_str(int alg)
{
	return jws_alg_name(alg);
}

/* Protected header with the key's jwk, a nonce and URL. */
static void
prot_jwk(char *out, size_t outsz, int alg, const struct tkey *k)
{
	char jwk[1024];

	tkey_jwk_json(k, jwk, sizeof jwk);
	FMT(out, outsz, "{\"alg\":\"%s\",\"jwk\":%s,\"nonce\":\"n0nce-_1\","
	    "\"url\":\"" URL "\"}", alg_str(alg), jwk);
}

static char body[16384];
static unsigned char pbuf[16384];
static struct json_tok tok[NTOK];

static int
parse(struct jws *j, size_t len, unsigned flags)
{
	return jws_parse(j, body, len, flags, tok, NTOK, pbuf, sizeof pbuf);
}

/* Parse the header text signed by k; expect want from jws_parse. */
static void
expect_header(const char *prot, const struct tkey *k, int alg, int want,
    const char *file, int line)
{
	struct jws j;
	size_t n = make_jws(body, sizeof body, prot, "{}", k, alg, NULL, 0);
	int rc = parse(&j, n, 0);

	if (rc != want)
		fail_msg("%s:%d: jws_parse with header %s = %d (%s: %s), want %d (%s)",
		    file, line, prot, rc, err_str(rc), j.detail ? j.detail : "-",
		    want, err_str(want));
	if (rc < 0 && j.detail == NULL)
		fail_msg("%s:%d: failure without detail", file, line);
}
#define EXPECT_HEADER(p, want) \
	expect_header(p, &key_p256, JWS_ES256, want, __FILE__, __LINE__)

/* Split a compact JWS from a file into a hand-made struct jws. */
static void
compact_to_jws(struct jws *j, char *compact, int alg)
{
	char *dot1 = strchr(compact, '.'), *dot2;

	assert_non_null(dot1);
	dot2 = strchr(dot1 + 1, '.');
	assert_non_null(dot2);
	memset(j, 0, sizeof *j);
	j->alg = alg;
	j->prot = compact;
	j->prot_len = (size_t)(dot1 - compact);
	j->payload_b64 = dot1 + 1;
	j->payload_b64_len = (size_t)(dot2 - dot1 - 1);
	EXPECT_RC(b64url_decode(j->sig, sizeof j->sig, dot2 + 1, strlen(dot2 + 1),
	    &j->sig_len), 0);
}

/* ---- RFC known answers -------------------------------------------------- */

static void
test_rfc7638_thumbprint(void **state)
{
	char js[1024], want[64], tb[JWK_THUMB_B64_LEN + 1], out[1024], canon[1024];
	unsigned char raw[JWK_THUMB_LEN], dec[64];
	struct json_tok t[NTOK];
	struct json_doc d;
	struct jwk k, k2;
	struct json_w w;
	const char *n0;
	size_t nlen, dl;
	int rc;

	(void)state;
	load("rfc7638-3.1.jwk.json", js, sizeof js);
	load("rfc7638-3.1.thumbprint", want, sizeof want);
	EXPECT_RC(json_parse(&d, js, strlen(js), t, NTOK), 0);
	EXPECT_RC(jwk_parse(&k, &d, 0), 0);       /* "alg" and "kid" ignored */
	assert_int_equal(k.kty, JWK_RSA);
	assert_int_equal(k.rsa.nlen, 256);
	EXPECT_RC(jwk_thumbprint_b64(&k, tb), 0);
	if (strcmp(tb, want) != 0)
		fail_msg("RFC 7638 thumbprint: got %s, want %s", tb, want);
	EXPECT_RC(jwk_thumbprint(&k, raw), 0);
	EXPECT_RC(b64url_decode(dec, sizeof dec, want, strlen(want), &dl), 0);
	assert_int_equal(dl, 32);
	assert_memory_equal(raw, dec, 32);

	/* jwk_write gives exactly the RFC 7638 canonical form */
	EXPECT_RC(json_raw(&d, json_obj_get(&d, 0, "n"), &n0, &nlen, NULL), 0);
	FMT(canon, sizeof canon, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"%.*s\"}",
	    (int)nlen, n0);
	json_w_init(&w, out, sizeof out);
	EXPECT_RC(jwk_write(&k, &w), 0);
	rc = json_w_finish(&w);
	assert_int_equal(rc, (int)strlen(canon));
	if (strcmp(out, canon) != 0)
		fail_msg("canonical JWK:\n  %s\nwant\n  %s", out, canon);
	/* and parses back to the same key */
	EXPECT_RC(jwk_from_text(&k2, out), 0);
	assert_true(jwk_equal(&k, &k2));
}

static void
test_rfc7515_a2_rs256(void **state)
{
	char js[1024], compact[1024], copy[1024];
	struct jwk k, kec;
	struct jws j, j2;
	size_t n;

	(void)state;
	load("rfc7515-a2.jwk.json", js, sizeof js);
	n = load("rfc7515-a2.jws", compact, sizeof compact);
	EXPECT_RC(jwk_from_text(&k, js), 0);
	compact_to_jws(&j, compact, JWS_RS256);
	assert_int_equal(j.sig_len, 256);
	EXPECT_RC(jws_verify(&j, &k), 0);

	j2 = j;
	j2.sig[100] ^= 0x01;
	EXPECT_RC(jws_verify(&j2, &k), ERR_BADSIG);
	j2 = j;
	j2.sig_len--;
	EXPECT_RC(jws_verify(&j2, &k), ERR_BADSIG);
	memcpy(copy, compact, n + 1);
	compact_to_jws(&j2, copy, JWS_RS256);
	copy[j2.prot_len + 5] ^= 0x01;          /* payload byte */
	EXPECT_RC(jws_verify(&j2, &k), ERR_BADSIG);
	memcpy(copy, compact, n + 1);
	copy[3] ^= 0x01;                        /* protected byte */
	EXPECT_RC(jws_verify(&j2, &k), ERR_BADSIG);

	/* alg/key mismatch */
	load("rfc7515-a3.jwk.json", js, sizeof js);
	EXPECT_RC(jwk_from_text(&kec, js), 0);
	EXPECT_RC(jws_verify(&j, &kec), ERR_UNSUPPORTED);
	j2 = j;
	j2.alg = JWS_ES256;
	EXPECT_RC(jws_verify(&j2, &k), ERR_UNSUPPORTED);
}

static void
test_rfc7515_a3_es256(void **state)
{
	char js[1024], compact[1024], copy[1024];
	struct jwk k, krsa;
	struct jws j, j2;
	size_t n;

	(void)state;
	load("rfc7515-a3.jwk.json", js, sizeof js);
	n = load("rfc7515-a3.jws", compact, sizeof compact);
	EXPECT_RC(jwk_from_text(&k, js), 0);
	assert_int_equal(k.kty, JWK_EC);
	assert_int_equal(k.ec.crv, JWK_P256);
	compact_to_jws(&j, compact, JWS_ES256);
	assert_int_equal(j.sig_len, 64);
	EXPECT_RC(jws_verify(&j, &k), 0);

	j2 = j;
	j2.sig[63] ^= 0x80;
	EXPECT_RC(jws_verify(&j2, &k), ERR_BADSIG);
	j2 = j;
	j2.sig_len = 63;
	EXPECT_RC(jws_verify(&j2, &k), ERR_BADSIG);
	memcpy(copy, compact, n + 1);
	compact_to_jws(&j2, copy, JWS_ES256);
	copy[j2.prot_len + 7] ^= 0x01;
	EXPECT_RC(jws_verify(&j2, &k), ERR_BADSIG);

	/* same key and signature claimed as ES384 / ES512: wrong curve for alg */
	j2 = j;
	j2.alg = JWS_ES384;
	EXPECT_RC(jws_verify(&j2, &k), ERR_UNSUPPORTED);
	j2.alg = JWS_ES512;
	EXPECT_RC(jws_verify(&j2, &k), ERR_UNSUPPORTED);
	load("rfc7515-a2.jwk.json", js, sizeof js);
	EXPECT_RC(jwk_from_text(&krsa, js), 0);
	EXPECT_RC(jws_verify(&j, &krsa), ERR_UNSUPPORTED);
	EXPECT_RC(jws_verify_hmac(&j, (const unsigned char *)"k", 1), ERR_UNSUPPORTED);
}

/* Wrapped into flattened form, the RFC examples lack ACME's url and jwk/kid. */
static void
test_rfc7515_flattened_needs_acme_members(void **state)
{
	char compact[1024];
	struct jws j;
	char *d1, *d2;
	int n;

	(void)state;
	load("rfc7515-a3.jws", compact, sizeof compact);
	d1 = strchr(compact, '.');
	d2 = strchr(d1 + 1, '.');
	*d1 = *d2 = '\0';
	n = FMT(body, sizeof body, "{\"protected\":\"%s\",\"payload\":\"%s\","
	    "\"signature\":\"%s\"}", compact, d1 + 1, d2 + 1);
	EXPECT_RC(parse(&j, (size_t)n, 0), ERR_MALFORMED);
	assert_non_null(j.detail);
	/* compact serialization as a body */
	*d1 = *d2 = '.';
	memcpy(body, compact, strlen(compact));
	EXPECT_RC(parse(&j, strlen(compact), 0), ERR_MALFORMED);
}

static void
test_rfc7515_a1_hmac(void **state)
{
	char js[512], compact[512], kb64[128];
	unsigned char key[64];
	struct json_tok t[NTOK];
	struct json_doc d;
	struct jwk k;
	struct jws j;
	size_t klen;

	(void)state;
	load("rfc7515-a1.jwk.json", js, sizeof js);
	load("rfc7515-a1.jws", compact, sizeof compact);
	EXPECT_RC(json_parse(&d, js, strlen(js), t, NTOK), 0);
	EXPECT_RC(jwk_parse(&k, &d, 0), ERR_BADKEY);        /* kty oct */
	EXPECT_RC(json_obj_get_str(&d, 0, "k", kb64, sizeof kb64), 0);
	EXPECT_RC(b64url_decode(key, sizeof key, kb64, strlen(kb64), &klen), 0);
	compact_to_jws(&j, compact, JWS_HS256);
	EXPECT_RC(jws_verify_hmac(&j, key, klen), 0);
	key[0] ^= 1;
	EXPECT_RC(jws_verify_hmac(&j, key, klen), ERR_BADSIG);
	EXPECT_RC(jws_verify_hmac(&j, key, 0), ERR_BADKEY);
	key[0] ^= 1;
	j.sig[31] ^= 1;
	EXPECT_RC(jws_verify_hmac(&j, key, klen), ERR_BADSIG);
	j.sig[31] ^= 1;
	j.sig_len = 31;
	EXPECT_RC(jws_verify_hmac(&j, key, klen), ERR_BADSIG);
	/* HS256 is not an account signature algorithm */
	{
		struct jwk kec;
		load("rfc7515-a3.jwk.json", js, sizeof js);
		EXPECT_RC(jwk_from_text(&kec, js), 0);
		EXPECT_RC(jws_verify(&j, &kec), ERR_UNSUPPORTED);
	}
}

/* ---- JWS made here ------------------------------------------------------ */

static void
check_roundtrip(const struct jwk *k)
{
	char out[JWK_JSON_MAX];
	char t1[JWK_THUMB_B64_LEN + 1], t2[JWK_THUMB_B64_LEN + 1];
	struct json_w w;
	struct jwk k2;

	json_w_init(&w, out, sizeof out);
	EXPECT_RC(jwk_write(k, &w), 0);
	assert_true(json_w_finish(&w) > 0);
	EXPECT_RC(jwk_from_text(&k2, out), 0);
	assert_true(jwk_equal(k, &k2));
	EXPECT_RC(jwk_thumbprint_b64(k, t1), 0);
	EXPECT_RC(jwk_thumbprint_b64(&k2, t2), 0);
	assert_string_equal(t1, t2);
	assert_int_equal(strlen(t1), JWK_THUMB_B64_LEN);
}

static void
sign_verify_one(const struct tkey *tk, int alg)
{
	char prot[2048];
	const char *payload = "{\"termsOfServiceAgreed\":true}";
	struct jws j, j2;
	struct jwk stored = tkey_jwk(tk);
	size_t n;
	char *p;

	check_roundtrip(&stored);

	/* jwk form, as newAccount sends it */
	prot_jwk(prot, sizeof prot, alg, tk);
	n = make_jws(body, sizeof body, prot, payload, tk, alg, NULL, 0);
	EXPECT_RC(parse(&j, n, 0), 0);
	assert_int_equal(j.alg, alg);
	assert_true(j.has_jwk);
	assert_false(j.has_kid);
	assert_true(j.has_nonce);
	assert_string_equal(j.nonce, "n0nce-_1");
	assert_string_equal(j.url, URL);
	assert_false(j.post_as_get);
	assert_int_equal(j.payload_len, strlen(payload));
	assert_memory_equal(j.payload, payload, j.payload_len);
	assert_true(jwk_equal(&j.jwk, &stored));
	EXPECT_RC(jws_verify(&j, &j.jwk), 0);

	/* tampering after parsing: signature, payload bytes, protected bytes */
	j2 = j;
	j2.sig[0] ^= 0x01;
	EXPECT_RC(jws_verify(&j2, &j.jwk), ERR_BADSIG);
	j2 = j;
	j2.sig_len--;
	EXPECT_RC(jws_verify(&j2, &j.jwk), ERR_BADSIG);
	p = (char *)(uintptr_t)j.payload_b64;
	p[2] ^= 0x01;
	EXPECT_RC(jws_verify(&j, &j.jwk), ERR_BADSIG);
	p[2] ^= 0x01;
	p = (char *)(uintptr_t)j.prot;
	p[j.prot_len - 1] = p[j.prot_len - 1] == 'A' ? 'B' : 'A';
	EXPECT_RC(jws_verify(&j, &j.jwk), ERR_BADSIG);

	/* another key of the same type does not verify */
	if (tk->kty == JWK_EC && tk->crv == JWK_P256) {
		struct jwk other = tkey_jwk(&key_p256b);
		n = make_jws(body, sizeof body, prot, payload, tk, alg, NULL, 0);
		EXPECT_RC(parse(&j, n, 0), 0);
		EXPECT_RC(jws_verify(&j, &other), ERR_BADSIG);
	}

	/* kid form, POST-as-GET, verified with the stored account key */
	FMT(prot, sizeof prot, "{\"alg\":\"%s\",\"kid\":\"https://acme.test/acct/7\","
	    "\"nonce\":\"abc\",\"url\":\"https://acme.test/order/1\"}", alg_str(alg));
	n = make_jws(body, sizeof body, prot, NULL, tk, alg, NULL, 0);
	EXPECT_RC(parse(&j, n, 0), 0);
	assert_true(j.has_kid);
	assert_false(j.has_jwk);
	assert_string_equal(j.kid, "https://acme.test/acct/7");
	assert_true(j.post_as_get);
	assert_int_equal(j.payload_len, 0);
	EXPECT_RC(jws_verify(&j, &stored), 0);
}

static void
test_generated_rsa2048(void **state)
{
	(void)state;
	sign_verify_one(&key_rsa, JWS_RS256);
}

static void
test_generated_ec(void **state)
{
	(void)state;
	sign_verify_one(&key_p256, JWS_ES256);
	sign_verify_one(&key_p384, JWS_ES384);
	sign_verify_one(&key_p521, JWS_ES512);
}

static void
test_alg_key_mismatch(void **state)
{
	static const struct { const struct tkey *k; int alg; } cases[] = {
		{ &key_rsa, JWS_ES256 },
		{ &key_p256, JWS_RS256 },
		{ &key_p256, JWS_ES384 },
		{ &key_p256, JWS_ES512 },
		{ &key_p384, JWS_ES256 },
		{ &key_p521, JWS_ES384 },
	};
	char prot[2048];
	struct jws j;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		prot_jwk(prot, sizeof prot, cases[i].alg, cases[i].k);
		n = make_jws(body, sizeof body, prot, "{}", cases[i].k, cases[i].alg,
		    NULL, 0);
		EXPECT_RC(parse(&j, n, 0), 0);
		if (jws_verify(&j, &j.jwk) != ERR_UNSUPPORTED)
			fail_msg("case %zu: alg %s with a %s key not refused", i,
			    alg_str(cases[i].alg), cases[i].k->kty == JWK_RSA ? "RSA" : "EC");
	}
}

static void
test_header_rules(void **state)
{
	char jwk[1024], p[4096], longs[700];
	struct jws j;
	size_t n;

	(void)state;
	tkey_jwk_json(&key_p256, jwk, sizeof jwk);
#define H(fmt) (FMT(p, sizeof p, fmt, jwk), p)
	/* baseline passes */
	EXPECT_HEADER(H("{\"alg\":\"ES256\",\"jwk\":%s,\"nonce\":\"x\",\"url\":\"u\"}"), 0);
	/* unknown members are ignored */
	EXPECT_HEADER(H("{\"typ\":\"JOSE\",\"alg\":\"ES256\",\"jwk\":%s,\"url\":\"u\","
	    "\"x5u\":1}"), 0);
	/* alg */
	EXPECT_HEADER(H("{\"alg\":\"none\",\"jwk\":%s,\"url\":\"u\"}"), ERR_UNSUPPORTED);
	EXPECT_HEADER(H("{\"alg\":\"HS256\",\"jwk\":%s,\"url\":\"u\"}"), ERR_UNSUPPORTED);
	EXPECT_HEADER(H("{\"alg\":\"PS256\",\"jwk\":%s,\"url\":\"u\"}"), ERR_UNSUPPORTED);
	EXPECT_HEADER(H("{\"alg\":\"EdDSA\",\"jwk\":%s,\"url\":\"u\"}"), ERR_UNSUPPORTED);
	EXPECT_HEADER(H("{\"alg\":\"es256\",\"jwk\":%s,\"url\":\"u\"}"), ERR_UNSUPPORTED);
	EXPECT_HEADER(H("{\"alg\":\"\",\"jwk\":%s,\"url\":\"u\"}"), ERR_UNSUPPORTED);
	EXPECT_HEADER(H("{\"jwk\":%s,\"url\":\"u\"}"), ERR_MALFORMED);
	EXPECT_HEADER(H("{\"alg\":1,\"jwk\":%s,\"url\":\"u\"}"), ERR_MALFORMED);
	EXPECT_HEADER(H("{\"alg\":[\"ES256\"],\"jwk\":%s,\"url\":\"u\"}"), ERR_MALFORMED);
	/* escaped alg still names ES256 */
	EXPECT_HEADER(H("{\"alg\":\"E\\u0053256\",\"jwk\":%s,\"url\":\"u\"}"), 0);
	/* duplicate member */
	EXPECT_HEADER(H("{\"alg\":\"ES256\",\"alg\":\"ES256\",\"jwk\":%s,\"url\":\"u\"}"),
	    ERR_MALFORMED);
	EXPECT_HEADER(H("{\"alg\":\"ES256\",\"\\u0061lg\":\"none\",\"jwk\":%s,\"url\":\"u\"}"),
	    ERR_MALFORMED);
	/* jwk / kid */
	EXPECT_HEADER(H("{\"alg\":\"ES256\",\"jwk\":%s,\"kid\":\"k\",\"url\":\"u\"}"),
	    ERR_MALFORMED);
	EXPECT_HEADER("{\"alg\":\"ES256\",\"url\":\"u\"}", ERR_MALFORMED);
	EXPECT_HEADER("{\"alg\":\"ES256\",\"kid\":\"\",\"url\":\"u\"}", ERR_MALFORMED);
	EXPECT_HEADER("{\"alg\":\"ES256\",\"kid\":7,\"url\":\"u\"}", ERR_MALFORMED);
	EXPECT_HEADER("{\"alg\":\"ES256\",\"jwk\":\"k\",\"url\":\"u\"}", ERR_MALFORMED);
	EXPECT_HEADER("{\"alg\":\"ES256\",\"jwk\":{},\"url\":\"u\"}", ERR_MALFORMED);
	/* extensions */
	EXPECT_HEADER(H("{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1,\"jwk\":%s,"
	    "\"url\":\"u\"}"), ERR_MALFORMED);
	EXPECT_HEADER(H("{\"alg\":\"ES256\",\"crit\":[],\"jwk\":%s,\"url\":\"u\"}"),
	    ERR_MALFORMED);
	EXPECT_HEADER(H("{\"alg\":\"ES256\",\"b64\":false,\"jwk\":%s,\"url\":\"u\"}"),
	    ERR_MALFORMED);
	/* url */
	EXPECT_HEADER(H("{\"alg\":\"ES256\",\"jwk\":%s}"), ERR_MALFORMED);
	EXPECT_HEADER(H("{\"alg\":\"ES256\",\"jwk\":%s,\"url\":5}"), ERR_MALFORMED);
	EXPECT_HEADER(H("{\"alg\":\"ES256\",\"jwk\":%s,\"url\":\"\"}"), ERR_MALFORMED);
	memset(longs, 'a', sizeof longs - 1);
	longs[sizeof longs - 1] = '\0';
	FMT(p, sizeof p, "{\"alg\":\"ES256\",\"kid\":\"k\",\"url\":\"%s\"}", longs);
	EXPECT_HEADER(p, ERR_MALFORMED);
	FMT(p, sizeof p, "{\"alg\":\"ES256\",\"kid\":\"%s\",\"url\":\"u\"}", longs);
	EXPECT_HEADER(p, ERR_MALFORMED);
	/* nonce: absent is the caller's badNonce; a bad one reads as "" */
	n = make_jws(body, sizeof body, H("{\"alg\":\"ES256\",\"jwk\":%s,\"url\":\"u\"}"),
	    "{}", &key_p256, JWS_ES256, NULL, 0);
	EXPECT_RC(parse(&j, n, 0), 0);
	assert_false(j.has_nonce);
	FMT(p, sizeof p, "{\"alg\":\"ES256\",\"kid\":\"k\",\"nonce\":\"%s\",\"url\":\"u\"}",
	    longs);
	n = make_jws(body, sizeof body, p, "{}", &key_p256, JWS_ES256, NULL, 0);
	EXPECT_RC(parse(&j, n, 0), 0);
	assert_true(j.has_nonce);
	assert_string_equal(j.nonce, "");
	n = make_jws(body, sizeof body, "{\"alg\":\"ES256\",\"kid\":\"k\",\"nonce\":\"a+b\","
	    "\"url\":\"u\"}", "{}", &key_p256, JWS_ES256, NULL, 0);
	EXPECT_RC(parse(&j, n, 0), 0);
	assert_true(j.has_nonce);
	assert_string_equal(j.nonce, "");
	EXPECT_HEADER("{\"alg\":\"ES256\",\"kid\":\"k\",\"nonce\":1,\"url\":\"u\"}",
	    ERR_MALFORMED);
	/* the header must be an object */
	EXPECT_HEADER("[\"ES256\"]", ERR_MALFORMED);
	EXPECT_HEADER("{\"alg\":\"ES256\",\"kid\":\"k\",\"url\":\"u\",}", ERR_MALFORMED);
	/* unacceptable keys in jwk */
	EXPECT_HEADER("{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"},"
	    "\"url\":\"u\"}", ERR_BADKEY);
	{
		/* RSA-1024 account key (odd modulus, top bit set) */
		unsigned char n1024[128];
		char n64[200];
		memset(n1024, 0xc3, sizeof n1024);
		b64u(n64, sizeof n64, n1024, sizeof n1024);
		FMT(p, sizeof p, "{\"alg\":\"RS256\",\"jwk\":{\"kty\":\"RSA\",\"n\":\"%s\","
		    "\"e\":\"AQAB\"},\"url\":\"u\"}", n64);
		EXPECT_HEADER(p, ERR_BADKEY);
	}
#undef H
}

/* Body-level structure; bodies written by hand (signatures are not checked). */
static void
test_body_rules(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"\"x\"",
		"{}",
		"{\"protected\":\"e30\",\"payload\":\"\"}",
		"{\"protected\":\"e30\",\"signature\":\"AA\"}",
		"{\"payload\":\"\",\"signature\":\"AA\"}",
		"{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"AA\",\"header\":{}}",
		"{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"AA\",\"x\":1}",
		"{\"payload\":\"\",\"signatures\":[{\"protected\":\"e30\",\"signature\":\"AA\"}]}",
		"{\"protected\":\"e30\",\"payload\":\"\",\"payload\":\"\",\"signature\":\"AA\"}",
		"{\"protected\":\"e30\",\"payload\":1,\"signature\":\"AA\"}",
		"{\"protected\":{},\"payload\":\"\",\"signature\":\"AA\"}",
		"{\"protected\":\"e30\",\"payload\":\"\",\"signature\":null}",
		"{\"protected\":\"\\u0065\\u0033\\u0030\",\"payload\":\"\",\"signature\":\"AA\"}",
		"{\"protected\":\"e30=\",\"payload\":\"\",\"signature\":\"AA\"}",
		"{\"protected\":\"e3+\",\"payload\":\"\",\"signature\":\"AA\"}",
		"{\"protected\":\"\",\"payload\":\"\",\"signature\":\"AA\"}",
		"{\"protected\":\"e30\",\"payload\":\"a\",\"signature\":\"AA\"}",
		"{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"A\"}",
		"{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"AA\"} x",
		"{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"AA\",}",
		"{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"AA\"}{}",
		"e30..AA",
		/* protected decodes to "{}" (no alg), "[]", "{" */
		"{\"protected\":\"W10\",\"payload\":\"\",\"signature\":\"AA\"}",
		"{\"protected\":\"ew\",\"payload\":\"\",\"signature\":\"AA\"}",
	};
	struct jws j;
	char sig[800];
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t len = strlen(bad[i]);
		int rc;
		memcpy(body, bad[i], len);
		rc = parse(&j, len, 0);
		if (rc != ERR_MALFORMED)
			fail_msg("body %s: %d (%s), want malformed", bad[i], rc, err_str(rc));
		if (j.detail == NULL)
			fail_msg("body %s: no detail", bad[i]);
	}
	/* signature longer than any supported key */
	memset(sig, 'A', 700);
	sig[700] = '\0';
	n = FMT(body, sizeof body, "{\"protected\":\"e30\",\"payload\":\"\","
	    "\"signature\":\"%s\"}", sig);
	EXPECT_RC(parse(&j, (size_t)n, 0), ERR_MALFORMED);
}

static void
test_limits(void **state)
{
	char prot[2048];
	unsigned char small[64];
	struct json_tok few[4];
	struct jws j;
	size_t n;

	(void)state;
	prot_jwk(prot, sizeof prot, JWS_ES256, &key_p256);
	n = make_jws(body, sizeof body, prot, "{\"a\":1}", &key_p256, JWS_ES256, NULL, 0);
	EXPECT_RC(jws_parse(&j, body, n, 0, tok, NTOK, small, sizeof small), ERR_TOOBIG);
	EXPECT_RC(jws_parse(&j, body, n, 0, few, 4, pbuf, sizeof pbuf), ERR_TOOBIG);
	/* bufsz = len always suffices */
	EXPECT_RC(jws_parse(&j, body, n, 0, tok, NTOK, pbuf, n), 0);
}

/* ---- JWK rules ---------------------------------------------------------- */

static int
rsa_jwk(const unsigned char *nb, size_t nl, const unsigned char *eb, size_t el,
    const char *extra)
{
	char n64[800], e64[16], js[1024];
	struct jwk k;

	b64u(n64, sizeof n64, nb, nl);
	b64u(e64, sizeof e64, eb, el);
	FMT(js, sizeof js, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"%s}", n64, e64,
	    extra);
	return jwk_from_text(&k, js);
}

static void
test_jwk_rsa_rules(void **state)
{
	static unsigned char n[520];
	static const unsigned char e3[] = { 3 }, e1[] = { 1 }, e2[] = { 2 },
	    e65537[] = { 1, 0, 1 }, e0lead[] = { 0, 1, 0, 1 },
	    emax[] = { 0xff, 0xff, 0xff, 0xff }, e5b[] = { 1, 0, 0, 0, 1 };
	struct jwk k;

	(void)state;
	memset(n, 0xa5, sizeof n);
	n[0] = 0x80;
	EXPECT_RC(rsa_jwk(n, 256, e65537, 3, ""), 0);           /* 2048 bits */
	EXPECT_RC(rsa_jwk(n, 384, e3, 1, ""), 0);               /* 3072 bits */
	EXPECT_RC(rsa_jwk(n, 512, emax, 4, ""), 0);             /* 4096 bits */
	EXPECT_RC(rsa_jwk(n, 128, e65537, 3, ""), ERR_BADKEY);  /* 1024 bits */
	EXPECT_RC(rsa_jwk(n, 513, e65537, 3, ""), ERR_BADKEY);  /* 4104 bits */
	n[0] = 0x7f;
	EXPECT_RC(rsa_jwk(n, 256, e65537, 3, ""), ERR_BADKEY);  /* 2047 bits */
	n[0] = 0x01;
	EXPECT_RC(rsa_jwk(n, 513, e65537, 3, ""), ERR_BADKEY);  /* 4097 bits */
	n[0] = 0x00;
	EXPECT_RC(rsa_jwk(n, 257, e65537, 3, ""), ERR_BADKEY);  /* leading zero */
	n[0] = 0x80;
	n[255] = 0xa4;
	EXPECT_RC(rsa_jwk(n, 256, e65537, 3, ""), ERR_BADKEY);  /* even modulus */
	n[255] = 0xa5;
	EXPECT_RC(rsa_jwk(n, 256, e1, 1, ""), ERR_BADKEY);
	EXPECT_RC(rsa_jwk(n, 256, e2, 1, ""), ERR_BADKEY);
	EXPECT_RC(rsa_jwk(n, 256, e0lead, 4, ""), ERR_BADKEY);
	EXPECT_RC(rsa_jwk(n, 256, e5b, 5, ""), ERR_BADKEY);
	/* private members */
	EXPECT_RC(rsa_jwk(n, 256, e65537, 3, ",\"d\":\"AAAA\""), ERR_BADKEY);
	EXPECT_RC(rsa_jwk(n, 256, e65537, 3, ",\"p\":\"AAAA\""), ERR_BADKEY);
	EXPECT_RC(rsa_jwk(n, 256, e65537, 3, ",\"qi\":\"AAAA\""), ERR_BADKEY);
	/* tolerated members */
	EXPECT_RC(rsa_jwk(n, 256, e65537, 3, ",\"use\":\"sig\",\"kid\":\"1\","
	    "\"alg\":\"RS256\",\"key_ops\":[\"verify\"],\"crv\":\"P-256\""), 0);

	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"RSA\",\"e\":\"AQAB\"}"), ERR_MALFORMED);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"RSA\",\"n\":1,\"e\":\"AQAB\"}"), ERR_MALFORMED);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"RSA\",\"n\":\"\",\"e\":\"AQAB\"}"), ERR_MALFORMED);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"RSA\",\"n\":\"AA==\",\"e\":\"AQAB\"}"),
	    ERR_MALFORMED);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"RSA\",\"n\":\"A+AA\",\"e\":\"AQAB\"}"),
	    ERR_MALFORMED);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"RSA\",\"n\":\"\\u0041AAA\",\"e\":\"AQAB\"}"),
	    ERR_MALFORMED);
	EXPECT_RC(jwk_from_text(&k, "{\"n\":\"AAAA\",\"e\":\"AQAB\"}"), ERR_MALFORMED);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":1}"), ERR_MALFORMED);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"oct\",\"k\":\"AAAA\"}"), ERR_BADKEY);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"oct\"}"), ERR_BADKEY);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}"),
	    ERR_BADKEY);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"rsa\"}"), ERR_BADKEY);
	EXPECT_RC(jwk_from_text(&k, "[{\"kty\":\"RSA\"}]"), ERR_MALFORMED);
	EXPECT_RC(jwk_from_text(&k, "\"RSA\""), ERR_MALFORMED);
}

static int
ec_jwk(const char *crv, const unsigned char *x, size_t xl, const unsigned char *y,
    size_t yl)
{
	char x64[200], y64[200], js[600];
	struct jwk k;

	b64u(x64, sizeof x64, x, xl);
	b64u(y64, sizeof y64, y, yl);
	FMT(js, sizeof js, "{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}",
	    crv, x64, y64);
	return jwk_from_text(&k, js);
}

static void
test_jwk_ec_rules(void **state)
{
	unsigned char q[200], x[80], y[80], zero[80] = { 0 };
	const struct tkey *keys[] = { &key_p256, &key_p384, &key_p521 };
	static const char *const names[] = { "P-256", "P-384", "P-521" };
	struct jwk k;

	(void)state;
	for (int i = 0; i < 3; i++) {
		size_t f = (keys[i]->epk.qlen - 1) / 2;
		memcpy(q, keys[i]->epk.q, keys[i]->epk.qlen);
		memcpy(x, q + 1, f);
		memcpy(y, q + 1 + f, f);
		EXPECT_RC(ec_jwk(names[i], x, f, y, f), 0);
		/* point moved off the curve */
		y[f - 1] ^= 1;
		EXPECT_RC(ec_jwk(names[i], x, f, y, f), ERR_BADKEY);
		y[f - 1] ^= 1;
		/* the origin */
		EXPECT_RC(ec_jwk(names[i], zero, f, zero, f), ERR_BADKEY);
		/* coordinates must be exactly the field size */
		EXPECT_RC(ec_jwk(names[i], x + 1, f - 1, y, f), ERR_BADKEY);
		memmove(x + 1, x, f);
		x[0] = 0;
		EXPECT_RC(ec_jwk(names[i], x, f + 1, y, f), ERR_BADKEY);
		memmove(x, x + 1, f);
		/* coordinates of this curve under another curve's name */
		EXPECT_RC(ec_jwk(names[(i + 1) % 3], x, f, y, f), ERR_BADKEY);
	}
	EXPECT_RC(ec_jwk("P-192", x, 24, y, 24), ERR_BADKEY);
	EXPECT_RC(ec_jwk("secp256k1", x, 32, y, 32), ERR_BADKEY);
	EXPECT_RC(ec_jwk("p-256", x, 32, y, 32), ERR_BADKEY);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"EC\",\"x\":\"AAAA\",\"y\":\"AAAA\"}"),
	    ERR_MALFORMED);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\"}"),
	    ERR_MALFORMED);
	EXPECT_RC(jwk_from_text(&k, "{\"kty\":\"EC\",\"crv\":256,\"x\":\"AAAA\",\"y\":\"AAAA\"}"),
	    ERR_MALFORMED);
	{
		char js[600];
		tkey_jwk_json(&key_p256, js, sizeof js);
		js[strlen(js) - 1] = '\0';
		strcat(js, ",\"d\":\"AAAA\"}");
		EXPECT_RC(jwk_from_text(&k, js), ERR_BADKEY);
	}
}

static void
test_jwk_equal(void **state)
{
	struct jwk a = tkey_jwk(&key_p256), b = tkey_jwk(&key_p256b);
	struct jwk r = tkey_jwk(&key_rsa), a2 = tkey_jwk(&key_p256);
	struct jwk zero;
	unsigned char t1[32], t2[32];

	(void)state;
	assert_true(jwk_equal(&a, &a2));
	assert_false(jwk_equal(&a, &b));
	assert_false(jwk_equal(&a, &r));
	assert_true(jwk_equal(&r, &r));
	EXPECT_RC(jwk_thumbprint(&a, t1), 0);
	EXPECT_RC(jwk_thumbprint(&b, t2), 0);
	assert_true(memcmp(t1, t2, 32) != 0);
	memset(&zero, 0, sizeof zero);
	assert_false(jwk_equal(&zero, &zero));
	EXPECT_RC(jwk_thumbprint(&zero, t1), ERR_MALFORMED);
}

/* ---- External Account Binding ------------------------------------------- */

static const unsigned char eab_key[32] = "0123456789abcdef0123456789abcdef";

/* Outer newAccount body holding an EAB built from eab_prot/eab_payload. */
static size_t
make_newaccount(const char *eab_prot, const char *eab_payload, int eab_alg,
    const unsigned char *mac, size_t maclen)
{
	static char eab[8192], payload[9000];
	char prot[2048];

	make_jws(eab, sizeof eab, eab_prot, eab_payload, &key_p256, eab_alg, mac, maclen);
	FMT(payload, sizeof payload, "{\"termsOfServiceAgreed\":true,"
	    "\"contact\":[\"mailto:a@example.org\"],\"externalAccountBinding\":%s}", eab);
	prot_jwk(prot, sizeof prot, JWS_ES256, &key_p256);
	return make_jws(body, sizeof body, prot, payload, &key_p256, JWS_ES256, NULL, 0);
}

/* Run the server-side flow; returns the first failing code. */
static int
eab_flow(struct jws *eab, const unsigned char *mac, size_t maclen, size_t n)
{
	static struct json_tok ptok[NTOK], etok[NTOK];
	static unsigned char ebuf[8192];
	struct json_doc pd;
	struct jws j;
	int rc, t;

	rc = parse(&j, n, 0);
	if (rc < 0)
		return rc;
	rc = jws_verify(&j, &j.jwk);
	if (rc < 0)
		return rc;
	rc = json_parse(&pd, (const char *)j.payload, j.payload_len, ptok, NTOK);
	if (rc < 0)
		return rc;
	t = json_obj_get(&pd, 0, "externalAccountBinding");
	if (t < 0)
		return t;
	rc = jws_eab_parse(eab, &pd, t, j.url, &j.jwk, etok, NTOK, ebuf, sizeof ebuf);
	if (rc < 0)
		return rc;
	return jws_verify_hmac(eab, mac, maclen);
}

static void
test_eab(void **state)
{
	char acct[1024], other[1024], prot[2048];
	unsigned char wrong[32];
	struct jws eab;
	size_t n;
	int rc;

	(void)state;
	tkey_jwk_json(&key_p256, acct, sizeof acct);
	tkey_jwk_json(&key_p256b, other, sizeof other);

	/* happy path */
	n = make_newaccount("{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"url\":\"" URL "\"}",
	    acct, JWS_HS256, eab_key, sizeof eab_key);
	rc = eab_flow(&eab, eab_key, sizeof eab_key, n);
	if (rc != 0)
		fail_msg("EAB happy path: %d (%s: %s)", rc, err_str(rc),
		    eab.detail ? eab.detail : "-");
	assert_string_equal(eab.kid, "kid-1");
	assert_int_equal(eab.alg, JWS_HS256);

	/* wrong MAC key */
	memcpy(wrong, eab_key, sizeof wrong);
	wrong[31] ^= 1;
	EXPECT_RC(eab_flow(&eab, wrong, sizeof wrong, n), ERR_BADSIG);

	/* MAC made with another key */
	n = make_newaccount("{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"url\":\"" URL "\"}",
	    acct, JWS_HS256, wrong, sizeof wrong);
	EXPECT_RC(eab_flow(&eab, eab_key, sizeof eab_key, n), ERR_BADSIG);

	/* url differs from the outer JWS */
	n = make_newaccount("{\"alg\":\"HS256\",\"kid\":\"kid-1\","
	    "\"url\":\"https://acme.test/acme/new-order\"}", acct, JWS_HS256,
	    eab_key, sizeof eab_key);
	EXPECT_RC(eab_flow(&eab, eab_key, sizeof eab_key, n), ERR_MALFORMED);

	/* payload key is not the account key */
	n = make_newaccount("{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"url\":\"" URL "\"}",
	    other, JWS_HS256, eab_key, sizeof eab_key);
	EXPECT_RC(eab_flow(&eab, eab_key, sizeof eab_key, n), ERR_MALFORMED);
	n = make_newaccount("{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"url\":\"" URL "\"}",
	    "{\"not\":\"a key\"}", JWS_HS256, eab_key, sizeof eab_key);
	EXPECT_RC(eab_flow(&eab, eab_key, sizeof eab_key, n), ERR_MALFORMED);
	n = make_newaccount("{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"url\":\"" URL "\"}",
	    NULL, JWS_HS256, eab_key, sizeof eab_key);
	EXPECT_RC(eab_flow(&eab, eab_key, sizeof eab_key, n), ERR_MALFORMED);

	/* header rules of RFC 8555 §7.3.4 */
	n = make_newaccount("{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"nonce\":\"abc\","
	    "\"url\":\"" URL "\"}", acct, JWS_HS256, eab_key, sizeof eab_key);
	EXPECT_RC(eab_flow(&eab, eab_key, sizeof eab_key, n), ERR_MALFORMED);
	FMT(prot, sizeof prot, "{\"alg\":\"HS256\",\"jwk\":%s,\"kid\":\"kid-1\","
	    "\"url\":\"" URL "\"}", acct);
	n = make_newaccount(prot, acct, JWS_HS256, eab_key, sizeof eab_key);
	EXPECT_RC(eab_flow(&eab, eab_key, sizeof eab_key, n), ERR_MALFORMED);
	n = make_newaccount("{\"alg\":\"HS256\",\"url\":\"" URL "\"}", acct, JWS_HS256,
	    eab_key, sizeof eab_key);
	EXPECT_RC(eab_flow(&eab, eab_key, sizeof eab_key, n), ERR_MALFORMED);
	n = make_newaccount("{\"alg\":\"ES256\",\"kid\":\"kid-1\",\"url\":\"" URL "\"}",
	    acct, JWS_ES256, NULL, 0);
	EXPECT_RC(eab_flow(&eab, eab_key, sizeof eab_key, n), ERR_UNSUPPORTED);
	n = make_newaccount("{\"alg\":\"none\",\"kid\":\"kid-1\",\"url\":\"" URL "\"}",
	    acct, JWS_HS256, eab_key, sizeof eab_key);
	EXPECT_RC(eab_flow(&eab, eab_key, sizeof eab_key, n), ERR_UNSUPPORTED);

	/* an EAB that is not a JWS object */
	{
		struct json_tok t1[NTOK], t2[NTOK];
		struct json_doc d;
		static const char js[] = "{\"externalAccountBinding\":\"x\"}";
		EXPECT_RC(json_parse(&d, js, sizeof js - 1, t1, NTOK), 0);
		struct jwk acctk = tkey_jwk(&key_p256);
		EXPECT_RC(jws_eab_parse(&eab, &d, json_obj_get(&d, 0,
		    "externalAccountBinding"), URL, &acctk, t2, NTOK, pbuf, sizeof pbuf),
		    ERR_MALFORMED);
	}

	/* jws_parse in EAB mode on a bare EAB body */
	n = make_jws(body, sizeof body, "{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"url\":\"u\"}",
	    acct, NULL, JWS_HS256, eab_key, sizeof eab_key);
	EXPECT_RC(parse(&eab, n, JWS_EAB), 0);
	EXPECT_RC(jws_verify_hmac(&eab, eab_key, sizeof eab_key), 0);
	EXPECT_RC(parse(&eab, n, 0), ERR_UNSUPPORTED);
}

static void
test_alg_names(void **state)
{
	(void)state;
	assert_string_equal(jws_alg_name(JWS_RS256), "RS256");
	assert_string_equal(jws_alg_name(JWS_ES256), "ES256");
	assert_string_equal(jws_alg_name(JWS_ES384), "ES384");
	assert_string_equal(jws_alg_name(JWS_ES512), "ES512");
	assert_string_equal(jws_alg_name(JWS_HS256), "HS256");
	assert_null(jws_alg_name(0));
	assert_null(jws_alg_name(JWS__MAX));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7638_thumbprint),
		cmocka_unit_test(test_rfc7515_a2_rs256),
		cmocka_unit_test(test_rfc7515_a3_es256),
		cmocka_unit_test(test_rfc7515_flattened_needs_acme_members),
		cmocka_unit_test(test_rfc7515_a1_hmac),
		cmocka_unit_test(test_generated_rsa2048),
		cmocka_unit_test(test_generated_ec),
		cmocka_unit_test(test_alg_key_mismatch),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_body_rules),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_jwk_rsa_rules),
		cmocka_unit_test(test_jwk_ec_rules),
		cmocka_unit_test(test_jwk_equal),
		cmocka_unit_test(test_eab),
		cmocka_unit_test(test_alg_names),
	};

	return cmocka_run_group_tests(tests, setup_keys, NULL);
}
