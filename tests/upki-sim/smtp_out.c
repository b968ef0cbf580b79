/*
 * smtp_out.c: delivery of the outbox by SMTP (--smtp-to 127.0.0.1:PORT), as
 * UPKI's mail server delivers its mails: every mail added to the outbox is
 * queued and sent, one connection per mail, one mail at a time, in plain SMTP
 * (EHLO, MAIL, RCPT, DATA, QUIT). A 4xx answer, a refused or dropped
 * connection or a timeout is retried with back-off (1 s doubling to 30 s, at
 * most SMTP_OUT_ATTEMPTS tries); a 5xx answer drops the mail (logged, as a
 * bounce would be). Faults taken when a mail is queued: mail_lost (never
 * sent), mail_duplicate (sent twice), mail_delay (sent after "seconds").
 *
 * The message is rendered as UPKI sends it by sim_mail_render() (smime.c:
 * S/MIME-signed, with the signing faults mail_badsig/otherkey/otherhost taken
 * when it is rendered).
 * Mails queued but not yet delivered when the simulator stops are not sent
 * after a restart (like a lost mail).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "json/json.h"
#include "platform.h"
#include "sim.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define SMTP_OUT_ATTEMPTS 12
#define SMTP_OUT_BACKOFF_MAX_MS 30000
#define SMTP_OUT_TIMEOUT_S 30       /* one whole delivery */
#define SMTP_OUT_REPLY_MAX 4096

enum smtp_step { ST_GREET, ST_EHLO, ST_MAIL, ST_RCPT, ST_DATA, ST_BODY, ST_QUIT, ST__MAX };

struct smtp_item {
	struct smtp_item *next;
	struct sim_mail mail;
	int attempts;
	int copies;               /* deliveries still to make (mail_duplicate: 2) */
	int delivered;            /* the 250 after the message came: QUIT no longer matters */
	int64_t due_ms;           /* monotonic */
};

struct smtp_out {
	struct sim *s;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct smtp_item *head;
	size_t n;
	struct event *timer;      /* next attempt */
	struct event *deadline;   /* the current delivery */
	struct event *ev;         /* the current socket */
	struct smtp_item *cur;    /* being delivered (taken off the queue) */
	int fd;
	int connecting;
	enum smtp_step step;
	struct buf in, out;
	size_t out_off;
	unsigned long sent, retries, lost, dropped, duplicated, delayed;
};

static void smtp_kick(struct smtp_out *o);

static int64_t
smtp_now(void)
{
	return (int64_t)platform_mono_ms();
}

/* The DATA bytes of text: dot-stuffed (RFC 5321 §4.5.2), then the final dot. */
static int
smtp_stuff(struct buf *out, const unsigned char *p, size_t n)
{
	size_t i = 0;
	int rc = 0;

	while (i < n && rc == 0) {
		const unsigned char *lf = memchr(p + i, '\n', n - i);
		size_t e = lf ? (size_t)(lf - p) : n;
		size_t l = e > i && p[e - 1] == '\r' ? e - 1 - i : e - i;

		if (l > 0 && p[i] == '.')
			rc = buf_puts(out, ".");
		if (rc == 0)
			rc = buf_append(out, p + i, l);
		if (rc == 0)
			rc = buf_puts(out, "\r\n");
		i = lf ? e + 1 : n;
	}
	return rc == 0 ? buf_puts(out, ".\r\n") : rc;
}

/* ---- one delivery ---- */

static void
smtp_conn_close(struct smtp_out *o)
{
	if (o->ev != NULL) {
		event_free(o->ev);
		o->ev = NULL;
	}
	if (o->fd >= 0) {
		close(o->fd);
		o->fd = -1;
	}
	evtimer_del(o->deadline);
	buf_free(&o->in);
	buf_free(&o->out);
	o->out_off = 0;
}

/* Put it back in the queue, due at due_ms (in due order). */
static void
smtp_requeue(struct smtp_out *o, struct smtp_item *it)
{
	struct smtp_item **pp = &o->head;

	while (*pp != NULL && (*pp)->due_ms <= it->due_ms)
		pp = &(*pp)->next;
	it->next = *pp;
	*pp = it;
	o->n++;
}

