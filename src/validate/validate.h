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
 * address of name (A then AAAA) that the address filter allows (loopback,
 * link-local, multicast, unspecified, validation_deny_nets and the gateway's
 * own listeners are never contacted unless validation_allow_nets opens a net),
 * bounded body, at most 10 redirects (http or https, ports 80/443 or
 * http01_port, each hop's addresses filtered again, https without certificate
 * checks), a few retries for connection errors (none when every address is
 * denied); the body (trailing white space trimmed) must equal keyauth. A
 * failure's detail names the URL, the address and the HTTP status, and quotes
 * at most 32 sanitized body bytes. cb is called exactly once, never from
 * inside this call.
 */
int validate_http01(struct validator *v, const char *name, const char *token,
    const char *keyauth, validate_cb cb, void *arg);

#endif
