/*
 * order_view.h: the order resource as the client sees it (order_view.c).
 * One owner for what newOrder/order POST (order.c) and finalize (finalize.c)
 * share, so that neither of those calls the other.
 */
#ifndef UPKI_ACME_ORDER_VIEW_H
#define UPKI_ACME_ORDER_VIEW_H

#include <stddef.h>
#include <stdint.h>

struct acme;
struct http_req;
struct rec_order;
struct store_txn;

/* The order's JSON (RFC 8555 §7.1.3) into buf; its length, or a negative code. */
int acme_order_json(struct acme *a, const struct rec_order *o, char *buf, size_t sz);

/*
 * Bring a pending or ready order up to date from its authorizations (inside
 * t): all valid -> ready; any invalid/deactivated/expired/revoked -> invalid;
 * past its expiry -> invalid. Returns 1 if o changed.
 */
int acme_order_refresh(struct store_txn *t, struct rec_order *o, int64_t now);

/* Answer 200 with the order, its Location, and Retry-After while it is processing. */
void acme_order_reply(struct acme *a, struct http_req *req, const struct rec_order *o);

/* Seconds a client should wait before polling a processing order (the issuer's, at least 1). */
unsigned acme_retry_after(struct acme *a, const struct rec_order *o);

#endif
