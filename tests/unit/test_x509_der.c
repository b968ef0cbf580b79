/*
 * test_x509_der.c: the DER reader and writer, PEM, distinguished names and serial
 * formatting, with known-answer vectors (serial decimals from Python's int(),
 * times from calendar.timegm, base64 from Python's base64 module).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/err.h"
#include "x509/der.h"
#include "x509/pem.h"
#include "x509/x509.h"

#define B(...) ((const unsigned char[]){ __VA_ARGS__ }), sizeof((const unsigned char[]){ __VA_ARGS__ })

/* ---- reader: malformed framing ---- */

struct tlv_case {
	const char *what;
	const unsigned char *p;
	size_t n;
	int rc;
};

static void
test_der_framing(void **state)
{
	static const unsigned char long128[3 + 128] = { 0x04, 0x81, 0x80 };
	const struct tlv_case cases[] = {
		{ "empty", NULL, 0, ERR_NOTFOUND },
		{ "truncated header", B(0x30), ERR_MALFORMED },
		{ "length beyond end", B(0x30, 0x03, 0x02, 0x01), ERR_MALFORMED },
		{ "indefinite length", B(0x30, 0x80, 0x00, 0x00), ERR_MALFORMED },
		{ "long form for short length", B(0x04, 0x81, 0x05, 1, 2, 3, 4, 5), ERR_MALFORMED },
		{ "leading zero length octet", B(0x04, 0x82, 0x00, 0x01, 0xaa), ERR_MALFORMED },
		{ "five length octets", B(0x04, 0x85, 0, 0, 0, 0, 1, 0xaa), ERR_MALFORMED },
		{ "truncated long length", B(0x04, 0x82, 0x01), ERR_MALFORMED },
		{ "high tag number", B(0x1f, 0x01, 0x00), ERR_MALFORMED },
		{ "ok short", B(0x04, 0x01, 0xaa), 0 },
		{ "ok empty", B(0x05, 0x00), 0 },
		{ "ok long 128", long128, sizeof long128, 0 },
	};
	struct der d, v;
	unsigned tag;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		print_message("  %s\n", cases[i].what);
		der_init(&d, cases[i].p, cases[i].n);
		assert_int_equal(der_read_tlv(&d, &tag, &v), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(d.len, 0);
			assert_int_equal(v.len, cases[i].n - (size_t)(v.p - cases[i].p));
		} else {
			assert_int_equal(d.len, cases[i].n); /* unchanged on error */
		}
	}
}

static void
test_der_depth_bomb(void **state)
{
	unsigned char bomb[2 * 40];
	struct der d, in;
	unsigned levels = 0;
	int rc;

	(void)state;
	/* 40 nested SEQUENCEs, each wrapping the next: 30 4e 30 4c ... 30 00 */
	for (unsigned i = 0; i < 40; i++) {
		bomb[2 * i] = 0x30;
		bomb[2 * i + 1] = (unsigned char)(2 * (39 - i));
	}
	der_init(&d, bomb, sizeof bomb);
	while ((rc = der_read_enter(&d, DER_SEQUENCE, &in)) == 0) {
		d = in;
		levels++;
	}
	assert_int_equal(rc, ERR_TOOBIG);
	assert_int_equal(levels, DER_MAX_DEPTH);
}

