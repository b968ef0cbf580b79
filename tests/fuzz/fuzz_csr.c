/*
 * Fuzz the PKCS#10 parser and signature check. Whatever x509_csr_parse()
 * accepts is verified (any result but a crash), formatted, and rebuilt with
 * x509_csr_write() from its own subject, key and SAN (a dummy signature): when
 * the writer accepts them, the result must parse again to the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "x509/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static unsigned char out[2 * X509_DER_MAX];
static struct x509_csr c, c2;

static int
dummy_sign(void *ctx, int sig_alg, const unsigned char *hash, size_t hashlen,
    unsigned char *sig, size_t sigsz, size_t *siglen)
{
	(void)ctx, (void)sig_alg, (void)hash;
	CHECK(hashlen == x509_sig_hash_len(sig_alg) && sigsz >= 256);
	memset(sig, 0xa5, 256);
	*siglen = 256;
	return 0;
}

static int
same(const void *a, size_t an, const void *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static void
rewrite(void)
{
	struct x509_csr_tmpl t;
	size_t n;
	int rc;

	memset(&t, 0, sizeof t);
	t.subject = c.subject;
	t.spki = c.key.spki.p;
	t.spki_len = c.key.spki.len;
	t.dns = c.ext.san.dns;
	t.n_dns = c.ext.san.n_dns;
	t.ip = c.ext.san.ip;
	t.n_ip = c.ext.san.n_ip;
	rc = x509_csr_write(out, sizeof out, &n, &t, X509_SIG_RSA_SHA256, dummy_sign, NULL);
	if (rc != 0) {
		CHECK(rc == ERR_RANGE || rc == ERR_TOOBIG);
		return;
	}
	CHECK(x509_csr_parse(&c2, out, n) == 0);
	CHECK(c2.sig_alg == X509_SIG_RSA_SHA256);
	for (int i = 0; i < X509_NAME__MAX; i++)
		CHECK(same(c2.subject.attr[i].p, c2.subject.attr[i].len, c.subject.attr[i].p,
		    c.subject.attr[i].len));
	CHECK(same(c2.key.spki.p, c2.key.spki.len, c.key.spki.p, c.key.spki.len));
	CHECK(c2.key.type == c.key.type && c2.key.bits == c.key.bits);
	CHECK(c2.ext.san.n_dns == c.ext.san.n_dns && c2.ext.san.n_ip == c.ext.san.n_ip);
	for (unsigned i = 0; i < c.ext.san.n_dns; i++)
		CHECK(same(c2.ext.san.dns[i].p, c2.ext.san.dns[i].len, c.ext.san.dns[i].p,
		    c.ext.san.dns[i].len));
	for (unsigned i = 0; i < c.ext.san.n_ip; i++)
		CHECK(same(c2.ext.san.ip[i].p, c2.ext.san.ip[i].len, c.ext.san.ip[i].p,
		    c.ext.san.ip[i].len));
	CHECK(c2.has_ext_req == (c.ext.san.n_dns + c.ext.san.n_ip > 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char h[X509_SPKI_HASH_LEN];
	char s[4096];
	int rc;

	if (x509_csr_parse(&c, data, size) != 0)
		return 0;
	CHECK(c.version == 0 && c.der.p == data && c.der.len == size);
	CHECK(c.info.p > data && c.info.p + c.info.len <= data + size);
	CHECK(c.key.spki.p > c.info.p && c.key.spki.p + c.key.spki.len <= c.info.p + c.info.len);
	rc = x509_csr_verify(&c);
	CHECK(rc == 0 || rc == ERR_BADSIG || rc == ERR_UNSUPPORTED || rc == ERR_BADKEY);
	rc = x509_name_format(&c.subject, s, sizeof s);
	CHECK(rc == ERR_TOOBIG || (rc >= 0 && strlen(s) == (size_t)rc));
	x509_spki_hash(c.key.spki.p, c.key.spki.len, h);
	for (unsigned i = 0; i < c.ext.san.n_dns; i++)
		CHECK(c.ext.san.dns[i].len >= 1 && c.ext.san.dns[i].len <= X509_DNSNAME_MAX);
	rewrite();
	return 0;
}
