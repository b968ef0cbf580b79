/* Unit tests for src/json: strict reader, typed getters, bounded writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "json/json.h"
#include "util/err.h"

#define NTOK 64

/* Show a byte string readably in failure messages. */
static const char *
show(const char *s, size_t n)
{
	static char out[512];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < sizeof out; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", c);
	}
	out[o] = '\0';
	return out;
}

static void
expect_parse(const char *js, size_t len, int maxtok, int want,
    const char *file, int line)
{
	struct json_tok tok[NTOK];
	struct json_doc d;
	int rc = json_parse(&d, js, len, tok, maxtok);

	if (rc != want)
		fail_msg("%s:%d: json_parse(\"%s\") = %d (%s), want %d (%s)", file,
		    line, show(js, len), rc, err_str(rc), want, err_str(want));
}
#define ACCEPT(s) expect_parse(s, sizeof(s) - 1, NTOK, 0, __FILE__, __LINE__)
#define REJECT(s) expect_parse(s, sizeof(s) - 1, NTOK, ERR_MALFORMED, __FILE__, __LINE__)

static void
test_parse_accept(void **state)
{
	(void)state;
	ACCEPT("{}");
	ACCEPT("[]");
	ACCEPT(" \t\r\n{ } \n");
	ACCEPT("0");
	ACCEPT("-0");
	ACCEPT("123");
	ACCEPT("-1.5e10");
	ACCEPT("1E+2");
	ACCEPT("1e-2");
	ACCEPT("0.0");
	ACCEPT("\"\"");
	ACCEPT("\"x\"");
	ACCEPT("true");
	ACCEPT("false");
	ACCEPT("null");
	ACCEPT("{\"a\" : [1, 2.5, {\"b\":null}, [], {}], \"c\":\"d\"}");
	ACCEPT("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]");
	ACCEPT("\"\\u00e9\\ud83d\\ude00\\uFFFF\"");
	ACCEPT("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");
	ACCEPT("\"\x7f\"");
	ACCEPT("{\"a\":1,\"b\":{\"a\":2}}");   /* same name, different objects */
	ACCEPT("{\"a\":1,\"A\":2}");
	ACCEPT("{\"\":1}");
	ACCEPT("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
}

static void
test_parse_reject(void **state)
{
	(void)state;
	/* structure */
	REJECT("");
	REJECT("   ");
	REJECT("{\"a\":1,}");
	REJECT("[1,]");
	REJECT("[,1]");
	REJECT("[1,,2]");
	REJECT("{,}");
	REJECT("{\"a\":1 \"b\":2}");
	REJECT("{a:1}");
	REJECT("{1:1}");
	REJECT("{\"a\"}");
	REJECT("{\"a\":}");
	REJECT("{\"a\" 1}");
	REJECT("{\"a\"::1}");
	REJECT("{\"a\",1}");
	REJECT("{{}:1}");
	REJECT("[1 2]");
	REJECT("[true false]");
	REJECT("[");
	REJECT("]");
	REJECT("[1]]");
	REJECT("{\"a\":1");
	REJECT("{\"a\":[1}");
	REJECT("{\"a\":1}{}");
	REJECT("{\"a\":1} x");
	REJECT("1 2");
	REJECT("{\"a\":1}\0");
	REJECT("'a'");
	/* literals */
	REJECT("{\"a\":tru}");
	REJECT("nul");
	REJECT("truex");
	REJECT("True");
	REJECT("NaN");
	REJECT("Infinity");
	REJECT("undefined");
	/* numbers */
	REJECT("01");
	REJECT("-01");
	REJECT("1.");
	REJECT(".5");
	REJECT("-");
	REJECT("1e");
	REJECT("1e+");
	REJECT("+1");
	REJECT("0x10");
	REJECT("1.5.5");
	REJECT("--1");
	REJECT("[1.e5]");
	/* strings */
	REJECT("\"abc");
	REJECT("\"\\ud800\"");
	REJECT("\"\\udc00\"");
	REJECT("\"\\ud800\\u0041\"");
	REJECT("\"\\ud800\\ud800\"");
	REJECT("\"\\ud800x\"");
	REJECT("\"\\u12\"");
	REJECT("\"\\u12g4\"");
	REJECT("\"\\x\"");
	REJECT("\"\\'\"");
	REJECT("\"a\tb\"");
	REJECT("\"a\nb\"");
	REJECT("\"\x01\"");
	REJECT("\"\x1f\"");
	REJECT("\"\xff\"");
	REJECT("\"\x80\"");
	REJECT("\"\xc3\"");
	REJECT("\"\xc0\x80\"");          /* overlong NUL */
	REJECT("\"\xc1\xbf\"");
	REJECT("\"\xe0\x80\x80\"");      /* overlong */
	REJECT("\"\xed\xa0\x80\"");      /* encoded surrogate */
	REJECT("\"\xf0\x80\x80\x80\"");  /* overlong */
	REJECT("\"\xf4\x90\x80\x80\"");  /* above U+10FFFF */
	REJECT("\"\xf5\x80\x80\x80\"");
	REJECT("\"\xe2\x82\"");          /* truncated */
	REJECT("\"\xe2\x28\xa1\"");
	REJECT("{\"a\xff\":1}");
	/* duplicate member names, compared after unescaping */
	REJECT("{\"a\":1,\"a\":2}");
	REJECT("{\"a\":1,\"\\u0061\":2}");
	REJECT("{\"\\u0061\":1,\"a\":2}");
	REJECT("{\"\\u00e9\":1,\"\xc3\xa9\":2}");
	REJECT("{\"a/\":1,\"a\\/\":2}");
	REJECT("{\"x\":{\"b\":1,\"c\":2,\"b\":3}}");
	REJECT("[{\"k\":1},{\"k\":1,\"k\":1}]");
	REJECT("{\"a\":{},\"b\":[1,{\"c\":0}],\"a\":0}");
	/* nesting over JSON_MAX_DEPTH (33 levels) */
	REJECT("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	REJECT("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}");
}

static void
test_parse_toobig(void **state)
{
	static const char big[] = "[1,2,3]";

	(void)state;
	expect_parse(big, sizeof big - 1, 3, ERR_TOOBIG, __FILE__, __LINE__);
	expect_parse(big, sizeof big - 1, 4, 0, __FILE__, __LINE__);
	expect_parse("{\"a\":1}", 7, 2, ERR_TOOBIG, __FILE__, __LINE__);
	expect_parse("{\"a\":1}", 7, 3, 0, __FILE__, __LINE__);
	expect_parse("1", 1, 0, ERR_RANGE, __FILE__, __LINE__);
}

/* Duplicate checks across many members, also after escapes (hash path). */
static void
test_parse_many_members(void **state)
{
	static char js[8192];
	static struct json_tok tok[512];
	struct json_doc d;
	size_t n = 0;
	int rc;

	(void)state;
	n += (size_t)snprintf(js + n, sizeof js - n, "{");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(js + n, sizeof js - n, "%s\"k%d\":%d", i ? "," : "", i, i);
	/* "\u006b7" is "k7": duplicate of an early member */
	strcpy(js + n, ",\"\\u006b7\":0}");
	rc = json_parse(&d, js, strlen(js), tok, 512);
	if (rc != ERR_MALFORMED)
		fail_msg("escaped duplicate among 201 members: %d (%s)", rc, err_str(rc));
	strcpy(js + n, ",\"\\u006b0x\":0}");
	assert_int_equal(json_parse(&d, js, strlen(js), tok, 512), 0);
	assert_int_equal(d.tok[0].size, 201);
	/* every key's next is restored to key + 1 */
	for (int i = 0, k = 1; i < d.tok[0].size; i++, k = d.tok[k + 1].next)
		assert_int_equal(d.tok[k].next, k + 1);
	assert_int_equal(json_obj_get(&d, 0, "k0x"), d.ntok - 1);
	assert_int_equal(json_obj_get(&d, 0, "k199"), d.ntok - 3);
}

/* A 1-byte-longer-than-needed slice must not be read past len. */
static void
test_parse_len_bound(void **state)
{
	struct json_tok tok[NTOK];
	struct json_doc d;

	(void)state;
	assert_int_equal(json_parse(&d, "{\"a\":12}", 7, tok, NTOK), ERR_MALFORMED);
	assert_int_equal(json_parse(&d, "123", 2, tok, NTOK), 0);
	{
		int64_t v;
		assert_int_equal(json_int(&d, 0, &v), 0);
		assert_true(v == 12);
	}
}

static const char doc_text[] =
    "{\"s\":\"a\\\"b\\u00e9\",\"n\":-42,\"big\":9223372036854775808,"
    "\"max\":9223372036854775807,\"min\":-9223372036854775808,"
    "\"under\":-9223372036854775809,\"f\":1.5,\"e\":1e3,\"t\":true,\"fa\":false,"
    "\"z\":null,\"arr\":[1,[2,3],{\"k\":\"v\"}],\"nul\":\"a\\u0000b\","
    "\"esc\":\"\\u0061\",\"empty\":{},\"ea\":[]}";

static void
parse_doc(struct json_doc *d, struct json_tok *tok)
{
	int rc = json_parse(d, doc_text, sizeof doc_text - 1, tok, NTOK);

	if (rc != 0)
		fail_msg("parse of the getter document: %d (%s)", rc, err_str(rc));
}

static void
test_getters_str(void **state)
{
	struct json_tok tok[NTOK];
	struct json_doc d;
	char buf[16];
	size_t n;
	int t;

	(void)state;
	parse_doc(&d, tok);
	assert_int_equal(json_type(&d, 0), JSON_OBJECT);
	t = json_obj_get(&d, 0, "s");
	assert_true(t > 0);
	assert_int_equal(json_type(&d, t), JSON_STRING);
	assert_int_equal(d.tok[t].size, 5);   /* a " b U+00E9(2 bytes) */
	assert_int_equal(json_str(&d, t, buf, sizeof buf, &n), 0);
	assert_string_equal(buf, "a\"b\xc3\xa9");
	assert_int_equal(n, 5);
	/* exact fit needs size + 1 */
	assert_int_equal(json_str(&d, t, buf, 6, &n), 0);
	assert_int_equal(json_str(&d, t, buf, 5, &n), ERR_TOOBIG);
	assert_string_equal(buf, "");
	assert_int_equal(json_str(&d, json_obj_get(&d, 0, "n"), buf, sizeof buf, NULL),
	    ERR_MALFORMED);
	assert_int_equal(json_str(&d, json_obj_get(&d, 0, "nope"), buf, sizeof buf,
	    NULL), ERR_NOTFOUND);
	assert_int_equal(json_str(&d, json_obj_get(&d, 0, "nul"), buf, sizeof buf,
	    NULL), ERR_MALFORMED);
	assert_int_equal(json_obj_get_str(&d, 0, "esc", buf, sizeof buf), 0);
	assert_string_equal(buf, "a");

	/* json_str_eq compares unescaped values and is never negative */
	assert_int_equal(json_str_eq(&d, json_obj_get(&d, 0, "esc"), "a"), 1);
	assert_int_equal(json_str_eq(&d, json_obj_get(&d, 0, "esc"), "b"), 0);
	assert_int_equal(json_str_eq(&d, json_obj_get(&d, 0, "esc"), "aa"), 0);
	assert_int_equal(json_str_eq(&d, json_obj_get(&d, 0, "esc"), ""), 0);
	assert_int_equal(json_str_eq(&d, json_obj_get(&d, 0, "s"), "a\"b\xc3\xa9"), 1);
	assert_int_equal(json_str_eq(&d, json_obj_get(&d, 0, "n"), "-42"), 0);
	assert_int_equal(json_str_eq(&d, ERR_NOTFOUND, "x"), 0);
	assert_int_equal(json_str_eq(&d, 9999, "x"), 0);

	/* obj_get_str: absent vs wrong type vs too small */
	assert_int_equal(json_obj_get_str(&d, 0, "nope", buf, sizeof buf), ERR_NOTFOUND);
	assert_int_equal(json_obj_get_str(&d, 0, "t", buf, sizeof buf), ERR_MALFORMED);
	assert_int_equal(json_obj_get_str(&d, 0, "s", buf, 3), ERR_TOOBIG);
	assert_int_equal(json_obj_get_str(&d, json_obj_get(&d, 0, "arr"), "k", buf,
	    sizeof buf), ERR_MALFORMED);

	/* raw view */
	{
		const char *p;
		int esc;
		assert_int_equal(json_raw(&d, json_obj_get(&d, 0, "esc"), &p, &n, &esc), 0);
		assert_int_equal(n, 6);
		assert_memory_equal(p, "\\u0061", 6);
		assert_int_equal(esc, 1);
		assert_int_equal(json_raw(&d, json_obj_get(&d, 0, "arr"), &p, &n, &esc), 0);
		assert_memory_equal(p, "[1,[2,3],{\"k\":\"v\"}]", n);
		assert_int_equal(esc, 0);
	}
}

static void
test_getters_scalar(void **state)
{
	struct json_tok tok[NTOK];
	struct json_doc d;
	int64_t v = 0;
	int b = -1;

	(void)state;
	parse_doc(&d, tok);
	assert_int_equal(json_obj_get_int(&d, 0, "n", &v), 0);
	assert_true(v == -42);
	assert_int_equal(json_obj_get_int(&d, 0, "max", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(json_obj_get_int(&d, 0, "min", &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(json_obj_get_int(&d, 0, "big", &v), ERR_RANGE);
	assert_int_equal(json_obj_get_int(&d, 0, "under", &v), ERR_RANGE);
	assert_int_equal(json_obj_get_int(&d, 0, "f", &v), ERR_MALFORMED);
	assert_int_equal(json_obj_get_int(&d, 0, "e", &v), ERR_MALFORMED);
	assert_int_equal(json_obj_get_int(&d, 0, "s", &v), ERR_MALFORMED);
	assert_int_equal(json_obj_get_int(&d, 0, "nope", &v), ERR_NOTFOUND);
	assert_int_equal(json_type(&d, json_obj_get(&d, 0, "f")), JSON_NUMBER);

	assert_int_equal(json_obj_get_bool(&d, 0, "t", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(json_obj_get_bool(&d, 0, "fa", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(json_obj_get_bool(&d, 0, "z", &b), ERR_MALFORMED);
	assert_int_equal(json_obj_get_bool(&d, 0, "n", &b), ERR_MALFORMED);
	assert_int_equal(json_type(&d, json_obj_get(&d, 0, "t")), JSON_TRUE);
	assert_int_equal(json_type(&d, json_obj_get(&d, 0, "fa")), JSON_FALSE);

	assert_int_equal(json_is_null(&d, json_obj_get(&d, 0, "z")), 1);
	assert_int_equal(json_is_null(&d, json_obj_get(&d, 0, "t")), 0);
	assert_int_equal(json_is_null(&d, json_obj_get(&d, 0, "nope")), 0);
	assert_int_equal(json_type(&d, json_obj_get(&d, 0, "z")), JSON_NULL);

	/* index checks */
	assert_int_equal(json_type(&d, d.ntok), ERR_RANGE);
	assert_int_equal(json_type(&d, ERR_NOTFOUND), ERR_NOTFOUND);
	assert_int_equal(json_obj_get(&d, json_obj_get(&d, 0, "arr"), "k"), ERR_MALFORMED);
	assert_int_equal(json_obj_get(&d, json_obj_get(&d, 0, "s"), "k"), ERR_MALFORMED);
}

static void
test_getters_iterate(void **state)
{
	struct json_tok tok[NTOK];
	struct json_doc d;
	int arr, c, i, keys = 0;
	static const int want[] = { JSON_NUMBER, JSON_ARRAY, JSON_OBJECT };
	char k[16];

	(void)state;
	parse_doc(&d, tok);
	arr = json_obj_get(&d, 0, "arr");
	assert_int_equal(json_arr_len(&d, arr), 3);
	assert_int_equal(json_arr_len(&d, 0), ERR_MALFORMED);
	assert_int_equal(json_arr_len(&d, json_obj_get(&d, 0, "ea")), 0);
	c = json_child(&d, arr);
	assert_int_equal(c, arr + 1);
	for (i = 0; i < 3; i++, c = json_next(&d, c))
		assert_int_equal(json_type(&d, c), want[i]);
	/* after the last element comes the key "nul" */
	assert_true(json_str_eq(&d, c, "nul"));
	assert_int_equal(json_child(&d, json_obj_get(&d, 0, "empty")), ERR_NOTFOUND);
	assert_int_equal(json_child(&d, json_obj_get(&d, 0, "ea")), ERR_NOTFOUND);
	assert_int_equal(json_child(&d, json_obj_get(&d, 0, "n")), ERR_MALFORMED);
	/* object walk visits each key once, in order */
	for (i = 0, c = json_child(&d, 0); i < d.tok[0].size; i++, c = json_next(&d, c + 1)) {
		assert_int_equal(json_str(&d, c, k, sizeof k, NULL), 0);
		keys++;
	}
	assert_string_equal(k, "ea");
	assert_int_equal(keys, 16);
	assert_int_equal(d.tok[0].next, d.ntok);
}

/* ---- writer ---- */

static void
expect_out(struct json_w *w, const char *want, const char *file, int line)
{
	int rc = json_w_finish(w);

	if (rc < 0)
		fail_msg("%s:%d: json_w_finish = %d (%s), want \"%s\"", file, line, rc,
		    err_str(rc), want);
	if ((size_t)rc != strlen(want) || strcmp(w->buf, want) != 0)
		fail_msg("%s:%d: writer produced\n  %s\nwant\n  %s", file, line,
		    w->buf, want);
}
#define EXPECT_OUT(w, s) expect_out(w, s, __FILE__, __LINE__)

static void
test_writer_basic(void **state)
{
	char buf[512];
	struct json_w w;

	(void)state;
	json_w_init(&w, buf, sizeof buf);
	json_w_obj_begin(&w);
	json_w_key(&w, "a");
	json_w_str(&w, "x\"y\\z\n\r\t\b\f\x01\x1f\x7f</script>&");
	json_w_key(&w, "n");
	json_w_int(&w, INT64_MIN);
	json_w_key(&w, "m");
	json_w_int(&w, 0);
	json_w_key(&w, "p");
	json_w_int(&w, 1234567890123);
	json_w_key(&w, "b");
	json_w_arr_begin(&w);
	json_w_bool(&w, 1);
	json_w_bool(&w, 0);
	json_w_null(&w);
	json_w_obj_begin(&w);
	json_w_obj_end(&w);
	json_w_arr_begin(&w);
	json_w_arr_end(&w);
	json_w_raw(&w, "{\"r\":1}", 7);
	json_w_arr_end(&w);
	json_w_key(&w, "u\xc3\xa9");
	json_w_str(&w, "\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8\xe2\x80\xa9/");
	json_w_key(&w, "b64");
	json_w_b64url(&w, "\xfb\xff", 2);
	json_w_key(&w, "nul");
	json_w_strn(&w, "a\0b", 3);
	json_w_obj_end(&w);
	EXPECT_OUT(&w, "{\"a\":\"x\\\"y\\\\z\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f"
	    "\\u003c/script\\u003e\\u0026\",\"n\":-9223372036854775808,\"m\":0,"
	    "\"p\":1234567890123,\"b\":[true,false,null,{},[],{\"r\":1}],"
	    "\"u\xc3\xa9\":\"\xc3\xa9\xf0\x9f\x98\x80\\u2028\\u2029/\","
	    "\"b64\":\"-_8\",\"nul\":\"a\\u0000b\"}");

	json_w_init(&w, buf, sizeof buf);
	json_w_str(&w, "top");
	EXPECT_OUT(&w, "\"top\"");
	json_w_init(&w, buf, sizeof buf);
	json_w_int(&w, -7);
	EXPECT_OUT(&w, "-7");
}

/* Writer output parses back to the same strings. */
static void
test_writer_roundtrip(void **state)
{
	static const char *const vals[] = {
		"", "plain", "\"quoted\"", "back\\slash", "\x01\x02\x1f ctl\x7f",
		"<b>&amp;</b>", "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", "\xe2\x80\xa8",
		"{\"a\":1,}",
	};
	char buf[1024], out[128];
	struct json_tok tok[NTOK];
	struct json_doc d;
	struct json_w w;
	char key[8];
	int rc, n = (int)(sizeof vals / sizeof vals[0]);

	(void)state;
	json_w_init(&w, buf, sizeof buf);
	json_w_obj_begin(&w);
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof key, "k%d", i);
		json_w_key(&w, key);
		json_w_str(&w, vals[i]);
	}
	json_w_obj_end(&w);
	rc = json_w_finish(&w);
	assert_true(rc > 0);
	assert_null(strchr(buf, '<'));
	assert_null(strchr(buf, '&'));
	rc = json_parse(&d, buf, (size_t)rc, tok, NTOK);
	if (rc != 0)
		fail_msg("writer output does not parse (%s): %s", err_str(rc), buf);
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof key, "k%d", i);
		assert_int_equal(json_obj_get_str(&d, 0, key, out, sizeof out), 0);
		if (strcmp(out, vals[i]) != 0)
			fail_msg("round trip of %s gave %s", show(vals[i], strlen(vals[i])),
			    show(out, strlen(out)));
	}
}

static void
test_writer_utf8(void **state)
{
	static const char *const bad[] = {
		"\xff", "\x80", "a\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xe0\x80\x80",
	};
	char buf[64];
	struct json_w w;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_w_init(&w, buf, sizeof buf);
		json_w_arr_begin(&w);
		json_w_str(&w, bad[i]);
		json_w_arr_end(&w);
		if (json_w_finish(&w) != ERR_MALFORMED)
			fail_msg("invalid UTF-8 %s accepted by the writer",
			    show(bad[i], strlen(bad[i])));
	}
	json_w_init(&w, buf, sizeof buf);
	json_w_obj_begin(&w);
	json_w_key(&w, "\xff");
	json_w_int(&w, 1);
	json_w_obj_end(&w);
	assert_int_equal(json_w_finish(&w), ERR_MALFORMED);
}

static void
test_writer_overflow(void **state)
{
	char buf[32];
	struct json_w w;
	int rc;

	(void)state;
	/* {"k":"0123456789"} is 18 bytes: fits in 19, not in 18 */
	json_w_init(&w, buf, 19);
	json_w_obj_begin(&w);
	json_w_key(&w, "k");
	json_w_str(&w, "0123456789");
	json_w_obj_end(&w);
	assert_int_equal(json_w_finish(&w), 18);
	assert_string_equal(buf, "{\"k\":\"0123456789\"}");

	memset(buf, 'X', sizeof buf);
	json_w_init(&w, buf, 18);
	json_w_obj_begin(&w);
	json_w_key(&w, "k");
	json_w_str(&w, "0123456789");
	json_w_obj_end(&w);
	assert_int_equal(json_w_finish(&w), ERR_TOOBIG);
	assert_true(strlen(buf) < 18);
	for (size_t i = 18; i < sizeof buf; i++)
		assert_int_equal(buf[i], 'X');   /* nothing written past cap */

	/* sticky: later calls change nothing, even ones that would fit */
	json_w_init(&w, buf, 8);
	json_w_arr_begin(&w);
	json_w_str(&w, "0123456789");
	rc = (int)w.len;
	json_w_int(&w, 1);
	json_w_arr_end(&w);
	assert_int_equal((int)w.len, rc);
	assert_int_equal(json_w_finish(&w), ERR_TOOBIG);
	assert_true(strlen(buf) < 8);

	/* escapes grow output: 6 bytes per '<' */
	json_w_init(&w, buf, sizeof buf);
	json_w_str(&w, "<<<<<<");
	assert_int_equal(json_w_finish(&w), ERR_TOOBIG);

	json_w_init(&w, buf, sizeof buf);
	json_w_b64url(&w, "0123456789012345678901234", 25);
	assert_int_equal(json_w_finish(&w), ERR_TOOBIG);
	assert_true(strlen(buf) < sizeof buf);

	json_w_init(&w, buf, 0);
	json_w_null(&w);
	assert_int_equal(json_w_finish(&w), ERR_TOOBIG);
}

static void
test_writer_misuse(void **state)
{
	char buf[256];
	struct json_w w;

	(void)state;
	/* value without key inside an object */
	json_w_init(&w, buf, sizeof buf);
	json_w_obj_begin(&w);
	json_w_int(&w, 1);
	assert_int_equal(json_w_finish(&w), ERR_MALFORMED);
	/* key inside an array */
	json_w_init(&w, buf, sizeof buf);
	json_w_arr_begin(&w);
	json_w_key(&w, "a");
	assert_int_equal(json_w_finish(&w), ERR_MALFORMED);
	/* key at top level */
	json_w_init(&w, buf, sizeof buf);
	json_w_key(&w, "a");
	assert_int_equal(json_w_finish(&w), ERR_MALFORMED);
	/* two keys in a row */
	json_w_init(&w, buf, sizeof buf);
	json_w_obj_begin(&w);
	json_w_key(&w, "a");
	json_w_key(&w, "b");
	assert_int_equal(json_w_finish(&w), ERR_MALFORMED);
	/* end while a value is due */
	json_w_init(&w, buf, sizeof buf);
	json_w_obj_begin(&w);
	json_w_key(&w, "a");
	json_w_obj_end(&w);
	assert_int_equal(json_w_finish(&w), ERR_MALFORMED);
	/* mismatched end */
	json_w_init(&w, buf, sizeof buf);
	json_w_arr_begin(&w);
	json_w_obj_end(&w);
	assert_int_equal(json_w_finish(&w), ERR_MALFORMED);
	/* unbalanced end */
	json_w_init(&w, buf, sizeof buf);
	json_w_arr_end(&w);
	assert_int_equal(json_w_finish(&w), ERR_MALFORMED);
	/* second top-level value */
	json_w_init(&w, buf, sizeof buf);
	json_w_obj_begin(&w);
	json_w_obj_end(&w);
	json_w_obj_begin(&w);
	assert_int_equal(json_w_finish(&w), ERR_MALFORMED);
	/* incomplete */
	json_w_init(&w, buf, sizeof buf);
	json_w_arr_begin(&w);
	assert_int_equal(json_w_finish(&w), ERR_MALFORMED);
	json_w_init(&w, buf, sizeof buf);
	assert_int_equal(json_w_finish(&w), ERR_MALFORMED);
	/* depth: 32 fine, 33 refused */
	json_w_init(&w, buf, sizeof buf);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_w_arr_begin(&w);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_w_arr_end(&w);
	assert_int_equal(json_w_finish(&w), 2 * JSON_MAX_DEPTH);
	json_w_init(&w, buf, sizeof buf);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_w_arr_begin(&w);
	assert_int_equal(json_w_finish(&w), ERR_MALFORMED);
	/* the first error wins */
	json_w_init(&w, buf, 4);
	json_w_str(&w, "toolong");
	json_w_key(&w, "x");
	assert_int_equal(json_w_finish(&w), ERR_TOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accept),
		cmocka_unit_test(test_parse_reject),
		cmocka_unit_test(test_parse_toobig),
		cmocka_unit_test(test_parse_len_bound),
		cmocka_unit_test(test_parse_many_members),
		cmocka_unit_test(test_getters_str),
		cmocka_unit_test(test_getters_scalar),
		cmocka_unit_test(test_getters_iterate),
		cmocka_unit_test(test_writer_basic),
		cmocka_unit_test(test_writer_roundtrip),
		cmocka_unit_test(test_writer_utf8),
		cmocka_unit_test(test_writer_overflow),
		cmocka_unit_test(test_writer_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
