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

/*
 * One step of a sweep on the record an index entry names: 0 when it acted on
 * it, 1 when the entry is to be dropped (stale: the record is gone, does not
 * decode, or no longer belongs there at that time), or an error.
 */
typedef int (*sweep_step_fn)(struct store_txn *t, const struct store_expiry *e, void *arg);

/* The entries of db due at when (at most max), each given to step; *done counts them. */
static int
sweep_walk(struct store_txn *t, enum store_db db, int64_t when, size_t max, size_t *done,
	   sweep_step_fn step, void *arg)
{
	struct store_expiry due[STORE_SWEEP_MAX];
	size_t n;
	int rc = sweep_due(t, db, when, due, max, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = step(t, &due[i], arg);
		if (rc == 1)
			rc = sweep_drop(t, db, &due[i]);
		if (rc == 0)
			(*done)++;
	}
	return rc;
}

static int
mark_order(struct store_txn *t, const struct store_expiry *e, void *arg)
{
	static struct rec_order o;
	int rc = rec_old_usable(store_order_get(t, e->cert_id, &o));

	(void)arg;
	if (rc != 1 || !rec_order_live(&o) || o.expires != e->not_after)
		return rc < 0 ? rc : 1;
	o.status = REC_ORDER_INVALID;
	return store_order_put(t, &o);
}

static int
mark_authz(struct store_txn *t, const struct store_expiry *e, void *arg)
{
	static struct rec_authz a;
	int rc = rec_old_usable(store_authz_get(t, e->cert_id, &a));

	(void)arg;
	if (rc != 1 || !rec_authz_live(&a) || a.expires != e->not_after)
		return rc < 0 ? rc : 1;
	a.status = REC_AUTHZ_EXPIRED;
	return store_authz_put(t, &a);
}

int
store_sweep_expired(struct store_txn *t, int64_t now, size_t max, size_t *swept)
{
	size_t done = 0;
	int rc;

	*swept = 0;
	if (max > STORE_SWEEP_MAX)
		max = STORE_SWEEP_MAX;
	rc = sweep_walk(t, STORE_DB_ORDER_BY_EXPIRY, now, max, &done, mark_order, NULL);
	if (rc == 0)
		rc = sweep_walk(t, STORE_DB_AUTHZ_BY_EXPIRY, now, max - done, &done, mark_authz,
				NULL);
	*swept = done;
	return rc;
}

/* ---- deleting what ended -------------------------------------------------------------- */

/* Delete authz id if it ended by cutoff and no order refers to it any more. */
static int
sweep_authz_gc(struct store_txn *t, uint64_t id, int64_t cutoff, int *gone)
{
	static struct rec_authz a;
	size_t refs;
	int rc = store_authz_refs(t, id, NULL, 1, &refs);

	*gone = 0;
	if (rc != 0 || refs > 0)
		return rc;
	rc = rec_old_usable(store_authz_get(t, id, &a));
	if (rc != 1)
		return rc;
	if (!rec_authz_ended(&a) || a.expires > cutoff)
		return 0;
	rc = store_authz_del(t, id);
	*gone = rc == 0;
	return rc;
}

/* An ended order that never reached UPKI goes, with the authorizations only it used. */
static int
del_order(struct store_txn *t, const struct store_expiry *e, void *arg)
{
	static struct rec_order o;
	const int64_t *cutoff = arg;
	int gone, rc = rec_old_usable(store_order_get(t, e->cert_id, &o));

	/* Stale, or an order UPKI saw (kept with its job): out of the index. */
	if (rc != 1 || !rec_order_ended(&o) || o.expires != e->not_after || o.job_id != 0)
		return rc < 0 ? rc : 1;
	rc = store_order_del(t, o.id);
	for (size_t j = 0; rc == 0 && j < o.n_idents; j++)
		if (o.authz_ids[j] != 0)
			rc = sweep_authz_gc(t, o.authz_ids[j], *cutoff, &gone);
	return rc;
}

/* An ended authorization goes when no order refers to it; else it leaves the
 * index and the deletion of its last order takes it (del_order). */
static int
del_authz(struct store_txn *t, const struct store_expiry *e, void *arg)
{
	const int64_t *cutoff = arg;
	int gone, rc = sweep_authz_gc(t, e->cert_id, *cutoff, &gone);

	return rc == 0 && !gone ? 1 : rc;
}

int
store_sweep_delete(struct store_txn *t, int64_t now, int64_t retain_s, size_t max,
		   size_t *deleted)
{
	size_t done = 0;
	int64_t cutoff;
	int rc;

	*deleted = 0;
	if (retain_s < 0)
		return ERR_RANGE;
	if (max > STORE_SWEEP_MAX)
		max = STORE_SWEEP_MAX;
	cutoff = now < INT64_MIN + retain_s ? INT64_MIN : now - retain_s;
	rc = sweep_walk(t, STORE_DB_ORDER_BY_END, cutoff, max, &done, del_order, &cutoff);
	if (rc == 0)
		rc = sweep_walk(t, STORE_DB_AUTHZ_BY_END, cutoff, max - done, &done, del_authz,
				&cutoff);
	*deleted = done;
	return rc;
}
