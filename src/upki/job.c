/*
 * UPKI jobs in the store: the policy check of a CSR, job creation and the join
 * rule, revocation jobs, and the issued/rejected transitions that report to
 * the ACME core inside the same transaction. Names and DNs: dn.c; the upload
 * of a batch: upload.c.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "autoconf.h"
#include "platform.h"
#include "store/records.h"
#include "store/store.h"
#include "upki/job.h"
#include "upki/upki_core.h"
#include "upki/upki_profile.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/timefmt.h"
#include "x509/pem.h"
#include "x509/x509.h"

static void
prob_set(struct issuer_problem *prob, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
prob_set(struct issuer_problem *prob, const char *type, const char *fmt, ...)
{
	va_list ap;

	str_copy(prob->type, sizeof(prob->type), type);
	va_start(ap, fmt);
	vsnprintf(prob->detail, sizeof(prob->detail), fmt, ap);
	va_end(ap);
}

/* ---- check ---- */

static int
attr_is(const struct x509_str *a, const char *want)
{
	return a->p != NULL && a->len == strlen(want) && memcmp(a->p, want, a->len) == 0;
}

/* Append "the CSR's subject has K=V, UPKI needs K=W" style text. */
static void
what_add(char *what, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
what_add(char *what, size_t sz, const char *fmt, ...)
{
	size_t o = strlen(what);
	va_list ap;

	if (o + 4 >= sz)
		return;
	if (o > 0) {
		what[o - 1] = ';';       /* the previous sentence ended in '.' */
		what[o++] = ' ';
		what[o] = '\0';
	}
	va_start(ap, fmt);
	vsnprintf(what + o, sz - o, fmt, ap);
	va_end(ap);
}

static void
subject_check(const struct upki *u, const struct x509_csr *c, const char *cn, char *what,
    size_t wsz)
{
	const struct config *cfg = u->cfg;
	static const struct {
		int attr;
		const char *key;
	} want[] = {
		{ X509_NAME_C, "C" }, { X509_NAME_ST, "ST" }, { X509_NAME_L, "L" },
		{ X509_NAME_O, "O" }, { X509_NAME_CN, "CN" },
	};
	const char *vals[] = { UPKI_DN_COUNTRY, cfg->upki_state, cfg->upki_locality, cfg->upki_org,
	    cn };
	int empty = 1;

	for (int a = 0; a < X509_NAME__MAX; a++)
		if (c->subject.attr[a].p != NULL)
			empty = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct x509_str *a = &c->subject.attr[want[i].attr];

		if (a->p == NULL) {
			/* A SAN-accepting profile takes certbot's and lego's subjects as they are. */
			if (!u->cfg->upki_accept_san)
				what_add(what, wsz, "the CSR's subject has no %s.", want[i].key);
		} else if (!attr_is(a, vals[i])) {
			what_add(what, wsz, "the CSR's subject has %s=%.*s where UPKI needs %s=%s.",
			    want[i].key, (int)(a->len > 64 ? 64 : a->len), a->p, want[i].key, vals[i]);
		}
		if (strlen(what) > 400)
			break;
	}
	(void)empty;
	if (c->subject.attr[X509_NAME_OU].p != NULL)
		what_add(what, wsz, "the CSR's subject has an OU, which UPKI refuses.");
	if (c->subject.attr[X509_NAME_EMAIL].p != NULL)
		what_add(what, wsz, "the CSR's subject has an emailAddress, which UPKI refuses.");
	if (c->subject.n_other > 0 || c->subject.n_dup > 0)
		what_add(what, wsz, "the CSR's subject has attributes UPKI does not take.");
}

struct check_read {
	uint8_t spki[REC_SHA256_LEN], names[REC_SHA256_LEN];
	size_t pending;
	int reused;               /* the key was certified and that certificate is unusable */
	char serial[REC_SERIAL_DEC_MAX + 1];
	int64_t now;
};

static int
check_read_fn(struct store_txn *t, void *arg)
{
	struct check_read *cr = arg;
	static uint64_t ids[CONFIG_UPKI_MAX_JOBS];
	const unsigned states[] = { REC_JOB_QUEUED, REC_JOB_SUBMITTED, REC_JOB_FAILED };
	struct rec_job j;
	struct rec_cert c;
	int rc;

	cr->pending = 0;
	for (size_t i = 0; i < 3; i++) {
		size_t n = 0;

		rc = store_job_list_by_state(t, states[i], 0, ids, CONFIG_UPKI_MAX_JOBS, &n);
		if (rc != 0)
			return rc;
		cr->pending += n;
	}
	rc = store_job_find_by_key(t, cr->spki, cr->names, &j);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (j.state != REC_JOB_ISSUED)
		return 0;
	rc = store_cert_get(t, j.cert_id, &c);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (c.status == REC_CERT_REVOKED || c.not_after <= cr->now) {
		cr->reused = 1;
		str_copy(cr->serial, sizeof(cr->serial), c.serial_dec);
	}
	return 0;
}

