/*
 * store/: the per-account pending counters (store_account_pending) kept by
 * the puts, the deleting sweep (store_sweep_delete) in bounded batches, and
 * the migration that builds counters and indexes for a store of schema 3.
 * Every test ends with a consistency check of all order and authorization
 * indexes against the records (no dangling entry, no missing one, counters
 * equal to a recount).
 */
#include "store_fx.h"

#define CHECK_MAX 8192          /* most keys one index scan of the checks reads */

/* ---- records -------------------------------------------------------------------- */

static void
mk_authz(struct rec_authz *a, uint64_t id, uint64_t account, uint8_t status, int64_t expires)
{
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->account_id = account;
	a->ident.type = REC_IDENT_DNS;
	snprintf(a->ident.value, sizeof(a->ident.value), "a%llu.example.ac.jp",
		 (unsigned long long)id);
	a->status = status;
	a->expires = expires;
	a->n_challs = 1;
	a->challs[0].type = REC_CHALL_HTTP01;
	snprintf(a->challs[0].token, sizeof(a->challs[0].token), "tok%llu", (unsigned long long)id);
}

/* An order of account for the n authorizations ids[0..n). */
static void
mk_order(struct rec_order *o, uint64_t id, uint64_t account, uint8_t status, int64_t expires,
	 const uint64_t *ids, size_t n)
{
	memset(o, 0, sizeof(*o));
	o->id = id;
	o->account_id = account;
	o->status = status;
	o->expires = expires;
	o->n_idents = n;
	for (size_t i = 0; i < n; i++) {
		o->idents[i].type = REC_IDENT_DNS;
		snprintf(o->idents[i].value, sizeof(o->idents[i].value), "a%llu.example.ac.jp",
			 (unsigned long long)ids[i]);
		o->authz_ids[i] = ids[i];
	}
}

static void
put_authz(struct store_txn *t, uint64_t id, uint64_t account, uint8_t status, int64_t expires)
{
	static struct rec_authz a;

	mk_authz(&a, id, account, status, expires);
	assert_int_equal(store_authz_put(t, &a), 0);
}

static void
put_order(struct store_txn *t, uint64_t id, uint64_t account, uint8_t status, int64_t expires,
	  const uint64_t *ids, size_t n)
{
	static struct rec_order o;

	mk_order(&o, id, account, status, expires, ids, n);
	assert_int_equal(store_order_put(t, &o), 0);
}

static void
set_order_status(struct store_txn *t, uint64_t id, uint8_t status)
{
	static struct rec_order o;

	assert_int_equal(store_order_get(t, id, &o), 0);
	o.status = status;
	assert_int_equal(store_order_put(t, &o), 0);
}

static void
set_authz_status(struct store_txn *t, uint64_t id, uint8_t status)
{
	static struct rec_authz a;

	assert_int_equal(store_authz_get(t, id, &a), 0);
	a.status = status;
	assert_int_equal(store_authz_put(t, &a), 0);
}

static void
expect_pending(struct store_txn *t, uint64_t account, uint32_t orders, uint32_t authzs)
{
	struct store_pending p;

	assert_int_equal(store_account_pending(t, account, &p), 0);
	assert_int_equal(p.orders, orders);
	assert_int_equal(p.authzs, authzs);
}

/* ---- consistency of every order and authorization index ----------------------- */

struct keys {
	uint8_t k[CHECK_MAX][64];
	size_t kl[CHECK_MAX];
	size_t n;
};

static struct keys g_keys;

static int
keys_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct keys *ks = arg;

	(void)vl;
	(void)v;
	assert_true(ks->n < CHECK_MAX);
	assert_true(kl <= sizeof(ks->k[0]));   /* the names of these tests are short */
	memcpy(ks->k[ks->n], k, kl);
	ks->kl[ks->n++] = kl;
	return 0;
}

static void
scan_keys(struct store_txn *t, enum store_db db)
{
	g_keys.n = 0;
	assert_true(store_scan(t, db, NULL, 0, keys_cb, &g_keys, CHECK_MAX) >= 0);
}

static int
has_authz_id(const struct rec_order *o, uint64_t id)
{
	for (size_t i = 0; i < o->n_idents; i++)
		if (o->authz_ids[i] == id)
			return 1;
	return 0;
}

