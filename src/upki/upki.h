/*
 * upki.h: the UPKI TSV backend of the issuer interface (acme/issuer.h). It
 * talks to NII's issuance support system the way the RA officer's browser
 * does: mutual-TLS login, the upload form SP1011 with an application TSV, and
 * the bulk certificate TSV polled for results (UPKI.md §5, upki_profile.h).
 *
 * Jobs (rec_job in the store) move queued -> submitted -> issued | rejected,
 * with failed (back-off, bounded attempts) in between:
 *  - submit() records a queued job inside the ACME core's transaction, or joins
 *    a job for the same public key and names (a client that came back).
 *  - Before an upload the jobs of the batch are marked submitted (expected_at
 *    0: "outcome unknown") in their own commit. The answer page then confirms
 *    them (expected_at set), rejects them, or fails them for a retry. A crash in
 *    between leaves them unconfirmed: the next bulk TSV shows whether the upload
 *    arrived (a row with the job's DN applied after the job was created, or a
 *    certificate with the job's key); if nothing shows up within
 *    upki_resubmit_grace seconds the job is uploaded again, and UPKI's "key
 *    already used" (218) or "DN exists" (212) answer to a repeated upload means
 *    "keep polling", not failure. So a job is never lost and never issued twice.
 *  - One bulk download serves every pending job, at most once per
 *    upki_poll_interval, streamed through the bulk parser; rows are matched to
 *    jobs by DN, then by the certificate's SPKI and names, never by row order.
 *    A match stores the certificate, marks the job issued, updates the DN
 *    record and reports every order of the job through issuer->ev.issued, all
 *    in one transaction.
 *
 * Everything runs on the caller's event_base; nothing blocks.
 *
 * The files, top to bottom (each includes only headers below it; tsv_*.c,
 * sjis.c, result_page.c and upki_profile.c are leaves used from several):
 *
 *   backend.c (upki.h, backend.h)   issuer vtable, wiring, the scheduler
 *     |-> poll.c (poll.h)           the coalesced bulk download
 *     |     '-> job.c dn.c upload.c (job.h)   jobs, names/DNs, batch upload
 *     |-> chain.c (chain.h)         intermediates sent after the leaf
 *     '-> upki_core.h (core.c)      struct upki, upki_sched_soon()
 *           '-> session.c (session.h)   the web-app session
 *                 '-> http/client.h, tls/tls.h
 *
 * poll.c and the job files reach the scheduler only through
 * upki_sched_soon() (a timer, never a nested call into backend.c).
 * upki_test.c (the upki-test command) sits above backend.c.
 */
#ifndef UPKI_UPKI_H
#define UPKI_UPKI_H

#include <stdint.h>

struct issuer;
struct event_base;
struct store;
struct config;

/*
 * Create the backend: *out gets an issuer whose ops and ctx are set; the
 * caller sets (*out)->ev (issued callback) before the event loop runs. cfg and
 * store must outlive the backend. Reads upki_* keys: upki_url (https://host[:
 * port][/prefix], prefix default "/upki-odcert"), upki_connect (numeric
 * address used instead of resolving the URL host; required unless the host is
 * an IP literal), upki_ca, upki_client_cert, upki_client_key (the RA officer's
 * certificate; key mode 0600), institution (upki_org, upki_state,
 * upki_locality), administrator fields, upki_chain, timers. At start every
 * pending job in the store is resumed (a zero timer: nothing happens before
 * the loop runs). Returns 0; ERR_CONFIG with the reason logged; ERR_NOMEM;
 * a tls_client_new error (unreadable or group-readable key: ERR_DENIED).
 */
int upki_backend_new(struct issuer **out, struct event_base *base, struct store *store,
    const struct config *cfg);

/* Stop timers, cancel the exchange in flight, free everything. NULL is ignored. */
void upki_backend_free(struct issuer *is);

/* Counters for logs, the admin page and tests. */
struct upki_stats {
	unsigned long bulk_downloads;   /* complete bulk TSVs parsed */
	unsigned long bulk_failures;    /* busy, 5xx, transport, bad TSV */
	unsigned long bulk_rows;        /* rows seen in the last complete download */
	unsigned long uploads;          /* TSV uploads sent */
	unsigned long upload_failures;  /* uploads without an answer page we understood */
	unsigned long issued;           /* jobs completed with a certificate */
	unsigned long rejected;         /* jobs given up */
	unsigned long logins;           /* sessions opened */
	unsigned pending;               /* queued + submitted + failed at the last schedule */
	int64_t next_poll;              /* wall time of the next planned bulk download, 0 none */
};
void upki_backend_stats(const struct issuer *is, struct upki_stats *st);

/*
 * The command "upki-acme upki-test": log in with the configured credentials,
 * download the bulk TSV once, and print what works and what does not (server
 * certificate trusted, client certificate accepted, session, TSV parsed with
 * counts by state). Returns the process exit status: 0 only if all worked.
 */
int upki_test_cmd(const struct config *cfg);

/*
 * Test-only command (Kconfig UPKI_TEST_COMMANDS) "upki-acme upki-submit-csr
 * [--wait SECONDS] [--out DIR] [--revoke SERIAL[:REASON]]... [CSR.pem ...]":
 * open the store under cfg->data_dir, queue the revocations (decimal serials
 * of stored certificates, through ops->revoke; reason default 4), record one
 * processing order and its UPKI job per CSR (names: CN first, then SAN
 * dNSNames), then run the backend until every job is issued or rejected, or
 * SECONDS (default 600) pass. Without CSR files it only resumes pending jobs.
 * Prints one line per order ("order N: valid serial S" / "order N: invalid:
 * TYPE: DETAIL"; with --out also DIR/order-N.pem, the leaf and the chain an
 * ACME client would get) and a summary with the number of bulk downloads.
 * argv[0] may be the command name "upki-submit-csr" (then skipped). Returns the exit status: 0 when no job is left
 * pending and none was rejected, 1 otherwise, 2 for usage errors.
 */
int upki_submit_csr_cmd(const struct config *cfg, int argc, char **argv);

#endif
