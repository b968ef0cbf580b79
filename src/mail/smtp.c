/*
 * The SMTP session state machine and its command parser (smtp.h). Replies
 * carry RFC 3463 enhanced status codes (ENHANCEDSTATUSCODES is advertised).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/smtp.h"
#include "util/err.h"
#include "util/log.h"

static const struct {
	const char *name;
	enum smtp_verb verb;
} smtp_verbs[] = {
	{ "HELO", SMTP_V_HELO }, { "EHLO", SMTP_V_EHLO }, { "MAIL", SMTP_V_MAIL },
	{ "RCPT", SMTP_V_RCPT }, { "DATA", SMTP_V_DATA }, { "RSET", SMTP_V_RSET },
	{ "NOOP", SMTP_V_NOOP }, { "QUIT", SMTP_V_QUIT }, { "STARTTLS", SMTP_V_STARTTLS },
	{ "VRFY", SMTP_V_VRFY }, { "HELP", SMTP_V_HELP }, { "EXPN", SMTP_V_EXPN },
};

/* p[0..n) is kw, ignoring case. */
static int
smtp_word_is(const char *p, size_t n, const char *kw)
{
	return n == strlen(kw) && strncasecmp(p, kw, n) == 0;
}

/* p[0..n) starts with kw (and has more), ignoring case. */
static int
smtp_word_starts(const char *p, size_t n, const char *kw)
{
	size_t l = strlen(kw);

	return n > l && strncasecmp(p, kw, l) == 0;
}

/* Printable US-ASCII without space: what a path or a domain may hold here. */
static int
smtp_char_graph(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/*
 * "<path>" at p (n bytes): the address into out, "" for "<>". A source route
 * ("<@a,@b:user@host>", RFC 5321 §4.1.2, obsolete) is dropped. *used gets the
 * bytes taken. 0 or 501.
 */
static int
smtp_path_parse(const char *p, size_t n, char out[SMTP_ADDR_MAX + 1], size_t *used,
    const char **why)
{
	size_t i = 1, start, alen;

	if (n < 2 || p[0] != '<') {
		*why = "5.5.4 the address must be in angle brackets";
		return 501;
	}
	start = 1;
	while (i < n && p[i] != '>') {
		if (!smtp_char_graph((unsigned char)p[i]) || p[i] == '<') {
			*why = "5.1.7 bad character in the address";
			return 501;
		}
		i++;
	}
	if (i == n) {
		*why = "5.5.4 no closing angle bracket";
		return 501;
	}
	if (p[start] == '@') {
		const char *colon = memchr(p + start, ':', i - start);
		if (colon == NULL) {
			*why = "5.1.7 bad source route";
			return 501;
		}
		start = (size_t)(colon - p) + 1;
	}
	alen = i - start;
	if (alen > SMTP_ADDR_MAX) {
		*why = "5.1.3 address too long";
		return 501;
	}
	if (alen > 0) {
		const char *at = memchr(p + start, '@', alen);
		if (at == NULL || at == p + start || at == p + i - 1) {
			*why = "5.1.3 the address needs a local part and a domain";
			return 501;
		}
	}
	memcpy(out, p + start, alen);
	out[alen] = '\0';
	*used = i + 1;
	return 0;
}

/* MAIL/RCPT parameters after the path: SIZE= and BODY= for MAIL, none for RCPT. */
static int
smtp_params_parse(const char *p, size_t n, struct smtp_cmd *cmd, const char **why)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && p[i] == ' ')
			i++;
		if (i == n)
			break;
		s = i;
		while (i < n && p[i] != ' ')
			i++;
		e = i;
		if (cmd->verb == SMTP_V_MAIL && smtp_word_starts(p + s, e - s, "SIZE=")) {
			unsigned long v = 0;

			for (size_t k = s + 5; k < e; k++) {
				if (p[k] < '0' || p[k] > '9' || k - s - 5 >= 12) {
					*why = "5.5.4 SIZE must be a decimal number";
					return 501;
				}
				v = v * 10 + (unsigned long)(p[k] - '0');
			}
			cmd->size = v;
		} else if (cmd->verb == SMTP_V_MAIL && smtp_word_starts(p + s, e - s, "BODY=")) {
			if (smtp_word_is(p + s + 5, e - s - 5, "7BIT")) {
				cmd->body_8bit = 0;
			} else if (smtp_word_is(p + s + 5, e - s - 5, "8BITMIME")) {
				cmd->body_8bit = 1;
			} else {
				*why = "5.5.4 BODY must be 7BIT or 8BITMIME";
				return 501;
			}
		} else {
			*why = "5.5.4 parameter not recognised";
			return 555;
		}
	}
	return 0;
}

