/*
 * What the per-account limits and the deleting sweep need, kept by the typed
 * puts and deletes in the same transaction as every status change
 * (records_int.h rec_order_life / rec_authz_life):
 *
 *   ACCOUNT_PENDING  account id -> orders (4, BE) || authzs (4, BE): the
 *                    account's pending/ready orders and pending authorizations
 *   AUTHZ_BY_ORDER   authz id || order id -> empty: the orders that refer to
 *                    an authorization (one authorization serves many orders)
 *   ORDER_BY_END     expires || order id -> empty: invalid orders
 *   AUTHZ_BY_END     expires || authz id -> empty: invalid, deactivated,
 *                    expired and revoked authorizations
 *
 * A counter is a cached count, not a scan: the limits read one key. Since
 * every status change goes through store_order_put/store_authz_put (and the
 * sweep's deletes), the counters follow finalize, deactivation, invalidation
 * and expiry wherever they happen; they are durable, so a restart keeps them.
 */
#include <stdint.h>
#include <string.h>

#include "store/records_int.h"
#include "store/store_int.h"
#include "util/err.h"
#include "util/log.h"

#define LIFE_MIGRATE_BATCH 256

static int
order_pending(const struct rec_order *o)
{
	return o != NULL && (o->status == REC_ORDER_PENDING || o->status == REC_ORDER_READY);
}

static int
order_ended(const struct rec_order *o)
{
	return o != NULL && o->status == REC_ORDER_INVALID && o->expires != 0;
}

static int
authz_pending(const struct rec_authz *a)
{
	return a != NULL && a->status == REC_AUTHZ_PENDING;
}

int
rec_authz_ended(const struct rec_authz *a)
{
	return a != NULL && a->expires != 0 && !rec_authz_live(a);
}

int
rec_order_ended(const struct rec_order *o)
{
	return order_ended(o);
}

int
store_account_pending(struct store_txn *t, uint64_t account_id, struct store_pending *out)
{
	uint8_t k[8];
	const void *v = NULL;
	size_t vlen = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	store_be64_put(k, account_id);
	rc = store_get(t, STORE_DB_ACCOUNT_PENDING, k, sizeof(k), &v, &vlen);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (vlen != 8) {
		log_err("store: account_pending entry of account %llu is malformed",
			(unsigned long long)account_id);
		return ERR_MALFORMED;
	}
	out->orders = store_be32_get(v);
	out->authzs = store_be32_get((const uint8_t *)v + 4);
	return 0;
}

/* Add d_orders and d_authzs (each -1, 0 or +1) to the account's counters, never below 0. */
static int
pending_add(struct store_txn *t, uint64_t account_id, int d_orders, int d_authzs)
{
	struct store_pending p;
	uint8_t k[8], v[8];
	int rc;

	if ((d_orders == 0 && d_authzs == 0) || account_id == 0)
		return 0;
	rc = store_account_pending(t, account_id, &p);
	if (rc == ERR_MALFORMED)
		rc = 0;         /* logged: start again from what this change says */
	if (rc != 0)
		return rc;
	if (d_orders > 0 && p.orders < UINT32_MAX)
		p.orders++;
	else if (d_orders < 0 && p.orders > 0)
		p.orders--;
	if (d_authzs > 0 && p.authzs < UINT32_MAX)
		p.authzs++;
	else if (d_authzs < 0 && p.authzs > 0)
		p.authzs--;
	store_be64_put(k, account_id);
	if (p.orders == 0 && p.authzs == 0)
		return rec_idx_del_quiet(t, STORE_DB_ACCOUNT_PENDING, k, sizeof(k));
	store_be32_put(v, p.orders);
	store_be32_put(v + 4, p.authzs);
	return store_put(t, STORE_DB_ACCOUNT_PENDING, k, sizeof(k), v, sizeof(v), 0);
}

