/* The SMTP session state machine (src/mail/smtp.c): lines in, replies out, deliver calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mail/smtp.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/str.h"

struct fake_store {
	int rc;                  /* what deliver returns */
	unsigned calls;
	char last[8192];
	size_t last_len;
	struct smtp_envelope env;
};

static int
fake_deliver(void *arg, const struct smtp_envelope *env, const unsigned char *msg, size_t len,
    uint64_t *id)
{
	struct fake_store *f = arg;

	f->calls++;
	f->env = *env;
	f->last_len = len < sizeof(f->last) ? len : sizeof(f->last);
	memcpy(f->last, msg, f->last_len);
	if (f->rc == 0)
		*id = 40 + f->calls;
	return f->rc;
}

static const char *const admin[] = { "admin@example.ac.jp" };

struct fx {
	struct fake_store st;
	struct smtp_cfg cfg;
	struct smtp_sess s;
	struct buf out;
	char reply[4096];
	unsigned act;
};

static void
fx_init(struct fx *f, int tls_ok, size_t max_msg)
{
	memset(f, 0, sizeof(*f));
	f->cfg.hostname = "acme.example.ac.jp";
	f->cfg.rcpt_ok = admin;
	f->cfg.n_rcpt_ok = 1;
	f->cfg.max_msg = max_msg;
	f->cfg.tls_ok = tls_ok;
	f->cfg.deliver = fake_deliver;
	f->cfg.deliver_arg = &f->st;
	smtp_sess_init(&f->s, &f->cfg);
	snprintf(f->s.env.peer, sizeof(f->s.env.peer), "192.0.2.25:4711");
	buf_init(&f->out, 16384);
}

static void
fx_done(struct fx *f)
{
	smtp_sess_free(&f->s);
	buf_free(&f->out);
}

/* Feed one line; the reply (all of it) lands in f->reply, the flags in f->act. */
static const char *
feed(struct fx *f, const char *line)
{
	buf_reset(&f->out);
	f->act = smtp_sess_line(&f->s, line, strlen(line), 0, &f->out);
	snprintf(f->reply, sizeof(f->reply), "%.*s", (int)f->out.len, (const char *)f->out.p);
	return f->reply;
}

static const char *
feed_toolong(struct fx *f)
{
	buf_reset(&f->out);
	f->act = smtp_sess_line(&f->s, NULL, 0, SMTP_LINE_TOOLONG, &f->out);
	snprintf(f->reply, sizeof(f->reply), "%.*s", (int)f->out.len, (const char *)f->out.p);
	return f->reply;
}

static void
assert_code(const char *reply, const char *code)
{
	if (strncmp(reply, code, 3) != 0 || (reply[3] != ' ' && reply[3] != '-'))
		fail_msg("expected a %s reply, got '%s'", code, reply);
}

static void
start_txn(struct fx *f)
{
	assert_code(feed(f, "EHLO relay.example.ac.jp"), "250");
	assert_code(feed(f, "MAIL FROM:<ca-support@ml.secom-sts.co.jp>"), "250");
	assert_code(feed(f, "RCPT TO:<admin@example.ac.jp>"), "250");
	assert_code(feed(f, "DATA"), "354");
}

static void
test_greeting_and_ehlo(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 1, 0);
	assert_int_equal(smtp_sess_greet(&f.s, &f.out), 0);
	assert_memory_equal(f.out.p, "220 acme.example.ac.jp ESMTP", 28);
	feed(&f, "EHLO relay.example.ac.jp");
	assert_non_null(strstr(f.reply, "250-acme.example.ac.jp"));
	assert_non_null(strstr(f.reply, "250-8BITMIME\r\n"));
	assert_non_null(strstr(f.reply, "250-SIZE 262144\r\n"));
	assert_non_null(strstr(f.reply, "250-STARTTLS\r\n"));
	assert_non_null(strstr(f.reply, "250 ENHANCEDSTATUSCODES\r\n"));
	assert_null(strstr(f.reply, "PIPELINING"));
	assert_code(feed(&f, "HELO relay"), "250");
	assert_code(feed(&f, "EHLO"), "501");
	fx_done(&f);
}

