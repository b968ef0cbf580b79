/*
 * resolver.h: DNS lookups for ACME validation (A/AAAA for http-01 and
 * tls-alpn-01, TXT for dns-01, CAA for RFC 8659 checks), with c-ares driven by
 * the one libevent event_base.
 *
 * Only the one configured server is ever asked. The system resolver
 * configuration (/etc/resolv.conf, /etc/hosts, nsswitch, LOCALDOMAIN,
 * RES_OPTIONS) and getaddrinfo() are never consulted; names are queried exactly
 * as given (no search list, no ndots, no HOSTALIASES). The server is meant to
 * be a recursive resolver the operator trusts: answers are taken as it gives
 * them (CNAME chains are followed by the server), but only the records of the
 * wanted type whose owner is the query name, or the end of the CNAME chain in
 * the answer that starts there (at most RESOLVER_CNAME_MAX links), are taken:
 * records at other owners are ignored. Answers of any size are read safely: a
 * truncated UDP answer is asked again over TCP (up to 64 KiB), and more
 * records than the limits below is an error, never a silent cut.
 *
 * Callbacks:
 *   - run on the event loop, never from inside the call that starts the query
 *     (a query that c-ares fails at once is reported on a later loop turn);
 *   - are called exactly once per query that was started (returned 0), unless
 *     the resolver is freed first: resolver_free() cancels every pending query
 *     silently, and no callback runs after it returns;
 *   - get result arrays that are valid only during the callback (copy out);
 *   - may start new queries, and may call resolver_free() (the resolver is then
 *     torn down when the current c-ares step has unwound; no further callback).
 *
 * Result codes given to callbacks:
 *   0               the server answered NOERROR; n results (n may be 0 for TXT
 *                   and CAA: the name exists but has no record of that type)
 *   ERR_NOTFOUND    NXDOMAIN (and for addrs: no address of either family)
 *   ERR_AGAIN       SERVFAIL, REFUSED or NOTIMP from the server
 *   ERR_TIMEOUT     no answer after all tries
 *   -ECONNREFUSED   the server's port is closed (ICMP port unreachable)
 *   ERR_PROTOCOL    malformed or FORMERR answer, or a record that does not parse
 *   ERR_TOOBIG      more records, or longer records, than the limits below, or
 *                   a CNAME chain longer than RESOLVER_CNAME_MAX
 *                   (never truncated silently: for CAA a dropped record could
 *                   change the outcome)
 *   ERR_NOMEM       out of memory
 */
#ifndef UPKI_VALIDATE_RESOLVER_H
#define UPKI_VALIDATE_RESOLVER_H

#include <stddef.h>
#include <sys/socket.h>

#include "autoconf.h"
#include "validate/resolver_parse.h"   /* struct resolver_txt, resolver_caa */

struct event_base;
struct resolver;

#define RESOLVER_MAX_PENDING CONFIG_RESOLVER_MAX_PENDING /* queries in flight (addrs counts once) */
#define RESOLVER_MAX_ADDRS 16         /* at most RESOLVER_MAX_ADDRS / 2 per family */
#define RESOLVER_MAX_TXT CONFIG_RESOLVER_MAX_TXT  /* TXT RRs per answer (Kconfig) */
#define RESOLVER_MAX_CAA CONFIG_RESOLVER_MAX_CAA  /* CAA RRs per answer (Kconfig) */
#define RESOLVER_TIMEOUT_MS_MAX 60000
#define RESOLVER_TRIES_MAX 8

typedef void (*resolver_addrs_cb)(void *arg, int rc, const struct sockaddr_storage *addrs, int n);
typedef void (*resolver_txt_cb)(void *arg, int rc, const struct resolver_txt *txts, int n);
typedef void (*resolver_caa_cb)(void *arg, int rc, const struct resolver_caa *caas, int n);

/*
 * Create a resolver on base that sends every query to server (AF_INET or
 * AF_INET6, numeric, nonzero port; not the unspecified address). A try waits
 * timeout_ms (1..RESOLVER_TIMEOUT_MS_MAX) for an answer; c-ares doubles the wait
 * on each further try, so a silent server costs about timeout_ms * (2^tries - 1)
 * in all; tries is 1..RESOLVER_TRIES_MAX. Large answers use EDNS (1232 bytes)
 * and fall back to TCP on truncation.
 * Returns 0 and *out, ERR_CONFIG for a bad server, timeout or tries, ERR_NOMEM.
 * base must outlive the resolver.
 */
int resolver_new(struct resolver **out, struct event_base *base, const struct sockaddr *server,
		 socklen_t len, unsigned timeout_ms, unsigned tries);

/*
 * resolver_new() with flags: RESOLVER_F_TCP sends every query over TCP (for
 * a server reached only through a TCP forward, as from a QEMU guest with
 * user-mode networking). Unknown flags: ERR_CONFIG.
 */
#define RESOLVER_F_TCP 1u
int resolver_new_flags(struct resolver **out, struct event_base *base, const struct sockaddr *server,
		       socklen_t len, unsigned timeout_ms, unsigned tries, unsigned flags);

/* Cancel every pending query without calling its callback, and free r. NULL is a no-op. */
void resolver_free(struct resolver *r);


/*
 * Look up A and AAAA of name (both queries in parallel). The callback gets the
 * IPv4 addresses first, then the IPv6 ones (port 0), at most RESOLVER_MAX_ADDRS / 2
 * of each family in answer order (extra addresses are dropped). rc is 0 whenever
 * n > 0, even if one family failed; with n == 0 rc is the A lookup's error, else
 * the AAAA lookup's error, else ERR_NOTFOUND (both NXDOMAIN or no records).
 *
 * Names (all three lookups): letters, digits, '-' (not first or last in a label)
 * and '_' (first in a label only, for "_acme-challenge"), labels 1..63 bytes,
 * at most RESOLVER_NAME_MAX bytes, no trailing dot, no wildcard; upper case is
 * folded to lower case. The query goes out for exactly that name.
 * Returns 0 (callback later), ERR_MALFORMED (bad name), ERR_TOOBIG (already
 * RESOLVER_MAX_PENDING queries pending), ERR_NOMEM, or ERR_STATE (r or cb NULL,
 * or r being freed); the callback is not called on error.
 */
int resolver_addrs(struct resolver *r, const char *name, resolver_addrs_cb cb, void *arg);

/*
 * Look up the TXT RRs of name (for dns-01: "_acme-challenge.<domain>"). Each
 * RR's character-strings are concatenated into one resolver_txt. Return rule as
 * for resolver_addrs(); callback rc as in the table at the top.
 */
int resolver_txt(struct resolver *r, const char *name, resolver_txt_cb cb, void *arg);

/*
 * Look up the CAA RRset of exactly name (no climbing to parent names: the CAA
 * module does that, one lookup per name). rc 0 with n == 0 means the name
 * exists and has no CAA (or is a CNAME to a name without CAA); ERR_NOTFOUND is
 * NXDOMAIN; any other rc means the RRset could not be retrieved. Return rule as
 * for resolver_addrs().
 */
int resolver_caa(struct resolver *r, const char *name, resolver_caa_cb cb, void *arg);

/* Number of queries started and not yet reported (for tests and the admin page). */
int resolver_pending(const struct resolver *r);

#endif
