/* Upload TSV writer: full rows against files made by data/upki/make-tsv-vectors.py,
 * and every refusal rule with the column it must name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "upki/tsv_write.h"
#include "util/err.h"

#define DATA "tests/unit/data/upki/"

static char csr_pem[4096];
static const char *const extra_names[] = {"example.nagoya-u.ac.jp", "www.example.nagoya-u.ac.jp",
    "web.example.nagoya-u.ac.jp"};

static size_t
read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
		fail();
	}
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

static void
expect_bytes(const char *what, const void *got, size_t gotlen, const void *want, size_t wantlen)
{
	const unsigned char *g = got, *w = want;
	size_t i = 0;

	if (gotlen == wantlen && memcmp(got, want, wantlen) == 0)
		return;
	while (i < gotlen && i < wantlen && g[i] == w[i])
		i++;
	fprintf(stderr, "%s: %zu bytes, want %zu; first difference at byte %zu:\n  got  ", what,
	    gotlen, wantlen, i);
	for (size_t k = i; k < gotlen && k < i + 24; k++)
		fprintf(stderr, "%02x", g[k]);
	fprintf(stderr, "\n  want ");
	for (size_t k = i; k < wantlen && k < i + 24; k++)
		fprintf(stderr, "%02x", w[k]);
	fprintf(stderr, "\n");
	fail();
}

static void
app_new(struct upki_app *a)
{
	memset(a, 0, sizeof(*a));
	a->type = UPKI_APPLY_NEW;
	a->dn.cn = "www.example.nagoya-u.ac.jp";
	a->dn.o = "Nagoya University";
	a->dn.l = "Nagoya";
	a->dn.st = "Aichi";
	a->profile_id = "3";
	a->csr_pem = csr_pem;
	a->admin_name = "山田 太郎";
	a->admin_org = "名古屋大学 情報連携推進本部";
	a->admin_email = "taro.yamada@example.nagoya-u.ac.jp";
	a->software = "nginx 1.24.0";
	a->dnsnames = extra_names;
	a->n_dnsnames = 3;
}

static void
app_revoke(struct upki_app *a)
{
	memset(a, 0, sizeof(*a));
	a->type = UPKI_APPLY_REVOKE;
	a->dn_raw = "CN=www.example.nagoya-u.ac.jp,O=Nagoya University,L=Nagoya,ST=Aichi,C=JP";
	a->serial = "123456789012345678901234567890";
	a->reason = 0;
	a->comment = "サーバ廃止のため";
	a->admin_email = "taro.yamada@example.nagoya-u.ac.jp";
}

static int
setup(void **state)
{
	(void)state;
	read_file(DATA "csr.pem", csr_pem, sizeof(csr_pem));
	return 0;
}

/* Expect a refusal naming column col; the message must name it too. */
static void
expect_refused(const struct upki_app *a, int rc_want, int col, const char *needle)
{
	char buf[8192];
	struct upki_tsv w;
	struct upki_err e;
	char colname[16];
	int rc;

	upki_tsv_init(&w, buf, sizeof(buf));
	memset(buf, 0x55, sizeof(buf));
	rc = upki_tsv_append(&w, a, &e);
	if (rc != rc_want || e.column != col || (needle != NULL && strstr(e.msg, needle) == NULL)) {
		fprintf(stderr, "want rc %d column %d \"%s\", got rc %d column %d: %s\n", rc_want, col,
		    needle != NULL ? needle : "", rc, e.column, e.msg);
		fail();
	}
	snprintf(colname, sizeof(colname), "column %d ", col);
	if (col > 0 && strncmp(e.msg, colname, strlen(colname)) != 0) {
		fprintf(stderr, "message does not start with \"%s\": %s\n", colname, e.msg);
		fail();
	}
	/* Nothing written. */
	assert_int_equal(w.len, 0);
	assert_int_equal(w.rows, 0);
	assert_int_equal((unsigned char)buf[0], 0x55);
}

