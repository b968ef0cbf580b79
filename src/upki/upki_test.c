/*
 * Commands that exercise the UPKI backend without an ACME client:
 * "upki-test" (is the configured access to UPKI working?) and the test-only
 * "upki-submit-csr" (drive jobs from CSR files, for integration tests and the
 * benchmark).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "autoconf.h"
#include "http/client.h"
#include "platform.h"
#include "store/records.h"
#include "store/store.h"
#include "tls/tls.h"
#include "upki/backend.h"
#include "upki/job.h"
#include "upki/poll.h"
#include "upki/session.h"
#include "upki/tsv_bulk.h"
#include "upki/tsv_write.h"
#include "upki/upki_core.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "x509/pem.h"
#include "x509/x509.h"

/* ---- upki-test ---- */

struct probe {
	struct event_base *base;
	struct upki_sess_result res;
	int done;
	struct upki_bulk *parser;
	unsigned long states[UPKI_CERT__MAX];
	int parse_rc;
};

static void
probe_done_cb(void *arg, const struct upki_sess_result *r)
{
	struct probe *p = arg;

	p->res = *r;
	p->done = 1;
	event_base_loopbreak(p->base);
}

static int
probe_row_cb(void *arg, const struct upki_bulk_row *row)
{
	struct probe *p = arg;

	if (row->err == 0 && (unsigned)row->state < UPKI_CERT__MAX)
		p->states[row->state]++;
	return 0;
}

static int
probe_data_cb(void *arg, const unsigned char *data, size_t n)
{
	struct probe *p = arg;

	return upki_bulk_feed(p->parser, data, n);
}

static void
probe_run(struct probe *p)
{
	p->done = 0;
	while (!p->done)
		if (event_base_loop(p->base, EVLOOP_ONCE) != 0)
			break;
}

static const char *const probe_state_names[UPKI_CERT__MAX] = {
	[UPKI_CERT_NONE] = "none",
	[UPKI_CERT_PROCESSING] = "processing",
	[UPKI_CERT_MAILED] = "mailed",
	[UPKI_CERT_DOWNLOADED] = "downloaded",
	[UPKI_CERT_RENEWED] = "renewed",
	[UPKI_CERT_REVOKED] = "revoked",
	[UPKI_CERT_ERROR] = "error",
};

static int
probe_login_report(const struct config *cfg, const struct upki_endpoint *ep,
    const struct upki_sess_result *r)
{
	int e = r->tls_error;

	if (r->rc == 0) {
		printf("TLS: server certificate trusted (upki_ca %s)\n", cfg->upki_ca);
		printf("TLS: client certificate accepted (%s)\n", cfg->upki_client_cert);
		printf("login: session established\n");
		return 0;
	}
	if (r->rc == ERR_TLS) {
		switch (http_client_tls_kind(e)) {
		case HTTP_CLIENT_TLS_SERVER_UNTRUSTED:
			printf("TLS: server certificate NOT trusted (BearSSL error %d: %s): check "
			    "upki_ca %s%s%s\n", e, tls_error_name(e), cfg->upki_ca,
			    ep->sni[0] ? " and the name in upki_url " : "", ep->sni);
			break;
		case HTTP_CLIENT_TLS_CLIENT_REFUSED:
			printf("TLS: server certificate trusted (upki_ca %s)\n", cfg->upki_ca);
			printf("TLS: client certificate refused by the server (BearSSL error %d: %s): "
			    "upki_client_cert %s is not an RA officer certificate UPKI accepts\n", e,
			    tls_error_name(e), cfg->upki_client_cert);
			break;
		default:
			printf("TLS: handshake failed (BearSSL error %d: %s)\n", e,
			    tls_error_name(e));
			break;
		}
		return 1;
	}
	if (r->rc == ERR_DENIED) {
		printf("TLS: server certificate trusted (upki_ca %s)\n", cfg->upki_ca);
		printf("login: client certificate refused by UPKI: %s\n", r->why);
		return 1;
	}
	printf("login: failed: %s\n", r->why[0] ? r->why : err_str(r->rc));
	return 1;
}

/*
 * The connection was dropped without a TLS alert. A server that refuses a
 * client certificate may just close; a handshake without any client
 * certificate tells whether the server's own certificate was trusted (its
 * check comes before our certificate is sent) and how it treats a client
 * that shows none.
 */
