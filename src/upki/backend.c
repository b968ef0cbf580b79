/*
 * The UPKI backend behind the issuer vtable: configuration, wiring, and the
 * scheduler that decides, after every event, whether to upload queued jobs,
 * download the bulk TSV, or sleep until the next of those is due. Only one
 * exchange with UPKI runs at a time.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "autoconf.h"
#include "platform.h"
#include "store/records.h"
#include "store/store.h"
#include "tls/tls.h"
#include "upki/backend.h"
#include "upki/chain.h"
#include "upki/job.h"
#include "upki/poll.h"
#include "upki/session.h"
#include "upki/upki_core.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"

#define SCHED_FAIL_SHIFT_MAX 6   /* bulk back-off: interval << streak, at most 64x */

/* ---- endpoint ---- */

/* A DNS host name as the resolver takes it: labels of 1..63 letters, digits, '-'. */
static int
endpoint_name_ok(const char *h)
{
	size_t label = 0, n = strlen(h);

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		char c = h[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (c == ':' || (c == '-' && label == 0))
			return 0;
		label++;
	}
	return 1;
}

int
upki_endpoint_parse(struct upki_endpoint *ep, const struct config *cfg, char *err, size_t errsz)
{
	const char *url = cfg->upki_url, *h, *hend, *path;
	char host[256], addr[300];
	long port = 443;
	int ip = 0;
	size_t hl, pl;

	memset(ep, 0, sizeof(*ep));
	if (strncmp(url, STR_LIT("https://")) != 0) {
		snprintf(err, errsz, "upki_url: '%s' must start with https://", url);
		return ERR_CONFIG;
	}
	h = url + 8;
	path = h + strcspn(h, "/?#");
	if (*path == '?' || *path == '#') {
		snprintf(err, errsz, "upki_url: no query or fragment, please");
		return ERR_CONFIG;
	}
	if (*h == '[') {
		hend = strchr(h, ']');
		if (hend == NULL || hend > path) {
			snprintf(err, errsz, "upki_url: unterminated [IPv6] host");
			return ERR_CONFIG;
		}
		hl = (size_t)(hend - h - 1);
		if (hl >= sizeof(host))
			goto bad_host;
		memcpy(host, h + 1, hl);
		host[hl] = '\0';
		hend++;
		ip = 1;
	} else {
		hend = h;
		while (hend < path && *hend != ':')
			hend++;
		hl = (size_t)(hend - h);
		if (hl == 0 || hl >= sizeof(host))
			goto bad_host;
		memcpy(host, h, hl);
		host[hl] = '\0';
	}
	if (hend < path && *hend == ':') {
		char *e;

		port = strtol(hend + 1, &e, 10);
		if (e != path || port < 1 || port > 65535) {
			snprintf(err, errsz, "upki_url: bad port");
			return ERR_CONFIG;
		}
	} else if (hend != path) {
		goto bad_host;
	}
	for (size_t i = 0; host[i]; i++) {
		char c = host[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == ':'))
			goto bad_host;
	}
	if (!ip) {
		struct in_addr a4;

		ip = inet_pton(AF_INET, host, &a4) == 1;
	}
	if (port == 443)
		snprintf(ep->host, sizeof(ep->host), ip && strchr(host, ':') ? "[%s]" : "%s", host);
	else
		snprintf(ep->host, sizeof(ep->host), ip && strchr(host, ':') ? "[%s]:%ld" : "%s:%ld",
		    host, port);
	if (!ip)
		str_copy(ep->sni, sizeof(ep->sni), host);
	pl = strlen(path);
	while (pl > 0 && path[pl - 1] == '/')
		pl--;
	if (pl >= strlen(UPKI_PATH_LOGIN) &&
	    memcmp(path + pl - strlen(UPKI_PATH_LOGIN), UPKI_PATH_LOGIN, strlen(UPKI_PATH_LOGIN)) == 0)
		pl -= strlen(UPKI_PATH_LOGIN);
	if (pl == 0) {
		str_copy(ep->base, sizeof(ep->base), UPKI_PATH_DEFAULT);
	} else {
		if (pl >= sizeof(ep->base)) {
			snprintf(err, errsz, "upki_url: path too long");
			return ERR_CONFIG;
		}
		memcpy(ep->base, path, pl);
		ep->base[pl] = '\0';
	}
	if (cfg->has_upki_connect) {
		memcpy(&ep->addr, &cfg->upki_connect.ss, sizeof(ep->addr));
		ep->addrlen = cfg->upki_connect.len;
		str_copy(ep->addr_text, sizeof(ep->addr_text), cfg->upki_connect.text);
		return 0;
	}
	if (!ip && !endpoint_name_ok(host)) {
		snprintf(err, errsz, "upki_url: '%s' is neither an IP address nor a host name "
		    "(labels of 1..63 letters, digits and '-', no trailing dot)", host);
		return ERR_CONFIG;
	}
	if (!ip && !cfg->has_resolver) {
		snprintf(err, errsz, "upki_url: the host %s is a name, and no resolver is set: set "
		    "resolver = ADDRESS[:PORT] (the DNS server the gateway asks; the system's name "
		    "service is never used), or upki_connect = ADDRESS:PORT to connect without a "
		    "lookup", host);
		return ERR_CONFIG;
	}
	if (!ip) {
		ep->by_name = 1;
		ep->port = (unsigned)port;
		memcpy(&ep->dns, &cfg->resolver.ss, sizeof(ep->dns));
		ep->dnslen = cfg->resolver.len;
		str_copy(ep->dns_text, sizeof(ep->dns_text), cfg->resolver.text);
		snprintf(ep->addr_text, sizeof(ep->addr_text), "%s:%ld (looked up through the "
		    "resolver %s)", host, port, cfg->resolver.text);
		return 0;
	}
	snprintf(addr, sizeof(addr), strchr(host, ':') ? "[%s]:%ld" : "%s:%ld", host, port);
	{
		struct config_addr ca;

		if (config_parse_addr(&ca, addr, 443) != 0)
			goto bad_host;
		memcpy(&ep->addr, &ca.ss, sizeof(ep->addr));
		ep->addrlen = ca.len;
		str_copy(ep->addr_text, sizeof(ep->addr_text), ca.text);
	}
	return 0;
