/*
 * Fuzz JWS parsing and JWK handling. The input is tried as a request body
 * (account and EAB modes), as a bare JWK, and as an EAB object. Whatever is
 * accepted must behave: a parsed key writes canonically, parses back to an
 * equal key with the same thumbprint, and verification returns only its
 * documented codes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jose/jwk.h"
#include "jose/jws.h"
#include "json/json.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXIN 65536
#define MAXTOK 256

static struct json_tok tok[MAXTOK], tok2[MAXTOK];
static unsigned char buf[MAXIN];
static struct jws j;

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* RFC 7515 A.3 public key: a fixed account key for the EAB path. */
static const char acct_json[] =
    "{\"kty\":\"EC\",\"crv\":\"P-256\","
    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";

static int
is_parse_code(int rc)
{
	return rc == 0 || rc == ERR_MALFORMED || rc == ERR_UNSUPPORTED ||
	    rc == ERR_BADKEY || rc == ERR_TOOBIG;
}

static void
check_key(const struct jwk *k)
{
	char js[JWK_JSON_MAX];
	unsigned char t1[JWK_THUMB_LEN], t2[JWK_THUMB_LEN];
	char tb[JWK_THUMB_B64_LEN + 1];
	struct json_doc d;
	struct json_w w;
	struct jwk k2;
	int n;

	json_w_init(&w, js, sizeof js);
	CHECK(jwk_write(k, &w) == 0);
	n = json_w_finish(&w);
	CHECK(n > 0);
	CHECK(json_parse(&d, js, (size_t)n, tok2, MAXTOK) == 0);
	CHECK(jwk_parse(&k2, &d, 0) == 0);
	CHECK(jwk_equal(k, &k2));
	CHECK(jwk_thumbprint(k, t1) == 0 && jwk_thumbprint(&k2, t2) == 0);
	CHECK(memcmp(t1, t2, sizeof t1) == 0);
	CHECK(jwk_thumbprint_b64(k, tb) == 0 && strlen(tb) == JWK_THUMB_B64_LEN);
}

static void
check_jws(const struct jws *p)
{
	int rc;

	CHECK(p->alg > 0 && p->alg < JWS__MAX);
	CHECK(strlen(p->url) > 0 && strlen(p->url) < sizeof p->url);
	CHECK(p->post_as_get == (p->payload_b64_len == 0));
	if (p->has_jwk) {
		check_key(&p->jwk);
		rc = jws_verify(p, &p->jwk);
		CHECK(rc == 0 || rc == ERR_BADSIG || rc == ERR_UNSUPPORTED);
	}
	rc = jws_verify_hmac(p, (const unsigned char *)"key", 3);
	CHECK(rc == 0 || rc == ERR_BADSIG || rc == ERR_UNSUPPORTED);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	static struct jwk acct;
	static int acct_ready;
	struct json_doc d;
	struct jwk k;
	int rc;

	if (size > MAXIN)
		return 0;
	if (!acct_ready) {
		CHECK(json_parse(&d, acct_json, sizeof acct_json - 1, tok, MAXTOK) == 0);
		CHECK(jwk_parse(&acct, &d, 0) == 0);
		acct_ready = 1;
	}

	rc = jws_parse(&j, in, size, 0, tok, MAXTOK, buf, sizeof buf);
	CHECK(is_parse_code(rc));
	CHECK(rc == 0 || j.detail != NULL);
	if (rc == 0) {
		CHECK(j.has_jwk != j.has_kid);
		check_jws(&j);
	}
	rc = jws_parse(&j, in, size, JWS_EAB, tok, MAXTOK, buf, sizeof buf);
	CHECK(is_parse_code(rc));
	if (rc == 0) {
		CHECK(j.has_kid && !j.has_jwk && !j.has_nonce && j.alg == JWS_HS256);
		check_jws(&j);
	}

	if (json_parse(&d, in, size, tok, MAXTOK) != 0)
		return 0;
	rc = jwk_parse(&k, &d, 0);
	CHECK(rc == 0 || rc == ERR_MALFORMED || rc == ERR_BADKEY);
	if (rc == 0)
		check_key(&k);
	/* The same document as an EAB object; tok2 is scratch. */
	rc = jws_eab_parse(&j, &d, 0, "u", &acct, tok2, MAXTOK, buf, sizeof buf);
	CHECK(is_parse_code(rc));
	if (rc == 0)
		check_jws(&j);
	return 0;
}