static void
test_der_integers(void **state)
{
	const unsigned char *p;
	size_t n;
	uint32_t v;
	struct der d;

	(void)state;
	der_init(&d, B(0x02, 0x00));
	assert_int_equal(der_read_uint(&d, &p, &n), ERR_MALFORMED);
	der_init(&d, B(0x02, 0x02, 0x00, 0x01));
	assert_int_equal(der_read_uint(&d, &p, &n), ERR_MALFORMED); /* non-minimal */
	der_init(&d, B(0x02, 0x02, 0xff, 0x80));
	assert_int_equal(der_read_uint(&d, &p, &n), ERR_MALFORMED); /* non-minimal negative */
	der_init(&d, B(0x02, 0x01, 0x80));
	assert_int_equal(der_read_uint(&d, &p, &n), ERR_MALFORMED); /* negative */
	der_init(&d, B(0x04, 0x01, 0x01));
	assert_int_equal(der_read_uint(&d, &p, &n), ERR_MALFORMED); /* not an INTEGER */
	der_init(&d, B(0x02, 0x02, 0x00, 0x80));
	assert_int_equal(der_read_uint(&d, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0], 0x80);
	der_init(&d, B(0x02, 0x01, 0x00));
	assert_int_equal(der_read_uint(&d, &p, &n), 0);
	assert_int_equal(n, 0);
	der_init(&d, B(0x02, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff));
	assert_int_equal(der_read_small(&d, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	der_init(&d, B(0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00));
	assert_int_equal(der_read_small(&d, UINT32_MAX, &v), ERR_RANGE);
	der_init(&d, B(0x02, 0x01, 0x03));
	assert_int_equal(der_read_small(&d, 2, &v), ERR_RANGE);
	assert_int_equal(d.len, 3);
}

static void
test_der_primitives(void **state)
{
	const unsigned char *p;
	size_t n;
	unsigned unused, tag;
	int b;
	struct der d, oid;

	(void)state;
	der_init(&d, B(0x06, 0x00));
	assert_int_equal(der_read_oid(&d, &oid), ERR_MALFORMED);
	der_init(&d, B(0x06, 0x02, 0x2a, 0x86));
	assert_int_equal(der_read_oid(&d, &oid), ERR_MALFORMED); /* unfinished sub-identifier */
	der_init(&d, B(0x06, 0x03, 0x2a, 0x80, 0x01));
	assert_int_equal(der_read_oid(&d, &oid), ERR_MALFORMED); /* 0x80 padding */
	der_init(&d, B(0x06, 0x03, 0x55, 0x1d, 0x11));
	assert_int_equal(der_read_oid(&d, &oid), 0);
	assert_true(der_oid_eq(&oid, (const unsigned char *)"\x55\x1d\x11", 3));
	assert_false(der_oid_eq(&oid, (const unsigned char *)"\x55\x1d\x12", 3));

	der_init(&d, B(0x03, 0x00));
	assert_int_equal(der_read_bitstring(&d, &p, &n, &unused), ERR_MALFORMED);
	der_init(&d, B(0x03, 0x01, 0x01));
	assert_int_equal(der_read_bitstring(&d, &p, &n, &unused), ERR_MALFORMED);
	der_init(&d, B(0x03, 0x02, 0x08, 0x00));
	assert_int_equal(der_read_bitstring(&d, &p, &n, &unused), ERR_MALFORMED);
	der_init(&d, B(0x03, 0x02, 0x01, 0x01));
	assert_int_equal(der_read_bitstring(&d, &p, &n, &unused), ERR_MALFORMED); /* unused bit set */
	der_init(&d, B(0x03, 0x02, 0x01, 0x86));
	assert_int_equal(der_read_bitstring(&d, &p, &n, &unused), 0);
	assert_int_equal(n, 1);
	assert_int_equal(unused, 1);
	der_init(&d, B(0x23, 0x03, 0x03, 0x01, 0x00));
	assert_int_equal(der_read_bitstring(&d, &p, &n, &unused), ERR_MALFORMED); /* constructed */

	der_init(&d, B(0x01, 0x01, 0x01));
	assert_int_equal(der_read_bool(&d, &b), ERR_MALFORMED);
	der_init(&d, B(0x01, 0x02, 0xff, 0xff));
	assert_int_equal(der_read_bool(&d, &b), ERR_MALFORMED);
	der_init(&d, B(0x01, 0x01, 0xff));
	assert_int_equal(der_read_bool(&d, &b), 0);
	assert_int_equal(b, 1);
	der_init(&d, B(0x05, 0x01, 0x00));
	assert_int_equal(der_read_null(&d), ERR_MALFORMED);

	/* Strings: UTF-8 must be well-formed; IA5 is 7-bit. */
	der_init(&d, B(0x0c, 0x02, 0xc0, 0x80));
	assert_int_equal(der_read_string(&d, &tag, &p, &n), ERR_MALFORMED); /* overlong */
	der_init(&d, B(0x0c, 0x03, 0xed, 0xa0, 0x80));
	assert_int_equal(der_read_string(&d, &tag, &p, &n), ERR_MALFORMED); /* surrogate */
	der_init(&d, B(0x0c, 0x04, 0xf4, 0x90, 0x80, 0x80));
	assert_int_equal(der_read_string(&d, &tag, &p, &n), ERR_MALFORMED); /* > U+10FFFF */
	der_init(&d, B(0x0c, 0x02, 0xe5, 0x90));
	assert_int_equal(der_read_string(&d, &tag, &p, &n), ERR_MALFORMED); /* truncated */
	der_init(&d, B(0x16, 0x01, 0x80));
	assert_int_equal(der_read_string(&d, &tag, &p, &n), ERR_MALFORMED);
	der_init(&d, B(0x13, 0x01, 0x0a));
	assert_int_equal(der_read_string(&d, &tag, &p, &n), ERR_MALFORMED);
	der_init(&d, B(0x02, 0x01, 0x41));
	assert_int_equal(der_read_string(&d, &tag, &p, &n), ERR_MALFORMED);
	der_init(&d, B(0x0c, 0x04, 0xf0, 0x9f, 0x98, 0x80));
	assert_int_equal(der_read_string(&d, &tag, &p, &n), 0);
	assert_int_equal(tag, DER_UTF8STRING);
	der_init(&d, B(0x1e, 0x02, 0x00, 0x41));
	assert_int_equal(der_read_string(&d, &tag, &p, &n), 0);
	assert_int_equal(tag, DER_BMPSTRING);
}

struct time_case {
	const char *enc;
	int64_t t; /* expected, when ok */
	int ok;
};

static void
test_der_time_read(void **state)
{
	static const struct time_case cases[] = {
		{ "\x17\x0d" "260101000000Z", 1767225600, 1 },
		{ "\x17\x0d" "491231235959Z", 2524607999, 1 },
		{ "\x17\x0d" "500101000000Z", -631152000, 1 },
		{ "\x18\x0f" "20500101000000Z", 2524608000, 1 },
		{ "\x17\x0d" "240229123456Z", 1709210096, 1 },
		{ "\x17\x0d" "230229000000Z", 0, 0 },     /* not a leap year */
		{ "\x17\x0d" "261301000000Z", 0, 0 },     /* month 13 */
		{ "\x17\x0d" "260101240000Z", 0, 0 },     /* hour 24 */
		{ "\x17\x0d" "260101000060Z", 0, 0 },     /* second 60 */
		{ "\x17\x0b" "2601010000Z", 0, 0 },       /* no seconds */
		{ "\x17\x11" "260101000000+0900", 0, 0 }, /* offset */
		{ "\x18\x11" "20500101000000.5Z", 0, 0 }, /* fraction */
		{ "\x17\x0d" "26010100000aZ", 0, 0 },
		{ "\x04\x0d" "260101000000Z", 0, 0 },     /* wrong tag */
	};
	struct der d;
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *e = cases[i].enc;

		print_message("  %s\n", e + 2);
		der_init(&d, e, 2 + (size_t)(unsigned char)e[1]);
		if (cases[i].ok) {
			assert_int_equal(der_read_time(&d, &t), 0);
			assert_int_equal(t, cases[i].t);
		} else {
			assert_int_equal(der_read_time(&d, &t), ERR_MALFORMED);
		}
	}
}

/* ---- writer ---- */

static void
assert_written(struct der_writer *w, const unsigned char *want, size_t n)
{
	assert_int_equal(der_writer_error(w), 0);
	assert_int_equal(der_writer_mark(w), n);
	assert_memory_equal(der_writer_data(w), want, n);
}

static void
test_der_write_basic(void **state)
{
	unsigned char buf[512], big[300];
	struct der_writer w;

	(void)state;
	der_writer_init(&w, buf, sizeof buf);
	der_write_uint(&w, NULL, 0);
	assert_written(&w, B(0x02, 0x01, 0x00));
	der_writer_init(&w, buf, sizeof buf);
	der_write_uint(&w, B(0x00, 0x00, 0x7f));
	assert_written(&w, B(0x02, 0x01, 0x7f));
	der_writer_init(&w, buf, sizeof buf);
	der_write_uint(&w, B(0x80));
	assert_written(&w, B(0x02, 0x02, 0x00, 0x80));
	der_writer_init(&w, buf, sizeof buf);
	der_write_small(&w, 65537);
	assert_written(&w, B(0x02, 0x03, 0x01, 0x00, 0x01));

	memset(big, 0xab, sizeof big);
	der_writer_init(&w, buf, sizeof buf);
	der_write_octets(&w, big, 127);
	assert_int_equal(der_writer_mark(&w), 129);
	assert_memory_equal(der_writer_data(&w), "\x04\x7f", 2);
	der_writer_init(&w, buf, sizeof buf);
	der_write_octets(&w, big, 128);
	assert_memory_equal(der_writer_data(&w), "\x04\x81\x80", 3);
	der_writer_init(&w, buf, sizeof buf);
	der_write_octets(&w, big, 256);
	assert_memory_equal(der_writer_data(&w), "\x04\x82\x01\x00", 4);

	/* NamedBitList: trailing zero bits dropped. */
	der_writer_init(&w, buf, sizeof buf);
	der_write_named_bits(&w, X509_KU_DIGITAL_SIGNATURE);
	assert_written(&w, B(0x03, 0x02, 0x07, 0x80));
	der_writer_init(&w, buf, sizeof buf);
	der_write_named_bits(&w, X509_KU_KEY_CERT_SIGN | X509_KU_CRL_SIGN);
	assert_written(&w, B(0x03, 0x02, 0x01, 0x06));
	der_writer_init(&w, buf, sizeof buf);
	der_write_named_bits(&w, X509_KU_DECIPHER_ONLY);
	assert_written(&w, B(0x03, 0x03, 0x07, 0x00, 0x80));
	der_writer_init(&w, buf, sizeof buf);
	der_write_named_bits(&w, 0);
	assert_written(&w, B(0x03, 0x01, 0x00));

	/* SEQUENCE { BOOLEAN TRUE, NULL, [0] { INTEGER 2 } }, written last-first. */
	der_writer_init(&w, buf, sizeof buf);
	{
		size_t m = der_writer_mark(&w), m2;

		m2 = der_writer_mark(&w);
		der_write_small(&w, 2);
		der_write_wrap(&w, DER_CTX_CONS(0), m2);
		der_write_null(&w);
		der_write_bool(&w, 1);
		der_write_wrap(&w, DER_SEQUENCE, m);
	}
	assert_written(&w, B(0x30, 0x0a, 0x01, 0x01, 0xff, 0x05, 0x00, 0xa0, 0x03, 0x02, 0x01, 0x02));
}

static void
test_der_write_overflow(void **state)
{
	unsigned char buf[4];
	struct der_writer w;

	(void)state;
	der_writer_init(&w, buf, sizeof buf);
	der_write_octets(&w, "ab", 2);
	assert_int_equal(der_writer_error(&w), 0);
	der_write_octets(&w, "cd", 2);
	assert_int_equal(der_writer_error(&w), ERR_TOOBIG);
	der_write_null(&w); /* sticky: no-op */
	assert_int_equal(der_writer_error(&w), ERR_TOOBIG);
	assert_int_equal(der_writer_mark(&w), 4);
	der_writer_init(&w, NULL, 100);
	der_write_null(&w);
	assert_int_equal(der_writer_error(&w), ERR_TOOBIG);
}

static void
test_der_write_time(void **state)
{
	static const struct {
		int64_t t;
		const char *want;
	} cases[] = {
		{ -631152000, "\x17\x0d" "500101000000Z" },
		{ 2524607999, "\x17\x0d" "491231235959Z" },
		{ 2524608000, "\x18\x0f" "20500101000000Z" },
		{ -631152001, "\x18\x0f" "19491231235959Z" },
		{ 1709210096, "\x17\x0d" "240229123456Z" },
	};
	unsigned char buf[32];
	struct der_writer w;
	struct der d;
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		der_writer_init(&w, buf, sizeof buf);
		der_write_time(&w, cases[i].t);
		assert_written(&w, (const unsigned char *)cases[i].want, strlen(cases[i].want));
		der_init(&d, der_writer_data(&w), der_writer_mark(&w));
		assert_int_equal(der_read_time(&d, &t), 0);
		assert_int_equal(t, cases[i].t);
	}
	der_writer_init(&w, buf, sizeof buf);
	der_write_time(&w, INT64_C(253402300800)); /* year 10000 */
	assert_int_equal(der_writer_error(&w), ERR_RANGE);
}