static int
probe_dropped(const struct config *cfg, const struct upki_endpoint *ep, struct probe *p,
    const struct upki_sess_result *first)
{
	struct tls_client *bare = NULL;
	struct upki_sess *s = NULL;
	struct upki_sess_result r;
	int rc;

	memset(&r, 0, sizeof(r));
	if (tls_client_new(&bare, cfg->upki_ca, NULL, NULL) != 0 ||
	    upki_sess_new(&s, p->base, ep, bare, (unsigned)cfg->upki_timeout_s, 10) != 0 ||
	    upki_sess_login(s, probe_done_cb, p) != 0) {
		printf("login: failed: %s\n", first->why);
		goto out;
	}
	probe_run(p);
	r = p->res;
	if (r.rc == ERR_TLS && http_client_tls_kind(r.tls_error) == HTTP_CLIENT_TLS_SERVER_UNTRUSTED) {
		probe_login_report(cfg, ep, &r);
		goto out;
	}
	rc = r.rc;
	printf("TLS: server certificate trusted (upki_ca %s)\n", cfg->upki_ca);
	printf("TLS: client certificate refused: the server dropped the connection when it got "
	    "upki_client_cert %s (%s)%s; check that it and upki_client_key %s are the RA officer's "
	    "certificate and key registered with UPKI\n", cfg->upki_client_cert,
	    err_str(first->rc), rc == 0 || rc == ERR_DENIED ? "" :
	    ", as it does with no client certificate", cfg->upki_client_key);
out:
	upki_sess_free(s);
	tls_client_free(bare);
	return 1;
}

int
upki_test_cmd(const struct config *cfg)
{
	struct upki_endpoint ep;
	struct tls_client *tls = NULL;
	struct upki_sess *sess = NULL;
	struct probe p;
	char err[512];
	int rc, status = 1;

	memset(&p, 0, sizeof(p));
	if (cfg->upki_url[0] == '\0' || cfg->upki_ca[0] == '\0' ||
	    cfg->upki_client_cert[0] == '\0' || cfg->upki_client_key[0] == '\0') {
		printf("config: upki_url, upki_ca, upki_client_cert and upki_client_key must be set\n");
		return 1;
	}
	if (upki_endpoint_parse(&ep, cfg, err, sizeof(err)) != 0) {
		printf("config: %s\n", err);
		return 1;
	}
	printf("UPKI: %s%s (connecting to %s)\n", ep.host, ep.base, ep.addr_text);
	if (!platform_clock_sane())
		printf("warning: the clock (%" PRId64 " s) is before the build date: set it (NTP); the "
		    "gateway refuses to finalize orders and certificate dates cannot be checked\n", platform_wall_s());
	rc = tls_client_new(&tls, cfg->upki_ca, cfg->upki_client_cert, cfg->upki_client_key);
	if (rc != 0) {
		printf("credentials: cannot load upki_ca %s, upki_client_cert %s or upki_client_key "
		    "%s: %s%s\n", cfg->upki_ca, cfg->upki_client_cert, cfg->upki_client_key,
		    err_str(rc), rc == ERR_DENIED ? " (the key file must be mode 0600)" : "");
		return 1;
	}
	p.base = event_base_new();
	p.parser = malloc(sizeof(*p.parser));
	if (p.base == NULL || p.parser == NULL ||
	    upki_sess_new(&sess, p.base, &ep, tls, (unsigned)cfg->upki_timeout_s,
	    (unsigned)cfg->upki_bulk_timeout_s) != 0) {
		printf("out of memory\n");
		goto out;
	}
	rc = upki_sess_login(sess, probe_done_cb, &p);
	if (rc == 0)
		probe_run(&p);
	else
		snprintf(p.res.why, sizeof(p.res.why), "%s", err_str(rc));
	if (rc != 0)
		goto out;
	if (p.res.rc == ERR_CLOSED || p.res.rc == -ECONNRESET || p.res.rc == -EPIPE) {
		probe_dropped(cfg, &ep, &p, &p.res);
		goto out;
	}
	if (probe_login_report(cfg, &ep, &p.res) != 0)
		goto out;
	upki_bulk_init(p.parser, probe_row_cb, &p);
	rc = upki_sess_bulk(sess, probe_data_cb, probe_done_cb, &p);
	if (rc == 0)
		probe_run(&p);
	if (rc == 0)
		rc = p.res.rc;
	if (rc == 0)
		rc = upki_bulk_finish(p.parser);
	if (rc == ERR_RATELIMIT) {
		printf("bulk TSV: UPKI is busy (download rate limit): try again in %d s\n",
		    cfg->upki_poll_interval_s);
		goto out;
	}
	if (rc != 0) {
		printf("bulk TSV: failed: %s%s%s\n", err_str(rc),
		    p.res.why[0] || upki_bulk_errmsg(p.parser)[0] ? ": " : "",
		    p.res.why[0] ? p.res.why : upki_bulk_errmsg(p.parser));
		goto out;
	}
	printf("bulk TSV parsed: %lu certificates listed (states:", p.parser->rows_good);
	for (int s = UPKI_CERT_PROCESSING; s < UPKI_CERT__MAX; s++)
		printf(" %s=%lu", probe_state_names[s], p.states[s]);
	printf(")%s", p.parser->rows_bad ? "" : "\n");
	if (p.parser->rows_bad)
		printf(", %lu unreadable rows\n", p.parser->rows_bad);
	printf("upki-test: all checks passed\n");
	status = 0;
out:
	if (status != 0)
		printf("upki-test: FAILED\n");
	upki_sess_free(sess);
	free(p.parser);
	if (p.base != NULL)
		event_base_free(p.base);
	tls_client_free(tls);
	return status;
}

