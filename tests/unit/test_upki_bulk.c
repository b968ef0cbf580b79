/* Bulk certificate TSV parser: a Shift_JIS file built here, fed in every chunking. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "upki/sjis.h"
#include "upki/tsv_bulk.h"
#include "util/err.h"

#define DATA "tests/unit/data/upki/"

static char cert_pem[4096];      /* as openssl wrote it (64 columns, '\n') */
static char cert_one_line[4096]; /* header, base64, footer, no line breaks */
static char cert_quoted[4096];   /* a quoted cell, CRLF inside */

/* What the callback saw, one line per row, to compare parses. */
struct seen {
	char text[65536];
	size_t len;
	int nrows;
	struct {
		int err, err_col;
		unsigned long line;
		enum upki_cert_state state;
		int state_raw, kind;
		unsigned have;
		int64_t applied, nb, na, rv;
		char serial[64], dn[128], name[64], pem[2048], app[32];
	} row[32];
	int stop_at;
};

static int
seen_cb(void *arg, const struct upki_bulk_row *r)
{
	struct seen *s = arg;
	int k;

	k = snprintf(s->text + s->len, sizeof(s->text) - s->len,
	    "%lu|%lu|%d|%d|%s|%s|%s|%s|%d|%d|%d|%s|%s|%s|%s|%lld|%lld|%lld|%lld|%x|%zu|%u|%s|%s\n",
	    r->index, r->line, r->err, r->err_col, r->errmsg, r->app_id, r->serial, r->dn,
	    (int)r->state, r->state_raw, r->kind, r->profile_id, r->dnsnames, r->admin_name,
	    r->admin_email, (long long)r->applied_at, (long long)r->not_before,
	    (long long)r->not_after, (long long)r->revoked_at, r->have, r->cert_pem_len,
	    r->cert_count, r->cert_pem, "");
	assert_true(k > 0 && (size_t)k < sizeof(s->text) - s->len);
	s->len += (size_t)k;
	if (s->nrows < 32) {
		int i = s->nrows;

		s->row[i].err = r->err;
		s->row[i].err_col = r->err_col;
		s->row[i].line = r->line;
		s->row[i].state = r->state;
		s->row[i].state_raw = r->state_raw;
		s->row[i].kind = r->kind;
		s->row[i].have = r->have;
		s->row[i].applied = r->applied_at;
		s->row[i].nb = r->not_before;
		s->row[i].na = r->not_after;
		s->row[i].rv = r->revoked_at;
		snprintf(s->row[i].serial, sizeof(s->row[i].serial), "%s", r->serial);
		snprintf(s->row[i].dn, sizeof(s->row[i].dn), "%s", r->dn);
		snprintf(s->row[i].name, sizeof(s->row[i].name), "%s", r->admin_name);
		snprintf(s->row[i].pem, sizeof(s->row[i].pem), "%s", r->cert_pem);
		snprintf(s->row[i].app, sizeof(s->row[i].app), "%s", r->app_id);
	}
	s->nrows++;
	return s->stop_at == s->nrows ? 42 : 0;
}

/* UTF-8 text -> Shift_JIS bytes appended to buf. */
static void
put_sjis(char *buf, size_t cap, size_t *len, const char *utf8)
{
	size_t n;

	assert_int_equal(sjis_from_utf8(buf + *len, cap - *len, &n, utf8, strlen(utf8), NULL), 0);
	*len += n;
}

static const char header[] =
    "発行・更新申請-申請ID\t発行・更新申請-シリアル番号\t主体者DN\t状態\t処理区分\t"
    "証明書プロファイルID\tdNSName\t利用管理者氏名\t利用管理者E-mail\t申請日時\t"
    "有効期間開始日\t有効期間終了日\t失効日時\t証明書(PEM形式)\t未知の列\r\n";

#define DN1 "CN=www.example.nagoya-u.ac.jp,O=Nagoya University,L=Nagoya,ST=Aichi,C=JP"
#define DN2 "CN=mail.example.nagoya-u.ac.jp,O=Nagoya University,L=Nagoya,ST=Aichi,C=JP"

