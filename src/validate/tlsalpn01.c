/*
 * tls-alpn-01 validation (RFC 8737) on the reactor: resolve the name with the
 * configured resolver only, connect to each address on tlsalpn01_port (443),
 * do a TLS handshake offering only ALPN "acme-tls/1" with the name as SNI, and
 * check the certificate the server shows (x509_acme_tlsalpn_check). No data is
 * exchanged after the handshake; the connection is closed and its memory freed
 * as soon as the certificate has been looked at.
 *
 * Connection failures (refused, reset, timed out) move on to the next address,
 * then to another round after a pause, a bounded number of times. A server
 * that answers but answers wrong (a failed handshake, no ALPN, a certificate
 * that does not match) ends the validation at once: trying again would only
 * show the same thing. No new connection is started after VA_TOTAL_MS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "platform.h"
#include "tls/tls.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "validate/resolver.h"
#include "validate/validate.h"
#include "validate/validate_int.h"
#include "x509/digest.h"
#include "x509/x509.h"

#define VA_TRIES 3               /* rounds over all addresses */
#define VA_RETRY_MS 1000
#define VA_TIMEOUT_MS 10000      /* one connection: connect and handshake */
#define VA_TOTAL_MS 60000        /* no new connection after this long */
#define VA_MAX_PENDING 512

enum va_state { VA_IDLE, VA_CONNECT, VA_HANDSHAKE };

struct va01 {
	struct validator *v;
	struct va01 *prev, *next;
	char name[254];              /* the identifier, SNI and the expected dNSName */
	unsigned char digest[X509_ACME_ID_LEN];   /* SHA-256 of the key authorization */
	validate_cb cb;
	void *arg;
	struct sockaddr_storage addrs[RESOLVER_MAX_ADDRS];
	int naddrs, idx, round;
	uint64_t started_ms;         /* platform_mono_ms() at the start */
	enum va_state state;
	int fd;
	short armed;                 /* events ev waits for, 0: not added */
	struct tls_conn *tc;
	struct event ev;             /* I/O on fd */
	struct event timer;          /* deadline of one connection, or the pause between rounds */
	char addr[INET6_ADDRSTRLEN + 8];   /* "192.0.2.1:443", "[2001:db8::1]:443" */
	char last_err[400];
};

/* Drop the connection of the current attempt (socket, engine, I/O event). */
static void
va_conn_close(struct va01 *j)
{
	if (j->armed) {
		event_del(&j->ev);
		j->armed = 0;
	}
	if (j->tc != NULL) {
		if (j->fd >= 0)
			tls_conn_close(j->tc, j->fd);   /* close_notify, best effort */
		tls_conn_free(j->tc);
		j->tc = NULL;
	}
	if (j->fd >= 0) {
		close(j->fd);
		j->fd = -1;
	}
	j->state = VA_IDLE;
}

static void
va_free(struct va01 *j)
{
	struct validator *v = j->v;

	va_conn_close(j);
	evtimer_del(&j->timer);
	if (j->prev)
		j->prev->next = j->next;
	else
		v->tlsalpn01_pending = j->next;
	if (j->next)
		j->next->prev = j->prev;
	v->tlsalpn01_npending--;
	free(j);
}

void
tlsalpn01_cancel_all(struct validator *v)
{
	while (v->tlsalpn01_pending != NULL)
		va_free(v->tlsalpn01_pending);
}