static void
expect_ok(const struct upki_app *a)
{
	char buf[8192];
	size_t len;
	struct upki_err e;
	int rc = upki_tsv_row(buf, sizeof(buf), &len, a, &e);

	if (rc != 0) {
		fprintf(stderr, "refused (rc %d): %s\n", rc, e.msg);
		fail();
	}
}

static void
test_row_new(void **state)
{
	char want[4096], got[4096];
	size_t wn, len;
	struct upki_app a;
	struct upki_err e;

	(void)state;
	wn = read_file(DATA "new.tsv", want, sizeof(want));
	app_new(&a);
	assert_int_equal(upki_tsv_row(got, sizeof(got), &len, &a, &e), 0);
	expect_bytes("新規 row", got, len, want, wn);
}

static void
test_row_renew(void **state)
{
	char want[4096], got[4096];
	size_t wn, len;
	struct upki_app a;
	struct upki_err e;

	(void)state;
	wn = read_file(DATA "renew.tsv", want, sizeof(want));
	app_new(&a);
	a.type = UPKI_APPLY_RENEW;
	a.serial = "123456789012345678901234567890";
	assert_int_equal(upki_tsv_row(got, sizeof(got), &len, &a, &e), 0);
	expect_bytes("更新 row", got, len, want, wn);
	/* The same from the old certificate's DN text, CN taken from it. */
	a.dn.cn = NULL;
	a.dn_raw = "CN=www.example.nagoya-u.ac.jp,O=Nagoya University,L=Nagoya,ST=Aichi,C=JP";
	assert_int_equal(upki_tsv_row(got, sizeof(got), &len, &a, &e), 0);
	expect_bytes("更新 row from dn_raw", got, len, want, wn);
}

static void
test_row_revoke(void **state)
{
	char want[4096], got[4096];
	size_t wn, len;
	struct upki_app a;
	struct upki_err e;

	(void)state;
	wn = read_file(DATA "revoke.tsv", want, sizeof(want));
	app_revoke(&a);
	/* Fields a revocation does not use are ignored. */
	a.csr_pem = "garbage";
	a.software = "x\ty";
	assert_int_equal(upki_tsv_row(got, sizeof(got), &len, &a, &e), 0);
	expect_bytes("失効 row", got, len, want, wn);
}

static void
test_batch(void **state)
{
	char want[8192], got[8192];
	size_t n1, n2;
	struct upki_tsv w;
	struct upki_app a;
	struct upki_err e;

	(void)state;
	n1 = read_file(DATA "new.tsv", want, sizeof(want));
	n2 = read_file(DATA "revoke.tsv", want + n1, sizeof(want) - n1);
	upki_tsv_init(&w, got, sizeof(got));
	app_new(&a);
	assert_int_equal(upki_tsv_append(&w, &a, &e), 0);
	app_revoke(&a);
	a.reason = 9; /* refused: the buffer keeps the first row only */
	assert_int_equal(upki_tsv_append(&w, &a, &e), ERR_RANGE);
	assert_int_equal(e.column, 5);
	assert_int_equal(w.len, n1);
	a.reason = 0;
	assert_int_equal(upki_tsv_append(&w, &a, &e), 0);
	assert_int_equal(w.rows, 2);
	expect_bytes("batch", got, w.len, want, n1 + n2);
	/* A full buffer refuses the row and keeps what is there. */
	upki_tsv_init(&w, got, n1 + n2 - 1);
	app_new(&a);
	assert_int_equal(upki_tsv_append(&w, &a, &e), 0);
	app_revoke(&a);
	assert_int_equal(upki_tsv_append(&w, &a, &e), ERR_NOMEM);
	assert_int_equal(e.column, 0);
	assert_int_equal(w.len, n1);
	/* Exactly full is fine. */
	upki_tsv_init(&w, got, n1);
	app_new(&a);
	assert_int_equal(upki_tsv_append(&w, &a, &e), 0);
	expect_bytes("exact", got, w.len, want, n1);
}

