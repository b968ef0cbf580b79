/*
 * upload.c: the upload of a batch of UPKI jobs: the TSV built from the jobs and
 * their "submitted" markers committed before anything is sent, then what the
 * answer page (or its absence) does to each job of the batch in one commit:
 * accepted, refused rows, transient faults with their back-off, outcome unknown.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autoconf.h"
#include "platform.h"
#include "store/records.h"
#include "store/store.h"
#include "upki/job.h"
#include "upki/session.h"
#include "upki/tsv_write.h"
#include "upki/upki_core.h"
#include "upki/upki_profile.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/timefmt.h"
#include "x509/pem.h"
#include "x509/x509.h"

struct upki_batch {
	struct upki *u;
	int kind;
	size_t n;
	uint64_t ids[UPKI_UPLOAD_ROWS_MAX];
	struct upki_tsv w;
	char *tsv;
	size_t cap;
	int64_t now;
	const struct upki_sess_result *res;
	unsigned accepted, refused, retried, unknown;
};

/*
 * A fault of the connection or a passing server error (the request may simply
 * be tried again): retried within seconds, backing off from
 * CONFIG_UPKI_RETRY_FAST_S. Refusals, rate limits and TLS or login trouble
 * wait from upki_retry_base.
 */
static int
fault_is_fast(const struct upki_sess_result *res)
{
	if (res->maintenance)
		return 0;
	if (res->dns_failed || upki_sess_conn_fault(res->rc))
		return 1;
	switch (res->rc) {
	case ERR_TIMEOUT:
	case ERR_AGAIN:
	case -ECONNREFUSED:
	case -ETIMEDOUT:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
		return 1;
	default:
		return 0;
	}
}

static int64_t
backoff_s(const struct config *cfg, uint32_t attempts, int fast)
{
	int64_t s = fast ? CONFIG_UPKI_RETRY_FAST_S : cfg->upki_retry_base_s;

	for (uint32_t i = 1; i < attempts && s < UPKI_BACKOFF_MAX_S; i++)
		s *= 2;
	return s > UPKI_BACKOFF_MAX_S ? UPKI_BACKOFF_MAX_S : s;
}

static enum upki_apply_type
kind_apply(int kind)
{
	return kind == REC_JOB_RENEW ? UPKI_APPLY_RENEW :
	    kind == REC_JOB_REVOKE ? UPKI_APPLY_REVOKE : UPKI_APPLY_NEW;
}

/* One row for j (order o for new/renew). 0, or ERR_REJECTED with why filled. */
static int
batch_row(struct upki_batch *b, const struct rec_job *j, const struct rec_order *o, char *why,
    size_t whysz)
{
	const struct config *cfg = b->u->cfg;
	struct upki_app a;
	struct upki_err e;
	struct x509_csr csr;
	char csr_pem[REC_CSR_MAX * 2];
	const char *names[REC_IDENT_N];
	char cn[REC_IDENT_MAX + 1] = "";
	int rc;

	memset(&a, 0, sizeof(a));
	a.type = kind_apply(j->kind);
	a.admin_email = cfg->upki_admin_email;
	if (j->kind == REC_JOB_REVOKE) {
		a.dn_raw = j->subject_dn;
		a.serial = j->old_serial_dec;
		a.reason = j->revoke_reason;
		a.comment = j->revoke_reason == UPKI_REVOKE_COMMENT_REQUIRED_FOR ?
		    "revoked through ACME (upki-acme)" : NULL;
	} else {
		if (o->n_idents == 0 || o->csr_len == 0) {
			snprintf(why, whysz, "order %" PRIu64 " holds no CSR", o->id);
			return ERR_REJECTED;
		}
		for (size_t i = 0; i < o->n_idents && i < REC_IDENT_N; i++)
			names[i] = o->idents[i].value;
		str_copy(cn, sizeof(cn), o->idents[0].value);
		rc = pem_encode(csr_pem, sizeof(csr_pem), "CERTIFICATE REQUEST", o->csr, o->csr_len);
		if (rc < 0 || x509_csr_parse(&csr, o->csr, o->csr_len) != 0) {
			snprintf(why, whysz, "the stored CSR of order %" PRIu64 " is unusable", o->id);
			return ERR_REJECTED;
		}
		a.dn.cn = cn;
		a.dn.o = cfg->upki_org;
		a.dn.l = cfg->upki_locality;
		a.dn.st = cfg->upki_state;
		a.dn.c = UPKI_DN_COUNTRY;
		a.profile_id = csr.key.type == X509_KEY_EC && cfg->upki_profile_ecc[0] ?
		    cfg->upki_profile_ecc : cfg->upki_profile;
		a.csr_pem = csr_pem;
		a.admin_name = cfg->upki_admin_name;
		a.admin_org = cfg->upki_admin_dept;
		a.software = cfg->upki_server_software[0] ? cfg->upki_server_software : "unknown";
		a.dnsnames = names;
		a.n_dnsnames = o->n_idents;
		a.serial = j->kind == REC_JOB_RENEW ? j->old_serial_dec : NULL;
	}
	rc = upki_tsv_append(&b->w, &a, &e);
	if (rc != 0) {
		snprintf(why, whysz, "the UPKI application cannot be written: %s%s%s",
		    e.column > 0 ? "column " : "", e.column > 0 ? "" : "", e.msg[0] ? e.msg :
		    err_str(rc));
		return rc == ERR_NOMEM ? ERR_NOMEM : ERR_REJECTED;
	}
	return 0;
}