/* The sample file: rows 3-5 are bad, the others good; mixed line ends. */
static size_t
build_sample(char *buf, size_t cap)
{
	char row[8192];
	size_t len = 0;

	put_sjis(buf, cap, &len, header);
	/* 1: one-line PEM, CRLF */
	snprintf(row, sizeof(row), "000000000001\t1234567890123456789\t%s\t5\t1\t3\t"
	    "www.example.nagoya-u.ac.jp,example.nagoya-u.ac.jp\t山田 太郎\ttaro@example.ac.jp\t"
	    "2026/03/10 09:15:00\t2026/03/10 09:20:00\t2026/09/24 09:19:59\t\t%s\tfoo\r\n",
	    DN1, cert_one_line);
	put_sjis(buf, cap, &len, row);
	/* 2: quoted multi-line PEM, LF, state 4, fewer cells than the header */
	snprintf(row, sizeof(row), "000000000002\t98765432109876543210\t%s\t4\t2\t3\t\t"
	    "鈴木 花子\thanako@example.ac.jp\t2024/2/29 0:00\t\t\t\t%s\n", DN2, cert_quoted);
	put_sjis(buf, cap, &len, row);
	/* 3: bad state */
	snprintf(row, sizeof(row), "000000000003\t5\t%s\tx9\t1\t3\t\t\t\t\t\t\t\t\r\n", DN1);
	put_sjis(buf, cap, &len, row);
	/* 4: bad date */
	snprintf(row, sizeof(row), "000000000004\t6\t%s\t5\t1\t3\t\t\t\t2026/02/30 10:00:00\t\t\t\t\r\n",
	    DN1);
	put_sjis(buf, cap, &len, row);
	/* 5: bad serial */
	snprintf(row, sizeof(row), "000000000005\t12AB\t%s\t5\t1\t3\t\t\t\t\t\t\t\t\r\n", DN1);
	put_sjis(buf, cap, &len, row);
	/* blank lines are skipped */
	put_sjis(buf, cap, &len, "\r\n\n\t\t\r\n");
	/* 6: revoked, state given by its name, quotes inside a quoted name cell,
	 * PEM with literal "\n" separators */
	snprintf(row, sizeof(row), "000000000006\t77\t%s\t失効済み\t失効\t3\t\t\"山田 \"\"太郎\"\"\"\t\t\t\t\t"
	    "2026/04/01 12:00:00\t-----BEGIN CERTIFICATE-----\\n%.64s\\n%s\r\n", DN1,
	    cert_one_line + 27, cert_one_line + 27 + 64);
	put_sjis(buf, cap, &len, row);
	/* 7: unknown state number, last line without a line end */
	snprintf(row, sizeof(row), "000000000007\t78\t%s\t9\t\t\t\t\t\t\t\t\t\t", DN2);
	put_sjis(buf, cap, &len, row);
	return len;
}

static int
setup(void **state)
{
	FILE *f = fopen(DATA "cert.pem", "rb");
	size_t n, o = 0, q = 0;

	(void)state;
	assert_non_null(f);
	n = fread(cert_pem, 1, sizeof(cert_pem) - 1, f);
	fclose(f);
	cert_pem[n] = '\0';
	cert_quoted[q++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (cert_pem[i] != '\n')
			cert_one_line[o++] = cert_pem[i];
		if (cert_pem[i] == '\n' && i + 1 < n) {
			cert_quoted[q++] = '\r';
			cert_quoted[q++] = '\n';
		} else if (cert_pem[i] != '\n') {
			cert_quoted[q++] = cert_pem[i];
		}
	}
	cert_quoted[q++] = '"';
	cert_quoted[q] = '\0';
	cert_one_line[o] = '\0';
	return 0;
}

static int
parse(const char *data, size_t n, size_t chunk, struct seen *s, struct upki_bulk *p)
{
	int rc = 0;

	memset(s, 0, sizeof(*s));
	upki_bulk_init(p, seen_cb, s);
	for (size_t i = 0; i < n && rc == 0; i += chunk)
		rc = upki_bulk_feed(p, data + i, n - i < chunk ? n - i : chunk);
	if (rc == 0)
		rc = upki_bulk_finish(p);
	return rc;
}