int
smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd, const char **why)
{
	size_t vlen = 0, off;
	const char *a;
	size_t alen;

	memset(cmd, 0, sizeof(*cmd));
	*why = "";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			*why = "5.5.2 control character in the command";
			return 500;
		}
	}
	while (vlen < len && line[vlen] != ' ')
		vlen++;
	for (size_t i = 0; i < sizeof(smtp_verbs) / sizeof(smtp_verbs[0]); i++)
		if (smtp_word_is(line, vlen, smtp_verbs[i].name))
			cmd->verb = smtp_verbs[i].verb;
	if (cmd->verb == SMTP_V_UNKNOWN) {
		*why = "5.5.2 command not recognised";
		return 500;
	}
	off = vlen < len ? vlen + 1 : len;
	a = line + off;
	alen = len - off;
	while (alen > 0 && (a[alen - 1] == ' ' || a[alen - 1] == '\t'))
		alen--;
	switch (cmd->verb) {
	case SMTP_V_HELO:
	case SMTP_V_EHLO:
		if (alen == 0 || alen > SMTP_HELO_MAX) {
			*why = "5.5.4 EHLO/HELO needs a domain or an address literal";
			return 501;
		}
		for (size_t i = 0; i < alen; i++)
			if (!smtp_char_graph((unsigned char)a[i])) {
				*why = "5.5.4 bad character in the domain";
				return 501;
			}
		memcpy(cmd->arg, a, alen);
		cmd->arg[alen] = '\0';
		return 0;
	case SMTP_V_MAIL:
	case SMTP_V_RCPT: {
		const char *kw = cmd->verb == SMTP_V_MAIL ? "FROM:" : "TO:";
		size_t kl = strlen(kw), used = 0;
		int rc;

		if (alen < kl || strncasecmp(a, kw, kl) != 0) {
			*why = cmd->verb == SMTP_V_MAIL ? "5.5.4 syntax: MAIL FROM:<address>" :
			    "5.5.4 syntax: RCPT TO:<address>";
			return 501;
		}
		a += kl;
		alen -= kl;
		while (alen > 0 && *a == ' ') {   /* "MAIL FROM: <a>" is common; tolerate it */
			a++;
			alen--;
		}
		if (cmd->verb == SMTP_V_RCPT && (smtp_word_is(a, alen, "<postmaster>") ||
		    smtp_word_starts(a, alen, "<postmaster> "))) {
			snprintf(cmd->path, sizeof(cmd->path), "postmaster");
			used = strlen("<postmaster>");
		} else if ((rc = smtp_path_parse(a, alen, cmd->path, &used, why)) != 0) {
			return rc;
		}
		if (cmd->verb == SMTP_V_RCPT && cmd->path[0] == '\0') {
			*why = "5.1.3 a recipient cannot be empty";
			return 501;
		}
		if (used < alen && a[used] != ' ') {
			*why = "5.5.4 a space must follow the address";
			return 501;
		}
		return smtp_params_parse(a + used, alen - used, cmd, why);
	}
	case SMTP_V_NOOP:
	case SMTP_V_HELP:
	case SMTP_V_VRFY:
	case SMTP_V_EXPN:
		return 0;   /* an argument is allowed and ignored */
	default:
		if (alen != 0) {
			*why = "5.5.4 this command takes no argument";
			return 501;
		}
		return 0;
	}
}

