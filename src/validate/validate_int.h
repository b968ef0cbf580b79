/*
 * validate_int.h: what the validation methods share inside src/validate/.
 * The validator (validator.c) owns the event base, the resolver and the
 * settings; each method (http01.c, and the others as they come) keeps its own
 * list of running validations and frees it in its *_cancel_all(), which
 * validator_free() calls without running any callback.
 */
#ifndef UPKI_VALIDATE_INT_H
#define UPKI_VALIDATE_INT_H

#include <stdarg.h>

#include <stddef.h>
#include <sys/socket.h>

#include "util/config.h"

struct event_base;
struct resolver;
struct tls_client;
struct v01;
struct caa_job;
struct va01;
struct d01;

struct validator {
	struct event_base *base;
	struct resolver *res;        /* NULL: no resolver configured, every validation fails */
	int http01_port;             /* port of http-01 GETs (80 unless set for tests) */
	struct v01 *http01_pending;  /* running http-01 validations (http01.c) */
	unsigned http01_npending;
	struct caa_job *caa_pending;      /* running CAA checks (caa.c) */
	unsigned caa_npending;
	struct caa_issuers *caa_issuers;  /* caa_identities, parsed */
	struct tls_client *http01_tls; /* https redirects, no certificate checks (made on first use) */
	/* Address filter (netfilter.c): configured nets and the gateway's own listeners. */
	struct config_nets builtin_nets, deny_nets, allow_nets;
	struct sockaddr_storage own[CONFIG_MAX_LISTEN];
	int n_own;
	int tlsalpn01_port;              /* port of tls-alpn-01 handshakes (443 unless set) */
	struct va01 *tlsalpn01_pending;  /* running tls-alpn-01 validations (tlsalpn01.c) */
	unsigned tlsalpn01_npending;
	struct d01 *dns01_pending;   /* running dns-01 validations (dns01.c) */
	unsigned dns01_npending;
};

/* Drop every running http-01 validation without calling its callback; free http01_tls. */
void http01_cancel_all(struct validator *v);
/* Drop every running tls-alpn-01 validation without calling its callback. */
void tlsalpn01_cancel_all(struct validator *v);
/* Drop every running dns-01 validation without calling its callback. */
void dns01_cancel_all(struct validator *v);

struct config;
/* Parse cfg->caa_identities into v->caa_issuers: 0, ERR_CONFIG (logged), ERR_NOMEM. */
int caa_issuers_new(struct validator *v, const struct config *cfg);

/* Drop every running CAA check without calling its callback. */
void caa_cancel_all(struct validator *v);
/*
 * The one address filter every method uses before it connects anywhere
 * (netfilter.c). sa: the address and port about to be connected to. Denied:
 * the built-in nets (loopback, link-local, multicast, unspecified/"this
 * network", broadcast, IPv4-compatible and the IPv4-mapped forms of all
 * IPv4 ones), the configured validation_deny_nets, and the gateway's own
 * listeners (address and port; a 0.0.0.0 or [::] listener counts for every
 * local address). validation_allow_nets overrides the nets, never the own
 * listeners. Returns 0 (allowed) or ERR_DENIED with a short reason in why
 * ("169.254.169.254 is in the denied net 169.254.0.0/16 (link-local)");
 * ERR_UNSUPPORTED for a family other than IPv4/IPv6.
 */
int validate_addr_check(const struct validator *v, const struct sockaddr *sa, socklen_t len,
    char *why, size_t cap);

/* Fill v's filter from cfg (validator_new): nets and own listeners. */
void netfilter_setup(struct validator *v, const struct config *cfg);

/* "a.b.c.d" / "v6" of sa (no port) into buf; buf on success, "?" otherwise. */
const char *validate_addr_str(const struct sockaddr *sa, char *buf, size_t cap);

/*
 * The result every method hands to its callback: ok, and when !ok the ACME
 * error type and the detail from fmt, with every byte outside printable ASCII
 * replaced by '?' (details quote what a peer sent).
 */
struct validate_result;
void validate_result_vset(struct validate_result *r, int ok, const char *type, const char *fmt,
    va_list ap) __attribute__((format(printf, 4, 0)));

#endif