/* ---- PEM ---- */

static void
test_pem_encode(void **state)
{
	static const char want[] = "-----BEGIN TEST-----\n"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\n"
	    "MDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f\n"
	    "YGFiYw==\n"
	    "-----END TEST-----\n";
	unsigned char in[100], back[100];
	char out[512], label[PEM_LABEL_MAX + 1];
	size_t pos = 0, n;

	(void)state;
	for (unsigned i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)i;
	assert_int_equal(pem_enc_len("TEST", sizeof in), strlen(want));
	assert_int_equal(pem_encode(out, sizeof out, "TEST", in, sizeof in), (int)strlen(want));
	assert_string_equal(out, want);
	assert_int_equal(pem_encode(out, strlen(want), "TEST", in, sizeof in), ERR_TOOBIG);
	assert_int_equal(pem_encode(out, sizeof out, "-BAD", in, sizeof in), ERR_RANGE);
	assert_int_equal(pem_decode(want, strlen(want), &pos, label, sizeof label, back, sizeof back,
	    &n), 0);
	assert_int_equal(n, sizeof in);
	assert_memory_equal(back, in, sizeof in);
	assert_string_equal(label, "TEST");
	assert_int_equal(pos, strlen(want));
	assert_int_equal(pem_decode(want, strlen(want), &pos, label, sizeof label, back, sizeof back,
	    &n), ERR_NOTFOUND);
	pos = 0;
	assert_int_equal(pem_decode(want, strlen(want), &pos, label, sizeof label, back, 99, &n),
	    ERR_TOOBIG);
	assert_int_equal(pos, 0);
}

