/* tls_int.h: shared between the files of src/tls/ only. */
#ifndef UPKI_TLS_INT_H
#define UPKI_TLS_INT_H

#include <bearssl.h>

#include "tls/tls.h"

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


#define TLS_PEER_CERT_MAX 4096
#define TLS_PEER_SESSIONS 64    /* resumable sessions whose client certificate is kept */

struct x509_capture;
struct tls_peer_ent;

/*
 * The server's session cache: BearSSL's LRU cache, plus (on listeners that
 * require client certificates) the client certificate of each session, so a
 * resumed session keeps the identity proven in its full handshake. A session
 * whose certificate is not kept is not resumed.
 */
struct tls_sess_cache {
	const br_ssl_session_cache_class *vtable;
	br_ssl_session_cache_lru lru;
	struct tls_peer_ent *peers;     /* NULL: no client certificates to keep */
	unsigned next;
};

void tls_sess_cache_init(struct tls_sess_cache *c, unsigned char *mem, size_t len);
int tls_sess_cache_keep_peers(struct tls_sess_cache *c);
void tls_sess_cache_free(struct tls_sess_cache *c);

/* The capture (client certificate) of the server connection owning sc, or NULL. */
struct x509_capture *tls_conn_capture_of(br_ssl_server_context *sc);
/* Copy out / in a capture's end-entity certificate. */
size_t tls_capture_get(const struct x509_capture *cap, unsigned char *out, size_t outsz);
void tls_capture_set(struct x509_capture *cap, const unsigned char *der, size_t len);

/* Client session resumption (client.c): what a new connection may resume, and saving it. */
const br_ssl_session_parameters *tls_client_session(const struct tls_client *tc, const char *name);
void tls_client_session_save(struct tls_client *tc, const char *name, const br_ssl_session_parameters *p);
void tls_client_session_forget(struct tls_client *tc);

/* Between the files of src/tls/: engine set-up per connection, the parts of a server. */
int tls_server_setup_conn(struct tls_server *ts, br_ssl_server_context *sc,
    unsigned char *buf, size_t buflen);
const struct tls_anchors *tls_server_client_cas(const struct tls_server *ts);
int tls_client_setup_conn(struct tls_client *tc, br_ssl_client_context *cc,
    br_x509_minimal_context *xc, unsigned char *buf, size_t buflen);
/* A server from a key and chain made elsewhere (bootstrap.c); takes them over. */
int tls_server_from_parts(struct tls_server **out, struct tls_key *key, struct tls_certs *chain);

/* Cipher suites, versions and algorithms common to server and client engines. */
void tls_engine_setup(br_ssl_engine_context *eng, int rsa_key);

#endif
