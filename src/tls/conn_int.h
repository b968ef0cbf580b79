/*
 * conn_int.h (tls/ only): the header every kind of connection starts with, so
 * that the pump in conn.c drives them all and tls_conn_free() frees them in
 * one call. Owner: conn.c; alpn.c builds its own kind on it.
 */
#ifndef UPKI_TLS_CONN_INT_H
#define UPKI_TLS_CONN_INT_H

#include <bearssl.h>

struct x509_capture;
struct tls_client;

struct tls_conn {
	br_ssl_engine_context *eng;
	struct x509_capture *cap;
	struct tls_client *client;   /* client side: where to keep the session */
	char name[256];              /* client side: server name, "" for none */
	int sock_err;          /* -errno of the last failed socket call */
	unsigned char ready;
	unsigned char eof;     /* peer closed the TCP stream */
	unsigned char closing; /* close_notify queued (tls_conn_close / tls_conn_shutdown) */
};

#endif
