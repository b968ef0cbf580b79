/*
 * job.h: UPKI jobs in the store: names and DNs (dn.c), the policy check,
 * job creation, joins, revocation and the issued/rejected transitions
 * (job.c), and the upload of a batch (upload.c). Below: upki_core.h (the
 * context) and session.h (the upload itself); above: poll.c and backend.c.
 */
#ifndef UPKI_JOB_H
#define UPKI_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "acme/issuer.h"
#include "store/records.h"
#include "upki/session.h"

struct config;
struct store_txn;
struct upki;
struct upki_batch;
struct x509_cert;

#define UPKI_JOIN_MAX 64             /* orders waiting on one job besides its own */
#define UPKI_BACKOFF_MAX_S 3600      /* longest wait between two tries */

/* SHA-256 over the sorted, lower-cased, de-duplicated names, each followed by '\n'. */
int upki_names_hash(const char *const *names, size_t n, uint8_t out[REC_SHA256_LEN]);
/* The same over a certificate's subject CN and SAN dNSNames. */
int upki_cert_names_hash(const struct x509_cert *c, uint8_t out[REC_SHA256_LEN]);

/* The UPKI subject DN for cn with the configured institution. 0 or an error. */
int upki_subject_dn(const struct config *cfg, const char *cn, char *out, size_t outsz,
    char *why, size_t whysz);
/* Canonical form of a DN string for comparisons: "CN=..,OU=..,O=..,L=..,ST=..,C=..". */
int upki_dn_canon(const char *dn, char *out, size_t outsz);

/*
 * The advice of a badCSR problem: the exact openssl and client commands that
 * make a CSR UPKI accepts for cn, after the sentence what (may be "").
 */
void upki_csr_advice(const struct config *cfg, const char *cn, const char *what, char *out,
    size_t outsz);

/* issuer ops (backend.c calls them through the vtable). */
int upki_job_check(struct upki *u, const struct issuer_request *rq, struct issuer_problem *prob);
int upki_job_submit(struct upki *u, struct store_txn *t, const struct issuer_request *rq,
    uint64_t *job_id, int *already_issued, uint64_t *cert_id);
int upki_job_revoke(struct upki *u, struct store_txn *t, const struct rec_cert *cert,
    int reason, struct issuer_problem *prob);

/* Orders that joined job_id (besides job->order_id): add, list, drop. */
int upki_join_add(struct store_txn *t, uint64_t job_id, uint64_t order_id);
int upki_join_list(struct store_txn *t, uint64_t job_id, uint64_t *ids, size_t max, size_t *n);

/* 1 while j still waits on UPKI (queued, submitted or failed for a new try), else 0. */
int upki_job_pending(const struct rec_job *j);

/*
 * Inside t: store the certificate der for job_id, mark the job issued (app_id
 * may be ""), update the DN record, and report every order of the job through
 * u->is.ev.issued. A job that is no longer pending is left alone (0).
 * *cert_out (may be NULL) gets the stored certificate.
 */
int upki_job_issue(struct upki *u, struct store_txn *t, uint64_t job_id,
    const unsigned char *der, size_t der_len, const char *app_id, int64_t now,
    struct rec_cert *cert_out);
/* Inside t: give the job up and fail its orders with type/detail. */
int upki_job_reject(struct upki *u, struct store_txn *t, struct rec_job *j, const char *type,
    const char *detail, int64_t now);

/*
 * Start uploading the jobs ids[0..n) of kind (REC_JOB_*; others are skipped):
 * builds the TSV, commits the "submitted" markers, then uploads. 0 when the
 * upload started (u->busy set), 1 when nothing was left to upload (jobs
 * rejected while building), or an error.
 */
int upki_upload_start(struct upki *u, int kind, const uint64_t *ids, size_t n);
/* Free a batch whose upload was dropped (shutdown). NULL is ignored. */
void upki_upload_free(struct upki_batch *b);
/*
 * The two halves of upki_upload_start (unit tests use them without a network):
 * prepare builds the TSV (*tsv, *len valid while *out lives) and commits the
 * markers (0; 1 when no row was left; or an error); finish applies the answer
 * res to every job of the batch in one commit and frees the batch.
 */
int upki_upload_prepare(struct upki *u, int kind, const uint64_t *ids, size_t n,
    struct upki_batch **out, const void **tsv, size_t *len);
int upki_upload_finish(struct upki_batch *b, const struct upki_sess_result *res);
size_t upki_upload_rows(const struct upki_batch *b);

#endif
