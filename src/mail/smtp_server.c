/*
 * The SMTP receiver on the reactor (mail.h): listeners, admission (relay
 * list, connection limit), one resumable state machine per connection around
 * the session of smtp.c, STARTTLS through src/tls, timeouts, and the deliver
 * callback that commits each message to the store before the 250.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "autoconf.h"
#include "mail/mail.h"
#include "mail/smtp.h"
#include "platform.h"
#include "store/records.h"
#include "store/store.h"
#include "tls/tls.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"

#define MAIL_READ_CHUNK 4096
#define MAIL_IN_MAX (CONFIG_MAIL_LINE_MAX + MAIL_READ_CHUNK)
#define MAIL_OUT_MAX 16384         /* replies pending; a client that never reads is closed */
#define MAIL_LINES_PER_TURN 64     /* lines handled before the socket is looked at again */
#define MAIL_CLOSE_GRACE_S 5       /* a last reply (421, 554) may take this long to go out */
#define MAIL_HOST_MAX 128

struct mail_conn;

struct mail_server {
	struct event_base *base;
	struct store *store;
	struct tls_server *tls;
	const struct config *cfg;
	struct evconnlistener *ls[CONFIG_MAX_LISTEN];
	int nls;
	int port;
	struct mail_conn *conns;
	struct mail_server_stats st;
	char host[MAIL_HOST_MAX];
	const char *rcpt_ok[1];
	struct smtp_cfg scfg;
};

struct mail_conn {
	struct mail_server *srv;
	struct mail_conn *prev, *next;
	int fd;
	struct tls_conn *tls;
	struct event ev;
	struct event timer;          /* per command; then the close grace */
	struct event life;           /* whole session */
	short armed;
	struct buf in;               /* bytes not yet split into lines */
	struct buf out;              /* replies not yet sent */
	size_t out_off;
	unsigned char skipping;      /* dropping an over-long line up to its LF */
	unsigned char close_after;   /* close once out is sent */
	unsigned char starttls;      /* start TLS once out is sent */
	unsigned char dying;         /* the grace timer runs: close at its end */
	struct smtp_sess sess;
};

/* ---- storing a message ---- */

struct mail_put {
	struct rec_mail m;
	const unsigned char *raw;
	size_t len;
};

static int
mail_put_txn(struct store_txn *t, void *arg)
{
	struct mail_put *p = arg;

	return store_mail_add(t, &p->m, p->raw, p->len);
}

/* smtp_deliver_fn: one committed transaction per message, before the 250. */
static int
mail_deliver(void *arg, const struct smtp_envelope *env, const unsigned char *msg, size_t len,
    uint64_t *id)
{
	struct mail_server *srv = arg;
	struct mail_put *p = calloc(1, sizeof(*p));
	int rc;

	if (p == NULL)
		return ERR_NOMEM;
	p->m.received = platform_wall_s();
	p->m.updated = p->m.received;
	p->m.flags = env->tls ? REC_MAIL_F_TLS : 0;
	snprintf(p->m.peer, sizeof(p->m.peer), "%s", env->peer);
	snprintf(p->m.helo, sizeof(p->m.helo), "%s", env->helo);
	snprintf(p->m.mail_from, sizeof(p->m.mail_from), "%s", env->from);
	p->m.n_rcpt = env->n_rcpt;
	for (unsigned i = 0; i < env->n_rcpt && i < REC_MAIL_RCPT_N; i++)
		snprintf(p->m.rcpt[i], sizeof(p->m.rcpt[i]), "%s", env->rcpt[i]);
	p->raw = msg;
	p->len = len;
	rc = store_write(srv->store, mail_put_txn, p);
	if (rc == 0) {
		*id = p->m.id;
		srv->st.stored++;
		log_info("mail: %s: stored mail %llu from <%s> to <%s>, %zu bytes%s", env->peer,
		    (unsigned long long)p->m.id, env->from, env->n_rcpt ? env->rcpt[0] : "", len,
		    env->tls ? ", over TLS" : "");
	} else {
		log_warn("mail: %s: message from <%s> (%zu bytes) not stored: %s; the sender "
		    "is told to try again later", env->peer, env->from, len, err_str(rc));
	}
	free(p);
	return rc;
}

/* ---- connections ---- */

static void mail_conn_drive(struct mail_conn *c);

static void
mail_conn_free(struct mail_conn *c)
{
	struct mail_server *s = c->srv;

	if (c->armed)
		event_del(&c->ev);
	event_del(&c->timer);
	event_del(&c->life);
	if (c->tls != NULL) {
		tls_conn_close(c->tls, c->fd);
		tls_conn_free(c->tls);
	}
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	smtp_sess_free(&c->sess);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->st.conns--;
	free(c);
}

