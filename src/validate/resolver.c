/*
 * c-ares on the libevent reactor. c-ares tells us which sockets it wants
 * watched (sock_state_cb) and when its next timeout falls (ares_timeout); we
 * call ares_process_fd() from the socket events and from one timer.
 *
 * User callbacks only run from resolver_sock_cb, resolver_timer_cb and
 * resolver_defer_cb, each of which holds r->busy, so a resolver_free() from a
 * callback is postponed until c-ares has unwound (ares_destroy() from inside
 * ares_process_fd() would pull the channel out from under c-ares).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ares.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "util/err.h"
#include "util/log.h"
#include "validate/resolver.h"
#include "validate/resolver_parse.h"

#define RESOLVER_EDNS_SIZE 1232   /* avoids IP fragmentation (DNS flag day 2020) */
#define RESOLVER_PER_FAMILY (RESOLVER_MAX_ADDRS / 2)

#define RESOLVER_CLASS_IN 1

enum resolver_kind { RK_ADDRS, RK_TXT, RK_CAA };

union resolver_cb {
	resolver_addrs_cb addrs;
	resolver_txt_cb txt;
	resolver_caa_cb caa;
};

struct resolver_job;

/* One c-ares query of a job: an addrs job has two (A and AAAA). */
struct resolver_sub {
	struct resolver_job *job;
	unsigned type;
	int rc;
	int n;
};

struct resolver_job {
	struct resolver *r;
	struct resolver_job *prev, *next;   /* r->jobs: started, not yet delivered */
	struct resolver_job *done_next;     /* r->done: finished while starting */
	enum resolver_kind kind;
	union resolver_cb cb;
	void *arg;
	int pending;         /* c-ares queries not yet answered */
	int starting;        /* inside resolver_start(): do not deliver now */
	struct resolver_sub sub[2];
	int nsub;
	uint8_t v4[RESOLVER_PER_FAMILY][4];
	uint8_t v6[RESOLVER_PER_FAMILY][16];
	void *res;           /* TXT or CAA array, sub[0].n entries */
};

/* One socket c-ares asked us to watch. */
struct resolver_sock {
	struct resolver_sock *next;
	struct resolver *r;
	ares_socket_t fd;
	short armed;         /* EV_READ / EV_WRITE currently added */
	struct event ev;
};

struct resolver {
	struct event_base *base;
	ares_channel ch;
	int ch_ok;
	struct event timer;
	struct event defer;
	struct resolver_sock *socks;
	struct resolver_job *jobs;
	struct resolver_job *done, *done_tail;
	int njobs;
	int busy;            /* depth of our own event callbacks */
	int dead;            /* resolver_free() called while busy */
	int closing;         /* ares_destroy() running: c-ares callbacks only count down */
};

static int
resolver_status_rc(int status)
{
	switch (status) {
	case ARES_SUCCESS:
	case ARES_ENODATA:
		return 0;
	case ARES_ENOTFOUND:
		return ERR_NOTFOUND;
	case ARES_ESERVFAIL:
	case ARES_EREFUSED:
	case ARES_ENOTIMP:
		return ERR_AGAIN;
	case ARES_ETIMEOUT:
		return ERR_TIMEOUT;
	case ARES_ECONNREFUSED:
		return -ECONNREFUSED;
	case ARES_ENOMEM:
		return ERR_NOMEM;
	case ARES_EBADNAME:
		return ERR_MALFORMED;
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED:
		return ERR_CLOSED;
	default:
		return ERR_PROTOCOL;   /* EFORMERR, EBADRESP, and anything newer */
	}
}

static void
resolver_timer_update(struct resolver *r)
{
	struct timeval tv, *tvp;

	if (r->dead || r->closing)
		return;
	tvp = ares_timeout(r->ch, NULL, &tv);
	if (tvp != NULL)
		evtimer_add(&r->timer, tvp);
	else
		evtimer_del(&r->timer);
}

static void
resolver_job_unlink(struct resolver_job *j)
{
	struct resolver *r = j->r;

	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		r->jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
	r->njobs--;
}