/* A TAB, CR or LF in any caller-given value is refused, naming the column. */
static void
test_control_chars(void **state)
{
	static const char *const bad[] = {"\t", "\r", "\n"};
	static const char *const what[] = {"TAB", "line break", "line break"};
	char v[128];
	struct upki_app a;

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		const char *names[2] = {NULL, NULL};

#define TRY(field, base, col, kind)                                               \
	do {                                                                      \
		snprintf(v, sizeof(v), "%s%sx", base, bad[k]);                     \
		if (kind == UPKI_APPLY_REVOKE)                                    \
			app_revoke(&a);                                           \
		else                                                              \
			app_new(&a);                                              \
		a.type = kind;                                                    \
		if (kind == UPKI_APPLY_RENEW)                                     \
			a.serial = "12345";                                       \
		a.field = v;                                                      \
		expect_refused(&a, ERR_MALFORMED, col, what[k]);                  \
	} while (0)

		TRY(admin_name, "山田 太郎 (Yamada Taro)", 8, UPKI_APPLY_NEW);
		TRY(admin_org, "名古屋大学 情報連携推進本部", 9, UPKI_APPLY_NEW);
		TRY(admin_email, "taro.yamada@example.ac.jp", 10, UPKI_APPLY_NEW);
		TRY(admin_email, "taro.yamada@example.ac.jp", 10, UPKI_APPLY_REVOKE);
		TRY(software, "Apache httpd 2.4.62", 12, UPKI_APPLY_NEW);
		TRY(serial, "12345678901234567890", 4, UPKI_APPLY_RENEW);
		TRY(serial, "12345678901234567890", 4, UPKI_APPLY_REVOKE);
		TRY(comment, "サーバ廃止のため（機器更新）", 6, UPKI_APPLY_REVOKE);
		TRY(dn_raw, "CN=www.example.ac.jp,O=X,L=Y,ST=Z,C=JP", 1, UPKI_APPLY_REVOKE);
		TRY(dn.cn, "www.example.nagoya-u.ac.jp", 1, UPKI_APPLY_NEW);
		TRY(dn.o, "Nagoya University", 1, UPKI_APPLY_NEW);
		TRY(dn.l, "Nagoya-shi Chikusa", 1, UPKI_APPLY_NEW);
		TRY(dn.st, "Aichi Prefecture", 1, UPKI_APPLY_NEW);
		/* profile ID is two digits at most: the control char must still win */
		app_new(&a);
		a.profile_id = bad[k];
		expect_refused(&a, ERR_MALFORMED, 2, what[k]);
		/* dNSName entries */
		snprintf(v, sizeof(v), "a.example%s.ac.jp", bad[k]);
		names[0] = v;
		app_new(&a);
		a.dnsnames = names;
		a.n_dnsnames = 1;
		expect_refused(&a, ERR_MALFORMED, 13, what[k]);
#undef TRY
	}
	/* In the CSR, line ends are the PEM's own and are joined; a TAB is not. */
	{
		char pem[4096];
		char *p;

		app_new(&a);
		snprintf(pem, sizeof(pem), "%s", csr_pem);
		p = strchr(pem + 40, 'A');
		assert_non_null(p);
		*p = '\t';
		a.csr_pem = pem;
		expect_refused(&a, ERR_MALFORMED, 7, "TAB");
	}
}

static void
fill(char *buf, const char *unit, size_t count)
{
	buf[0] = '\0';
	for (size_t i = 0; i < count; i++)
		strcat(buf, unit);
}