/* The delivery of o->cur ended: ok = 1 delivered, 0 retry, -1 give up. */
static void
smtp_done(struct smtp_out *o, int ok, const char *why)
{
	struct smtp_item *it = o->cur;

	smtp_conn_close(o);
	o->cur = NULL;
	if (it == NULL)
		return;
	if (it->delivered) {
		it->delivered = 0;
		if (--it->copies > 0) {
			it->due_ms = smtp_now();
			it->attempts = 0;
			smtp_requeue(o, it);
			it = NULL;
		}
	} else if (ok == 0 && ++it->attempts < SMTP_OUT_ATTEMPTS) {
		int64_t wait = 1000LL << (it->attempts - 1 < 5 ? it->attempts - 1 : 5);

		if (wait > SMTP_OUT_BACKOFF_MAX_MS)
			wait = SMTP_OUT_BACKOFF_MAX_MS;
		o->retries++;
		log_info("upki-sim: mail %lu: SMTP delivery failed (%s): retry %d in %lld ms",
		    it->mail.id, why, it->attempts, (long long)wait);
		it->due_ms = smtp_now() + wait;
		smtp_requeue(o, it);
		it = NULL;
	} else {
		o->dropped++;
		log_warn("upki-sim: mail %lu to <%s>: SMTP delivery given up: %s", it->mail.id,
		    it->mail.to, why);
	}
	free(it);
	smtp_kick(o);
}

/* A complete reply in o->in: its code (the last line's), or 0 if not complete yet. */
static int
smtp_reply_code(struct smtp_out *o, char *text, size_t tsz)
{
	size_t i = 0;

	while (i < o->in.len) {
		const unsigned char *lf = memchr(o->in.p + i, '\n', o->in.len - i);
		size_t e;

		if (lf == NULL)
			return 0;
		e = (size_t)(lf - o->in.p);
		if (e - i >= 4 && o->in.p[i + 3] == ' ') {
			int code = (o->in.p[i] - '0') * 100 + (o->in.p[i + 1] - '0') * 10 +
			    (o->in.p[i + 2] - '0');
			size_t tl = e - i;

			if (tl > 0 && o->in.p[i + tl - 1] == '\r')
				tl--;
			snprintf(text, tsz, "%.*s", (int)tl, (const char *)o->in.p + i);
			buf_reset(&o->in);
			return code >= 200 && code <= 599 ? code : 500;
		}
		if (e - i < 4 || o->in.p[i + 3] != '-') {
			snprintf(text, tsz, "malformed reply");
			buf_reset(&o->in);
			return 500;
		}
		i = e + 1;
	}
	return 0;
}

static int
smtp_send_next(struct smtp_out *o)
{
	const struct sim_mail *m = &o->cur->mail;
	int rc;

	buf_reset(&o->out);
	o->out_off = 0;
	switch (o->step) {
	case ST_EHLO:
		return buf_puts(&o->out, "EHLO upki-sim.invalid\r\n");
	case ST_MAIL:
		return buf_printf(&o->out, "MAIL FROM:<%s>\r\n", sim_profile.mail_from);
	case ST_RCPT:
		return buf_printf(&o->out, "RCPT TO:<%s>\r\n", m->to);
	case ST_DATA:
		return buf_puts(&o->out, "DATA\r\n");
	case ST_BODY: {
		char *msg = malloc(SIM_MAIL_RENDER_MAX);
		size_t len = 0;

		if (msg == NULL)
			return ERR_NOMEM;
		rc = sim_mail_render(o->s, m, sim_mail_faults_take(o->s), msg, SIM_MAIL_RENDER_MAX, &len);
		if (rc == 0)
			rc = smtp_stuff(&o->out, (const unsigned char *)msg, len);
		free(msg);
		return rc;
	}
	case ST_QUIT:
		return buf_puts(&o->out, "QUIT\r\n");
	default:
		return ERR_STATE;
	}
}

static void smtp_io_cb(evutil_socket_t fd, short what, void *arg);