bad_host:
	snprintf(err, errsz, "upki_url: bad host in '%s'", url);
	return ERR_CONFIG;
}

/* ---- scheduler ---- */

struct sched_job {
	uint64_t id;
	uint8_t kind, state;
	uint32_t attempts;
	int64_t next_attempt, expected_at, submitted_at;
	unsigned char no_serial;
};

struct sched_snap {
	struct sched_job *v;
	size_t n;
	uint64_t *ids;
};

static int
sched_read_fn(struct store_txn *t, void *arg)
{
	struct sched_snap *s = arg;
	const unsigned states[] = { REC_JOB_QUEUED, REC_JOB_FAILED, REC_JOB_SUBMITTED };
	struct rec_job j;
	int rc;

	s->n = 0;
	for (size_t k = 0; k < 3; k++) {
		size_t n = 0;

		rc = store_job_list_by_state(t, states[k], 0, s->ids, CONFIG_UPKI_MAX_JOBS, &n);
		if (rc != 0)
			return rc;
		for (size_t i = 0; i < n && s->n < CONFIG_UPKI_MAX_JOBS; i++) {
			struct sched_job *q = &s->v[s->n];

			if ((rc = store_job_get(t, s->ids[i], &j)) != 0)
				return rc;
			q->id = j.id;
			q->kind = j.kind;
			q->state = j.state;
			q->attempts = j.attempts;
			q->next_attempt = j.next_attempt;
			q->expected_at = j.expected_at;
			q->submitted_at = j.submitted_at;
			q->no_serial = j.kind == REC_JOB_RENEW && j.old_serial_dec[0] == '\0';
			s->n++;
		}
	}
	return 0;
}

static int64_t
sched_min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* When the next bulk download may start (rate limit and failure back-off), in ms from now. */
static int64_t
sched_gate_ms(struct upki *u, unsigned mult)
{
	uint64_t now = platform_mono_ms();
	unsigned shift = u->bulk_fail_streak < SCHED_FAIL_SHIFT_MAX ? u->bulk_fail_streak :
	    SCHED_FAIL_SHIFT_MAX;
	int64_t wait = (int64_t)u->cfg->upki_poll_interval_s * 1000 * ((int64_t)1 << shift);

	if (!u->have_last_bulk)
		return 0;
	if (wait < (int64_t)u->cfg->upki_poll_interval_s * 1000 * mult)
		wait = (int64_t)u->cfg->upki_poll_interval_s * 1000 * mult;
	if (wait > (int64_t)UPKI_BACKOFF_MAX_S * 1000 &&
	    u->cfg->upki_poll_interval_s < UPKI_BACKOFF_MAX_S)
		wait = (int64_t)UPKI_BACKOFF_MAX_S * 1000;
	if (now >= u->last_bulk_ms + (uint64_t)wait)
		return 0;
	return (int64_t)(u->last_bulk_ms + (uint64_t)wait - now);
}