static void
mail_timer_cmd(struct mail_conn *c)
{
	struct timeval tv = { c->srv->cfg->mail_cmd_timeout_s > 0 ?
	    c->srv->cfg->mail_cmd_timeout_s : CONFIG_MAIL_CMD_TIMEOUT_S, 0 };

	if (!c->dying)
		evtimer_add(&c->timer, &tv);
}

/* Send a last reply and close, whatever state the session is in. */
static void
mail_conn_abort(struct mail_conn *c, const char *reply)
{
	struct timeval tv = { MAIL_CLOSE_GRACE_S, 0 };

	if (c->dying)
		return;
	c->dying = 1;
	c->close_after = 1;
	c->starttls = 0;
	c->sess.state = SMTP_S_CLOSED;
	(void)buf_puts(&c->out, reply);
	evtimer_add(&c->timer, &tv);
}

/* Read what is there into c->in: 0 (progress or would block), <0 closed or error. */
static int
mail_conn_read(struct mail_conn *c)
{
	for (int turn = 0; turn < 4; turn++) {
		size_t room = MAIL_IN_MAX - c->in.len;
		ssize_t n;

		if (room == 0)
			return 0;
		if (room > MAIL_READ_CHUNK)
			room = MAIL_READ_CHUNK;
		if (buf_reserve(&c->in, room) != 0)
			return ERR_NOMEM;
		if (c->tls != NULL) {
			n = tls_conn_read(c->tls, c->fd, c->in.p + c->in.len, room);
			if (n == 0)
				n = ERR_CLOSED;
		} else {
			n = recv(c->fd, c->in.p + c->in.len, room, 0);
			if (n == 0)
				n = ERR_CLOSED;
			else if (n < 0)
				n = (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ?
				    ERR_AGAIN : -errno;
		}
		if (n == ERR_AGAIN)
			return 0;
		if (n < 0) {
			if (n != ERR_CLOSED && c->tls != NULL)
				log_info("mail: %s: TLS: %s (BearSSL error %d)", c->sess.env.peer,
				    err_str((int)n), tls_conn_error(c->tls));
			return (int)n;
		}
		c->in.len += (size_t)n;
		mail_timer_cmd(c);
		if ((size_t)n < room)
			return 0;
	}
	return 0;
}

/* Write pending replies: 1 when all is out, 0 pending, <0 error. */
static int
mail_conn_write(struct mail_conn *c)
{
	int unjam = 0;

	while (c->out_off < c->out.len) {
		size_t chunk = c->out.len - c->out_off;
		ssize_t n;

		if (c->tls != NULL) {
			n = tls_conn_write(c->tls, c->fd, c->out.p + c->out_off, chunk);
			if (n == ERR_AGAIN && tls_conn_want(c->tls) == EV_READ && unjam++ < 4) {
				/* One buffer both ways: a record coming in must be read first. */
				size_t before = c->in.len;
				int rc = mail_conn_read(c);
				if (rc < 0)
					return rc;
				if (c->in.len > before)
					continue;
				return 0;
			}
		} else {
			n = send(c->fd, c->out.p + c->out_off, chunk, MSG_NOSIGNAL);
			if (n < 0)
				n = (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ?
				    ERR_AGAIN : -errno;
		}
		if (n == ERR_AGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		c->out_off += (size_t)n;
	}
	if (c->tls != NULL) {
		int rc = tls_conn_flush(c->tls, c->fd);
		if (rc == ERR_AGAIN)
			return 0;
		if (rc < 0)
			return rc;
	}
	buf_reset(&c->out);
	c->out_off = 0;
	return 1;
}

static void
mail_conn_act(struct mail_conn *c, unsigned act)
{
	if (act & SMTP_ACT_CLOSE)
		c->close_after = 1;
	if (act & SMTP_ACT_STARTTLS) {
		c->starttls = 1;
		/* RFC 3207 §4.2 and CVE-2011-0411: nothing sent before TLS is kept. */
		buf_reset(&c->in);
		c->skipping = 0;
	}
}

/* Split c->in into lines for the session: 1 when a line was handled, 0 when none is complete. */
static int
mail_conn_lines(struct mail_conn *c)
{
	int handled = 0;

	for (int i = 0; i < MAIL_LINES_PER_TURN; i++) {
		unsigned char *lf;
		size_t len;

		if (c->close_after || c->starttls || c->out.len > MAIL_OUT_MAX / 2)
			break;
		lf = c->in.len ? memchr(c->in.p, '\n', c->in.len) : NULL;
		if (lf == NULL) {
			if (c->in.len >= CONFIG_MAIL_LINE_MAX) {
				c->skipping = 1;   /* over-long: drop it, answer at its end */
				buf_reset(&c->in);
			}
			break;
		}
		len = (size_t)(lf - c->in.p);
		if (c->skipping) {
			c->skipping = 0;
			mail_conn_act(c, smtp_sess_line(&c->sess, NULL, 0, SMTP_LINE_TOOLONG, &c->out));
		} else {
			int cr = len > 0 && c->in.p[len - 1] == '\r';
			size_t l = cr ? len - 1 : len;
			unsigned fl = (cr ? 0 : SMTP_LINE_BARE_LF) |
			    (l + 2 > CONFIG_MAIL_LINE_MAX ? SMTP_LINE_TOOLONG : 0);

			mail_conn_act(c, smtp_sess_line(&c->sess, (char *)c->in.p, l, fl, &c->out));
		}
		if (c->starttls)
			break;   /* mail_conn_act dropped the input */
		buf_consume(&c->in, len + 1);
		handled = 1;
	}
	if (c->in.len == 0)
		buf_free(&c->in);
	return handled;
}

static void mail_conn_event_cb(evutil_socket_t fd, short what, void *arg);

static void
mail_conn_arm(struct mail_conn *c)
{
	short want;

	if (c->tls != NULL)
		want = tls_conn_want(c->tls);
	else
		want = c->out_off < c->out.len ? EV_WRITE : EV_READ;
	if (want == 0)
		want = c->out.len ? EV_WRITE : EV_READ;
	if (want == c->armed)
		return;
	if (c->armed)
		event_del(&c->ev);
	c->armed = want;
	event_assign(&c->ev, c->srv->base, c->fd, want | EV_PERSIST, mail_conn_event_cb, c);
	event_add(&c->ev, NULL);
}

static void
mail_conn_drive(struct mail_conn *c)
{
	for (int turn = 0; turn < 64; turn++) {
		int rc;

		if (c->out.len > 0) {
			rc = mail_conn_write(c);
			if (rc < 0)
				goto close;
			if (rc == 0)
				break;
			if (c->close_after)
				goto close;
			if (c->starttls) {
				c->starttls = 0;
				if (tls_conn_new_server(&c->tls, c->srv->tls) != 0) {
					log_err("mail: %s: out of memory for TLS", c->sess.env.peer);
					goto close;
				}
				smtp_sess_tls_started(&c->sess);
			}
			continue;
		}
		if (c->close_after)
			goto close;
		if (mail_conn_lines(c))
			continue;
		if (c->dying)
			break;
		{
			size_t before = c->in.len;

			rc = mail_conn_read(c);
			if (rc < 0)
				goto close;
			if (c->in.len == before)
				break;
		}
	}
	mail_conn_arm(c);
	/* Lines left over (the turn bound, or a full input buffer): go on next loop turn. */
	if (!c->close_after && !c->dying && c->in.len > 0 && !c->skipping &&
	    memchr(c->in.p, '\n', c->in.len) != NULL)
		event_active(&c->ev, c->armed, 0);
	return;
close:
	mail_conn_free(c);
}

static void
mail_conn_event_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mail_conn_drive(arg);
}

static void
mail_conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mail_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->dying) {
		mail_conn_free(c);
		return;
	}
	log_info("mail: %s: no command for %d s: closing", c->sess.env.peer,
	    c->srv->cfg->mail_cmd_timeout_s);
	mail_conn_abort(c, "421 4.4.2 timeout: closing\r\n");
	mail_conn_drive(c);
}