/* Each limit: at the limit accepted, one over refused with the column named. */
static void
test_limits(void **state)
{
	static char v[8192], v2[512];
	struct upki_app a;
	const char *names[8];
	char nb[8][80];

	(void)state;
	/* 利用管理者氏名 / 所属: 64 characters, full-width count 1 each. */
	app_new(&a);
	fill(v, "山", 64);
	a.admin_name = v;
	expect_ok(&a);
	fill(v, "山", 65);
	expect_refused(&a, ERR_TOOBIG, 8, "65 characters");
	app_new(&a);
	fill(v, "a", 64);
	a.admin_org = v;
	expect_ok(&a);
	fill(v, "a", 65);
	expect_refused(&a, ERR_TOOBIG, 9, NULL);
	/* E-mail: 78 */
	app_new(&a);
	fill(v, "a", 78 - 14);
	strcat(v, "@example.ac.jp");
	a.admin_email = v;
	expect_ok(&a);
	fill(v, "a", 79 - 14);
	strcat(v, "@example.ac.jp");
	expect_refused(&a, ERR_TOOBIG, 10, NULL);
	/* サーバソフトウェア: 128 */
	app_new(&a);
	fill(v, "ソ", 128);
	a.software = v;
	expect_ok(&a);
	fill(v, "ソ", 129);
	expect_refused(&a, ERR_TOOBIG, 12, NULL);
	/* 証明書プロファイルID: 2 digits */
	app_new(&a);
	a.profile_id = "16";
	expect_ok(&a);
	a.profile_id = "160";
	expect_refused(&a, ERR_TOOBIG, 2, NULL);
	a.profile_id = "1a";
	expect_refused(&a, ERR_MALFORMED, 2, "digits");
	/* serial: UPKI_SERIAL_DIGITS_MAX */
	app_revoke(&a);
	fill(v, "9", UPKI_SERIAL_DIGITS_MAX);
	a.serial = v;
	expect_ok(&a);
	fill(v, "9", UPKI_SERIAL_DIGITS_MAX + 1);
	expect_refused(&a, ERR_TOOBIG, 4, NULL);
	a.serial = "0x1f";
	expect_refused(&a, ERR_MALFORMED, 4, "digits");
	/* 失効理由コメント: UPKI_REVOKE_COMMENT_MAX characters */
	app_revoke(&a);
	fill(v, "廃", UPKI_REVOKE_COMMENT_MAX);
	a.comment = v;
	expect_ok(&a);
	fill(v, "廃", UPKI_REVOKE_COMMENT_MAX + 1);
	expect_refused(&a, ERR_TOOBIG, 6, NULL);
	/* 主体者DN as given for a revocation: 250 半角 */
	app_revoke(&a);
	strcpy(v, "CN=www.example.ac.jp,O=");
	while (strlen(v) < 250)
		strcat(v, "A");
	a.dn_raw = v;
	expect_ok(&a);
	strcat(v, "A");
	expect_refused(&a, ERR_TOOBIG, 1, "251");
	/* one DN value: 64 */
	app_new(&a);
	fill(v, "A", 64);
	a.dn.o = v;
	expect_ok(&a);
	fill(v, "A", 65);
	expect_refused(&a, ERR_TOOBIG, 1, "O is 65");
	/* サーバFQDN: 64 (a renewal with the DN as given, so column 1 passes) */
	app_new(&a);
	a.type = UPKI_APPLY_RENEW;
	a.serial = "1";
	a.dn_raw = "CN=x.example.ac.jp,O=Nagoya University,L=Nagoya,ST=Aichi,C=JP";
	a.n_dnsnames = 0;
	fill(v, "a", 50);
	strcat(v, ".example.ac.jp");
	a.dn.cn = v;
	expect_ok(&a);
	fill(v, "a", 51);
	strcat(v, ".example.ac.jp");
	expect_refused(&a, ERR_TOOBIG, 11, NULL);
	/* CSR: UPKI_CSR_MAX on one line. A body is a multiple of 4 characters, so
	 * "one over" is the next multiple. */
	{
		size_t armor = strlen("-----BEGIN CERTIFICATE REQUEST-----") +
		    strlen("-----END CERTIFICATE REQUEST-----");
		size_t body = UPKI_CSR_MAX - armor;

		assert_int_equal(body % 4, 0);
		app_new(&a);
		strcpy(v, "-----BEGIN CERTIFICATE REQUEST-----\n");
		for (size_t i = 0; i < body; i++) {
			strcat(v, "Q");
			if (i % 64 == 63)
				strcat(v, "\r\n");
		}
		strcat(v, "\n-----END CERTIFICATE REQUEST-----\n");
		a.csr_pem = v;
		expect_ok(&a);
		strcpy(strstr(v, "\n-----END"), "QQQQ\n-----END CERTIFICATE REQUEST-----\n");
		expect_refused(&a, ERR_TOOBIG, 7, "2052");
	}
	/* dNSName list: 250 半角 in all; at most UPKI_DNSNAMES_MAX names with the CN. */
	app_new(&a);
	a.dn.cn = "www.example.ac.jp"; /* 17 */
	/* 17 + 3 separators + 3 names = 250: names of 77 in all... use 4 names */
	snprintf(nb[0], sizeof(nb[0]), "%s", "a234567890123456789012345678901234567890123456789.example.ac.jp");
	snprintf(nb[1], sizeof(nb[1]), "%s", "b234567890123456789012345678901234567890123456789.example.ac.jp");
	snprintf(nb[2], sizeof(nb[2]), "%s", "c234567890123456789012345678901234567890123456789.example.ac.jp");
	/* 17 + 3*(1+63) = 209; the fourth name makes it 250 exactly: 1 + 40 */
	snprintf(nb[3], sizeof(nb[3]), "%s", "d2345678901234567890123456.example.ac.jp");
	assert_int_equal(strlen(nb[0]), 63);
	assert_int_equal(strlen(nb[3]), 40);
	for (int i = 0; i < 4; i++)
		names[i] = nb[i];
	a.dnsnames = names;
	a.n_dnsnames = 4;
	expect_ok(&a);
	snprintf(nb[3], sizeof(nb[3]), "%s", "dd2345678901234567890123456.example.ac.jp");
	expect_refused(&a, ERR_TOOBIG, 13, "251");
	/* count */
	app_new(&a);
	for (int i = 0; i < 8; i++) {
		snprintf(nb[i], sizeof(nb[i]), "n%d.example.nagoya-u.ac.jp", i);
		names[i] = nb[i];
	}
	a.dnsnames = names;
	a.n_dnsnames = UPKI_DNSNAMES_MAX - 1; /* + the CN */
	expect_ok(&a);
	a.n_dnsnames = UPKI_DNSNAMES_MAX;
	expect_refused(&a, ERR_TOOBIG, 13, "9 names");
	/* the CN listed again does not count twice */
	names[0] = "WWW.example.nagoya-u.ac.jp";
	expect_ok(&a);
	(void)v2;
}

