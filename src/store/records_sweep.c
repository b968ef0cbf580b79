/* Admin listings, the expiry sweep and the deleting sweep. */
#include <stdint.h>

#include "store/records_int.h"
#include "util/err.h"

/* ---- listings and sweep ------------------------------------------------------------------ */

int
store_id_list(struct store_txn *t, enum store_db db, uint64_t after_id, uint64_t *ids,
	      size_t max, size_t *n)
{
	uint8_t start[8];

	*n = 0;
	if (db != STORE_DB_ACCOUNT && db != STORE_DB_ORDER && db != STORE_DB_AUTHZ &&
	    db != STORE_DB_CERT && db != STORE_DB_JOB)
		return ERR_RANGE;
	if (after_id == UINT64_MAX)
		return 0;
	store_be64_put(start, after_id + 1);
	return rec_id_list_range(t, db, start, sizeof(start), NULL, 0, ids, max, n);
}

/* Index entries (time || id) due at now, at most max. */
static int
sweep_due(struct store_txn *t, enum store_db db, int64_t now, struct store_expiry *due,
	  size_t max, size_t *n)
{
	struct rec_expiry_collect c = { due, 0, max };
	uint8_t end[8];
	int rc;

	*n = 0;
	if (max == 0)
		return 0;
	store_time_key(end, now == INT64_MAX ? now : now + 1);
	rc = store_scan_range(t, db, NULL, 0, end, now == INT64_MAX ? 0 : sizeof(end),
			      rec_expiry_collect_cb, &c, max);
	*n = c.n;
	return rc < 0 ? rc : 0;
}

/*
 * An entry whose record is gone, unreadable or no longer live at that time is
 * stale: drop it, or it would sit at the front of every later sweep.
 */
static int
sweep_drop(struct store_txn *t, enum store_db db, const struct store_expiry *e)
{
	uint8_t k[16];

	rec_key_time_id(k, e->not_after, e->cert_id);
	return rec_idx_del_quiet(t, db, k, sizeof(k));
}

static int
sweep_orders(struct store_txn *t, int64_t now, size_t max, size_t *done)
{
	struct store_expiry due[STORE_SWEEP_MAX];
	struct rec_order o;
	size_t n;
	int rc = sweep_due(t, STORE_DB_ORDER_BY_EXPIRY, now, due, max, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = rec_old_usable(store_order_get(t, due[i].cert_id, &o));
		if (rc == 1 && rec_order_live(&o) && o.expires == due[i].not_after) {
			o.status = REC_ORDER_INVALID;
			rc = store_order_put(t, &o);
		} else if (rc >= 0) {
			rc = sweep_drop(t, STORE_DB_ORDER_BY_EXPIRY, &due[i]);
		}
		if (rc == 0)
			(*done)++;
	}
	return rc;
}

static int
sweep_authzs(struct store_txn *t, int64_t now, size_t max, size_t *done)
{
	struct store_expiry due[STORE_SWEEP_MAX];
	struct rec_authz a;
	size_t n;
	int rc = sweep_due(t, STORE_DB_AUTHZ_BY_EXPIRY, now, due, max, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = rec_old_usable(store_authz_get(t, due[i].cert_id, &a));
		if (rc == 1 && rec_authz_live(&a) && a.expires == due[i].not_after) {
			a.status = REC_AUTHZ_EXPIRED;
			rc = store_authz_put(t, &a);
		} else if (rc >= 0) {
			rc = sweep_drop(t, STORE_DB_AUTHZ_BY_EXPIRY, &due[i]);
		}
		if (rc == 0)
			(*done)++;
	}
	return rc;
}

int
store_sweep_expired(struct store_txn *t, int64_t now, size_t max, size_t *swept)
{
	size_t done = 0;
	int rc;

	*swept = 0;
	if (max > STORE_SWEEP_MAX)
		max = STORE_SWEEP_MAX;
	rc = sweep_orders(t, now, max, &done);
	if (rc == 0)
		rc = sweep_authzs(t, now, max - done, &done);
	*swept = done;
	return rc;
}

/* ---- deleting what ended -------------------------------------------------------------- */

/* Delete authz id if it ended by cutoff and no order refers to it any more. */
static int
sweep_authz_gc(struct store_txn *t, uint64_t id, int64_t cutoff, size_t *gone)
{
	struct rec_authz a;
	size_t refs;
	int rc = store_authz_refs(t, id, NULL, 1, &refs);

	if (rc != 0 || refs > 0)
		return rc;
	rc = rec_old_usable(store_authz_get(t, id, &a));
	if (rc != 1)
		return rc;
	if (!rec_authz_ended(&a) || a.expires > cutoff)
		return 0;
	rc = store_authz_del(t, id);
	if (rc == 0)
		(*gone)++;
	return rc;
}

static int
sweep_del_orders(struct store_txn *t, int64_t cutoff, size_t max, size_t *done, size_t *gone)
{
	struct store_expiry due[STORE_SWEEP_MAX];
	struct rec_order o;
	size_t n;
	int rc = sweep_due(t, STORE_DB_ORDER_BY_END, cutoff, due, max, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = rec_old_usable(store_order_get(t, due[i].cert_id, &o));
		if (rc == 1 && rec_order_ended(&o) && o.expires == due[i].not_after &&
		    o.job_id == 0) {
			rc = store_order_del(t, o.id);
			if (rc == 0)
				(*gone)++;
			for (size_t j = 0; rc == 0 && j < o.n_idents; j++)
				if (o.authz_ids[j] != 0)
					rc = sweep_authz_gc(t, o.authz_ids[j], cutoff, gone);
		} else if (rc >= 0) {
			/* stale, or an order UPKI saw: kept with its job, out of the index */
			rc = sweep_drop(t, STORE_DB_ORDER_BY_END, &due[i]);
		}
		if (rc == 0)
			(*done)++;
	}
	return rc;
}

static int
sweep_del_authzs(struct store_txn *t, int64_t cutoff, size_t max, size_t *done, size_t *gone)
{
	struct store_expiry due[STORE_SWEEP_MAX];
	size_t n, before;
	int rc = sweep_due(t, STORE_DB_AUTHZ_BY_END, cutoff, due, max, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		before = *gone;
		rc = sweep_authz_gc(t, due[i].cert_id, cutoff, gone);
		/* Still referred to (or stale): out of the index; the last order's
		 * deletion takes it (sweep_del_orders). */
		if (rc == 0 && *gone == before)
			rc = sweep_drop(t, STORE_DB_AUTHZ_BY_END, &due[i]);
		if (rc == 0)
			(*done)++;
	}
	return rc;
}

int
store_sweep_delete(struct store_txn *t, int64_t now, int64_t retain_s, size_t max,
		   size_t *deleted)
{
	size_t done = 0, gone = 0;
	int64_t cutoff;
	int rc;

	*deleted = 0;
	if (retain_s < 0)
		return ERR_RANGE;
	if (max > STORE_SWEEP_MAX)
		max = STORE_SWEEP_MAX;
	cutoff = now < INT64_MIN + retain_s ? INT64_MIN : now - retain_s;
	rc = sweep_del_orders(t, cutoff, max, &done, &gone);
	if (rc == 0)
		rc = sweep_del_authzs(t, cutoff, max - done, &done, &gone);
	*deleted = done;
	return rc;
}
