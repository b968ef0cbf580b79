/* acmeid.c: the RFC 8737 §3 check of a tls-alpn-01 validation certificate. */
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "x509/x509.h"

static int
acmeid_lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* DNS names compare case-insensitively, in ASCII only (RFC 4343). */
static int
acmeid_name_eq(const struct x509_str *s, const char *name)
{
	size_t n = strlen(name);

	if (s->len != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (acmeid_lower((unsigned char)s->p[i]) != acmeid_lower((unsigned char)name[i]))
			return 0;
	return 1;
}

int
x509_acme_tlsalpn_check(struct x509_cert *c, const unsigned char *der, size_t len,
    const char *name, const unsigned char digest[X509_ACME_ID_LEN], char *why, size_t cap)
{
	const struct x509_exts *e = &c->ext;
	int rc;

	if (cap > 0)
		why[0] = '\0';
	rc = x509_cert_parse(c, der, len);
	if (rc != 0) {
		/* An acmeIdentifier that is not an OCTET STRING of 32 bytes lands here too. */
		snprintf(why, cap, "the certificate cannot be parsed (%s)", err_str(rc));
		return rc == ERR_TOOBIG ? ERR_TOOBIG : ERR_MALFORMED;
	}
	rc = ERR_DENIED;
	if (!e->has_san) {
		snprintf(why, cap, "the certificate has no subjectAltName extension");
		goto out;
	}
	if (e->san.n_dns != 1 || e->san.n_ip != 0 || e->san.n_other != 0) {
		snprintf(why, cap, "the certificate's subjectAltName has %u entries (%u dNSName, %u "
		    "iPAddress, %u other), not exactly one dNSName", e->san.n_dns + e->san.n_ip +
		    e->san.n_other, e->san.n_dns, e->san.n_ip, e->san.n_other);
		goto out;
	}
	if (!acmeid_name_eq(&e->san.dns[0], name)) {
		/* dNSName bytes are printable ASCII (ext.c refuses others). */
		snprintf(why, cap, "the certificate is for %.*s, not %s",
		    (int)(e->san.dns[0].len > 80 ? 80 : e->san.dns[0].len), e->san.dns[0].p, name);
		goto out;
	}
	if (!e->has_acme_id) {
		snprintf(why, cap, "the certificate has no acmeIdentifier extension (1.3.6.1.5.5.7.1.31)");
		goto out;
	}
	if (!e->acme_id_critical) {
		snprintf(why, cap, "the certificate's acmeIdentifier extension is not marked critical");
		goto out;
	}
	if (e->acme_id.len != X509_ACME_ID_LEN || memcmp(e->acme_id.p, digest, X509_ACME_ID_LEN) != 0) {
		char hex[2 * X509_ACME_ID_LEN + 1] = "";
		for (size_t i = 0; i < X509_ACME_ID_LEN && i < e->acme_id.len; i++)
			snprintf(hex + 2 * i, 3, "%02x", e->acme_id.p[i]);
		snprintf(why, cap, "the certificate's acmeIdentifier (%s) is not the SHA-256 digest of "
		    "the key authorization", hex);
		goto out;
	}
	rc = 0;
out:
	return rc;
}