/*
 * While a job is overdue, poll every interval; the longer it is overdue (2, 4,
 * 8, 16 expected delays) the slower (2x .. 16x), so a slow UPKI is not hammered.
 */
static unsigned
sched_overdue_mult(const struct config *cfg, int64_t overdue)
{
	unsigned mult = 1;

	for (int k = 0; k < 4 && overdue > (int64_t)cfg->upki_expected_delay_s * (2 << k); k++)
		mult *= 2;
	return mult;
}

static int
sched_id_cmp(const void *a, const void *b)
{
	const struct sched_job *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Plan the next step; only ever called from the scheduler's timer. */
static void
upki_sched(struct upki *u)
{
	struct sched_snap s;
	int64_t now, need = INT64_MAX, up_next = INT64_MAX, delay = INT64_MAX;
	unsigned mult = 64;
	uint64_t batch[UPKI_UPLOAD_ROWS_MAX];
	size_t nb = 0;
	int kind = -1, rc;

	if (u->busy || u->sess == NULL)
		return;
	memset(&s, 0, sizeof(s));
	s.v = calloc(CONFIG_UPKI_MAX_JOBS, sizeof(*s.v));
	s.ids = calloc(CONFIG_UPKI_MAX_JOBS, sizeof(*s.ids));
	if (s.v == NULL || s.ids == NULL) {
		log_err("upki: out of memory planning the next step");
		upki_sched_arm(u, 10000);
		goto out;
	}
	if ((rc = store_read(u->store, sched_read_fn, &s)) != 0) {
		log_err("upki: cannot read the jobs: %s", err_str(rc));
		upki_sched_arm(u, 10000);
		goto out;
	}
	qsort(s.v, s.n, sizeof(s.v[0]), sched_id_cmp);
	now = u->now();
	u->st.pending = (unsigned)s.n;
	for (size_t i = 0; i < s.n; i++) {
		const struct sched_job *q = &s.v[i];
		int64_t due;

		if (q->state == REC_JOB_QUEUED || q->state == REC_JOB_FAILED) {
			if (q->no_serial) {
				need = now;           /* the bulk TSV names the serial to renew */
				mult = 1;
				continue;
			}
			if (q->next_attempt > now) {
				up_next = sched_min(up_next, q->next_attempt);
				continue;
			}
			if (kind < 0)
				kind = q->kind;
			if (q->kind == kind && nb < UPKI_UPLOAD_ROWS_MAX)
				batch[nb++] = q->id;
			continue;
		}
		/* submitted */
		due = q->expected_at != 0 ? q->expected_at : q->submitted_at +
		    u->cfg->upki_expected_delay_s;
		if (q->expected_at == 0 && q->next_attempt != 0)
			due = sched_min(due, q->next_attempt);
		if (due > now) {
			need = sched_min(need, due);
		} else {
			/*
			 * Slow down by how overdue the job was at the last download, not
			 * now: measured now, every wake-up finds it later still and moves
			 * the next poll further out, and no poll ever happens.
			 */
			int64_t ref = now;
			unsigned m;

			if (u->have_last_bulk)
				ref = now - (int64_t)((platform_mono_ms() - u->last_bulk_ms) / 1000);
			m = sched_overdue_mult(u->cfg, ref > due ? ref - due : 0);

			need = now;
			if (m < mult)
				mult = m;
		}
	}
	if (mult == 64)
		mult = 1;
	if (nb > 0) {
		rc = upki_upload_start(u, kind, batch, nb);
		if (rc == 0)
			goto out;
		if (rc == 1) {
			upki_sched_arm(u, 0);   /* rows were given up while building: plan again */
			goto out;
		}
		log_warn("upki: upload not started: %s", err_str(rc));
		up_next = sched_min(up_next, now + u->cfg->upki_retry_base_s);
	}
	u->next_poll = 0;
	if (need != INT64_MAX) {
		int64_t gate = sched_gate_ms(u, mult);

		if (need <= now && gate == 0) {
			rc = upki_poll_start(u);
			if (rc == 0) {
				u->next_poll = now;
				goto out;
			}
			log_warn("upki: bulk download not started: %s", err_str(rc));
			gate = sched_gate_ms(u, mult);
			if (gate == 0)
				gate = (int64_t)u->cfg->upki_poll_interval_s * 1000;
		}
		delay = (need - now) * 1000;
		if (delay < gate)
			delay = gate;
		u->next_poll = now + (delay + 999) / 1000;
	}
	if (up_next != INT64_MAX)
		delay = sched_min(delay, (up_next - now) * 1000);
	if (delay != INT64_MAX)
		upki_sched_arm(u, delay);
out:
	free(s.v);
	free(s.ids);
}

static void
sched_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	upki_sched(arg);
}

