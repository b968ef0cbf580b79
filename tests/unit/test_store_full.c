/* store/: a full map is an answer (ERR_FULL), the high-water mark (store_room), recovery. */
#include "autoconf.h"
#include "store_fx.h"

#define MAP_BYTES (4u << 20)    /* 1024 pages of 4 KiB */
#define FILL_MAX 100000     /* bound on every fill loop */

/* A fresh store with a map of MAP_BYTES. */
static int
full_setup(void **state)
{
	struct fx *f;

	if (fx_setup(state) != 0)
		return -1;
	f = *state;
	if (fx_open_rc(f, 0, MAP_BYTES) != 0) {
		fx_teardown(state);
		return -1;
	}
	return 0;
}

/* ---- the records ---------------------------------------------------------------- */

static void
fill_eab(struct rec_eab *e, unsigned i)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->kid, sizeof(e->kid), "fill%05u", i);
	memset(e->hmac, (int)(i & 0xff), sizeof(e->hmac));
	e->hmac_len = sizeof(e->hmac);
	snprintf(e->name, sizeof(e->name), "holder %u", i);
	e->n_allow = 8;
	for (size_t j = 0; j < e->n_allow; j++)
		snprintf(e->allow[j], sizeof(e->allow[j]), "*.dept%zu.u%u.example.ac.jp", j, i);
	e->created = 1000 + i;
}

struct op {
	unsigned from, to;          /* fill keys [from, to) */
	int del;                    /* delete them instead */
	int rc;                     /* first record error */
};

static int
eab_txn(struct store_txn *t, void *arg)
{
	static struct rec_eab e;
	struct op *o = arg;
	char kid[REC_KID_MAX + 1];

	o->rc = 0;
	for (unsigned i = o->from; o->rc == 0 && i < o->to; i++) {
		if (o->del) {
			snprintf(kid, sizeof(kid), "fill%05u", i);
			o->rc = store_eab_del(t, kid);
		} else {
			fill_eab(&e, i);
			o->rc = store_eab_put(t, &e, STORE_NOOVERWRITE);
		}
	}
	return o->rc;
}

static int
eab_write(struct store *s, unsigned from, unsigned to, int del)
{
	struct op o = { from, to, del, 0 };

	return del ? store_write_reclaim(s, eab_txn, &o) : store_write(s, eab_txn, &o);
}

/* A processing order (a running UPKI job) and a pending order and authz due at 100. */
static int
seed_txn(struct store_txn *t, void *arg)
{
	static struct rec_order o;
	static struct rec_authz a;
	int rc;

	(void)arg;
	memset(&o, 0, sizeof(o));
	o.id = 1;
	o.account_id = 7;
	o.status = REC_ORDER_PROCESSING;
	o.n_idents = 1;
	o.idents[0].type = REC_IDENT_DNS;
	snprintf(o.idents[0].value, sizeof(o.idents[0].value), "www.example.ac.jp");
	o.job_id = 3;
	rc = store_order_put(t, &o);
	if (rc != 0)
		return rc;
	o.id = 2;
	o.status = REC_ORDER_PENDING;
	o.expires = 100;
	o.job_id = 0;
	rc = store_order_put(t, &o);
	if (rc != 0)
		return rc;
	o.id = 3;
	o.expires = 300;
	rc = store_order_put(t, &o);
	if (rc != 0)
		return rc;
	memset(&a, 0, sizeof(a));
	a.id = 5;
	a.account_id = 7;
	a.ident = o.idents[0];
	a.status = REC_AUTHZ_PENDING;
	a.expires = 100;
	return store_authz_put(t, &a);
}

struct sweep {
	int64_t now;
	size_t swept;
};

static int
sweep_txn(struct store_txn *t, void *arg)
{
	struct sweep *sw = arg;

	return store_sweep_expired(t, sw->now, STORE_SWEEP_MAX, &sw->swept);
}

struct check {
	unsigned n;                 /* fill keys expected: [0, n) minus [gone_from, gone_to) */
	unsigned gone_from, gone_to;
	unsigned bad;
	uint8_t order1, order2, order3, authz5;
};

static int
check_txn(struct store_txn *t, void *arg)
{
	static struct rec_eab want, got;
	static struct rec_order o;
	static struct rec_authz a;
	struct check *c = arg;
	int rc;

	c->bad = 0;
	for (unsigned i = 0; i < c->n; i++) {
		fill_eab(&want, i);
		rc = store_eab_get(t, want.kid, &got);
		if (i >= c->gone_from && i < c->gone_to) {
			c->bad += rc != ERR_NOTFOUND;
			continue;
		}
		if (rc != 0 || strcmp(got.name, want.name) != 0 || got.created != want.created ||
		    strcmp(got.allow[7], want.allow[7]) != 0)
			c->bad++;
	}
	/* Nothing past n was stored. */
	fill_eab(&want, c->n);
	c->bad += store_eab_get(t, want.kid, &got) != ERR_NOTFOUND;
	if ((rc = store_order_get(t, 1, &o)) != 0)
		return rc;
	c->order1 = o.status;
	if ((rc = store_order_get(t, 2, &o)) != 0)
		return rc;
	c->order2 = o.status;
	if ((rc = store_order_get(t, 3, &o)) != 0)
		return rc;
	c->order3 = o.status;
	if ((rc = store_authz_get(t, 5, &a)) != 0)
		return rc;
	c->authz5 = a.status;
	return 0;
}

