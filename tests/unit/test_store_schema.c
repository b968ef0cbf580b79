/* store/: schema versions and migrations (refusal of newer stores, steps, atomicity). */
#include "store_fx.h"

/* ---- schema version and migrations -------------------------------------------- */

static int
read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	long n;

	if (fp == NULL)
		return -1;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	*out = malloc((size_t)n);
	*len = (size_t)n;
	if (*out == NULL || fread(*out, 1, *len, fp) != *len) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

static int mig_calls[4];

static int
mig_1_to_2(struct store_txn *t)
{
	struct rec_eab e;
	int rc;

	mig_calls[1]++;
	rc = store_eab_get(t, "k1", &e);
	if (rc != 0)
		return rc;
	snprintf(e.name, sizeof(e.name), "migrated-v2");
	return store_eab_put(t, &e, 0);
}

static int
mig_2_to_3(struct store_txn *t)
{
	struct rec_dn d;

	mig_calls[2]++;
	memset(&d, 0, sizeof(d));
	snprintf(d.dn, sizeof(d.dn), "CN=from-migration");
	return store_dn_put(t, &d);
}

static int
mig_2_to_3_fails(struct store_txn *t)
{
	int rc = mig_2_to_3(t);

	return rc != 0 ? rc : ERR_STATE;
}

struct probe {
	char eab_name[REC_EAB_NAME_MAX + 1];
	int dn_rc;
};

static int
probe_txn(struct store_txn *t, void *arg)
{
	struct probe *p = arg;
	struct rec_eab e;
	struct rec_dn d;
	int rc = store_eab_get(t, "k1", &e);

	if (rc != 0)
		return rc;
	snprintf(p->eab_name, sizeof(p->eab_name), "%s", e.name);
	p->dn_rc = store_dn_get(t, "CN=from-migration", &d);
	return 0;
}

static int
put_eab_k1(struct store_txn *t, void *arg)
{
	struct rec_eab e;

	(void)arg;
	memset(&e, 0, sizeof(e));
	snprintf(e.kid, sizeof(e.kid), "k1");
	snprintf(e.name, sizeof(e.name), "original");
	return store_eab_put(t, &e, STORE_NOOVERWRITE);
}

static void
open_at(struct fx *f, uint32_t schema, const struct store_migration *m, size_t n, int want)
{
	struct store_open_opts o = { schema, 0, m, n };

	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open_ex(&f->s, f->dir, STORE_OPEN_NOSYNC, &o), want);
	if (want != 0)
		assert_null(f->s);
}

static void
test_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	uint8_t *before = NULL, *after = NULL;
	size_t blen = 0, alen = 0;
	char path[256];
	struct store_stats st;

	open_at(f, STORE_SCHEMA + 1, NULL, 0, 0);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.schema, STORE_SCHEMA + 1);
	kv_put(f->s, "data", "x");
	store_close(f->s);
	f->s = NULL;

	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	assert_int_equal(read_file(path, &before, &blen), 0);
	assert_int_equal(store_open(&f->s, f->dir, 0), ERR_VERSION);
	assert_null(f->s);
	assert_int_equal(store_open(&f->s, f->dir, STORE_OPEN_RDONLY), ERR_VERSION);
	assert_int_equal(read_file(path, &after, &alen), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	free(before);
	free(after);
}

static void
test_migration(void **state)
{
	struct fx *f = *state;
	static const struct store_migration steps[] = {
		{ 2, "step two to three: add a DN", mig_2_to_3 },
		{ 1, "step one to two: rename the EAB", mig_1_to_2 },
	};
	struct store_stats st;
	struct probe p;
	int64_t now = platform_wall_s();

	memset(mig_calls, 0, sizeof(mig_calls));
	open_at(f, 1, NULL, 0, 0);
	assert_int_equal(store_write(f->s, put_eab_k1, NULL), 0);
	store_close(f->s);
	f->s = NULL;

	/* Read-only cannot migrate. */
	assert_int_equal(store_open_ex(&f->s, f->dir, STORE_OPEN_RDONLY,
				       &(struct store_open_opts){ 3, 0, steps, 2 }), ERR_STATE);
	assert_null(f->s);
	/* No step from 1: refused, nothing changes. */
	open_at(f, 3, steps, 1, ERR_VERSION);
	assert_int_equal(mig_calls[1] + mig_calls[2], 0);

	open_at(f, 3, steps, 2, 0);
	assert_int_equal(mig_calls[1], 1);
	assert_int_equal(mig_calls[2], 1);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.schema, 3);
	assert_int_equal(st.migrations, 2);
	assert_int_equal(st.migrated_from, 2);
	assert_true(st.migrated_at >= now - 5 && st.migrated_at <= now + 5);
	memset(&p, 0, sizeof(p));
	assert_int_equal(store_read(f->s, probe_txn, &p), 0);
	assert_string_equal(p.eab_name, "migrated-v2");
	assert_int_equal(p.dn_rc, 0);

	/* Opening again at the same schema runs nothing. */
	open_at(f, 3, steps, 2, 0);
	assert_int_equal(mig_calls[1], 1);
	assert_int_equal(mig_calls[2], 1);
	/* And this build (schema 1) refuses the migrated store. */
	open_at(f, 1, NULL, 0, ERR_VERSION);
}

static void
test_migration_step_atomic(void **state)
{
	struct fx *f = *state;
	static const struct store_migration steps[] = {
		{ 1, "step one to two", mig_1_to_2 },
		{ 2, "step two to three fails after writing", mig_2_to_3_fails },
	};
	struct store_stats st;
	struct probe p;

	memset(mig_calls, 0, sizeof(mig_calls));
	open_at(f, 1, NULL, 0, 0);
	assert_int_equal(store_write(f->s, put_eab_k1, NULL), 0);
	open_at(f, 3, steps, 2, ERR_STATE);
	assert_int_equal(mig_calls[1], 1);
	assert_int_equal(mig_calls[2], 1);

	/* Step 1->2 committed, step 2->3 left nothing behind. */
	open_at(f, 2, NULL, 0, 0);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.schema, 2);
	assert_int_equal(st.migrations, 1);
	assert_int_equal(st.migrated_from, 1);
	memset(&p, 0, sizeof(p));
	assert_int_equal(store_read(f->s, probe_txn, &p), 0);
	assert_string_equal(p.eab_name, "migrated-v2");
	assert_int_equal(p.dn_rc, ERR_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_migration, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_migration_step_atomic, fx_setup, fx_teardown),
	};

	log_set_level(PLOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