/* ---- issuer ops ---- */

static int
ops_check(void *ctx, const struct issuer_request *rq, struct issuer_problem *prob)
{
	return upki_job_check(ctx, rq, prob);
}

static int
ops_submit(void *ctx, struct store_txn *t, const struct issuer_request *rq, uint64_t *job_id,
    int *already_issued, uint64_t *cert_id)
{
	return upki_job_submit(ctx, t, rq, job_id, already_issued, cert_id);
}

static void
ops_kick(void *ctx)
{
	struct upki *u = ctx;

	upki_sched_arm(u, 0);
}

static int
ops_revoke(void *ctx, struct store_txn *t, const struct rec_cert *cert, int reason,
    struct issuer_problem *prob)
{
	struct upki *u = ctx;
	int rc = upki_job_revoke(u, t, cert, reason, prob);

	if (rc == 0)
		upki_sched_arm(u, 0);       /* runs after the caller's commit */
	return rc;
}

static int
ops_chain(void *ctx, const struct rec_cert *cert, const char **pem, size_t *len)
{
	struct upki *u = ctx;
	int rc;

	*pem = "";
	*len = 0;
	if (cert->der_len == 0)
		return 0;
	rc = upki_chains_find(u->chains, cert->der, cert->der_len, pem, len, NULL, 0);
	if (rc == 0 && *len == 0 && upki_chains_count(u->chains) > 0)
		log_warn("upki: no intermediate in upki_chain matches the issuer of certificate %s "
		    "(%s): serving the leaf alone", cert->serial_dec, cert->chain);
	return rc;
}

struct ra_arg {
	uint64_t id;
	struct rec_job j;
};

static int
ra_fn(struct store_txn *t, void *arg)
{
	struct ra_arg *ra = arg;

	return store_job_get(t, ra->id, &ra->j);
}

static unsigned
ops_retry_after(void *ctx, uint64_t job_id)
{
	struct upki *u = ctx;
	const struct config *cfg = u->cfg;
	struct ra_arg ra;
	int64_t now = u->now(), s, at;

	memset(&ra, 0, sizeof(ra));
	ra.id = job_id;
	if (job_id == 0 || store_read(u->store, ra_fn, &ra) != 0) {
		s = u->next_poll > now ? u->next_poll - now + 2 : cfg->upki_expected_delay_s;
	} else {
		switch (ra.j.state) {
		case REC_JOB_QUEUED:
			s = cfg->upki_expected_delay_s;
			break;
		case REC_JOB_FAILED:
			s = ra.j.next_attempt - now + cfg->upki_expected_delay_s;
			break;
		case REC_JOB_SUBMITTED:
			at = ra.j.expected_at != 0 ? ra.j.expected_at :
			    ra.j.submitted_at + cfg->upki_expected_delay_s;
			if (u->next_poll > at)
				at = u->next_poll;
			s = at - now + 2;     /* the download and its parse take a moment */
			break;
		default:
			s = 1;
			break;
		}
	}
	if (s < 1)
		s = 1;
	if (s > UPKI_BACKOFF_MAX_S)
		s = UPKI_BACKOFF_MAX_S;
	return (unsigned)s;
}

static void
ops_free(void *ctx)
{
	upki_core_free(ctx);
}

static const struct issuer_ops upki_ops = {
	.name = "upki",
	.check = ops_check,
	.submit = ops_submit,
	.kick = ops_kick,
	.revoke = ops_revoke,
	.chain = ops_chain,
	.retry_after = ops_retry_after,
	.free = ops_free,
};

static int64_t
wall_now(void)
{
	return platform_wall_s();
}

int
upki_core_new(struct upki **out, struct event_base *base, struct store *store,
    const struct config *cfg)
{
	struct upki *u = calloc(1, sizeof(*u));

	*out = NULL;
	if (u == NULL)
		return ERR_NOMEM;
	u->is.ops = &upki_ops;
	u->is.ctx = u;
	u->base = base;
	u->store = store;
	u->cfg = cfg;
	u->now = wall_now;
	if (base != NULL) {
		u->timer = evtimer_new(base, sched_timer_cb, u);
		if (u->timer == NULL) {
			free(u);
			return ERR_NOMEM;
		}
	}
	*out = u;
	return 0;
}