static void
resolver_job_free(struct resolver_job *j)
{
	free(j->res);
	free(j);
}

static void
resolver_addrs_deliver(struct resolver_job *j)
{
	struct sockaddr_storage a[RESOLVER_MAX_ADDRS];
	int n4 = j->sub[0].n, n6 = j->sub[1].n;
	int n = 0, i, rc;

	memset(a, 0, sizeof(a));
	for (i = 0; i < n4; i++, n++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a[n];

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, j->v4[i], 4);
	}
	for (i = 0; i < n6; i++, n++) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a[n];

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, j->v6[i], 16);
	}
	if (n > 0)
		rc = 0;
	else if (j->sub[0].rc != 0 && j->sub[0].rc != ERR_NOTFOUND)
		rc = j->sub[0].rc;
	else if (j->sub[1].rc != 0 && j->sub[1].rc != ERR_NOTFOUND)
		rc = j->sub[1].rc;
	else
		rc = ERR_NOTFOUND;
	j->cb.addrs(j->arg, rc, n > 0 ? a : NULL, n);
}

/* Hand the result to the user and free the job. r->busy is held by our caller. */
static void
resolver_job_deliver(struct resolver_job *j)
{
	int rc = j->sub[0].rc;
	int n = rc == 0 ? j->sub[0].n : 0;

	resolver_job_unlink(j);
	switch (j->kind) {
	case RK_ADDRS:
		resolver_addrs_deliver(j);
		break;
	case RK_TXT:
		j->cb.txt(j->arg, rc, n > 0 ? j->res : NULL, n);
		break;
	case RK_CAA:
		j->cb.caa(j->arg, rc, n > 0 ? j->res : NULL, n);
		break;
	}
	resolver_job_free(j);
}

static void
resolver_sub_parse(struct resolver_sub *s, const uint8_t *abuf, size_t alen)
{
	struct resolver_job *j = s->job;
	int n = 0, rc;

	switch (j->kind) {
	case RK_ADDRS:
		if (s->type == RESOLVER_TYPE_A)
			rc = resolver_reply_addrs(abuf, alen, s->type, &j->v4[0][0],
						  RESOLVER_PER_FAMILY, &n);
		else
			rc = resolver_reply_addrs(abuf, alen, s->type, &j->v6[0][0],
						  RESOLVER_PER_FAMILY, &n);
		break;
	case RK_TXT:
		rc = resolver_reply_txt(abuf, alen, NULL, RESOLVER_MAX_TXT, &n);
		if (rc == 0 && n > 0) {
			j->res = calloc((size_t)n, sizeof(struct resolver_txt));
			if (j->res == NULL)
				rc = ERR_NOMEM;
			else
				rc = resolver_reply_txt(abuf, alen, j->res, n, &n);
		}
		break;
	case RK_CAA:
		rc = resolver_reply_caa(abuf, alen, NULL, RESOLVER_MAX_CAA, &n);
		if (rc == 0 && n > 0) {
			j->res = calloc((size_t)n, sizeof(struct resolver_caa));
			if (j->res == NULL)
				rc = ERR_NOMEM;
			else
				rc = resolver_reply_caa(abuf, alen, j->res, n, &n);
		}
		break;
	default:
		rc = ERR_STATE;
		break;
	}
	s->rc = rc;
	s->n = rc == 0 ? n : 0;
}

static void
resolver_done_push(struct resolver *r, struct resolver_job *j)
{
	j->done_next = NULL;
	if (r->done_tail != NULL)
		r->done_tail->done_next = j;
	else
		r->done = j;
	r->done_tail = j;
	event_active(&r->defer, EV_TIMEOUT, 0);
}

