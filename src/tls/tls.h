/*
 * tls.h: BearSSL TLS 1.2 on non-blocking sockets, driven by the caller's event
 * loop (the engine state says what to wait for, as BearSSL's tools/sslio.c does).
 *
 * Private keys live only here (and in upki/). One struct tls_server holds the
 * server key and chain shared by all connections; one struct tls_conn per
 * connection holds the engine and a single "mono" buffer, so an idle connection
 * costs about sizeof(br_ssl_server_context) + BR_SSL_BUFSIZE_MONO bytes.
 */
#ifndef UPKI_TLS_H
#define UPKI_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct tls_server;
struct tls_client;
struct tls_conn;

/*
 * Server key and chain from PEM files (key: EC or RSA, "EC PRIVATE KEY",
 * "RSA PRIVATE KEY" or "PRIVATE KEY"; chain: leaf first). The key file must not be
 * readable by group or others. 0 or a negative code; errors are logged with the path.
 */
int tls_server_load(struct tls_server **out, const char *key_path, const char *chain_path);

/*
 * The bootstrap key and certificate under dir (dir/tls-key.pem, dir/tls-cert.pem):
 * on first start an ECDSA P-256 key is generated and stored with mode 0600, and a
 * self-signed certificate for names ("localhost, 127.0.0.1, ::1": IP literals
 * become iPAddress SANs) is written. Later starts reuse the key; the certificate is
 * re-made (same key) when names change or it expires within 30 days.
 */
int tls_server_bootstrap(struct tls_server **out, const char *dir, const char *names);

/*
 * Require a client certificate that chains to one of the CA certificates in
 * ca_pem_path (used by the UPKI simulator for the RA officer login).
 */
int tls_server_require_client_cert(struct tls_server *ts, const char *ca_pem_path);

void tls_server_free(struct tls_server *ts);

/* SHA-256 fingerprint of the server's leaf certificate (for logs and the demo). */
int tls_server_leaf_sha256(const struct tls_server *ts, unsigned char out[32]);

/* Leaf certificate of the server chain, DER; valid while ts lives. */
const unsigned char *tls_server_leaf(const struct tls_server *ts, size_t *len);

/*
 * Client context: trust anchors from ca_pem_path (CA certificates, PEM), and an
 * optional client certificate chain and key (PEM; key mode 0600 enforced, a
 * group- or world-readable key is refused with ERR_DENIED). NULL paths: no client
 * certificate.
 */
int tls_client_new(struct tls_client **out, const char *ca_pem_path, const char *cert_path,
    const char *key_path);
void tls_client_free(struct tls_client *tc);

/*
 * A client context that accepts any server certificate (no trust anchors, no
 * name check, no client certificate): only where the certificate proves
 * nothing by design, as for http-01 redirects to https (RFC 8555 §8.3). The
 * server's key is still taken from its certificate for the handshake.
 */
int tls_client_new_insecure(struct tls_client **out);

/* A server-side connection; reset and ready for the ClientHello. */
int tls_conn_new_server(struct tls_conn **out, struct tls_server *ts);

/*
 * A client-side connection. server_name is sent as SNI and matched against the
 * server certificate's names; NULL skips both (the chain is still verified).
 */
int tls_conn_new_client(struct tls_conn **out, struct tls_client *tc, const char *server_name);

void tls_conn_free(struct tls_conn *c);

/*
 * Read up to len plaintext bytes, doing whatever socket I/O the engine needs.
 * Returns the byte count (> 0), 0 when the peer closed cleanly (close_notify),
 * ERR_AGAIN when it must wait (see tls_conn_want), ERR_CLOSED when the peer
 * dropped the socket without close_notify, ERR_TLS on a protocol failure
 * (tls_conn_error() tells which).
 */
ssize_t tls_conn_read(struct tls_conn *c, int fd, void *buf, size_t len);

/*
 * Queue up to len plaintext bytes and push records to the socket. Returns bytes
 * taken (> 0), ERR_AGAIN, or an error as tls_conn_read. Call tls_conn_flush
 * after the last write of a message.
 */
ssize_t tls_conn_write(struct tls_conn *c, int fd, const void *buf, size_t len);

/* Push all pending records; 0 when nothing is left, ERR_AGAIN, or an error. */
int tls_conn_flush(struct tls_conn *c, int fd);

/* Send close_notify (best effort, never blocks). */
void tls_conn_close(struct tls_conn *c, int fd);

