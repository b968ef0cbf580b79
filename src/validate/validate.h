/*
 * validate.h: challenge validation for the ACME core (RFC 8555 §8). Runs on
 * the reactor; nothing blocks. Names are resolved only through the configured
 * resolver (c-ares), never the system's.
 */
#ifndef UPKI_VALIDATE_H
#define UPKI_VALIDATE_H

#include <stddef.h>

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
 * dns-01 (RFC 8555 §8.4): look up TXT at "_acme-challenge.<name>" through the
 * configured resolver (name is the authorization's identifier: for a wildcard
 * "*.x" that is "x", so the record is at "_acme-challenge.x"). Valid when any
 * one TXT record (its strings concatenated) equals dns01_digest(keyauth);
 * records under other owners than that name or the end of its CNAME chain do
 * not count (see resolver.h). A SERVFAIL, timeout or refused query is asked
 * again, 3 lookups in all, 1 s apart; an answer is final. Failures, with a
 * detail that says what was seen (values shown sanitized and cut):
 *   dns                NXDOMAIN, SERVFAIL/timeout after the retries, malformed
 *                      or oversized answer, no resolver configured
 *   unauthorized       the name exists but has no TXT record
 *   incorrectResponse  TXT records, none of them the digest
 * cb is called exactly once, never from inside this call. Returns 0, or
 * ERR_TOOBIG (too many running, or over-long arguments), ERR_NOMEM, ERR_STATE.
 */
int validate_dns01(struct validator *v, const char *name, const char *keyauth,
    validate_cb cb, void *arg);

/*
 * The dns-01 TXT value for keyauth: base64url(SHA-256(keyauth)), 43
 * characters and a NUL into out (cap >= 44). 0 or ERR_TOOBIG.
 */
int dns01_digest(const char *keyauth, char *out, size_t cap);

#endif