static void
va_finish(struct va01 *j, int ok, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
va_finish(struct va01 *j, int ok, const char *type, const char *fmt, ...)
{
	struct validate_result r;
	validate_cb cb = j->cb;
	void *arg = j->arg;
	va_list ap;

	va_start(ap, fmt);
	validate_result_vset(&r, ok, type, fmt, ap);
	va_end(ap);
	va_free(j);
	cb(arg, &r);
}

static void va_try_addr(struct va01 *j);

/* This address failed at the connection level: the next one, another round, or give up. */
static void
va_next_addr(struct va01 *j)
{
	struct timeval tv = { VA_RETRY_MS / 1000, (VA_RETRY_MS % 1000) * 1000 };

	va_conn_close(j);
	if (platform_mono_ms() - j->started_ms >= VA_TOTAL_MS) {
		va_finish(j, 0, "connection", "tls-alpn-01 for %s: %s (gave up after %d s)", j->name,
		    j->last_err, VA_TOTAL_MS / 1000);
		return;
	}
	if (++j->idx < j->naddrs) {
		va_try_addr(j);
		return;
	}
	if (++j->round >= VA_TRIES) {
		va_finish(j, 0, "connection", "tls-alpn-01 for %s: %s (%d rounds over %d address%s)",
		    j->name, j->last_err, VA_TRIES, j->naddrs, j->naddrs == 1 ? "" : "es");
		return;
	}
	j->idx = 0;
	evtimer_del(&j->timer);
	if (evtimer_add(&j->timer, &tv) != 0)
		va_finish(j, 0, "serverInternal", "cannot wait to validate %s", j->name);
}

static void
va_conn_failed(struct va01 *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
va_conn_failed(struct va01 *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->last_err, sizeof(j->last_err), fmt, ap);
	va_end(ap);
	log_debug("validate: tls-alpn-01 %s: %s", j->name, j->last_err);
	va_next_addr(j);
}

/* The handshake completed: the server's choice of protocol, then its certificate. */
static void
va_check(struct va01 *j)
{
	struct x509_cert cert;
	const unsigned char *der;
	const char *proto = tls_conn_alpn_selected(j->tc);
	char why[300];
	size_t len;
	int rc;

	if (proto == NULL || strcmp(proto, TLS_ALPN_ACME) != 0) {
		va_finish(j, 0, "tls", "tls-alpn-01 at %s for %s: the server did not select the ALPN "
		    "protocol " TLS_ALPN_ACME, j->addr, j->name);
		return;
	}
	der = tls_conn_alpn_cert(j->tc, &len);
	if (der == NULL) {
		va_finish(j, 0, "tls", "tls-alpn-01 at %s for %s: the server sent no certificate",
		    j->addr, j->name);
		return;
	}
	rc = x509_acme_tlsalpn_check(&cert, der, len, j->name, j->digest, why, sizeof(why));
	if (rc != 0) {
		va_finish(j, 0, "incorrectResponse", "tls-alpn-01 at %s for %s: %s", j->addr, j->name,
		    why);
		return;
	}
	log_info("validate: tls-alpn-01 %s: valid certificate at %s", j->name, j->addr);
	va_finish(j, 1, NULL, " ");
}

static void va_io_cb(evutil_socket_t fd, short what, void *arg);

static int
va_arm(struct va01 *j, short want)
{
	if (want == 0)
		want = EV_READ;   /* the engine waits on nothing: a close or the timer ends it */
	if (want == j->armed)
		return 0;
	if (j->armed)
		event_del(&j->ev);
	j->armed = want;
	event_assign(&j->ev, j->v->base, j->fd, want | EV_PERSIST, va_io_cb, j);
	return event_add(&j->ev, NULL);
}

/* Move the handshake on as far as the socket allows. */
static void
va_handshake(struct va01 *j)
{
	unsigned char scratch[64];
	ssize_t n = tls_conn_read(j->tc, j->fd, scratch, sizeof(scratch));
	int err;

	if (tls_conn_ready(j->tc)) {
		va_check(j);
		return;
	}
	if (n == ERR_AGAIN) {
		if (va_arm(j, tls_conn_want(j->tc)) != 0)
			va_finish(j, 0, "serverInternal", "cannot wait for %s", j->addr);
		return;
	}
	err = tls_conn_error(j->tc);
	if (n == ERR_TLS) {
		int alert = tls_error_alert(err);
		/* The peer spoke TLS and refused, or sent what the engine cannot take. */
		char hint[80] = "";
		if (alert == 120)
			snprintf(hint, sizeof(hint), " (the server does not offer " TLS_ALPN_ACME ")");
		else if (tls_conn_alpn_cert_too_big(j->tc))
			snprintf(hint, sizeof(hint), " (its certificate is over %d bytes)",
			    TLS_ALPN_CERT_MAX);
		va_finish(j, 0, "tls", "tls-alpn-01 at %s for %s: TLS handshake failed: %s%s", j->addr,
		    j->name, tls_error_name(err), hint);
		return;
	}
	va_conn_failed(j, "connection to %s closed during the TLS handshake (%s)", j->addr,
	    n == ERR_CLOSED || n == 0 ? "the server closed it" : err_str((int)n));
}

static void
va_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct va01 *j = arg;
	int err = 0, rc;
	socklen_t el = sizeof(err);

	(void)what;
	if (j->state == VA_CONNECT) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
			err = errno;
		if (err == EINPROGRESS || err == EALREADY || err == EINTR)
			return;
		if (err != 0) {
			va_conn_failed(j, "cannot connect to %s: %s", j->addr, strerror(err));
			return;
		}
		if ((rc = tls_conn_new_alpn(&j->tc, j->name)) != 0) {
			va_finish(j, 0, "serverInternal", "cannot start TLS to %s: %s", j->addr,
			    err_str(rc));
			return;
		}
		j->state = VA_HANDSHAKE;
	}
	va_handshake(j);
}

static void
va_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct va01 *j = arg;

	(void)fd;
	(void)what;
	if (j->state == VA_CONNECT)
		va_conn_failed(j, "connection to %s timed out", j->addr);
	else if (j->state == VA_HANDSHAKE)
		va_conn_failed(j, "TLS handshake with %s timed out", j->addr);
	else
		va_try_addr(j);   /* the pause between rounds is over */
}

/*
 * The only place this file opens a connection. At merge this asks the
 * validator's address filter (validate_addr_check) first; here every resolved
 * address is allowed. 0 with *fd connecting (or connected), or -errno / a code
 * with why[0..cap) saying what happened.
 */