static int
ids_have(const uint64_t *ids, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

static int
end_move(struct store_txn *t, enum store_db db, int was, int64_t old_when, int is,
	 int64_t new_when, uint64_t id)
{
	uint8_t k[16];
	int rc = 0;

	if (was && is && old_when == new_when)
		return 0;
	if (was) {
		rec_key_time_id(k, old_when, id);
		rc = rec_idx_del_quiet(t, db, k, sizeof(k));
	}
	if (rc == 0 && is) {
		rec_key_time_id(k, new_when, id);
		rc = store_put(t, db, k, sizeof(k), "", 0, 0);
	}
	return rc;
}

int
rec_order_life(struct store_txn *t, const struct rec_order *old, const struct rec_order *r)
{
	const struct rec_order *o = r != NULL ? r : old;
	uint8_t k[16];
	int rc;

	if (o == NULL)
		return 0;
	if (old != NULL && r != NULL && old->account_id != r->account_id) {
		rc = pending_add(t, old->account_id, order_pending(old) ? -1 : 0, 0);
		if (rc == 0)
			rc = pending_add(t, r->account_id, order_pending(r) ? 1 : 0, 0);
	} else {
		rc = pending_add(t, o->account_id, order_pending(r) - order_pending(old), 0);
	}
	if (rc == 0)
		rc = end_move(t, STORE_DB_ORDER_BY_END, order_ended(old), old ? old->expires : 0,
			      order_ended(r), r ? r->expires : 0, o->id);
	/* Authorization references: drop the ones gone, add the new ones. */
	for (size_t i = 0; rc == 0 && old != NULL && i < old->n_idents; i++) {
		uint64_t az = old->authz_ids[i];

		if (az == 0 || (r != NULL && ids_have(r->authz_ids, r->n_idents, az)))
			continue;
		store_be64_put(k, az);
		store_be64_put(k + 8, o->id);
		rc = rec_idx_del_quiet(t, STORE_DB_AUTHZ_BY_ORDER, k, sizeof(k));
	}
	for (size_t i = 0; rc == 0 && r != NULL && i < r->n_idents; i++) {
		uint64_t az = r->authz_ids[i];

		if (az == 0 || (old != NULL && ids_have(old->authz_ids, old->n_idents, az)))
			continue;
		store_be64_put(k, az);
		store_be64_put(k + 8, o->id);
		rc = store_put(t, STORE_DB_AUTHZ_BY_ORDER, k, sizeof(k), "", 0, 0);
	}
	return rc;
}

int
rec_authz_life(struct store_txn *t, const struct rec_authz *old, const struct rec_authz *r)
{
	const struct rec_authz *a = r != NULL ? r : old;
	int rc;

	if (a == NULL)
		return 0;
	if (old != NULL && r != NULL && old->account_id != r->account_id) {
		rc = pending_add(t, old->account_id, 0, authz_pending(old) ? -1 : 0);
		if (rc == 0)
			rc = pending_add(t, r->account_id, 0, authz_pending(r) ? 1 : 0);
	} else {
		rc = pending_add(t, a->account_id, 0, authz_pending(r) - authz_pending(old));
	}
	if (rc == 0)
		rc = end_move(t, STORE_DB_AUTHZ_BY_END, rec_authz_ended(old), old ? old->expires : 0,
			      rec_authz_ended(r), r ? r->expires : 0, a->id);
	return rc;
}

struct ref_collect {
	uint64_t authz_id;
	uint64_t *ids;
	size_t n, max;
};

static int
ref_collect_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct ref_collect *c = arg;

	(void)v;
	(void)vl;
	if (kl != 16 || store_be64_get(k) != c->authz_id || c->n >= c->max)
		return 1;
	if (c->ids != NULL)
		c->ids[c->n] = store_be64_get((const uint8_t *)k + 8);
	c->n++;
	return 0;
}

int
store_authz_refs(struct store_txn *t, uint64_t authz_id, uint64_t *order_ids, size_t max,
		 size_t *n)
{
	struct ref_collect c = { authz_id, order_ids, 0, max };
	uint8_t k[8];
	int rc;

	*n = 0;
	if (max == 0)
		return 0;
	store_be64_put(k, authz_id);
	rc = store_scan(t, STORE_DB_AUTHZ_BY_ORDER, k, sizeof(k), ref_collect_cb, &c, max);
	*n = c.n;
	return rc < 0 ? rc : 0;
}

/* Migration 3 -> 4: the counters, references and end indexes of what is stored. */
int
store_life_migrate(struct store_txn *t)
{
	static uint64_t ids[LIFE_MIGRATE_BATCH];
	static struct rec_order o;
	static struct rec_authz a;
	uint64_t after = 0;
	size_t n = 0, orders = 0, authzs = 0, unreadable = 0;
	int rc;

	do {
		rc = store_id_list(t, STORE_DB_ORDER, after, ids, LIFE_MIGRATE_BATCH, &n);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			after = ids[i];
			rc = rec_old_usable(store_order_get(t, ids[i], &o));
			unreadable += rc == 0;
			if (rc == 1 && (rc = rec_order_life(t, NULL, &o)) == 0)
				orders++;
		}
	} while (rc == 0 && n == LIFE_MIGRATE_BATCH);
	after = 0;
	while (rc == 0) {
		rc = store_id_list(t, STORE_DB_AUTHZ, after, ids, LIFE_MIGRATE_BATCH, &n);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			after = ids[i];
			rc = rec_old_usable(store_authz_get(t, ids[i], &a));
			unreadable += rc == 0;
			if (rc == 1 && (rc = rec_authz_life(t, NULL, &a)) == 0)
				authzs++;
		}
		if (n < LIFE_MIGRATE_BATCH)
			break;
	}
	if (rc != 0)
		return rc;
	log_info("store: %zu order(s) and %zu authorization(s) counted and indexed for the "
		 "sweep, %zu unreadable skipped", orders, authzs, unreadable);
	return 0;
}