/*
 * Send close_notify and push every pending record: 0 once all is on the socket,
 * ERR_AGAIN when it must wait for EV_WRITE (call again), or an error. Queues the
 * alert once however often it is called. Incoming records are not read.
 */
int tls_conn_shutdown(struct tls_conn *c, int fd);

/* Events the engine waits for: EV_READ and/or EV_WRITE (libevent flags). */
short tls_conn_want(struct tls_conn *c);

/* 1 once the handshake completed. */
int tls_conn_ready(struct tls_conn *c);

/*
 * 1 when the engine takes application data now (tls_conn_write would not
 * return ERR_AGAIN at once). tls_conn_want does not say so: a writer with data
 * to send must wait for EV_WRITE then, or it waits for a peer that is waiting
 * for it (the handshake can complete inside tls_conn_read).
 */
int tls_conn_accepts_app(struct tls_conn *c);

/* BearSSL error code of a failed connection (BR_ERR_*), 0 if none. */
int tls_conn_error(struct tls_conn *c);

/* The peer's end-entity certificate (DER) after a client-certificate handshake. */
const unsigned char *tls_conn_peer_cert(const struct tls_conn *c, size_t *len);

/* Bytes one connection object takes (for benchmarks and admission). */
size_t tls_conn_size(int server);

/* ---- tls_error.c: what a BearSSL error code means ---- */

enum tls_error_kind {
	TLS_ERROR_NONE = 0,            /* no error (0) */
	TLS_ERROR_SERVER_UNTRUSTED,    /* we rejected the server's certificate (BR_ERR_X509_*) */
	TLS_ERROR_CLIENT_REFUSED,      /* the peer sent a certificate-related fatal alert */
	TLS_ERROR_OTHER,
};

/* The kind of a tls_conn_error() code, for the operator. */
enum tls_error_kind tls_error_kind(int err);

/* The fatal alert number the peer sent (0..255) for a tls_conn_error() code, else -1. */
int tls_error_alert(int err);

/*
 * Name and meaning of a tls_conn_error() code, e.g. "BR_ERR_X509_NOT_TRUSTED:
 * the server certificate does not chain to a trusted CA" or "BR_ERR_RECV_FATAL_ALERT:
 * the server sent alert 48 (unknown_ca)". Valid until the next call (one static
 * buffer for alerts: the reactor thread only).
 */
const char *tls_error_name(int err);

/* ---- alpn.c: the tls-alpn-01 validation client (RFC 8737) ---- */

#define TLS_ALPN_ACME "acme-tls/1"
#define TLS_ALPN_CERT_MAX 4096            /* largest end-entity certificate kept */
#define TLS_ALPN_BUFSIZE (4096 + 325)     /* record buffer: 4 KiB fragments + overhead */

/*
 * A client connection for tls-alpn-01: TLS 1.2 offering only the ALPN
 * protocol "acme-tls/1", server_name as SNI, and no certificate checks at all
 * (no chain, no name, no dates): the peer's end-entity certificate (at most
 * TLS_ALPN_CERT_MAX bytes, else the handshake fails with
 * BR_ERR_X509_LIMIT_EXCEEDED) is kept for tls_conn_alpn_cert(). Its record
 * buffer is TLS_ALPN_BUFSIZE bytes, so the whole connection takes
 * tls_conn_alpn_size() bytes. Drive the handshake with tls_conn_read() and
 * tls_conn_want() until tls_conn_ready(); send no application data; free with
 * tls_conn_free(). 0, ERR_TOOBIG (name of 256 bytes or more), ERR_NOMEM, ERR_TLS.
 */
int tls_conn_new_alpn(struct tls_conn **out, const char *server_name);

/* The ALPN protocol the server selected, or NULL when it selected none. */
const char *tls_conn_alpn_selected(const struct tls_conn *c);

/*
 * The peer's end-entity certificate (DER) on a tls_conn_new_alpn() connection
 * once the server's Certificate message was read; NULL (*len 0) before, when it
 * was too big, or on any other kind of connection. Valid until tls_conn_free().
 */
const unsigned char *tls_conn_alpn_cert(const struct tls_conn *c, size_t *len);

/* 1 when the server's certificate was over TLS_ALPN_CERT_MAX (the handshake failed for it). */
int tls_conn_alpn_cert_too_big(const struct tls_conn *c);

/* Bytes one tls_conn_new_alpn() connection takes (for figures). */
size_t tls_conn_alpn_size(void);

#endif
