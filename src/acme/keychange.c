/* Account key roll-over (RFC 8555 §7.3.5). */
#include <inttypes.h>
#include <string.h>

#include "acme/acme_int.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

struct kc {
	struct rec_account acct;
	uint64_t other;          /* account already holding the new key */
};

static int
kc_fn(struct store_txn *t, void *arg)
{
	struct kc *k = arg;
	struct rec_account other;
	int rc = store_account_find_by_key(t, k->acct.thumbprint, &other);

	if (rc == 0) {
		k->other = other.id;
		return ERR_EXISTS;
	}
	if (rc != ERR_NOTFOUND)
		return rc;
	return store_account_put(t, &k->acct);
}

void
acme_key_change(struct http_req *req, void *arg)
{
	struct acme *a = arg;
	struct acme_post *p = arena_zalloc(&req->arena, sizeof(*p));
	struct jws *in = arena_zalloc(&req->arena, sizeof(*in));
	struct json_tok *tok = arena_alloc(&req->arena, sizeof(*tok) * 64);
	unsigned char *buf = arena_alloc(&req->arena, req->body_len + 1);
	struct kc *k = arena_zalloc(&req->arena, sizeof(*k));
	struct json_doc d;
	struct jwk old;
	char acct_url[256];
	struct json_w w;
	int rc, t;

	if (p == NULL || in == NULL || tok == NULL || buf == NULL || k == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	if (acme_post_verify(a, req, ACME_SIGNER_KID, p) != 0)
		return;
	if (p->post_as_get) {
		acme_problem(req, ACME_E_MALFORMED, "keyChange needs an inner JWS as payload");
		return;
	}
	rc = jws_parse(in, (const char *)p->jws.payload, p->jws.payload_len, 0, tok, 64, buf,
	    req->body_len + 1);
	if (rc != 0 || !in->has_jwk) {
		acme_problemf(req, rc == ERR_BADKEY ? ACME_E_BAD_KEY : ACME_E_MALFORMED,
		    "inner JWS: %s", rc != 0 && in->detail ? in->detail : "must be signed with \"jwk\" (the new key)");
		return;
	}
	if (strcmp(in->url, p->jws.url) != 0) {
		acme_problem(req, ACME_E_MALFORMED, "inner JWS \"url\" differs from the outer one");
		return;
	}
	if (jws_verify(in, &in->jwk) != 0) {
		acme_problem(req, ACME_E_MALFORMED, "inner JWS signature does not verify with its \"jwk\"");
		return;
	}
	if (json_parse(&d, (const char *)in->payload, in->payload_len, tok, 64) != 0 ||
	    json_type(&d, 0) != JSON_OBJECT) {
		acme_problem(req, ACME_E_MALFORMED, "inner payload is not a JSON object");
		return;
	}
	acme_url(a, acct_url, sizeof(acct_url), "acct", p->acct.id);
	if ((t = json_obj_get(&d, 0, "account")) < 0 || !json_str_eq(&d, t, acct_url) ||
	    strcmp(p->jws.kid, acct_url) != 0) {
		acme_problem(req, ACME_E_MALFORMED, "inner payload \"account\" must be the signing account's URL");
		return;
	}
	if ((t = json_obj_get(&d, 0, "oldKey")) < 0 || jwk_parse(&old, &d, t) != 0 ||
	    !jwk_equal(&old, &p->key)) {
		acme_problem(req, ACME_E_MALFORMED, "inner payload \"oldKey\" is not the account's current key");
		return;
	}
	k->acct = p->acct;
	json_w_init(&w, k->acct.jwk, sizeof(k->acct.jwk));
	jwk_write(&in->jwk, &w);
	if (json_w_finish(&w) < 0 || jwk_thumbprint(&in->jwk, k->acct.thumbprint) != 0) {
		acme_problem(req, ACME_E_BAD_KEY, "the new key cannot be stored");
		return;
	}
	rc = store_write(acme_store(a), kc_fn, k);
	if (rc == ERR_EXISTS) {
		char loc[256];
		acme_url(a, loc, sizeof(loc), "acct", k->other);
		http_resp_header(req, "Location", loc);
		acme_problem(req, ACME_E_CONFLICT, "the new key is already in use by an account");
		return;
	}
	if (rc != 0) {
		acme_problem(req, ACME_E_INTERNAL, "cannot store the new key");
		return;
	}
	log_info("acme: %s: account %" PRIu64 " changed its key", req->peer, p->acct.id);
	acme_account_reply(a, req, 200, &k->acct);
}
