/*
 * upki_int.h: shared by the backend files of src/upki/ (backend.c, job.c,
 * session.c, poll.c, chain.c, upki_test.c) and their unit tests only.
 */
#ifndef UPKI_UPKI_INT_H
#define UPKI_UPKI_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "acme/issuer.h"
#include "store/records.h"
#include "upki/result_page.h"
#include "upki/upki_profile.h"
#include "upki/upki.h"
#include "util/buf.h"

struct event_base;
struct event;
struct tls_client;
struct config;
struct store;
struct store_txn;
struct x509_cert;

/*
 * Choices of this backend that are not facts about UPKI (tags as in
 * upki_profile.h). The wire paths below belong with the facts in
 * upki_profile.h; they sit here until its owner takes them.
 */
#define UPKI_UPLOAD_ROWS_MAX 50      /* [I] rows per uploaded TSV (the sim takes 200) */
#define UPKI_ERRORFLG_PER_ROW "2"    /* [X] errorFlg 2: refuse only the bad rows */
#define UPKI_CLOCK_SKEW_S 600        /* [I] UPKI's clock vs ours when reading 申請日時 */
#define UPKI_LOGIN_MAX 2             /* new logins after a lost session, per operation */
#define UPKI_RESEND_MAX 3            /* requests sent again at once, per operation */
#define UPKI_JOIN_MAX 64             /* orders waiting on one job besides its own */
#define UPKI_PAGE_MAX (1u << 20)     /* an HTML answer */
#define UPKI_BACKOFF_MAX_S 3600      /* longest wait between two tries */
#define UPKI_COMPLETE_BATCH 16       /* certificates stored per commit while streaming */

/* Web-app paths and form names: upki_profile.h (one place for every [I]/[X] fact). */
#define UPKI_COOKIE_MAX 512

/* Where the UPKI web application is, from upki_url and upki_connect. */
struct upki_endpoint {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char addr_text[80];
	char host[272];       /* Host header: "host" or "host:port" */
	char sni[256];        /* server name sent and checked; "" for an IP literal */
	char base[128];       /* path prefix without trailing '/', e.g. "/upki-odcert" */
};

/* 0, or ERR_CONFIG with err filled. */
int upki_endpoint_parse(struct upki_endpoint *ep, const struct config *cfg, char *err,
    size_t errsz);

/* ---- session.c: the HTTPS web-app session ---- */

struct upki_sess;

/* Outcome of one operation (login, upload, bulk download). */
struct upki_sess_result {
	int rc;                 /* 0, or why it failed (see below) */
	int status;             /* last HTTP status, 0 when none arrived */
	int tls_error;          /* BearSSL error when rc == ERR_TLS */
	int page_parsed;        /* upload: page holds the parsed answer */
	/*
	 * Upload: the request reached UPKI in full but no answer came (timeout,
	 * reset, close): UPKI may or may not have the applications. Only its
	 * own state (the bulk TSV) can tell; never upload again blindly.
	 */
	int outcome_unknown;
	unsigned resent;        /* requests sent again at once after a connection fault */
	int maintenance;        /* UPKI's maintenance page: waits like a refusal, not seconds */
	char why[512];          /* UTF-8, one line, for logs and problem details */
	struct upki_result page;
};

/*
 * rc values: upload: upki_result_parse()'s (0 accepted, ERR_REJECTED,
 * ERR_RATELIMIT, ERR_AGAIN maintenance, ERR_PROTOCOL unknown page); any
 * operation: ERR_TLS (tls_error), ERR_TIMEOUT, ERR_CLOSED, -errno (connect),
 * ERR_DENIED (HTTP 401/403: the RA officer refused), ERR_AGAIN (HTTP 5xx),
 * ERR_STATE (sent back to the login page UPKI_LOGIN_MAX times), ERR_PROTOCOL
 * (an answer we do not understand), ERR_RATELIMIT (busy page), or the data
 * callback's error (bulk).
 */
typedef void (*upki_sess_done_fn)(void *arg, const struct upki_sess_result *r);
/* Bulk TSV bytes as they arrive (status 200 only); nonzero stops the download. */
typedef int (*upki_sess_data_fn)(void *arg, const unsigned char *p, size_t n);

/* tls must outlive the session. timeouts in seconds per exchange. */
int upki_sess_new(struct upki_sess **out, struct event_base *base,
    const struct upki_endpoint *ep, struct tls_client *tls, unsigned timeout_s,
    unsigned bulk_timeout_s);