/* openssl's PEM output re-encodes byte for byte; a chain decodes block by block. */
static void
test_pem_files(void **state)
{
	static const char *const files[] = { "csr_rsa2048_cn.pem", "csr_p256_lego.pem",
		"cert_leaf_p256.pem", "cert_ca_rsa.pem" };
	char text[8192], out[8192], label[PEM_LABEL_MAX + 1];
	unsigned char der[8192];
	size_t n, pos, dn;
	unsigned blocks = 0;
	FILE *f;
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[128];

		snprintf(path, sizeof path, "tests/unit/data/x509/%s", files[i]);
		assert_non_null(f = fopen(path, "rb"));
		n = fread(text, 1, sizeof text, f);
		fclose(f);
		pos = 0;
		assert_int_equal(pem_decode(text, n, &pos, label, sizeof label, der, sizeof der, &dn), 0);
		assert_int_equal(pem_encode(out, sizeof out, label, der, dn), (int)n);
		assert_memory_equal(out, text, n);
	}
	assert_non_null(f = fopen("tests/unit/data/x509/cert_chain.pem", "rb"));
	n = fread(text, 1, sizeof text, f);
	fclose(f);
	pos = 0;
	while ((rc = pem_decode(text, n, &pos, label, sizeof label, der, sizeof der, &dn)) == 0) {
		assert_string_equal(label, "CERTIFICATE");
		blocks++;
	}
	assert_int_equal(rc, ERR_NOTFOUND);
	assert_int_equal(blocks, 2);
}

