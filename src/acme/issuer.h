/*
 * issuer.h: what the ACME core needs from a certificate issuer. The UPKI TSV
 * backend (src/upki/) is one implementation; an upstream-ACME backend (NII's
 * own ACME service) can be another. Calls happen on the reactor thread.
 *
 * Durability contract: the ACME core calls submit() INSIDE its own LMDB write
 * transaction (the one that moves the order to "processing"), so the order and
 * the backend's job are committed together or not at all. The backend must not
 * start network I/O from inside submit(); it schedules it (a zero timer) and
 * works from its own persisted job state, so a crash at any point neither
 * loses an order nor submits twice. Completion is reported through the
 * issued() callback, again inside the backend's write transaction, so job,
 * certificate and order change in one commit.
 */
#ifndef UPKI_ISSUER_H
#define UPKI_ISSUER_H

#include <stddef.h>
#include <stdint.h>

struct store_txn;
struct x509_csr;
struct rec_order;
struct rec_cert;

#define ISSUER_DETAIL_MAX 1024

/* A problem to hand to the client: ACME error name and a sentence. */
struct issuer_problem {
	char type[64];                    /* "badCSR", "rejectedIdentifier", "serverInternal", ... */
	char detail[ISSUER_DETAIL_MAX];
};

struct issuer_request {
	uint64_t order_id;
	uint64_t account_id;
	const unsigned char *csr_der;
	size_t csr_len;
	const struct x509_csr *csr;       /* parsed and signature-checked */
	const char *const *names;         /* the order's identifiers, lower-case, order's order */
	size_t n_names;
};

/* Completion, from the backend to the ACME core (set by issuer_bind()). */
struct issuer_events {
	/*
	 * Called inside the backend's write transaction t. On success rc == 0 and
	 * cert describes the stored certificate (the backend has put it with
	 * store_cert_put); on failure rc < 0 and prob says why. The core updates
	 * the order in the same transaction. Returns 0 or a store error (aborts t).
	 */
	int (*issued)(void *arg, struct store_txn *t, uint64_t order_id, int rc,
	    const struct rec_cert *cert, const struct issuer_problem *prob);
	void *arg;
};

struct issuer_ops {
	const char *name;
	/*
	 * Policy check of a finalize request before anything is stored: 0 if the
	 * backend can issue for it, else ERR_DENIED with prob filled (badCSR with
	 * advice the user can follow, rejectedIdentifier, ...).
	 */
	int (*check)(void *ctx, const struct issuer_request *rq, struct issuer_problem *prob);
	/*
	 * Inside the caller's write transaction: record the job for rq (or join
	 * an existing job for the same key and names). *job_id gets the job;
	 * *already_issued is set when a joined job already has its certificate
	 * (then *cert_id names it and the order can be valid at once).
	 */
	int (*submit)(void *ctx, struct store_txn *t, const struct issuer_request *rq,
	    uint64_t *job_id, int *already_issued, uint64_t *cert_id);
	/* Called after the caller's transaction committed: start work now. */
	void (*kick)(void *ctx);
	/* Revoke a certificate (reason: RFC 5280 CRLReason), inside t. */
	int (*revoke)(void *ctx, struct store_txn *t, const struct rec_cert *cert, int reason,
	    struct issuer_problem *prob);
	/*
	 * The PEM chain to serve after the leaf (intermediates matching the
	 * leaf's issuer). *pem stays valid while the issuer lives.
	 */
	int (*chain)(void *ctx, const struct rec_cert *cert, const char **pem, size_t *len);
	/* Seconds a client should wait before polling a processing order. */
	unsigned (*retry_after)(void *ctx, uint64_t job_id);
	void (*free)(void *ctx);
};

struct issuer {
	const struct issuer_ops *ops;
	void *ctx;
	struct issuer_events ev;
};

#endif