static void
test_message_stored_dot_unstuffed(void **state)
{
	static const char want[] = "Subject: test\r\n\r\n.hidden line\r\n..two\r\nlast\r\n";
	struct fx f;

	(void)state;
	fx_init(&f, 0, 0);
	start_txn(&f);
	assert_string_equal(feed(&f, "Subject: test"), "");
	feed(&f, "");
	feed(&f, "..hidden line");
	feed(&f, "...two");
	feed(&f, "last");
	assert_int_equal(f.st.calls, 0);
	assert_string_equal(feed(&f, "."), "250 2.0.0 stored as mail 41\r\n");
	assert_true(f.act & SMTP_ACT_STORED);
	assert_int_equal(f.s.last_id, 41);
	assert_int_equal(f.st.calls, 1);
	assert_int_equal(f.st.last_len, sizeof(want) - 1);
	assert_memory_equal(f.st.last, want, sizeof(want) - 1);
	assert_string_equal(f.st.env.from, "ca-support@ml.secom-sts.co.jp");
	assert_int_equal(f.st.env.n_rcpt, 1);
	assert_string_equal(f.st.env.rcpt[0], "admin@example.ac.jp");
	assert_string_equal(f.st.env.helo, "relay.example.ac.jp");
	assert_string_equal(f.st.env.peer, "192.0.2.25:4711");
	/* The transaction is over: a second one needs MAIL again. */
	assert_code(feed(&f, "RCPT TO:<admin@example.ac.jp>"), "503");
	assert_code(feed(&f, "MAIL FROM:<>"), "250");
	assert_code(feed(&f, "RCPT TO:<ADMIN@Example.AC.JP>"), "250");
	assert_code(feed(&f, "DATA"), "354");
	feed(&f, "x");
	assert_code(feed(&f, "."), "250");
	assert_int_equal(f.st.calls, 2);
	assert_string_equal(f.st.env.from, "");
	assert_code(feed(&f, "QUIT"), "221");
	assert_true(f.act & SMTP_ACT_CLOSE);
	assert_string_equal(feed(&f, "NOOP"), "");
	assert_true(f.act & SMTP_ACT_CLOSE);
	fx_done(&f);
}

static void
test_recipients(void **state)
{
	static const char *const many[] = { "a@x.jp", "b@x.jp", "c@x.jp", "d@x.jp", "e@x.jp",
		"f@x.jp", "g@x.jp", "h@x.jp", "i@x.jp" };
	char line[64];
	struct fx f;

	(void)state;
	fx_init(&f, 0, 0);
	feed(&f, "EHLO r");
	feed(&f, "MAIL FROM:<x@y.jp>");
	assert_code(feed(&f, "RCPT TO:<root@example.ac.jp>"), "550");
	assert_code(feed(&f, "RCPT TO:<postmaster>"), "550");
	assert_code(feed(&f, "DATA"), "554");
	assert_int_equal(f.st.calls, 0);
	fx_done(&f);

	fx_init(&f, 0, 0);
	f.cfg.rcpt_ok = many;
	f.cfg.n_rcpt_ok = 9;
	feed(&f, "EHLO r");
	feed(&f, "MAIL FROM:<x@y.jp>");
	for (int i = 0; i < CONFIG_MAIL_MAX_RCPTS; i++) {
		snprintf(line, sizeof(line), "RCPT TO:<%s>", many[i]);
		assert_code(feed(&f, line), "250");
	}
	assert_code(feed(&f, "RCPT TO:<a@x.jp>"), "250");   /* already given: no new slot */
	snprintf(line, sizeof(line), "RCPT TO:<%s>", many[CONFIG_MAIL_MAX_RCPTS]);
	assert_code(feed(&f, line), "452");
	assert_int_equal(f.s.env.n_rcpt, CONFIG_MAIL_MAX_RCPTS);
	fx_done(&f);
}

static void
test_sequence_errors(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 0, 0);
	assert_code(feed(&f, "MAIL FROM:<a@b.jp>"), "503");
	feed(&f, "EHLO r");
	assert_code(feed(&f, "RCPT TO:<admin@example.ac.jp>"), "503");
	assert_code(feed(&f, "DATA"), "503");
	assert_code(feed(&f, "MAIL FROM:<a@b.jp>"), "250");
	assert_code(feed(&f, "MAIL FROM:<a@b.jp>"), "503");
	assert_code(feed(&f, "RSET"), "250");
	assert_code(feed(&f, "RCPT TO:<admin@example.ac.jp>"), "503");
	assert_code(feed(&f, "NOOP anything"), "250");
	assert_code(feed(&f, "VRFY admin"), "252");
	assert_code(feed(&f, "EXPN list"), "502");
	assert_code(feed(&f, "HELP"), "214");
	assert_code(feed(&f, "BDAT 10"), "500");
	assert_code(feed(&f, "RSET now"), "501");
	fx_done(&f);
}

