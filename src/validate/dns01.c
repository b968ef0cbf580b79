/*
 * dns-01 validation (RFC 8555 §8.4) on the reactor: one TXT lookup of
 * "_acme-challenge.<name>" through the configured resolver, retried a few
 * times when the server fails (SERVFAIL, timeout), never when it answers;
 * valid when any one of the TXT records equals base64url(SHA-256(key
 * authorization)). The resolver keeps only records owned by the query name or
 * by the end of its CNAME chain, so a CNAME to a delegated validation zone
 * works and a record smuggled in under another owner does not count.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util/b64.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "validate/resolver.h"
#include "validate/validate.h"
#include "validate/validate_int.h"
#include "x509/digest.h"

#define D01_TRIES 3               /* lookups when the server fails */
#define D01_RETRY_MS 1000
#define D01_MAX_PENDING 512
#define D01_SHOW_MAX 60           /* bytes of a wrong TXT value shown in the error */
#define D01_PREFIX "_acme-challenge."

struct d01 {
	struct validator *v;
	struct d01 *prev, *next;
	char qname[sizeof(D01_PREFIX) + RESOLVER_NAME_MAX];
	char want[48];               /* base64url(SHA-256(key authorization)), 43 characters */
	validate_cb cb;
	void *arg;
	int tries;
	struct event *timer;
	char last_err[sizeof(D01_PREFIX) + RESOLVER_NAME_MAX + 100];
};

static void
d01_free(struct d01 *j)
{
	struct validator *v = j->v;

	if (j->timer != NULL)
		event_free(j->timer);
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		v->dns01_pending = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	v->dns01_npending--;
	free(j);
}

void
dns01_cancel_all(struct validator *v)
{
	while (v->dns01_pending != NULL)
		d01_free(v->dns01_pending);
}

static void
d01_finish(struct d01 *j, int ok, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
d01_finish(struct d01 *j, int ok, const char *type, const char *fmt, ...)
{
	struct validate_result r;
	validate_cb cb = j->cb;
	void *arg = j->arg;
	va_list ap;

	va_start(ap, fmt);
	validate_result_vset(&r, ok, type, fmt, ap);
	va_end(ap);
	d01_free(j);
	cb(arg, &r);
}

/*
 * A TXT value as the client may see it in an error: printable ASCII only
 * (anything else, and the quote and backslash, become '?'), at most
 * D01_SHOW_MAX bytes, "..." when cut.
 */
static void
d01_show(char *out, size_t cap, const struct resolver_txt *t)
{
	size_t n = t->len < D01_SHOW_MAX ? t->len : D01_SHOW_MAX;
	size_t i;

	if (cap < D01_SHOW_MAX + 4)
		n = cap > 4 ? cap - 4 : 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t->data[i];

		out[i] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '?' : (char)c;
	}
	if (n < t->len) {
		memcpy(out + i, STR_LIT("..."));
		i += 3;
	}
	out[i] = '\0';
}

static void d01_query(struct d01 *j);

static void
d01_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	d01_query(arg);
}

/* A failure of the server, not an answer: ask again after a pause, or give up. */
static void
d01_again(struct d01 *j)
{
	struct timeval tv = { D01_RETRY_MS / 1000, (D01_RETRY_MS % 1000) * 1000 };

	if (++j->tries >= D01_TRIES) {
		d01_finish(j, 0, "dns", "%s (%d tries)", j->last_err, j->tries);
		return;
	}
	if (j->timer == NULL)
		j->timer = evtimer_new(j->v->base, d01_retry_cb, j);
	if (j->timer == NULL || evtimer_add(j->timer, &tv) != 0)
		d01_finish(j, 0, "serverInternal", "out of memory while validating TXT %s", j->qname);
}

