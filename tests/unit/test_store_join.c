/* store/: the job_join index (orders joining a UPKI job) and its migration from META keys. */
#include "store_fx.h"
#include "util/str.h"

/* One join operation per call, described by the argument. */
struct op {
	enum { OP_ADD, OP_LIST, OP_CLEAR } what;
	uint64_t job, order;
	uint64_t ids[STORE_JOIN_MAX + 8];
	size_t max, n;
	int rc;
};

static int
op_txn(struct store_txn *t, void *arg)
{
	struct op *o = arg;

	switch (o->what) {
	case OP_ADD:
		o->rc = store_join_add(t, o->job, o->order);
		break;
	case OP_LIST:
		o->rc = store_join_list(t, o->job, o->ids, o->max, &o->n);
		break;
	case OP_CLEAR:
		o->rc = store_join_clear(t, o->job);
		break;
	}
	return 0;
}

static int
join_add(struct store *s, uint64_t job, uint64_t order)
{
	struct op o = { .what = OP_ADD, .job = job, .order = order };

	assert_int_equal(store_write(s, op_txn, &o), 0);
	return o.rc;
}

static size_t
join_list(struct store *s, uint64_t job, uint64_t *ids, size_t max)
{
	static struct op o;

	memset(&o, 0, sizeof(o));
	o.what = OP_LIST;
	o.job = job;
	o.max = max;
	assert_int_equal(store_read(s, op_txn, &o), 0);
	assert_int_equal(o.rc, 0);
	memcpy(ids, o.ids, o.n * sizeof(ids[0]));
	return o.n;
}

static void
test_join_add_list_clear(void **state)
{
	struct fx *f = *state;
	struct op c = { .what = OP_CLEAR, .job = 5 };
	uint64_t ids[8];
	struct store_stats st;

	fx_open_ex(f, 0, 0);
	assert_int_equal(join_add(f->s, 5, 30), 0);
	assert_int_equal(join_add(f->s, 5, 10), 0);
	assert_int_equal(join_add(f->s, 6, 11), 0);
	assert_int_equal(join_add(f->s, 5, 20), 0);
	assert_int_equal(join_add(f->s, 4, 12), 0);
	assert_int_equal(join_add(f->s, 5, 10), 0);    /* again: no second entry */

	assert_int_equal(join_list(f->s, 5, ids, 8), 3);
	assert_int_equal(ids[0], 10);
	assert_int_equal(ids[1], 20);
	assert_int_equal(ids[2], 30);
	assert_int_equal(join_list(f->s, 5, ids, 2), 2);   /* max is kept */
	assert_int_equal(ids[1], 20);
	assert_int_equal(join_list(f->s, 7, ids, 8), 0);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_JOB_JOIN], 5);
	assert_int_equal(st.entries[STORE_DB_META] >= 1, 1);

	assert_int_equal(store_write(f->s, op_txn, &c), 0);
	assert_int_equal(c.rc, 0);
	assert_int_equal(join_list(f->s, 5, ids, 8), 0);
	/* Neighbours on both sides stay. */
	assert_int_equal(join_list(f->s, 6, ids, 8), 1);
	assert_int_equal(ids[0], 11);
	assert_int_equal(join_list(f->s, 4, ids, 8), 1);
	assert_int_equal(ids[0], 12);
	/* Clearing an empty job is fine. */
	assert_int_equal(store_write(f->s, op_txn, &c), 0);
	assert_int_equal(c.rc, 0);
}

static void
test_join_bounds(void **state)
{
	struct fx *f = *state;
	static uint64_t ids[STORE_JOIN_MAX + 8];
	struct op o = { .what = OP_LIST, .job = 0, .max = 4 };

	fx_open_ex(f, 0, 0);
	assert_int_equal(join_add(f->s, 0, 1), ERR_RANGE);
	assert_int_equal(join_add(f->s, 1, 0), ERR_RANGE);
	assert_int_equal(store_read(f->s, op_txn, &o), 0);
	assert_int_equal(o.rc, ERR_RANGE);
	for (uint64_t i = 1; i <= STORE_JOIN_MAX; i++)
		assert_int_equal(join_add(f->s, UINT64_MAX, i), 0);
	assert_int_equal(join_add(f->s, UINT64_MAX, STORE_JOIN_MAX + 1), ERR_TOOBIG);
	assert_int_equal(join_add(f->s, UINT64_MAX, 7), 0);        /* present: still 0 */
	assert_int_equal(join_add(f->s, UINT64_MAX - 1, 1), 0);    /* other jobs unaffected */
	assert_int_equal(join_list(f->s, UINT64_MAX, ids, STORE_JOIN_MAX + 8), STORE_JOIN_MAX);
	assert_int_equal(ids[STORE_JOIN_MAX - 1], STORE_JOIN_MAX);
	assert_int_equal(join_list(f->s, UINT64_MAX - 1, ids, 8), 1);
}