static size_t
smtp_max_msg(const struct smtp_sess *s)
{
	return s->cfg->max_msg ? s->cfg->max_msg : CONFIG_MAIL_MAX_MSG_BYTES;
}

static void
smtp_reply(struct buf *out, int code, const char *text)
{
	/* A full output buffer only drops the reply: the caller closes on it. */
	(void)buf_printf(out, "%d %s\r\n", code, text);
}

/* Forget the transaction (RFC 5321 §4.1.1.5), keep the greeting. */
static void
smtp_txn_reset(struct smtp_sess *s)
{
	s->env.from[0] = '\0';
	s->env.n_rcpt = 0;
	memset(s->env.rcpt, 0, sizeof(s->env.rcpt));
	buf_free(&s->msg);
	s->msg_over = 0;
	s->line_over = 0;
	s->bare_lf = 0;
	if (s->state != SMTP_S_START && s->state != SMTP_S_CLOSED)
		s->state = SMTP_S_READY;
}

void
smtp_sess_init(struct smtp_sess *s, const struct smtp_cfg *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->state = SMTP_S_START;
	buf_init(&s->msg, 0);
}

void
smtp_sess_free(struct smtp_sess *s)
{
	buf_free(&s->msg);
}

int
smtp_sess_greet(struct smtp_sess *s, struct buf *out)
{
	return buf_printf(out, "220 %s ESMTP upki-acme mail receiver\r\n", s->cfg->hostname);
}

void
smtp_sess_tls_started(struct smtp_sess *s)
{
	char peer[SMTP_PEER_MAX];

	memcpy(peer, s->env.peer, sizeof(peer));
	smtp_txn_reset(s);
	memset(&s->env, 0, sizeof(s->env));
	memcpy(s->env.peer, peer, sizeof(peer));
	s->env.tls = 1;
	s->tls = 1;
	s->state = SMTP_S_START;
}

static int
smtp_rcpt_allowed(const struct smtp_sess *s, const char *addr)
{
	for (size_t i = 0; i < s->cfg->n_rcpt_ok; i++)
		if (strcasecmp(s->cfg->rcpt_ok[i], addr) == 0)
			return 1;
	return 0;
}

/* The end of DATA: store, then answer. */
static unsigned
smtp_data_end(struct smtp_sess *s, struct buf *out)
{
	char text[128];
	unsigned act = 0;
	int rc;

	if (s->msg_over) {
		snprintf(text, sizeof(text), "5.3.4 message over %zu bytes: not stored",
		    smtp_max_msg(s));
		smtp_reply(out, 552, text);
		log_info("mail: %s: message from <%s> refused: over %zu bytes", s->env.peer,
		    s->env.from, smtp_max_msg(s));
	} else if (s->line_over) {
		snprintf(text, sizeof(text), "5.5.2 a line of the message is over %d octets: "
		    "not stored", CONFIG_MAIL_LINE_MAX);
		smtp_reply(out, 500, text);
		log_info("mail: %s: message from <%s> refused: a line over %d octets", s->env.peer,
		    s->env.from, CONFIG_MAIL_LINE_MAX);
	} else if (s->bare_lf) {
		smtp_reply(out, 500, "5.5.2 bare LF in the message (lines end in CRLF): not stored");
		log_info("mail: %s: message from <%s> refused: a line ended in a bare LF",
		    s->env.peer, s->env.from);
	} else {
		uint64_t id = 0;

		rc = s->cfg->deliver(s->cfg->deliver_arg, &s->env, s->msg.p, s->msg.len, &id);
		s->last_rc = rc;
		if (rc == 0) {
			s->stored++;
			s->last_id = id;
			act |= SMTP_ACT_STORED;
			snprintf(text, sizeof(text), "2.0.0 stored as mail %llu", (unsigned long long)id);
			smtp_reply(out, 250, text);
		} else if (rc == ERR_FULL) {
			smtp_reply(out, 452, "4.3.1 insufficient storage: try again later");
		} else {
			smtp_reply(out, 451, "4.3.0 local error in processing: try again later");
		}
	}
	smtp_txn_reset(s);
	return act;
}

