/*
 * client_int.h (tls/ only): what the connection code needs from a struct
 * tls_client. Owner: client.c (uses pem_load.h, engine.h).
 */
#ifndef UPKI_TLS_CLIENT_INT_H
#define UPKI_TLS_CLIENT_INT_H

#include <bearssl.h>

#include "tls/tls.h"

/* Engine set-up of one client connection over buf[0..buflen). */
int tls_client_setup_conn(struct tls_client *tc, br_ssl_client_context *cc,
    br_x509_minimal_context *xc, unsigned char *buf, size_t buflen);
/* Client session resumption: what a new connection may resume, and saving it. */
const br_ssl_session_parameters *tls_client_session(const struct tls_client *tc, const char *name);
void tls_client_session_save(struct tls_client *tc, const char *name, const br_ssl_session_parameters *p);
void tls_client_session_forget(struct tls_client *tc);

/* 1 for a tls_client_new_insecure() context: the server's certificate is not checked. */
int tls_client_insecure(const struct tls_client *tc);

#endif