static void
mail_conn_life_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mail_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->dying)
		return;
	log_info("mail: %s: session over %d s: closing", c->sess.env.peer,
	    CONFIG_MAIL_SESSION_TIMEOUT_S);
	mail_conn_abort(c, "421 4.4.2 session too long: closing\r\n");
	mail_conn_drive(c);
}

/* ---- admission ---- */

static int
mail_relay_ok(const struct mail_server *s, const struct sockaddr *sa)
{
	const unsigned char *a;
	int family = sa->sa_family;

	if (family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		a = (const unsigned char *)a6;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			a += 12;
		}
	} else {
		return 0;
	}
	return config_nets_have(&s->cfg->mail_relays, family, a);
}

/* A fresh socket takes a short line at once; if not, the peer just sees the close. */
static void
mail_refuse(int fd, const char *line)
{
	ssize_t n = send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)n;
	close(fd);
}

static void
mail_peer_text(const struct sockaddr *sa, char *out, size_t sz)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(out, sz, "%s:%d", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, sz, "[%s]:%d", host, ntohs(in6->sin6_port));
	} else {
		snprintf(out, sz, "?");
	}
}

static void
mail_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct mail_server *s = arg;
	struct mail_conn *c;
	struct timeval life = { CONFIG_MAIL_SESSION_TIMEOUT_S, 0 };
	char peer[SMTP_PEER_MAX];
	int one = 1;

	(void)l;
	(void)salen;
	mail_peer_text(sa, peer, sizeof(peer));
	if (!mail_relay_ok(s, sa)) {
		s->st.refused_relay++;
		log_warn("mail: %s: not in mail_relays: refused (554)", peer);
		mail_refuse(fd, "554 5.7.1 this address may not send mail here\r\n");
		return;
	}
	if (s->st.conns >= CONFIG_MAIL_MAX_CONNS) {
		s->st.refused_busy++;
		log_warn("mail: %s: %d connections open: refused (421)", peer, CONFIG_MAIL_MAX_CONNS);
		mail_refuse(fd, "421 4.7.0 too many connections: try again later\r\n");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		mail_refuse(fd, "421 4.3.0 out of memory: try again later\r\n");
		return;
	}
	evutil_make_socket_nonblocking(fd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->srv = s;
	c->fd = fd;
	buf_init(&c->in, MAIL_IN_MAX);
	buf_init(&c->out, MAIL_OUT_MAX);
	smtp_sess_init(&c->sess, &s->scfg);
	snprintf(c->sess.env.peer, sizeof(c->sess.env.peer), "%s", peer);
	evtimer_assign(&c->timer, s->base, mail_conn_timer_cb, c);
	evtimer_assign(&c->life, s->base, mail_conn_life_cb, c);
	evtimer_add(&c->life, &life);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->st.conns++;
	s->st.accepted++;
	log_debug("mail: %s: connected", peer);
	(void)smtp_sess_greet(&c->sess, &c->out);
	mail_timer_cmd(c);
	mail_conn_drive(c);
}

