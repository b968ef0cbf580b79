/*
 * The common path of every ACME POST (RFC 8555 §6.2-6.5): Content-Type, JWS
 * parse, url, account, signature, nonce, payload. Each refusal is answered
 * here with the problem type the RFC names, and nothing is stored.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acme/acme_int.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"

struct store *
acme_store(const struct acme *a)
{
	return a->app->store;
}

void
acme_store_failed(struct http_req *req, int rc, const char *what)
{
	if (rc == ERR_FULL)
		acme_problem(req, ERR_FULL, "the gateway's storage is full: new work waits until "
		    "expired objects are swept");
	else
		acme_problem(req, ACME_E_INTERNAL, what);
}

int
acme_room(struct acme *a, struct http_req *req)
{
	int rc = store_room(acme_store(a));

	if (rc != 0)
		acme_store_failed(req, rc, "cannot read the store's size");
	return rc;
}

int
acme_url(const struct acme *a, char *out, size_t outsz, const char *kind, uint64_t id)
{
	int n = snprintf(out, outsz, "%s/acme/%s/%" PRIu64, a->base_url, kind, id);

	return n < 0 || (size_t)n >= outsz ? ERR_TOOBIG : 0;
}

int
acme_path_id(const char *path, const char *kind, uint64_t *id, const char **rest)
{
	size_t kl = strlen(kind);
	uint64_t v = 0;
	const char *p;

	if (strncmp(path, STR_LIT("/acme/")) != 0 || strncmp(path + 6, kind, kl) != 0 ||
	    path[6 + kl] != '/')
		return ERR_NOTFOUND;
	p = path + 7 + kl;
	if (*p < '1' || *p > '9')
		return ERR_NOTFOUND;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return ERR_NOTFOUND;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p != '\0' && *p != '/')
		return ERR_NOTFOUND;
	if (rest != NULL)
		*rest = p;
	else if (*p != '\0')
		return ERR_NOTFOUND;
	*id = v;
	return 0;
}

void
acme_reply_json(struct http_req *req, int status, const char *location, const char *json,
    size_t len)
{
	if (location != NULL)
		http_resp_header(req, "Location", location);
	http_reply(req, status, "application/json", json, len);
}

struct acct_lookup {
	uint64_t id;
	struct rec_account *out;
};

static int
acct_get_fn(struct store_txn *t, void *arg)
{
	struct acct_lookup *l = arg;

	return store_account_get(t, l->id, l->out);
}

static int
content_type_ok(const char *ct)
{
	size_t n = strlen("application/jose+json");

	if (ct == NULL || strncasecmp(ct, "application/jose+json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static void
bad_alg(struct http_req *req, const char *detail)
{
	const struct acme_problem_row *r = acme_problem_row(ACME_E_BAD_ALG);
	char body[512];
	char urn[128];
	struct json_w w;
	int n;

	snprintf(urn, sizeof(urn), ACME_ERR_PREFIX "%s", r->type);
	json_w_init(&w, body, sizeof(body));
	json_w_obj_begin(&w);
	json_w_key(&w, "type");
	json_w_str(&w, urn);
	json_w_key(&w, "detail");
	json_w_str(&w, detail);
	json_w_key(&w, "status");
	json_w_int(&w, r->status);
	json_w_key(&w, "algorithms");
	json_w_arr_begin(&w);
	json_w_str(&w, "RS256");
	json_w_str(&w, "ES256");
	json_w_str(&w, "ES384");
	json_w_str(&w, "ES512");
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	n = json_w_finish(&w);
	log_info("acme: %s: %s -> %d %s: %s", req->peer, req->path, r->status, r->type, detail);
	http_reply(req, r->status, "application/problem+json", body, n > 0 ? (size_t)n : 0);
}

int
acme_post_verify(struct acme *a, struct http_req *req, enum acme_signer signer,
    struct acme_post *p)
{
	unsigned char *buf;
	const struct jwk *key;
	int rc;

	memset(&p->jws, 0, sizeof(p->jws));
	p->has_acct = 0;
	p->post_as_get = 0;
	if (!content_type_ok(http_req_header(req, "content-type"))) {
		acme_problem(req, ACME_E_MEDIA, "Content-Type must be application/jose+json");
		return ERR_MALFORMED;
	}
	buf = arena_alloc(&req->arena, req->body_len + 1);
	if (buf == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return ERR_NOMEM;
	}
	rc = jws_parse(&p->jws, (const char *)req->body, req->body_len, 0, p->tok,
	    ACME_MAX_TOKENS, buf, req->body_len + 1);
	if (rc == ERR_UNSUPPORTED) {
		bad_alg(req, p->jws.detail ? p->jws.detail : "unsupported signature algorithm");
		return rc;
	}
	if (rc == ERR_BADKEY) {
		acme_problem(req, ACME_E_BAD_KEY, p->jws.detail ? p->jws.detail :
		    "the public key is not acceptable");
		return rc;
	}
	if (rc != 0) {
		acme_problem(req, ACME_E_MALFORMED, p->jws.detail ? p->jws.detail :
		    "the request is not a valid flattened JWS");
		return rc;
	}
	if ((size_t)snprintf(p->url, sizeof(p->url), "%s%s", a->base_url, req->target) >=
	    sizeof(p->url) || strcmp(p->jws.url, p->url) != 0) {
		acme_problemf(req, ACME_E_UNAUTHORIZED,
		    "the JWS \"url\" does not match the request URL %s", p->url);
		return ERR_DENIED;
	}
	if (p->jws.has_kid && signer == ACME_SIGNER_JWK) {
		acme_problem(req, ACME_E_MALFORMED, "this request must be signed with \"jwk\", not \"kid\"");
		return ERR_MALFORMED;
	}
	if (p->jws.has_jwk && signer == ACME_SIGNER_KID) {
		acme_problem(req, ACME_E_MALFORMED, "this request must be signed with \"kid\", not \"jwk\"");
		return ERR_MALFORMED;
	}
	if (p->jws.has_kid) {
		struct acct_lookup l;
		size_t pl = a->base_len + strlen("/acme/acct/");

		if (strncmp(p->jws.kid, a->base_url, a->base_len) != 0 ||
		    acme_path_id(p->jws.kid + a->base_len, "acct", &l.id, NULL) != 0 ||
		    strlen(p->jws.kid) <= pl) {
			acme_problem(req, ACME_E_NO_ACCOUNT,
			    "\"kid\" is not an account URL of this server");
			return ERR_NOTFOUND;
		}
		l.out = &p->acct;
		rc = store_read(acme_store(a), acct_get_fn, &l);
		if (rc == ERR_NOTFOUND) {
			acme_problem(req, ACME_E_NO_ACCOUNT, "no account has this \"kid\"");
			return rc;
		}
		if (rc != 0) {
			acme_problem(req, ACME_E_INTERNAL, "cannot read the account");
			return rc;
		}
		{
			struct json_tok kt[32];
			struct json_doc kd;

			if (json_parse(&kd, p->acct.jwk, strlen(p->acct.jwk), kt, 32) != 0 ||
			    jwk_parse(&p->key, &kd, 0) != 0) {
				log_err("acme: account %" PRIu64 ": stored key does not parse", l.id);
				acme_problem(req, ACME_E_INTERNAL, "stored account key is damaged");
				return ERR_STORE;
			}
		}
		p->has_acct = 1;
		key = &p->key;
	} else {
		p->key = p->jws.jwk;
		key = &p->key;
	}
	rc = jws_verify(&p->jws, key);
	if (rc == ERR_UNSUPPORTED) {
		bad_alg(req, "the algorithm does not fit the key");
		return rc;
	}
	if (rc != 0) {
		acme_problem(req, ACME_E_MALFORMED, "JWS signature does not verify");
		return rc;
	}
	if (!p->jws.has_nonce) {
		acme_problem(req, ACME_E_BAD_NONCE, "the JWS has no \"nonce\"");
		return ERR_MALFORMED;
	}
	if (acme_nonce_consume(a->nonces, p->jws.nonce) != 0) {
		acme_problem(req, ACME_E_BAD_NONCE, "the nonce is unknown, used or expired: get a new one");
		return ERR_DENIED;
	}
	if (p->has_acct && p->acct.status != REC_ACCOUNT_VALID) {
		acme_problemf(req, ACME_E_UNAUTHORIZED, "the account is %s",
		    rec_account_status_str(p->acct.status));
		return ERR_DENIED;
	}
	p->post_as_get = p->jws.post_as_get;
	if (!p->post_as_get) {
		rc = json_parse(&p->doc, (const char *)p->jws.payload, p->jws.payload_len, p->tok,
		    ACME_MAX_TOKENS);
		if (rc != 0 || json_type(&p->doc, 0) != JSON_OBJECT) {
			acme_problem(req, ACME_E_MALFORMED, rc == ERR_TOOBIG ?
			    "the payload has too many JSON tokens" : "the payload is not a JSON object");
			return ERR_MALFORMED;
		}
	}
	return 0;
}