/* ---- upki-submit-csr (test only) ---- */

#define SUBMIT_MAX_FILES 1000
#define SUBMIT_CSR_FILE_MAX 65536
#define SUBMIT_MAX_REVOKE 16

struct submit_ctx {
	struct event_base *base;
	struct store *store;
	struct issuer *is;
	uint64_t *orders;
	size_t n_orders;
	int64_t deadline_ms;
	int finished;
	const char *out_dir;          /* --out: write DIR/order-N.pem (leaf + chain) */
};

/* issuer_events.issued as the ACME core does it: the order in the same transaction. */
static int
submit_issued_cb(void *arg, struct store_txn *t, uint64_t order_id, int rc,
    const struct rec_cert *cert, const struct issuer_problem *prob)
{
	struct rec_order o;
	int e = store_order_get(t, order_id, &o);

	(void)arg;
	if (e != 0)
		return e == ERR_NOTFOUND ? 0 : e;
	if (o.status != REC_ORDER_PROCESSING)
		return 0;
	if (rc == 0) {
		o.status = REC_ORDER_VALID;
		o.cert_id = cert->id;
	} else {
		o.status = REC_ORDER_INVALID;
		str_copy(o.error.type, sizeof(o.error.type), prob ? prob->type : "serverInternal");
		str_copy(o.error.detail, sizeof(o.error.detail), prob ? prob->detail : "failed");
	}
	return store_order_put(t, &o);
}

struct new_order {
	struct issuer *is;
	struct issuer_request *rq;
	const struct x509_csr *csr;
	const unsigned char *der;
	size_t der_len;
	const char *const *names;
	size_t n;
	uint64_t id;
	int already;
};

static int
submit_order_fn(struct store_txn *t, void *arg)
{
	struct new_order *no = arg;
	static struct rec_order o;
	uint64_t cert_id = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	if ((rc = store_seq_next(t, STORE_SEQ_ORDER, &o.id)) != 0)
		return rc;
	o.status = REC_ORDER_PROCESSING;
	o.created = platform_wall_s();
	o.n_idents = no->n;
	for (size_t i = 0; i < no->n; i++) {
		o.idents[i].type = REC_IDENT_DNS;
		str_copy(o.idents[i].value, sizeof(o.idents[i].value), no->names[i]);
	}
	memcpy(o.csr, no->der, no->der_len);
	o.csr_len = no->der_len;
	no->rq->order_id = o.id;
	rc = no->is->ops->submit(no->is->ctx, t, no->rq, &o.job_id, &no->already, &cert_id);
	if (rc != 0)
		return rc;
	if (no->already) {
		o.status = REC_ORDER_VALID;
		o.cert_id = cert_id;
	}
	no->id = o.id;
	return store_order_put(t, &o);
}

static int
submit_read_file(const char *path, char *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -errno;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	if (n == cap - 1)
		return ERR_TOOBIG;
	buf[n] = '\0';
	*len = n;
	return 0;
}