int
upki_job_check(struct upki *u, const struct issuer_request *rq, struct issuer_problem *prob)
{
	const struct config *cfg = u->cfg;
	const struct x509_csr *c = rq->csr;
	const char *cn = rq->n_names > 0 ? rq->names[0] : "";
	char what[600] = "", advice[ISSUER_DETAIL_MAX], dn[REC_DN_MAX + 1], why[256];
	struct check_read cr;
	size_t listlen = 0;
	int rc;

	memset(prob, 0, sizeof(*prob));
	if (rq->n_names == 0 || c == NULL) {
		prob_set(prob, "badCSR", "the order names no host");
		return ERR_DENIED;
	}
	if (rq->n_names > UPKI_DNSNAMES_MAX) {
		prob_set(prob, "rejectedIdentifier", "UPKI certifies at most %d names in one "
		    "certificate; this order has %zu: split it", UPKI_DNSNAMES_MAX, rq->n_names);
		return ERR_DENIED;
	}
	for (size_t i = 0; i < rq->n_names; i++) {
		if (rq->names[i][0] == '*' && (!cfg->upki_wildcards || i == 0)) {
			prob_set(prob, "rejectedIdentifier", i == 0 && cfg->upki_wildcards ?
			    "a wildcard cannot be the first name, which UPKI puts in the subject "
			    "CN (its characters exclude '*') (%s)" : "UPKI's TSV service issues no "
			    "wildcard certificates here (upki_wildcards is off) (%s)", rq->names[i]);
			return ERR_DENIED;
		}
		listlen += strlen(rq->names[i]) + (i > 0);
	}
	if (strlen(cn) > UPKI_FQDN_MAX) {
		prob_set(prob, "rejectedIdentifier", "%s is longer than %d characters, UPKI's limit "
		    "for the first name (the CN)", cn, UPKI_FQDN_MAX);
		return ERR_DENIED;
	}
	if (listlen > UPKI_DNSNAMES_LIST_MAX) {
		prob_set(prob, "rejectedIdentifier", "the names take %zu characters; UPKI takes at "
		    "most %d in one application", listlen, UPKI_DNSNAMES_LIST_MAX);
		return ERR_DENIED;
	}
	if (upki_subject_dn(cfg, cn, dn, sizeof(dn), why, sizeof(why)) != 0) {
		char other[REC_DN_MAX + 1];

		if (upki_subject_dn(cfg, "www.example.ac.jp", other, sizeof(other), NULL, 0) == 0)
			prob_set(prob, "rejectedIdentifier", "UPKI cannot certify %s: %s", cn, why);
		else
			prob_set(prob, "serverInternal", "the UPKI subject for %s cannot be written "
			    "(check upki_org, upki_state, upki_locality): %s", cn, why);
		return ERR_DENIED;
	}
	if (c->key.type == X509_KEY_RSA) {
		if (c->key.bits != 2048)
			what_add(what, sizeof(what), "the CSR's key is RSA-%u; UPKI takes RSA 2048-bit "
			    "keys.", c->key.bits);
	} else if (c->key.type == X509_KEY_EC) {
		if (cfg->upki_profile_ecc[0] == '\0')
			what_add(what, sizeof(what), "the CSR's key is ECDSA; this UPKI profile takes "
			    "RSA 2048-bit keys only.");
		/* x509 gives a named curve its size: 256 is P-256, 384 P-384. */
		else if (c->key.curve == 0 || (c->key.bits != 256 && c->key.bits != 384))
			what_add(what, sizeof(what), "the CSR's ECDSA curve is not P-256 or P-384.");
	} else {
		what_add(what, sizeof(what), "the CSR's key type is not accepted by UPKI.");
	}
	subject_check(u, c, cn, what, sizeof(what));
	if (c->ext.has_san && !cfg->upki_accept_san)
		what_add(what, sizeof(what), "the CSR has a subjectAltName extension, which UPKI "
		    "refuses (it takes the names from the application).");
	if (what[0] != '\0') {
		upki_csr_advice(cfg, cn, what, advice, sizeof(advice));
		prob_set(prob, "badCSR", "%s", advice);
		return ERR_DENIED;
	}
	memset(&cr, 0, sizeof(cr));
	cr.now = u->now();
	x509_spki_hash(c->key.spki.p, c->key.spki.len, cr.spki);
	if ((rc = upki_names_hash(rq->names, rq->n_names, cr.names)) != 0) {
		prob_set(prob, "badCSR", "too many names");
		return ERR_DENIED;
	}
	rc = store_read(u->store, check_read_fn, &cr);
	if (rc != 0 && rc != ERR_STATE) {
		prob_set(prob, "serverInternal", "cannot read the UPKI jobs: %s", err_str(rc));
		return ERR_DENIED;
	}
	if (cr.reused) {
		char w[200];

		snprintf(w, sizeof(w), "This key was certified before (serial %s) and that "
		    "certificate is revoked or expired; UPKI refuses a key it has seen.", cr.serial);
		upki_csr_advice(cfg, cn, w, advice, sizeof(advice));
		prob_set(prob, "badCSR", "%s", advice);
		return ERR_DENIED;
	}
	if (cr.pending >= CONFIG_UPKI_MAX_JOBS) {
		prob_set(prob, "rateLimited", "%zu UPKI applications are pending, the most this "
		    "gateway keeps: retry later", cr.pending);
		return ERR_DENIED;
	}
	return 0;
}