static void
test_sample(void **state)
{
	static char buf[65536];
	static struct seen s;
	struct upki_bulk *p = malloc(sizeof(*p));
	size_t n = build_sample(buf, sizeof(buf));

	(void)state;
	assert_non_null(p);
	assert_int_equal(parse(buf, n, n, &s, p), 0);
	assert_int_equal(s.nrows, 7);
	assert_int_equal(p->rows_good, 4);
	assert_int_equal(p->rows_bad, 3);
	/* 1 */
	assert_int_equal(s.row[0].err, 0);
	assert_int_equal(s.row[0].line, 2);
	assert_string_equal(s.row[0].app, "000000000001");
	assert_string_equal(s.row[0].serial, "1234567890123456789");
	assert_string_equal(s.row[0].dn, DN1);
	assert_int_equal(s.row[0].state, UPKI_CERT_DOWNLOADED);
	assert_int_equal(s.row[0].state_raw, 5);
	assert_int_equal(s.row[0].kind, UPKI_APPLY_NEW);
	assert_string_equal(s.row[0].name, "山田 太郎");
	assert_int_equal(s.row[0].applied, 1773101700);
	assert_int_equal(s.row[0].nb, 1773102000);
	assert_int_equal(s.row[0].na, 1790209199);
	assert_int_equal(s.row[0].have, UPKI_BULK_HAVE_APPLIED | UPKI_BULK_HAVE_NOT_BEFORE |
	    UPKI_BULK_HAVE_NOT_AFTER | UPKI_BULK_HAVE_CERT);
	assert_string_equal(s.row[0].pem, cert_pem); /* normalised = openssl's layout */
	/* 2 */
	assert_int_equal(s.row[1].err, 0);
	assert_int_equal(s.row[1].line, 3);
	assert_int_equal(s.row[1].state, UPKI_CERT_MAILED);
	assert_int_equal(s.row[1].kind, UPKI_APPLY_RENEW);
	assert_string_equal(s.row[1].name, "鈴木 花子");
	assert_int_equal(s.row[1].applied, 1709132400);
	assert_int_equal(s.row[1].have, UPKI_BULK_HAVE_APPLIED | UPKI_BULK_HAVE_CERT);
	assert_string_equal(s.row[1].pem, cert_pem);
	/* 3-5: bad, each names its column; the next row is still parsed. The
	 * quoted PEM of row 2 spans lines, so row 3 starts further down. */
	assert_int_equal(s.row[2].err, ERR_MALFORMED);
	assert_int_equal(s.row[2].err_col, UPKI_BCOL_STATE);
	assert_true(s.row[2].line > 3 + 10);
	assert_int_equal(s.row[3].err, ERR_MALFORMED);
	assert_int_equal(s.row[3].err_col, UPKI_BCOL_APPLIED);
	assert_int_equal(s.row[3].line, s.row[2].line + 1);
	assert_int_equal(s.row[4].err, ERR_MALFORMED);
	assert_int_equal(s.row[4].err_col, UPKI_BCOL_SERIAL);
	assert_true(strstr(s.text, "発行・更新申請-シリアル番号: \"12AB\" is not a decimal serial") != NULL);
	/* 6, after three blank lines */
	assert_int_equal(s.row[5].err, 0);
	assert_int_equal(s.row[5].line, s.row[4].line + 4);
	assert_int_equal(s.row[5].state, UPKI_CERT_REVOKED);
	assert_int_equal(s.row[5].state_raw, 7);
	assert_int_equal(s.row[5].kind, UPKI_APPLY_REVOKE);
	assert_string_equal(s.row[5].name, "山田 \"太郎\"");
	assert_int_equal(s.row[5].have, UPKI_BULK_HAVE_REVOKED | UPKI_BULK_HAVE_CERT);
	assert_string_equal(s.row[5].pem, cert_pem);
	/* 7: unknown number = error state, the row itself is fine */
	assert_int_equal(s.row[6].err, 0);
	assert_int_equal(s.row[6].state, UPKI_CERT_ERROR);
	assert_int_equal(s.row[6].state_raw, 9);
	assert_int_equal(s.row[6].have, 0);
	assert_string_equal(s.row[6].dn, DN2);
	free(p);
}