/* One line of DATA. */
static unsigned
smtp_data_line(struct smtp_sess *s, const char *line, size_t len, unsigned flags, struct buf *out)
{
	if (flags & SMTP_LINE_BARE_LF)
		s->bare_lf = 1;
	if (!(flags & SMTP_LINE_TOOLONG) && len == 1 && line[0] == '.')
		return smtp_data_end(s, out);
	if (flags & SMTP_LINE_TOOLONG) {
		s->line_over = 1;
		return 0;
	}
	if (len > 0 && line[0] == '.') {   /* RFC 5321 §4.5.2 */
		line++;
		len--;
	}
	if (s->msg_over || s->line_over || s->bare_lf)
		return 0;
	if (buf_append(&s->msg, line, len) != 0 || buf_puts(&s->msg, "\r\n") != 0) {
		s->msg_over = 1;
		buf_free(&s->msg);
	}
	return 0;
}

static void
smtp_ehlo_reply(struct smtp_sess *s, struct buf *out)
{
	(void)buf_printf(out, "250-%s greets %s\r\n250-8BITMIME\r\n250-SIZE %zu\r\n",
	    s->cfg->hostname, s->env.helo, smtp_max_msg(s));
	if (s->cfg->tls_ok && !s->tls)
		(void)buf_puts(out, "250-STARTTLS\r\n");
	(void)buf_puts(out, "250 ENHANCEDSTATUSCODES\r\n");
}

static unsigned
smtp_bad(struct smtp_sess *s, struct buf *out, int code, const char *why)
{
	smtp_reply(out, code, why);
	if (++s->errors >= CONFIG_MAIL_MAX_ERRORS) {
		smtp_reply(out, 421, "4.7.0 too many errors: closing");
		log_info("mail: %s: %u bad commands: closing", s->env.peer, s->errors);
		s->state = SMTP_S_CLOSED;
		return SMTP_ACT_CLOSE;
	}
	return 0;
}

