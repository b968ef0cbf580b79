/*
 * test_mail_cms.c: detached CMS verification and the UPKI mail check on
 * captured shapes (tests/unit/data/mail/gen.sh): the simulator's own rendered
 * issuance mail, openssl cms mails (LF line ends, RSA by issuerAndSerialNumber,
 * ECDSA by subjectKeyIdentifier, without certificates, a serverAuth signer, the
 * sender only in subjectAltName, a signer certified for another address, a
 * signed multipart/alternative with a quoted-printable UTF-8 text part),
 * and damage done here: altered content, altered signature, truncations,
 * wrong anchors, expired time, foreign From and URL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/cms.h"
#include "mail/upki_mail.h"
#include "util/err.h"

#define DATA "tests/unit/data/mail/"
#define SIM_SERIAL "7711421102991814769"
#define SIM_URL "https://127.0.0.1:34611/upki-odcert/download/spDLSrv.do?key=" \
	"8f5856726dfc90384678c7befb168018"
#define SSL_URL "https://scia.secomtrust.net/upki-odcert/download/spDLSrv.do?key=" \
	"0123456789abcdef0123456789abcdef"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = malloc(MAIL_MSG_MAX + 1);
	size_t n;

	assert_non_null(f);
	assert_non_null(p);
	n = fread(p, 1, MAIL_MSG_MAX, f);
	fclose(f);
	p[n] = '\0';
	*len = n;
	return p;
}

static int64_t
capture_time(void)
{
	size_t n;
	char *t = slurp(DATA "now", &n);
	int64_t v = strtoll(t, NULL, 10);

	free(t);
	return v + 3600;
}

struct fx {
	struct mail_anchors ta;
	struct mail_upki_work w;
	struct mail_upki res;
	struct mail_upki_policy pol;
};

static struct fx *
fx_new(const char *anchor_file, const char *download)
{
	struct fx *f = calloc(1, sizeof(*f));
	size_t n;
	char *pem = slurp(anchor_file, &n);

	assert_non_null(f);
	assert_int_equal(mail_anchors_add_pem(&f->ta, pem, n), 0);
	free(pem);
	f->pol.from = "ca-support@ml.secom-sts.co.jp";
	f->pol.download_url = download;
	f->pol.anchors = &f->ta;
	f->pol.now = capture_time();
	return f;
}

/* Check file (or text, when given) and return the verdict. */
static int
check_text(struct fx *f, const char *text, size_t n)
{
	int rc = mail_upki_check(&f->w, &f->pol, text, n, &f->res);

	assert_true(f->res.why >= 0 && f->res.why < MAIL_WHY__MAX);
	assert_true(f->res.reason[0] != '\0');
	assert_int_equal(rc == 0, f->res.why == MAIL_WHY_OK);
	if (rc != 0) {
		/* A refused mail yields nothing the pickup could act on. */
		assert_string_equal(f->res.serial, "");
		assert_string_equal(f->res.url, "");
	}
	return f->res.why;
}

static int
check_file(struct fx *f, const char *file)
{
	size_t n;
	char *t = slurp(file, &n);
	int why = check_text(f, t, n);

	free(t);
	return why;
}

static void
test_sim_mail(void **state)
{
	struct fx *f = fx_new(DATA "sim-ca.pem", "https://127.0.0.1:34611/upki-odcert/download/");

	(void)state;
	assert_int_equal(check_file(f, DATA "sim.eml"), MAIL_WHY_OK);
	assert_string_equal(f->res.serial, SIM_SERIAL);
	assert_string_equal(f->res.url, SIM_URL);
	assert_string_equal(f->res.subject, "[UPKI] サーバ証明書発行通知");
	assert_string_equal(f->res.from, "ca-support@ml.secom-sts.co.jp");
	assert_non_null(strstr(f->res.signer, "CN=UPKI ca-support (SIM)"));
	assert_true(f->res.signing_time > 0);
	assert_int_equal(f->w.cms.chain_len, 2); /* signer, mail CA, then the anchor */
	/* The same mail against the openssl test root: untrusted. */
	free(f);
	f = fx_new(DATA "ca.pem", "https://127.0.0.1:34611/upki-odcert/download/");
	assert_int_equal(check_file(f, DATA "sim.eml"), MAIL_WHY_UNTRUSTED);
	/* The real download service prefix: the sim's URL is foreign. */
	free(f);
	f = fx_new(DATA "sim-ca.pem", "https://scia.secomtrust.net/upki-odcert/download/");
	assert_int_equal(check_file(f, DATA "sim.eml"), MAIL_WHY_URL_FOREIGN);
	assert_non_null(strstr(f->res.reason, "https://127.0.0.1:34611/"));
	free(f);
}