/* Recount of ACCOUNT_PENDING for accounts 1..15 and every index entry's target. */
static void
check_body(struct store_txn *t)
{
	static struct rec_order o;
	static struct rec_authz a;
	static uint64_t ids[CHECK_MAX];
	uint32_t orders[16] = { 0 }, authzs[16] = { 0 };
	size_t n, refs = 0, ends = 0, ends_nojob = 0, aends = 0;

	assert_int_equal(store_id_list(t, STORE_DB_ORDER, 0, ids, CHECK_MAX, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(store_order_get(t, ids[i], &o), 0);
		assert_true(o.account_id < 16);
		orders[o.account_id] += o.status == REC_ORDER_PENDING || o.status == REC_ORDER_READY;
		refs += o.n_idents;
		ends += o.status == REC_ORDER_INVALID;
		ends_nojob += o.status == REC_ORDER_INVALID && o.job_id == 0;
	}
	assert_int_equal(store_id_list(t, STORE_DB_AUTHZ, 0, ids, CHECK_MAX, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(store_authz_get(t, ids[i], &a), 0);
		assert_true(a.account_id < 16);
		authzs[a.account_id] += a.status == REC_AUTHZ_PENDING;
		aends += a.status != REC_AUTHZ_PENDING && a.status != REC_AUTHZ_VALID;
	}
	for (uint64_t acct = 1; acct < 16; acct++)
		expect_pending(t, acct, orders[acct], authzs[acct]);

	scan_keys(t, STORE_DB_ORDER_BY_ACCOUNT);
	for (size_t i = 0; i < g_keys.n; i++) {
		assert_int_equal(store_order_get(t, store_be64_get(g_keys.k[i] + 8), &o), 0);
		assert_int_equal(o.account_id, store_be64_get(g_keys.k[i]));
	}
	scan_keys(t, STORE_DB_ORDER_BY_END);
	/* An invalid order UPKI saw leaves the index when due, and stays. */
	assert_true(g_keys.n >= ends_nojob && g_keys.n <= ends);
	for (size_t i = 0; i < g_keys.n; i++) {
		assert_int_equal(store_order_get(t, store_be64_get(g_keys.k[i] + 8), &o), 0);
		assert_int_equal(o.status, REC_ORDER_INVALID);
		assert_int_equal(store_time_from_key(g_keys.k[i]), o.expires);
	}
	scan_keys(t, STORE_DB_ORDER_BY_EXPIRY);
	for (size_t i = 0; i < g_keys.n; i++) {
		assert_int_equal(store_order_get(t, store_be64_get(g_keys.k[i] + 8), &o), 0);
		assert_true(o.status == REC_ORDER_PENDING || o.status == REC_ORDER_READY);
	}
	scan_keys(t, STORE_DB_AUTHZ_BY_ORDER);
	assert_int_equal(g_keys.n, refs);
	for (size_t i = 0; i < g_keys.n; i++) {
		assert_int_equal(store_order_get(t, store_be64_get(g_keys.k[i] + 8), &o), 0);
		assert_true(has_authz_id(&o, store_be64_get(g_keys.k[i])));
		assert_int_equal(store_authz_get(t, store_be64_get(g_keys.k[i]), &a), 0);
	}
	scan_keys(t, STORE_DB_AUTHZ_BY_END);
	assert_true(g_keys.n <= aends);   /* entries still referred to are released */
	for (size_t i = 0; i < g_keys.n; i++) {
		assert_int_equal(store_authz_get(t, store_be64_get(g_keys.k[i] + 8), &a), 0);
		assert_true(a.status != REC_AUTHZ_PENDING && a.status != REC_AUTHZ_VALID);
	}
	scan_keys(t, STORE_DB_AUTHZ_BY_EXPIRY);
	for (size_t i = 0; i < g_keys.n; i++) {
		assert_int_equal(store_authz_get(t, store_be64_get(g_keys.k[i] + 8), &a), 0);
		assert_true(a.status == REC_AUTHZ_PENDING || a.status == REC_AUTHZ_VALID);
	}
	scan_keys(t, STORE_DB_AUTHZ_BY_ACCOUNT_NAME);
	for (size_t i = 0; i < g_keys.n; i++) {
		uint64_t id;
		const void *v;
		size_t vl;

		assert_int_equal(store_get(t, STORE_DB_AUTHZ_BY_ACCOUNT_NAME, g_keys.k[i],
					   g_keys.kl[i], &v, &vl), 0);
		assert_int_equal(vl, 8);
		id = store_be64_get(v);
		assert_int_equal(store_authz_get(t, id, &a), 0);
	}
}

static void
check_consistent(struct fx *f)
{
	in_read(f, check_body);
}

/* ---- counters ------------------------------------------------------------------ */

static void
counts_body(struct store_txn *t)
{
	expect_pending(t, 7, 0, 0);
	/* Order 1 with two new authorizations. */
	put_authz(t, 1, 7, REC_AUTHZ_PENDING, 1000);
	put_authz(t, 2, 7, REC_AUTHZ_PENDING, 1000);
	put_order(t, 1, 7, REC_ORDER_PENDING, 1000, (const uint64_t[]){ 1, 2 }, 2);
	expect_pending(t, 7, 1, 2);
	/* A put that changes nothing counted changes no count. */
	put_order(t, 1, 7, REC_ORDER_PENDING, 1000, (const uint64_t[]){ 1, 2 }, 2);
	set_authz_status(t, 1, REC_AUTHZ_VALID);
	expect_pending(t, 7, 1, 1);
	set_order_status(t, 1, REC_ORDER_READY);
	expect_pending(t, 7, 1, 1);
	/* Order 2 reuses authorization 2 (pending) and 1 (valid): counted once. */
	put_order(t, 2, 7, REC_ORDER_PENDING, 1000, (const uint64_t[]){ 2, 1 }, 2);
	expect_pending(t, 7, 2, 1);
	/* Finalize: processing, then valid. */
	set_order_status(t, 1, REC_ORDER_PROCESSING);
	expect_pending(t, 7, 1, 1);
	set_order_status(t, 1, REC_ORDER_VALID);
	expect_pending(t, 7, 1, 1);
	/* Deactivation of an authorization, invalidation of the order. */
	set_authz_status(t, 2, REC_AUTHZ_DEACTIVATED);
	expect_pending(t, 7, 1, 0);
	set_order_status(t, 2, REC_ORDER_INVALID);
	expect_pending(t, 7, 0, 0);
	/* Another account is apart; a failed validation ends a pending authz. */
	put_authz(t, 3, 8, REC_AUTHZ_PENDING, 1000);
	put_order(t, 3, 8, REC_ORDER_PENDING, 1000, (const uint64_t[]){ 3 }, 1);
	expect_pending(t, 8, 1, 1);
	expect_pending(t, 7, 0, 0);
	set_authz_status(t, 3, REC_AUTHZ_INVALID);
	expect_pending(t, 8, 1, 0);
}

static void
counts_after_reopen(struct store_txn *t)
{
	size_t n;

	expect_pending(t, 8, 1, 0);
	expect_pending(t, 7, 0, 0);
	/* The sweep's expiry marks go through the puts: the counts follow. */
	put_authz(t, 4, 8, REC_AUTHZ_PENDING, 500);
	expect_pending(t, 8, 1, 1);
	assert_int_equal(store_sweep_expired(t, 2000, STORE_SWEEP_MAX, &n), 0);
	expect_pending(t, 8, 0, 0);
}

static void
test_pending_counts(void **state)
{
	struct fx *f = *state;
	struct store_stats st;

	in_write(f, counts_body);
	check_consistent(f);
	fx_open(f);
	in_write(f, counts_after_reopen);
	check_consistent(f);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_ACCOUNT_PENDING], 0);   /* zeros are not kept */
}

