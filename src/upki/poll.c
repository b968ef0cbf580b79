/*
 * One bulk download of UPKI's certificate list serves every pending job. The
 * TSV (possibly hundreds of MB) is streamed through the bulk parser; each row
 * is looked up by its DN in a hash of the pending jobs, and only rows of a
 * pending DN get their certificate decoded. A row completes a job when its
 * certificate carries the job's public key and names; rows without a
 * certificate tell whether an application arrived (crash recovery) or failed.
 * Certificates are stored while the download runs (a few per commit); the
 * decisions that need the whole list (resubmit, give up, renewal serial) are
 * taken only when the list was read to its end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "store/records.h"
#include "store/store.h"
#include "upki/job.h"
#include "upki/poll.h"
#include "upki/session.h"
#include "upki/tsv_bulk.h"
#include "upki/upki_core.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "x509/pem.h"
#include "x509/x509.h"

struct pend {
	struct rec_job j;
	char canon[REC_DN_MAX + 1];
	uint32_t next;                     /* bucket chain: index + 1, 0 ends */
	unsigned char done;                /* issued or rejected during this poll */
	unsigned char need_lookup;         /* renewal without the old serial */
	unsigned char failed_row;          /* its application failed at UPKI */
	char app_id[REC_APP_ID_MAX + 1];   /* bound during this poll */
	char fail_text[200];
	char found_serial[REC_SERIAL_DEC_MAX + 1];
	int64_t found_time;
};

struct completion {
	uint32_t idx;
	char app_id[REC_APP_ID_MAX + 1];
	size_t der_len;
	unsigned char der[REC_DER_MAX];
};

struct upki_poll {
	struct upki *u;
	int64_t now;
	struct pend *p;                     /* the pending jobs, grown as read */
	size_t n, cap;
	uint32_t *heads;
	size_t nb;                          /* power of two */
	struct upki_bulk *parser;
	struct completion *comp;
	size_t ncomp;
	unsigned long completed, rejected, resubmitted;
	int store_err;
	unsigned char der[X509_DER_MAX];
	/* the current row's certificate */
	uint8_t row_spki[REC_SHA256_LEN], row_names[REC_SHA256_LEN];
	size_t row_der_len;
};

static uint32_t
poll_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static int
poll_row_cb(void *arg, const struct upki_bulk_row *row);

struct begin_arg {
	struct upki_poll *p;
	uint64_t *ids;
};

static int
poll_begin_fn(struct store_txn *t, void *arg)
{
	struct begin_arg *ba = arg;
	struct upki_poll *p = ba->p;
	const unsigned states[] = { REC_JOB_SUBMITTED, REC_JOB_QUEUED, REC_JOB_FAILED };
	int rc;

	p->n = 0;
	for (size_t s = 0; s < 3; s++) {
		size_t n = 0;

		rc = store_job_list_by_state(t, states[s], 0, ba->ids, CONFIG_UPKI_MAX_JOBS, &n);
		if (rc != 0)
			return rc;
		for (size_t i = 0; i < n && p->n < CONFIG_UPKI_MAX_JOBS; i++) {
			struct pend *q;

			if (p->n == p->cap) {
				size_t cap = p->cap ? 2 * p->cap : 16;
				struct pend *v = realloc(p->p, cap * sizeof(*v));

				if (v == NULL)
					return ERR_NOMEM;
				p->p = v;
				p->cap = cap;
			}
			q = &p->p[p->n];
			memset(q, 0, sizeof(*q));
			if ((rc = store_job_get(t, ba->ids[i], &q->j)) != 0)
				return rc;
			if (q->j.kind == REC_JOB_REVOKE)
				continue;
			q->need_lookup = q->j.kind == REC_JOB_RENEW && q->j.old_serial_dec[0] == '\0' &&
			    q->j.state != REC_JOB_SUBMITTED;
			if (q->j.state != REC_JOB_SUBMITTED && q->j.attempts == 0 && !q->need_lookup)
				continue;
			if (upki_dn_canon(q->j.subject_dn, q->canon, sizeof(q->canon)) != 0)
				continue;
			p->n++;
		}
	}
	return 0;
}

