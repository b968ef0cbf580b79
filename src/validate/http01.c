/*
 * http-01 validation (RFC 8555 §8.3) on the reactor: resolve the name with the
 * configured resolver only, check every address against the filter
 * (netfilter.c) before connecting, GET the token from each allowed address in
 * turn, follow at most V01_REDIRECTS redirects (http or https, ports 80/443 or
 * http01_port, relative Locations resolved, https without certificate checks:
 * the client proves control by the body, not by a certificate), retry
 * connection failures a few times, and compare the body with the key
 * authorization. Errors name the URL, the address and the status, with at
 * most V01_EXCERPT sanitized body bytes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "http/client.h"
#include "tls/tls.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "validate/http01_url.h"
#include "validate/resolver.h"
#include "validate/validate.h"
#include "validate/validate_int.h"

#define V01_TRIES 3               /* rounds over all addresses */
#define V01_RETRY_MS 1000
#define V01_REDIRECTS 10          /* hops after the first request */
#define V01_TIMEOUT_MS 10000
#define V01_BODY_MAX 8192
#define V01_MAX_PENDING 512
#define V01_EXCERPT 32            /* body bytes quoted in an error */

struct v01;

struct v01 {
	struct validator *v;
	struct v01 *prev, *next;
	char name[254];              /* the identifier */
	struct http01_url u;         /* the current URL (after redirects) */
	char keyauth[200];
	validate_cb cb;
	void *arg;
	struct sockaddr_storage addrs[RESOLVER_MAX_ADDRS];
	int naddrs, idx, round, redirects, ndenied;
	struct http_client *hc;
	struct event *timer;
	char last_err[640];          /* this hop's last connection failure */
	char deny_err[640];          /* this hop's last address refused by the filter */
	char peer[INET6_ADDRSTRLEN + 8];   /* address of the current exchange, for errors */
};

static void
v01_free(struct v01 *j)
{
	struct validator *v = j->v;

	if (j->hc != NULL)
		http_client_cancel(j->hc);
	if (j->timer != NULL)
		event_free(j->timer);
	if (j->prev)
		j->prev->next = j->next;
	else
		v->http01_pending = j->next;
	if (j->next)
		j->next->prev = j->prev;
	v->http01_npending--;
	free(j);
}

void
http01_cancel_all(struct validator *v)
{
	while (v->http01_pending != NULL)
		v01_free(v->http01_pending);
	tls_client_free(v->http01_tls);
	v->http01_tls = NULL;
}

/* "scheme://host[:port]" of the current URL into buf (port only when not the default). */
static const char *
v01_origin(const struct v01 *j, char *buf, size_t cap)
{
	const char *sch = j->u.https ? "https" : "http";
	int def = j->u.https ? 443 : 80;
	int v6 = strchr(j->u.host, ':') != NULL;

	if (j->u.port == def)
		snprintf(buf, cap, "%s://%s%.200s%s", sch, v6 ? "[" : "", j->u.host, v6 ? "]" : "");
	else
		snprintf(buf, cap, "%s://%s%.200s%s:%d", sch, v6 ? "[" : "", j->u.host, v6 ? "]" : "",
		    j->u.port);
	return buf;
}

/* At most V01_EXCERPT bytes of p, quoted; anything but plain URL-ish ASCII becomes '?'. */
static const char *
v01_excerpt(const unsigned char *p, size_t n, char *buf, size_t cap)
{
	size_t k = 0, i;

	if (cap < V01_EXCERPT + 6)
		return "";
	buf[k++] = '"';
	for (i = 0; i < n && i < V01_EXCERPT; i++) {
		unsigned char c = p[i];
		buf[k++] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr(" ._~+/=:-", c) != NULL) && c != '\0' ? (char)c : '?';
	}
	buf[k++] = '"';
	if (n > V01_EXCERPT) {
		memcpy(buf + k, STR_LIT("..."));
		k += 3;
	}
	buf[k] = '\0';
	return buf;
}