/* ---- deleting in bounded batches ------------------------------------------------ */

#define N_DEAD 600              /* invalid orders (one authz each): > 2 batches */

static void
dead_setup(struct store_txn *t)
{
	static struct rec_order o;

	for (uint64_t i = 1; i <= N_DEAD; i++) {
		put_authz(t, i, 1 + i % 3, REC_AUTHZ_INVALID, 100 + (int64_t)i % 7);
		put_order(t, i, 1 + i % 3, REC_ORDER_INVALID, 100 + (int64_t)i % 7,
			  (const uint64_t[]){ i }, 1);
	}
	/* Kept: processing and valid orders, their authz expired long ago. */
	put_authz(t, 1001, 4, REC_AUTHZ_EXPIRED, 10);
	put_order(t, 1001, 4, REC_ORDER_PROCESSING, 10, (const uint64_t[]){ 1001 }, 1);
	put_authz(t, 1002, 4, REC_AUTHZ_EXPIRED, 10);
	put_order(t, 1002, 4, REC_ORDER_VALID, 10, (const uint64_t[]){ 1002 }, 1);
	/* An authz shared by an invalid order (deleted) and a valid one (kept). */
	put_authz(t, 1003, 5, REC_AUTHZ_EXPIRED, 10);
	put_order(t, 1003, 5, REC_ORDER_INVALID, 10, (const uint64_t[]){ 1003 }, 1);
	put_order(t, 1004, 5, REC_ORDER_VALID, 10, (const uint64_t[]){ 1003 }, 1);
	/* An invalid order UPKI saw (a job): kept with it. */
	put_authz(t, 1005, 5, REC_AUTHZ_VALID, 10);
	mk_order(&o, 1005, 5, REC_ORDER_INVALID, 10, (const uint64_t[]){ 1005 }, 1);
	o.job_id = 77;
	assert_int_equal(store_order_put(t, &o), 0);
	/* Ended too recently (expires 190): kept at now 200 with 50 s retention. */
	put_authz(t, 1006, 6, REC_AUTHZ_DEACTIVATED, 190);
	put_order(t, 1006, 6, REC_ORDER_INVALID, 190, (const uint64_t[]){ 1006 }, 1);
	/* A pending order referring to an ended authz: neither goes. */
	put_authz(t, 1007, 6, REC_AUTHZ_INVALID, 10);
	put_order(t, 1007, 6, REC_ORDER_PENDING, 5000, (const uint64_t[]){ 1007 }, 1);
	/* An orphan authz (no order) that ended: goes. */
	put_authz(t, 1008, 6, REC_AUTHZ_REVOKED, 10);
	/* A pending authz with no order: stays until it expires. */
	put_authz(t, 1009, 6, REC_AUTHZ_PENDING, 5000);
}

