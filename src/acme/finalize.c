/*
 * Finalize (RFC 8555 §7.4) and the issuer's completion: a ready order with an
 * acceptable CSR goes to the issuer backend in the same transaction that marks
 * it processing; the backend reports back inside its own transaction.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acme/acme_int.h"
#include "acme/issuer.h"
#include "acme/order_view.h"
#include "platform.h"
#include "store/store.h"
#include "util/b64.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "validate/validate.h"
#include "x509/x509.h"

#define CSR_NAMES_MAX (X509_SAN_MAX + 1)

struct csr_names {
	char v[CSR_NAMES_MAX][REC_IDENT_MAX + 1];
	size_t n;
};

static int
add_name(struct csr_names *cn, const char *p, size_t len)
{
	if (len == 0 || len > REC_IDENT_MAX)
		return ERR_MALFORMED;
	for (size_t i = 0; i < cn->n; i++)
		if (strlen(cn->v[i]) == len && strncasecmp(cn->v[i], p, len) == 0)
			return 0;
	if (cn->n == CSR_NAMES_MAX)
		return ERR_TOOBIG;
	for (size_t i = 0; i < len; i++)
		cn->v[cn->n][i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
	cn->v[cn->n][len] = '\0';
	cn->n++;
	return 0;
}

/*
 * The CSR's names must be exactly the order's: SAN dNSNames plus the CN.
 * Returns 0, or writes a detail that says what to change.
 */
static int
names_check(const struct x509_csr *c, const struct rec_order *o, char *why, size_t whysz)
{
	struct csr_names cn;
	const struct x509_str *cnattr = &c->subject.attr[X509_NAME_CN];
	char extra[512] = "", missing[512] = "";

	memset(&cn, 0, sizeof(cn));
	if (c->ext.san.n_ip > 0 || c->ext.san.n_other > 0) {
		snprintf(why, whysz, "the CSR's subjectAltName holds entries other than DNS names: "
		    "request DNS names only");
		return ERR_DENIED;
	}
	for (unsigned i = 0; i < c->ext.san.n_dns; i++)
		if (add_name(&cn, c->ext.san.dns[i].p, c->ext.san.dns[i].len) != 0) {
			snprintf(why, whysz, "the CSR holds an unusable DNS name");
			return ERR_DENIED;
		}
	if (cnattr->p != NULL && add_name(&cn, cnattr->p, cnattr->len) != 0) {
		snprintf(why, whysz, "the CSR's commonName is not a DNS name");
		return ERR_DENIED;
	}
	/*
	 * A CN-only CSR is what UPKI wants: the order's other names go into the
	 * application (TSV column 13), not the CSR. The CN must be one of the
	 * order's names; the issuer's check() decides the rest (CN = first name).
	 */
	if (!c->ext.has_san && cnattr->p != NULL && cn.n == 1) {
		for (size_t k = 0; k < o->n_idents; k++)
			if (strcmp(cn.v[0], o->idents[k].value) == 0)
				return 0;
		snprintf(why, whysz, "the CSR's commonName %s is not one of the order's identifiers", cn.v[0]);
		return ERR_DENIED;
	}
	if (cn.n == 0) {
		snprintf(why, whysz, "the CSR names no host: put the name in the subject CN "
		    "(UPKI) or in subjectAltName");
		return ERR_DENIED;
	}
	for (size_t i = 0; i < cn.n; i++) {
		size_t k;
		for (k = 0; k < o->n_idents; k++)
			if (strcmp(cn.v[i], o->idents[k].value) == 0)
				break;
		if (k == o->n_idents && strlen(extra) + strlen(cn.v[i]) + 3 < sizeof(extra)) {
			strcat(extra, extra[0] ? ", " : "");
			strcat(extra, cn.v[i]);
		}
	}
	for (size_t k = 0; k < o->n_idents; k++) {
		size_t i;
		for (i = 0; i < cn.n; i++)
			if (strcmp(cn.v[i], o->idents[k].value) == 0)
				break;
		if (i == cn.n && strlen(missing) + strlen(o->idents[k].value) + 3 < sizeof(missing)) {
			strcat(missing, missing[0] ? ", " : "");
			strcat(missing, o->idents[k].value);
		}
	}
	if (extra[0] || missing[0]) {
		snprintf(why, whysz, "the CSR's names differ from the order's identifiers:%s%s%s%s",
		    extra[0] ? " not in the order: " : "", extra, missing[0] ? "; missing from the CSR: " : "",
		    missing);
		return ERR_DENIED;
	}
	return 0;
}