/* ---- submit and join ---- */

int
upki_join_add(struct store_txn *t, uint64_t job_id, uint64_t order_id)
{
	size_t n = 0;
	uint64_t ids[UPKI_JOIN_MAX];
	int rc = upki_join_list(t, job_id, ids, UPKI_JOIN_MAX, &n);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (ids[i] == order_id)
			return 0;
	if (n >= UPKI_JOIN_MAX)
		return ERR_TOOBIG;
	return store_join_add(t, job_id, order_id);
}

int
upki_join_list(struct store_txn *t, uint64_t job_id, uint64_t *ids, size_t max, size_t *n)
{
	return store_join_list(t, job_id, ids, max, n);
}

static int
join_clear(struct store_txn *t, uint64_t job_id, const uint64_t *ids, size_t n)
{
	(void)ids;
	(void)n;
	return store_join_clear(t, job_id);
}

int
upki_job_submit(struct upki *u, struct store_txn *t, const struct issuer_request *rq,
    uint64_t *job_id, int *already_issued, uint64_t *cert_id)
{
	struct rec_job j;
	struct rec_dn d;
	uint8_t spki[REC_SHA256_LEN], names[REC_SHA256_LEN];
	char why[256];
	int rc;

	*already_issued = 0;
	*cert_id = 0;
	if (rq->csr == NULL || rq->n_names == 0)
		return ERR_RANGE;
	x509_spki_hash(rq->csr->key.spki.p, rq->csr->key.spki.len, spki);
	if ((rc = upki_names_hash(rq->names, rq->n_names, names)) != 0)
		return rc;
	rc = store_job_find_by_key(t, spki, names, &j);
	if (rc == 0) {
		*job_id = j.id;
		if (j.state == REC_JOB_ISSUED) {
			*already_issued = 1;
			*cert_id = j.cert_id;
			log_info("upki: order %" PRIu64 " joins job %" PRIu64 ", already issued (cert %"
			    PRIu64 ")", rq->order_id, j.id, j.cert_id);
			return 0;
		}
		log_info("upki: order %" PRIu64 " joins job %" PRIu64 " (%s)", rq->order_id, j.id,
		    rec_job_state_str(j.state));
		if (j.order_id == rq->order_id)
			return 0;
		return upki_join_add(t, j.id, rq->order_id);
	}
	if (rc != ERR_NOTFOUND)
		return rc;
	memset(&j, 0, sizeof(j));
	if ((rc = upki_subject_dn(u->cfg, rq->names[0], j.subject_dn, sizeof(j.subject_dn), why,
	    sizeof(why))) != 0) {
		log_err("upki: order %" PRIu64 ": %s", rq->order_id, why);
		return rc;
	}
	if ((rc = store_seq_next(t, STORE_SEQ_JOB, &j.id)) != 0)
		return rc;
	j.order_id = rq->order_id;
	j.kind = REC_JOB_NEW;
	j.state = REC_JOB_QUEUED;
	j.created = u->now();
	memcpy(j.spki_sha256, spki, sizeof(spki));
	memcpy(j.names_sha256, names, sizeof(names));
	rc = store_dn_get(t, j.subject_dn, &d);
	if (rc == 0) {
		/* Ever issued: 更新 with the old serial; without one, the next bulk TSV finds it. */
		j.kind = REC_JOB_RENEW;
		str_copy(j.old_serial_dec, sizeof(j.old_serial_dec), d.last_serial_dec);
	} else if (rc != ERR_NOTFOUND) {
		return rc;
	}
	if ((rc = store_job_put(t, &j)) != 0)
		return rc;
	*job_id = j.id;
	log_info("upki: job %" PRIu64 " queued for order %" PRIu64 ": %s %s%s%s",
	    j.id, rq->order_id, j.kind == REC_JOB_RENEW ? "renewal of" : "new", j.subject_dn,
	    j.old_serial_dec[0] ? " serial " : "", j.old_serial_dec);
	return 0;
}