static void
test_charset(void **state)
{
	struct upki_app a;
	const char *names[2];

	(void)state;
	/* 髙 is in cp932 (IBM extension) but not in JIS X 0208. */
	app_new(&a);
	a.admin_name = "髙橋 一郎";
	expect_refused(&a, ERR_UNSUPPORTED, 8, "U+9AD9");
	app_new(&a);
	a.admin_org = "𠮷野研究室";
	expect_refused(&a, ERR_UNSUPPORTED, 9, "character 1 (U+20BB7");
	app_new(&a);
	a.software = "Web ｻｰﾊﾞ";
	expect_refused(&a, ERR_UNSUPPORTED, 12, "character 5 (U+FF7B");
	app_new(&a);
	a.admin_name = "山田\xE5\xA4";
	expect_refused(&a, ERR_MALFORMED, 8, "UTF-8");
	app_new(&a);
	a.admin_name = "山田 \"太郎\"";
	expect_refused(&a, ERR_MALFORMED, 8, "double quote");
	app_new(&a);
	a.admin_email = "taro+acme@example.ac.jp";
	expect_refused(&a, ERR_MALFORMED, 10, "'+'");
	a.admin_email = "taro@@example.ac.jp";
	expect_refused(&a, ERR_MALFORMED, 10, NULL);
	a.admin_email = "taro.example.ac.jp";
	expect_refused(&a, ERR_MALFORMED, 10, NULL);
	a.admin_email = "ｔａｒｏ@example.ac.jp";
	expect_refused(&a, ERR_UNSUPPORTED, 10, "半角");
	/* DN */
	app_new(&a);
	a.dn.o = "名古屋大学";
	expect_refused(&a, ERR_UNSUPPORTED, 1, "O: character 1");
	a.dn.o = "Nagoya University;";
	expect_refused(&a, ERR_MALFORMED, 1, "';'");
	a.dn.o = " Nagoya University";
	expect_refused(&a, ERR_MALFORMED, 1, "space");
	app_new(&a);
	a.dn.c = "US";
	expect_refused(&a, ERR_MALFORMED, 1, "C must be JP");
	app_new(&a);
	a.dn.st = NULL;
	expect_refused(&a, ERR_MALFORMED, 1, "ST is empty");
	/* CN / dNSName host name rules */
	app_new(&a);
	a.dn.cn = "*.example.nagoya-u.ac.jp";
	expect_refused(&a, ERR_MALFORMED, 1, NULL); /* '*' is not in the DN set */
	app_new(&a);
	a.dn.cn = "www_example.nagoya-u.ac.jp";
	expect_refused(&a, ERR_MALFORMED, 1, NULL);
	app_new(&a);
	a.dn.cn = "localhost";
	expect_refused(&a, ERR_MALFORMED, 11, "fully qualified");
	app_new(&a);
	names[0] = "-bad.example.ac.jp";
	a.dnsnames = names;
	a.n_dnsnames = 1;
	expect_refused(&a, ERR_MALFORMED, 13, "'-'");
	/* A wildcard is syntax the dNSName column takes (upki_job_check() decides
	 * whether it may be sent: upki_wildcards); never as the FQDN (column 11). */
	names[0] = "*.example.ac.jp";
	expect_ok(&a);
	names[0] = "*.-bad.example.ac.jp";
	expect_refused(&a, ERR_MALFORMED, 13, "'-'");
	names[0] = "*example.ac.jp";
	expect_refused(&a, ERR_MALFORMED, 13, NULL);
	names[0] = "a..example.ac.jp";
	expect_refused(&a, ERR_MALFORMED, 13, "empty label");
	names[0] = "a.example.ac.jp.";
	expect_refused(&a, ERR_MALFORMED, 13, "dot");
	names[0] = "a.example.ac.jp";
	names[1] = "A.EXAMPLE.ac.jp";
	a.n_dnsnames = 2;
	expect_refused(&a, ERR_MALFORMED, 13, "twice");
}