/* Cancels the exchange in flight (done is not called). NULL is ignored. */
void upki_sess_free(struct upki_sess *s);

/*
 * Start an operation; one at a time (ERR_STATE while busy). done is called
 * exactly once, never from inside the start call, unless the session is freed
 * first. upload copies tsv.
 */
int upki_sess_login(struct upki_sess *s, upki_sess_done_fn done, void *arg);
int upki_sess_upload(struct upki_sess *s, int apply_type, const void *tsv, size_t len,
    upki_sess_done_fn done, void *arg);
int upki_sess_bulk(struct upki_sess *s, upki_sess_data_fn data, upki_sess_done_fn done,
    void *arg);
int upki_sess_busy(const struct upki_sess *s);
unsigned long upki_sess_logins(const struct upki_sess *s);
/* Forget the session cookie (next operation logs in). */
void upki_sess_reset(struct upki_sess *s);

/*
 * The visible text of an EUC-JP HTML page as one UTF-8 line (tags dropped,
 * white space collapsed), cut at a character boundary. Returns its length.
 */
size_t upki_html_text(const void *html, size_t n, char *out, size_t outsz);

/* ---- chain.c: intermediates matching the leaf's issuer ---- */

struct upki_chains;

/*
 * Load every certificate of the PEM file path (NULL or "": none). 0, or an
 * error logged with the path.
 */
int upki_chains_load(struct upki_chains **out, const char *path);
void upki_chains_free(struct upki_chains *c);

/*
 * The chain to send after leaf (DER): the certificate whose subject is the
 * leaf's issuer (the one whose key verifies the leaf when several match), then
 * its issuer and so on, stopping before a self-signed root. *pem (valid while
 * c lives) and *len get the PEM text; *len is 0 when nothing matches. name
 * (may be NULL, namesz bytes) gets the first intermediate's CN. 0, or
 * ERR_MALFORMED for a leaf that does not parse.
 */
int upki_chains_find(struct upki_chains *c, const unsigned char *leaf, size_t leaf_len,
    const char **pem, size_t *len, char *name, size_t namesz);
/* Certificates loaded. */
size_t upki_chains_count(const struct upki_chains *c);

/* ---- the backend context ---- */

struct upki_sched_snapshot;
struct upki_poll;
struct upki_batch;

struct upki {
	struct issuer is;
	struct event_base *base;
	struct store *store;
	const struct config *cfg;
	struct upki_endpoint ep;
	struct tls_client *tls;
	struct upki_sess *sess;
	struct upki_chains *chains;
	struct event *timer;
	int busy;                     /* an upload or bulk download in flight */
	struct upki_batch *batch;     /* the upload in flight */
	struct upki_poll *poll;       /* the bulk download in flight */
	uint64_t last_bulk_ms;        /* platform_mono_ms() at the start of the last one */
	int have_last_bulk;
	unsigned bulk_fail_streak;
	int64_t next_poll;            /* wall clock; 0: none planned */
	struct upki_stats st;
	int crash_before, crash_after; /* test hooks (UPKI_TEST_COMMANDS) */
	int64_t (*now)(void);         /* wall clock (tests replace it) */
};

/* Backend without network (unit tests): ops, store, config; no TLS or session. */
int upki_core_new(struct upki **out, struct event_base *base, struct store *store,
    const struct config *cfg);
void upki_core_free(struct upki *u);

/*
 * Plan the next step (upload, bulk download, timer) from the reactor, soon:
 * the planner runs from its timer, never inside the caller's frame, so that
 * completion callbacks (upload done, bulk download done) do not re-enter it.
 */
void upki_sched_soon(struct upki *u);

/* ---- job.c: jobs in the store ---- */

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

/* ---- poll.c: the coalesced bulk download ---- */

/* Start one bulk download serving every pending job. 0 (u->busy set) or an error. */
int upki_poll_start(struct upki *u);

/*
 * The same without the network (unit tests): begin a poll snapshot at now, feed
 * bulk TSV bytes, end (complete: the whole listing was read). end applies the
 * decisions and frees p; returns the parse result.
 */
int upki_poll_begin(struct upki *u, struct upki_poll **out, int64_t now);
int upki_poll_feed(struct upki_poll *p, const void *data, size_t n);
int upki_poll_end(struct upki_poll *p, int complete);
void upki_poll_free(struct upki_poll *p);

#endif