void
upki_core_free(struct upki *u)
{
	if (u == NULL)
		return;
	if (u->timer != NULL)
		event_free(u->timer);
	/* An exchange in flight is dropped; its jobs stay "submitted, outcome unknown"
	 * in the store and are reconciled at the next start. */
	upki_sess_free(u->sess);
	upki_poll_free(u->poll);
	upki_upload_free(u->batch);
	upki_chains_free(u->chains);
	tls_client_free(u->tls);
	free(u);
}

static int
cfg_need(const char *key, const char *val)
{
	if (val[0] != '\0')
		return 0;
	log_err("upki: %s is not set", key);
	return ERR_CONFIG;
}

int
upki_backend_new(struct issuer **out, struct event_base *base, struct store *store,
    const struct config *cfg)
{
	struct upki *u = NULL;
	char err[512], dn[REC_DN_MAX + 1];
	int rc;

	*out = NULL;
	rc = cfg_need("upki_url", cfg->upki_url) | cfg_need("upki_ca", cfg->upki_ca) |
	    cfg_need("upki_client_cert", cfg->upki_client_cert) |
	    cfg_need("upki_client_key", cfg->upki_client_key) | cfg_need("upki_org", cfg->upki_org) |
	    cfg_need("upki_state", cfg->upki_state) | cfg_need("upki_locality", cfg->upki_locality) |
	    cfg_need("upki_admin_name", cfg->upki_admin_name) |
	    cfg_need("upki_admin_dept", cfg->upki_admin_dept) |
	    cfg_need("upki_admin_email", cfg->upki_admin_email);
	if (rc != 0)
		return ERR_CONFIG;
	if (upki_subject_dn(cfg, "www.example.ac.jp", dn, sizeof(dn), err, sizeof(err)) != 0) {
		log_err("upki: the institution's subject (upki_org, upki_locality, upki_state) is "
		    "not valid for UPKI: %s", err);
		return ERR_CONFIG;
	}
	if ((rc = upki_core_new(&u, base, store, cfg)) != 0)
		return rc;
	if ((rc = upki_endpoint_parse(&u->ep, cfg, err, sizeof(err))) != 0) {
		log_err("upki: %s", err);
		goto fail;
	}
	if ((rc = tls_client_new(&u->tls, cfg->upki_ca, cfg->upki_client_cert,
	    cfg->upki_client_key)) != 0) {
		log_err("upki: cannot load upki_ca %s, upki_client_cert %s or upki_client_key %s: %s",
		    cfg->upki_ca, cfg->upki_client_cert, cfg->upki_client_key, err_str(rc));
		goto fail;
	}
	if ((rc = upki_sess_new(&u->sess, base, &u->ep, u->tls, (unsigned)cfg->upki_timeout_s,
	    (unsigned)cfg->upki_bulk_timeout_s)) != 0)
		goto fail;
	if ((rc = upki_chains_load(&u->chains, cfg->upki_chain)) != 0)
		goto fail;
	if (ENABLE_UPKI_TEST_COMMANDS) {
		const char *b = getenv("UPKI_TEST_CRASH_BEFORE_UPLOAD");
		const char *a = getenv("UPKI_TEST_CRASH_AFTER_UPLOAD");

		u->crash_before = b != NULL && strcmp(b, "1") == 0;
		u->crash_after = a != NULL && strcmp(a, "1") == 0;
	}
	log_info("upki: backend for %s (via %s), %zu chain certificate(s), bulk download at most "
	    "every %d s", cfg->upki_url, u->ep.addr_text, upki_chains_count(u->chains),
	    cfg->upki_poll_interval_s);
	upki_sched_arm(u, 0);          /* resume pending jobs once the loop runs */
	*out = &u->is;
	return 0;
fail:
	upki_core_free(u);
	return rc;
}

void
upki_backend_free(struct issuer *is)
{
	if (is == NULL)
		return;
	upki_core_free(is->ctx);
}

void
upki_backend_stats(const struct issuer *is, struct upki_stats *st)
{
	const struct upki *u = is->ctx;

	*st = u->st;
	st->logins = u->sess != NULL ? upki_sess_logins(u->sess) : 0;
	st->next_poll = u->next_poll;
}