struct fin {
	struct acme *a;
	uint64_t id;
	uint64_t account_id;
	int64_t now;
	struct rec_order o;
	const unsigned char *csr;
	size_t csr_len;
	const struct issuer_request *rq;
	int submit;           /* 0: only load and refresh */
	int already;
	struct issuer_request req_rq;          /* kept here: finalize may wait for CAA */
	const char *names[REC_IDENT_N];
};

static int
fin_fn(struct store_txn *t, void *arg)
{
	struct fin *f = arg;
	struct issuer *is = f->a->issuer;
	uint64_t cert_id = 0;
	int rc = store_order_get(t, f->id, &f->o);

	if (rc != 0)
		return rc;
	if (f->o.account_id != f->account_id)
		return ERR_NOTFOUND;
	/* Write only what changed: every commit is an fsync. */
	if (acme_order_refresh(t, &f->o, f->now) && (!f->submit || f->o.status != REC_ORDER_READY))
		return store_order_put(t, &f->o);
	if (!f->submit || f->o.status != REC_ORDER_READY)
		return 0;
	memcpy(f->o.csr, f->csr, f->csr_len);
	f->o.csr_len = f->csr_len;
	f->o.status = REC_ORDER_PROCESSING;
	f->o.expires = 0;      /* processing orders are never swept */
	rc = is->ops->submit(is->ctx, t, f->rq, &f->o.job_id, &f->already, &cert_id);
	if (rc != 0)
		return rc;
	if (f->already) {
		f->o.status = REC_ORDER_VALID;
		f->o.cert_id = cert_id;
	}
	return store_order_put(t, &f->o);
}

/* Hand the checked order to the issuer and answer (now, or after the CAA re-check). */
static void
fin_submit(struct http_req *req, struct fin *f)
{
	struct acme *a = f->a;
	int rc;

	f->submit = 1;
	rc = store_write(acme_store(a), fin_fn, f);
	if (rc != 0) {
		acme_problemf(req, ACME_E_INTERNAL, "cannot hand the order to the issuer (%s)",
		    err_str(rc));
		return;
	}
	log_info("acme: %s: order %" PRIu64 " finalized: %s (job %" PRIu64 ")", req->peer, f->o.id,
	    rec_order_status_str(f->o.status), f->o.job_id);
	if (a->issuer->ops->kick != NULL)
		a->issuer->ops->kick(a->issuer->ctx);
	acme_order_reply(a, req, &f->o);
}

/*
 * The CAA re-check (CA/B BR 3.2.2.8: issue within 8 hours of the check).
 * Every authorization of the order whose last passing check is older than
 * caa_max_age is checked again, each identifier by its own lookups, at the
 * same time; the finalize request waits (deferred) for all of them, then
 * either goes on to the issuer or answers "caa" with one subproblem per
 * refused identifier and the order becomes invalid. Each result carries its
 * item (name and authorization id): results are matched by that, never by
 * position, and a result whose name is not its authorization's is refused.
 */
struct fin_caa {
	struct acme *a;
	struct http_req *req;      /* NULL once the client has gone */
	struct fin *f;             /* in req's arena: only while req != NULL */
	uint64_t order_id, account_id;
	int64_t max_age;
	size_t n;
	struct validate_caa_item items[REC_IDENT_N];
	struct rec_authz az;       /* scratch for the transactions */
	const struct validate_caa_result *res;
	size_t nres, refused;
	char detail[REC_PROBLEM_DETAIL_MAX - 64];   /* the refused names */
};

static const char *
chall_method(const struct rec_authz *az)
{
	for (size_t i = 0; i < az->n_challs; i++)
		if (az->challs[i].status == REC_CHALL_VALID)
			return rec_chall_type_str(az->challs[i].type);
	return "";
}