static void
test_sizes(void **state)
{
	char big[600];
	struct fx f;

	(void)state;
	fx_init(&f, 0, 4096);
	feed(&f, "EHLO r");
	assert_non_null(strstr(feed(&f, "EHLO r"), "250-SIZE 4096\r\n"));
	assert_code(feed(&f, "MAIL FROM:<a@b.jp> SIZE=4097"), "552");
	assert_code(feed(&f, "MAIL FROM:<a@b.jp> SIZE=4000 BODY=8BITMIME"), "250");
	assert_code(feed(&f, "RCPT TO:<admin@example.ac.jp>"), "250");
	assert_code(feed(&f, "DATA"), "354");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 8; i++)
		assert_string_equal(feed(&f, big), "");
	assert_code(feed(&f, "."), "552");
	assert_int_equal(f.st.calls, 0);
	/* The session goes on: a message that fits is stored. */
	feed(&f, "MAIL FROM:<a@b.jp>");
	feed(&f, "RCPT TO:<admin@example.ac.jp>");
	feed(&f, "DATA");
	feed(&f, big);
	assert_code(feed(&f, "."), "250");
	assert_int_equal(f.st.calls, 1);
	fx_done(&f);
}

static void
test_long_lines(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 0, 0);
	assert_code(feed_toolong(&f), "500");
	assert_code(feed(&f, "EHLO r"), "250");
	start_txn(&f);
	feed(&f, "fine");
	assert_string_equal(feed_toolong(&f), "");
	feed(&f, "more");
	assert_code(feed(&f, "."), "500");
	assert_int_equal(f.st.calls, 0);
	assert_code(feed(&f, "NOOP"), "250");
	fx_done(&f);
}

static void
test_bare_lf(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 0, 0);
	start_txn(&f);
	feed(&f, "Subject: smuggled");
	buf_reset(&f.out);
	assert_int_equal(smtp_sess_line(&f.s, ".", 1, SMTP_LINE_BARE_LF, &f.out), 0);
	assert_memory_equal(f.out.p, "500 5.5.2 bare LF", 17);
	assert_int_equal(f.st.calls, 0);
	/* A bare LF inside the text, then a proper end: refused all the same. */
	feed(&f, "MAIL FROM:<a@b.jp>");
	feed(&f, "RCPT TO:<admin@example.ac.jp>");
	feed(&f, "DATA");
	buf_reset(&f.out);
	smtp_sess_line(&f.s, "x", 1, SMTP_LINE_BARE_LF, &f.out);
	assert_code(feed(&f, "."), "500");
	assert_int_equal(f.st.calls, 0);
	/* Commands may end in a bare LF. */
	buf_reset(&f.out);
	smtp_sess_line(&f.s, "NOOP", 4, SMTP_LINE_BARE_LF, &f.out);
	assert_memory_equal(f.out.p, "250 ", 4);
	fx_done(&f);
}

static void
test_store_failures(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 0, 0);
	f.st.rc = ERR_FULL;
	start_txn(&f);
	feed(&f, "x");
	assert_code(feed(&f, "."), "452");
	assert_false(f.act & SMTP_ACT_STORED);
	f.st.rc = ERR_STORE;
	feed(&f, "MAIL FROM:<a@b.jp>");
	feed(&f, "RCPT TO:<admin@example.ac.jp>");
	feed(&f, "DATA");
	assert_code(feed(&f, "."), "451");
	assert_int_equal(f.st.calls, 2);
	assert_int_equal(f.s.stored, 0);
	fx_done(&f);
}

static void
test_starttls(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 0, 0);
	feed(&f, "EHLO r");
	assert_code(feed(&f, "STARTTLS"), "502");
	assert_false(f.act & SMTP_ACT_STARTTLS);
	fx_done(&f);

	fx_init(&f, 1, 0);
	feed(&f, "EHLO r");
	feed(&f, "MAIL FROM:<a@b.jp>");
	assert_code(feed(&f, "STARTTLS"), "503");
	feed(&f, "RSET");
	assert_string_equal(feed(&f, "STARTTLS"), "220 2.0.0 ready to start TLS\r\n");
	assert_true(f.act & SMTP_ACT_STARTTLS);
	smtp_sess_tls_started(&f.s);
	/* RFC 3207 §4.2: the client starts over with EHLO. */
	assert_code(feed(&f, "MAIL FROM:<a@b.jp>"), "503");
	assert_null(strstr(feed(&f, "EHLO r"), "STARTTLS"));
	assert_code(feed(&f, "STARTTLS"), "503");
	feed(&f, "MAIL FROM:<a@b.jp>");
	feed(&f, "RCPT TO:<admin@example.ac.jp>");
	feed(&f, "DATA");
	assert_code(feed(&f, "."), "250");
	assert_int_equal(f.st.env.tls, 1);
	assert_string_equal(f.st.env.peer, "192.0.2.25:4711");
	fx_done(&f);
}