static void
smtp_arm(struct smtp_out *o, short what)
{
	if (o->ev != NULL)
		event_free(o->ev);
	o->ev = event_new(o->s->base, o->fd, what | EV_PERSIST, smtp_io_cb, o);
	if (o->ev == NULL || event_add(o->ev, NULL) != 0)
		smtp_done(o, 0, "out of memory");
}

/* The reply to the current step: what comes next. */
static void
smtp_on_reply(struct smtp_out *o, int code, const char *text)
{
	static const int want[ST__MAX] = { 220, 250, 250, 250, 354, 250, 221 };

	if (code != want[o->step]) {
		char why[160];

		if (o->step == ST_QUIT) {   /* delivered already */
			smtp_done(o, 1, "");
			return;
		}
		snprintf(why, sizeof(why), "'%.100s' after %s", text,
		    o->step == ST_GREET ? "connecting" : o->step == ST_EHLO ? "EHLO" :
		    o->step == ST_MAIL ? "MAIL" : o->step == ST_RCPT ? "RCPT" :
		    o->step == ST_DATA ? "DATA" : "the message");
		smtp_done(o, code >= 500 ? -1 : 0, why);
		return;
	}
	if (o->step == ST_QUIT) {
		smtp_done(o, 1, "");
		return;
	}
	if (o->step == ST_BODY) {
		o->cur->delivered = 1;
		o->sent++;
		log_info("upki-sim: mail %lu delivered by SMTP to <%s>: %s", o->cur->mail.id,
		    o->cur->mail.to, text);
	}
	o->step++;
	if (smtp_send_next(o) != 0) {
		smtp_done(o, -1, "message too large to render");
		return;
	}
	smtp_arm(o, EV_WRITE);
}

static void
smtp_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_out *o = arg;
	char text[SMTP_OUT_REPLY_MAX];

	(void)fd;
	if (o->connecting) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(o->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
			snprintf(text, sizeof(text), "connect: %s", strerror(err ? err : errno));
			smtp_done(o, 0, text);
			return;
		}
		o->connecting = 0;
		smtp_arm(o, EV_READ);
		return;
	}
	if (what & EV_WRITE) {
		while (o->out_off < o->out.len) {
			ssize_t n = send(o->fd, o->out.p + o->out_off, o->out.len - o->out_off,
			    MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n < 0) {
				snprintf(text, sizeof(text), "send: %s", strerror(errno));
				smtp_done(o, 0, text);
				return;
			}
			o->out_off += (size_t)n;
		}
		smtp_arm(o, EV_READ);
		return;
	}
	for (;;) {
		ssize_t n;
		int code;

		if (buf_reserve(&o->in, 1024) != 0) {
			smtp_done(o, 0, "reply too long");
			return;
		}
		n = recv(o->fd, o->in.p + o->in.len, 1024, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			if (o->step == ST_QUIT) {
				smtp_done(o, 1, "");
				return;
			}
			snprintf(text, sizeof(text), "%s", n == 0 ? "connection closed" :
			    strerror(errno));
			smtp_done(o, 0, text);
			return;
		}
		o->in.len += (size_t)n;
		code = smtp_reply_code(o, text, sizeof(text));
		if (code != 0) {
			smtp_on_reply(o, code, text);
			return;
		}
	}
}

static void
smtp_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	smtp_done(arg, 0, "timeout");
}

static void
smtp_start(struct smtp_out *o, struct smtp_item *it)
{
	struct timeval tv = { SMTP_OUT_TIMEOUT_S, 0 };

	o->cur = it;
	o->step = ST_GREET;
	buf_init(&o->in, SMTP_OUT_REPLY_MAX);
	buf_init(&o->out, SIM_MAIL_RENDER_MAX * 2);   /* dot-stuffing at most doubles it */
	o->fd = socket(o->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (o->fd < 0) {
		smtp_done(o, 0, strerror(errno));
		return;
	}
	evtimer_add(o->deadline, &tv);
	if (connect(o->fd, (struct sockaddr *)&o->ss, o->sl) != 0 && errno != EINPROGRESS) {
		char why[128];

		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		smtp_done(o, 0, why);
		return;
	}
	o->connecting = 1;
	smtp_arm(o, EV_WRITE);
}

static void
smtp_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	smtp_kick(arg);
}

