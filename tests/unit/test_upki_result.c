/* Upload result page: pages in the markup upki_profile.h assumes, and variants. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "upki/result_page.h"
#include "upki/sjis.h"
#include "upki/upki_profile.h"
#include "util/err.h"

static const char head[] =
    "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=EUC-JP\">\n";
static const char thead[] =
    "<table border=\"1\">\n<tr><th>SEQ</th><th>処理結果</th><th>エラー内容</th><th>機関名</th>"
    "<th>所属名</th><th>氏名</th><th>メールアドレス</th></tr>\n";

static int
parse_utf8(struct upki_result *r, const char *page)
{
	static char euc[65536];
	size_t n;

	assert_int_equal(eucjp_from_utf8(euc, sizeof(euc), &n, page, strlen(page), NULL), 0);
	return upki_result_parse(r, euc, n);
}

static void
test_success(void **state)
{
	static char page[8192];
	struct upki_result r;
	char detail[256];

	(void)state;
	snprintf(page, sizeof(page), "%s<title>発行・更新・失効申請結果画面</title></head><body>\n"
	    "<p>ファイルのアップロード処理が完了しました。</p>\n%s"
	    "<tr><td>1</td><td>OK</td><td></td><td>Nagoya University</td><td>情報連携推進本部</td>"
	    "<td>山田 太郎</td><td>taro@example.ac.jp</td></tr>\n</table></body></html>\n", head, thead);
	assert_int_equal(parse_utf8(&r, page), 0);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.page, UPKI_PAGE_DONE);
	assert_int_equal(r.n_errors, 0);
	assert_int_equal(r.n_rows, 1);
	assert_int_equal(r.rows[0].seq, 1);
	assert_int_equal(r.rows[0].ok, 1);
	assert_int_equal(r.n_ng, 0);
	upki_result_detail(&r, detail, sizeof(detail));
	assert_non_null(strstr(detail, "accepted"));
}

static void
test_errors(void **state)
{
	static char page[8192];
	struct upki_result r;
	char detail[512];

	(void)state;
	snprintf(page, sizeof(page), "%s<title>発行・更新・失効申請エラー画面</title></head><body>\n"
	    "<p>発行処理が以下のエラーにより正常終了しませんでした。</p>\n%s"
	    "<tr><td>1</td><td>NG</td><td>212:1,主体者DN,指定したDNはすでに存在しています。<br>\n"
	    "218:1,CSR,この公開鍵はすでに使用されています。</td><td>Nagoya University</td><td>"
	    "情報連携推進本部</td><td>山田 太郎</td><td>taro@example.ac.jp</td></tr>\n"
	    "</table></body></html>\n", head, thead);
	assert_int_equal(parse_utf8(&r, page), ERR_REJECTED);
	assert_int_equal(r.ok, 0);
	assert_int_equal(r.page, UPKI_PAGE_ERROR);
	assert_int_equal(r.n_errors, 2);
	assert_int_equal(r.errors[0].code, 212);
	assert_int_equal(r.errors[0].row, 1);
	assert_string_equal(r.errors[0].field, "主体者DN");
	assert_string_equal(r.errors[0].message, "指定したDNはすでに存在しています。");
	assert_int_equal(r.errors[1].code, 218);
	assert_string_equal(r.errors[1].field, "CSR");
	assert_string_equal(r.errors[1].message, "この公開鍵はすでに使用されています。");
	assert_int_equal(r.n_rows, 1);
	assert_int_equal(r.rows[0].ok, 0);
	assert_int_equal(r.n_ng, 1);
	/* 212 is the gateway's fault, 218 the client's: the client hears badCSR */
	assert_string_equal(upki_result_acme(&r), "badCSR");
	assert_string_equal(upki_err_to_acme(212), "serverInternal");
	assert_string_equal(upki_err_to_acme(207), "rejectedIdentifier");
	assert_string_equal(upki_err_to_acme(UPKI_E_CAA), "caa");
	assert_string_equal(upki_err_to_acme(999), "serverInternal");
	upki_result_detail(&r, detail, sizeof(detail));
	assert_string_equal(detail, "UPKI refused the application: row 1: 212 主体者DN: "
	    "指定したDNはすでに存在しています。; row 1: 218 CSR: この公開鍵はすでに使用されています。");
	/* cut at a character boundary */
	assert_true(upki_result_detail(&r, detail, 48) < 48);
	assert_int_equal(upki_utf8_check(detail, strlen(detail), NULL, NULL), 0);
}

