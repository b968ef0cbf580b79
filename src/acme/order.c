/*
 * Orders (RFC 8555 §7.4): newOrder, the order resource, and the order
 * status derived from its authorizations.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "acme/acme_int.h"
#include "acme/order_view.h"
#include "platform.h"
#include "store/store.h"
#include "util/config.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timefmt.h"

struct new_order {
	struct rec_order o;
	struct rec_authz az[REC_IDENT_N];
	int reused[REC_IDENT_N];
	int64_t now;
	uint64_t account_id;
	struct acme_pending_limit pend;
};

/*
 * Offer a challenge of type on az (when offered is nonzero), with a fresh
 * token. A wildcard is offered dns-01 only (RFC 8555 §7.1.3, §8).
 */
static int
chall_add(struct rec_authz *az, unsigned type, int offered)
{
	struct rec_chall *c;
	unsigned char raw[32];
	int rc;

	if (!offered)
		return 0;
	if (az->n_challs >= REC_CHALL_N)
		return ERR_TOOBIG;
	if ((rc = platform_random(raw, sizeof(raw))) != 0)
		return rc;
	c = &az->challs[az->n_challs++];
	c->type = (uint8_t)type;
	c->status = REC_CHALL_PENDING;
	b64url_encode(c->token, sizeof(c->token), raw, sizeof(raw));
	return 0;
}

static int
new_order_fn(struct store_txn *t, void *arg)
{
	struct new_order *n = arg;
	int rc;

	for (size_t i = 0; i < n->o.n_idents; i++) {
		struct rec_authz *az = &n->az[i];
		struct rec_ident id = n->o.idents[i];
		int wildcard = id.value[0] == '*';

		/* RFC 8555 §7.1.4: the authorization of "*.x" is for "x", with wildcard true. */
		if (wildcard)
			memmove(id.value, id.value + 2, strlen(id.value + 2) + 1);
		rc = store_authz_find(t, n->account_id, &id, wildcard, az);
		if (rc == 0 && az->status == REC_AUTHZ_VALID && az->expires > n->now + 3600) {
			n->reused[i] = 1;      /* RFC 8555 §7.1.4: reuse within its lifetime */
		} else if (rc == 0 || rc == ERR_NOTFOUND) {
			memset(az, 0, sizeof(*az));
			if ((rc = store_seq_next(t, STORE_SEQ_AUTHZ, &az->id)) != 0)
				return rc;
			az->account_id = n->account_id;
			az->ident = id;
			az->wildcard = (uint8_t)wildcard;
			az->status = REC_AUTHZ_PENDING;
			az->created = n->now;
			az->expires = n->now + 7 * 86400;
			/* The challenge list: one line per method, in the order clients see it. */
			if ((rc = chall_add(az, REC_CHALL_HTTP01, !az->wildcard)) != 0 ||
			    (rc = chall_add(az, REC_CHALL_TLSALPN01, !az->wildcard)) != 0 ||
			    (rc = chall_add(az, REC_CHALL_DNS01, 1)) != 0)
				return rc;
			if ((rc = store_authz_put(t, az)) != 0)
				return rc;
		} else {
			return rc;
		}
		n->o.authz_ids[i] = az->id;
	}
	if ((rc = acme_pending_check(t, n->account_id, &n->pend)) != 0)
		return rc;
	if ((rc = store_seq_next(t, STORE_SEQ_ORDER, &n->o.id)) != 0)
		return rc;
	acme_order_refresh(t, &n->o, n->now);
	return store_order_put(t, &n->o);
}

struct eab_fetch {
	const char *kid;
	struct rec_eab eab;
};

static int
eab_fetch_fn(struct store_txn *t, void *arg)
{
	struct eab_fetch *e = arg;

	return store_eab_get(t, e->kid, &e->eab);
}

