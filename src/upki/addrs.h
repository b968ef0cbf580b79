/*
 * addrs.h: the addresses of upki_url's host name (addrs.c), as the resolver
 * gave them: kept for a bounded time, tried in turn when a connection fails.
 * Pure: no I/O, no allocation; session.c does the lookups and the connects.
 */
#ifndef UPKI_ADDRS_H
#define UPKI_ADDRS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define UPKI_ADDRS_MAX 16     /* as many as resolver_addrs() gives (RESOLVER_MAX_ADDRS) */

struct upki_addrs {
	struct sockaddr_storage v[UPKI_ADDRS_MAX];
	int n;                /* 0: nothing known (look the name up) */
	int cur;              /* the address in use */
	int tried;            /* addresses that failed in this operation */
	uint64_t until_ms;    /* monotonic ms: after it the name is looked up again */
};

/*
 * Keep the n (at most UPKI_ADDRS_MAX, the rest dropped) AF_INET/AF_INET6
 * addresses of an answer, in order, with port set, until now_ms + keep_s.
 * Other families are skipped. Returns the number kept.
 */
int upki_addrs_set(struct upki_addrs *a, const struct sockaddr_storage *v, int n, unsigned port,
    uint64_t now_ms, unsigned keep_s);

/* The address to connect to now and its length, or NULL: none kept, or kept too long. */
const struct sockaddr_storage *upki_addrs_current(const struct upki_addrs *a, uint64_t now_ms,
    socklen_t *len);

/* A new operation: every address may be tried again. */
void upki_addrs_op_start(struct upki_addrs *a);

/*
 * The current address could not be connected to: 1 and the next one becomes
 * current, or 0 when every address failed in this operation (the answer is
 * then forgotten, so that the next operation asks DNS again).
 */
int upki_addrs_next(struct upki_addrs *a);

/* Forget the answer (a TLS failure or a DNS change: ask again next time). */
void upki_addrs_forget(struct upki_addrs *a);

/* "192.0.2.7:443", "[2001:db8::1]:443". Returns out. */
const char *upki_addr_text(const struct sockaddr_storage *sa, char *out, size_t outsz);

/* What a resolver_addrs() error means, for the log line (resolver.h codes). */
const char *upki_dns_err_text(int rc);

#endif
