/*
 * Fuzz the SMTP command parser and session (src/mail/smtp.c) over whole
 * inputs split into lines as smtp_server.c splits them (LF, a CR before it
 * dropped, a line of CONFIG_MAIL_LINE_MAX octets or more is "too long").
 * Properties: every line parses to a known verb or a documented code; a
 * parsed path has no space, control or angle bracket and fits; every reply
 * line is "ddd" then ' ' or '-' and ends in CRLF; a stored message is within
 * the size limit, has at least one recipient and every recipient is the one
 * allowed; nothing is answered after QUIT.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/smtp.h"
#include "util/buf.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_MSG 8192

static const char *const admin[] = { "admin@example.ac.jp" };

static int
fz_deliver(void *arg, const struct smtp_envelope *env, const unsigned char *msg, size_t len,
    uint64_t *id)
{
	unsigned *calls = arg;

	(void)msg;
	CHECK(len <= MAX_MSG);
	CHECK(env->n_rcpt >= 1 && env->n_rcpt <= CONFIG_MAIL_MAX_RCPTS);
	for (unsigned i = 0; i < env->n_rcpt; i++)
		CHECK(strcasecmp(env->rcpt[i], admin[0]) == 0);
	++*calls;
	*id = *calls;
	return (*calls % 3) == 0 ? ERR_FULL : 0;
}

static void
check_cmd(const char *line, size_t len)
{
	struct smtp_cmd c;
	const char *why = NULL;
	int rc = smtp_cmd_parse(line, len, &c, &why);

	CHECK(why != NULL);
	if (rc != 0) {
		CHECK(rc == 500 || rc == 501 || rc == 555);
		return;
	}
	CHECK(c.verb > SMTP_V_UNKNOWN && c.verb < SMTP_V__MAX);
	CHECK(strlen(c.path) <= SMTP_ADDR_MAX && strlen(c.arg) <= SMTP_HELO_MAX);
	for (const char *p = c.path; *p; p++)
		CHECK((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f && *p != '<' && *p != '>');
	if (c.verb != SMTP_V_MAIL)
		CHECK(c.size == 0 && c.body_8bit == 0);
	if (c.verb == SMTP_V_RCPT)
		CHECK(c.path[0] != '\0');
}

static void
check_replies(const struct buf *out)
{
	size_t i = 0;

	while (i < out->len) {
		const unsigned char *lf = memchr(out->p + i, '\n', out->len - i);
		size_t e;

		CHECK(lf != NULL);
		e = (size_t)(lf - out->p);
		CHECK(e - i >= 5 && out->p[e - 1] == '\r');
		for (int k = 0; k < 3; k++)
			CHECK(out->p[i + k] >= '0' && out->p[i + k] <= '9');
		CHECK(out->p[i + 3] == ' ' || out->p[i + 3] == '-');
		i = e + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_cfg cfg;
	struct smtp_sess s;
	struct buf out;
	unsigned calls = 0, closed = 0;
	size_t i = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.hostname = "fuzz.example.ac.jp";
	cfg.rcpt_ok = admin;
	cfg.n_rcpt_ok = 1;
	cfg.max_msg = MAX_MSG;
	cfg.tls_ok = size > 0 && (data[0] & 1);
	cfg.deliver = fz_deliver;
	cfg.deliver_arg = &calls;
	smtp_sess_init(&s, &cfg);
	buf_init(&out, 1 << 16);
	while (i < size) {
		const uint8_t *lf = memchr(data + i, '\n', size - i);
		size_t e = lf ? (size_t)(lf - data) : size;
		size_t l = e > i && data[e - 1] == '\r' ? e - 1 - i : e - i;
		int toolong = l + 2 > CONFIG_MAIL_LINE_MAX;
		unsigned act;

		if (!toolong)
			check_cmd((const char *)data + i, l);
		buf_reset(&out);
		act = smtp_sess_line(&s, (const char *)data + i, l,
		    (toolong ? SMTP_LINE_TOOLONG : 0) | (lf != NULL && (e == i || data[e - 1] != '\r') ?
		    SMTP_LINE_BARE_LF : 0), &out);
		check_replies(&out);
		if (closed)
			CHECK(out.len == 0);
		if (act & SMTP_ACT_CLOSE)
			closed = 1;
		if (act & SMTP_ACT_STARTTLS)
			smtp_sess_tls_started(&s);
		i = lf ? e + 1 : size;
	}
	buf_free(&out);
	smtp_sess_free(&s);
	return 0;
}