/* ---- revoke ---- */

int
upki_job_revoke(struct upki *u, struct store_txn *t, const struct rec_cert *cert, int reason,
    struct issuer_problem *prob)
{
	static const int reasons[] = UPKI_REVOKE_REASONS;
	struct rec_job j, issued;
	struct x509_cert xc;
	int ok = 0, rc;

	memset(prob, 0, sizeof(*prob));
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i] == reason)
			ok = 1;
	if (!ok) {
		prob_set(prob, "badRevocationReason", "UPKI takes the revocation reasons 0 "
		    "(unspecified), 1 (keyCompromise), 3 (affiliationChanged), 4 (superseded) and 5 "
		    "(cessationOfOperation), not %d", reason);
		return ERR_DENIED;
	}
	if (!u->cfg->upki_revoke_status4) {
		prob_set(prob, "unauthorized", "UPKI refuses to revoke serial %s while its state is "
		    "4 (発行案内メール送信済み): the gateway took the certificate from the bulk list, "
		    "not through the one-time URL mailed to the administrator (UPKI error %d). Ask "
		    "the RA officer to revoke it in the UPKI support system, or download it once "
		    "through the mailed URL and ask the operator to set upki_revoke_status4 = yes",
		    cert->serial_dec, UPKI_E_REVOKE_STATE);
		return ERR_DENIED;
	}
	memset(&j, 0, sizeof(j));
	if (cert->job_id != 0 && store_job_get(t, cert->job_id, &issued) == 0)
		str_copy(j.subject_dn, sizeof(j.subject_dn), issued.subject_dn);
	if (j.subject_dn[0] == '\0') {
		if (x509_cert_parse(&xc, cert->der, cert->der_len) != 0 ||
		    x509_name_format(&xc.subject, j.subject_dn, sizeof(j.subject_dn)) < 0) {
			prob_set(prob, "serverInternal", "the stored certificate does not parse");
			return ERR_DENIED;
		}
	}
	if ((rc = store_seq_next(t, STORE_SEQ_JOB, &j.id)) != 0)
		return rc;
	j.kind = REC_JOB_REVOKE;
	j.state = REC_JOB_QUEUED;
	j.created = u->now();
	j.cert_id = cert->id;
	j.revoke_reason = (uint8_t)reason;
	str_copy(j.old_serial_dec, sizeof(j.old_serial_dec), cert->serial_dec);
	if ((rc = store_job_put(t, &j)) != 0)
		return rc;
	log_info("upki: job %" PRIu64 " queued: revoke serial %s (reason %d)", j.id,
	    cert->serial_dec, reason);
	return 0;
}

/* ---- issued and rejected ---- */

int
upki_job_pending(const struct rec_job *j)
{
	return j->state == REC_JOB_QUEUED || j->state == REC_JOB_SUBMITTED ||
	    j->state == REC_JOB_FAILED;
}

static int
job_report(struct upki *u, struct store_txn *t, const struct rec_job *j, int rc,
    const struct rec_cert *c, const struct issuer_problem *prob)
{
	uint64_t ids[UPKI_JOIN_MAX];
	size_t n = 0;
	int e;

	if (j->kind == REC_JOB_REVOKE)
		return 0;
	if ((e = upki_join_list(t, j->id, ids, UPKI_JOIN_MAX, &n)) != 0)
		return e;
	if (u->is.ev.issued != NULL) {
		if (j->order_id != 0 &&
		    (e = u->is.ev.issued(u->is.ev.arg, t, j->order_id, rc, c, prob)) != 0)
			return e;
		for (size_t i = 0; i < n; i++)
			if ((e = u->is.ev.issued(u->is.ev.arg, t, ids[i], rc, c, prob)) != 0)
				return e;
	}
	return join_clear(t, j->id, ids, n);
}