static void
test_pem_malformed(void **state)
{
	static const struct {
		const char *what, *text;
		int rc;
	} cases[] = {
		{ "no BEGIN", "hello\nQUJD\n", ERR_NOTFOUND },
		{ "no END", "-----BEGIN X-----\nQUJD\n", ERR_MALFORMED },
		{ "label mismatch", "-----BEGIN X-----\nQUJD\n-----END Y-----\n", ERR_MALFORMED },
		{ "bad char", "-----BEGIN X-----\nQU*D\n-----END X-----\n", ERR_MALFORMED },
		{ "header", "-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nQUJD\n-----END X-----\n",
		    ERR_MALFORMED },
		{ "data after padding", "-----BEGIN X-----\nQQ==QUJD\n-----END X-----\n", ERR_MALFORMED },
		{ "too much padding", "-----BEGIN X-----\nQ===\n-----END X-----\n", ERR_MALFORMED },
		{ "non-zero spare bits", "-----BEGIN X-----\nQR==\n-----END X-----\n", ERR_MALFORMED },
		{ "incomplete quantum", "-----BEGIN X-----\nQUJ\n-----END X-----\n", ERR_MALFORMED },
		{ "empty body", "-----BEGIN X-----\n-----END X-----\n", ERR_MALFORMED },
		{ "BEGIN not at line start", "x -----BEGIN X-----\nQUJD\n-----END X-----\n",
		    ERR_NOTFOUND },
		{ "junk after BEGIN", "-----BEGIN X----- y\nQUJD\n-----END X-----\n", ERR_MALFORMED },
		{ "ok with junk before, CRLF and spaces",
		    "subject=CN = x\r\n-----BEGIN X-----\r\nQU JD\r\nQQ==\r\n-----END X-----\r\n", 0 },
	};
	unsigned char out[64];
	char label[PEM_LABEL_MAX + 1];
	size_t pos, n;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		print_message("  %s\n", cases[i].what);
		pos = 0;
		assert_int_equal(pem_decode(cases[i].text, strlen(cases[i].text), &pos, label,
		    sizeof label, out, sizeof out, &n), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(n, 4);
			assert_memory_equal(out, "ABCA", 4);
			assert_int_equal(pos, strlen(cases[i].text));
		}
	}
}

