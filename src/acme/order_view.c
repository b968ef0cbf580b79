/*
 * Orders (RFC 8555 §7.1.3): the order resource as the client sees it, kept
 * apart from the handlers that change orders (order.c: newOrder and the order
 * resource; finalize.c: finalize and the issuer's answer), which both use it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "acme/acme_int.h"
#include "acme/issuer.h"
#include "acme/order_view.h"
#include "store/store.h"
#include "util/err.h"
#include "util/timefmt.h"

int
acme_order_json(struct acme *a, const struct rec_order *o, char *buf, size_t sz)
{
	char url[256], when[TIMEFMT_RFC3339_LEN];
	struct json_w w;

	json_w_init(&w, buf, sz);
	json_w_obj_begin(&w);
	json_w_key(&w, "status");
	json_w_str(&w, rec_order_status_str(o->status));
	if (o->expires != 0 && timefmt_rfc3339(when, sizeof(when), o->expires) == 0) {
		json_w_key(&w, "expires");
		json_w_str(&w, when);
	}
	json_w_key(&w, "identifiers");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < o->n_idents; i++) {
		json_w_obj_begin(&w);
		json_w_key(&w, "type");
		json_w_str(&w, "dns");
		json_w_key(&w, "value");
		json_w_str(&w, o->idents[i].value);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	json_w_key(&w, "authorizations");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < o->n_idents; i++) {
		acme_url(a, url, sizeof(url), "authz", o->authz_ids[i]);
		json_w_str(&w, url);
	}
	json_w_arr_end(&w);
	acme_url(a, url, sizeof(url), "finalize", o->id);
	json_w_key(&w, "finalize");
	json_w_str(&w, url);
	if (o->status == REC_ORDER_VALID && o->cert_id != 0) {
		acme_url(a, url, sizeof(url), "cert", o->cert_id);
		json_w_key(&w, "certificate");
		json_w_str(&w, url);
	}
	if (o->status == REC_ORDER_INVALID && o->error.type[0] != '\0') {
		char type[128];
		snprintf(type, sizeof(type), ACME_ERR_PREFIX "%s", o->error.type);
		json_w_key(&w, "error");
		json_w_obj_begin(&w);
		json_w_key(&w, "type");
		json_w_str(&w, type);
		json_w_key(&w, "detail");
		json_w_str(&w, o->error.detail);
		json_w_obj_end(&w);
	}
	json_w_obj_end(&w);
	return json_w_finish(&w);
}

/*
 * Bring a pending order up to date from its authorizations (inside t):
 * all valid -> ready; any invalid/deactivated/expired/revoked -> invalid;
 * past its expiry -> invalid. Returns 1 if o changed.
 */
int
acme_order_refresh(struct store_txn *t, struct rec_order *o, int64_t now)
{
	int all_valid = 1;

	if (o->status != REC_ORDER_PENDING && o->status != REC_ORDER_READY)
		return 0;
	if (o->expires != 0 && now >= o->expires) {
		o->status = REC_ORDER_INVALID;
		snprintf(o->error.type, sizeof(o->error.type), "malformed");
		snprintf(o->error.detail, sizeof(o->error.detail), "the order expired before it was finalized");
		return 1;
	}
	/* A ready order is checked again: an authorization may have been deactivated. */
	for (size_t i = 0; i < o->n_idents; i++) {
		struct rec_authz az;

		if (store_authz_get(t, o->authz_ids[i], &az) != 0)
			return 0;
		if (az.status == REC_AUTHZ_VALID && az.expires != 0 && now >= az.expires)
			az.status = REC_AUTHZ_EXPIRED;
		if (az.status == REC_AUTHZ_VALID)
			continue;
		all_valid = 0;
		if (az.status != REC_AUTHZ_PENDING) {
			o->status = REC_ORDER_INVALID;
			snprintf(o->error.type, sizeof(o->error.type), "unauthorized");
			snprintf(o->error.detail, sizeof(o->error.detail),
			    "authorization for %s is %s", az.ident.value, rec_authz_status_str(az.status));
			for (size_t c = 0; c < az.n_challs; c++)
				if (az.challs[c].error.type[0] != '\0') {
					o->error = az.challs[c].error;
					break;
				}
			return 1;
		}
	}
	if (all_valid && o->status != REC_ORDER_READY) {
		o->status = REC_ORDER_READY;
		return 1;
	}
	return 0;
}

void
acme_order_reply(struct acme *a, struct http_req *req, const struct rec_order *o)
{
	char *body = arena_alloc(&req->arena, 8192);
	char loc[256];
	int len;

	if (body == NULL || (len = acme_order_json(a, o, body, 8192)) < 0) {
		acme_problem(req, ACME_E_INTERNAL, "order does not fit its buffer");
		return;
	}
	if (o->status == REC_ORDER_PROCESSING)
		http_resp_headerf(req, "Retry-After", "%u", acme_retry_after(a, o));
	acme_url(a, loc, sizeof(loc), "order", o->id);
	acme_reply_json(req, 200, loc, body, (size_t)len);
}

unsigned
acme_retry_after(struct acme *a, const struct rec_order *o)
{
	unsigned s = 5;

	if (a->issuer != NULL && a->issuer->ops->retry_after != NULL)
		s = a->issuer->ops->retry_after(a->issuer->ctx, o->job_id);
	return s < 1 ? 1 : s;
}
