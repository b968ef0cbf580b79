/* The X.509 engine of insecure clients: the leaf's key, no checks (see noverify.h). */
#include <string.h>

#include "tls/noverify.h"

static void
nv_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct x509_noverify *nv = (struct x509_noverify *)ctx;

	(void)server_name;
	nv->idx = 0;
	br_x509_decoder_init(&nv->dec, NULL, NULL);
}

static void
nv_start_cert(const br_x509_class **ctx, uint32_t length)
{
	(void)ctx;
	(void)length;
}

static void
nv_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct x509_noverify *nv = (struct x509_noverify *)ctx;

	if (nv->idx == 0)
		br_x509_decoder_push(&nv->dec, buf, len);
}

static void
nv_end_cert(const br_x509_class **ctx)
{
	struct x509_noverify *nv = (struct x509_noverify *)ctx;

	nv->idx++;
}

static unsigned
nv_end_chain(const br_x509_class **ctx)
{
	struct x509_noverify *nv = (struct x509_noverify *)ctx;

	/* No certificate, or one whose key cannot be read: the handshake cannot go on. */
	if (nv->idx == 0)
		return BR_ERR_X509_EMPTY_CHAIN;
	return (unsigned)br_x509_decoder_last_error(&nv->dec);
}

static const br_x509_pkey *
nv_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct x509_noverify *nv = (struct x509_noverify *)(uintptr_t)ctx;

	if (usages != NULL)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return br_x509_decoder_get_pkey(&nv->dec);
}

static const br_x509_class nv_vtable = {
	sizeof(struct x509_noverify), nv_start_chain, nv_start_cert, nv_append,
	nv_end_cert, nv_end_chain, nv_get_pkey
};

void
tls_noverify_init(struct x509_noverify *nv)
{
	memset(nv, 0, sizeof(*nv));
	nv->vtable = &nv_vtable;
}
