/*
 * smtp.h: the receive-only SMTP session (RFC 5321 subset, RFC 3207 STARTTLS),
 * as a pure state machine: no sockets, no store. The caller (smtp_server.c,
 * the unit tests, the fuzz target) splits the input into lines, feeds them one
 * by one, and sends whatever the session appended to its output buffer.
 *
 * Commands: EHLO, HELO, MAIL (SIZE=, BODY=7BIT|8BITMIME), RCPT, DATA (with
 * dot-unstuffing), RSET, NOOP, QUIT, STARTTLS, VRFY (252), HELP (214); other
 * verbs get 502 and unknown ones 500. PIPELINING is not advertised, but a
 * client that pipelines anyway is served in order, since every command is
 * answered before the next line is looked at.
 *
 * Bounds: a line of CONFIG_MAIL_LINE_MAX octets with its CRLF, a message of
 * cfg->max_msg bytes (CONFIG_MAIL_MAX_MSG_BYTES by default), CONFIG_MAIL_MAX_RCPTS
 * recipients, CONFIG_MAIL_MAX_ERRORS bad commands per session.
 */
#ifndef UPKI_MAIL_SMTP_H
#define UPKI_MAIL_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "autoconf.h"
#include "util/buf.h"

#define SMTP_ADDR_MAX 254      /* RFC 5321 §4.5.3.1.3: a path is 256 octets with <> */
#define SMTP_HELO_MAX 255      /* a domain or an address literal */
#define SMTP_PEER_MAX 64       /* "addr:port" of the client, for records and logs */

/* What the session knows about one message when it is complete. */
struct smtp_envelope {
	char peer[SMTP_PEER_MAX];              /* set by the caller at connect */
	char helo[SMTP_HELO_MAX + 1];          /* the EHLO/HELO argument */
	char from[SMTP_ADDR_MAX + 1];          /* reverse-path; "" for <> */
	unsigned n_rcpt;
	char rcpt[CONFIG_MAIL_MAX_RCPTS][SMTP_ADDR_MAX + 1];
	int tls;                               /* received after STARTTLS */
};

/*
 * Store one complete message (the bytes as received, dot-unstuffed, lines
 * ending in CRLF). Return 0 once it is durably stored (*id: its record id),
 * ERR_FULL when the store has no room (the client gets 452 and tries later), or
 * any other error (451). Called inside smtp_sess_line(); the session answers 250
 * only after it returned 0.
 */
typedef int (*smtp_deliver_fn)(void *arg, const struct smtp_envelope *env,
    const unsigned char *msg, size_t len, uint64_t *id);

struct smtp_cfg {
	const char *hostname;          /* in the greeting and the EHLO answer */
	const char *const *rcpt_ok;    /* the recipients accepted (compared case-insensitively) */
	size_t n_rcpt_ok;
	size_t max_msg;                /* 0: CONFIG_MAIL_MAX_MSG_BYTES */
	int tls_ok;                    /* STARTTLS is offered */
	smtp_deliver_fn deliver;
	void *deliver_arg;
};

enum smtp_state {
	SMTP_S_START,      /* before EHLO/HELO (again after STARTTLS) */
	SMTP_S_READY,      /* greeted, no transaction */
	SMTP_S_MAIL,       /* MAIL accepted, no recipient yet */
	SMTP_S_RCPT,       /* at least one recipient */
	SMTP_S_DATA,       /* reading the message */
	SMTP_S_CLOSED,     /* QUIT or a fatal error: nothing more is read */
	SMTP_S__MAX
};

struct smtp_sess {
	const struct smtp_cfg *cfg;
	enum smtp_state state;
	struct smtp_envelope env;
	struct buf msg;               /* DATA so far, at most max_msg bytes */
	unsigned char msg_over;       /* over max_msg: read to the end, then 552 */
	unsigned char line_over;      /* an over-long line in DATA: then 500 */
	unsigned char bare_lf;        /* a line in DATA ended in LF alone: then 500 */
	unsigned char tls;            /* TLS is on: no second STARTTLS */
	unsigned errors;              /* bad commands so far */
	unsigned long stored;         /* messages stored in this session */
	uint64_t last_id;             /* record id of the last stored message */
	int last_rc;                  /* result of the last deliver call */
};

/* smtp_sess_line() line flags: how the line came. */
#define SMTP_LINE_TOOLONG 0x1u  /* it did not fit: its bytes are gone */
#define SMTP_LINE_BARE_LF 0x2u  /* it ended in LF without CR */

/* smtp_sess_line() result flags: what the caller does after sending out. */
#define SMTP_ACT_CLOSE 0x1u     /* send the output, then close the connection */
#define SMTP_ACT_STARTTLS 0x2u  /* send the output in clear, drop buffered input, then TLS */
#define SMTP_ACT_STORED 0x4u    /* a message was stored (s->last_id) */

/* A session for cfg (which must outlive it); env.peer is left for the caller. */
void smtp_sess_init(struct smtp_sess *s, const struct smtp_cfg *cfg);

/* Free the message buffer. */
void smtp_sess_free(struct smtp_sess *s);

/* Append the 220 greeting to out. 0 or ERR_TOOBIG (out full). */
int smtp_sess_greet(struct smtp_sess *s, struct buf *out);

/*
 * Feed one input line: its bytes without the line end (len + 2 <=
 * CONFIG_MAIL_LINE_MAX), with SMTP_LINE_* flags: SMTP_LINE_TOOLONG for a line
 * that did not fit (line and len are then ignored), SMTP_LINE_BARE_LF for one
 * that ended in a bare LF. A message with a bare LF is not stored (500): a
 * bare LF is how SMTP smuggling hides a second message in the first, and UPKI's
 * mail never has one. Appends the reply (if any) to out and returns SMTP_ACT_*
 * flags. A session in SMTP_S_CLOSED ignores every line.
 */
unsigned smtp_sess_line(struct smtp_sess *s, const char *line, size_t len, unsigned flags,
    struct buf *out);

/* The TLS handshake after SMTP_ACT_STARTTLS completed: RFC 3207 §4.2, the
 * session starts again (EHLO needed, nothing remembered from before). */
void smtp_sess_tls_started(struct smtp_sess *s);

/* ---- the command parser ---- */

enum smtp_verb {
	SMTP_V_UNKNOWN, SMTP_V_HELO, SMTP_V_EHLO, SMTP_V_MAIL, SMTP_V_RCPT, SMTP_V_DATA,
	SMTP_V_RSET, SMTP_V_NOOP, SMTP_V_QUIT, SMTP_V_STARTTLS, SMTP_V_VRFY, SMTP_V_HELP,
	SMTP_V_EXPN, SMTP_V__MAX
};

struct smtp_cmd {
	enum smtp_verb verb;
	char arg[SMTP_HELO_MAX + 1];   /* EHLO/HELO: the domain */
	char path[SMTP_ADDR_MAX + 1];  /* MAIL/RCPT: the address inside <>, "" for <> */
	unsigned long size;            /* MAIL SIZE=, 0 if not given */
	int body_8bit;                 /* MAIL BODY=8BITMIME */
};

/*
 * Parse one command line (no line end). 0 with cmd filled, or the SMTP reply
 * code to answer (500 syntax error or unknown verb, 501 bad arguments, 555
 * unknown MAIL/RCPT parameter) with *why set to a static text.
 */
int smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd, const char **why);

#endif
