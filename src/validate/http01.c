/*
 * http-01 validation (RFC 8555 §8.3) on the reactor: resolve the name with the
 * configured resolver only, GET the token from each address in turn, follow a
 * bounded number of plain-HTTP redirects, retry connection failures a few
 * times, and compare the body with the key authorization.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "http/client.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "validate/resolver.h"
#include "validate/validate.h"
#include "validate/validate_int.h"

#define V01_TRIES 3               /* rounds over all addresses */
#define V01_RETRY_MS 1000
#define V01_REDIRECTS 3
#define V01_TIMEOUT_MS 10000
#define V01_BODY_MAX 8192
#define V01_MAX_PENDING 512

struct v01;

struct v01 {
	struct validator *v;
	struct v01 *prev, *next;
	char name[254];              /* the identifier */
	char host[254];              /* host of the current URL (after redirects) */
	char target[600];
	int port;
	char keyauth[200];
	validate_cb cb;
	void *arg;
	struct sockaddr_storage addrs[RESOLVER_MAX_ADDRS];
	int naddrs, idx, round, redirects;
	struct http_client *hc;
	struct event *timer;
	char last_err[512];
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

	memset(&r, 0, sizeof(r));
	r.ok = ok;
	if (!ok) {
		str_copy(r.type, sizeof(r.type), type);
		va_start(ap, fmt);
		vsnprintf(r.detail, sizeof(r.detail), fmt, ap);
		va_end(ap);
		for (char *p = r.detail; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';
	}
	j->hc = NULL;
	v01_free(j);
	cb(arg, &r);
}

static void try_addr(struct v01 *j);
static void resolve(struct v01 *j);

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
	if (++j->round >= V01_TRIES) {
		finish(j, 0, "connection", "%s", j->last_err);
		return;
	}
	j->idx = 0;
	if (j->timer == NULL)
		j->timer = evtimer_new(j->v->base, retry_cb, j);
	if (j->timer == NULL || evtimer_add(j->timer, &tv) != 0)
		finish(j, 0, "serverInternal", "out of memory while validating %s", j->name);
}

/* "http://host[:port]/path" -> host, port, target; 0 or ERR_UNSUPPORTED. */
static int
parse_location(struct v01 *j, const char *loc)
{
	const char *h, *slash, *colon;
	size_t hl;
	long port = 80;

	if (strncmp(loc, STR_LIT("http://")) != 0)
		return ERR_UNSUPPORTED;
	h = loc + 7;
	slash = strchr(h, '/');
	hl = slash ? (size_t)(slash - h) : strlen(h);
	colon = memchr(h, ':', hl);
	if (colon != NULL) {
		port = strtol(colon + 1, NULL, 10);
		hl = (size_t)(colon - h);
	}
	if (hl == 0 || hl >= sizeof(j->host) || (port != 80 && port != j->v->http01_port))
		return ERR_UNSUPPORTED;
	memcpy(j->host, h, hl);
	j->host[hl] = '\0';
	j->port = (int)port;
	str_copy(j->target, sizeof(j->target), slash ? slash : "/");
	return 0;
}

static void
on_done(void *arg, int rc, const struct http_client_resp *resp)
{
	struct v01 *j = arg;
	size_t n;
	const char *loc;

	j->hc = NULL;
	if (rc != 0) {
		snprintf(j->last_err, sizeof(j->last_err), "cannot fetch http://%.200s:%d%.200s: %s", j->host,
		    j->port, j->target, err_str(rc));
		next_addr(j);
		return;
	}
	if (resp->status >= 300 && resp->status < 400 &&
	    (loc = http_client_resp_header(resp, "location")) != NULL) {
		if (++j->redirects > V01_REDIRECTS) {
			finish(j, 0, "connection", "too many redirects from http://%s%s", j->name, j->target);
			return;
		}
		if (parse_location(j, loc) != 0) {
			finish(j, 0, "connection", "redirect to an unsupported URL (only http:// on port 80 "
			    "is followed): %.200s", loc);
			return;
		}
		resolve(j);
		return;
	}
	if (resp->status != 200) {
		finish(j, 0, "unauthorized", "http://%s%s answered HTTP %d, not the key authorization",
		    j->host, j->target, resp->status);
		return;
	}
	n = resp->body_len;
	while (n > 0 && (resp->body[n - 1] == ' ' || resp->body[n - 1] == '\t' ||
	    resp->body[n - 1] == '\r' || resp->body[n - 1] == '\n'))
		n--;
	if (n != strlen(j->keyauth) || memcmp(resp->body, j->keyauth, n) != 0) {
		finish(j, 0, "incorrectResponse", "http://%s%s answered %.80s instead of the key "
		    "authorization %s", j->host, j->target, (const char *)resp->body, j->keyauth);
		return;
	}
	finish(j, 1, NULL, " ");
}

static void
try_addr(struct v01 *j)
{
	struct http_client_req rq;
	struct sockaddr_storage sa = j->addrs[j->idx];
	char host[270];
	int rc;

	if (sa.ss_family == AF_INET)
		((struct sockaddr_in *)&sa)->sin_port = htons((unsigned short)j->port);
	else
		((struct sockaddr_in6 *)&sa)->sin6_port = htons((unsigned short)j->port);
	if (j->port == 80)
		snprintf(host, sizeof(host), "%s", j->host);
	else
		snprintf(host, sizeof(host), "%s:%d", j->host, j->port);
	memset(&rq, 0, sizeof(rq));
	rq.addr = (const struct sockaddr *)&sa;
	rq.addrlen = sa.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	rq.method = "GET";
	rq.host = host;
	rq.target = j->target;
	rq.timeout_ms = V01_TIMEOUT_MS;
	rq.max_body_bytes = V01_BODY_MAX;
	rq.on_done = on_done;
	rq.arg = j;
	rc = http_client_start(j->v->base, &rq, &j->hc);
	if (rc != 0) {
		snprintf(j->last_err, sizeof(j->last_err), "cannot connect to %.200s: %s", host, err_str(rc));
		next_addr(j);
	}
}

static void
resolved(void *arg, int rc, const struct sockaddr_storage *addrs, int n)
{
	struct v01 *j = arg;

	if (rc != 0 || n <= 0) {
		finish(j, 0, "dns", "cannot resolve %s: %s", j->host,
		    rc == ERR_NOTFOUND ? "no A or AAAA records" : err_str(rc));
		return;
	}
	j->naddrs = n > RESOLVER_MAX_ADDRS ? RESOLVER_MAX_ADDRS : n;
	memcpy(j->addrs, addrs, sizeof(addrs[0]) * (size_t)j->naddrs);
	j->idx = 0;
	j->round = 0;
	try_addr(j);
}

static void
resolve(struct v01 *j)
{
	int rc = resolver_addrs(j->v->res, j->host, resolved, j);

	if (rc != 0)
		finish(j, 0, "dns", "cannot resolve %s: %s", j->host, err_str(rc));
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
	strcpy(j->host, name);
	snprintf(j->target, sizeof(j->target), "/.well-known/acme-challenge/%s", token);
	strcpy(j->keyauth, keyauth);
	j->port = v->http01_port;
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