int
upki_job_issue(struct upki *u, struct store_txn *t, uint64_t job_id, const unsigned char *der,
    size_t der_len, const char *app_id, int64_t now, struct rec_cert *cert_out)
{
	static struct rec_cert c;
	struct rec_job j;
	struct rec_order o;
	struct rec_dn d;
	struct x509_cert xc;
	const struct x509_str *icn;
	int rc;

	if ((rc = store_job_get(t, job_id, &j)) != 0)
		return rc;
	if (!upki_job_pending(&j) || j.kind == REC_JOB_REVOKE)
		return 0;
	if (der_len > REC_DER_MAX || x509_cert_parse(&xc, der, der_len) != 0 ||
	    xc.serial.len == 0 || xc.serial.len > REC_SERIAL_MAX)
		return ERR_MALFORMED;
	memset(&c, 0, sizeof(c));
	rc = store_cert_find_by_serial(t, xc.serial.p, xc.serial.len, &c);
	if (rc == ERR_NOTFOUND) {
		memset(&c, 0, sizeof(c));
		if ((rc = store_seq_next(t, STORE_SEQ_CERT, &c.id)) != 0)
			return rc;
		c.order_id = j.order_id;
		if (j.order_id != 0 && store_order_get(t, j.order_id, &o) == 0)
			c.account_id = o.account_id;
		memcpy(c.serial, xc.serial.p, xc.serial.len);
		c.serial_len = xc.serial.len;
		if (x509_serial_dec(xc.serial.p, xc.serial.len, c.serial_dec,
		    sizeof(c.serial_dec)) < 0)
			return ERR_RANGE;
		c.not_before = xc.not_before;
		c.not_after = xc.not_after;
		c.status = REC_CERT_VALID;
		memcpy(c.der, der, der_len);
		c.der_len = der_len;
		icn = &xc.issuer.attr[X509_NAME_CN];
		if (icn->p != NULL)
			snprintf(c.chain, sizeof(c.chain), "%.*s",
			    (int)(icn->len < REC_CHAIN_MAX ? icn->len : REC_CHAIN_MAX), icn->p);
		c.job_id = j.id;
		if ((rc = store_cert_put(t, &c)) != 0)
			return rc;
	} else if (rc != 0) {
		return rc;
	}
	j.state = REC_JOB_ISSUED;
	j.cert_id = c.id;
	j.error[0] = '\0';
	if (app_id != NULL && app_id[0] != '\0')
		str_copy(j.upki_app_id, sizeof(j.upki_app_id), app_id);
	if ((rc = store_job_put(t, &j)) != 0)
		return rc;
	memset(&d, 0, sizeof(d));
	if ((rc = store_dn_get(t, j.subject_dn, &d)) != 0 && rc != ERR_NOTFOUND)
		return rc;
	str_copy(d.dn, sizeof(d.dn), j.subject_dn);
	str_copy(d.last_serial_dec, sizeof(d.last_serial_dec), c.serial_dec);
	d.updated = now;
	if ((rc = store_dn_put(t, &d)) != 0)
		return rc;
	if ((rc = job_report(u, t, &j, 0, &c, NULL)) != 0)
		return rc;
	if (cert_out != NULL)
		*cert_out = c;
	log_info("upki: job %" PRIu64 " issued: serial %s for %s (application %s)", j.id,
	    c.serial_dec, j.subject_dn, j.upki_app_id[0] ? j.upki_app_id : "?");
	return 0;
}

int
upki_job_reject(struct upki *u, struct store_txn *t, struct rec_job *j, const char *type,
    const char *detail, int64_t now)
{
	struct issuer_problem prob;
	int rc;

	(void)now;
	j->state = REC_JOB_REJECTED;
	str_copy(j->error, sizeof(j->error), detail);
	if ((rc = store_job_put(t, j)) != 0)
		return rc;
	str_copy(prob.type, sizeof(prob.type), type);
	str_copy(prob.detail, sizeof(prob.detail), detail);
	if (j->kind == REC_JOB_REVOKE)
		log_err("upki: job %" PRIu64 " (revoke serial %s) refused: %s", j->id,
		    j->old_serial_dec, detail);
	else
		log_warn("upki: job %" PRIu64 " rejected (%s): %s", j->id, type, detail);
	return job_report(u, t, j, ERR_REJECTED, NULL, &prob);
}
