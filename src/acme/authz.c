/*
 * Authorizations and challenges (RFC 8555 §7.5): reading them, deactivating an
 * authorization, and answering a challenge by starting its validation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme_int.h"
#include "platform.h"
#include "store/store.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/timefmt.h"
#include "validate/validate.h"

static void
chall_json(struct acme *a, struct json_w *w, const struct rec_authz *az, size_t i)
{
	const struct rec_chall *c = &az->challs[i];
	char url[300], when[TIMEFMT_RFC3339_LEN];

	snprintf(url, sizeof(url), "%s/acme/chall/%" PRIu64 "/%zu", a->base_url, az->id, i);
	json_w_obj_begin(w);
	json_w_key(w, "type");
	json_w_str(w, rec_chall_type_str(c->type));
	json_w_key(w, "url");
	json_w_str(w, url);
	json_w_key(w, "status");
	json_w_str(w, rec_chall_status_str(c->status));
	json_w_key(w, "token");
	json_w_str(w, c->token);
	if (c->status == REC_CHALL_VALID && timefmt_rfc3339(when, sizeof(when), c->validated) == 0) {
		json_w_key(w, "validated");
		json_w_str(w, when);
	}
	if (c->error.type[0] != '\0') {
		char type[128];
		snprintf(type, sizeof(type), ACME_ERR_PREFIX "%s", c->error.type);
		json_w_key(w, "error");
		json_w_obj_begin(w);
		json_w_key(w, "type");
		json_w_str(w, type);
		json_w_key(w, "detail");
		json_w_str(w, c->error.detail);
		json_w_key(w, "status");
		json_w_int(w, 400);
		json_w_obj_end(w);
	}
	json_w_obj_end(w);
}

static int
authz_json(struct acme *a, const struct rec_authz *az, char *buf, size_t sz)
{
	char when[TIMEFMT_RFC3339_LEN];
	struct json_w w;

	json_w_init(&w, buf, sz);
	json_w_obj_begin(&w);
	json_w_key(&w, "identifier");
	json_w_obj_begin(&w);
	json_w_key(&w, "type");
	json_w_str(&w, "dns");
	json_w_key(&w, "value");
	json_w_str(&w, az->ident.value);
	json_w_obj_end(&w);
	json_w_key(&w, "status");
	json_w_str(&w, rec_authz_status_str(az->status));
	if (az->expires != 0 && timefmt_rfc3339(when, sizeof(when), az->expires) == 0) {
		json_w_key(&w, "expires");
		json_w_str(&w, when);
	}
	json_w_key(&w, "challenges");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < az->n_challs; i++)
		chall_json(a, &w, az, i);
	json_w_arr_end(&w);
	if (az->wildcard) {
		json_w_key(&w, "wildcard");
		json_w_bool(&w, 1);
	}
	json_w_obj_end(&w);
	return json_w_finish(&w);
}

struct authz_op {
	uint64_t id;
	uint64_t account_id;
	size_t chall;
	int deactivate;
	int start;               /* answer a challenge */
	int started;             /* validation must be launched */
	int busy;                /* refused: no room for one more validation (see limits.c) */
	unsigned busy_retry;
	char busy_why[160];
	struct acme *a;
	int64_t now;
	struct rec_authz az;
};

static int
authz_op_fn(struct store_txn *t, void *arg)
{
	struct authz_op *op = arg;
	int rc = store_authz_get(t, op->id, &op->az);

	if (rc != 0)
		return rc;
	if (op->az.account_id != op->account_id)
		return ERR_NOTFOUND;
	if (op->az.status == REC_AUTHZ_PENDING && op->az.expires != 0 && op->now >= op->az.expires) {
		op->az.status = REC_AUTHZ_EXPIRED;
		return store_authz_put(t, &op->az);
	}
	if (op->deactivate) {
		if (op->az.status != REC_AUTHZ_PENDING && op->az.status != REC_AUTHZ_VALID)
			return ERR_STATE;
		op->az.status = REC_AUTHZ_DEACTIVATED;
		return store_authz_put(t, &op->az);
	}
	if (op->start) {
		struct rec_chall *c;
		if (op->chall >= op->az.n_challs)
			return ERR_NOTFOUND;
		c = &op->az.challs[op->chall];
		/* Answering again while processing or after the end is harmless (§7.5.1). */
		if (c->status != REC_CHALL_PENDING || op->az.status != REC_AUTHZ_PENDING)
			return 0;
		/* A full pool or a full share: the challenge stays pending, the client retries. */
		if (acme_validation_admit(op->a, op->account_id, &op->busy_retry, op->busy_why,
		    sizeof(op->busy_why)) != 0) {
			op->busy = 1;
			return 0;
		}
		c->status = REC_CHALL_PROCESSING;
		op->started = 1;
		return store_authz_put(t, &op->az);
	}
	return 0;
}