static int
fin_caa_load_fn(struct store_txn *t, void *arg)
{
	struct fin_caa *fc = arg;
	const struct rec_order *o = &fc->f->o;
	int64_t now = fc->f->now;
	int rc;

	fc->n = 0;
	for (size_t i = 0; i < o->n_idents; i++) {
		struct validate_caa_item *it = &fc->items[fc->n];

		if ((rc = store_authz_get(t, o->authz_ids[i], &fc->az)) != 0)
			return rc;
		if (fc->az.caa_checked != 0 && now - fc->az.caa_checked < fc->max_age)
			continue;
		memset(it, 0, sizeof(*it));
		str_copy(it->name, sizeof(it->name), fc->az.ident.value);
		it->wildcard = fc->az.wildcard;
		str_copy(it->method, sizeof(it->method), chall_method(&fc->az));
		acme_url(fc->a, it->account_uri, sizeof(it->account_uri), "acct", fc->az.account_id);
		it->tag = fc->az.id;
		fc->n++;
	}
	return 0;
}

static int
fin_caa_store_fn(struct store_txn *t, void *arg)
{
	struct fin_caa *fc = arg;
	int64_t now = platform_wall_s();
	struct rec_order o;
	size_t len = 0;
	int rc;

	fc->refused = 0;
	fc->detail[0] = '\0';
	for (size_t i = 0; i < fc->nres; i++) {
		const struct validate_caa_result *r = &fc->res[i];
		const char *v;

		if ((rc = store_authz_get(t, r->item.tag, &fc->az)) != 0)
			return rc;
		v = fc->az.ident.value;
		if (v[0] == '*' && v[1] == '.')
			v += 2;
		if (fc->az.account_id != fc->account_id || strcmp(v, r->item.name) != 0) {
			log_err("acme: order %" PRIu64 ": CAA result for %s does not belong to authz %"
			    PRIu64 " (%s): refused", fc->order_id, r->item.name, fc->az.id, v);
			return ERR_STATE;
		}
		acme_authz_caa_note(&fc->az, r, REC_CAA_AT_FINALIZE, now);
		if ((rc = store_authz_put(t, &fc->az)) != 0)
			return rc;
		if (r->ok)
			continue;
		fc->refused++;
		if (len + strlen(r->item.name) + 8 < sizeof(fc->detail))
			len += (size_t)snprintf(fc->detail + len, sizeof(fc->detail) - len, "%s%s%s",
			    len ? ", " : "", r->item.wildcard ? "*." : "", r->item.name);
	}
	if (fc->refused == 0)
		return 0;
	if ((rc = store_order_get(t, fc->order_id, &o)) != 0)
		return rc;
	if (o.status != REC_ORDER_READY)
		return 0;
	o.status = REC_ORDER_INVALID;
	str_copy(o.error.type, sizeof(o.error.type), "caa");
	snprintf(o.error.detail, sizeof(o.error.detail), "CAA re-checked at finalize forbids "
	    "issuance for: %s", fc->detail);
	return store_order_put(t, &o);
}

static void
fin_caa_abort_cb(struct http_req *req, void *arg)
{
	struct fin_caa *fc = arg;

	(void)req;
	fc->req = NULL;
	fc->f = NULL;
}

static void
fin_caa_done(void *arg, const struct validate_caa_result *res, size_t n)
{
	struct fin_caa *fc = arg;
	struct acme_subproblem sub[REC_IDENT_N];
	char names[REC_IDENT_N][REC_IDENT_MAX + 3], top[REC_PROBLEM_DETAIL_MAX + 1];
	size_t k = 0;
	int rc;

	fc->res = res;
	fc->nres = n;
	rc = store_write(acme_store(fc->a), fin_caa_store_fn, fc);
	if (fc->req == NULL) {
		log_info("acme: order %" PRIu64 ": CAA re-checked after the client left", fc->order_id);
		goto out;
	}
	if (rc != 0) {
		acme_problemf(fc->req, ACME_E_INTERNAL, "cannot keep the CAA re-check (%s)",
		    err_str(rc));
		goto out;
	}
	if (fc->refused == 0) {
		fc->f->now = platform_wall_s();
		fin_submit(fc->req, fc->f);
		goto out;
	}
	for (size_t i = 0; i < n && k < REC_IDENT_N; i++) {
		if (res[i].ok)
			continue;
		snprintf(names[k], sizeof(names[k]), "%s%s", res[i].item.wildcard ? "*." : "",
		    res[i].item.name);
		sub[k].code = strcmp(res[i].type, "dns") == 0 ? ACME_E_DNS : ACME_E_CAA;
		sub[k].detail = res[i].detail;
		sub[k].ident = names[k];
		k++;
	}
	snprintf(top, sizeof(top), "CAA re-checked at finalize forbids issuance for: %s",
	    fc->detail);
	acme_problem_sub(fc->req, ACME_E_CAA, top, sub, k);
out:
	free(fc);
}