static void
finish(struct v01 *j, int ok, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
finish(struct v01 *j, int ok, const char *type, const char *fmt, ...)
{
	struct validate_result r;
	validate_cb cb = j->cb;
	void *arg = j->arg;
	va_list ap;

	va_start(ap, fmt);
	validate_result_vset(&r, ok, type, fmt, ap);
	va_end(ap);
	j->hc = NULL;
	v01_free(j);
	cb(arg, &r);
}

static void try_addr(struct v01 *j);
static void resolve(struct v01 *j);

/* Run cb(j) after tv on j's one timer (one wait at a time). 0 or ERR_NOMEM. */
static int
v01_later(struct v01 *j, event_callback_fn cb, const struct timeval *tv)
{
	if (j->timer == NULL)
		j->timer = evtimer_new(j->v->base, cb, j);
	else if (evtimer_assign(j->timer, j->v->base, cb, j) != 0)
		return ERR_NOMEM;
	if (j->timer == NULL || evtimer_add(j->timer, tv) != 0)
		return ERR_NOMEM;
	return 0;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	try_addr(arg);
}

/* The next address, or the next round after a pause, or give up. */
static void
next_addr(struct v01 *j)
{
	struct timeval tv = { V01_RETRY_MS / 1000, (V01_RETRY_MS % 1000) * 1000 };

	if (++j->idx < j->naddrs) {
		try_addr(j);
		return;
	}
	if (j->ndenied == j->naddrs) {
		/* Waiting would not change the answer: every address is refused by policy. */
		finish(j, 0, "connection", "%s", j->deny_err);
		return;
	}
	if (++j->round >= V01_TRIES) {
		finish(j, 0, "connection", "%s", j->last_err);
		return;
	}
	j->idx = 0;
	j->ndenied = 0;
	if (v01_later(j, retry_cb, &tv) != 0)
		finish(j, 0, "serverInternal", "out of memory while validating %s", j->name);
}

static int
is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static void
on_done(void *arg, int rc, const struct http_client_resp *resp)
{
	struct v01 *j = arg;
	char url[300], why[200], ex[V01_EXCERPT + 8];
	size_t n;
	const char *loc;

	j->hc = NULL;
	v01_origin(j, url, sizeof(url));
	if (rc != 0) {
		snprintf(j->last_err, sizeof(j->last_err), "cannot fetch %.200s%.150s from %s: %s", url,
		    j->u.target, j->peer, rc == ERR_TLS && resp->tls_error != 0 ?
		    tls_error_name(resp->tls_error) : err_str(rc));
		next_addr(j);
		return;
	}
	if (is_redirect(resp->status) && (loc = http_client_resp_header(resp, "location")) != NULL) {
		if (++j->redirects > V01_REDIRECTS) {
			finish(j, 0, "connection", "more than %d redirects; the last, from %s%.200s (%s), "
			    "answered HTTP %d", V01_REDIRECTS, url, j->u.target, j->peer, resp->status);
			return;
		}
		if (http01_url_redirect(&j->u, loc, j->v->http01_port, why, sizeof(why)) != 0) {
			finish(j, 0, "connection", "%s%.200s (%s) answered HTTP %d with a redirect that is "
			    "not followed: %s", url, j->u.target, j->peer, resp->status, why);
			return;
		}
		log_debug("validate: http-01 %s: %s%.200s (%s) redirects (%d) to %s",
		    j->name, url, j->u.target, j->peer, resp->status, v01_origin(j, url, sizeof(url)));
		resolve(j);
		return;
	}
	if (resp->status != 200) {
		finish(j, 0, "unauthorized", "%s%.200s (%s) answered HTTP %d, not the key authorization",
		    url, j->u.target, j->peer, resp->status);
		return;
	}
	n = resp->body_len;
	while (n > 0 && (resp->body[n - 1] == ' ' || resp->body[n - 1] == '\t' ||
	    resp->body[n - 1] == '\r' || resp->body[n - 1] == '\n'))
		n--;
	if (n != strlen(j->keyauth) || memcmp(resp->body, j->keyauth, n) != 0) {
		finish(j, 0, "incorrectResponse", "%s%.200s (%s) answered HTTP 200 with %zu bytes "
		    "starting %s instead of the key authorization %s", url, j->u.target, j->peer,
		    resp->body_len, v01_excerpt(resp->body, resp->body_len, ex, sizeof(ex)), j->keyauth);
		return;
	}
	finish(j, 1, NULL, " ");
}

static void
try_addr(struct v01 *j)
{
	struct http_client_req rq;
	struct sockaddr_storage sa = j->addrs[j->idx];
	socklen_t sl = sa.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	char host[270], a[INET6_ADDRSTRLEN], why[200], url[300];
	int rc;

	if (sa.ss_family == AF_INET)
		((struct sockaddr_in *)&sa)->sin_port = htons((unsigned short)j->u.port);
	else
		((struct sockaddr_in6 *)&sa)->sin6_port = htons((unsigned short)j->u.port);
	validate_addr_str((const struct sockaddr *)&sa, a, sizeof(a));
	snprintf(j->peer, sizeof(j->peer), sa.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", a, j->u.port);
	if (validate_addr_check(j->v, (const struct sockaddr *)&sa, sl, why, sizeof(why)) != 0) {
		/* Before any socket exists: nothing is sent to a denied address. */
		log_info("validate: http-01 %s: not connecting to %s for %s: %s", j->name, j->peer,
		    j->u.host, why);
		snprintf(j->deny_err, sizeof(j->deny_err), "%.150s%.100s resolves to %s, which is not "
		    "contacted: %.180s", v01_origin(j, url, sizeof(url)), j->u.target, j->peer, why);
		j->ndenied++;
		next_addr(j);
		return;
	}
	if (j->u.https && j->v->http01_tls == NULL &&
	    (rc = tls_client_new_insecure(&j->v->http01_tls)) != 0) {
		finish(j, 0, "serverInternal", "cannot set up TLS for %s: %s", j->u.host, err_str(rc));
		return;
	}
	if (j->u.port == (j->u.https ? 443 : 80))
		snprintf(host, sizeof(host), strchr(j->u.host, ':') ? "[%s]" : "%s", j->u.host);
	else
		snprintf(host, sizeof(host), strchr(j->u.host, ':') ? "[%s]:%d" : "%s:%d", j->u.host, j->u.port);
	memset(&rq, 0, sizeof(rq));
	rq.addr = (const struct sockaddr *)&sa;
	rq.addrlen = sl;
	rq.tls = j->u.https ? j->v->http01_tls : NULL;
	rq.sni = j->u.https && strchr(j->u.host, ':') == NULL && inet_pton(AF_INET, j->u.host, a) != 1 ?
	    j->u.host : NULL;
	rq.method = "GET";
	rq.host = host;
	rq.target = j->u.target;
	rq.timeout_ms = V01_TIMEOUT_MS;
	rq.max_body_bytes = V01_BODY_MAX;
	rq.on_done = on_done;
	rq.arg = j;
	rc = http_client_start(j->v->base, &rq, &j->hc);
	if (rc != 0) {
		snprintf(j->last_err, sizeof(j->last_err), "cannot connect to %s (%s): %s", host, j->peer,
		    err_str(rc));
		next_addr(j);
	}
}

static void
resolved(void *arg, int rc, const struct sockaddr_storage *addrs, int n)
{
	struct v01 *j = arg;

	if (rc != 0 || n <= 0) {
		finish(j, 0, "dns", "cannot resolve %s: %s", j->u.host,
		    rc == ERR_NOTFOUND ? "no A or AAAA records" : err_str(rc));
		return;
	}
	j->naddrs = n > RESOLVER_MAX_ADDRS ? RESOLVER_MAX_ADDRS : n;
	memmove(j->addrs, addrs, sizeof(addrs[0]) * (size_t)j->naddrs);
	j->idx = 0;
	j->round = 0;
	j->ndenied = 0;
	j->last_err[0] = j->deny_err[0] = '\0';
	try_addr(j);
}

static void
literal_cb(evutil_socket_t fd, short what, void *arg)
{
	struct v01 *j = arg;

	(void)fd;
	(void)what;
	resolved(j, 0, j->addrs, 1);
}

/* Look up j->u.host (an IP literal of a redirect needs no lookup); the answer comes later. */
static void
resolve(struct v01 *j)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&j->addrs[0];
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&j->addrs[0];
	struct timeval tv = { 0, 0 };
	int rc;

	memset(&j->addrs[0], 0, sizeof(j->addrs[0]));
	if (inet_pton(AF_INET, j->u.host, &in4->sin_addr) == 1 ||
	    inet_pton(AF_INET6, j->u.host, &in6->sin6_addr) == 1) {
		j->addrs[0].ss_family = strchr(j->u.host, ':') ? AF_INET6 : AF_INET;
		if (v01_later(j, literal_cb, &tv) != 0)
			finish(j, 0, "serverInternal", "out of memory while validating %s", j->name);
		return;
	}
	rc = resolver_addrs(j->v->res, j->u.host, resolved, j);
	if (rc != 0)
		finish(j, 0, "dns", "cannot resolve %s: %s", j->u.host, err_str(rc));
}

static void
fail_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct v01 *j = arg;

	(void)fd;
	(void)what;
	finish(j, 0, "dns", "no DNS resolver is configured on this server: it cannot look up %s",
	    j->name);
}