/* Any chunking gives the same rows (multibyte characters and CRLF split). */
static void
test_chunking(void **state)
{
	static const size_t chunks[] = {1, 2, 3, 7, 4096};
	static char buf[65536];
	static struct seen whole, part;
	struct upki_bulk *p = malloc(sizeof(*p));
	size_t n = build_sample(buf, sizeof(buf));

	(void)state;
	assert_non_null(p);
	assert_int_equal(parse(buf, n, n, &whole, p), 0);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		assert_int_equal(parse(buf, n, chunks[c], &part, p), 0);
		if (part.len != whole.len || memcmp(part.text, whole.text, whole.len) != 0) {
			fprintf(stderr, "chunk %zu differs:\n--- whole\n%s--- chunked\n%s", chunks[c],
			    whole.text, part.text);
			fail();
		}
	}
	free(p);
}

static void
test_header(void **state)
{
	static char buf[8192];
	static struct seen s;
	struct upki_bulk *p = malloc(sizeof(*p));
	size_t n = 0;

	(void)state;
	/* No 主体者DN column: refused, and the message names the column. */
	put_sjis(buf, sizeof(buf), &n, "発行・更新申請-申請ID\t発行・更新申請-シリアル番号\t状態\t"
	    "証明書(PEM形式)\r\n1\t2\t5\t\r\n");
	assert_int_equal(parse(buf, n, 3, &s, p), ERR_MALFORMED);
	assert_non_null(strstr(upki_bulk_errmsg(p), "主体者DN"));
	assert_int_equal(s.nrows, 0);
	/* Feeding more returns the same error. */
	assert_int_equal(upki_bulk_feed(p, "x", 1), ERR_MALFORMED);
	assert_int_equal(upki_bulk_finish(p), ERR_MALFORMED);
	/* Only the header, columns in another order, quoted names: no rows, fine. */
	n = 0;
	put_sjis(buf, sizeof(buf), &n, "\"証明書(PEM形式)\"\t状態\t主体者DN\tシリアル番号\t申請ID\n");
	assert_int_equal(parse(buf, n, 5, &s, p), 0);
	assert_int_equal(s.nrows, 0);
	/* Empty input. */
	assert_int_equal(parse(buf, 0, 1, &s, p), ERR_MALFORMED);
	assert_int_equal(parse("\r\n\r\n", 4, 1, &s, p), ERR_MALFORMED);
	/* After finish, feeding is a state error. */
	n = 0;
	put_sjis(buf, sizeof(buf), &n, "証明書(PEM形式)\t状態\t主体者DN\tシリアル番号\t申請ID\n");
	assert_int_equal(parse(buf, n, n, &s, p), 0);
	assert_int_equal(upki_bulk_feed(p, "x", 1), ERR_STATE);
	free(p);
}

static void
test_utf8_bom(void **state)
{
	static char buf[8192];
	static struct seen s;
	struct upki_bulk *p = malloc(sizeof(*p));
	int len;

	(void)state;
	len = snprintf(buf, sizeof(buf), "\xEF\xBB\xBF主体者DN\t状態\t発行・更新申請-シリアル番号\t"
	    "発行・更新申請-申請ID\t証明書(PEM形式)\t利用管理者氏名\r\n%s\t6\t42\t7\t%s\t山田 太郎\r\n",
	    DN1, cert_one_line);
	assert_int_equal(parse(buf, (size_t)len, 2, &s, p), 0);
	assert_int_equal(s.nrows, 1);
	assert_int_equal(s.row[0].err, 0);
	assert_int_equal(s.row[0].state, UPKI_CERT_RENEWED);
	assert_string_equal(s.row[0].name, "山田 太郎");
	assert_string_equal(s.row[0].serial, "42");
	/* Invalid UTF-8 in a UTF-8 file is a bad row. */
	len = snprintf(buf, sizeof(buf), "\xEF\xBB\xBF主体者DN\t状態\t発行・更新申請-シリアル番号\t"
	    "発行・更新申請-申請ID\t証明書(PEM形式)\r\nCN=\xff\t5\t1\t1\t\r\n");
	assert_int_equal(parse(buf, (size_t)len, 1, &s, p), 0);
	assert_int_equal(s.nrows, 1);
	assert_int_equal(s.row[0].err, ERR_MALFORMED);
	assert_int_equal(s.row[0].err_col, UPKI_BCOL_DN);
	free(p);
}

