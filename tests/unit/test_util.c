/* Unit tests for src/util: base64/base64url, config parser, arena, buf, time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/arena.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/timefmt.h"

/* RFC 4648 §10 vectors; base64url differs only in alphabet and padding. */
static const struct {
	const char *in, *b64, *b64url;
} b64_vec[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

static void
test_b64_vectors(void **state)
{
	char out[64];
	unsigned char dec[64];
	size_t dl;

	(void)state;
	for (size_t i = 0; i < sizeof(b64_vec) / sizeof(b64_vec[0]); i++) {
		size_t n = strlen(b64_vec[i].in);
		assert_int_equal(b64_encode(out, sizeof(out), b64_vec[i].in, n), (int)strlen(b64_vec[i].b64));
		assert_string_equal(out, b64_vec[i].b64);
		assert_int_equal(b64url_encode(out, sizeof(out), b64_vec[i].in, n),
		    (int)strlen(b64_vec[i].b64url));
		assert_string_equal(out, b64_vec[i].b64url);
		assert_int_equal(b64url_enc_len(n), strlen(b64_vec[i].b64url));
		assert_int_equal(b64url_decode(dec, sizeof(dec), b64_vec[i].b64url,
		    strlen(b64_vec[i].b64url), &dl), 0);
		assert_int_equal(dl, n);
		assert_memory_equal(dec, b64_vec[i].in, n);
	}
}

static void
test_b64url_alphabet(void **state)
{
	const unsigned char bin[] = { 0xfb, 0xff, 0xbf };
	char out[8];
	unsigned char dec[8];
	size_t dl;

	(void)state;
	b64url_encode(out, sizeof(out), bin, sizeof(bin));
	assert_string_equal(out, "-_-_");
	assert_int_equal(b64url_decode(dec, sizeof(dec), "-_-_", 4, &dl), 0);
	assert_memory_equal(dec, bin, 3);
}

static void
test_b64url_strict(void **state)
{
	unsigned char dec[16];
	size_t dl;

	(void)state;
	assert_int_equal(b64url_decode(dec, sizeof(dec), "Zg==", 4, &dl), ERR_MALFORMED);
	assert_int_equal(b64url_decode(dec, sizeof(dec), "Zm+v", 4, &dl), ERR_MALFORMED);
	assert_int_equal(b64url_decode(dec, sizeof(dec), "Zm/v", 4, &dl), ERR_MALFORMED);
	assert_int_equal(b64url_decode(dec, sizeof(dec), "Zm9 v", 5, &dl), ERR_MALFORMED);
	/* "Zh" decodes to 'f' with a stray bit set: non-canonical, refused. */
	assert_int_equal(b64url_decode(dec, sizeof(dec), "Zh", 2, &dl), ERR_MALFORMED);
	/* One character can never be a whole byte. */
	assert_int_equal(b64url_decode(dec, sizeof(dec), "Zm9vY", 5, &dl), ERR_MALFORMED);
	/* Output buffer too small. */
	assert_int_equal(b64url_decode(dec, 2, "Zm9v", 4, &dl), ERR_TOOBIG);
}

static void
test_b64_short_output(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(b64url_encode(out, sizeof(out), "foo", 3), ERR_TOOBIG);
	assert_int_equal(b64_encode(out, sizeof(out), "f", 1), ERR_TOOBIG);
}

static char tmpdir[64];

static const char *
write_conf(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_config_defaults(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.n_listen, 1);
	assert_string_equal(c.listen[0].text, "127.0.0.1:14000");
	assert_string_equal(c.data_dir, "./var");
	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.base_url, "https://127.0.0.1:14000");
}

static void
test_config_file(void **state)
{
	struct config c;
	char err[256];
	const char *p = write_conf("ok.conf",
	    "# comment\n\n  listen = 127.0.0.1:8443, [::1]:8443  \n"
	    "base_url = https://acme.example.ac.jp/\n"
	    "data_dir=/tmp/x\nlog_level = 3\neab_required = no\nresolver = 127.0.0.1:5353\n"
	    "upki_org = Nagoya University\n");

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load(&c, p, err, sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
	assert_int_equal(c.n_listen, 2);
	assert_string_equal(c.listen[1].text, "[::1]:8443");
	assert_string_equal(c.base_url, "https://acme.example.ac.jp");
	assert_string_equal(c.data_dir, "/tmp/x");
	assert_int_equal(c.log_level, 3);
	assert_int_equal(c.eab_required, 0);
	assert_int_equal(c.has_resolver, 1);
	assert_string_equal(c.resolver.text, "127.0.0.1:5353");
	assert_string_equal(c.upki_org, "Nagoya University");
}

static void
expect_conf_error(const char *text, const char *msg)
{
	struct config c;
	char err[512];
	const char *p = write_conf("bad.conf", text);
	char want[512];

	config_defaults(&c);
	assert_int_equal(config_load(&c, p, err, sizeof(err)), ERR_CONFIG);
	snprintf(want, sizeof(want), "%s/bad.conf:%s", tmpdir, msg);
	assert_string_equal(err, want);
}

static void
test_config_errors(void **state)
{
	(void)state;
	expect_conf_error("log_level = 1\nfrobnicate = 2\n", "2: unknown key 'frobnicate'");
	expect_conf_error("log_level = 9\n", "1: log_level: 9 is out of range 0..3");
	expect_conf_error("log_level = 2x\n", "1: log_level: '2x' is not a whole number");
	expect_conf_error("eab_required = maybe\n", "1: eab_required: 'maybe' is not yes or no");
	expect_conf_error("\n\nlisten\n", "3: expected 'key = value'");
	expect_conf_error("log_level = 1\nlog_level = 2\n", "2: 'log_level' set twice");
	expect_conf_error("listen = example.org:443\n",
	    "1: listen: 'example.org:443' is not a numeric address:port (IPv6 as [addr]:port; names are not resolved)");
	expect_conf_error("resolver = ns.example\n",
	    "1: resolver: 'ns.example' is not a numeric address[:port]");
}

static void
test_config_missing_file(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load(&c, "/nonexistent/upki.conf", err, sizeof(err)), -2 /* ENOENT */);
	assert_string_equal(err, "/nonexistent/upki.conf: No such file or directory");
}