static void
test_not_success(void **state)
{
	struct upki_result r;

	(void)state;
	/* HTTP 200 with some page that does not say the upload was done. */
	assert_int_equal(parse_utf8(&r, "<html><body><h1>200 OK</h1><p>ログイン</p></body></html>"),
	    ERR_PROTOCOL);
	assert_int_equal(r.ok, 0);
	assert_int_equal(r.page, UPKI_PAGE_UNKNOWN);
	assert_string_equal(upki_result_acme(&r), "serverInternal");
	assert_int_equal(upki_result_parse(&r, "", 0), ERR_PROTOCOL);
	assert_int_equal(r.ok, 0);
	/* The sentence only inside a comment, a script or an attribute is not there. */
	assert_int_equal(parse_utf8(&r, "<html><!-- ファイルのアップロード処理が完了しました。 -->"
	    "<script>var s = \"<p>ファイルのアップロード処理が完了しました。</p>\";</script>"
	    "<img alt=\"ファイルのアップロード処理が完了しました。\"></html>"), ERR_PROTOCOL);
	assert_int_equal(r.done_text, 0);
	/* Busy and maintenance. */
	assert_int_equal(parse_utf8(&r, "<html><body><p>只今混み合っております。しばらく時間を"
	    "おいてから再度実行してください。</p></body></html>"), ERR_RATELIMIT);
	assert_int_equal(r.page, UPKI_PAGE_BUSY);
	assert_string_equal(upki_result_acme(&r), "rateLimited");
	assert_int_equal(parse_utf8(&r, "<html><body>" UPKI_TEXT_MAINTENANCE "</body></html>"),
	    ERR_AGAIN);
	assert_int_equal(r.page, UPKI_PAGE_MAINTENANCE);
	/* The success sentence with the failure sentence is a refusal. */
	assert_int_equal(parse_utf8(&r, "<p>ファイルのアップロード処理が完了しました。</p>"
	    "<p>発行処理が以下のエラーにより正常終了しませんでした。</p>"), ERR_REJECTED);
	assert_int_equal(r.ok, 0);
}

static void
test_per_row(void **state)
{
	static char page[8192];
	struct upki_result r;

	(void)state;
	snprintf(page, sizeof(page), "%s</head><body><p>ファイルのアップロード処理が完了しました。</p>%s"
	    "<tr><td>1</td><td>OK</td><td>&nbsp;</td></tr>"
	    "<tr><td> 2 </td><td>ＮＧ</td><td>207:2,主体者DN,CNが機関のドメインではありません。</td></tr>"
	    "<tr><td>3</td><td>ok</td></tr></table></body></html>", head, thead);
	assert_int_equal(parse_utf8(&r, page), ERR_REJECTED);
	assert_int_equal(r.ok, 0);
	assert_int_equal(r.done_text, 1);
	assert_int_equal(r.n_rows, 3);
	assert_int_equal(r.rows[0].seq, 1);
	assert_int_equal(r.rows[0].ok, 1);
	assert_int_equal(r.rows[1].seq, 2);
	assert_int_equal(r.rows[1].ok, 0);
	assert_int_equal(r.rows[2].ok, 1);
	assert_int_equal(r.n_errors, 1);
	assert_int_equal(r.errors[0].row, 2);
	assert_string_equal(upki_result_acme(&r), "rejectedIdentifier");
}

