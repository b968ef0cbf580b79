/* csr.c: PKCS#10 (RFC 2986) certification request parsing and self-signature check. */
#include <string.h>

#include "util/err.h"
#include "x509/internal.h"

#define CSR_ATTRS_MAX 32

/* attributes [0] IMPLICIT SET OF Attribute (contents). */
static int
csr_attrs_read(struct der *attrs, struct x509_csr *c)
{
	struct der attr, oid, vals, exts;
	unsigned n = 0;
	int rc;

	while (attrs->len > 0) {
		if (++n > CSR_ATTRS_MAX)
			return ERR_TOOBIG;
		if ((rc = der_read_enter(attrs, DER_SEQUENCE, &attr)) != 0 ||
		    (rc = der_read_oid(&attr, &oid)) != 0 ||
		    (rc = der_read_enter(&attr, DER_SET, &vals)) != 0 ||
		    (rc = der_read_end(&attr)) != 0)
			return rc;
		if (!der_oid_eq(&oid, X509_OID(OID_EXTENSION_REQUEST))) {
			/* challengePassword, unstructuredName, msExtReq, ...: tolerated, flagged. */
			c->has_other_attrs = 1;
			continue;
		}
		if (c->has_ext_req)
			return ERR_MALFORMED;
		c->has_ext_req = 1;
		if ((rc = der_read_enter(&vals, DER_SEQUENCE, &exts)) != 0 ||
		    (rc = der_read_end(&vals)) != 0 || (rc = x509_exts_read(&exts, &c->ext)) != 0)
			return rc;
	}
	return 0;
}

int
x509_csr_parse(struct x509_csr *c, const unsigned char *der, size_t len)
{
	struct der d, req, info, probe, attrs;
	uint32_t version;
	unsigned unused;
	int rc;

	memset(c, 0, sizeof *c);
	c->ext.path_len = -1;
	if (len > X509_DER_MAX)
		return ERR_TOOBIG;
	der_init(&d, der, len);
	if ((rc = der_read_enter(&d, DER_SEQUENCE, &req)) != 0 || (rc = der_read_end(&d)) != 0)
		return rc;
	probe = req;
	if ((rc = der_read_raw(&probe, &c->info.p, &c->info.len)) != 0 ||
	    (rc = der_read_enter(&req, DER_SEQUENCE, &info)) != 0)
		return rc;
	if ((rc = der_read_small(&info, 0, &version)) != 0)
		return rc == ERR_RANGE ? ERR_MALFORMED : rc;
	c->version = version;
	if ((rc = x509_name_read(&info, &c->subject)) != 0 ||
	    (rc = x509_pubkey_read(&info, &c->key)) != 0)
		return rc;
	/* attributes is not OPTIONAL, but some encoders drop it when empty. */
	if (info.len > 0) {
		if ((rc = der_read_enter(&info, DER_CTX_CONS(0), &attrs)) != 0 ||
		    (rc = csr_attrs_read(&attrs, c)) != 0)
			return rc;
	}
	if ((rc = der_read_end(&info)) != 0 || (rc = x509_sig_alg_read(&req, &c->sig_alg)) != 0 ||
	    (rc = der_read_bitstring(&req, &c->sig.p, &c->sig.len, &unused)) != 0 ||
	    (rc = der_read_end(&req)) != 0)
		return rc;
	if (unused)
		return ERR_MALFORMED;
	c->der.p = der;
	c->der.len = len;
	return 0;
}

int
x509_csr_verify(const struct x509_csr *c)
{
	return x509_sig_verify(c->sig_alg, &c->key, c->info.p, c->info.len, c->sig.p, c->sig.len);
}
