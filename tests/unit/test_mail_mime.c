/*
 * test_mail_mime.c: the MIME reader on hand-written shapes: CRLF and LF
 * messages, folded and RFC 2047-encoded headers (ISO-2022-JP B, UTF-8 Q),
 * addresses, quoted-printable, base64, ISO-2022-JP bodies (and Shift_JIS,
 * EUC-JP, UTF-8), multipart/signed splitting with preamble and epilogue, and
 * every syntax error the reader must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/mime.h"
#include "util/err.h"

#define S(x) (x), (sizeof(x) - 1)

static struct mail_entity e;

static const char *
text_of(const char *v)
{
	static char out[MAIL_HDR_TEXT_MAX];
	struct mail_str s = { v, strlen(v) };
	size_t n;

	if (mail_header_text(&s, out, sizeof(out), &n) != 0)
		return NULL;
	assert_int_equal(n, strlen(out));
	return out;
}

static int
text_rc(const char *v)
{
	char out[MAIL_HDR_TEXT_MAX];
	struct mail_str s = { v, strlen(v) };
	size_t n;

	return mail_header_text(&s, out, sizeof(out), &n);
}

static void
test_entity_crlf_lf(void **state)
{
	static const char crlf[] = "From: a@example.jp\r\nSubject: one\r\n two\r\n"
	    "Content-Type: Text/Plain; CharSet=\"ISO-2022-JP\"; format=flowed\r\n"
	    "Content-Transfer-Encoding: Base64\r\n\r\nbody\r\n";
	static const char lf[] = "From: a@example.jp\nSubject: one\n two\n"
	    "Content-Type: Text/Plain; CharSet=\"ISO-2022-JP\"; format=flowed\n"
	    "Content-Transfer-Encoding: Base64\n\nbody\n";
	const char *msgs[] = { crlf, lf };
	struct mail_str v;

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mail_entity_parse(&e, msgs[i], strlen(msgs[i])), 0);
		assert_int_equal(e.n_hdr, 4);
		assert_string_equal(e.type, "text/plain");
		assert_string_equal(e.charset, "iso-2022-jp");
		assert_int_equal(e.cte, MAIL_CTE_BASE64);
		assert_int_equal(e.body.len, i == 0 ? 6 : 5);
		assert_memory_equal(e.body.p, "body", 4);
		assert_int_equal(mail_header_get(&e, "subject", &v), 0);
		{
			char out[64];
			size_t n;

			assert_int_equal(mail_header_text(&v, out, sizeof(out), &n), 0);
			assert_string_equal(out, "one two");
		}
		assert_int_equal(mail_header_get(&e, "X-Absent", &v), ERR_NOTFOUND);
	}
	/* No Content-Type: text/plain, 7bit, us-ascii (RFC 2045 §5.2). */
	assert_int_equal(mail_entity_parse(&e, S("Subject: x\r\n\r\nhi")), 0);
	assert_string_equal(e.type, "text/plain");
	assert_int_equal(e.cte, MAIL_CTE_7BIT);
	assert_string_equal(e.charset, "");
	/* Headers only, to the end. */
	assert_int_equal(mail_entity_parse(&e, S("Subject: x\r\n")), 0);
	assert_int_equal(e.body.len, 0);
	/* Unquoted boundary with tspecials, as mailers send it. */
	assert_int_equal(mail_entity_parse(&e,
	    S("Content-Type: multipart/signed; boundary=----=_Part_1;\r\n\r\n")), 0);
	assert_string_equal(e.boundary, "----=_Part_1");
}