static void
test_openssl_shapes(void **state)
{
	struct fx *f = fx_new(DATA "ca.pem", "https://scia.secomtrust.net/upki-odcert/download/");

	(void)state;
	assert_int_equal(check_file(f, DATA "openssl-rsa.eml"), MAIL_WHY_OK);
	assert_string_equal(f->res.serial, "1234567890123456789");
	assert_string_equal(f->res.url, SSL_URL); /* the footer link is not taken */
	assert_string_equal(f->res.message_id, "<test-1@ml.secom-sts.co.jp>");
	assert_int_equal(f->w.cms.sig_alg, X509_SIG_RSA_SHA256);
	assert_int_equal(check_file(f, DATA "openssl-ec-keyid.eml"), MAIL_WHY_OK);
	assert_int_equal(f->w.cms.sig_alg, X509_SIG_ECDSA_SHA256);
	assert_int_equal(check_file(f, DATA "openssl-nocerts.eml"), MAIL_WHY_SIGNER_MISSING);
	assert_int_equal(check_file(f, DATA "openssl-server.eml"), MAIL_WHY_USAGE);
	/* A signed multipart/alternative: its text/plain part, UTF-8 quoted-printable
	 * with soft line breaks inside the URL. */
	assert_int_equal(check_file(f, DATA "openssl-alt.eml"), MAIL_WHY_OK);
	assert_string_equal(f->res.serial, "1234567890123456789");
	assert_string_equal(f->res.url, SSL_URL);
	/* The sender named only in subjectAltName rfc822Name: fine. */
	assert_int_equal(check_file(f, DATA "openssl-san.eml"), MAIL_WHY_OK);
	/* A good S/MIME certificate of the same anchor, issued to someone else. */
	assert_int_equal(check_file(f, DATA "openssl-notfor.eml"), MAIL_WHY_FROM);
	assert_non_null(strstr(f->res.reason, "not for ca-support@ml.secom-sts.co.jp"));
	f->pol.now = 4102444800; /* 2100: every certificate expired */
	assert_int_equal(check_file(f, DATA "openssl-rsa.eml"), MAIL_WHY_EXPIRED);
	f->pol.now = capture_time();
	f->pol.from = "someone@example.ac.jp";
	assert_int_equal(check_file(f, DATA "openssl-rsa.eml"), MAIL_WHY_FROM);
	assert_non_null(strstr(f->res.reason, "ca-support@ml.secom-sts.co.jp"));
	free(f);
	f = fx_new(DATA "other-ca.pem", "https://scia.secomtrust.net/upki-odcert/download/");
	assert_int_equal(check_file(f, DATA "openssl-rsa.eml"), MAIL_WHY_UNTRUSTED);
	free(f);
	/* An anchor with the very name of the issuer but another key. */
	f = fx_new(DATA "twin-ca.pem", "https://scia.secomtrust.net/upki-odcert/download/");
	assert_int_equal(check_file(f, DATA "openssl-rsa.eml"), MAIL_WHY_UNTRUSTED);
	free(f);
}

/* Replace the first occurrence of a by b (same length) in t. */
static void
patch(char *t, const char *a, const char *b)
{
	char *p = strstr(t, a);

	assert_non_null(p);
	assert_int_equal(strlen(a), strlen(b));
	memcpy(p, b, strlen(b));
}