/* ---- names ---- */

static void
test_name_write_exact(void **state)
{
	static const unsigned char want[] = { 0x30, 0x19, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55,
		0x04, 0x06, 0x13, 0x02, 'J', 'P', 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03,
		0x13, 0x01, 'a' };
	unsigned char buf[512];
	struct der_writer w;
	struct x509_name n;

	(void)state;
	memset(&n, 0, sizeof n);
	n.attr[X509_NAME_CN] = (struct x509_str){ "a", 1 };
	n.attr[X509_NAME_C] = (struct x509_str){ "JP", 2 };
	der_writer_init(&w, buf, sizeof buf);
	x509_name_write(&w, &n);
	assert_written(&w, want, sizeof want);
}

static void
test_name_write_roundtrip(void **state)
{
	static const char o_ja[] = "\xe5\x90\x8d\xe5\x8f\xa4\xe5\xb1\x8b\xe5\xa4\xa7\xe5\xad\xa6";
	unsigned char buf[1024];
	struct der_writer w;
	struct x509_name n, back;
	char s[512];
	int rc;

	(void)state;
	memset(&n, 0, sizeof n);
	n.attr[X509_NAME_C] = (struct x509_str){ "JP", 2 };
	n.attr[X509_NAME_ST] = (struct x509_str){ "Aichi", 5 };
	n.attr[X509_NAME_L] = (struct x509_str){ "Nagoya", 6 };
	n.attr[X509_NAME_O] = (struct x509_str){ o_ja, sizeof o_ja - 1 };
	n.attr[X509_NAME_OU] = (struct x509_str){ "IT_Center", 9 }; /* '_': not Printable */
	n.attr[X509_NAME_CN] = (struct x509_str){ "www.example.ac.jp", 17 };
	n.attr[X509_NAME_EMAIL] = (struct x509_str){ "a@example.ac.jp", 15 };
	der_writer_init(&w, buf, sizeof buf);
	x509_name_write(&w, &n);
	assert_int_equal(der_writer_error(&w), 0);
	assert_int_equal(x509_name_parse(&back, der_writer_data(&w), der_writer_mark(&w)), 0);
	assert_int_equal(back.n_rdn, 7);
	for (int i = 0; i < X509_NAME__MAX; i++) {
		assert_int_equal(back.attr[i].len, n.attr[i].len);
		assert_memory_equal(back.attr[i].p, n.attr[i].p, n.attr[i].len);
		/* string type: the byte before the length byte before the value */
		print_message("  attr %d tag %02x\n", i, ((const unsigned char *)back.attr[i].p)[-2]);
	}
	assert_int_equal(((const unsigned char *)back.attr[X509_NAME_C].p)[-2], DER_PRINTABLESTRING);
	assert_int_equal(((const unsigned char *)back.attr[X509_NAME_O].p)[-2], DER_UTF8STRING);
	assert_int_equal(((const unsigned char *)back.attr[X509_NAME_OU].p)[-2], DER_UTF8STRING);
	assert_int_equal(((const unsigned char *)back.attr[X509_NAME_CN].p)[-2], DER_PRINTABLESTRING);
	assert_int_equal(((const unsigned char *)back.attr[X509_NAME_EMAIL].p)[-2], DER_IA5STRING);
	rc = x509_name_format(&back, s, sizeof s);
	assert_int_equal(rc, (int)strlen(s));
	assert_string_equal(s, "emailAddress=a@example.ac.jp,CN=www.example.ac.jp,OU=IT_Center,"
	    "O=\xe5\x90\x8d\xe5\x8f\xa4\xe5\xb1\x8b\xe5\xa4\xa7\xe5\xad\xa6,L=Nagoya,ST=Aichi,C=JP");
	assert_int_equal(x509_name_format(&back, s, 20), ERR_TOOBIG);
}

