#include <string.h>

#include <bearssl.h>

#include "jose/jwk.h"
#include "util/b64.h"
#include "util/err.h"

struct jwk_curve {
	int crv;
	const char *name;
	size_t flen;    /* coordinate length in bytes */
};

static const struct jwk_curve jwk_curves[] = {
	{ JWK_P256, "P-256", 32 },
	{ JWK_P384, "P-384", 48 },
	{ JWK_P521, "P-521", 66 },
};

static const struct jwk_curve *
jwk_curve_find(int crv)
{
	for (size_t i = 0; i < sizeof jwk_curves / sizeof jwk_curves[0]; i++)
		if (jwk_curves[i].crv == crv)
			return &jwk_curves[i];
	return NULL;
}

/* Members that only a private (or symmetric) key carries. */
static const char *const jwk_private_members[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth", "k",
};

/*
 * Decode base64url member value t into out (exactly or at most outsz bytes).
 * An escaped string is refused: base64url never needs escapes, and decoding
 * the raw text keeps one spelling per value. ERR_TOOBIG means "too long".
 */
static int
jwk_b64(const struct json_doc *d, int t, unsigned char *out, size_t outsz,
    size_t *outlen)
{
	const char *p;
	size_t n;
	int esc, rc;

	if (json_type(d, t) != JSON_STRING)
		return ERR_MALFORMED;
	rc = json_raw(d, t, &p, &n, &esc);
	if (rc < 0)
		return rc;
	if (esc || n == 0)
		return ERR_MALFORMED;
	return b64url_decode(out, outsz, p, n, outlen);
}

static int
jwk_parse_rsa(struct jwk *k, const struct json_doc *d, int tn, int te)
{
	unsigned bits;
	int rc;

	if (tn < 0 || te < 0)
		return ERR_MALFORMED;
	rc = jwk_b64(d, tn, k->rsa.n, sizeof k->rsa.n, &k->rsa.nlen);
	if (rc == ERR_TOOBIG)
		return ERR_BADKEY;
	if (rc < 0)
		return rc;
	rc = jwk_b64(d, te, k->rsa.e, sizeof k->rsa.e, &k->rsa.elen);
	if (rc == ERR_TOOBIG)
		return ERR_BADKEY;
	if (rc < 0)
		return rc;
	if (k->rsa.n[0] == 0 || !(k->rsa.n[k->rsa.nlen - 1] & 1))
		return ERR_BADKEY;
	bits = (unsigned)(k->rsa.nlen - 1) * 8;
	for (unsigned c = k->rsa.n[0]; c; c >>= 1)
		bits++;
	if (bits < JWK_RSA_MIN_BITS || bits > JWK_RSA_MAX_BYTES * 8)
		return ERR_BADKEY;
	if (k->rsa.e[0] == 0 || !(k->rsa.e[k->rsa.elen - 1] & 1) ||
	    (k->rsa.elen == 1 && k->rsa.e[0] < 3))
		return ERR_BADKEY;
	return 0;
}

static int
jwk_parse_ec(struct jwk *k, const struct json_doc *d, int tc, int tx, int ty)
{
	static const unsigned char one = 1;
	const struct jwk_curve *c = NULL;
	const br_ec_impl *ec = br_ec_get_default();
	unsigned char tmp[JWK_EC_MAX_POINT];
	size_t n;
	int rc;

	if (tc < 0 || tx < 0 || ty < 0 || json_type(d, tc) != JSON_STRING)
		return ERR_MALFORMED;
	for (size_t i = 0; i < sizeof jwk_curves / sizeof jwk_curves[0]; i++)
		if (json_str_eq(d, tc, jwk_curves[i].name))
			c = &jwk_curves[i];
	if (c == NULL || !(ec->supported_curves >> c->crv & 1))
		return ERR_BADKEY;
	k->ec.crv = c->crv;
	k->ec.q[0] = 0x04;
	/* One spare byte in each decode so an over-long value is seen as such. */
	rc = jwk_b64(d, tx, k->ec.q + 1, c->flen + 1, &n);
	if (rc == ERR_TOOBIG || (rc == 0 && n != c->flen))
		return ERR_BADKEY;
	if (rc < 0)
		return rc;
	rc = jwk_b64(d, ty, tmp, c->flen + 1, &n);
	if (rc == ERR_TOOBIG || (rc == 0 && n != c->flen))
		return ERR_BADKEY;
	if (rc < 0)
		return rc;
	memcpy(k->ec.q + 1 + c->flen, tmp, c->flen);
	k->ec.qlen = 1 + 2 * c->flen;
	/* mul() decodes the point and fails unless it lies on the curve. */
	memcpy(tmp, k->ec.q, k->ec.qlen);
	if (ec->mul(tmp, k->ec.qlen, &one, 1, c->crv) != 1)
		return ERR_BADKEY;
	return 0;
}

