/*
 * An X.509 validator that wraps br_x509_minimal and keeps a copy of the
 * end-entity certificate it saw (the client certificate of a handshake).
 */
#include <string.h>

#include "tls/capture.h"

static void
cap_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct x509_capture *c = (struct x509_capture *)ctx;

	c->idx = 0;
	c->ee_len = 0;
	c->overflow = 0;
	c->inner.vtable->start_chain(&c->inner.vtable, server_name);
}

static void
cap_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct x509_capture *c = (struct x509_capture *)ctx;

	if (c->idx == 0 && length > sizeof(c->ee))
		c->overflow = 1;
	c->inner.vtable->start_cert(&c->inner.vtable, length);
}

static void
cap_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct x509_capture *c = (struct x509_capture *)ctx;

	if (c->idx == 0 && !c->overflow) {
		if (len > sizeof(c->ee) - c->ee_len)
			c->overflow = 1;
		else {
			memcpy(c->ee + c->ee_len, buf, len);
			c->ee_len += len;
		}
	}
	c->inner.vtable->append(&c->inner.vtable, buf, len);
}

static void
cap_end_cert(const br_x509_class **ctx)
{
	struct x509_capture *c = (struct x509_capture *)ctx;

	c->idx++;
	c->inner.vtable->end_cert(&c->inner.vtable);
}

static unsigned
cap_end_chain(const br_x509_class **ctx)
{
	struct x509_capture *c = (struct x509_capture *)ctx;

	return c->inner.vtable->end_chain(&c->inner.vtable);
}

static const br_x509_pkey *
cap_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct x509_capture *c = (const struct x509_capture *)ctx;

	return c->inner.vtable->get_pkey(&c->inner.vtable, usages);
}

static const br_x509_class cap_vtable = {
	sizeof(struct x509_capture), cap_start_chain, cap_start_cert, cap_append,
	cap_end_cert, cap_end_chain, cap_get_pkey
};

size_t
tls_capture_get(const struct x509_capture *cap, unsigned char *out, size_t outsz)
{
	if (cap->overflow || cap->ee_len == 0 || cap->ee_len > outsz)
		return 0;
	memcpy(out, cap->ee, cap->ee_len);
	return cap->ee_len;
}

void
tls_capture_set(struct x509_capture *cap, const unsigned char *der, size_t len)
{
	if (len > sizeof(cap->ee))
		len = 0;
	memcpy(cap->ee, der, len);
	cap->ee_len = len;
	cap->overflow = 0;
}

void
tls_capture_init(struct x509_capture *cap, const br_x509_trust_anchor *ta, size_t n)
{
	cap->vtable = &cap_vtable;
	br_x509_minimal_init(&cap->inner, &br_sha256_vtable, ta, n);
	br_x509_minimal_set_hash(&cap->inner, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_hash(&cap->inner, br_sha384_ID, &br_sha384_vtable);
	br_x509_minimal_set_hash(&cap->inner, br_sha512_ID, &br_sha512_vtable);
	br_x509_minimal_set_rsa(&cap->inner, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(&cap->inner, br_ec_get_default(),
	    br_ecdsa_vrfy_asn1_get_default());
	cap->ee_len = 0;
	cap->idx = 0;
	cap->overflow = 0;
}

struct x509_capture *
tls_capture_of_engine(br_ssl_engine_context *eng)
{
	const br_x509_class **x = eng->x509ctx;

	if (x == NULL || *x != &cap_vtable)
		return NULL;
	return (struct x509_capture *)(void *)x;
}

const unsigned char *
tls_capture_peek(const struct x509_capture *cap, size_t *len)
{
	if (cap == NULL || cap->overflow || cap->ee_len == 0) {
		*len = 0;
		return NULL;
	}
	*len = cap->ee_len;
	return cap->ee;
}