static void
test_required(void **state)
{
	struct upki_app a;

	(void)state;
	app_new(&a);
	a.csr_pem = NULL;
	expect_refused(&a, ERR_MALFORMED, 7, "required for 新規");
	app_new(&a);
	a.csr_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	expect_refused(&a, ERR_MALFORMED, 7, "not a PEM certificate request");
	app_new(&a);
	a.csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\nAAA\n-----END CERTIFICATE REQUEST-----\n";
	expect_refused(&a, ERR_MALFORMED, 7, "multiple of 4");
	app_new(&a);
	a.csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n";
	expect_refused(&a, ERR_MALFORMED, 7, "END");
	app_new(&a);
	a.admin_email = "";
	expect_refused(&a, ERR_MALFORMED, 10, "required");
	app_new(&a);
	a.software = NULL;
	expect_refused(&a, ERR_MALFORMED, 12, "required");
	app_new(&a);
	a.type = UPKI_APPLY_RENEW;
	expect_refused(&a, ERR_MALFORMED, 4, "required for 更新");
	app_revoke(&a);
	a.comment = NULL;
	expect_refused(&a, ERR_MALFORMED, 6, "失効理由");
	a.reason = 1; /* keyCompromise needs no comment */
	expect_ok(&a);
	a.reason = 2;
	expect_refused(&a, ERR_RANGE, 5, "2 is not");
	app_new(&a);
	a.type = (enum upki_apply_type)7;
	expect_refused(&a, ERR_RANGE, 0, "kind");
}