static void
test_name_write_refuses(void **state)
{
	static const struct {
		int attr;
		const char *v;
		size_t n;
	} bad[] = {
		{ X509_NAME_C, "JPN", 3 },
		{ X509_NAME_C, "J@", 2 },
		{ X509_NAME_CN, "", 0 },
		{ X509_NAME_CN, "a\0b", 3 },
		{ X509_NAME_CN, "\xc0\x80", 2 },
		{ X509_NAME_EMAIL, "\xc3\xa9@x", 4 },
	};
	unsigned char buf[512];
	struct der_writer w;
	struct x509_name n;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&n, 0, sizeof n);
		n.attr[bad[i].attr] = (struct x509_str){ bad[i].v, bad[i].n };
		der_writer_init(&w, buf, sizeof buf);
		x509_name_write(&w, &n);
		assert_int_equal(der_writer_error(&w), ERR_RANGE);
	}
}

static void
test_name_parse_cases(void **state)
{
	struct x509_name n;
	char s[256];
	int rc;

	(void)state;
	/* CN=a, CN=b (repeat), serialNumber=1 (other type) */
	assert_int_equal(x509_name_parse(&n, B(0x30, 0x24,
	    0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 'a',
	    0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 'b',
	    0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x05, 0x13, 0x01, '1')), 0);
	assert_int_equal(n.n_rdn, 3);
	assert_int_equal(n.n_dup, 1);
	assert_int_equal(n.n_other, 1);
	assert_int_equal(n.attr[X509_NAME_CN].len, 1);
	assert_int_equal(n.attr[X509_NAME_CN].p[0], 'a');
	/* empty value */
	assert_int_equal(x509_name_parse(&n, B(0x30, 0x09,
	    0x31, 0x07, 0x30, 0x05, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x00)), ERR_MALFORMED);
	/* NUL inside a value */
	assert_int_equal(x509_name_parse(&n, B(0x30, 0x0d,
	    0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x16, 0x02, 'a', 0x00)),
	    ERR_MALFORMED);
	/* CN as INTEGER */
	assert_int_equal(x509_name_parse(&n, B(0x30, 0x0c,
	    0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x02, 0x01, 0x01)), ERR_MALFORMED);
	/* multi-valued RDN */
	assert_int_equal(x509_name_parse(&n, B(0x30, 0x16, 0x31, 0x14,
	    0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 'a',
	    0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x01, 'b')), ERR_UNSUPPORTED);
	/* empty RDN SET */
	assert_int_equal(x509_name_parse(&n, B(0x30, 0x02, 0x31, 0x00)), ERR_MALFORMED);
	/* TeletexString CN */
	assert_int_equal(x509_name_parse(&n, B(0x30, 0x0c,
	    0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x14, 0x01, 'a')), ERR_UNSUPPORTED);
	/* trailing byte after the Name */
	assert_int_equal(x509_name_parse(&n, B(0x30, 0x00, 0x00)), ERR_MALFORMED);

	/* Escapes: leading space and '#', trailing space, specials, control bytes. */
	memset(&n, 0, sizeof n);
	n.attr[X509_NAME_CN] = (struct x509_str){ " a;b=c<d>e\"f\\g\x01 ", 16 };
	n.attr[X509_NAME_O] = (struct x509_str){ "#x#", 3 };
	rc = x509_name_format(&n, s, sizeof s);
	assert_int_equal(rc, (int)strlen(s));
	assert_string_equal(s, "CN=\\ a\\;b\\=c\\<d\\>e\\\"f\\\\g\\01\\ ,O=\\#x#");
}

