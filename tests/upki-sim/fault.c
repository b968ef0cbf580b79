/*
 * fault.c: injected faults (POST /_sim/fault). Each mode has a counter of
 * requests it still affects (-1: until mode "none"). Request-level faults
 * (maintenance, 5xx, reset, slow) hit every /upki-odcert/... request; the
 * others are taken where they apply (bulk TSV, upload, session lookup).
 *
 * "reset" closes the connection without an answer: the HTTP server has no
 * call for that, so the socket is found by its peer address and shut down
 * (SO_LINGER 0, so the final close sends RST); the reply that follows fails to
 * write and the server drops the connection.
 *
 * "idle_close" is Apache's KeepAliveTimeout, short: a connection on which no
 * request arrived for "seconds" (default 2) after the last one, and none is
 * held by "slow", is closed (FIN). Each close counts as one.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "sim.h"
#include "upki/upki_profile.h"
#include "util/log.h"

#define FAULT_FD_SCAN_MAX 4096
#define FAULT_IDLE_WATCH_MAX 64   /* connections watched by idle_close at once */

static const char *const fault_names[SIM_F__MAX] = {
	[SIM_F_MAINTENANCE] = "maintenance",
	[SIM_F_5XX] = "5xx",
	[SIM_F_RESET] = "reset",
	[SIM_F_SLOW] = "slow",
	[SIM_F_TRUNCATED_TSV] = "truncated_tsv",
	[SIM_F_BAD_ROW] = "bad_row",
	[SIM_F_WRONG_ENCODING] = "wrong_encoding",
	[SIM_F_REJECT_NEXT] = "reject_next",
	[SIM_F_RATE_LIMIT] = "rate_limit_breach",
	[SIM_F_SESSION_LOSS] = "session_loss",
	[SIM_F_DROP_ANSWER] = "drop_answer",
	[SIM_F_MAIL_BADSIG] = "mail_badsig",
	[SIM_F_MAIL_OTHERKEY] = "mail_otherkey",
	[SIM_F_MAIL_OTHERHOST] = "mail_otherhost",
	[SIM_F_MAIL_DELAY] = "mail_delay",
	[SIM_F_MAIL_LOST] = "mail_lost",
	[SIM_F_MAIL_DUPLICATE] = "mail_duplicate",
	[SIM_F_IDLE_CLOSE] = "idle_close",
};

/* Steps of a job, by the page each requests. */
static const struct {
	const char *step, *page;
} fault_steps[] = {
	{ "login", "/SSLLogin.do" }, { "menu", "/MainMenu.do" }, { "upload", "/SP1011.do" },
	{ "bulk", "/syomeiDL_S.do" }, { "download", "/spDLSrv.do" },
};

int
sim_fault_step_ok(const char *step)
{
	if (step[0] == '\0')
		return 0;
	for (size_t i = 0; i < sizeof(fault_steps) / sizeof(fault_steps[0]); i++)
		if (!strcmp(fault_steps[i].step, step))
			return 0;
	return -1;
}

/* The request is of the step the fault is limited to (or it is not limited). */
static int
fault_step_match(const struct sim *s, int mode, const struct http_req *req)
{
	const char *want = s->faults.step[mode];

	if (want[0] == '\0')
		return 1;
	for (size_t i = 0; i < sizeof(fault_steps) / sizeof(fault_steps[0]); i++) {
		size_t pl = strlen(req->path), el = strlen(fault_steps[i].page);

		if (!strcmp(fault_steps[i].step, want))
			return pl >= el && !strcmp(req->path + pl - el, fault_steps[i].page);
	}
	return 0;
}

/* sim_fault_take for a request-level fault: only at its step. */
static int
fault_take_at(struct sim *s, int mode, const struct http_req *req)
{
	return fault_step_match(s, mode, req) && sim_fault_take(s, mode);
}

const char *
sim_fault_name(int mode)
{
	return mode >= 0 && mode < SIM_F__MAX ? fault_names[mode] : "?";
}

int
sim_fault_parse(const char *name)
{
	for (int i = 0; i < SIM_F__MAX; i++)
		if (!strcmp(fault_names[i], name))
			return i;
	return -1;
}