/* 0: nothing to re-check (go on); 1: the request waits for fin_caa_done; < 0: answered. */
static int
fin_caa_recheck(struct acme *a, struct http_req *req, struct fin *f)
{
	struct fin_caa *fc = calloc(1, sizeof(*fc));
	int rc;

	if (fc == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return ERR_NOMEM;
	}
	fc->a = a;
	fc->req = req;
	fc->f = f;
	fc->order_id = f->o.id;
	fc->account_id = f->o.account_id;
	fc->max_age = a->app->cfg->caa_max_age_s;
	if ((rc = store_read(acme_store(a), fin_caa_load_fn, fc)) != 0) {
		acme_problemf(req, ACME_E_INTERNAL, "cannot read the order's authorizations (%s)",
		    err_str(rc));
		goto fail;
	}
	if (fc->n == 0) {
		free(fc);
		return 0;
	}
	if (a->validator == NULL) {
		acme_problem(req, ERR_AGAIN, "CAA cannot be re-checked: no resolver is configured");
		rc = ERR_STATE;
		goto fail;
	}
	if ((rc = validate_caa_all(a->validator, fc->items, fc->n, fin_caa_done, fc)) != 0) {
		acme_problemf(req, ERR_AGAIN, "CAA cannot be re-checked now (%s)", err_str(rc));
		goto fail;
	}
	log_info("acme: %s: order %" PRIu64 ": re-checking CAA of %zu identifier%s", req->peer,
	    f->o.id, fc->n, fc->n == 1 ? "" : "s");
	http_req_defer(req, fin_caa_abort_cb, fc);
	return 1;
fail:
	free(fc);
	return rc;
}