/* Start the next delivery that is due, or wait for it. */
static void
smtp_kick(struct smtp_out *o)
{
	struct smtp_item *it = o->head;
	int64_t now = smtp_now();

	if (o->cur != NULL || it == NULL)
		return;
	if (it->due_ms > now) {
		struct timeval tv;
		int64_t ms = it->due_ms - now;

		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
		evtimer_add(o->timer, &tv);
		return;
	}
	o->head = it->next;
	o->n--;
	smtp_start(o, it);
}

/* ---- the API (sim.h) ---- */

int
sim_smtp_start(struct sim *s, const char *to)
{
	struct smtp_out *o;
	int port;

	if (to == NULL || to[0] == '\0')
		return 0;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return ERR_NOMEM;
	o->s = s;
	o->fd = -1;
	if (sim_parse_addr(to, &o->ss, &o->sl, &port) != 0 || port == 0) {
		log_err("upki-sim: --smtp-to %s: not a numeric ADDR:PORT", to);
		free(o);
		return ERR_CONFIG;
	}
	o->timer = evtimer_new(s->base, smtp_timer_cb, o);
	o->deadline = evtimer_new(s->base, smtp_deadline_cb, o);
	if (o->timer == NULL || o->deadline == NULL) {
		if (o->timer != NULL)
			event_free(o->timer);
		if (o->deadline != NULL)
			event_free(o->deadline);
		free(o);
		return ERR_NOMEM;
	}
	s->smtp = o;
	log_info("upki-sim: delivering mails by SMTP to %s", to);
	return 0;
}

void
sim_smtp_queue(struct sim *s, const struct sim_mail *m)
{
	struct smtp_out *o = s->smtp;
	struct smtp_item *it;

	if (o == NULL)
		return;
	if (sim_fault_take(s, SIM_F_MAIL_LOST)) {
		o->lost++;
		log_info("upki-sim: mail %lu lost (fault mail_lost): not delivered", m->id);
		return;
	}
	if (o->n >= SIM_MAX_MAILS || (it = calloc(1, sizeof(*it))) == NULL) {
		o->dropped++;
		log_warn("upki-sim: mail %lu: SMTP queue full: not delivered", m->id);
		return;
	}
	it->mail = *m;
	it->copies = 1;
	it->due_ms = smtp_now();
	if (sim_fault_take(s, SIM_F_MAIL_DUPLICATE)) {
		o->duplicated++;
		it->copies = 2;
	}
	if (sim_fault_take(s, SIM_F_MAIL_DELAY)) {
		unsigned ms = s->faults.mail_delay_ms ? s->faults.mail_delay_ms : 5000;

		o->delayed++;
		it->due_ms += ms;
		log_info("upki-sim: mail %lu held back %u ms (fault mail_delay)", m->id, ms);
	}
	smtp_requeue(o, it);
	smtp_kick(o);
}

void
sim_smtp_json(struct json_w *w, const struct sim *s)
{
	const struct smtp_out *o = s->smtp;

	json_w_key(w, "smtp");
	json_w_obj_begin(w);
#define C(name) json_w_key(w, #name); json_w_int(w, o ? (int64_t)o->name : 0)
	C(sent); C(retries); C(lost); C(dropped); C(duplicated); C(delayed);
#undef C
	json_w_key(w, "queued");
	json_w_int(w, o ? (int64_t)o->n + (o->cur != NULL) : 0);
	json_w_obj_end(w);
}

void
sim_smtp_free(struct sim *s)
{
	struct smtp_out *o = s->smtp;

	if (o == NULL)
		return;
	smtp_conn_close(o);
	free(o->cur);
	while (o->head != NULL) {
		struct smtp_item *it = o->head;
		o->head = it->next;
		free(it);
	}
	event_free(o->timer);
	event_free(o->deadline);
	free(o);
	s->smtp = NULL;
}