static void
resolver_query_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct resolver_sub *s = arg;
	struct resolver_job *j = s->job;
	struct resolver *r = j->r;

	(void)timeouts;
	j->pending--;
	if (r->closing || r->dead)
		return;   /* the job is freed with the resolver */
	s->rc = resolver_status_rc(status);
	s->n = 0;
	if (status == ARES_SUCCESS && abuf != NULL && alen > 0)
		resolver_sub_parse(s, abuf, (size_t)alen);
	if (s->rc != 0)
		log_debug("resolver: type %u query failed: %s (c-ares: %s)", s->type,
			  err_str(s->rc), ares_strerror(status));
	if (j->pending > 0)
		return;
	if (j->starting)
		resolver_done_push(r, j);
	else
		resolver_job_deliver(j);
}

static void
resolver_destroy(struct resolver *r)
{
	struct resolver_job *j;
	struct resolver_sock *s;

	r->closing = 1;
	if (r->ch_ok)
		ares_destroy(r->ch);   /* query callbacks see closing and only count down */
	while ((j = r->jobs) != NULL) {
		resolver_job_unlink(j);
		resolver_job_free(j);
	}
	while ((s = r->socks) != NULL) {
		r->socks = s->next;
		if (s->armed)
			event_del(&s->ev);
		free(s);
	}
	event_del(&r->timer);
	event_del(&r->defer);
	if (r->ch_ok)
		ares_library_cleanup();
	free(r);
}

/* After one of our event callbacks: finish a postponed free, or re-arm the timer. */
static void
resolver_leave(struct resolver *r)
{
	r->busy--;
	if (r->busy > 0)
		return;
	if (r->dead)
		resolver_destroy(r);
	else
		resolver_timer_update(r);
}

static void
resolver_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver_sock *s = arg;
	struct resolver *r = s->r;

	/* s may be freed inside ares_process_fd (c-ares closes the socket). */
	r->busy++;
	ares_process_fd(r->ch, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
			(what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	resolver_leave(r);
}

static void
resolver_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver *r = arg;

	(void)fd;
	(void)what;
	r->busy++;
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	resolver_leave(r);
}

static void
resolver_defer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver *r = arg;
	struct resolver_job *j;

	(void)fd;
	(void)what;
	r->busy++;
	/* Take only what is queued now; jobs queued by these callbacks go next turn. */
	j = r->done;
	r->done = r->done_tail = NULL;
	while (j != NULL && !r->dead) {
		struct resolver_job *next = j->done_next;

		resolver_job_deliver(j);
		j = next;
	}
	resolver_leave(r);
}

static struct resolver_sock *
resolver_sock_find(struct resolver *r, ares_socket_t fd)
{
	struct resolver_sock *s;

	for (s = r->socks; s != NULL; s = s->next)
		if (s->fd == fd)
			return s;
	return NULL;
}

/*
 * c-ares calls this for every socket it opens, before using it: the one
 * place where a failed allocation can still refuse the socket.
 */
static int
resolver_sock_create_cb(ares_socket_t fd, int type, void *data)
{
	struct resolver *r = data;
	struct resolver_sock *s;

	(void)type;
	s = resolver_sock_find(r, fd);
	if (s != NULL) {
		/* Same number as a socket c-ares closed without telling us. */
		if (s->armed)
			event_del(&s->ev);
		s->armed = 0;
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -1;
	s->r = r;
	s->fd = fd;
	s->next = r->socks;
	r->socks = s;
	return 0;
}

static void
resolver_sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolver *r = data;
	struct resolver_sock *s, **pp;
	short want = (short)((readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));

	s = resolver_sock_find(r, fd);
	if (s == NULL) {
		if (want == 0 || resolver_sock_create_cb(fd, 0, r) != 0) {
			if (want != 0)
				log_err("resolver: out of memory watching c-ares socket %d", (int)fd);
			return;   /* the query then times out */
		}
		s = resolver_sock_find(r, fd);
	}
	if (s->armed == want)
		return;
	if (s->armed)
		event_del(&s->ev);
	s->armed = 0;
	if (want == 0) {
		/* c-ares closes fd right after this. */
		for (pp = &r->socks; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == s) {
				*pp = s->next;
				break;
			}
		}
		free(s);
		return;
	}
	event_assign(&s->ev, r->base, fd, (short)(want | EV_PERSIST), resolver_sock_cb, s);
	if (event_add(&s->ev, NULL) != 0) {
		log_err("resolver: cannot watch c-ares socket %d", (int)fd);
		return;
	}
	s->armed = want;
}