static void
test_damage(void **state)
{
	struct fx *f = fx_new(DATA "sim-ca.pem", "https://127.0.0.1:34611/upki-odcert/download/");
	size_t n;
	char *t = slurp(DATA "sim.eml", &n), *copy = malloc(n + 1), *p;

	(void)state;
	assert_non_null(copy);
	/* The serial changed in the signed text: the digest no longer matches. */
	memcpy(copy, t, n + 1);
	patch(copy, SIM_SERIAL, "7711421102991814760");
	assert_int_equal(check_text(f, copy, n), MAIL_WHY_DIGEST);
	/* A header outside the signed part changed: From is checked on its own. */
	memcpy(copy, t, n + 1);
	patch(copy, "From: ca-support@ml.secom-sts.co.jp", "From: ca-support@ml.secom-sts.co.xx");
	assert_int_equal(check_text(f, copy, n), MAIL_WHY_FROM);
	/* LF line ends everywhere: still the same signed bytes in canonical form. */
	for (size_t i = 0, o = 0; i <= n; i++)
		if (t[i] != '\r')
			copy[o++] = t[i];
	assert_int_equal(check_text(f, copy, strlen(copy)), MAIL_WHY_OK);
	assert_string_equal(f->res.serial, SIM_SERIAL);
	/* The protocol parameter changed: not an S/MIME signature. */
	memcpy(copy, t, n + 1);
	patch(copy, "application/pkcs7-signature\";", "application/pkcs7-mime\";     ");
	assert_int_equal(check_text(f, copy, n), MAIL_WHY_UNSIGNED);
	/* A base64 character of the signature changed: CMS damage or a bad signature. */
	memcpy(copy, t, n + 1);
	p = strstr(copy, "filename=\"smime.p7s\"");
	assert_non_null(p);
	p = strstr(p, "\r\n\r\n") + 4 + 76 * 20 + 5; /* in the middle: the signature value */
	*p = *p == 'A' ? 'B' : 'A';
	{
		int why = check_text(f, copy, n);

		assert_true(why == MAIL_WHY_SIGNATURE || why == MAIL_WHY_CMS ||
		    why == MAIL_WHY_UNTRUSTED || why == MAIL_WHY_SIGNER_MISSING);
	}
	/* The close delimiter cut off. */
	memcpy(copy, t, n + 1);
	p = strstr(copy, "------=_UPKI_SIM_1--");
	assert_non_null(p);
	assert_int_equal(check_text(f, copy, (size_t)(p - copy)), MAIL_WHY_MIME);
	free(copy);
	free(t);
	free(f);
}

/* The DER of the signature of sim.eml, for direct mail_cms_verify calls. */
static void
test_cms_truncations(void **state)
{
	struct fx *f = fx_new(DATA "sim-ca.pem", "https://127.0.0.1:34611/upki-odcert/download/");
	struct mail_entity *sig = malloc(sizeof(*sig));
	struct mail_cms *c = malloc(sizeof(*c));
	unsigned char *der = malloc(MAIL_CMS_MAX);
	size_t n, dl;
	char *t = slurp(DATA "sim.eml", &n);
	int why, rc;

	(void)state;
	assert_int_equal(check_text(f, t, n), MAIL_WHY_OK);
	assert_int_equal(mail_entity_parse(sig, f->w.parts.sig.p, f->w.parts.sig.len), 0);
	assert_int_equal(mail_body_decode(sig, der, MAIL_CMS_MAX, &dl), 0);
	rc = mail_cms_verify(c, der, dl, f->w.parts.content.p, f->w.parts.content.len, &f->ta,
	    f->pol.now, &why);
	assert_int_equal(rc, 0);
	assert_int_equal(why, MAIL_WHY_OK);
	/* Every shorter prefix fails, with a reason, and reads nothing past its end. */
	for (size_t k = 0; k < dl; k++) {
		unsigned char *cut = malloc(k + 1);

		memcpy(cut, der, k);
		rc = mail_cms_verify(c, cut, k, f->w.parts.content.p, f->w.parts.content.len,
		    &f->ta, f->pol.now, &why);
		assert_int_not_equal(rc, 0);
		assert_int_not_equal(why, MAIL_WHY_OK);
		free(cut);
	}
	/* One byte of content more: digest. */
	rc = mail_cms_verify(c, der, dl, f->w.parts.content.p, f->w.parts.content.len + 1, &f->ta,
	    f->pol.now, &why);
	assert_int_equal(rc, ERR_BADSIG);
	assert_int_equal(why, MAIL_WHY_DIGEST);
	free(t);
	free(der);
	free(c);
	free(sig);
	free(f);
}

