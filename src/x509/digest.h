/*
 * digest.h: SHA-256 and HMAC-SHA-256 for modules whose job is not
 * cryptography (upki/ hashes name sets, acme/ tags its nonces), so that only
 * the crypto modules include <bearssl.h>. Leaf module: nothing is allocated,
 * the context lives in the caller's memory.
 */
#ifndef X509_DIGEST_H
#define X509_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define X509_SHA256_LEN 32

/* An incremental SHA-256; its size is checked against BearSSL's at build time. */
struct x509_sha256 {
	union {
		uint64_t align;
		unsigned char b[128];
	} u;
};

/* Start (or restart) h. */
void x509_sha256_init(struct x509_sha256 *h);
/* Hash p[0..n) into h (n may be 0). */
void x509_sha256_update(struct x509_sha256 *h, const void *p, size_t n);
/* The digest of everything hashed since init; h may go on being updated. */
void x509_sha256_out(const struct x509_sha256 *h, unsigned char out[X509_SHA256_LEN]);

/* HMAC-SHA-256 (RFC 2104) of msg[0..len) under key[0..keylen) into out. */
void x509_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[X509_SHA256_LEN]);

#endif