int
sim_fault_take(struct sim *s, int mode)
{
	long *left = &s->faults.left[mode];

	if (*left == 0)
		return 0;
	if (*left > 0)
		(*left)--;
	s->cnt.faults_fired++;
	log_info("upki-sim: fault %s fired (%ld left)", fault_names[mode], *left);
	return 1;
}

/* A request held back by "slow". */
struct slow_req {
	struct slow_req *next;
	struct sim *s;
	struct http_req *req;
	http_handler_fn fn;
	struct event *ev;
};

/* Set while a held request runs its handler, so it is not held again. */
static struct http_req *fault_resuming;

static void
slow_unlink(struct sim *s, struct slow_req *h)
{
	struct slow_req **pp = (struct slow_req **)&s->slow_list;

	for (; *pp != NULL; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	s->faults.n_slow--;
	event_free(h->ev);
	free(h);
}

static void
slow_abort_cb(struct http_req *req, void *arg)
{
	struct slow_req *h = arg;

	(void)req;
	slow_unlink(h->s, h);
}

static void
slow_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct slow_req *h = arg;
	struct http_req *req = h->req;
	http_handler_fn fn = h->fn;
	struct sim *s = h->s;

	(void)fd;
	(void)what;
	req->abort_cb = NULL;
	slow_unlink(s, h);
	fault_resuming = req;
	fn(req, s);
	fault_resuming = NULL;
}

static int
fault_slow(struct sim *s, struct http_req *req, http_handler_fn fn)
{
	struct slow_req *h;
	struct timeval tv;
	unsigned ms = s->faults.slow_ms ? s->faults.slow_ms : 5000;

	if (s->faults.n_slow >= SIM_MAX_SLOW || (h = calloc(1, sizeof(*h))) == NULL)
		return 0;
	h->ev = evtimer_new(s->base, slow_timer_cb, h);
	if (h->ev == NULL) {
		free(h);
		return 0;
	}
	h->s = s;
	h->req = req;
	h->fn = fn;
	h->next = s->slow_list;
	s->slow_list = h;
	s->faults.n_slow++;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(h->ev, &tv);
	http_req_defer(req, slow_abort_cb, h);
	return 1;
}

/* The socket whose peer is "addr:port" on one of our ports; -1 if none. */
static int
fault_find_peer_fd(const struct sim *s, const char *want)
{
	for (int fd = 3; fd < FAULT_FD_SCAN_MAX; fd++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[INET6_ADDRSTRLEN], peer[80];
		int port;

		if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
			continue;
		port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port) :
		    ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) : -1;
		if (port != s->lra_port && port != s->pub_port)
			continue;
		sl = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
			continue;
		if (ss.ss_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
			snprintf(peer, sizeof(peer), "%s:%d", host,
			    ntohs(((struct sockaddr_in *)&ss)->sin_port));
		} else {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host,
			    sizeof(host));
			snprintf(peer, sizeof(peer), "[%s]:%d", host,
			    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
		}
		if (!strcmp(peer, want))
			return fd;
	}
	return -1;
}

static int
fault_find_fd(const struct sim *s, const struct http_req *req)
{
	return fault_find_peer_fd(s, req->peer);
}

/* idle_close: one timer per client connection, re-armed by each request on it. */
struct idle_watch {
	struct sim *s;
	struct event *ev;
	char peer[64];
	int used;
};

static struct idle_watch idle_watches[FAULT_IDLE_WATCH_MAX];

static void
idle_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct idle_watch *w = arg;
	struct sim *s = w->s;
	int sfd;

	(void)fd;
	(void)what;
	if (s->faults.left[SIM_F_IDLE_CLOSE] != 0) {
		/* A request held by "slow" is not idle: wait again from now. */
		for (const struct slow_req *h = s->slow_list; h != NULL; h = h->next)
			if (!strcmp(h->req->peer, w->peer)) {
				unsigned ms = s->faults.idle_ms ? s->faults.idle_ms : 2000;
				struct timeval tv = { (time_t)(ms / 1000),
				    (suseconds_t)(ms % 1000) * 1000 };

				evtimer_add(w->ev, &tv);
				return;
			}
	}
	w->used = 0;
	if (s->faults.left[SIM_F_IDLE_CLOSE] == 0)
		return;
	if ((sfd = fault_find_peer_fd(s, w->peer)) < 0)
		return;                      /* the client closed it first */
	if (!sim_fault_take(s, SIM_F_IDLE_CLOSE))
		return;
	log_info("upki-sim: idle_close: closing the keep-alive connection of %s", w->peer);
	shutdown(sfd, SHUT_RDWR);
}