static void
test_error_limit(void **state)
{
	struct fx f;
	int i;

	(void)state;
	fx_init(&f, 0, 0);
	for (i = 1; i < CONFIG_MAIL_MAX_ERRORS; i++) {
		assert_code(feed(&f, "WHAT"), "500");
		assert_false(f.act & SMTP_ACT_CLOSE);
	}
	feed(&f, "WHAT");
	assert_non_null(strstr(f.reply, "\r\n421 "));
	assert_true(f.act & SMTP_ACT_CLOSE);
	fx_done(&f);
}

static void
test_cmd_parse(void **state)
{
	struct smtp_cmd c;
	const char *why;

	(void)state;
	assert_int_equal(smtp_cmd_parse(STR_LIT("MAIL FROM:<>"), &c, &why), 0);
	assert_int_equal(c.verb, SMTP_V_MAIL);
	assert_string_equal(c.path, "");
	assert_int_equal(smtp_cmd_parse(STR_LIT("mail from: <a@b.jp> size=123 body=8bitmime"),
	    &c, &why), 0);
	assert_string_equal(c.path, "a@b.jp");
	assert_int_equal(c.size, 123);
	assert_int_equal(c.body_8bit, 1);
	assert_int_equal(smtp_cmd_parse(STR_LIT("RCPT TO:<@relay.jp,@r2.jp:a@b.jp>"), &c, &why), 0);
	assert_string_equal(c.path, "a@b.jp");
	assert_int_equal(smtp_cmd_parse(STR_LIT("RCPT TO:<a@b.jp> NOTIFY=NEVER"), &c, &why), 555);
	assert_int_equal(smtp_cmd_parse(STR_LIT("RCPT TO:a@b.jp"), &c, &why), 501);
	assert_int_equal(smtp_cmd_parse(STR_LIT("RCPT TO:<>"), &c, &why), 501);
	assert_int_equal(smtp_cmd_parse(STR_LIT("RCPT TO:<a b@c.jp>"), &c, &why), 501);
	assert_int_equal(smtp_cmd_parse(STR_LIT("RCPT TO:<ab.jp>"), &c, &why), 501);
	assert_int_equal(smtp_cmd_parse(STR_LIT("RCPT TO:<a@b.jp"), &c, &why), 501);
	assert_int_equal(smtp_cmd_parse(STR_LIT("MAIL FROM:<a@b.jp>x"), &c, &why), 501);
	assert_int_equal(smtp_cmd_parse(STR_LIT("MAIL FROM:<a@b.jp> SIZE=12x"), &c, &why), 501);
	assert_int_equal(smtp_cmd_parse(STR_LIT("MAIL FROM:<a@b.jp> BODY=BINARYMIME"), &c, &why),
	    501);
	assert_int_equal(smtp_cmd_parse(STR_LIT("MAIL TO:<a@b.jp>"), &c, &why), 501);
	assert_int_equal(smtp_cmd_parse("NOOP\0x", 6, &c, &why), 500);
	assert_int_equal(smtp_cmd_parse(STR_LIT("QUIT\r"), &c, &why), 500);
	assert_int_equal(smtp_cmd_parse(STR_LIT("quit"), &c, &why), 0);
	assert_int_equal(c.verb, SMTP_V_QUIT);
	assert_int_equal(smtp_cmd_parse(STR_LIT(""), &c, &why), 500);
	assert_int_equal(smtp_cmd_parse(STR_LIT("DATAX"), &c, &why), 500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting_and_ehlo),
		cmocka_unit_test(test_message_stored_dot_unstuffed),
		cmocka_unit_test(test_recipients),
		cmocka_unit_test(test_sequence_errors),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_bare_lf),
		cmocka_unit_test(test_store_failures),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_error_limit),
		cmocka_unit_test(test_cmd_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