struct build_arg {
	struct upki_batch *b;
	const uint64_t *ids;
	size_t n;
};

/* Build the TSV and commit the markers (state submitted, outcome unknown) in one go. */
static int
batch_build_fn(struct store_txn *t, void *arg)
{
	struct build_arg *ba = arg;
	struct upki_batch *b = ba->b;
	struct upki *u = b->u;
	static struct rec_order o;
	struct rec_job j;
	char why[400];
	int rc;

	b->n = 0;
	upki_tsv_init(&b->w, b->tsv, b->cap);
	for (size_t i = 0; i < ba->n && b->n < UPKI_UPLOAD_ROWS_MAX; i++) {
		if ((rc = store_job_get(t, ba->ids[i], &j)) != 0)
			return rc;
		if (!upki_job_pending(&j) || j.kind != b->kind)
			continue;
		memset(&o, 0, sizeof(o));
		if (j.kind != REC_JOB_REVOKE && (rc = store_order_get(t, j.order_id, &o)) != 0) {
			if (rc != ERR_NOTFOUND)
				return rc;
			if ((rc = upki_job_reject(u, t, &j, "serverInternal", "the order is gone",
			    b->now)) != 0)
				return rc;
			continue;
		}
		rc = batch_row(b, &j, &o, why, sizeof(why));
		if (rc == ERR_NOMEM)
			break;        /* the buffer is full: the rest waits for the next upload */
		if (rc != 0) {
			if ((rc = upki_job_reject(u, t, &j, "serverInternal", why, b->now)) != 0)
				return rc;
			continue;
		}
		j.state = REC_JOB_SUBMITTED;
		j.submitted_at = b->now;
		j.expected_at = 0;
		j.attempts++;
		j.next_attempt = b->now + u->cfg->upki_resubmit_grace_s;
		j.upki_app_id[0] = '\0';
		if ((rc = store_job_put(t, &j)) != 0)
			return rc;
		b->ids[b->n++] = j.id;
	}
	return 0;
}

/* Codes of the error lines about row (1-based); lines naming no valid row count for all. */
static int
row_codes(const struct upki_result *r, int row, int nrows, int *codes, int max)
{
	int n = 0;

	for (int k = 0; k < r->n_errors && n < max; k++)
		if (r->errors[k].row == row || r->errors[k].row < 1 || r->errors[k].row > nrows)
			codes[n++] = r->errors[k].code;
	return n;
}