static void
idle_watch(struct sim *s, const struct http_req *req)
{
	struct idle_watch *w = NULL, *spare = NULL;
	unsigned ms = s->faults.idle_ms ? s->faults.idle_ms : 2000;
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	if (s->faults.left[SIM_F_IDLE_CLOSE] == 0)
		return;
	for (size_t i = 0; i < FAULT_IDLE_WATCH_MAX && w == NULL; i++) {
		if (idle_watches[i].used && !strcmp(idle_watches[i].peer, req->peer))
			w = &idle_watches[i];
		else if (!idle_watches[i].used && spare == NULL)
			spare = &idle_watches[i];
	}
	if (w == NULL) {
		if ((w = spare) == NULL)
			return;
		if (w->ev == NULL && (w->ev = evtimer_new(s->base, idle_timer_cb, w)) == NULL)
			return;
		w->s = s;
		snprintf(w->peer, sizeof(w->peer), "%s", req->peer);
		w->used = 1;
	}
	evtimer_add(w->ev, &tv);            /* from this request on */
}

static void
fault_reset(struct sim *s, struct http_req *req)
{
	struct linger lg = { 1, 0 };
	int fd = fault_find_fd(s, req);

	if (fd < 0) {
		log_warn("upki-sim: reset fault: socket of %s not found; answering 500", req->peer);
		http_reply_status(req, 500);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	shutdown(fd, SHUT_RDWR);
	http_reply(req, 500, "text/plain", "", 0);
}

/*
 * The request takes effect (an upload is accepted, a session made), but the
 * connection is reset before the answer: the socket is shut down first, so
 * the handler's reply fails to write and the server drops the connection.
 */
static void
fault_drop_answer(struct sim *s, struct http_req *req, http_handler_fn fn)
{
	struct linger lg = { 1, 0 };
	int fd = fault_find_fd(s, req);

	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		shutdown(fd, SHUT_RDWR);
	} else {
		log_warn("upki-sim: drop_answer fault: socket of %s not found; answering", req->peer);
	}
	fault_resuming = req;
	fn(req, s);
	fault_resuming = NULL;
}

int
sim_fault_intercept(struct sim *s, struct http_req *req, http_handler_fn fn)
{
	if (req == fault_resuming)
		return 0;
	s->cnt.requests++;
	idle_watch(s, req);
	if (fault_take_at(s, SIM_F_MAINTENANCE, req)) {
		page_simple(req, 503, "メンテナンス", UPKI_TEXT_MAINTENANCE);
		return 1;
	}
	if (fault_take_at(s, SIM_F_5XX, req)) {
		page_simple(req, s->faults.status_5xx ? s->faults.status_5xx : 500, "エラー",
		    sim_profile.text_server_error);
		return 1;
	}
	if (fault_take_at(s, SIM_F_RESET, req)) {
		fault_reset(s, req);
		return 1;
	}
	if (fault_take_at(s, SIM_F_DROP_ANSWER, req)) {
		fault_drop_answer(s, req, fn);
		return 1;
	}
	if (s->faults.left[SIM_F_SLOW] != 0 && s->faults.n_slow < SIM_MAX_SLOW &&
	    fault_take_at(s, SIM_F_SLOW, req))
		return fault_slow(s, req, fn);
	return 0;
}

void
sim_fault_free(struct sim *s)
{
	for (size_t i = 0; i < FAULT_IDLE_WATCH_MAX; i++) {
		if (idle_watches[i].ev != NULL)
			event_free(idle_watches[i].ev);
		idle_watches[i].ev = NULL;
		idle_watches[i].used = 0;
	}
	while (s->slow_list != NULL) {
		struct slow_req *h = s->slow_list;
		h->req->abort_cb = NULL;
		slow_unlink(s, h);
	}
}