static void
test_name_rdn_limit(void **state)
{
	unsigned char buf[4 + 14 * (X509_NAME_RDN_MAX + 1)];
	size_t o = 4, n = X509_NAME_RDN_MAX + 1;
	struct x509_name name;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + o, "\x31\x0c\x30\x0a\x06\x03\x55\x04\x05\x13\x03" "abc", 14);
		o += 14;
	}
	buf[0] = 0x30;
	buf[1] = 0x82;
	buf[2] = (unsigned char)((o - 4) >> 8);
	buf[3] = (unsigned char)(o - 4);
	assert_int_equal(x509_name_parse(&name, buf, o), ERR_TOOBIG);
	/* One fewer RDN fits. */
	o -= 14;
	buf[2] = (unsigned char)((o - 4) >> 8);
	buf[3] = (unsigned char)(o - 4);
	assert_int_equal(x509_name_parse(&name, buf, o), 0);
	assert_int_equal(name.n_other, X509_NAME_RDN_MAX);
}

/* ---- serial numbers ---- */

static void
test_serial_format(void **state)
{
	static const unsigned char s16[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const unsigned char s16b[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	static const unsigned char leaf[15] = { 0xf1, 0xe2, 0xd3, 0xc4, 0xb5, 0xa6, 0x97, 0x88, 0x79,
		0x6a, 0x5b, 0x4c, 0x3d, 0x2e, 0x1f };
	unsigned char s20[20], s65[65] = { 1 };
	char out[200];

	(void)state;
	memset(s20, 0xff, sizeof s20);
	s20[0] = 0x7f;
	assert_int_equal(x509_serial_dec(B(0x01), out, sizeof out), 1);
	assert_string_equal(out, "1");
	assert_int_equal(x509_serial_dec(B(0x01, 0x00), out, sizeof out), 3);
	assert_string_equal(out, "256");
	assert_int_equal(x509_serial_dec(NULL, 0, out, sizeof out), 1);
	assert_string_equal(out, "0");
	assert_int_equal(x509_serial_dec(B(0x00, 0x00), out, sizeof out), 1);
	assert_string_equal(out, "0");
	x509_serial_dec(s16, sizeof s16, out, sizeof out);
	assert_string_equal(out, "340282366920938463463374607431768211455");
	x509_serial_dec(s16b, sizeof s16b, out, sizeof out);
	assert_string_equal(out, "1339673755198158349044581307228491536");
	x509_serial_dec(leaf, sizeof leaf, out, sizeof out);
	assert_string_equal(out, "1255944145498273452229294975526710815");
	x509_serial_dec(s20, sizeof s20, out, sizeof out);
	assert_string_equal(out, "730750818665451459101842416358141509827966271487");
	assert_int_equal(x509_serial_dec(B(0x01, 0x00), out, 3), ERR_TOOBIG);
	assert_int_equal(x509_serial_dec(s65, sizeof s65, out, sizeof out), ERR_TOOBIG);

	assert_int_equal(x509_serial_hex(leaf, sizeof leaf, out, sizeof out), 30);
	assert_string_equal(out, "F1E2D3C4B5A69788796A5B4C3D2E1F");
	assert_int_equal(x509_serial_hex(B(0x00, 0x3a), out, sizeof out), 2);
	assert_string_equal(out, "3A");
	assert_int_equal(x509_serial_hex(NULL, 0, out, sizeof out), 2);
	assert_string_equal(out, "00");
	assert_int_equal(x509_serial_hex(B(0x3a), out, 2), ERR_TOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_der_framing),
		cmocka_unit_test(test_der_depth_bomb),
		cmocka_unit_test(test_der_integers),
		cmocka_unit_test(test_der_primitives),
		cmocka_unit_test(test_der_time_read),
		cmocka_unit_test(test_der_write_basic),
		cmocka_unit_test(test_der_write_overflow),
		cmocka_unit_test(test_der_write_time),
		cmocka_unit_test(test_pem_encode),
		cmocka_unit_test(test_pem_files),
		cmocka_unit_test(test_pem_malformed),
		cmocka_unit_test(test_name_write_exact),
		cmocka_unit_test(test_name_write_roundtrip),
		cmocka_unit_test(test_name_write_refuses),
		cmocka_unit_test(test_name_parse_cases),
		cmocka_unit_test(test_name_rdn_limit),
		cmocka_unit_test(test_serial_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