static int
resolver_server_check(const struct sockaddr *sa, socklen_t len, struct ares_addr_port_node *node)
{
	memset(node, 0, sizeof(*node));
	if (sa == NULL)
		return ERR_CONFIG;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		if (sin->sin_port == 0 || sin->sin_addr.s_addr == htonl(INADDR_ANY))
			return ERR_CONFIG;
		node->family = AF_INET;
		memcpy(&node->addr.addr4, &sin->sin_addr, sizeof(sin->sin_addr));
		node->udp_port = node->tcp_port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		if (sin6->sin6_port == 0 || IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			return ERR_CONFIG;
		node->family = AF_INET6;
		memcpy(&node->addr.addr6, &sin6->sin6_addr, sizeof(sin6->sin6_addr));
		node->udp_port = node->tcp_port = ntohs(sin6->sin6_port);
		return 0;
	}
	return ERR_CONFIG;
}

int
resolver_new(struct resolver **out, struct event_base *base, const struct sockaddr *server,
	     socklen_t len, unsigned timeout_ms, unsigned tries)
{
	return resolver_new_flags(out, base, server, len, timeout_ms, tries, 0);
}

int
resolver_new_flags(struct resolver **out, struct event_base *base, const struct sockaddr *server,
		   socklen_t len, unsigned timeout_ms, unsigned tries, unsigned flags)
{
	struct ares_addr_port_node node;
	struct ares_options o;
	struct resolver *r = NULL;
	char lookups[] = "b";
	char resolvconf[] = "/dev/null";
	int optmask, st, rc;

	if (out == NULL || base == NULL)
		return ERR_CONFIG;
	*out = NULL;
	rc = resolver_server_check(server, len, &node);
	if (rc < 0)
		goto out;
	if (timeout_ms < 1 || timeout_ms > RESOLVER_TIMEOUT_MS_MAX || tries < 1 ||
	    tries > RESOLVER_TRIES_MAX || (flags & ~(unsigned)RESOLVER_F_TCP) != 0) {
		rc = ERR_CONFIG;
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	r->base = base;
	evtimer_assign(&r->timer, base, resolver_timer_cb, r);
	event_assign(&r->defer, base, -1, 0, resolver_defer_cb, r);

	st = ares_library_init(ARES_LIB_INIT_ALL);
	if (st != ARES_SUCCESS) {
		rc = st == ARES_ENOMEM ? ERR_NOMEM : ERR_CONFIG;
		goto out;
	}
	/*
	 * Every setting that c-ares would otherwise take from resolv.conf, the
	 * environment (LOCALDOMAIN, RES_OPTIONS) or gethostname() is given here:
	 * c-ares 1.18 then reads none of them. The resolv.conf path is pointed at
	 * /dev/null too, for c-ares versions that always read it. NOCHECKRESP:
	 * without it c-ares 1.18 reports SERVFAIL as ECONNREFUSED after retrying.
	 */
	memset(&o, 0, sizeof(o));
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS;
	if (flags & RESOLVER_F_TCP)
		o.flags |= ARES_FLAG_USEVC;
	o.timeout = (int)timeout_ms;
	o.tries = (int)tries;
	o.ndots = 1;
	o.servers = NULL;
	o.nservers = 0;          /* the real server is set below, with its port */
	o.domains = NULL;
	o.ndomains = 0;
	o.lookups = lookups;     /* DNS only, never the hosts file */
	o.sortlist = NULL;
	o.nsort = 0;
	o.sock_state_cb = resolver_sock_state_cb;
	o.sock_state_cb_data = r;
	o.ednspsz = RESOLVER_EDNS_SIZE;
	o.resolvconf_path = resolvconf;
	optmask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS |
		  ARES_OPT_SERVERS | ARES_OPT_DOMAINS | ARES_OPT_LOOKUPS | ARES_OPT_SORTLIST |
		  ARES_OPT_SOCK_STATE_CB | ARES_OPT_EDNSPSZ | ARES_OPT_NOROTATE |
		  ARES_OPT_RESOLVCONF;
	st = ares_init_options(&r->ch, &o, optmask);
	if (st != ARES_SUCCESS) {
		ares_library_cleanup();
		rc = st == ARES_ENOMEM ? ERR_NOMEM : ERR_CONFIG;
		log_err("resolver: c-ares init: %s", ares_strerror(st));
		goto out;
	}
	r->ch_ok = 1;
	ares_set_socket_callback(r->ch, resolver_sock_create_cb, r);
	node.next = NULL;
	st = ares_set_servers_ports(r->ch, &node);
	if (st != ARES_SUCCESS) {
		rc = st == ARES_ENOMEM ? ERR_NOMEM : ERR_CONFIG;
		log_err("resolver: c-ares server: %s", ares_strerror(st));
		goto out;
	}
	*out = r;
	r = NULL;
	rc = 0;
out:
	if (r != NULL)
		resolver_destroy(r);
	return rc;
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL || r->dead)
		return;
	r->dead = 1;
	if (r->busy == 0)
		resolver_destroy(r);
}