static void
test_dn_format(void **state)
{
	struct upki_dn dn = {"www.example.ac.jp", "Foo, Inc.", "Nagoya", "Aichi", NULL};
	char out[300];
	struct upki_err e;

	(void)state;
	assert_int_equal(upki_dn_format(out, sizeof(out), &dn, &e), 0);
	assert_string_equal(out, "CN=www.example.ac.jp,O=Foo\\, Inc.,L=Nagoya,ST=Aichi,C=JP");
	dn.c = "JP";
	assert_int_equal(upki_dn_format(out, sizeof(out), &dn, &e), 0);
	assert_int_equal(upki_dn_format(out, 20, &dn, &e), ERR_NOMEM);
	dn.o = "O'Reilly (Tokyo) - Dept/1:=.";
	assert_int_equal(upki_dn_format(out, sizeof(out), &dn, &e), 0);
	assert_string_equal(out,
	    "CN=www.example.ac.jp,O=O'Reilly (Tokyo) - Dept/1:=.,L=Nagoya,ST=Aichi,C=JP");
}

static void
test_serial(void **state)
{
	static const unsigned char two64[] = {0x01, 0, 0, 0, 0, 0, 0, 0, 0};
	static const unsigned char lead0[] = {0x00, 0x8f, 0x01};
	unsigned char be[32];
	char dec[80];
	size_t n;

	(void)state;
	assert_int_equal(upki_serial_to_decimal(dec, sizeof(dec), two64, sizeof(two64)), 0);
	assert_string_equal(dec, "18446744073709551616");
	assert_int_equal(upki_serial_to_decimal(dec, sizeof(dec), lead0, sizeof(lead0)), 0);
	assert_string_equal(dec, "36609");
	assert_int_equal(upki_serial_to_decimal(dec, sizeof(dec), lead0, 1), 0);
	assert_string_equal(dec, "0");
	assert_int_equal(upki_serial_to_decimal(dec, 5, lead0, sizeof(lead0)), ERR_TOOBIG);
	assert_int_equal(upki_serial_from_decimal(be, sizeof(be), &n, "18446744073709551616", 20), 0);
	assert_int_equal(n, 9);
	assert_memory_equal(be, two64, 9);
	assert_int_equal(upki_serial_from_decimal(be, sizeof(be), &n, "0", 1), 0);
	assert_int_equal(n, 1);
	assert_int_equal(be[0], 0);
	assert_int_equal(upki_serial_from_decimal(be, sizeof(be), &n, "12a", 3), ERR_MALFORMED);
	assert_int_equal(upki_serial_from_decimal(be, 2, &n, "36609", 5), 0);
	assert_int_equal(upki_serial_from_decimal(be, 1, &n, "36609", 5), ERR_TOOBIG);
	/* a 20-octet serial, both ways */
	{
		unsigned char s20[20];
		char d[80];

		for (int i = 0; i < 20; i++)
			s20[i] = (unsigned char)(0x7f - i);
		assert_int_equal(upki_serial_to_decimal(d, sizeof(d), s20, 20), 0);
		assert_true(strlen(d) <= UPKI_SERIAL_DIGITS_MAX);
		assert_int_equal(upki_serial_from_decimal(be, sizeof(be), &n, d, strlen(d)), 0);
		assert_int_equal(n, 20);
		assert_memory_equal(be, s20, 20);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_new),
		cmocka_unit_test(test_row_renew),
		cmocka_unit_test(test_row_revoke),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_charset),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_dn_format),
		cmocka_unit_test(test_serial),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