static void
row_detail(const struct upki_result *r, int row, int nrows, char *out, size_t outsz)
{
	size_t o = 0;

	o += (size_t)snprintf(out, outsz, "UPKI refused the application");
	for (int k = 0; k < r->n_errors && o + 8 < outsz; k++) {
		const struct upki_result_error *e = &r->errors[k];

		if (e->row != row && e->row >= 1 && e->row <= nrows)
			continue;
		o += (size_t)snprintf(out + o, outsz - o, "%s %d %s: %s", o > 30 ? ";" : ":",
		    e->code, e->field, e->message);
	}
	if (o >= outsz)
		out[outsz - 1] = '\0';
}

static int
row_listed_ok(const struct upki_result *r, int row)
{
	for (int k = 0; k < r->n_rows; k++)
		if (r->rows[k].seq == row)
			return r->rows[k].ok ? 1 : -1;
	return 0;
}

static int
all_codes_in(const int *codes, int n, int a, int b)
{
	for (int i = 0; i < n; i++)
		if (codes[i] != a && codes[i] != b)
			return 0;
	return n > 0;
}

static int
batch_refused(struct upki_batch *b, struct store_txn *t, struct rec_job *j, int row)
{
	struct upki *u = b->u;
	const struct upki_result *r = &b->res->page;
	int codes[UPKI_RESULT_MAX_ERRORS], nc, nrows = (int)b->n;
	char detail[ISSUER_DETAIL_MAX], what[600];
	const char *type;

	nc = row_codes(r, row, nrows, codes, UPKI_RESULT_MAX_ERRORS);
	row_detail(r, row, nrows, what, sizeof(what));
	if (j->attempts > 1 && all_codes_in(codes, nc, UPKI_E_CSR_KEY_REUSED, UPKI_E_DN_EXISTS)) {
		/* An earlier upload may have arrived: wait for its certificate. */
		j->expected_at = b->now + u->cfg->upki_expected_delay_s;
		j->next_attempt = b->now + u->cfg->upki_resubmit_grace_s;
		str_copy(j->error, sizeof(j->error), what);
		log_info("upki: job %" PRIu64 ": UPKI knows this application already (attempt %"
		    PRIu32 "): waiting for its certificate", j->id, j->attempts);
		b->accepted++;
		return store_job_put(t, j);
	}
	if (j->attempts < (uint32_t)u->cfg->upki_max_attempts &&
	    ((j->kind == REC_JOB_NEW && all_codes_in(codes, nc, UPKI_E_DN_EXISTS, UPKI_E_DN_EXISTS)) ||
	    (j->kind == REC_JOB_RENEW &&
	    all_codes_in(codes, nc, UPKI_E_SERIAL_UNKNOWN, UPKI_E_SERIAL_STATE)))) {
		/* 更新 needed, or the old serial is stale: the next bulk TSV names the serial. */
		j->kind = REC_JOB_RENEW;
		j->old_serial_dec[0] = '\0';
		j->state = REC_JOB_QUEUED;
		j->next_attempt = 0;
		j->expected_at = 0;
		str_copy(j->error, sizeof(j->error), what);
		log_info("upki: job %" PRIu64 ": %s: renewing; the bulk TSV will name the serial",
		    j->id, what);
		b->retried++;
		return store_job_put(t, j);
	}
	b->refused++;
	type = nc > 0 ? upki_err_to_acme(codes[0]) : "serverInternal";
	if (j->kind == REC_JOB_REVOKE && nc > 0 && codes[0] == UPKI_E_REVOKE_STATE) {
		snprintf(detail, sizeof(detail), "%s (UPKI revokes no certificate in state 4, "
		    "発行案内メール送信済み, i.e. taken from the bulk list: the RA officer revokes it, "
		    "or the administrator downloads it once through the mailed URL first)", what);
	} else if (strcmp(type, "badCSR") == 0) {
		char cn[REC_IDENT_MAX + 1] = "";
		const char *eq = strstr(j->subject_dn, "CN=");

		if (eq != NULL) {
			size_t k = 0;

			for (eq += 3; *eq && *eq != ',' && k + 1 < sizeof(cn); eq++)
				cn[k++] = *eq;
			cn[k] = '\0';
		}
		upki_csr_advice(u->cfg, cn, what, detail, sizeof(detail));
	} else {
		str_copy(detail, sizeof(detail), what);
	}
	return upki_job_reject(u, t, j, type, detail, b->now);
}