static void
mail_accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	log_warn("mail: accept: %s", strerror(errno));
}

/* The host of base_url, for the greeting. */
static void
mail_host_from_url(const char *url, char *out, size_t sz)
{
	const char *h = strstr(url, "://");
	size_t n;

	h = h ? h + 3 : url;
	n = strcspn(h, "/");
	if (n >= sz)
		n = sz - 1;
	memcpy(out, h, n);
	out[n] = '\0';
	if (out[0] == '[') {
		char *rb = strchr(out, ']');
		if (rb != NULL)
			rb[1] = '\0';
	} else if (strchr(out, ':') != NULL) {
		*strchr(out, ':') = '\0';
	}
	if (out[0] == '\0')
		snprintf(out, sz, "localhost");
}

static int
mail_listen_one(struct mail_server *s, const struct config_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, one = 1, rc;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 || listen(fd, 64) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (s->nls == 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		s->port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	s->ls[s->nls] = evconnlistener_new(s->base, mail_accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (s->ls[s->nls] == NULL) {
		close(fd);
		return ERR_NOMEM;
	}
	evconnlistener_set_error_cb(s->ls[s->nls], mail_accept_error_cb);
	s->nls++;
	return 0;
}

int
mail_server_new(struct mail_server **out, struct event_base *base, struct store *store,
    struct tls_server *tls, const struct config *cfg)
{
	struct mail_server *s = NULL;
	int rc = 0;

	*out = NULL;
	if (cfg->n_mail_listen == 0)
		goto out;
	if (cfg->upki_admin_email[0] == '\0') {
		log_err("mail: mail_listen is set but upki_admin_email is not: no recipient "
		    "to accept");
		rc = ERR_CONFIG;
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	s->base = base;
	s->store = store;
	s->tls = tls;
	s->cfg = cfg;
	s->port = -1;
	mail_host_from_url(cfg->base_url, s->host, sizeof(s->host));
	s->rcpt_ok[0] = cfg->upki_admin_email;
	s->scfg.hostname = s->host;
	s->scfg.rcpt_ok = s->rcpt_ok;
	s->scfg.n_rcpt_ok = 1;
	s->scfg.tls_ok = tls != NULL;
	s->scfg.deliver = mail_deliver;
	s->scfg.deliver_arg = s;
	for (int i = 0; i < cfg->n_mail_listen; i++) {
		if ((rc = mail_listen_one(s, &cfg->mail_listen[i])) != 0) {
			log_err("mail: listen %s: %s", cfg->mail_listen[i].text, err_str(rc));
			goto out;
		}
		log_info("mail: receiving SMTP for <%s> on %s (%d relay entries)",
		    cfg->upki_admin_email, cfg->mail_listen[i].text, cfg->mail_relays.n);
	}
	*out = s;
	s = NULL;
out:
	mail_server_free(s);
	return rc;
}

int
mail_server_port(const struct mail_server *m)
{
	return m != NULL ? m->port : -1;
}

void
mail_server_stats(const struct mail_server *m, struct mail_server_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (m != NULL)
		*st = m->st;
}

void
mail_server_free(struct mail_server *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < m->nls; i++)
		evconnlistener_free(m->ls[i]);
	while (m->conns != NULL)
		mail_conn_free(m->conns);
	free(m);
}