struct del_run {
	int64_t now, retain;
	size_t max, calls, handled, last;
};

static int
del_txn(struct store_txn *t, void *arg)
{
	struct del_run *d = arg;

	d->calls++;
	d->last = 0;
	return store_sweep_delete(t, d->now, d->retain, d->max, &d->last);
}

static void
expect_gone(struct store_txn *t)
{
	static struct rec_order o;
	static struct rec_authz a;

	for (uint64_t i = 1; i <= N_DEAD; i++) {
		assert_int_equal(store_order_get(t, i, &o), ERR_NOTFOUND);
		assert_int_equal(store_authz_get(t, i, &a), ERR_NOTFOUND);
	}
	assert_int_equal(store_order_get(t, 1001, &o), 0);
	assert_int_equal(o.status, REC_ORDER_PROCESSING);
	assert_int_equal(store_authz_get(t, 1001, &a), 0);
	assert_int_equal(store_order_get(t, 1002, &o), 0);
	assert_int_equal(store_authz_get(t, 1002, &a), 0);
	assert_int_equal(store_order_get(t, 1003, &o), ERR_NOTFOUND);
	assert_int_equal(store_order_get(t, 1004, &o), 0);
	assert_int_equal(store_authz_get(t, 1003, &a), 0);    /* order 1004 still refers to it */
	assert_int_equal(store_order_get(t, 1005, &o), 0);
	assert_int_equal(store_order_get(t, 1006, &o), 0);
	assert_int_equal(store_authz_get(t, 1006, &a), 0);
	assert_int_equal(store_order_get(t, 1007, &o), 0);
	assert_int_equal(store_authz_get(t, 1007, &a), 0);
	assert_int_equal(store_authz_get(t, 1008, &a), ERR_NOTFOUND);
	assert_int_equal(store_authz_get(t, 1009, &a), 0);
}

