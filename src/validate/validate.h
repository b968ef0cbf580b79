/*
 * validate.h: challenge validation for the ACME core (RFC 8555 §8). Runs on
 * the reactor; nothing blocks. Names are resolved only through the configured
 * resolver (c-ares), never the system's.
 */
#ifndef UPKI_VALIDATE_H
#define UPKI_VALIDATE_H

struct event_base;
struct config;
struct validator;

struct validate_result {
	int ok;                  /* 1: the key authorization was found */
	char type[64];           /* ACME error name when !ok: connection, incorrectResponse, dns, ... */
	char detail[512];
};

typedef void (*validate_cb)(void *arg, const struct validate_result *res);

/* cfg: resolver address and http01_port. 0 or a negative code. */
int validator_new(struct validator **out, struct event_base *base, const struct config *cfg);

/* Pending validations are dropped without callbacks (they resume from the store at start). */
void validator_free(struct validator *v);

/*
 * http-01: GET http://name:port/.well-known/acme-challenge/<token> at every
 * address of name (A then AAAA), bounded body, bounded redirects, a few
 * retries for connection errors; the body (trailing white space trimmed) must
 * equal keyauth. cb is called exactly once, never from inside this call.
 */
int validate_http01(struct validator *v, const char *name, const char *token,
    const char *keyauth, validate_cb cb, void *arg);

/*
 * tls-alpn-01 (RFC 8737): at every address of name (A then AAAA) on
 * tlsalpn01_port (443 unless set), a TLS handshake offering only ALPN
 * "acme-tls/1" with SNI name; the server must select acme-tls/1 and show a
 * certificate with exactly one subjectAltName, the dNSName name, and a
 * critical acmeIdentifier holding SHA-256(keyauth). Connection failures are
 * retried over the addresses a bounded number of times; a wrong answer ends it.
 * Failure types: dns, connection, tls (handshake failed, no ALPN),
 * incorrectResponse (certificate), each detail naming the address. Returns
 * ERR_UNSUPPORTED for a wildcard name, ERR_TOOBIG over the limits; cb is
 * called exactly once, never from inside this call.
 */
int validate_tlsalpn01(struct validator *v, const char *name, const char *keyauth,
    validate_cb cb, void *arg);

#endif