void
acme_finalize_post(struct http_req *req, void *arg)
{
	struct acme *a = arg;
	struct acme_post *p = arena_zalloc(&req->arena, sizeof(*p));
	struct fin *f = arena_zalloc(&req->arena, sizeof(*f));
	struct x509_csr *csr = arena_zalloc(&req->arena, sizeof(*csr));
	unsigned char *der = arena_alloc(&req->arena, REC_CSR_MAX);
	struct issuer_problem *prob = arena_zalloc(&req->arena, sizeof(*prob));
	char why[768], b64[REC_CSR_MAX * 2];
	struct issuer_request *rq;
	const char *bad;
	size_t b64len = 0, derlen = 0;
	int rc, t;

	if (p == NULL || f == NULL || csr == NULL || der == NULL || prob == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	if (acme_path_id(req->path, "finalize", &f->id, NULL) != 0) {
		acme_problem(req, ACME_E_NOSUCH, "no such order");
		return;
	}
	if (acme_post_verify(a, req, ACME_SIGNER_KID, p) != 0)
		return;
	/* An unset clock would put wrong dates into the certificate's validity. */
	if (!platform_clock_sane()) {
		log_warn("acme: %s: finalize refused: the wall clock (%" PRId64 " s) is before the "
		    "build date; set the clock (NTP, RTC) first", req->peer, platform_wall_s());
		acme_problem(req, ACME_E_CLOCK, NULL);
		return;
	}
	f->a = a;
	f->account_id = p->acct.id;
	f->now = platform_wall_s();
	rc = store_write(acme_store(a), fin_fn, f);
	if (rc == ERR_NOTFOUND) {
		acme_problem(req, ACME_E_NOSUCH, "no such order for this account");
		return;
	}
	if (rc != 0) {
		acme_problem(req, ACME_E_INTERNAL, "cannot read the order");
		return;
	}
	/* A client that retries finalize while we wait for UPKI gets the order back. */
	if (f->o.status == REC_ORDER_PROCESSING || f->o.status == REC_ORDER_VALID) {
		acme_order_reply(a, req, &f->o);
		return;
	}
	if (f->o.status != REC_ORDER_READY) {
		acme_problemf(req, ACME_E_NOT_READY, "the order is %s: %s",
		    rec_order_status_str(f->o.status), f->o.status == REC_ORDER_PENDING ?
		    "complete its authorizations first" : "create a new order");
		return;
	}
	if (p->post_as_get || (t = json_obj_get(&p->doc, 0, "csr")) < 0 ||
	    json_str(&p->doc, t, b64, sizeof(b64), &b64len) != 0) {
		acme_problem(req, ACME_E_MALFORMED, "finalize needs {\"csr\": base64url DER}");
		return;
	}
	if (b64url_decode(der, REC_CSR_MAX, b64, b64len, &derlen) != 0) {
		acme_problemf(req, ACME_E_BAD_CSR, "\"csr\" is not base64url DER of at most %d bytes",
		    REC_CSR_MAX);
		return;
	}
	if ((rc = x509_csr_parse(csr, der, derlen)) != 0) {
		acme_problemf(req, ACME_E_BAD_CSR, "the CSR is not a valid PKCS#10 request (%s)", err_str(rc));
		return;
	}
	if (csr->key.type == X509_KEY_RSA && (bad = x509_rsa_exponent_problem(&csr->key)) != NULL) {
		acme_problemf(req, ACME_E_BAD_CSR, "the CSR's key cannot be certified: %s; make a new key "
		    "with the usual exponent 65537 (openssl req -newkey rsa:2048 ...)", bad);
		return;
	}
	if ((rc = x509_csr_verify(csr)) != 0) {
		acme_problemf(req, ACME_E_BAD_CSR, rc == ERR_UNSUPPORTED ?
		    "the CSR is signed with %s, which is not accepted: use SHA-256 with RSA or ECDSA" :
		    "the CSR's signature does not verify (%s)", rc == ERR_UNSUPPORTED ?
		    x509_sig_alg_name(csr->sig_alg) : err_str(rc));
		return;
	}
	if (csr->key.type == X509_KEY_RSA && csr->key.bits < 2048) {
		acme_problemf(req, ACME_E_BAD_CSR, "the CSR's RSA key has %u bits: make a new key of "
		    "2048 bits (openssl req -newkey rsa:2048 ...)", csr->key.bits);
		return;
	}
	if (csr->key.type != X509_KEY_RSA && csr->key.type != X509_KEY_EC) {
		acme_problem(req, ACME_E_BAD_CSR, "the CSR's key is neither RSA nor ECDSA");
		return;
	}
	if (names_check(csr, &f->o, why, sizeof(why)) != 0) {
		acme_problem(req, ACME_E_BAD_CSR, why);
		return;
	}
	if (a->issuer == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "no issuer backend is configured");
		return;
	}
	for (size_t i = 0; i < f->o.n_idents; i++)
		f->names[i] = f->o.idents[i].value;
	rq = &f->req_rq;
	rq->order_id = f->o.id;
	rq->account_id = f->o.account_id;
	rq->csr_der = der;
	rq->csr_len = derlen;
	rq->csr = csr;
	rq->names = f->names;
	rq->n_names = f->o.n_idents;
	if (a->issuer->ops->check(a->issuer->ctx, rq, prob) != 0) {
		acme_problem_typed(req, prob->type, ACME_E_BAD_CSR, prob->detail);
		return;
	}
	f->csr = der;
	f->csr_len = derlen;
	f->rq = rq;
	if (acme_room(a, req) != 0)
		return;
	if (fin_caa_recheck(a, req, f) != 0)
		return;
	fin_submit(req, f);
}

/* issuer_events.issued: inside the backend's transaction. */
int
acme_issued(void *arg, struct store_txn *t, uint64_t order_id, int rc,
    const struct rec_cert *cert, const struct issuer_problem *prob)
{
	struct rec_order o;
	int e = store_order_get(t, order_id, &o);

	(void)arg;
	if (e != 0)
		return e;
	if (o.status != REC_ORDER_PROCESSING)
		return 0;
	if (rc == 0) {
		o.status = REC_ORDER_VALID;
		o.cert_id = cert->id;
	} else {
		o.status = REC_ORDER_INVALID;
		str_copy(o.error.type, sizeof(o.error.type),
		    prob && prob->type[0] ? prob->type : "serverInternal");
		str_copy(o.error.detail, sizeof(o.error.detail), prob ? prob->detail : "the issuer failed");
	}
	return store_order_put(t, &o);
}