int
validate_http01(struct validator *v, const char *name, const char *token, const char *keyauth,
    validate_cb cb, void *arg)
{
	struct v01 *j;

	if (strlen(name) >= sizeof(j->name) || strlen(keyauth) >= sizeof(j->keyauth) ||
	    strlen(token) > 128)
		return ERR_TOOBIG;
	if (v->http01_npending >= V01_MAX_PENDING)
		return ERR_TOOBIG;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return ERR_NOMEM;
	j->v = v;
	strcpy(j->name, name);
	strcpy(j->u.host, name);
	snprintf(j->u.target, sizeof(j->u.target), "/.well-known/acme-challenge/%s", token);
	strcpy(j->keyauth, keyauth);
	j->u.port = v->http01_port;
	j->cb = cb;
	j->arg = arg;
	j->next = v->http01_pending;
	if (v->http01_pending)
		v->http01_pending->prev = j;
	v->http01_pending = j;
	v->http01_npending++;
	if (v->res == NULL) {
		struct timeval tv = { 0, 0 };
		j->timer = evtimer_new(v->base, fail_later_cb, j);
		if (j->timer == NULL || evtimer_add(j->timer, &tv) != 0) {
			v01_free(j);
			return ERR_NOMEM;
		}
		return 0;
	}
	resolve(j);   /* resolver callbacks never run inside this call */
	return 0;
}