int
upki_poll_begin(struct upki *u, struct upki_poll **out, int64_t now)
{
	struct upki_poll *p = calloc(1, sizeof(*p));
	struct begin_arg ba = { p, NULL };
	int rc;

	*out = NULL;
	if (p == NULL)
		return ERR_NOMEM;
	p->u = u;
	p->now = now;
	ba.ids = calloc(CONFIG_UPKI_MAX_JOBS, sizeof(*ba.ids));
	p->parser = malloc(sizeof(*p->parser));
	p->comp = calloc(UPKI_COMPLETE_BATCH, sizeof(*p->comp));
	if (ba.ids == NULL || p->parser == NULL || p->comp == NULL) {
		rc = ERR_NOMEM;
		goto fail;
	}
	if ((rc = store_read(u->store, poll_begin_fn, &ba)) != 0)
		goto fail;
	for (p->nb = 16; p->nb < 2 * p->n; p->nb *= 2)
		;
	p->heads = calloc(p->nb, sizeof(*p->heads));
	if (p->heads == NULL) {
		rc = ERR_NOMEM;
		goto fail;
	}
	for (size_t i = 0; i < p->n; i++) {
		uint32_t b = poll_hash(p->p[i].canon) & (uint32_t)(p->nb - 1);

		p->p[i].next = p->heads[b];
		p->heads[b] = (uint32_t)i + 1;
	}
	upki_bulk_init(p->parser, poll_row_cb, p);
	free(ba.ids);
	*out = p;
	return 0;
fail:
	free(ba.ids);
	upki_poll_free(p);
	return rc;
}

void
upki_poll_free(struct upki_poll *p)
{
	if (p == NULL)
		return;
	free(p->p);
	free(p->heads);
	free(p->parser);
	free(p->comp);
	free(p);
}

/* ---- completions, stored a few at a time while the list streams ---- */

