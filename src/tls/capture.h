/*
 * capture.h (tls/ only): an X.509 validator that wraps br_x509_minimal and
 * keeps a copy of the end-entity certificate (the client certificate on
 * listeners that require one). Owner: capture.c. Leaf of the tls/ graph.
 */
#ifndef UPKI_TLS_CAPTURE_H
#define UPKI_TLS_CAPTURE_H

#include <bearssl.h>

#define TLS_PEER_CERT_MAX 4096

struct x509_capture {
	const br_x509_class *vtable;
	br_x509_minimal_context inner;
	unsigned char ee[TLS_PEER_CERT_MAX];
	size_t ee_len;
	unsigned idx;
	int overflow;
};

/* Set up cap over trust anchors ta[0..n) (SHA-2 hashes, RSA and ECDSA). */
void tls_capture_init(struct x509_capture *cap, const br_x509_trust_anchor *ta, size_t n);

/* The capture installed as eng's X.509 validator, or NULL (none, or another kind). */
struct x509_capture *tls_capture_of_engine(br_ssl_engine_context *eng);

/* Copy out / in a capture's end-entity certificate; get returns 0 when none fits. */
size_t tls_capture_get(const struct x509_capture *cap, unsigned char *out, size_t outsz);
void tls_capture_set(struct x509_capture *cap, const unsigned char *der, size_t len);

/* The end-entity certificate held, or NULL (*len 0). */
const unsigned char *tls_capture_peek(const struct x509_capture *cap, size_t *len);

#endif
