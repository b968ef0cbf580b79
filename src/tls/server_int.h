/*
 * server_int.h (tls/ only): what the connection code and the bootstrap need
 * from a struct tls_server. Owner: server.c (uses cache.h, pem_load.h,
 * engine.h).
 */
#ifndef UPKI_TLS_SERVER_INT_H
#define UPKI_TLS_SERVER_INT_H

#include <bearssl.h>

#include "tls/pem_load.h"
#include "tls/tls.h"

/* Engine set-up of one server connection over buf[0..buflen). */
int tls_server_setup_conn(struct tls_server *ts, br_ssl_server_context *sc,
    unsigned char *buf, size_t buflen);
/* The CA certificates client certificates must chain to (n == 0: none asked). */
const struct tls_anchors *tls_server_client_cas(const struct tls_server *ts);
/* A server from a key and chain made elsewhere (bootstrap.c); takes them over. */
int tls_server_from_parts(struct tls_server **out, struct tls_key *key, struct tls_certs *chain);

#endif