static void
d01_txt_cb(void *arg, int rc, const struct resolver_txt *txts, int n)
{
	struct d01 *j = arg;
	char first[D01_SHOW_MAX + 4];

	switch (rc) {
	case 0:
		break;
	case ERR_NOTFOUND:
		d01_finish(j, 0, "dns", "NXDOMAIN looking up TXT %s: the name does not exist",
		    j->qname);
		return;
	case ERR_TOOBIG:
		d01_finish(j, 0, "dns", "the TXT records at %s are more than %d, or one is over %d "
		    "bytes", j->qname, RESOLVER_MAX_TXT, RESOLVER_TXT_MAX);
		return;
	case ERR_PROTOCOL:
		d01_finish(j, 0, "dns", "the DNS server's answer for TXT %s is malformed", j->qname);
		return;
	case ERR_AGAIN:
		snprintf(j->last_err, sizeof(j->last_err), "the DNS server answered SERVFAIL or "
		    "REFUSED for TXT %s", j->qname);
		d01_again(j);
		return;
	case ERR_TIMEOUT:
		snprintf(j->last_err, sizeof(j->last_err), "no answer from the DNS server for TXT %s",
		    j->qname);
		d01_again(j);
		return;
	default:
		snprintf(j->last_err, sizeof(j->last_err), "cannot look up TXT %s: %s", j->qname,
		    err_str(rc));
		d01_again(j);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (txts[i].len == strlen(j->want) && memcmp(txts[i].data, j->want, txts[i].len) == 0) {
			d01_finish(j, 1, NULL, " ");
			return;
		}
	}
	if (n == 0) {
		d01_finish(j, 0, "unauthorized", "no TXT record at %s", j->qname);
		return;
	}
	d01_show(first, sizeof(first), &txts[0]);
	d01_finish(j, 0, "incorrectResponse", "TXT records at %s: %d, none matches %s; first: "
	    "\"%s\"", j->qname, n, j->want, first);
}

static void
d01_query(struct d01 *j)
{
	int rc = resolver_txt(j->v->res, j->qname, d01_txt_cb, j);

	if (rc == ERR_MALFORMED) {
		d01_finish(j, 0, "dns", "%s is not a name that can be looked up", j->qname);
		return;
	}
	if (rc != 0) {
		/* The resolver is full: like a failed lookup, from a timer (never inside the call). */
		snprintf(j->last_err, sizeof(j->last_err), "cannot look up TXT %s: %s", j->qname,
		    err_str(rc));
		d01_again(j);
	}
}

static void
d01_fail_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct d01 *j = arg;

	(void)fd;
	(void)what;
	d01_finish(j, 0, "dns", "no DNS resolver is configured on this server: it cannot look "
	    "up TXT %s", j->qname);
}

int
dns01_digest(const char *keyauth, char *out, size_t cap)
{
	struct x509_sha256 h;
	unsigned char d[X509_SHA256_LEN];

	x509_sha256_init(&h);
	x509_sha256_update(&h, keyauth, strlen(keyauth));
	x509_sha256_out(&h, d);
	return b64url_encode(out, cap, d, sizeof(d)) < 0 ? ERR_TOOBIG : 0;
}

int
validate_dns01(struct validator *v, const char *name, const char *keyauth, validate_cb cb,
    void *arg)
{
	struct timeval now = { 0, 0 };
	struct d01 *j;
	int rc;

	if (v == NULL || name == NULL || keyauth == NULL || cb == NULL)
		return ERR_STATE;
	if (strlen(name) > RESOLVER_NAME_MAX || strlen(keyauth) > 512)
		return ERR_TOOBIG;
	if (v->dns01_npending >= D01_MAX_PENDING)
		return ERR_TOOBIG;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return ERR_NOMEM;
	j->v = v;
	snprintf(j->qname, sizeof(j->qname), D01_PREFIX "%s", name);
	if ((rc = dns01_digest(keyauth, j->want, sizeof(j->want))) != 0) {
		free(j);
		return rc;
	}
	j->cb = cb;
	j->arg = arg;
	j->next = v->dns01_pending;
	if (v->dns01_pending != NULL)
		v->dns01_pending->prev = j;
	v->dns01_pending = j;
	v->dns01_npending++;
	/* The first step always runs from the loop: cb is never called inside this call. */
	j->timer = evtimer_new(v->base, v->res != NULL ? d01_retry_cb : d01_fail_later_cb, j);
	if (j->timer == NULL || evtimer_add(j->timer, &now) != 0) {
		d01_free(j);
		return ERR_NOMEM;
	}
	return 0;
}