static void
test_tolerance(void **state)
{
	struct upki_result r;

	(void)state;
	/* Inline tags, a line break and entities inside the sentence; upper case tags. */
	assert_int_equal(parse_utf8(&r, "<HTML><BODY><FONT color=red>ファイルのアップロード処理が"
	    "<B>完了</B>\n しました。</FONT></BODY></HTML>"), 0);
	assert_int_equal(r.ok, 1);
	/* Errors as plain lines in one block, no table; a message with a comma and
	 * an entity. */
	assert_int_equal(parse_utf8(&r, "<pre>\n212:1,主体者DN,指定したDNはすでに存在しています。\n"
	    "213:2,CSR,CSRの主体者DN (CN, O) が一致しません &amp; 再申請してください。\n</pre>"),
	    ERR_REJECTED);
	assert_int_equal(r.n_errors, 2);
	assert_string_equal(r.errors[0].message, "指定したDNはすでに存在しています。");
	assert_int_equal(r.errors[1].code, 213);
	assert_int_equal(r.errors[1].row, 2);
	assert_string_equal(r.errors[1].message,
	    "CSRの主体者DN (CN, O) が一致しません & 再申請してください。");
	/* The same error shown twice counts once. */
	assert_int_equal(parse_utf8(&r, "<p>212:1,主体者DN,x</p><td>212:1,主体者DN,x</td>"),
	    ERR_REJECTED);
	assert_int_equal(r.n_errors, 1);
	/* More errors than fit. */
	{
		static char page[16384];
		size_t o = 0;

		for (int i = 1; i <= UPKI_RESULT_MAX_ERRORS + 3; i++)
			o += (size_t)snprintf(page + o, sizeof(page) - o, "%d:%d,CSR,エラー<br>", 211, i);
		assert_int_equal(parse_utf8(&r, page), ERR_REJECTED);
		assert_int_equal(r.n_errors, UPKI_RESULT_MAX_ERRORS);
		assert_int_equal(r.errors_dropped, 3);
	}
	/* Bytes that are not EUC-JP do not stop the parse. */
	{
		static const char raw[] = "\xff\xfe<p>\x8f\xb0\xa1</p>";
		char euc[512];
		size_t n;

		memcpy(euc, raw, sizeof(raw) - 1);
		assert_int_equal(eucjp_from_utf8(euc + sizeof(raw) - 1, sizeof(euc) - sizeof(raw),
		    &n, UPKI_TEXT_UPLOAD_DONE, strlen(UPKI_TEXT_UPLOAD_DONE), NULL), 0);
		assert_int_equal(upki_result_parse(&r, euc, sizeof(raw) - 1 + n), 0);
	}
	/* Long messages and field names are cut at a character boundary. */
	{
		static char page[4096];
		size_t o = (size_t)snprintf(page, sizeof(page), "1:1,");

		for (int i = 0; i < 30; i++)
			o += (size_t)snprintf(page + o, sizeof(page) - o, "項");
		o += (size_t)snprintf(page + o, sizeof(page) - o, ",");
		for (int i = 0; i < 200; i++)
			o += (size_t)snprintf(page + o, sizeof(page) - o, "文");
		assert_int_equal(parse_utf8(&r, page), ERR_PROTOCOL); /* field too long: not an error line */
		o = (size_t)snprintf(page, sizeof(page), "1:1,項目,");
		for (int i = 0; i < 200; i++)
			o += (size_t)snprintf(page + o, sizeof(page) - o, "文");
		assert_int_equal(parse_utf8(&r, page), ERR_REJECTED);
		assert_int_equal(strlen(r.errors[0].message), 255);
		assert_int_equal(upki_utf8_check(r.errors[0].message, 255, NULL, NULL), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_not_success),
		cmocka_unit_test(test_per_row),
		cmocka_unit_test(test_tolerance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