static void
test_not_tsv(void **state)
{
	static char buf[200000];
	static struct seen s;
	struct upki_bulk *p = malloc(sizeof(*p));
	size_t n = 0;
	int rc = 0;

	(void)state;
	/* The busy page, EUC-JP: known before the end of input, at any chunking. */
	{
		static const char page[] = "\r\n<html><head><meta charset=\"EUC-JP\"></head><body>"
		    "<p>只今混み合っております。しばらく時間をおいてから再度実行してください。</p>"
		    "</body></html>\r\n";

		assert_int_equal(eucjp_from_utf8(buf, sizeof(buf), &n, page, strlen(page), NULL), 0);
	}
	for (size_t chunk = 1; chunk <= 64; chunk *= 2) {
		size_t i;

		memset(&s, 0, sizeof(s));
		upki_bulk_init(p, seen_cb, &s);
		for (i = 0, rc = 0; i < n && rc == 0; i += chunk)
			rc = upki_bulk_feed(p, buf + i, n - i < chunk ? n - i : chunk);
		assert_int_equal(rc, ERR_RATELIMIT);
		assert_true(i < n); /* early */
		assert_int_equal(upki_bulk_finish(p), ERR_RATELIMIT);
	}
	/* The busy text in Shift_JIS as plain text, no markup. */
	n = 0;
	put_sjis(buf, sizeof(buf), &n, "只今混み合っております。\r\n");
	assert_int_equal(parse(buf, n, 1, &s, p), ERR_RATELIMIT);
	/* Another HTML page: a protocol error. */
	n = (size_t)snprintf(buf, sizeof(buf), "\xEF\xBB\xBF  <!DOCTYPE html><html><body>Service "
	    "Unavailable</body></html>");
	assert_int_equal(parse(buf, n, 3, &s, p), ERR_PROTOCOL);
	/* ... and a huge one is refused before its end. */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "<html>", 6);
	memset(&s, 0, sizeof(s));
	upki_bulk_init(p, seen_cb, &s);
	for (n = 0, rc = 0; n < sizeof(buf) && rc == 0; n += 1000)
		rc = upki_bulk_feed(p, buf + n, 1000);
	assert_int_equal(rc, ERR_PROTOCOL);
	assert_true(n < sizeof(buf));
	/* A header row holding markup but not starting with it. */
	n = (size_t)snprintf(buf, sizeof(buf), "Error\t<HTML>oops</HTML>\n");
	assert_int_equal(parse(buf, n, 4, &s, p), ERR_PROTOCOL);
	free(p);
}

static size_t
mini_header(char *buf, size_t cap)
{
	size_t n = 0;

	put_sjis(buf, cap, &n, "発行・更新申請-申請ID\t発行・更新申請-シリアル番号\t主体者DN\t状態\t"
	    "証明書(PEM形式)\r\n");
	return n;
}