static int
va_connect(struct va01 *j, const struct sockaddr *sa, socklen_t salen, int *fd, char *why,
    size_t cap)
{
	int s, rc = 0;

	/* The one address filter, before any socket exists (validate_int.h). */
	if ((rc = validate_addr_check(j->v, sa, salen, why, cap)) != 0) {
		log_info("validate: tls-alpn-01 %s: not connecting to %s: %s", j->name, j->addr, why);
		goto out;
	}
	s = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		rc = -errno;
		snprintf(why, cap, "cannot open a socket: %s", strerror(errno));
		goto out;
	}
	if (connect(s, sa, salen) != 0 && errno != EINPROGRESS && errno != EINTR) {
		rc = -errno;
		snprintf(why, cap, "cannot connect: %s", strerror(errno));
		close(s);
		goto out;
	}
	*fd = s;
out:
	return rc;
}

static void
va_try_addr(struct va01 *j)
{
	struct sockaddr_storage sa = j->addrs[j->idx];
	struct timeval tv = { VA_TIMEOUT_MS / 1000, (VA_TIMEOUT_MS % 1000) * 1000 };
	unsigned short port = (unsigned short)j->v->tlsalpn01_port;
	char ip[INET6_ADDRSTRLEN], why[200];
	socklen_t len;

	if (sa.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
		s4->sin_port = htons(port);
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(j->addr, sizeof(j->addr), "%s:%u", ip, port);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
		s6->sin6_port = htons(port);
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(j->addr, sizeof(j->addr), "[%s]:%u", ip, port);
		len = sizeof(*s6);
	}
	if (va_connect(j, (const struct sockaddr *)&sa, len, &j->fd, why, sizeof(why)) != 0) {
		va_conn_failed(j, "%s: %s", j->addr, why);
		return;
	}
	j->state = VA_CONNECT;
	evtimer_del(&j->timer);
	if (va_arm(j, EV_WRITE) != 0 || evtimer_add(&j->timer, &tv) != 0)
		va_finish(j, 0, "serverInternal", "cannot wait for %s", j->addr);
}

static void
va_resolved(void *arg, int rc, const struct sockaddr_storage *addrs, int n)
{
	struct va01 *j = arg;

	if (rc != 0 || n <= 0) {
		va_finish(j, 0, "dns", "cannot resolve %s: %s", j->name,
		    rc == ERR_NOTFOUND || rc == 0 ? "no A or AAAA records" : err_str(rc));
		return;
	}
	j->naddrs = n > RESOLVER_MAX_ADDRS ? RESOLVER_MAX_ADDRS : n;
	memcpy(j->addrs, addrs, sizeof(addrs[0]) * (size_t)j->naddrs);
	j->idx = 0;
	j->round = 0;
	va_try_addr(j);
}

/* A lookup that could not even start, reported from the loop (never inside the call). */
static void
va_dns_fail_cb(evutil_socket_t fd, short what, void *arg)
{
	struct va01 *j = arg;

	(void)fd;
	(void)what;
	va_finish(j, 0, "dns", "%s", j->last_err);
}

int
validate_tlsalpn01(struct validator *v, const char *name, const char *keyauth, validate_cb cb,
    void *arg)
{
	struct x509_sha256 h;
	struct va01 *j;
	int rc;

	if (strlen(name) >= sizeof(j->name) || strlen(keyauth) > 512)
		return ERR_TOOBIG;
	if (name[0] == '*')
		return ERR_UNSUPPORTED;   /* RFC 8737 §3: not for wildcard names */
	if (v->tlsalpn01_npending >= VA_MAX_PENDING)
		return ERR_TOOBIG;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return ERR_NOMEM;
	j->v = v;
	j->fd = -1;
	j->started_ms = platform_mono_ms();
	strcpy(j->name, name);
	x509_sha256_init(&h);
	x509_sha256_update(&h, keyauth, strlen(keyauth));
	x509_sha256_out(&h, j->digest);
	j->cb = cb;
	j->arg = arg;
	evtimer_assign(&j->timer, v->base, va_timer_cb, j);
	j->next = v->tlsalpn01_pending;
	if (v->tlsalpn01_pending)
		v->tlsalpn01_pending->prev = j;
	v->tlsalpn01_pending = j;
	v->tlsalpn01_npending++;
	/* Resolver callbacks never run inside this call. */
	rc = v->res == NULL ? ERR_CONFIG : resolver_addrs(v->res, j->name, va_resolved, j);
	if (rc != 0) {
		struct timeval tv = { 0, 0 };
		if (v->res == NULL)
			snprintf(j->last_err, sizeof(j->last_err), "no DNS resolver is configured on "
			    "this server: it cannot look up %s", j->name);
		else
			snprintf(j->last_err, sizeof(j->last_err), "cannot resolve %s: %s", j->name,
			    err_str(rc));
		evtimer_assign(&j->timer, v->base, va_dns_fail_cb, j);
		if (evtimer_add(&j->timer, &tv) != 0) {
			va_free(j);
			return ERR_NOMEM;
		}
	}
	return 0;
}
