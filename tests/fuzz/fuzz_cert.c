/*
 * Fuzz the certificate parser, names and the certificate writer. Whatever
 * x509_cert_parse() accepts is formatted, hashed and checked; then rebuilt with
 * x509_cert_write() from its own fields (a dummy signature): when the writer
 * accepts them, the result must parse again to the same fields. The input is
 * also fed to the Name and SubjectPublicKeyInfo parsers on their own.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "x509/der.h"
#include "x509/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static unsigned char out[2 * X509_DER_MAX];
static struct x509_cert c, c2;

static int
dummy_sign(void *ctx, int sig_alg, const unsigned char *hash, size_t hashlen,
    unsigned char *sig, size_t sigsz, size_t *siglen)
{
	(void)ctx, (void)sig_alg, (void)hash;
	CHECK(hashlen == x509_sig_hash_len(sig_alg) && sigsz >= 72);
	memset(sig, 0x5a, 72);
	*siglen = 72;
	return 0;
}

static int
same(const void *a, size_t an, const void *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static void
check_name(const struct x509_name *n)
{
	char s[4096];
	int rc = x509_name_format(n, s, sizeof s);

	CHECK(rc == ERR_TOOBIG || (rc >= 0 && strlen(s) == (size_t)rc));
	for (int i = 0; i < X509_NAME__MAX; i++)
		if (n->attr[i].p)
			CHECK(n->attr[i].len > 0 && !memchr(n->attr[i].p, 0, n->attr[i].len));
}

static void
check_same_name(const struct x509_name *a, const struct x509_name *b)
{
	for (int i = 0; i < X509_NAME__MAX; i++)
		CHECK(same(a->attr[i].p, a->attr[i].len, b->attr[i].p, b->attr[i].len));
}

static void
rewrite(void)
{
	struct x509_tbs t;
	size_t n;
	int rc;

	memset(&t, 0, sizeof t);
	t.serial = c.serial.p;
	t.serial_len = c.serial.len;
	t.issuer_der = c.issuer.der;
	t.issuer_der_len = c.issuer.der_len;
	t.subject = c.subject;
	t.not_before = c.not_before;
	t.not_after = c.not_after;
	t.spki = c.key.spki.p;
	t.spki_len = c.key.spki.len;
	t.dns = c.ext.san.dns;
	t.n_dns = c.ext.san.n_dns;
	t.ip = c.ext.san.ip;
	t.n_ip = c.ext.san.n_ip;
	t.basic_constraints = c.ext.has_bc;
	t.ca = c.ext.ca;
	t.path_len = c.ext.ca ? c.ext.path_len : -1;
	t.key_usage = c.ext.ku & 0x1ff;
	t.eku = c.ext.eku & (X509_EKU_SERVER_AUTH | X509_EKU_CLIENT_AUTH);
	t.aki = c.ext.aki.p;
	t.aki_len = c.ext.aki.len;
	t.acme_id = c.ext.has_acme_id ? c.ext.acme_id.p : NULL;
	rc = x509_cert_write(out, sizeof out, &n, &t, X509_SIG_ECDSA_SHA256, dummy_sign, NULL);
	if (rc != 0) {
		CHECK(rc == ERR_RANGE || rc == ERR_TOOBIG || rc == ERR_MALFORMED ||
		    rc == ERR_UNSUPPORTED || rc == ERR_BADKEY);
		return;
	}
	CHECK(x509_cert_parse(&c2, out, n) == 0);
	CHECK(c2.version == 2 && c2.sig_alg == X509_SIG_ECDSA_SHA256);
	CHECK(same(c2.serial.p, c2.serial.len, c.serial.p, c.serial.len));
	CHECK(same(c2.issuer.der, c2.issuer.der_len, c.issuer.der, c.issuer.der_len));
	check_same_name(&c2.subject, &c.subject);
	CHECK(c2.not_before == c.not_before && c2.not_after == c.not_after);
	CHECK(same(c2.key.spki.p, c2.key.spki.len, c.key.spki.p, c.key.spki.len));
	CHECK(c2.ext.san.n_dns == c.ext.san.n_dns && c2.ext.san.n_ip == c.ext.san.n_ip);
	for (unsigned i = 0; i < c.ext.san.n_dns; i++)
		CHECK(same(c2.ext.san.dns[i].p, c2.ext.san.dns[i].len, c.ext.san.dns[i].p,
		    c.ext.san.dns[i].len));
	for (unsigned i = 0; i < c.ext.san.n_ip; i++)
		CHECK(same(c2.ext.san.ip[i].p, c2.ext.san.ip[i].len, c.ext.san.ip[i].p,
		    c.ext.san.ip[i].len));
	CHECK(c2.ext.has_bc == c.ext.has_bc && c2.ext.ca == c.ext.ca);
	CHECK(c2.ext.path_len == t.path_len);
	CHECK(c2.ext.ku == t.key_usage && c2.ext.eku == t.eku);
	CHECK(same(c2.ext.aki.p, c2.ext.aki.len, c.ext.aki.p, c.ext.aki.len));
	CHECK(c2.ext.has_acme_id == c.ext.has_acme_id);
	CHECK(c2.ext.n_other == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x509_name n;
	struct x509_pubkey k;
	unsigned char h[X509_SPKI_HASH_LEN], ski[X509_SKI_LEN];
	char s[256];

	if (x509_name_parse(&n, data, size) == 0) {
		CHECK(n.der == data && n.der_len == size);
		check_name(&n);
	}
	if (x509_pubkey_parse(&k, data, size) == 0) {
		CHECK(k.spki.p == data && k.spki.len == size);
		x509_pubkey_ski(&k, ski);
	}
	if (x509_cert_parse(&c, data, size) != 0)
		return 0;
	CHECK(c.der.p == data && c.der.len == size);
	CHECK(c.tbs.p > data && c.tbs.p + c.tbs.len <= data + size);
	CHECK(c.serial.len <= X509_SERIAL_MAX);
	CHECK(c.ext.san.n_dns + c.ext.san.n_ip + c.ext.san.n_other <= X509_SAN_MAX);
	check_name(&c.issuer);
	check_name(&c.subject);
	CHECK(x509_serial_dec(c.serial.p, c.serial.len, s, sizeof s) > 0);
	CHECK(x509_serial_hex(c.serial.p, c.serial.len, s, sizeof s) > 0);
	x509_spki_hash(c.key.spki.p, c.key.spki.len, h);
	x509_pubkey_ski(&c.key, ski);
	(void)x509_cert_verify_sig(&c, &c.key);
	rewrite();
	return 0;
}