/* A row over the limit costs that row only; so does a quote never closed. */
static void
test_overlong_and_quotes(void **state)
{
	static char buf[4 * UPKI_BULK_RECORD_MAX];
	static struct seen s;
	struct upki_bulk *p = malloc(sizeof(*p));
	size_t n = mini_header(buf, sizeof(buf));

	(void)state;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "1\t11\t%s\t5\t\r\n", DN1);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "2\t12\t%s\t5\t", DN1);
	memset(buf + n, 'A', UPKI_BULK_RECORD_MAX);
	n += UPKI_BULK_RECORD_MAX;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n3\t13\t%s\t5\t%s\r\n", DN1, cert_one_line);
	/* a quote that never closes, then good rows */
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "4\t14\t%s\t5\t\"-----BEGIN\r\n", DN1);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "5\t15\t%s\t5\t\r\n", DN1);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "6\t16\t%s\t5\t%s\r\n", DN2, cert_quoted);
	for (size_t chunk = 1; chunk <= 8192; chunk *= 8) {
		assert_int_equal(parse(buf, n, chunk, &s, p), 0);
		assert_int_equal(s.nrows, 6);
		assert_int_equal(s.row[0].err, 0);
		assert_int_equal(s.row[1].err, ERR_MALFORMED);
		assert_int_equal(s.row[1].line, 3);
		assert_non_null(strstr(s.text, "row longer than"));
		assert_int_equal(s.row[2].err, 0);
		assert_int_equal(s.row[2].line, 4);
		assert_string_equal(s.row[2].pem, cert_pem);
		assert_int_equal(s.row[3].err, ERR_MALFORMED);
		assert_int_equal(s.row[3].line, 5);
		assert_non_null(strstr(s.text, "never closed"));
		assert_int_equal(s.row[4].err, 0);
		assert_string_equal(s.row[4].serial, "15");
		assert_int_equal(s.row[4].line, 6);
		assert_int_equal(s.row[5].err, 0);
		assert_string_equal(s.row[5].dn, DN2);
		assert_string_equal(s.row[5].pem, cert_pem);
		assert_int_equal(p->rows_good, 4);
		assert_int_equal(p->rows_bad, 2);
	}
	/* A cell that starts with '"' but has a TAB before any closing quote is
	 * plain text. */
	n = mini_header(buf, sizeof(buf));
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "1\t11\t\"%s\t5\t\r\n", DN1);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "2\t12\t%s\t5\t%s\r\n", DN2, cert_quoted);
	assert_int_equal(parse(buf, n, 1, &s, p), 0);
	assert_int_equal(s.nrows, 2);
	assert_int_equal(s.row[0].err, 0);
	assert_string_equal(s.row[0].dn, "\"" DN1);
	assert_int_equal(s.row[1].err, 0);
	assert_string_equal(s.row[1].pem, cert_pem);
	/* An unclosed quote followed by more than a record's worth of lines
	 * without TABs: the record hits the limit, its first line is bad, the
	 * lines after it are parsed again (each a bad row here), row 2 is good. */
	n = mini_header(buf, sizeof(buf));
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "1\t11\t%s\t5\t\"-----BEGIN\r\n", DN1);
	for (int i = 0; i < 300; i++) {
		memset(buf + n, 'A', 64);
		memcpy(buf + n + 64, "\r\n", 2);
		n += 66;
	}
	assert_true(300 * 66 > UPKI_BULK_RECORD_MAX);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "2\t12\t%s\t5\t\r\n", DN2);
	for (size_t chunk = 1; chunk <= 8192; chunk *= 8) {
		char want[256];

		assert_int_equal(parse(buf, n, chunk, &s, p), 0);
		assert_int_equal(p->rows_bad, 301);
		assert_int_equal(p->rows_good, 1);
		assert_int_equal(s.row[0].err, ERR_MALFORMED);
		assert_int_equal(s.row[0].line, 2);
		assert_int_equal(s.row[1].line, 3);
		snprintf(want, sizeof(want), "302|303|0|-1||2|12|%s|", DN2);
		assert_non_null(strstr(s.text, want));
	}
	/* The unclosed quote at the very end of input. */
	n = mini_header(buf, sizeof(buf));
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "1\t11\t%s\t5\t\"-----BEGIN\r\n", DN1);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "2\t12\t%s\t5\t", DN2);
	assert_int_equal(parse(buf, n, 5, &s, p), 0);
	assert_int_equal(s.nrows, 2);
	assert_int_equal(s.row[0].err, ERR_MALFORMED);
	assert_int_equal(s.row[1].err, 0);
	assert_string_equal(s.row[1].dn, DN2);
	free(p);
}