static void
test_config_finish_checks(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	strcpy(c.base_url, "http://insecure");
	assert_int_equal(config_finish(&c, err, sizeof(err)), ERR_CONFIG);
	config_defaults(&c);
	strcpy(c.tls_key, "/k.pem");
	assert_int_equal(config_finish(&c, err, sizeof(err)), ERR_CONFIG);
	assert_string_equal(err, "tls_key and tls_chain: set both or neither");
}

static void
test_parse_addr(void **state)
{
	struct config_addr a;

	(void)state;
	assert_int_equal(config_parse_addr(&a, "10.0.0.1", 53), 0);
	assert_string_equal(a.text, "10.0.0.1:53");
	assert_int_equal(config_parse_addr(&a, "[::1]", 53), 0);
	assert_string_equal(a.text, "[::1]:53");
	assert_int_equal(config_parse_addr(&a, "::1", 53), ERR_MALFORMED);
	assert_int_equal(config_parse_addr(&a, "127.0.0.1:0", 0), ERR_MALFORMED);
	assert_int_equal(config_parse_addr(&a, "127.0.0.1:65536", 0), ERR_MALFORMED);
	assert_int_equal(config_parse_addr(&a, "127.0.0.1", 0), ERR_MALFORMED);
	assert_int_equal(config_parse_addr(&a, "[::1]x", 0), ERR_MALFORMED);
}

static void
test_arena_cap(void **state)
{
	struct arena a;
	char *p, *q;

	(void)state;
	arena_init(&a, 8192);
	p = arena_alloc(&a, 100);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % sizeof(max_align_t), 0);
	q = arena_strndup(&a, "hello world", 5);
	assert_string_equal(q, "hello");
	assert_string_equal(arena_printf(&a, "%d-%s", 42, "x"), "42-x");
	assert_null(arena_alloc(&a, 10000));     /* over the cap */
	assert_true(a.total <= 8192);
	arena_free(&a);
	assert_int_equal(a.total, 0);
	assert_non_null(arena_alloc(&a, 10));   /* usable again */
	arena_free(&a);
}

static void
test_buf_max(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, "12345", 5), 0);
	assert_int_equal(buf_printf(&b, "%s", "6789"), 0);
	assert_int_equal(b.len, 9);
	assert_int_equal(buf_append(&b, "ab", 2), ERR_TOOBIG);
	assert_int_equal(b.len, 9);             /* unchanged after a refused append */
	buf_consume(&b, 4);
	assert_memory_equal(b.p, "56789", 5);
	assert_string_equal(buf_cstr(&b), "56789");
	buf_free(&b);
}

static void
test_time(void **state)
{
	char s[TIMEFMT_RFC3339_LEN];
	int64_t t;

	(void)state;
	assert_int_equal(timefmt_rfc3339(s, sizeof(s), 0), 0);
	assert_string_equal(s, "1970-01-01T00:00:00Z");
	assert_int_equal(timefmt_rfc3339(s, sizeof(s), 1795458816), 0);
	assert_string_equal(s, "2026-11-23T18:33:36Z");
	assert_int_equal(timefmt_rfc3339(s, sizeof(s), 951782400), 0);   /* leap day 2000 */
	assert_string_equal(s, "2000-02-29T00:00:00Z");
	assert_int_equal(timefmt_parse_rfc3339("2026-11-23T18:33:36Z", 20, &t), 0);
	assert_int_equal(t, 1795458816);
	assert_int_equal(timefmt_parse_rfc3339("2026-11-24T03:33:36.123+09:00", 29, &t), 0);
	assert_int_equal(t, 1795458816);
	assert_int_equal(timefmt_parse_rfc3339("2026-13-01T00:00:00Z", 20, &t), ERR_MALFORMED);
	assert_int_equal(timefmt_parse_rfc3339("2026-11-23 18:33:36Z", 20, &t), ERR_MALFORMED);
	assert_int_equal(timefmt_parse_rfc3339("2026-11-23T18:33:36", 19, &t), ERR_MALFORMED);
	assert_int_equal(timefmt_days_from_civil(2026, 3, 1) - timefmt_days_from_civil(2026, 2, 28), 1);
}

static void
test_err_str(void **state)
{
	(void)state;
	assert_string_equal(err_str(0), "success");
	assert_string_equal(err_str(ERR_TOOBIG), "over a configured limit");
	assert_string_equal(err_str(ERR_REJECTED), "rejected by upstream");
	assert_string_equal(err_str(-2), "No such file or directory");
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/upki-util.XXXXXX");
	return mkdtemp(tmpdir) == NULL;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) != 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64url_alphabet),
		cmocka_unit_test(test_b64url_strict),
		cmocka_unit_test(test_b64_short_output),
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_missing_file),
		cmocka_unit_test(test_config_finish_checks),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_arena_cap),
		cmocka_unit_test(test_buf_max),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_err_str),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