int
jwk_parse(struct jwk *k, const struct json_doc *d, int obj)
{
	int tkty = -1, tn = -1, te = -1, tc = -1, tx = -1, ty = -1, rc;
	int priv = 0, nmem;

	memset(k, 0, sizeof *k);
	if (json_type(d, obj) != JSON_OBJECT)
		return ERR_MALFORMED;
	nmem = d->tok[obj].size;
	/* One pass; json_parse already refused duplicate names. */
	for (int i = 0, key = obj + 1; i < nmem; i++, key = json_next(d, key + 1)) {
		if (json_str_eq(d, key, "kty"))
			tkty = key + 1;
		else if (json_str_eq(d, key, "n"))
			tn = key + 1;
		else if (json_str_eq(d, key, "e"))
			te = key + 1;
		else if (json_str_eq(d, key, "crv"))
			tc = key + 1;
		else if (json_str_eq(d, key, "x"))
			tx = key + 1;
		else if (json_str_eq(d, key, "y"))
			ty = key + 1;
		else
			for (size_t j = 0; j < sizeof jwk_private_members /
			    sizeof jwk_private_members[0]; j++)
				if (json_str_eq(d, key, jwk_private_members[j]))
					priv = 1;
	}
	if (tkty < 0 || json_type(d, tkty) != JSON_STRING) {
		rc = ERR_MALFORMED;
		goto out;
	}
	if (priv) {
		rc = ERR_BADKEY;
		goto out;
	}
	if (json_str_eq(d, tkty, "RSA")) {
		k->kty = JWK_RSA;
		rc = jwk_parse_rsa(k, d, tn, te);
	} else if (json_str_eq(d, tkty, "EC")) {
		k->kty = JWK_EC;
		rc = jwk_parse_ec(k, d, tc, tx, ty);
	} else {
		rc = ERR_BADKEY;
	}
out:
	if (rc < 0)
		memset(k, 0, sizeof *k);
	return rc;
}

int
jwk_write(const struct jwk *k, struct json_w *w)
{
	const struct jwk_curve *c;

	switch (k->kty) {
	case JWK_RSA:
		if (k->rsa.nlen == 0 || k->rsa.nlen > sizeof k->rsa.n ||
		    k->rsa.elen == 0 || k->rsa.elen > sizeof k->rsa.e)
			return ERR_MALFORMED;
		json_w_obj_begin(w);
		json_w_key(w, "e");
		json_w_b64url(w, k->rsa.e, k->rsa.elen);
		json_w_key(w, "kty");
		json_w_str(w, "RSA");
		json_w_key(w, "n");
		json_w_b64url(w, k->rsa.n, k->rsa.nlen);
		json_w_obj_end(w);
		return 0;
	case JWK_EC:
		c = jwk_curve_find(k->ec.crv);
		if (c == NULL || k->ec.qlen != 1 + 2 * c->flen)
			return ERR_MALFORMED;
		json_w_obj_begin(w);
		json_w_key(w, "crv");
		json_w_str(w, c->name);
		json_w_key(w, "kty");
		json_w_str(w, "EC");
		json_w_key(w, "x");
		json_w_b64url(w, k->ec.q + 1, c->flen);
		json_w_key(w, "y");
		json_w_b64url(w, k->ec.q + 1 + c->flen, c->flen);
		json_w_obj_end(w);
		return 0;
	default:
		return ERR_MALFORMED;
	}
}

int
jwk_thumbprint(const struct jwk *k, unsigned char out[JWK_THUMB_LEN])
{
	char buf[JWK_JSON_MAX];
	struct json_w w;
	br_sha256_context h;
	int rc;

	json_w_init(&w, buf, sizeof buf);
	rc = jwk_write(k, &w);
	if (rc < 0)
		return rc;
	rc = json_w_finish(&w);
	if (rc < 0)
		return ERR_MALFORMED;
	br_sha256_init(&h);
	br_sha256_update(&h, buf, (size_t)rc);
	br_sha256_out(&h, out);
	return 0;
}

int
jwk_thumbprint_b64(const struct jwk *k, char out[JWK_THUMB_B64_LEN + 1])
{
	unsigned char t[JWK_THUMB_LEN];
	int rc = jwk_thumbprint(k, t);

	if (rc < 0)
		return rc;
	rc = b64url_encode(out, JWK_THUMB_B64_LEN + 1, t, sizeof t);
	return rc < 0 ? rc : 0;
}

int
jwk_equal(const struct jwk *a, const struct jwk *b)
{
	if (a->kty != b->kty)
		return 0;
	switch (a->kty) {
	case JWK_RSA:
		return a->rsa.nlen == b->rsa.nlen && a->rsa.elen == b->rsa.elen &&
		    a->rsa.nlen <= sizeof a->rsa.n && a->rsa.elen <= sizeof a->rsa.e &&
		    memcmp(a->rsa.n, b->rsa.n, a->rsa.nlen) == 0 &&
		    memcmp(a->rsa.e, b->rsa.e, a->rsa.elen) == 0;
	case JWK_EC:
		return a->ec.crv == b->ec.crv && a->ec.qlen == b->ec.qlen &&
		    a->ec.qlen <= sizeof a->ec.q &&
		    memcmp(a->ec.q, b->ec.q, a->ec.qlen) == 0;
	default:
		return 0;
	}
}
