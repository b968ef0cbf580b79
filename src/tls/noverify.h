/*
 * noverify.h (tls/ only): an X.509 "validator" that checks nothing. It decodes
 * the end-entity certificate only to hand its public key to the handshake, and
 * accepts any chain. For clients that must talk to servers whose certificate
 * proves nothing by design (http-01 redirects to https, RFC 8555 §8.3: "the
 * server MUST NOT check the certificate"). Owner: noverify.c.
 */
#ifndef UPKI_TLS_NOVERIFY_H
#define UPKI_TLS_NOVERIFY_H

#include <bearssl.h>

struct x509_noverify {
	const br_x509_class *vtable;
	br_x509_decoder_context dec;   /* of the first certificate of the chain */
	unsigned idx;
};

/* Ready for a handshake; install with br_ssl_engine_set_x509(eng, &nv->vtable). */
void tls_noverify_init(struct x509_noverify *nv);

#endif