/* ---- migration from schema 1 (raw META keys written by upki/job.c) ---------- */

#define OLD_PREFIX "upki/join/"
#define OLD_PREFIX_LEN (sizeof(OLD_PREFIX) - 1)
#define OLD_MANY 150    /* more than one migration batch */

static int
old_put(struct store_txn *t, uint64_t job, uint64_t order)
{
	uint8_t k[OLD_PREFIX_LEN + 16];

	memcpy(k, OLD_PREFIX, OLD_PREFIX_LEN);
	store_be64_put(k + OLD_PREFIX_LEN, job);
	store_be64_put(k + OLD_PREFIX_LEN + 8, order);
	return store_put(t, STORE_DB_META, k, sizeof(k), "", 0, 0);
}

static int
old_write_txn(struct store_txn *t, void *arg)
{
	int rc = 0;

	(void)arg;
	rc = old_put(t, 3, 31);
	if (rc == 0)
		rc = old_put(t, 3, 30);
	if (rc == 0)
		rc = old_put(t, 4, 40);
	for (uint64_t i = 1; rc == 0 && i <= OLD_MANY; i++)
		rc = old_put(t, 9, 1000 + i);
	if (rc == 0)    /* not a key schema 1 wrote */
		rc = store_put(t, STORE_DB_META, OLD_PREFIX "x", OLD_PREFIX_LEN + 1, "", 0, 0);
	if (rc == 0)    /* unrelated meta data stays */
		rc = store_put(t, STORE_DB_META, STR_LIT("upki/other"), "v", 1, 0);
	return rc;
}

struct meta_probe {
	int old_left;
	int other_rc;
};

static int
count_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	(void)k;
	(void)kl;
	(void)v;
	(void)vl;
	(*(int *)arg)++;
	return 0;
}

static int
meta_probe_txn(struct store_txn *t, void *arg)
{
	struct meta_probe *p = arg;
	const void *v;
	size_t vl;
	int rc = store_scan(t, STORE_DB_META, OLD_PREFIX, OLD_PREFIX_LEN, count_cb,
			    &p->old_left, 1000);

	p->other_rc = store_get(t, STORE_DB_META, STR_LIT("upki/other"), &v, &vl);
	return rc < 0 ? rc : 0;
}

static void
test_join_migration(void **state)
{
	struct fx *f = *state;
	static uint64_t ids[STORE_JOIN_MAX];
	struct meta_probe p = { 0, 0 };
	struct store_stats st;

	fx_open_ex(f, 1, 0);
	assert_int_equal(store_write(f->s, old_write_txn, NULL), 0);
	assert_int_equal(store_read(f->s, meta_probe_txn, &p), 0);
	assert_int_equal(p.old_left, 3 + OLD_MANY + 1);
	store_close(f->s);
	f->s = NULL;

	/* A read-only open cannot migrate and changes nothing. */
	assert_int_equal(store_open(&f->s, f->dir, STORE_OPEN_RDONLY), ERR_STATE);
	assert_null(f->s);

	assert_int_equal(store_open(&f->s, f->dir, STORE_OPEN_NOSYNC), 0);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.schema, STORE_SCHEMA);
	assert_int_equal(st.migrations, STORE_SCHEMA - 1);
	assert_int_equal(st.entries[STORE_DB_JOB_JOIN], 3 + OLD_MANY);

	assert_int_equal(join_list(f->s, 3, ids, 8), 2);
	assert_int_equal(ids[0], 30);
	assert_int_equal(ids[1], 31);
	assert_int_equal(join_list(f->s, 4, ids, 8), 1);
	assert_int_equal(ids[0], 40);
	assert_int_equal(join_list(f->s, 9, ids, STORE_JOIN_MAX), OLD_MANY);
	for (size_t i = 0; i < OLD_MANY; i++)
		assert_int_equal(ids[i], 1001 + i);

	memset(&p, 0, sizeof(p));
	assert_int_equal(store_read(f->s, meta_probe_txn, &p), 0);
	assert_int_equal(p.old_left, 0);
	assert_int_equal(p.other_rc, 0);

	/* The migrated index works like a fresh one. */
	assert_int_equal(join_add(f->s, 3, 32), 0);
	assert_int_equal(join_list(f->s, 3, ids, 8), 3);
	fx_open_ex(f, 0, 0);   /* again: nothing more to do */
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.migrations, STORE_SCHEMA - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_join_add_list_clear, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_join_bounds, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_join_migration, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