static unsigned
smtp_cmd_run(struct smtp_sess *s, const struct smtp_cmd *c, struct buf *out)
{
	char text[SMTP_ADDR_MAX + 64];

	switch (c->verb) {
	case SMTP_V_EHLO:
	case SMTP_V_HELO:
		smtp_txn_reset(s);
		snprintf(s->env.helo, sizeof(s->env.helo), "%s", c->arg);
		s->state = SMTP_S_READY;
		if (c->verb == SMTP_V_EHLO) {
			smtp_ehlo_reply(s, out);
		} else {
			snprintf(text, sizeof(text), "%s", s->cfg->hostname);
			smtp_reply(out, 250, text);
		}
		return 0;
	case SMTP_V_MAIL:
		if (s->state == SMTP_S_START)
			return smtp_bad(s, out, 503, "5.5.1 send EHLO or HELO first");
		if (s->state != SMTP_S_READY)
			return smtp_bad(s, out, 503, "5.5.1 a transaction is open: RSET first");
		if (c->size > smtp_max_msg(s)) {
			snprintf(text, sizeof(text), "5.3.4 message size exceeds the limit of %zu bytes",
			    smtp_max_msg(s));
			smtp_reply(out, 552, text);
			return 0;
		}
		snprintf(s->env.from, sizeof(s->env.from), "%s", c->path);
		s->state = SMTP_S_MAIL;
		smtp_reply(out, 250, "2.1.0 sender ok");
		return 0;
	case SMTP_V_RCPT:
		if (s->state != SMTP_S_MAIL && s->state != SMTP_S_RCPT)
			return smtp_bad(s, out, 503, "5.5.1 MAIL first");
		if (!smtp_rcpt_allowed(s, c->path)) {
			snprintf(text, sizeof(text), "5.1.1 <%s>: no such recipient here", c->path);
			smtp_reply(out, 550, text);
			log_info("mail: %s: recipient <%s> refused", s->env.peer, c->path);
			return 0;
		}
		for (unsigned i = 0; i < s->env.n_rcpt; i++)
			if (strcasecmp(s->env.rcpt[i], c->path) == 0) {
				smtp_reply(out, 250, "2.1.5 recipient ok (already given)");
				return 0;
			}
		if (s->env.n_rcpt >= CONFIG_MAIL_MAX_RCPTS) {
			smtp_reply(out, 452, "4.5.3 too many recipients");
			return 0;
		}
		snprintf(s->env.rcpt[s->env.n_rcpt++], sizeof(s->env.rcpt[0]), "%s", c->path);
		s->state = SMTP_S_RCPT;
		smtp_reply(out, 250, "2.1.5 recipient ok");
		return 0;
	case SMTP_V_DATA:
		if (s->state == SMTP_S_MAIL) {
			smtp_reply(out, 554, "5.5.1 no valid recipients");
			return 0;
		}
		if (s->state != SMTP_S_RCPT)
			return smtp_bad(s, out, 503, "5.5.1 RCPT first");
		buf_init(&s->msg, smtp_max_msg(s));
		s->state = SMTP_S_DATA;
		smtp_reply(out, 354, "end data with <CR><LF>.<CR><LF>");
		return 0;
	case SMTP_V_RSET:
		smtp_txn_reset(s);
		smtp_reply(out, 250, "2.0.0 ok");
		return 0;
	case SMTP_V_NOOP:
		smtp_reply(out, 250, "2.0.0 ok");
		return 0;
	case SMTP_V_QUIT:
		smtp_reply(out, 221, "2.0.0 bye");
		s->state = SMTP_S_CLOSED;
		return SMTP_ACT_CLOSE;
	case SMTP_V_STARTTLS:
		if (!s->cfg->tls_ok)
			return smtp_bad(s, out, 502, "5.5.1 STARTTLS is not offered");
		if (s->tls)
			return smtp_bad(s, out, 503, "5.5.1 TLS is already on");
		if (s->state != SMTP_S_START && s->state != SMTP_S_READY)
			return smtp_bad(s, out, 503, "5.5.1 STARTTLS inside a transaction: RSET first");
		smtp_reply(out, 220, "2.0.0 ready to start TLS");
		return SMTP_ACT_STARTTLS;
	case SMTP_V_VRFY:
		smtp_reply(out, 252, "2.5.0 cannot verify addresses here");
		return 0;
	case SMTP_V_HELP:
		smtp_reply(out, 214, "2.0.0 receive-only: EHLO HELO MAIL RCPT DATA RSET NOOP "
		    "QUIT STARTTLS");
		return 0;
	default:
		return smtp_bad(s, out, 502, "5.5.1 command not implemented");
	}
}

unsigned
smtp_sess_line(struct smtp_sess *s, const char *line, size_t len, unsigned flags, struct buf *out)
{
	struct smtp_cmd cmd;
	const char *why;
	int code;

	if (s->state == SMTP_S_CLOSED)
		return SMTP_ACT_CLOSE;
	if (s->state == SMTP_S_DATA)
		return smtp_data_line(s, line, len, flags, out);
	if (flags & SMTP_LINE_TOOLONG) {
		char text[64];

		snprintf(text, sizeof(text), "5.5.2 line over %d octets", CONFIG_MAIL_LINE_MAX);
		return smtp_bad(s, out, 500, text);
	}
	code = smtp_cmd_parse(line, len, &cmd, &why);
	if (code != 0)
		return smtp_bad(s, out, code, why);
	return smtp_cmd_run(s, &cmd, out);
}