/* A rejectedIdentifier problem with one subproblem per refused name. */
static void
reply_rejected(struct http_req *req, const char (*names)[REC_IDENT_MAX + 1], const char **why,
    size_t n, int code)
{
	const struct acme_problem_row *r = acme_problem_row(code);
	char *body = arena_alloc(&req->arena, 8192);
	char urn[128];
	struct json_w w;
	int len;

	if (body == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	snprintf(urn, sizeof(urn), ACME_ERR_PREFIX "%s", r->type);
	json_w_init(&w, body, 8192);
	json_w_obj_begin(&w);
	json_w_key(&w, "type");
	json_w_str(&w, urn);
	json_w_key(&w, "detail");
	json_w_str(&w, n == 1 ? why[0] : "some identifiers are refused: see subproblems");
	json_w_key(&w, "status");
	json_w_int(&w, r->status);
	json_w_key(&w, "subproblems");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		json_w_obj_begin(&w);
		json_w_key(&w, "type");
		json_w_str(&w, urn);
		json_w_key(&w, "detail");
		json_w_str(&w, why[i]);
		json_w_key(&w, "identifier");
		json_w_obj_begin(&w);
		json_w_key(&w, "type");
		json_w_str(&w, "dns");
		json_w_key(&w, "value");
		json_w_str(&w, names[i]);
		json_w_obj_end(&w);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	len = json_w_finish(&w);
	log_info("acme: %s: newOrder refused: %s (%zu identifiers)", req->peer, r->type, n);
	http_reply(req, r->status, "application/problem+json", body, len > 0 ? (size_t)len : 0);
}

void
acme_new_order(struct http_req *req, void *arg)
{
	struct acme *a = arg;
	struct acme_post *p = arena_zalloc(&req->arena, sizeof(*p));
	struct new_order *n = arena_zalloc(&req->arena, sizeof(*n));
	struct eab_fetch *ef = arena_zalloc(&req->arena, sizeof(*ef));
	char (*bad)[REC_IDENT_MAX + 1] = arena_alloc(&req->arena, sizeof(*bad) * REC_IDENT_N);
	const char *why[REC_IDENT_N];
	size_t nbad = 0;
	char *body, loc[256];
	int arr, cnt, len, wrc;

	if (p == NULL || n == NULL || ef == NULL || bad == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	if (acme_post_verify(a, req, ACME_SIGNER_KID, p) != 0)
		return;
	if (p->post_as_get) {
		acme_problem(req, ACME_E_MALFORMED, "newOrder needs a payload");
		return;
	}
	if (json_obj_get(&p->doc, 0, "notBefore") >= 0 || json_obj_get(&p->doc, 0, "notAfter") >= 0) {
		acme_problem(req, ACME_E_MALFORMED,
		    "notBefore/notAfter are not supported: UPKI sets the validity period");
		return;
	}
	arr = json_obj_get(&p->doc, 0, "identifiers");
	cnt = json_arr_len(&p->doc, arr);
	if (cnt <= 0) {
		acme_problem(req, ACME_E_MALFORMED, "\"identifiers\" must be a non-empty array");
		return;
	}
	if (cnt > REC_IDENT_N) {
		acme_problemf(req, ACME_E_IDENT_REJECTED, "at most %d identifiers per order", REC_IDENT_N);
		return;
	}
	if (p->acct.eab_kid[0] != '\0') {
		ef->kid = p->acct.eab_kid;
		if (store_read(acme_store(a), eab_fetch_fn, ef) != 0) {
			acme_problem(req, ACME_E_INTERNAL, "cannot read the account's EAB key");
			return;
		}
		if (ef->eab.flags & REC_EAB_F_DISABLED) {
			log_info("acme: %s: account %" PRIu64 ": new order refused: EAB key %s is "
			    "disabled", req->peer, p->acct.id, ef->kid);
			acme_problem(req, ACME_E_FORBIDDEN, "the External Account Binding key this "
			    "account was made with is disabled: ask the operator");
			return;
		}
	}
	for (int i = 0, t = arr + 1; i < cnt; i++, t = json_next(&p->doc, t)) {
		char type[16], value[REC_IDENT_MAX + 2];
		const char *w = NULL;
		int rc;

		if (json_type(&p->doc, t) != JSON_OBJECT ||
		    json_obj_get_str(&p->doc, t, "type", type, sizeof(type)) != 0 ||
		    json_obj_get_str(&p->doc, t, "value", value, sizeof(value)) != 0) {
			acme_problem(req, ACME_E_MALFORMED,
			    "each identifier is an object with string members \"type\" and \"value\"");
			return;
		}
		if (strcmp(type, "dns") != 0) {
			acme_problemf(req, ACME_E_IDENT_UNSUPPORTED,
			    "identifier type \"%s\" is not supported: only \"dns\"", strcmp(type, "ip") == 0 ? "ip" : "other");
			return;
		}
		rc = acme_ident_normalize(value, &w);
		if (rc == ERR_UNSUPPORTED) {
			acme_problem(req, ACME_E_IDENT_UNSUPPORTED, w);
			return;
		}
		if (rc == 0 && value[0] == '*' && !a->app->cfg->upki_wildcards)
			w = "wildcard names are refused here: UPKI's TSV service is not known to issue "
			    "wildcard certificates (the operator's setting upki_wildcards is off); "
			    "order the host names instead";
		else if (rc == 0 && ef->kid != NULL && !acme_ident_allowed(&ef->eab, value))
			w = "this name is not in the list of names your External Account Binding key may request";
		else if (rc == 0 && value[0] == '*' && i == 0)
			w = "a wildcard cannot be the order's first name: UPKI puts the first name in "
			    "the certificate's subject CN, whose characters exclude '*'; list a host "
			    "name first (for example x.example.ac.jp, then *.x.example.ac.jp)";
		if (rc != 0 || w != NULL) {
			size_t vl = strnlen(value, REC_IDENT_MAX);   /* over-long names are cut for the report */
			memcpy(bad[nbad], value, vl);
			bad[nbad][vl] = '\0';
			why[nbad++] = w;
			continue;
		}
		/* Duplicates collapse into one identifier. */
		{
			size_t k;
			for (k = 0; k < n->o.n_idents; k++)
				if (strcmp(n->o.idents[k].value, value) == 0)
					break;
			if (k < n->o.n_idents)
				continue;
		}
		n->o.idents[n->o.n_idents].type = REC_IDENT_DNS;
		memcpy(n->o.idents[n->o.n_idents].value, value, strlen(value) + 1);   /* <= 253 once normalized */
		n->o.n_idents++;
	}
	if (nbad > 0) {
		reply_rejected(req, (const char (*)[REC_IDENT_MAX + 1])bad, why, nbad, ACME_E_IDENT_REJECTED);
		return;
	}
	n->now = platform_wall_s();
	n->account_id = p->acct.id;
	n->o.account_id = p->acct.id;
	n->o.status = REC_ORDER_PENDING;
	n->o.created = n->now;
	n->o.expires = n->now + CONFIG_ACME_ORDER_LIFETIME_S;
	if (acme_limits_refuse(a, req, p->acct.id, n->now, 1))
		return;
	if (acme_room(a, req) != 0)
		return;
	acme_pending_init(a, &n->pend);
	if ((wrc = store_write(acme_store(a), new_order_fn, n)) != 0) {
		if (wrc == ERR_RATELIMIT && n->pend.hit)
			acme_pending_refuse(req, p->acct.id, &n->pend);
		else
			acme_store_failed(req, wrc, "cannot store the order");
		return;
	}
	acme_limit_count(a, ACME_LIMIT_ORDERS, p->acct.id, n->now);
	body = arena_alloc(&req->arena, 8192);
	if (body == NULL || (len = acme_order_json(a, &n->o, body, 8192)) < 0) {
		acme_problem(req, ACME_E_INTERNAL, "order does not fit its buffer");
		return;
	}
	log_info("acme: %s: account %" PRIu64 ": new order %" PRIu64 " for %zu names", req->peer,
	    p->acct.id, n->o.id, n->o.n_idents);
	acme_url(a, loc, sizeof(loc), "order", n->o.id);
	acme_reply_json(req, 201, loc, body, (size_t)len);
}

struct order_get {
	uint64_t id;
	struct rec_order o;
	int64_t now;
};

static int
order_get_fn(struct store_txn *t, void *arg)
{
	struct order_get *g = arg;
	int rc = store_order_get(t, g->id, &g->o);

	if (rc != 0)
		return rc;
	if (acme_order_refresh(t, &g->o, g->now))
		return store_order_put(t, &g->o);
	return 0;
}

/* POST-as-GET /acme/order/<id> */
void
acme_order_post(struct http_req *req, void *arg)
{
	struct acme *a = arg;
	struct acme_post *p = arena_zalloc(&req->arena, sizeof(*p));
	struct order_get *g = arena_zalloc(&req->arena, sizeof(*g));
	int rc;

	if (p == NULL || g == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	if (acme_path_id(req->path, "order", &g->id, NULL) != 0) {
		acme_problem(req, ACME_E_NOSUCH, "no such order");
		return;
	}
	if (acme_post_verify(a, req, ACME_SIGNER_KID, p) != 0)
		return;
	if (!p->post_as_get) {
		acme_problem(req, ACME_E_MALFORMED, "an order is read with POST-as-GET (empty payload)");
		return;
	}
	g->now = platform_wall_s();
	rc = store_write(acme_store(a), order_get_fn, g);
	if (rc == ERR_NOTFOUND || (rc == 0 && g->o.account_id != p->acct.id)) {
		acme_problem(req, ACME_E_NOSUCH, "no such order for this account");
		return;
	}
	if (rc != 0) {
		acme_problem(req, ACME_E_INTERNAL, "cannot read the order");
		return;
	}
	acme_order_reply(a, req, &g->o);
}