static void
test_entity_errors(void **state)
{
	char big[1200];
	char many[MAIL_HDR_MAX * 8 + 16];
	size_t o = 0;

	(void)state;
	assert_int_equal(mail_entity_parse(&e, S("Subject: a\rb\r\n\r\n")), ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e, S("Subject: a\0b\r\n\r\n")), ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e, S("Subject a\r\n\r\n")), ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e, S(": a\r\n\r\n")), ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e, S(" folded first\r\n\r\n")), ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e, S("Sub ject: a\r\n\r\n")), ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e,
	    S("Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\n")), ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e,
	    S("Content-Type: text/plain; charset=a; charset=b\r\n\r\n")), ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e, S("Content-Type: textplain\r\n\r\n")), ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e, S("Content-Type: text/plain; x\r\n\r\n")),
	    ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e,
	    S("Content-Type: text/plain; charset=\"open\r\n\r\n")), ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e, S("Content-Transfer-Encoding: x-uuencode\r\n\r\n")),
	    ERR_UNSUPPORTED);
	/* A body line of 999 characters (RFC 5322 §2.1.1: 998 at most). */
	memcpy(big, "Subject: x\r\n\r\n", 14);
	memset(big + 14, 'a', 999);
	assert_int_equal(mail_entity_parse(&e, big, 14 + 999), ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e, big, 14 + 998), 0);
	for (int i = 0; i <= MAIL_HDR_MAX; i++) {
		memcpy(many + o, "X-A: 1\r\n", 8);
		o += 8;
	}
	assert_int_equal(mail_entity_parse(&e, many, o), ERR_TOOBIG);
	assert_int_equal(mail_entity_parse(&e, many, o - 8), 0);
	assert_int_equal(mail_entity_parse(&e, big, MAIL_MSG_MAX + 1), ERR_TOOBIG);
}

static void
test_header_text(void **state)
{
	(void)state;
	assert_string_equal(text_of("=?ISO-2022-JP?B?W1VQS0ldIBskQiU1ITwlUD5aTEA9cUgvOVRETENOGyhC?="),
	    "[UPKI] サーバ証明書発行通知");
	/* Split words: the space between them goes; a multibyte run may span them. */
	assert_string_equal(text_of(" =?iso-2022-jp?b?W1VQS0ldIBskQiU1GyhC?=\r\n"
	    " =?ISO-2022-JP?B?GyRCITwlUD5aTEA9cUgvOVRETBsoQg==?=\r\n =?ISO-2022-JP?B?GyRCQ04bKEI=?="),
	    "[UPKI] サーバ証明書発行通知");
	assert_string_equal(text_of("=?UTF-8?Q?caf=C3=A9_au_lait?="), "café au lait");
	assert_string_equal(text_of("Hello =?UTF-8?B?5L2g5aW9?= world"), "Hello 你好 world");
	assert_string_equal(text_of("=?utf-8*ja?q?a?=   =?utf-8?q?b?="), "ab");
	assert_string_equal(text_of("a =?utf-8?q?b?= =?iso-2022-jp?B?GyRCSC85VERMQ04bKEI=?= c"),
	    "a b発行通知 c");
	/* Not encoded words: kept as they are. */
	assert_string_equal(text_of("=?bogus and 1+1=2 ?="), "=?bogus and 1+1=2 ?=");
	assert_string_equal(text_of("  plain\ttext  "), "plain text");
	assert_string_equal(text_of("UTF-8 直接"), "UTF-8 直接");
	assert_int_equal(text_rc("=?koi8-r?B?5L2g?="), ERR_UNSUPPORTED);
	assert_int_equal(text_rc("=?utf-8?B?5L2g5a?="), ERR_MALFORMED);     /* bad base64 */
	assert_int_equal(text_rc("=?utf-8?Q?=C3?="), ERR_MALFORMED);        /* broken UTF-8 */
	assert_int_equal(text_rc("=?iso-2022-jp?B?GyRAX/8bKEI=?="), ERR_MALFORMED); /* 8-bit */
	assert_int_equal(text_rc("\xff\xfe"), ERR_MALFORMED);
}

static void
test_addr(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "ca-support@ml.secom-sts.co.jp", "ca-support@ml.secom-sts.co.jp" },
		{ " \"UPKI, NII\" <CA-Support@ML.Secom-STS.co.jp>", "CA-Support@ml.secom-sts.co.jp" },
		{ "a@b.example (the sender)", "a@b.example" },
		{ "=?ISO-2022-JP?B?GyRCSC85VBsoQg==?= <a+tag@b.example>", "a+tag@b.example" },
		{ "(c) <a@b.example> (d)", "a@b.example" },
	};
	static const char *const bad[] = {
		"a@b.example, c@d.example", "team: a@b.example;", "<a@b.example", "a@", "@b.example",
		"a@@b.example", "a@b..example", "\"a\"@b.example", "<a@b.example> <c@d.example>",
		"", "a@b.example>", "(unclosed a@b.example", "a b@c.example", "a@b_c.example",
	};
	char out[MAIL_ADDR_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct mail_str v = { ok[i].in, strlen(ok[i].in) };

		if (mail_addr_get(&v, out, sizeof(out)) != 0)
			fail_msg("refused: %s", ok[i].in);
		assert_string_equal(out, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mail_str v = { bad[i], strlen(bad[i]) };

		if (mail_addr_get(&v, out, sizeof(out)) != ERR_MALFORMED)
			fail_msg("accepted: '%s'", bad[i]);
	}
}

