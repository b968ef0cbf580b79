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

/*
 * CAA (RFC 8659, RFC 8657; the rules implemented: validate/caa_parse.h).
 * One item is one identifier, checked by its own climb of lookups; the item
 * is copied into its result, so a result always names what it is about.
 */
#define VALIDATE_CAA_RECORDS_MAX 320    /* text of the relevant record set */

struct validate_caa_item {
	char name[254];          /* the identifier ("*." prefix allowed: wildcard) */
	int wildcard;            /* the certificate name is "*." + name */
	char method[16];         /* challenge type that validated it: "http-01", ... */
	char account_uri[256];   /* the account's URL, for accounturi */
	unsigned long long tag;  /* the caller's (an authorization id): copied untouched */
};

struct validate_caa_result {
	struct validate_caa_item item;   /* the item this result is about */
	int ok;                          /* 1: issuance permitted */
	int failed;                      /* !ok because a lookup failed (not a refusal) */
	char type[16];                   /* when !ok: "caa" (refused) or "dns" (lookup failed) */
	char detail[512];                /* names the identifier, the record set and the rule */
	char where[254];                 /* where the relevant set was found; "" none */
	char records[VALIDATE_CAA_RECORDS_MAX + 1];
	unsigned lookups;                /* DNS lookups this check made */
};

typedef void (*validate_caa_cb)(void *arg, const struct validate_caa_result *res);
typedef void (*validate_caa_all_cb)(void *arg, const struct validate_caa_result *res, size_t n);

/*
 * Check one identifier: cb exactly once, never from inside this call (unless
 * the validator is freed first: then never). Returns 0, ERR_MALFORMED (bad
 * name), ERR_STATE (no resolver), ERR_TOOBIG (too many checks running),
 * ERR_NOMEM.
 */
int validate_caa(struct validator *v, const struct validate_caa_item *it, validate_caa_cb cb,
    void *arg);

/*
 * Check n items (1..VALIDATE_CAA_ALL_MAX), each by its own lookups, at the
 * same time; cb once with all n results (in any order: match them by their
 * item, never by position). An item that cannot start has a failed result.
 * Returns as validate_caa() when no item could start.
 */
#define VALIDATE_CAA_ALL_MAX 128
int validate_caa_all(struct validator *v, const struct validate_caa_item *items, size_t n,
    validate_caa_all_cb cb, void *arg);

/*
 * The issuer names of cfg's caa_identities, lower case, for the directory's
 * caaIdentities: at most max into names; the count (0 if the setting is bad).
 */
size_t validate_caa_identities(const struct config *cfg, char (*names)[254], size_t max);

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