/* Record one order and its job for the CSR in path. 0, 1 refused by check(), or an error. */
static int
submit_one(struct submit_ctx *sc, const char *path)
{
	static char text[SUBMIT_CSR_FILE_MAX];
	static unsigned char der[REC_CSR_MAX];
	static char names_buf[X509_SAN_MAX + 1][REC_IDENT_MAX + 1];
	const char *names[REC_IDENT_N];
	char label[PEM_LABEL_MAX + 1];
	struct x509_csr csr;
	struct issuer_request rq;
	struct issuer_problem prob;
	struct new_order no;
	size_t len = 0, pos = 0, dlen = 0, n = 0;
	int rc;

	if ((rc = submit_read_file(path, text, sizeof(text), &len)) != 0 ||
	    (rc = pem_decode(text, len, &pos, label, sizeof(label), der, sizeof(der), &dlen)) != 0 ||
	    (rc = x509_csr_parse(&csr, der, dlen)) != 0 || (rc = x509_csr_verify(&csr)) != 0) {
		printf("%s: not a usable PEM CSR: %s\n", path, err_str(rc));
		return rc;
	}
	if (csr.subject.attr[X509_NAME_CN].p != NULL) {
		const struct x509_str *cn = &csr.subject.attr[X509_NAME_CN];

		snprintf(names_buf[n++], REC_IDENT_MAX + 1, "%.*s", (int)cn->len, cn->p);
	}
	for (unsigned i = 0; i < csr.ext.san.n_dns && n < REC_IDENT_N; i++) {
		char v[REC_IDENT_MAX + 1];
		size_t k;

		snprintf(v, sizeof(v), "%.*s", (int)csr.ext.san.dns[i].len, csr.ext.san.dns[i].p);
		for (k = 0; k < n; k++)
			if (strcasecmp(names_buf[k], v) == 0)
				break;
		if (k == n)
			memcpy(names_buf[n++], v, sizeof(v));
	}
	if (n == 0) {
		printf("%s: the CSR names no host\n", path);
		return ERR_MALFORMED;
	}
	for (size_t i = 0; i < n; i++) {
		for (char *c = names_buf[i]; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		names[i] = names_buf[i];
	}
	memset(&rq, 0, sizeof(rq));
	rq.csr_der = der;
	rq.csr_len = dlen;
	rq.csr = &csr;
	rq.names = names;
	rq.n_names = n;
	if (sc->is->ops->check(sc->is->ctx, &rq, &prob) != 0) {
		printf("%s: refused: %s: %s\n", path, prob.type, prob.detail);
		return 1;
	}
	memset(&no, 0, sizeof(no));
	no.is = sc->is;
	no.rq = &rq;
	no.csr = &csr;
	no.der = der;
	no.der_len = dlen;
	no.names = names;
	no.n = n;
	if ((rc = store_write(sc->store, submit_order_fn, &no)) != 0) {
		printf("%s: cannot record the order: %s\n", path, err_str(rc));
		return rc;
	}
	printf("order %" PRIu64 ": %s (%s)%s\n", no.id, names[0], path,
	    no.already ? ": already issued" : "");
	sc->orders[sc->n_orders++] = no.id;
	return 0;
}

/* What an ACME client would download: the leaf, then the chain the backend picks. */
static void
submit_write_pem(struct submit_ctx *sc, uint64_t order_id, const struct rec_cert *c)
{
	char path[CONFIG_PATH_MAX + 64], leaf[REC_DER_MAX * 2];
	const char *chain = NULL;
	size_t clen = 0;
	FILE *f;
	int n = pem_encode(leaf, sizeof(leaf), "CERTIFICATE", c->der, c->der_len);

	if (n < 0 || sc->is->ops->chain(sc->is->ctx, c, &chain, &clen) != 0)
		return;
	snprintf(path, sizeof(path), "%s/order-%" PRIu64 ".pem", sc->out_dir, order_id);
	f = fopen(path, "w");
	if (f == NULL)
		return;
	fwrite(leaf, 1, (size_t)n, f);
	fwrite(chain, 1, clen, f);
	fclose(f);
}

struct submit_scan {
	struct submit_ctx *sc;
	size_t pending, valid, invalid, processing;
	int print;
	uint64_t *ids;
};

static int
submit_scan_fn(struct store_txn *t, void *arg)
{
	struct submit_scan *ss = arg;
	const unsigned states[] = { REC_JOB_QUEUED, REC_JOB_SUBMITTED, REC_JOB_FAILED };
	static struct rec_order o;
	struct rec_cert c;
	int rc;

	ss->pending = ss->valid = ss->invalid = ss->processing = 0;
	for (size_t i = 0; i < 3; i++) {
		size_t n = 0;

		if ((rc = store_job_list_by_state(t, states[i], 0, ss->ids, CONFIG_UPKI_MAX_JOBS,
		    &n)) != 0)
			return rc;
		ss->pending += n;
	}
	for (size_t i = 0; i < ss->sc->n_orders; i++) {
		if ((rc = store_order_get(t, ss->sc->orders[i], &o)) != 0)
			return rc;
		if (o.status == REC_ORDER_VALID)
			ss->valid++;
		else if (o.status == REC_ORDER_INVALID)
			ss->invalid++;
		else
			ss->processing++;
		if (!ss->print)
			continue;
		if (o.status == REC_ORDER_VALID && store_cert_get(t, o.cert_id, &c) == 0) {
			printf("order %" PRIu64 ": valid serial %s (job %" PRIu64 ")\n", o.id,
			    c.serial_dec, o.job_id);
			if (ss->sc->out_dir != NULL)
				submit_write_pem(ss->sc, o.id, &c);
		}
		else if (o.status == REC_ORDER_INVALID)
			printf("order %" PRIu64 ": invalid: %s: %s\n", o.id, o.error.type,
			    o.error.detail);
		else
			printf("order %" PRIu64 ": %s (job %" PRIu64 ")\n", o.id,
			    rec_order_status_str(o.status), o.job_id);
	}
	return 0;
}

/* Orders of the jobs pending at start (resume mode). */
static int
submit_resume_fn(struct store_txn *t, void *arg)
{
	struct submit_scan *ss = arg;
	struct submit_ctx *sc = ss->sc;
	const unsigned states[] = { REC_JOB_QUEUED, REC_JOB_SUBMITTED, REC_JOB_FAILED };
	struct rec_job j;
	uint64_t joined[UPKI_JOIN_MAX];
	int rc;

	for (size_t i = 0; i < 3; i++) {
		size_t n = 0, nj = 0;

		if ((rc = store_job_list_by_state(t, states[i], 0, ss->ids, CONFIG_UPKI_MAX_JOBS,
		    &n)) != 0)
			return rc;
		for (size_t k = 0; k < n && sc->n_orders < SUBMIT_MAX_FILES; k++) {
			if ((rc = store_job_get(t, ss->ids[k], &j)) != 0)
				return rc;
			if (j.order_id != 0)
				sc->orders[sc->n_orders++] = j.order_id;
			if (upki_join_list(t, j.id, joined, UPKI_JOIN_MAX, &nj) != 0)
				continue;
			for (size_t m = 0; m < nj && sc->n_orders < SUBMIT_MAX_FILES; m++)
				sc->orders[sc->n_orders++] = joined[m];
		}
	}
	return 0;
}

static void
submit_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct submit_ctx *sc = arg;
	struct submit_scan ss;
	uint64_t ids[CONFIG_UPKI_MAX_JOBS];

	(void)fd;
	(void)what;
	memset(&ss, 0, sizeof(ss));
	ss.sc = sc;
	ss.ids = ids;
	if (store_read(sc->store, submit_scan_fn, &ss) == 0 && ss.pending == 0 &&
	    ss.processing == 0) {
		sc->finished = 1;
		event_base_loopbreak(sc->base);
		return;
	}
	if ((int64_t)platform_mono_ms() >= sc->deadline_ms)
		event_base_loopbreak(sc->base);
}