/* POST /acme/authz/<id>: POST-as-GET, or {"status":"deactivated"} */
void
acme_authz_post(struct http_req *req, void *arg)
{
	struct acme *a = arg;
	struct acme_post *p = arena_zalloc(&req->arena, sizeof(*p));
	struct authz_op *op = arena_zalloc(&req->arena, sizeof(*op));
	char body[4096], loc[256];
	int rc, n;

	if (p == NULL || op == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	if (acme_path_id(req->path, "authz", &op->id, NULL) != 0) {
		acme_problem(req, ACME_E_NOSUCH, "no such authorization");
		return;
	}
	if (acme_post_verify(a, req, ACME_SIGNER_KID, p) != 0)
		return;
	if (!p->post_as_get) {
		int t = json_obj_get(&p->doc, 0, "status");
		if (t < 0 || !json_str_eq(&p->doc, t, "deactivated")) {
			acme_problem(req, ACME_E_MALFORMED,
			    "an authorization is read with POST-as-GET or deactivated with {\"status\":\"deactivated\"}");
			return;
		}
		op->deactivate = 1;
	}
	op->account_id = p->acct.id;
	op->now = platform_wall_s();
	rc = store_write(acme_store(a), authz_op_fn, op);
	if (rc == ERR_NOTFOUND) {
		acme_problem(req, ACME_E_NOSUCH, "no such authorization for this account");
		return;
	}
	if (rc == ERR_STATE) {
		acme_problem(req, ACME_E_MALFORMED, "only a pending or valid authorization can be deactivated");
		return;
	}
	if (rc != 0) {
		acme_problem(req, ACME_E_INTERNAL, "cannot read the authorization");
		return;
	}
	if ((n = authz_json(a, &op->az, body, sizeof(body))) < 0) {
		acme_problem(req, ACME_E_INTERNAL, "authorization does not fit its buffer");
		return;
	}
	acme_url(a, loc, sizeof(loc), "authz", op->id);
	acme_reply_json(req, 200, NULL, body, (size_t)n);
}

struct vjob {
	struct acme *a;
	uint64_t authz_id;
	size_t chall;
	uint64_t account_id;     /* holds one place in the validation pool */
	/* for the CAA step after the challenge passed */
	char name[REC_IDENT_MAX + 1];
	int wildcard;
	uint8_t chall_type;
};

struct vdone {
	const struct vjob *j;
	const struct validate_result *res;
	const struct validate_caa_result *caa;   /* the CAA step's result, or NULL */
	int64_t now;
	struct rec_authz az;
	int counted;               /* this result changed the challenge */
};

void
acme_authz_caa_note(struct rec_authz *az, const struct validate_caa_result *r, int when,
    int64_t now)
{
	struct rec_caa_check *k;

	if (az->n_caa == REC_CAA_CHECKS_N) {
		memmove(&az->caa[0], &az->caa[1], (REC_CAA_CHECKS_N - 1) * sizeof(az->caa[0]));
		az->n_caa--;
	}
	k = &az->caa[az->n_caa++];
	memset(k, 0, sizeof(*k));
	k->at = now;
	k->result = r->ok ? REC_CAA_PERMITTED : r->failed ? REC_CAA_FAILED : REC_CAA_REFUSED;
	k->when = (uint8_t)when;
	k->lookups = (uint16_t)(r->lookups > 65535 ? 65535 : r->lookups);
	str_copy(k->name, sizeof(k->name), r->item.name);
	str_copy(k->where, sizeof(k->where), r->where);
	str_copy(k->records, sizeof(k->records), r->records);
	if (r->ok)
		az->caa_checked = now;
}

static int
vdone_fn(struct store_txn *t, void *arg)
{
	struct vdone *d = arg;
	struct rec_chall *c;
	int rc = store_authz_get(t, d->j->authz_id, &d->az);

	if (rc != 0)
		return rc;
	if (d->j->chall >= d->az.n_challs)
		return ERR_NOTFOUND;
	c = &d->az.challs[d->j->chall];
	if (c->status != REC_CHALL_PROCESSING)
		return 0;
	d->counted = 1;
	if (d->caa != NULL)
		acme_authz_caa_note(&d->az, d->caa, REC_CAA_AT_VALIDATION, d->now);
	if (d->res->ok) {
		c->status = REC_CHALL_VALID;
		c->validated = d->now;
		if (d->az.status == REC_AUTHZ_PENDING) {
			d->az.status = REC_AUTHZ_VALID;
			d->az.expires = d->now + CONFIG_ACME_AUTHZ_LIFETIME_S;
		}
	} else {
		c->status = REC_CHALL_INVALID;
		str_copy(c->error.type, sizeof(c->error.type), d->res->type);
		str_copy(c->error.detail, sizeof(c->error.detail), d->res->detail);
		if (d->az.status == REC_AUTHZ_PENDING)
			d->az.status = REC_AUTHZ_INVALID;
	}
	return store_authz_put(t, &d->az);
}

/* Store the outcome of challenge + CAA step (caa: NULL when the CAA step did not run). */
static void
validation_store(struct vjob *j, const struct validate_result *res,
    const struct validate_caa_result *caa)
{
	struct vdone d;

	memset(&d, 0, sizeof(d));
	d.j = j;
	d.res = res;
	d.caa = caa;
	d.now = platform_wall_s();
	acme_validation_gave(j->a, j->account_id);
	if (store_write(acme_store(j->a), vdone_fn, &d) != 0) {
		log_err("acme: authz %" PRIu64 ": cannot store the validation result", j->authz_id);
	} else {
		if (!res->ok && d.counted)
			acme_limit_count(j->a, ACME_LIMIT_FAILED, d.az.account_id, d.now);
		log_info("acme: authz %" PRIu64 " (%s%s): %s %s%s%s", j->authz_id,
		    d.az.wildcard ? "*." : "", d.az.ident.value, rec_chall_type_str(j->chall_type),
		    res->ok ? "valid" : "invalid", res->ok ? "" : ": ", res->ok ? "" : res->detail);
	}
	free(j);
}

/*
 * The CAA step (RFC 8659; CA/B BR 3.2.2.8): after the challenge passed and
 * before the authorization becomes valid, this identifier alone is looked up;
 * a refusal or a failed lookup makes the challenge and the authorization
 * invalid with the check's "caa" or "dns" error.
 */
static void
caa_step_done(void *arg, const struct validate_caa_result *cr)
{
	struct vjob *j = arg;
	struct validate_result res;
	const char *want = j->name;

	memset(&res, 0, sizeof(res));
	if (want[0] == '*' && want[1] == '.')
		want += 2;
	res.ok = cr->ok;
	if (strcmp(cr->item.name, want) != 0 || cr->item.tag != j->authz_id) {
		/* Cannot happen: each check carries its own item. Refuse rather than trust it. */
		log_err("acme: authz %" PRIu64 ": CAA result about %s, not %s: refused",
		    j->authz_id, cr->item.name, want);
		res.ok = 0;
		str_copy(res.type, sizeof(res.type), "serverInternal");
		str_copy(res.detail, sizeof(res.detail), "the CAA check answered for another name");
	} else if (!cr->ok) {
		str_copy(res.type, sizeof(res.type), cr->type);
		str_copy(res.detail, sizeof(res.detail), cr->detail);
	}
	validation_store(j, &res, cr);
}

static int
caa_step_start(struct vjob *j)
{
	struct validate_caa_item it;

	memset(&it, 0, sizeof(it));
	str_copy(it.name, sizeof(it.name), j->name);
	it.wildcard = j->wildcard;
	str_copy(it.method, sizeof(it.method), rec_chall_type_str(j->chall_type));
	acme_url(j->a, it.account_uri, sizeof(it.account_uri), "acct", j->account_id);
	it.tag = j->authz_id;
	return validate_caa(j->a->validator, &it, caa_step_done, j);
}

static void
validation_done(void *arg, const struct validate_result *res)
{
	struct vjob *j = arg;
	struct validate_result fail;
	int rc;

	if (!res->ok) {
		validation_store(j, res, NULL);
		return;
	}
	if ((rc = caa_step_start(j)) == 0)
		return;
	memset(&fail, 0, sizeof(fail));
	str_copy(fail.type, sizeof(fail.type), rc == ERR_MALFORMED ? "caa" : "serverInternal");
	snprintf(fail.detail, sizeof(fail.detail), "the challenge passed but CAA for %s cannot be "
	    "checked (%s)", j->name, err_str(rc));
	log_warn("acme: authz %" PRIu64 ": %s", j->authz_id, fail.detail);
	validation_store(j, &fail, NULL);
}

int
acme_validation_start(struct acme *a, const struct rec_authz *az, size_t chall)
{
	struct vjob *j;
	char keyauth[REC_TOKEN_MAX + 2 + 44];
	char thumb[48];
	struct rec_account acct;
	int rc;

	if (a->validator == NULL)
		return ERR_STATE;
	if ((rc = acme_account_load(a, az->account_id, &acct)) != 0)
		return rc;
	b64url_encode(thumb, sizeof(thumb), acct.thumbprint, sizeof(acct.thumbprint));
	snprintf(keyauth, sizeof(keyauth), "%s.%s", az->challs[chall].token, thumb);
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return ERR_NOMEM;
	j->a = a;
	j->authz_id = az->id;
	j->chall = chall;
	j->account_id = az->account_id;
	str_copy(j->name, sizeof(j->name), az->ident.value);
	j->wildcard = az->wildcard;
	j->chall_type = az->challs[chall].type;
	switch (az->challs[chall].type) {
	case REC_CHALL_HTTP01:
		rc = validate_http01(a->validator, az->ident.value, az->challs[chall].token, keyauth,
		    validation_done, j);
		break;
	case REC_CHALL_TLSALPN01:
		rc = validate_tlsalpn01(a->validator, az->ident.value, keyauth, validation_done, j);
		break;
	case REC_CHALL_DNS01:
		/* A wildcard's identifier is stored without "*.": the TXT is at _acme-challenge.x. */
		rc = validate_dns01(a->validator, az->ident.value, keyauth, validation_done, j);
		break;
	default:
		rc = ERR_UNSUPPORTED;
		break;
	}
	if (rc != 0)
		free(j);
	else
		acme_validation_took(a, az->account_id);
	return rc;
}

/* POST /acme/chall/<authz id>/<index> */
void
acme_chall_post(struct http_req *req, void *arg)
{
	struct acme *a = arg;
	struct acme_post *p = arena_zalloc(&req->arena, sizeof(*p));
	struct authz_op *op = arena_zalloc(&req->arena, sizeof(*op));
	const char *rest = NULL;
	char body[2048], up[300];
	struct json_w w;
	int rc, n;

	if (p == NULL || op == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	if (acme_path_id(req->path, "chall", &op->id, &rest) != 0 || rest[0] != '/' ||
	    rest[1] < '0' || rest[1] > '2' || rest[2] != '\0') {
		acme_problem(req, ACME_E_NOSUCH, "no such challenge");
		return;
	}
	op->chall = (size_t)(rest[1] - '0');
	if (acme_post_verify(a, req, ACME_SIGNER_KID, p) != 0)
		return;
	/* RFC 8555 §7.5.1: "{}" answers the challenge; POST-as-GET reads it. */
	op->start = !p->post_as_get;
	op->account_id = p->acct.id;
	op->a = a;
	op->now = platform_wall_s();
	if (op->start && (acme_limits_refuse(a, req, p->acct.id, op->now, 0) ||
	    acme_room(a, req) != 0))
		return;
	rc = store_write(acme_store(a), authz_op_fn, op);
	if (rc == ERR_NOTFOUND) {
		acme_problem(req, ACME_E_NOSUCH, "no such challenge for this account");
		return;
	}
	if (rc != 0) {
		acme_problem(req, ACME_E_INTERNAL, "cannot update the challenge");
		return;
	}
	if (op->busy) {
		log_info("acme: %s: account %" PRIu64 ": challenge %" PRIu64 "/%zu not started: %s",
		    req->peer, p->acct.id, op->id, op->chall, op->busy_why);
		acme_problem_retry(req, ACME_E_RATELIMITED, op->busy_retry, op->busy_why);
		return;
	}
	if (op->started && (rc = acme_validation_start(a, &op->az, op->chall)) != 0) {
		struct validate_result res;
		struct vjob j = { a, op->id, op->chall, op->account_id, "", 0, 0 };
		struct vdone d;

		/* Never leave a challenge "processing" with nothing behind it. */
		log_err("acme: authz %" PRIu64 ": cannot start validation: %s", op->id, err_str(rc));
		memset(&res, 0, sizeof(res));
		snprintf(res.type, sizeof(res.type), "serverInternal");
		snprintf(res.detail, sizeof(res.detail), "the server cannot validate challenges now (%s)",
		    err_str(rc));
		memset(&d, 0, sizeof(d));
		d.j = &j;
		d.res = &res;
		d.now = platform_wall_s();
		if (store_write(acme_store(a), vdone_fn, &d) == 0)
			op->az = d.az;
	}
	json_w_init(&w, body, sizeof(body));
	chall_json(a, &w, &op->az, op->chall);
	if ((n = json_w_finish(&w)) < 0) {
		acme_problem(req, ACME_E_INTERNAL, "challenge does not fit its buffer");
		return;
	}
	if (op->az.challs[op->chall].status == REC_CHALL_PROCESSING)
		http_resp_header(req, "Retry-After", "1");   /* lego otherwise waits 5 s */
	acme_url(a, up, sizeof(up), "authz", op->id);
	{
		char link[400];
		snprintf(link, sizeof(link), "<%s>;rel=\"up\"", up);
		http_resp_header(req, "Link", link);
	}
	acme_reply_json(req, 200, NULL, body, (size_t)n);
}

struct resume {
	uint64_t ids[256];
	size_t n;
	uint64_t after;
};

static int
resume_list_fn(struct store_txn *t, void *arg)
{
	struct resume *r = arg;

	return store_id_list(t, STORE_DB_AUTHZ, r->after, r->ids, 256, &r->n);
}

struct resume_one {
	uint64_t id;
	struct rec_authz az;
};

static int
resume_get_fn(struct store_txn *t, void *arg)
{
	struct resume_one *o = arg;

	return store_authz_get(t, o->id, &o->az);
}

int
acme_resume(struct acme *a)
{
	static struct resume r;
	struct resume_one o;
	int resumed = 0;

	/* A full scan, bounded: 1000 pages of 256 authorizations. */
	memset(&r, 0, sizeof(r));
	for (int page = 0; page < 1000; page++) {
		if (store_read(acme_store(a), resume_list_fn, &r) != 0 || r.n == 0)
			break;
		for (size_t i = 0; i < r.n; i++) {
			o.id = r.ids[i];
			if (store_read(acme_store(a), resume_get_fn, &o) != 0 ||
			    o.az.status != REC_AUTHZ_PENDING)
				continue;
			for (size_t c = 0; c < o.az.n_challs; c++)
				if (o.az.challs[c].status == REC_CHALL_PROCESSING &&
				    acme_validation_start(a, &o.az, c) == 0)
					resumed++;
		}
		r.after = r.ids[r.n - 1];
		if (r.n < 256)
			break;
	}
	if (resumed > 0)
		log_info("acme: resumed %d validations after restart", resumed);
	return resumed;
}