static int
batch_transient(struct upki_batch *b, struct store_txn *t, struct rec_job *j)
{
	struct upki *u = b->u;
	char since[TIMEFMT_RFC3339_LEN], detail[ISSUER_DETAIL_MAX];

	if (j->attempts >= (uint32_t)u->cfg->upki_max_attempts) {
		timefmt_rfc3339(since, sizeof(since), j->created);
		snprintf(detail, sizeof(detail), "UPKI unreachable since %s (%" PRIu32 " attempts): "
		    "%s", since, j->attempts, b->res->why);
		b->refused++;
		return upki_job_reject(u, t, j, "serverInternal", detail, b->now);
	}
	j->state = REC_JOB_FAILED;
	j->next_attempt = b->now + backoff_s(u->cfg, j->attempts, fault_is_fast(b->res));
	str_copy(j->error, sizeof(j->error), b->res->why);
	b->retried++;
	return store_job_put(t, j);
}

/*
 * UPKI had the whole upload but no answer came: the job stays submitted with
 * its outcome unknown, and the next complete bulk TSV settles it (the
 * application listed: confirmed; no trace: uploaded again, see poll.c).
 */
static int
batch_unknown(struct upki_batch *b, struct store_txn *t, struct rec_job *j)
{
	b->unknown++;
	j->expected_at = 0;
	j->next_attempt = b->now;
	j->error[0] = '\0';
	log_info("upki: job %" PRIu64 ": upload outcome unknown (%s): the next bulk TSV tells "
	    "whether UPKI has it", j->id, b->res->why);
	return store_job_put(t, j);
}

static int
batch_accept(struct upki_batch *b, struct store_txn *t, struct rec_job *j)
{
	b->accepted++;
	j->error[0] = '\0';
	if (j->kind == REC_JOB_REVOKE) {
		struct rec_cert c;
		int rc;

		j->state = REC_JOB_ISSUED;
		log_info("upki: job %" PRIu64 ": UPKI accepted the revocation of serial %s", j->id,
		    j->old_serial_dec);
		/* The CA has the revocation: the certificate shows revoked (ACME, ARI) from now on. */
		if (j->cert_id != 0 && store_cert_get(t, j->cert_id, &c) == 0 &&
		    c.status != REC_CERT_REVOKED) {
			c.status = REC_CERT_REVOKED;
			c.reason = j->revoke_reason;
			c.revoked_at = b->now;
			if ((rc = store_cert_put(t, &c)) != 0)
				return rc;
		}
	} else {
		j->expected_at = j->submitted_at + b->u->cfg->upki_expected_delay_s;
		j->next_attempt = 0;
	}
	return store_job_put(t, j);
}