struct revoke_arg {
	struct submit_ctx *sc;
	unsigned char serial[REC_SERIAL_MAX];
	size_t serial_len;
	int reason;
	struct issuer_problem prob;
	int refused;
	const char *dec;
	int state;
	char error[REC_ERROR_MAX + 1];
	uint64_t *ids;
};

static int
revoke_fn(struct store_txn *t, void *arg)
{
	struct revoke_arg *ra = arg;
	static struct rec_cert c;
	int rc = store_cert_find_by_serial(t, ra->serial, ra->serial_len, &c);

	if (rc != 0)
		return rc;
	rc = ra->sc->is->ops->revoke(ra->sc->is->ctx, t, &c, ra->reason, &ra->prob);
	if (rc == ERR_DENIED) {
		ra->refused = 1;
		return 0;
	}
	return rc;
}

/* "SERIAL[:REASON]" (decimal): queue a revocation through ops->revoke. 0, 1 refused, error. */
static int
submit_revoke(struct submit_ctx *sc, const char *spec)
{
	struct revoke_arg ra;
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	int rc;

	memset(&ra, 0, sizeof(ra));
	ra.sc = sc;
	ra.reason = colon ? atoi(colon + 1) : 4;
	if (upki_serial_from_decimal(ra.serial, sizeof(ra.serial), &ra.serial_len, spec, n) != 0) {
		printf("revoke %s: not a decimal serial\n", spec);
		return ERR_MALFORMED;
	}
	rc = store_write(sc->store, revoke_fn, &ra);
	if (rc != 0) {
		printf("revoke %.*s: %s\n", (int)n, spec, rc == ERR_NOTFOUND ?
		    "no such certificate in the store" : err_str(rc));
		return rc;
	}
	if (ra.refused) {
		printf("revoke %.*s: refused: %s: %s\n", (int)n, spec, ra.prob.type, ra.prob.detail);
		return 1;
	}
	printf("revoke %.*s: queued\n", (int)n, spec);
	return 0;
}