static void
test_url_rules(void **state)
{
	static const char pre[] = "https://scia.secomtrust.net/upki-odcert/download/";
	static const struct {
		const char *url;
		int ok;
	} v[] = {
		{ SSL_URL, 1 },
		{ "HTTPS://SCIA.secomtrust.net/upki-odcert/download/spDLSrv.do?key=ab%20", 1 },
		{ "http://scia.secomtrust.net/upki-odcert/download/spDLSrv.do?key=ab", 0 },
		{ "https://scia.secomtrust.net.evil.example/upki-odcert/download/x?key=ab", 0 },
		{ "https://evil.example/upki-odcert/download/spDLSrv.do?key=ab", 0 },
		{ "https://scia.secomtrust.net:8443/upki-odcert/download/x", 0 },
		{ "https://user@scia.secomtrust.net/upki-odcert/download/x", 0 },
		{ "https://evil.example\\@scia.secomtrust.net/upki-odcert/download/x", 0 },
		{ "https://scia.secomtrust.net/upki-odcert/lra/SSLLogin.do", 0 },
		{ "https://scia.secomtrust.net/upki-odcert/download/../lra/x", 0 },
		{ "https://scia.secomtrust.net/upki-odcert/download//evil", 0 },
		{ "https://scia.secomtrust.net/upki-odcert/download/x#frag", 0 },
		{ "https://scia.secomtrust.net/upki-odcert/download/%2e%2e/x", 0 },
		{ "https://scia.secomtrust.net/Upki-odcert/download/x", 0 },
		{ "https://scia.secomtrust.net/upki-odcert/downloadx", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int got = mail_upki_url_ok(pre, v[i].url, strlen(v[i].url));

		if (got != v[i].ok)
			fail_msg("%s: expected %d, got %d", v[i].url, v[i].ok, got);
	}
}

static void
test_serial_rules(void **state)
{
	char s[MAIL_SERIAL_MAX + 1];
	const char *t;

	(void)state;
	t = "申請ID: 1\nシリアル番号: 00123\n";
	assert_int_equal(mail_upki_serial(t, strlen(t), s), 0);
	assert_string_equal(s, "123");
	t = "シリアル番号：42\nSerial Number: 42\n";
	assert_int_equal(mail_upki_serial(t, strlen(t), s), 0);
	assert_string_equal(s, "42");
	t = "シリアル番号: 42\nSerial Number: 43\n";
	assert_int_equal(mail_upki_serial(t, strlen(t), s), ERR_MALFORMED);
	t = "シリアル番号: 0x42\n";
	assert_int_equal(mail_upki_serial(t, strlen(t), s), ERR_NOTFOUND);
	t = "シリアル番号: 12345678901234567890123456789012345678901234567890\n";
	assert_int_equal(mail_upki_serial(t, strlen(t), s), ERR_MALFORMED);
	t = "no serial here\n";
	assert_int_equal(mail_upki_serial(t, strlen(t), s), ERR_NOTFOUND);
}

static void
test_why_table(void **state)
{
	(void)state;
	for (int i = 0; i < MAIL_WHY__MAX; i++) {
		assert_string_not_equal(mail_why_name(i), "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(mail_why_name(i), mail_why_name(j));
	}
	assert_string_equal(mail_why_name(MAIL_WHY_SIGNATURE), "badsig");
	assert_string_equal(mail_why_name(MAIL_WHY__MAX), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_mail),
		cmocka_unit_test(test_openssl_shapes),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_cms_truncations),
		cmocka_unit_test(test_url_rules),
		cmocka_unit_test(test_serial_rules),
		cmocka_unit_test(test_why_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