int
resolver_pending(const struct resolver *r)
{
	return r != NULL ? r->njobs : 0;
}

static int
resolver_start(struct resolver *r, enum resolver_kind kind, const char *name, union resolver_cb cb,
	       void *arg)
{
	char qname[RESOLVER_NAME_MAX + 1];
	struct resolver_job *j;
	int i, rc;

	if (r == NULL || r->dead)
		return ERR_STATE;
	rc = resolver_name_norm(name, qname, sizeof(qname));
	if (rc < 0)
		return rc;
	if (r->njobs >= RESOLVER_MAX_PENDING)
		return ERR_TOOBIG;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return ERR_NOMEM;
	j->r = r;
	j->kind = kind;
	j->cb = cb;
	j->arg = arg;
	switch (kind) {
	case RK_ADDRS:
		j->nsub = 2;
		j->sub[0].type = RESOLVER_TYPE_A;
		j->sub[1].type = RESOLVER_TYPE_AAAA;
		break;
	case RK_TXT:
		j->nsub = 1;
		j->sub[0].type = RESOLVER_TYPE_TXT;
		break;
	case RK_CAA:
		j->nsub = 1;
		j->sub[0].type = RESOLVER_TYPE_CAA;
		break;
	}
	j->next = r->jobs;
	if (r->jobs != NULL)
		r->jobs->prev = j;
	r->jobs = j;
	r->njobs++;

	/* c-ares may answer from inside ares_query (a socket it cannot open). */
	j->starting = 1;
	j->pending = j->nsub;
	for (i = 0; i < j->nsub; i++) {
		j->sub[i].job = j;
		log_debug("resolver: query %s type %u", qname, j->sub[i].type);
		ares_query(r->ch, qname, RESOLVER_CLASS_IN, (int)j->sub[i].type, resolver_query_cb, &j->sub[i]);
	}
	j->starting = 0;
	if (r->busy == 0)
		resolver_timer_update(r);
	return 0;
}

int
resolver_addrs(struct resolver *r, const char *name, resolver_addrs_cb cb, void *arg)
{
	union resolver_cb u = { .addrs = cb };

	return cb != NULL ? resolver_start(r, RK_ADDRS, name, u, arg) : ERR_STATE;
}

int
resolver_txt(struct resolver *r, const char *name, resolver_txt_cb cb, void *arg)
{
	union resolver_cb u = { .txt = cb };

	return cb != NULL ? resolver_start(r, RK_TXT, name, u, arg) : ERR_STATE;
}

int
resolver_caa(struct resolver *r, const char *name, resolver_caa_cb cb, void *arg)
{
	union resolver_cb u = { .caa = cb };

	return cb != NULL ? resolver_start(r, RK_CAA, name, u, arg) : ERR_STATE;
}
