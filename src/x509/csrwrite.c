/* csrwrite.c: build and sign PKCS#10 requests (tests and the UPKI simulator use it). */
#include "util/err.h"
#include "x509/internal.h"

int
x509_csr_write(unsigned char *out, size_t outsz, size_t *outlen, const struct x509_csr_tmpl *t,
    int sig_alg, x509_sign_fn sign, void *sign_ctx)
{
	struct x509_pubkey key;
	struct der_writer w;
	size_t m;
	int rc;

	if (x509_sig_hash_len(sig_alg) == 0)
		return ERR_UNSUPPORTED;
	if (!t->spki)
		return ERR_RANGE;
	if ((rc = x509_pubkey_parse(&key, t->spki, t->spki_len)) != 0)
		return rc;
	der_writer_init(&w, out, outsz);
	if (t->n_dns + t->n_ip > 0) {
		/* Attribute { extensionRequest, SET { Extensions { SAN } } } */
		m = der_writer_mark(&w);
		x509_san_write(&w, t->dns, t->n_dns, t->ip, t->n_ip);
		x509_ext_close(&w, m, X509_OID(OID_CE_SAN), 0);
		der_write_wrap(&w, DER_SEQUENCE, m);
		der_write_wrap(&w, DER_SET, m);
		der_write_oid(&w, X509_OID(OID_EXTENSION_REQUEST));
		der_write_wrap(&w, DER_SEQUENCE, m);
	}
	der_write_wrap(&w, DER_CTX_CONS(0), 0);
	der_write_bytes(&w, t->spki, t->spki_len);
	x509_name_write(&w, &t->subject);
	der_write_small(&w, 0);
	der_write_wrap(&w, DER_SEQUENCE, 0);
	if ((rc = der_writer_error(&w)) != 0)
		return rc;
	return x509_sign_wrap(out, outsz, outlen, der_writer_mark(&w), sig_alg, sign, sign_ctx);
}
