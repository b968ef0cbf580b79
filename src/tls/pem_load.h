/*
 * pem_load.h (tls/ only): keys, certificate chains and trust anchors read from
 * PEM, in storage the caller owns. Owner: pem_load.c. Leaf of the tls/ graph.
 */
#ifndef UPKI_TLS_PEM_LOAD_H
#define UPKI_TLS_PEM_LOAD_H

#include <bearssl.h>

#define TLS_MAX_CHAIN 8
#define TLS_MAX_ANCHORS 32

/* A private key copied out of a decoder, in storage we own. */
struct tls_key {
	int type;                       /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC, 0 = none */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	unsigned char *mem;             /* backing bytes of the key components */
	size_t memlen;
};

struct tls_certs {
	br_x509_certificate cert[TLS_MAX_CHAIN];
	size_t n;
};

struct tls_anchors {
	br_x509_trust_anchor ta[TLS_MAX_ANCHORS];
	size_t n;
};

/* Every certificate in a PEM file, in order. */
int tls_certs_load(struct tls_certs *c, const char *path);
void tls_certs_free(struct tls_certs *c);

/* Trust anchors from the CA certificates of a PEM file. */
int tls_anchors_load(struct tls_anchors *a, const char *path);
void tls_anchors_free(struct tls_anchors *a);

/*
 * The private key in a PEM file; with private_only the file must not be readable
 * by group or others (ERR_DENIED otherwise, logged).
 */
int tls_key_load(struct tls_key *k, const char *path, int private_only);
/* The same from PEM text in memory. */
int tls_key_parse_pem(struct tls_key *k, const unsigned char *pem, size_t len);
void tls_key_free(struct tls_key *k);

#endif