static int
revoke_find_fn(struct store_txn *t, void *arg)
{
	struct revoke_arg *ra = arg;
	size_t n = 0;
	struct rec_job j;
	int rc = store_id_list(t, STORE_DB_JOB, 0, ra->ids, CONFIG_UPKI_MAX_JOBS, &n);

	if (rc != 0)
		return rc;
	for (size_t i = n; i-- > 0;) {
		if (store_job_get(t, ra->ids[i], &j) != 0 || j.kind != REC_JOB_REVOKE ||
		    strcmp(j.old_serial_dec, ra->dec) != 0)
			continue;
		ra->state = j.state;
		str_copy(ra->error, sizeof(ra->error), j.error);
		return 0;
	}
	return ERR_NOTFOUND;
}

/* Print the outcome of a --revoke; 1 when it did not succeed. */
static int
submit_revoke_report(struct submit_ctx *sc, const char *spec)
{
	struct revoke_arg ra;
	char dec[REC_SERIAL_DEC_MAX + 1];
	uint64_t ids[CONFIG_UPKI_MAX_JOBS];

	memset(&ra, 0, sizeof(ra));
	snprintf(dec, sizeof(dec), "%.*s", (int)strcspn(spec, ":"), spec);
	ra.dec = dec;
	ra.ids = ids;
	if (store_read(sc->store, revoke_find_fn, &ra) != 0)
		return 1;
	printf("revoke %s: %s%s%s\n", dec, ra.state == REC_JOB_ISSUED ? "accepted by UPKI" :
	    rec_job_state_str((unsigned)ra.state), ra.error[0] ? ": " : "", ra.error);
	return ra.state == REC_JOB_ISSUED ? 0 : 1;
}