static void
test_sweep_delete_batches(void **state)
{
	struct fx *f = *state;
	struct del_run d = { 50, 50, 100, 0, 0, 0 };
	struct store_stats st;
	size_t bound = 2 * N_DEAD;

	in_write(f, dead_setup);
	check_consistent(f);
	/* Before the retention is over (cutoff 0, every expires >= 10): nothing. */
	assert_int_equal(store_write_reclaim(f->s, del_txn, &d), 0);
	assert_int_equal(d.last, 0);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_ORDER], N_DEAD + 7);

	/* At 200: batches of at most 100 entries, one transaction each. */
	d.now = 200;
	d.calls = 0;
	do {
		assert_int_equal(store_write_reclaim(f->s, del_txn, &d), 0);
		assert_true(d.last <= d.max);
		d.handled += d.last;
		assert_true(d.calls < bound);
	} while (d.last == d.max);
	assert_true(d.calls >= N_DEAD / d.max + 1);
	check_consistent(f);
	in_read(f, expect_gone);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_ORDER], 6);       /* 1001, 2, 4, 5, 6, 7 */
	assert_int_equal(st.entries[STORE_DB_ORDER_BY_ACCOUNT], 6);
	assert_int_equal(st.entries[STORE_DB_AUTHZ], 7);       /* 1001, 2, 3, 5, 6, 7, 9 */
	assert_int_equal(st.entries[STORE_DB_AUTHZ_BY_ORDER], 6);
	assert_int_equal(st.entries[STORE_DB_ORDER_BY_END], 1);   /* 1006, not yet due */
	assert_int_equal(st.entries[STORE_DB_AUTHZ_BY_END], 1);   /* 1006 */

	/* Retention 0 at 200: order 1006 goes and takes its authz (one entry handled);
	 * again: nothing left to do. */
	d.retain = 0;
	assert_int_equal(store_write_reclaim(f->s, del_txn, &d), 0);
	assert_int_equal(d.last, 1);
	assert_int_equal(store_write_reclaim(f->s, del_txn, &d), 0);
	assert_int_equal(d.last, 0);
	check_consistent(f);
	d.retain = -1;
	assert_int_equal(store_write_reclaim(f->s, del_txn, &d), ERR_RANGE);
}

/* ---- migration from schema 3 ------------------------------------------------------- */

static const enum store_db life_dbs[] = {
	STORE_DB_ACCOUNT_PENDING, STORE_DB_AUTHZ_BY_ORDER, STORE_DB_ORDER_BY_END,
	STORE_DB_AUTHZ_BY_END,
};

/* What a schema-3 build left: the records without the new indexes. */
static void
forget_life(struct store_txn *t)
{
	for (size_t d = 0; d < sizeof(life_dbs) / sizeof(life_dbs[0]); d++) {
		scan_keys(t, life_dbs[d]);
		for (size_t i = 0; i < g_keys.n; i++)
			assert_int_equal(store_del(t, life_dbs[d], g_keys.k[i], g_keys.kl[i]), 0);
	}
}

static void
migr_setup(struct store_txn *t)
{
	put_authz(t, 1, 2, REC_AUTHZ_PENDING, 1000);
	put_authz(t, 2, 2, REC_AUTHZ_VALID, 1000);
	put_authz(t, 3, 2, REC_AUTHZ_INVALID, 1000);
	put_order(t, 1, 2, REC_ORDER_PENDING, 1000, (const uint64_t[]){ 1, 2 }, 2);
	put_order(t, 2, 2, REC_ORDER_READY, 1000, (const uint64_t[]){ 2 }, 1);
	put_order(t, 3, 2, REC_ORDER_INVALID, 1000, (const uint64_t[]){ 3 }, 1);
	put_order(t, 4, 3, REC_ORDER_VALID, 1000, (const uint64_t[]){ 2 }, 1);
	forget_life(t);
	expect_pending(t, 2, 0, 0);
}

static void
migr_after(struct store_txn *t)
{
	expect_pending(t, 2, 2, 1);
	expect_pending(t, 3, 0, 0);
}

static void
test_life_migration(void **state)
{
	struct fx *f = *state;
	struct store_stats st;

	fx_open_ex(f, 3, 0);
	in_write(f, migr_setup);
	fx_open(f);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.schema, STORE_SCHEMA);
	assert_int_equal(st.migrated_from, 3);
	assert_int_equal(st.entries[STORE_DB_AUTHZ_BY_ORDER], 5);
	assert_int_equal(st.entries[STORE_DB_ORDER_BY_END], 1);
	assert_int_equal(st.entries[STORE_DB_AUTHZ_BY_END], 1);
	in_read(f, migr_after);
	check_consistent(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pending_counts, fx_setup_open, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sweep_delete_batches, fx_setup_open,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_life_migration, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