static void
test_qp_b64(void **state)
{
	unsigned char out[256];
	size_t n;

	(void)state;
	assert_int_equal(mail_qp_decode(S("caf=C3=A9 =\r\nsuite  \r\nend=3d=3D\n"), out, sizeof(out),
	    &n), 0);
	assert_int_equal(n, strlen("café suite\r\nend==\r\n"));
	assert_memory_equal(out, "café suite\r\nend==\r\n", n);
	assert_int_equal(mail_qp_decode(S("soft=  \nbreak"), out, sizeof(out), &n), 0);
	assert_memory_equal(out, "softbreak", n);
	assert_int_equal(mail_qp_decode(S("bad =G1"), out, sizeof(out), &n), ERR_MALFORMED);
	assert_int_equal(mail_qp_decode(S("cut =4"), out, sizeof(out), &n), ERR_MALFORMED);
	assert_int_equal(mail_qp_decode(S("8bit \xe9"), out, sizeof(out), &n), ERR_MALFORMED);
	assert_int_equal(mail_qp_decode(S("abcdef"), out, 3, &n), ERR_TOOBIG);

	assert_int_equal(mail_b64_decode(S("5L2g\r\n5aW9\r\n"), out, sizeof(out), &n), 0);
	assert_memory_equal(out, "你好", n);
	assert_int_equal(mail_b64_decode(S("YQ=="), out, sizeof(out), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(mail_b64_decode(S("YWI="), out, sizeof(out), &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(mail_b64_decode(S("YQ="), out, sizeof(out), &n), ERR_MALFORMED);
	assert_int_equal(mail_b64_decode(S("YR=="), out, sizeof(out), &n), ERR_MALFORMED);
	assert_int_equal(mail_b64_decode(S("YQ==YQ=="), out, sizeof(out), &n), ERR_MALFORMED);
	assert_int_equal(mail_b64_decode(S("Y*=="), out, sizeof(out), &n), ERR_MALFORMED);
	assert_int_equal(mail_b64_decode(S("YWJj"), out, 2, &n), ERR_TOOBIG);
}

static void
test_charsets(void **state)
{
	char out[256];
	size_t n;
	static const struct {
		const char *cs, *in, *out;
	} ok[] = {
		{ "ISO-2022-JP", "\x1b$B%5!<%P>ZL@=q\x1b(B ok", "サーバ証明書 ok" },
		{ "iso-2022-jp", "a\x1b$@H/9T\x1b(Jb", "a発行b" },
		{ "iso-2022-jp", "\x1b(I\x31\x32\x1b(B", "ｱｲ" },
		{ "iso-2022-jp", "\x1b$BH/\n9T\x1b(B", "発\n9T" }, /* a line break ends the run */
		{ "shift_jis", "\x83\x65\x83\x58\x83\x67", "テスト" },
		{ "euc-jp", "\xc8\xaf\xb9\xd4", "発行" },
		{ "utf-8", "直接", "直接" },
		{ "", "plain", "plain" },
	};
	static const struct {
		const char *cs, *in;
		int rc;
	} bad[] = {
		{ "iso-2022-jp", "\x1b$(D\x21\x21", ERR_MALFORMED },   /* JIS X 0212 */
		{ "iso-2022-jp", "\x1b$B\x29\x21\x1b(B", ERR_MALFORMED }, /* row 9: unassigned */
		{ "iso-2022-jp", "\x1b$B\x30", ERR_MALFORMED },         /* half a character */
		{ "iso-2022-jp", "\xa4\xa2", ERR_MALFORMED },           /* 8-bit */
		{ "iso-2022-jp", "\x1b", ERR_MALFORMED },
		{ "iso-2022-jp", "\x0e", ERR_MALFORMED },
		{ "us-ascii", "caf\xc3\xa9", ERR_MALFORMED },
		{ "utf-8", "\xc3", ERR_MALFORMED },
		{ "koi8-r", "abc", ERR_UNSUPPORTED },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int rc = mail_charset_to_utf8(ok[i].cs, (const unsigned char *)ok[i].in,
		    strlen(ok[i].in), out, sizeof(out), &n);

		if (rc != 0)
			fail_msg("%zu %s: %d", i, ok[i].cs, rc);
		assert_string_equal(out, ok[i].out);
		assert_int_equal(n, strlen(ok[i].out));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = mail_charset_to_utf8(bad[i].cs, (const unsigned char *)bad[i].in,
		    strlen(bad[i].in), out, sizeof(out), &n);

		if (rc != bad[i].rc)
			fail_msg("%zu %s: expected %d, got %d", i, bad[i].cs, bad[i].rc, rc);
	}
	assert_int_equal(mail_charset_to_utf8("iso-2022-jp",
	    (const unsigned char *)"\x1b$B%5!<%P\x1b(B", 10, out, 9, &n), ERR_TOOBIG);
}

#define SIGNED_HDR \
	"From: ca-support@ml.secom-sts.co.jp\r\nMIME-Version: 1.0\r\n" \
	"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n" \
	"\tmicalg=sha-256; boundary=\"bnd\"\r\n\r\n"
#define PART1 "Content-Type: text/plain; charset=ISO-2022-JP\r\n\r\n--bnd-not\r\nline\r\n"

static void
test_signed_split(void **state)
{
	static const char msg[] = SIGNED_HDR "preamble\r\n--bnd\r\n" PART1 "\r\n--bnd  \r\n"
	    "Content-Type: application/pkcs7-signature\r\n\r\nAAAA\r\n--bnd--\r\nepilogue\r\n";
	struct mail_signed s;
	char lf[sizeof(msg)];
	size_t o = 0;

	(void)state;
	assert_int_equal(mail_entity_parse(&e, S(msg)), 0);
	assert_string_equal(e.type, "multipart/signed");
	assert_string_equal(e.protocol, "application/pkcs7-signature");
	assert_string_equal(e.micalg, "sha-256");
	assert_int_equal(mail_signed_split(&e, &s), 0);
	/* The content keeps its own last CRLF; the CRLF before "--bnd" is the delimiter's. */
	assert_int_equal(s.content.len, strlen(PART1));
	assert_memory_equal(s.content.p, PART1, s.content.len);
	assert_int_equal(s.sig.len, strlen("Content-Type: application/pkcs7-signature\r\n\r\nAAAA"));
	/* The same with LF line ends. */
	for (size_t i = 0; i < sizeof(msg); i++)
		if (msg[i] != '\r')
			lf[o++] = msg[i];
	assert_int_equal(mail_entity_parse(&e, lf, o - 1), 0);
	assert_int_equal(mail_signed_split(&e, &s), 0);
	assert_int_equal(s.content.len, strlen(PART1) - 4); /* four CRLFs */
	assert_memory_equal(s.content.p + s.content.len - 5, "line\n", 5);
}

static void
test_signed_errors(void **state)
{
	static const char *const bad[] = {
		/* no close delimiter */
		SIGNED_HDR "--bnd\r\na\r\n--bnd\r\nb\r\n",
		/* one part */
		SIGNED_HDR "--bnd\r\na\r\n--bnd--\r\n",
		/* three parts */
		SIGNED_HDR "--bnd\r\na\r\n--bnd\r\nb\r\n--bnd\r\nc\r\n--bnd--\r\n",
		/* close first */
		SIGNED_HDR "--bnd--\r\na\r\n--bnd\r\nb\r\n--bnd--\r\n",
		/* no boundary parameter */
		"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"\r\n\r\n"
		"--bnd\r\na\r\n--bnd\r\nb\r\n--bnd--\r\n",
	};
	struct mail_signed s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mail_entity_parse(&e, bad[i], strlen(bad[i])), 0);
		if (mail_signed_split(&e, &s) != ERR_MALFORMED)
			fail_msg("case %zu accepted", i);
	}
	assert_int_equal(mail_entity_parse(&e, S("Content-Type: multipart/signed; "
	    "protocol=\"application/pgp-signature\"; boundary=b\r\n\r\n--b\r\na\r\n--b\r\nb\r\n"
	    "--b--\r\n")), 0);
	assert_int_equal(mail_signed_split(&e, &s), ERR_UNSUPPORTED);
	assert_int_equal(mail_entity_parse(&e, S("Content-Type: multipart/mixed; boundary=b\r\n\r\n")),
	    0);
	assert_int_equal(mail_signed_split(&e, &s), ERR_UNSUPPORTED);
}

static void
test_multipart_split(void **state)
{
	static const char msg[] = "Content-Type: multipart/mixed; boundary=m\r\n\r\n"
	    "pre\r\n--m\r\nA\r\n--m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nC\r\n--m--\r\nepi";
	struct mail_str parts[MAIL_PARTS_MAX];
	unsigned n;

	(void)state;
	assert_int_equal(mail_entity_parse(&e, S(msg)), 0);
	assert_int_equal(mail_multipart_split(&e, parts, MAIL_PARTS_MAX, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(parts[0].len, 1);
	assert_memory_equal(parts[0].p, "A", 1);
	assert_int_equal(parts[1].len, 0);
	assert_int_equal(parts[2].len, strlen("Content-Type: text/plain\r\n\r\nC"));
	assert_int_equal(mail_multipart_split(&e, parts, 2, &n), ERR_TOOBIG);
	assert_int_equal(mail_entity_parse(&e, S("Content-Type: text/plain\r\n\r\n--m--\r\n")), 0);
	assert_int_equal(mail_multipart_split(&e, parts, MAIL_PARTS_MAX, &n), ERR_UNSUPPORTED);
}

static void
test_text_utf8(void **state)
{
	static const char b64jis[] = "Content-Type: text/plain; charset=iso-2022-jp\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "GyRCOzNFRBsoQiAbJEJCQE86GyhCIBskQk1NGyhCDQobJEIlNyVqJSIla0hWOWYbKEI6IDQy\r\nDQo=\r\n";
	static const char qputf8[] = "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "=E3=82=B7=E3=83=AA=E3=82=A2=E3=83=AB=E7=95=AA=E5=8F=B7: 4=\r\n2\r\n";
	static const char sevenbit[] = "Content-Type: text/plain\r\n\r\nna\xefve\r\n";
	unsigned char scratch[512];
	char out[512];
	size_t n;

	(void)state;
	assert_int_equal(mail_entity_parse(&e, S(b64jis)), 0);
	assert_int_equal(mail_text_utf8(&e, scratch, sizeof(scratch), out, sizeof(out), &n), 0);
	assert_string_equal(out, "山田 太郎 様\nシリアル番号: 42\n");
	assert_int_equal(mail_entity_parse(&e, S(qputf8)), 0);
	assert_int_equal(mail_text_utf8(&e, scratch, sizeof(scratch), out, sizeof(out), &n), 0);
	assert_string_equal(out, "シリアル番号: 42\n");
	assert_int_equal(mail_entity_parse(&e, S(sevenbit)), 0);
	assert_int_equal(mail_text_utf8(&e, scratch, sizeof(scratch), out, sizeof(out), &n),
	    ERR_MALFORMED);
	assert_int_equal(mail_entity_parse(&e, S("Content-Type: image/png\r\n\r\nxx")), 0);
	assert_int_equal(mail_text_utf8(&e, scratch, sizeof(scratch), out, sizeof(out), &n),
	    ERR_UNSUPPORTED);
	assert_int_equal(mail_entity_parse(&e, S(b64jis)), 0);
	assert_int_equal(mail_text_utf8(&e, scratch, 8, out, sizeof(out), &n), ERR_TOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entity_crlf_lf),
		cmocka_unit_test(test_entity_errors),
		cmocka_unit_test(test_header_text),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_qp_b64),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_signed_split),
		cmocka_unit_test(test_signed_errors),
		cmocka_unit_test(test_multipart_split),
		cmocka_unit_test(test_text_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