int
upki_submit_csr_cmd(const struct config *cfg, int argc, char **argv)
{
	struct submit_ctx sc;
	struct submit_scan ss;
	struct upki_stats st;
	struct event *tick = NULL;
	struct timeval tv = { 0, 200000 };
	char path[CONFIG_PATH_MAX + 8];
	long wait_s = 600;
	int first = 1, rc, status = 1, refused = 0, n_revoke = 0, revoke_failed = 0;
	const char *revoke[SUBMIT_MAX_REVOKE];
	uint64_t *ids = NULL;

	if (!ENABLE_UPKI_TEST_COMMANDS) {
		fprintf(stderr, "upki-submit-csr: not built (Kconfig UPKI_TEST_COMMANDS)\n");
		return 2;
	}
	memset(&sc, 0, sizeof(sc));
	if (argc > 0 && strcmp(argv[0], "upki-submit-csr") == 0)
		first = 1;            /* argv[0] is the command name */
	else
		first = 0;
	while (first + 1 < argc) {
		char *e;

		if (strcmp(argv[first], "--wait") == 0) {
			wait_s = strtol(argv[first + 1], &e, 10);
			if (*e != '\0' || wait_s < 1 || wait_s > 86400) {
				fprintf(stderr, "upki-submit-csr: --wait takes 1..86400 seconds\n");
				return 2;
			}
		} else if (strcmp(argv[first], "--out") == 0) {
			sc.out_dir = argv[first + 1];
		} else if (strcmp(argv[first], "--revoke") == 0) {
			if (n_revoke == SUBMIT_MAX_REVOKE) {
				fprintf(stderr, "upki-submit-csr: at most %d --revoke\n",
				    SUBMIT_MAX_REVOKE);
				return 2;
			}
			revoke[n_revoke++] = argv[first + 1];
		} else {
			break;
		}
		first += 2;
	}
	if (argc - first > SUBMIT_MAX_FILES) {
		fprintf(stderr, "upki-submit-csr: at most %d CSR files\n", SUBMIT_MAX_FILES);
		return 2;
	}
	sc.orders = calloc(SUBMIT_MAX_FILES + UPKI_JOIN_MAX, sizeof(*sc.orders));
	ids = calloc(CONFIG_UPKI_MAX_JOBS, sizeof(*ids));
	if (sc.orders == NULL || ids == NULL)
		goto out;
	if ((rc = platform_mkdir_p(cfg->data_dir, 0700)) != 0) {
		fprintf(stderr, "upki-submit-csr: %s: %s\n", cfg->data_dir, err_str(rc));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/db", cfg->data_dir);
	{
		struct store_open_opts opts = { 0 };

		opts.map_size = (size_t)cfg->store_map_size_mib * 1024 * 1024;
		rc = store_open_ex(&sc.store, path, 0, &opts);
	}
	if (rc != 0) {
		fprintf(stderr, "upki-submit-csr: %s: %s\n", path, err_str(rc));
		goto out;
	}
	sc.base = event_base_new();
	if (sc.base == NULL)
		goto out;
	if ((rc = upki_backend_new(&sc.is, sc.base, sc.store, cfg)) != 0) {
		fprintf(stderr, "upki-submit-csr: UPKI backend: %s (see the log)\n", err_str(rc));
		goto out;
	}
	sc.is->ev.issued = submit_issued_cb;
	sc.is->ev.arg = &sc;
	memset(&ss, 0, sizeof(ss));
	ss.sc = &sc;
	ss.ids = ids;
	if (first == argc && n_revoke == 0 && store_read(sc.store, submit_resume_fn, &ss) != 0)
		goto out;
	for (int i = 0; i < n_revoke; i++) {
		rc = submit_revoke(&sc, revoke[i]);
		if (rc == 1)
			refused++;
		else if (rc != 0)
			goto out;
	}
	for (int i = first; i < argc; i++) {
		rc = submit_one(&sc, argv[i]);
		if (rc == 1)
			refused++;
		else if (rc != 0)
			goto out;
	}
	fflush(stdout);
	sc.is->ops->kick(sc.is->ctx);
	sc.deadline_ms = (int64_t)platform_mono_ms() + wait_s * 1000;
	tick = event_new(sc.base, -1, EV_PERSIST, submit_tick_cb, &sc);
	if (tick == NULL || event_add(tick, &tv) != 0)
		goto out;
	event_base_dispatch(sc.base);
	ss.print = 1;
	if (store_read(sc.store, submit_scan_fn, &ss) != 0)
		goto out;
	for (int i = 0; i < n_revoke; i++)
		revoke_failed += submit_revoke_report(&sc, revoke[i]);
	upki_backend_stats(sc.is, &st);
	printf("upki-submit-csr: %zu valid, %zu invalid, %zu processing, %d refused; %zu jobs "
	    "pending; bulk downloads: %lu, uploads: %lu, logins: %lu\n", ss.valid, ss.invalid,
	    ss.processing, refused, ss.pending, st.bulk_downloads, st.uploads, st.logins);
	status = ss.pending == 0 && ss.processing == 0 && ss.invalid == 0 && refused == 0 &&
	    revoke_failed == 0 ? 0 : 1;
out:
	fflush(stdout);
	if (tick != NULL)
		event_free(tick);
	upki_backend_free(sc.is);
	if (sc.base != NULL)
		event_base_free(sc.base);
	if (sc.store != NULL)
		store_close(sc.store);
	free(sc.orders);
	free(ids);
	return status;
}
