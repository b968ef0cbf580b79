/* digest.c: SHA-256 and HMAC-SHA-256 over BearSSL (see digest.h). */
#include <bearssl.h>

#include "x509/digest.h"

_Static_assert(sizeof(br_sha256_context) <= sizeof(((struct x509_sha256 *)0)->u.b),
    "struct x509_sha256 is too small for br_sha256_context");
_Static_assert(_Alignof(br_sha256_context) <= _Alignof(struct x509_sha256),
    "struct x509_sha256 is not aligned for br_sha256_context");

void
x509_sha256_init(struct x509_sha256 *h)
{
	br_sha256_init((br_sha256_context *)(void *)h->u.b);
}

void
x509_sha256_update(struct x509_sha256 *h, const void *p, size_t n)
{
	br_sha256_update((br_sha256_context *)(void *)h->u.b, p, n);
}

void
x509_sha256_out(const struct x509_sha256 *h, unsigned char out[X509_SHA256_LEN])
{
	br_sha256_out((const br_sha256_context *)(const void *)h->u.b, out);
}

void
x509_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[X509_SHA256_LEN])
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	br_hmac_key_init(&kc, &br_sha256_vtable, key, keylen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, msg, len);
	br_hmac_out(&hc, out);
}