static void
test_bad_pem(void **state)
{
	static const char *const bad[] = {
		"-----BEGIN CERTIFICATE-----MIIBA-----END CERTIFICATE-----", /* not %4 */
		"-----BEGIN CERTIFICATE-----MIIBAAAA",                        /* truncated */
		"-----BEGIN CERTIFICATE-----MI*BAAAA-----END CERTIFICATE-----", /* not base64 */
		"-----BEGIN CERTIFICATE-----MIIBA===-----END CERTIFICATE-----", /* padding */
		"-----BEGIN PRIVATE KEY-----MIIBAAAA-----END PRIVATE KEY-----",
		"MIIBAAAA",
	};
	static char buf[8192];
	static struct seen s;
	struct upki_bulk *p = malloc(sizeof(*p));

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = mini_header(buf, sizeof(buf));

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "1\t11\t%s\t5\t%s\r\n", DN1, bad[i]);
		assert_int_equal(parse(buf, n, n, &s, p), 0);
		assert_int_equal(s.nrows, 1);
		if (s.row[0].err != ERR_MALFORMED || s.row[0].err_col != UPKI_BCOL_CERT) {
			fprintf(stderr, "accepted PEM cell %s\n", bad[i]);
			fail();
		}
	}
	/* Two certificates in one cell are kept, both normalised. */
	{
		static char two[8192];
		size_t n = mini_header(buf, sizeof(buf));

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "1\t11\t%s\t5\t%s %s\r\n", DN1,
		    cert_one_line, cert_one_line);
		assert_int_equal(parse(buf, n, 7, &s, p), 0);
		assert_int_equal(s.row[0].err, 0);
		snprintf(two, sizeof(two), "%s%s", cert_pem, cert_pem);
		assert_true(strstr(s.text, "|2|") != NULL);
	}
	free(p);
}

static void
test_callback_stop(void **state)
{
	static char buf[65536];
	static struct seen s;
	struct upki_bulk *p = malloc(sizeof(*p));
	size_t n = build_sample(buf, sizeof(buf));

	(void)state;
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	upki_bulk_init(p, seen_cb, &s);
	assert_int_equal(upki_bulk_feed(p, buf, n), 42);
	assert_int_equal(s.nrows, 2);
	assert_int_equal(upki_bulk_feed(p, buf, 1), 42);
	assert_int_equal(upki_bulk_finish(p), 42);
	free(p);
}

static void
test_jst(void **state)
{
	static const char *const bad[] = {"2026/02/29 00:00:00", "2026/13/01", "2026/1/1 24:00",
	    "2026/01/01 10:60", "2026/01/01 10:00:60", "26/01/01", "2026/01-01", "2026/01/01x",
	    "2026/01/01 1:2", "", "1899/12/31"};
	char out[32];
	int64_t t;

	(void)state;
	assert_int_equal(upki_jst_parse("1970/01/01 09:00:00", 19, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(upki_jst_parse("2026-03-10 09:15", 16, &t), 0);
	assert_int_equal(t, 1773101700 - 0);
	assert_int_equal(upki_jst_parse("2026/3/10", 9, &t), 0);
	assert_int_equal(t, 1773068400);
	assert_int_equal(upki_jst_format(out, sizeof(out), 1790209199), 0);
	assert_string_equal(out, "2026/09/24 09:19:59");
	assert_int_equal(upki_jst_format(out, 19, 0), ERR_RANGE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (upki_jst_parse(bad[i], strlen(bad[i]), &t) != ERR_MALFORMED) {
			fprintf(stderr, "accepted date \"%s\"\n", bad[i]);
			fail();
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_utf8_bom),
		cmocka_unit_test(test_not_tsv),
		cmocka_unit_test(test_overlong_and_quotes),
		cmocka_unit_test(test_bad_pem),
		cmocka_unit_test(test_callback_stop),
		cmocka_unit_test(test_jst),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
