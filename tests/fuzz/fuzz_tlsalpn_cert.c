/*
 * Fuzz the tls-alpn-01 certificate check (x509_acme_tlsalpn_check): whatever
 * the input, the reason is a NUL-terminated line of printable ASCII within its
 * buffer, and an accepted certificate really has one subjectAltName, the
 * dNSName www.example.ac.jp (any case), and a critical acmeIdentifier equal
 * to the digest. The digest is that of the seeds' key authorization
 * (tests/unit/data/x509/tlsalpn/gen.sh), so the seeds reach the acceptance path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "x509/digest.h"
#include "x509/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define NAME "www.example.ac.jp"

static struct x509_cert c;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char ka[] = "alpn-test-token.alpn-test-thumbprint";
	unsigned char d[X509_ACME_ID_LEN];
	struct x509_sha256 h;
	char why[120];
	size_t n;
	int rc;

	x509_sha256_init(&h);
	x509_sha256_update(&h, ka, sizeof(ka) - 1);
	x509_sha256_out(&h, d);
	memset(why, 0x7f, sizeof(why));
	rc = x509_acme_tlsalpn_check(&c, data, size, NAME, d, why, sizeof(why));
	n = strnlen(why, sizeof(why));
	CHECK(n < sizeof(why));
	for (size_t i = 0; i < n; i++)
		CHECK(why[i] >= 0x20 && why[i] < 0x7f);
	CHECK(rc == 0 || rc == ERR_DENIED || rc == ERR_MALFORMED || rc == ERR_TOOBIG);
	CHECK((rc == 0) == (n == 0));
	if (rc == 0) {
		CHECK(c.ext.has_san && c.ext.san.n_dns == 1 && c.ext.san.n_ip == 0 &&
		    c.ext.san.n_other == 0);
		CHECK(c.ext.san.dns[0].len == strlen(NAME));
		for (size_t i = 0; i < strlen(NAME); i++)
			CHECK((c.ext.san.dns[0].p[i] | 0x20) == NAME[i]);
		CHECK(c.ext.has_acme_id && c.ext.acme_id_critical);
		CHECK(c.ext.acme_id.len == X509_ACME_ID_LEN && memcmp(c.ext.acme_id.p, d, 32) == 0);
	}
	return 0;
}