static int
poll_flush_fn(struct store_txn *t, void *arg)
{
	struct upki_poll *p = arg;

	for (size_t i = 0; i < p->ncomp; i++) {
		struct completion *c = &p->comp[i];
		int rc = upki_job_issue(p->u, t, p->p[c->idx].j.id, c->der, c->der_len, c->app_id,
		    p->now, NULL);

		if (rc == ERR_MALFORMED || rc == ERR_RANGE) {
			log_warn("upki: job %" PRIu64 ": UPKI's certificate is unusable: %s",
			    p->p[c->idx].j.id, err_str(rc));
			continue;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void
poll_flush(struct upki_poll *p)
{
	int rc;

	if (p->ncomp == 0)
		return;
	rc = store_write(p->u->store, poll_flush_fn, p);
	if (rc != 0) {
		log_err("upki: cannot store %zu issued certificate(s): %s (next poll retries)",
		    p->ncomp, err_str(rc));
		p->store_err = rc;
		for (size_t i = 0; i < p->ncomp; i++)
			p->p[p->comp[i].idx].done = 0;
	} else {
		p->completed += p->ncomp;
		p->u->st.issued += p->ncomp;
	}
	p->ncomp = 0;
}

static void
poll_complete(struct upki_poll *p, uint32_t idx, const char *app_id)
{
	struct completion *c = &p->comp[p->ncomp++];

	c->idx = idx;
	str_copy(c->app_id, sizeof(c->app_id), app_id);
	memcpy(c->der, p->der, p->row_der_len);
	c->der_len = p->row_der_len;
	p->p[idx].done = 1;
	if (p->ncomp == UPKI_COMPLETE_BATCH)
		poll_flush(p);
}

/* ---- rows ---- */

/* Decode the row's (first) certificate: 1 usable, 0 none or unusable. */
static int
poll_row_cert(struct upki_poll *p, const struct upki_bulk_row *row)
{
	struct x509_cert xc;
	char label[PEM_LABEL_MAX + 1];
	size_t pos = 0, len = 0;

	if (!(row->have & UPKI_BULK_HAVE_CERT) || row->cert_pem_len == 0)
		return 0;
	if (pem_decode(row->cert_pem, row->cert_pem_len, &pos, label, sizeof(label), p->der,
	    sizeof(p->der), &len) != 0 || len > REC_DER_MAX)
		return 0;
	if (x509_cert_parse(&xc, p->der, len) != 0)
		return 0;
	x509_spki_hash(xc.key.spki.p, xc.key.spki.len, p->row_spki);
	if (upki_cert_names_hash(&xc, p->row_names) != 0)
		return 0;
	p->row_der_len = len;
	return 1;
}

static int
kind_matches(const struct pend *q, int row_kind)
{
	if (row_kind == UPKI_APPLY_REVOKE)
		return 0;
	return row_kind == 0 || (q->j.kind == REC_JOB_RENEW) == (row_kind == UPKI_APPLY_RENEW) ||
	    q->j.attempts > 1;
}

static int
app_claimed(const struct upki_poll *p, uint32_t first, const char *canon, const char *app_id)
{
	for (uint32_t k = first; k != 0; k = p->p[k - 1].next) {
		const struct pend *o = &p->p[k - 1];

		if (strcmp(o->canon, canon) != 0)
			continue;
		if (strcmp(o->j.upki_app_id, app_id) == 0 || strcmp(o->app_id, app_id) == 0)
			return 1;
	}
	return 0;
}

static int
poll_row_cb(void *arg, const struct upki_bulk_row *row)
{
	struct upki_poll *p = arg;
	char canon[REC_DN_MAX + 1];
	uint32_t first, cand = 0;
	int have_cert = -1, usable, ncand = 0;

	if (row->err != 0 || row->dn[0] == '\0')
		return 0;
	if (upki_dn_canon(row->dn, canon, sizeof(canon)) != 0)
		return 0;
	first = p->heads[poll_hash(canon) & (uint32_t)(p->nb - 1)];
	usable = row->state == UPKI_CERT_MAILED || row->state == UPKI_CERT_DOWNLOADED;
	for (uint32_t k = first; k != 0; k = p->p[k - 1].next) {
		struct pend *q = &p->p[k - 1];
		int bound;

		if (q->done || strcmp(q->canon, canon) != 0)
			continue;
		if (have_cert < 0)
			have_cert = poll_row_cert(p, row);
		if (have_cert && usable &&
		    memcmp(p->row_spki, q->j.spki_sha256, REC_SHA256_LEN) == 0) {
			if (memcmp(p->row_names, q->j.names_sha256, REC_SHA256_LEN) == 0) {
				poll_complete(p, k - 1, row->app_id);
				return 0;
			}
			/* Our key, other names: not a certificate for this order, and UPKI
			 * will not certify the key again. Say so instead of waiting. */
			q->failed_row = 1;
			snprintf(q->fail_text, sizeof(q->fail_text), "UPKI certified this key with "
			    "other names (serial %s: %.80s) than the order's", row->serial,
			    row->dnsnames);
			continue;
		}
		if (q->need_lookup && usable && row->serial[0] != '\0') {
			int64_t t = row->have & UPKI_BULK_HAVE_NOT_BEFORE ? row->not_before :
			    row->have & UPKI_BULK_HAVE_APPLIED ? row->applied_at : 0;

			if (q->found_serial[0] == '\0' || t >= q->found_time) {
				str_copy(q->found_serial, sizeof(q->found_serial), row->serial);
				q->found_time = t;
			}
		}
		if (q->j.attempts == 0 || row->app_id[0] == '\0')
			continue;
		bound = (q->j.upki_app_id[0] != '\0' && strcmp(q->j.upki_app_id, row->app_id) == 0) ||
		    (q->app_id[0] != '\0' && strcmp(q->app_id, row->app_id) == 0);
		if (bound) {
			if (have_cert && usable) {
				log_warn("upki: job %" PRIu64 ": application %s got a certificate for "
				    "another key: not ours", q->j.id, row->app_id);
				q->app_id[0] = '\0';
				q->j.upki_app_id[0] = '\0';
			} else if (row->state == UPKI_CERT_ERROR) {
				q->failed_row = 1;
				snprintf(q->fail_text, sizeof(q->fail_text), "UPKI could not issue the "
				    "certificate: application %s is in state %d", row->app_id,
				    row->state_raw);
			}
			return 0;
		}
		/* An application of this DN since the job exists, not yet tied to a job. */
		if (q->j.upki_app_id[0] == '\0' && q->app_id[0] == '\0' &&
		    !(have_cert && usable) && kind_matches(q, row->kind) &&
		    (row->have & UPKI_BULK_HAVE_APPLIED) &&
		    row->applied_at >= q->j.created - UPKI_CLOCK_SKEW_S &&
		    (row->state == UPKI_CERT_PROCESSING || row->state == UPKI_CERT_ERROR) &&
		    !app_claimed(p, first, canon, row->app_id)) {
			ncand++;
			cand = k;
		}
	}
	if (ncand == 1) {
		struct pend *q = &p->p[cand - 1];

		str_copy(q->app_id, sizeof(q->app_id), row->app_id);
		if (row->state == UPKI_CERT_ERROR) {
			q->failed_row = 1;
			snprintf(q->fail_text, sizeof(q->fail_text), "UPKI could not issue the "
			    "certificate: application %s is in state %d", row->app_id, row->state_raw);
		}
	}
	return 0;
}

int
upki_poll_feed(struct upki_poll *p, const void *data, size_t n)
{
	return upki_bulk_feed(p->parser, data, n);
}

/* ---- decisions that need the whole list ---- */

static int
poll_decide_fn(struct store_txn *t, void *arg)
{
	struct upki_poll *p = arg;
	struct upki *u = p->u;
	const struct config *cfg = u->cfg;
	char detail[ISSUER_DETAIL_MAX];
	struct rec_job j;
	int rc;

	p->rejected = p->resubmitted = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct pend *q = &p->p[i];
		int changed = 0;

		if (q->done)
			continue;
		if ((rc = store_job_get(t, q->j.id, &j)) != 0)
			return rc;
		if (j.state != REC_JOB_SUBMITTED && j.state != REC_JOB_QUEUED &&
		    j.state != REC_JOB_FAILED)
			continue;
		if (q->failed_row) {
			str_copy(j.upki_app_id, sizeof(j.upki_app_id), q->app_id[0] ? q->app_id :
			    j.upki_app_id);
			if ((rc = upki_job_reject(u, t, &j, "serverInternal", q->fail_text, p->now)) != 0)
				return rc;
			p->rejected++;
			continue;
		}
		if (q->need_lookup && j.kind == REC_JOB_RENEW && j.old_serial_dec[0] == '\0') {
			if (q->found_serial[0] != '\0') {
				str_copy(j.old_serial_dec, sizeof(j.old_serial_dec), q->found_serial);
				log_info("upki: job %" PRIu64 ": renewing %s, serial %s", j.id,
				    j.subject_dn, j.old_serial_dec);
				changed = 1;
			} else {
				snprintf(detail, sizeof(detail), "UPKI has issued %s before (so a renewal "
				    "is needed) but lists no certificate of it in state 4 or 5 to renew%s%s",
				    j.subject_dn, j.error[0] ? ": " : "", j.error);
				if ((rc = upki_job_reject(u, t, &j, "serverInternal", detail, p->now)) != 0)
					return rc;
				p->rejected++;
				continue;
			}
		}
		if (q->app_id[0] != '\0' && j.upki_app_id[0] == '\0') {
			/* The application arrived: confirmed, whatever the answer page said. */
			str_copy(j.upki_app_id, sizeof(j.upki_app_id), q->app_id);
			if (j.state != REC_JOB_SUBMITTED || j.expected_at == 0)
				j.expected_at = (j.state == REC_JOB_SUBMITTED ? j.submitted_at : p->now) +
				    cfg->upki_expected_delay_s;
			j.state = REC_JOB_SUBMITTED;
			j.next_attempt = 0;
			j.error[0] = '\0';
			log_info("upki: job %" PRIu64 " is UPKI application %s", j.id, j.upki_app_id);
			changed = 1;
		} else if (j.state == REC_JOB_SUBMITTED && j.upki_app_id[0] == '\0' &&
		    (j.expected_at == 0 || j.error[0] != '\0') && j.next_attempt != 0 &&
		    p->now >= j.next_attempt) {
			if (j.error[0] != '\0') {
				/* UPKI refused a repeat as known, and no trace of the first: give up. */
				str_copy(detail, sizeof(detail), j.error);
				if ((rc = upki_job_reject(u, t, &j, "badCSR", detail, p->now)) != 0)
					return rc;
				p->rejected++;
				continue;
			}
			log_warn("upki: job %" PRIu64 ": no trace of its upload of %" PRId64 " s ago in "
			    "UPKI's bulk TSV: uploading again", j.id, p->now - j.submitted_at);
			j.state = REC_JOB_QUEUED;
			j.next_attempt = 0;
			p->resubmitted++;
			changed = 1;
		} else if (j.state == REC_JOB_SUBMITTED && j.expected_at != 0 &&
		    p->now >= j.created + cfg->upki_max_wait_s) {
			snprintf(detail, sizeof(detail), "UPKI has not issued the certificate within %d "
			    "hours of the application%s%s", cfg->upki_max_wait_s / 3600,
			    j.upki_app_id[0] ? " " : "", j.upki_app_id);
			if ((rc = upki_job_reject(u, t, &j, "serverInternal", detail, p->now)) != 0)
				return rc;
			p->rejected++;
			continue;
		}
		if (changed && (rc = store_job_put(t, &j)) != 0)
			return rc;
	}
	return 0;
}

int
upki_poll_end(struct upki_poll *p, int complete)
{
	struct upki *u = p->u;
	int rc = complete ? upki_bulk_finish(p->parser) : 0;

	poll_flush(p);
	if (complete && rc == 0 && p->store_err == 0) {
		int e = store_write(u->store, poll_decide_fn, p);

		if (e != 0)
			log_err("upki: cannot record the poll's decisions: %s", err_str(e));
		u->st.rejected += p->rejected;
		u->st.bulk_downloads++;
		u->st.bulk_rows = p->parser->rows_good + p->parser->rows_bad;
		log_info("upki: bulk download %lu: %lu rows, %lu jobs completed, %lu rejected, "
		    "%lu resubmitted, %zu were pending%s", u->st.bulk_downloads, u->st.bulk_rows,
		    p->completed, p->rejected, p->resubmitted, p->n,
		    p->parser->rows_bad ? " (some rows unreadable)" : "");
	} else if (rc == 0 && p->store_err != 0) {
		rc = p->store_err;
	}
	upki_poll_free(p);
	return rc;
}

/* ---- over the network ---- */

static int
poll_data_cb(void *arg, const unsigned char *data, size_t n)
{
	struct upki_poll *p = arg;

	return upki_poll_feed(p, data, n);
}

static void
poll_done_cb(void *arg, const struct upki_sess_result *res)
{
	struct upki_poll *p = arg;
	struct upki *u = p->u;
	unsigned long before = u->st.bulk_downloads;
	int rc;

	u->busy = 0;
	u->poll = NULL;
	/* The rate limit counts from the end of a download: the server may count from
	 * the request's arrival, which comes later than our start. */
	u->last_bulk_ms = platform_mono_ms();
	rc = upki_poll_end(p, res->rc == 0);
	if (res->rc != 0)
		rc = res->rc;
	if (rc == 0 && u->st.bulk_downloads > before) {
		u->bulk_fail_streak = 0;
	} else {
		u->st.bulk_failures++;
		u->bulk_fail_streak++;
		log_warn("upki: bulk download failed (%s)%s%s: backing off", err_str(rc),
		    res->why[0] ? ": " : "", res->why);
		/* An HTML answer may be the login page of an expired session. */
		if (rc == ERR_PROTOCOL || rc == ERR_DENIED || rc == ERR_TLS || rc == ERR_MALFORMED)
			upki_sess_reset(u->sess);
	}
	upki_sched_soon(u);
}

int
upki_poll_start(struct upki *u)
{
	struct upki_poll *p = NULL;
	int rc = upki_poll_begin(u, &p, u->now());

	if (rc != 0)
		return rc;
	u->last_bulk_ms = platform_mono_ms();
	u->have_last_bulk = 1;
	rc = upki_sess_bulk(u->sess, poll_data_cb, poll_done_cb, p);
	if (rc != 0) {
		upki_poll_free(p);
		u->st.bulk_failures++;
		u->bulk_fail_streak++;
		return rc;
	}
	u->busy = 1;
	u->poll = p;
	log_debug("upki: bulk download for %zu pending job(s)", p->n);
	return 0;
}