static void
check(struct store *s, struct check *c)
{
	assert_int_equal(store_read(s, check_txn, c), 0);
	assert_int_equal(c->bad, 0);
	assert_int_equal(c->order1, REC_ORDER_PROCESSING);
}

static int
over_mark(const struct store_usage *u)
{
	return u->pages_used * 100 > u->pages_total * CONFIG_STORE_HIGH_WATER_PCT;
}

/* ---- the test ------------------------------------------------------------------- */

static void
test_full_map(void **state)
{
	struct fx *f = *state;
	struct store_usage u;
	struct store_stats before, after;
	struct sweep sw = { 200, 0 };
	struct check c = { 0, 0, 0, 0, 0, 0, 0, 0 };
	unsigned n = 0, at_mark;
	int rc = 0;

	assert_int_equal(store_write(f->s, seed_txn, NULL), 0);
	assert_int_equal(store_room(f->s), 0);
	assert_int_equal(store_usage(f->s, &u), 0);
	assert_int_equal(store_stat(f->s, &before), 0);
	assert_int_equal(u.pages_total, MAP_BYTES / before.page_size);
	assert_false(over_mark(&u));

	/* New work, as callers do it: only while store_room() says there is room. */
	while (n < FILL_MAX && store_room(f->s) == 0) {
		assert_int_equal(eab_write(f->s, n, n + 1, 0), 0);
		n++;
	}
	at_mark = n;
	assert_true(at_mark > 4 && at_mark < FILL_MAX);
	assert_int_equal(store_room(f->s), ERR_FULL);
	assert_int_equal(store_usage(f->s, &u), 0);
	assert_true(over_mark(&u));
	print_message("high-water mark after %u records: %llu of %llu pages in use\n", at_mark,
		      (unsigned long long)u.pages_used, (unsigned long long)u.pages_total);

	/* Above the mark, sweeping still runs. */
	assert_int_equal(store_write(f->s, sweep_txn, &sw), 0);
	assert_int_equal(sw.swept, 2);

	/* Running work ignores the mark until the map itself is full. */
	for (; n < FILL_MAX; n++) {
		assert_int_equal(store_stat(f->s, &before), 0);
		rc = eab_write(f->s, n, n + 1, 0);
		if (rc != 0)
			break;
	}
	assert_int_equal(rc, ERR_FULL);
	assert_true(n > at_mark);
	/* The failed transaction left nothing behind; everything before is readable. */
	assert_int_equal(store_stat(f->s, &after), 0);
	assert_memory_equal(before.entries, after.entries, sizeof(before.entries));
	assert_int_equal(after.last_txn, before.last_txn);
	c.n = n;
	check(f->s, &c);
	assert_int_equal(c.order2, REC_ORDER_INVALID);
	assert_int_equal(c.authz5, REC_AUTHZ_EXPIRED);
	assert_int_equal(store_room(f->s), ERR_FULL);
	assert_int_equal(store_usage(f->s, &u), 0);
	print_message("map full after %u records: %llu of %llu pages in use\n", n,
		      (unsigned long long)u.pages_used, (unsigned long long)u.pages_total);

	assert_int_equal(c.order3, REC_ORDER_PENDING);

	/* Full to the last page that ordinary writes may use: a sweep still commits. */
	sw.now = 400;
	assert_int_equal(store_write_reclaim(f->s, sweep_txn, &sw), 0);
	assert_int_equal(sw.swept, 1);
	check(f->s, &c);
	assert_int_equal(c.order3, REC_ORDER_INVALID);

	/* So do deletes, and they bring the map back under the mark. */
	for (unsigned i = 0; i < n && store_room(f->s) != 0; i += 4) {
		rc = eab_write(f->s, i, i + 4 < n ? i + 4 : n, 1);
		assert_int_equal(rc, 0);
		c.gone_to = i + 4 < n ? i + 4 : n;
	}
	assert_int_equal(store_room(f->s), 0);
	assert_true(c.gone_to < n);
	check(f->s, &c);

	/* New puts succeed again, and the store reopens with all of it. */
	assert_int_equal(eab_write(f->s, n, n + 1, 0), 0);
	c.n = n + 1;
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open_ex(&f->s, f->dir, STORE_OPEN_NOSYNC,
				       &(struct store_open_opts){ 0, MAP_BYTES, NULL, 0 }), 0);
	check(f->s, &c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_map, full_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