static int
batch_apply_fn(struct store_txn *t, void *arg)
{
	struct upki_batch *b = arg;
	const struct upki_sess_result *res = b->res;
	struct rec_job j;
	int codes[1], rc;

	b->accepted = b->refused = b->retried = b->unknown = 0;
	for (size_t i = 0; i < b->n; i++) {
		int row = (int)i + 1, listed;

		if ((rc = store_job_get(t, b->ids[i], &j)) != 0)
			return rc;
		if (j.state != REC_JOB_SUBMITTED)
			continue;
		if (res->rc == 0) {
			rc = batch_accept(b, t, &j);
		} else if (res->rc == ERR_REJECTED && res->page_parsed) {
			listed = row_listed_ok(&res->page, row);
			if (row_codes(&res->page, row, (int)b->n, codes, 1) > 0 || listed < 0)
				rc = batch_refused(b, t, &j, row);
			else if (listed > 0)
				rc = batch_accept(b, t, &j);
			else
				rc = 0;   /* not listed: outcome unknown, the bulk TSV will tell */
		} else if (res->outcome_unknown) {
			rc = batch_unknown(b, t, &j);
		} else {
			rc = batch_transient(b, t, &j);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
upki_upload_free(struct upki_batch *b)
{
	free(b ? b->tsv : NULL);
	free(b);
}

static void
batch_free(struct upki_batch *b)
{
	if (b == NULL)
		return;
	free(b->tsv);
	free(b);
}

int
upki_upload_finish(struct upki_batch *b, const struct upki_sess_result *res)
{
	struct upki *u = b->u;
	int rc;

	b->res = res;
	b->now = u->now();
	if (res->rc != 0 && res->rc != ERR_REJECTED)
		u->st.upload_failures++;
	rc = store_write(u->store, batch_apply_fn, b);
	if (rc != 0)
		log_err("upki: cannot record the upload result: %s", err_str(rc));
	else
		log_info("upki: upload of %zu %s application(s): %u accepted, %u refused, %u to retry, "
		    "%u unknown%s%s", b->n, b->kind == REC_JOB_RENEW ? "renewal" :
		    b->kind == REC_JOB_REVOKE ? "revocation" : "new", b->accepted, b->refused,
		    b->retried, b->unknown, res->rc != 0 ? ": " : "", res->rc != 0 ? res->why : "");
	batch_free(b);
	return rc;
}

static void
upload_done_cb(void *arg, const struct upki_sess_result *res)
{
	struct upki_batch *b = arg;
	struct upki *u = b->u;

	if (u->crash_after) {
		log_warn("upki: UPKI_TEST_CRASH_AFTER_UPLOAD: exiting after the upload (%s)",
		    err_str(res->rc));
		_exit(137);
	}
	u->busy = 0;
	u->batch = NULL;
	if (res->rc == ERR_DENIED || res->rc == ERR_TLS)
		upki_sess_reset(u->sess);
	upki_upload_finish(b, res);
	upki_sched_soon(u);
}

int
upki_upload_prepare(struct upki *u, int kind, const uint64_t *ids, size_t n,
    struct upki_batch **out, const void **tsv, size_t *len)
{
	struct upki_batch *b = calloc(1, sizeof(*b));
	struct build_arg ba;
	int rc;

	*out = NULL;
	if (b == NULL)
		return ERR_NOMEM;
	b->u = u;
	b->kind = kind;
	b->cap = (size_t)UPKI_UPLOAD_ROWS_MAX * 4096;
	b->tsv = malloc(b->cap);
	if (b->tsv == NULL) {
		batch_free(b);
		return ERR_NOMEM;
	}
	b->now = u->now();
	ba.b = b;
	ba.ids = ids;
	ba.n = n;
	if ((rc = store_write(u->store, batch_build_fn, &ba)) != 0) {
		batch_free(b);
		return rc;
	}
	if (b->n == 0) {
		batch_free(b);
		return 1;
	}
	*out = b;
	*tsv = b->w.buf;
	*len = b->w.len;
	return 0;
}

size_t
upki_upload_rows(const struct upki_batch *b)
{
	return b->n;
}

int
upki_upload_start(struct upki *u, int kind, const uint64_t *ids, size_t n)
{
	struct upki_batch *b = NULL;
	const void *tsv = NULL;
	size_t len = 0;
	int rc = upki_upload_prepare(u, kind, ids, n, &b, &tsv, &len);

	if (rc != 0)
		return rc;
	if (u->crash_before) {
		log_warn("upki: UPKI_TEST_CRASH_BEFORE_UPLOAD: exiting before the upload");
		_exit(137);
	}
	log_info("upki: uploading %zu %s application(s) (%zu bytes)", b->n,
	    kind == REC_JOB_RENEW ? "renewal" : kind == REC_JOB_REVOKE ? "revocation" : "new", len);
	u->st.uploads++;
	rc = upki_sess_upload(u->sess, kind_apply(kind), tsv, len, upload_done_cb, b);
	if (rc != 0) {
		/* Nothing was sent: the jobs wait for their back-off, not for the grace period. */
		static struct upki_sess_result res;

		memset(&res, 0, sizeof(res));
		res.rc = rc;
		snprintf(res.why, sizeof(res.why), "cannot start the upload: %s", err_str(rc));
		upki_upload_finish(b, &res);
		return rc;
	}
	u->busy = 1;
	u->batch = b;
	return 0;
}
