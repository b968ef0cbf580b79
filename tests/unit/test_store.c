/* store/: environment, transactions, raw access, scans, sequences, full map, backup. */
#include "store_fx.h"

/* ---- tests -------------------------------------------------------------------- */

static void
test_open_close_reopen(void **state)
{
	struct fx *f = *state;
	struct store_stats st;
	struct stat sb;
	char path[256];
	int64_t created, now = platform_wall_s();

	fx_open(f);
	assert_int_equal(stat(f->dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.schema, STORE_SCHEMA);
	assert_true(st.created >= now - 5 && st.created <= now + 5);
	assert_int_equal(st.migrations, 0);
	assert_int_equal(st.map_size, (uint64_t)CONFIG_STORE_MAP_SIZE_MIB * 1024 * 1024);
	assert_true(st.page_size >= 512);
	created = st.created;
	kv_put(f->s, "k", "v");

	fx_open(f);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.created, created);
	assert_int_equal(st.entries[STORE_DB_EAB], 1);
	assert_string_equal(store_db_name(STORE_DB_JOB_BY_KEY), "job_by_key");
}

static void
test_put_get_del(void **state)
{
	struct fx *f = *state;
	struct kv kv = { "key", "second", STORE_NOOVERWRITE, 0 };
	char buf[64];

	fx_open(f);
	assert_int_equal(kv_get(f->s, "key", buf, sizeof(buf)), ERR_NOTFOUND);
	kv_put(f->s, "key", "first");
	assert_int_equal(kv_get(f->s, "key", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "first");

	/* NOOVERWRITE: refused, and the old value stays. */
	assert_int_equal(store_write(f->s, put_kv_txn, &kv), ERR_EXISTS);
	assert_int_equal(kv.rc, ERR_EXISTS);
	assert_int_equal(kv_get(f->s, "key", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "first");

	/* Plain put overwrites. */
	kv_put(f->s, "key", "third");
	assert_int_equal(kv_get(f->s, "key", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "third");
}

static int
del_txn(struct store_txn *t, void *arg)
{
	int *rcs = arg;

	rcs[0] = store_del(t, STORE_DB_EAB, "key", 3);
	rcs[1] = store_del(t, STORE_DB_EAB, "key", 3);
	return 0;
}

static int
bad_keys_txn(struct store_txn *t, void *arg)
{
	static uint8_t big[STORE_KEY_MAX + 1];
	const void *v;
	size_t vl;

	(void)arg;
	assert_int_equal(store_put(t, STORE_DB_EAB, "", 0, "v", 1, 0), ERR_RANGE);
	assert_int_equal(store_put(t, STORE_DB_EAB, big, sizeof(big), "v", 1, 0), ERR_TOOBIG);
	assert_int_equal(store_put(t, STORE_DB_EAB, big, STORE_KEY_MAX, "v", 1, 0), 0);
	assert_int_equal(store_get(t, STORE_DB_EAB, big, STORE_KEY_MAX, &v, &vl), 0);
	assert_int_equal(vl, 1);
	assert_int_equal(store_put(t, STORE_DB__MAX, "k", 1, "v", 1, 0), ERR_STATE);
	return 0;
}

static int
write_in_read_txn(struct store_txn *t, void *arg)
{
	uint64_t id;

	(void)arg;
	assert_int_equal(store_put(t, STORE_DB_EAB, "x", 1, "v", 1, 0), ERR_STATE);
	assert_int_equal(store_del(t, STORE_DB_EAB, "x", 1), ERR_STATE);
	assert_int_equal(store_seq_next(t, STORE_SEQ_JOB, &id), ERR_STATE);
	return 0;
}

static void
test_del_and_bad_keys(void **state)
{
	struct fx *f = *state;
	int rcs[2] = { 1, 1 };
	char buf[8];

	fx_open(f);
	kv_put(f->s, "key", "v");
	assert_int_equal(store_write(f->s, del_txn, rcs), 0);
	assert_int_equal(rcs[0], 0);
	assert_int_equal(rcs[1], ERR_NOTFOUND);
	assert_int_equal(kv_get(f->s, "key", buf, sizeof(buf)), ERR_NOTFOUND);
	assert_int_equal(store_write(f->s, bad_keys_txn, NULL), 0);
	assert_int_equal(store_read(f->s, write_in_read_txn, NULL), 0);
}

static int
abort_txn(struct store_txn *t, void *arg)
{
	uint64_t id;

	(void)arg;
	assert_int_equal(store_put(t, STORE_DB_EAB, "gone", 4, "v", 1, 0), 0);
	assert_int_equal(store_seq_next(t, STORE_SEQ_ORDER, &id), 0);
	assert_int_equal(id, 1);
	return ERR_DENIED;
}

static void
test_error_aborts(void **state)
{
	struct fx *f = *state;
	struct store_stats st;
	char buf[8];

	fx_open(f);
	assert_int_equal(store_write(f->s, abort_txn, NULL), ERR_DENIED);
	assert_int_equal(kv_get(f->s, "gone", buf, sizeof(buf)), ERR_NOTFOUND);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_EAB], 0);
	/* The sequence did not move either: the next value is still 1. */
	assert_int_equal(store_write(f->s, abort_txn, NULL), ERR_DENIED);
}

struct nest {
	struct store *s;
	int rc_w, rc_r, rc_b;
};

static int
noop_txn(struct store_txn *t, void *arg)
{
	(void)t;
	(void)arg;
	return 0;
}

static int
nest_txn(struct store_txn *t, void *arg)
{
	struct nest *n = arg;

	(void)t;
	n->rc_w = store_write(n->s, noop_txn, NULL);
	n->rc_r = store_read(n->s, noop_txn, NULL);
	n->rc_b = store_backup(n->s, "/nonexistent/x");
	return 0;
}

static void
test_no_nesting(void **state)
{
	struct fx *f = *state;
	struct nest n = { NULL, 0, 0, 0 };

	fx_open(f);
	n.s = f->s;
	assert_int_equal(store_write(f->s, nest_txn, &n), 0);
	assert_int_equal(n.rc_w, ERR_STATE);
	assert_int_equal(n.rc_r, ERR_STATE);
	assert_int_equal(n.rc_b, ERR_STATE);
	/* And the store still works afterwards. */
	assert_int_equal(store_write(f->s, noop_txn, NULL), 0);
}

/* ---- scans -------------------------------------------------------------------- */

struct seen {
	char keys[16][16];
	size_t n;
	int stop_at;        /* return 1 when n reaches this (0: never) */
	int fail_at;        /* return ERR_DENIED when n reaches this */
};

static int
seen_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct seen *s = arg;

	(void)v;
	(void)vl;
	assert_true(kl < sizeof(s->keys[0]));
	assert_true(s->n < 16);
	memcpy(s->keys[s->n], k, kl);
	s->keys[s->n][kl] = '\0';
	s->n++;
	if (s->fail_at != 0 && (int)s->n == s->fail_at)
		return ERR_DENIED;
	if (s->stop_at != 0 && (int)s->n == s->stop_at)
		return 1;
	return 0;
}

struct scan_case {
	const char *prefix;     /* prefix scan when start/end are NULL */
	const char *start, *end;
	int range;
	size_t max;
	int stop_at, fail_at;
	int want_rc;
	const char *want[8];
};

static int
scan_txn(struct store_txn *t, void *arg)
{
	const struct scan_case *c = arg;
	struct seen s;
	size_t nwant = 0;
	int rc;

	memset(&s, 0, sizeof(s));
	s.stop_at = c->stop_at;
	s.fail_at = c->fail_at;
	if (c->range)
		rc = store_scan_range(t, STORE_DB_EAB, c->start, c->start ? strlen(c->start) : 0,
				      c->end, c->end ? strlen(c->end) : 0, seen_cb, &s, c->max);
	else
		rc = store_scan(t, STORE_DB_EAB, c->prefix, strlen(c->prefix), seen_cb, &s,
				c->max);
	assert_int_equal(rc, c->want_rc);
	while (nwant < 8 && c->want[nwant] != NULL)
		nwant++;
	assert_int_equal(s.n, nwant);
	for (size_t i = 0; i < nwant; i++)
		assert_string_equal(s.keys[i], c->want[i]);
	return 0;
}

static void
test_scan(void **state)
{
	struct fx *f = *state;
	static const char *const keys[] = { "b1", "a2", "a", "a1", "a3", "ab", "c" };
	static const struct scan_case cases[] = {
		{ "a", NULL, NULL, 0, 100, 0, 0, 5, { "a", "a1", "a2", "a3", "ab" } },
		{ "a", NULL, NULL, 0, 2, 0, 0, 2, { "a", "a1" } },
		{ "a", NULL, NULL, 0, 0, 0, 0, 0, { NULL } },
		{ "a1", NULL, NULL, 0, 100, 0, 0, 1, { "a1" } },
		{ "zz", NULL, NULL, 0, 100, 0, 0, 0, { NULL } },
		{ "", NULL, NULL, 0, 100, 0, 0, 7, { "a", "a1", "a2", "a3", "ab", "b1", "c" } },
		{ "a", NULL, NULL, 0, 100, 3, 0, 3, { "a", "a1", "a2" } },
		{ "a", NULL, NULL, 0, 100, 0, 2, ERR_DENIED, { "a", "a1" } },
		{ NULL, "a2", "b", 1, 100, 0, 0, 3, { "a2", "a3", "ab" } },
		{ NULL, "a2", "b1", 1, 100, 0, 0, 3, { "a2", "a3", "ab" } },
		{ NULL, NULL, "a2", 1, 100, 0, 0, 2, { "a", "a1" } },
		{ NULL, "ab0", NULL, 1, 100, 0, 0, 2, { "b1", "c" } },
		{ NULL, "b", NULL, 1, 1, 0, 0, 1, { "b1" } },
	};

	fx_open(f);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		kv_put(f->s, keys[i], "v");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("scan case %zu\n", i);
		assert_int_equal(store_read(f->s, scan_txn, (void *)&cases[i]), 0);
	}
}

/* ---- sequences ---------------------------------------------------------------- */

struct seq_args {
	enum store_seq which;
	uint64_t got;
};

static int
seq_txn(struct store_txn *t, void *arg)
{
	struct seq_args *a = arg;

	return store_seq_next(t, a->which, &a->got);
}

static uint64_t
seq_next(struct store *s, enum store_seq which)
{
	struct seq_args a = { which, 0 };

	assert_int_equal(store_write(s, seq_txn, &a), 0);
	return a.got;
}

static void
test_sequences(void **state)
{
	struct fx *f = *state;
	struct seq_args bad = { STORE_SEQ__MAX, 0 };

	fx_open(f);
	assert_int_equal(seq_next(f->s, STORE_SEQ_ACCOUNT), 1);
	assert_int_equal(seq_next(f->s, STORE_SEQ_ACCOUNT), 2);
	assert_int_equal(seq_next(f->s, STORE_SEQ_ACCOUNT), 3);
	assert_int_equal(seq_next(f->s, STORE_SEQ_ORDER), 1);
	assert_int_equal(seq_next(f->s, STORE_SEQ_JOB), 1);
	assert_int_equal(store_write(f->s, seq_txn, &bad), ERR_RANGE);
	fx_open(f);
	assert_int_equal(seq_next(f->s, STORE_SEQ_ACCOUNT), 4);
	assert_int_equal(seq_next(f->s, STORE_SEQ_ORDER), 2);
	assert_int_equal(seq_next(f->s, STORE_SEQ_AUTHZ), 1);
	assert_int_equal(seq_next(f->s, STORE_SEQ_CERT), 1);
	assert_int_equal(seq_next(f->s, STORE_SEQ_JOB), 2);
}

/* ---- time keys ---------------------------------------------------------------- */

static void
test_time_keys(void **state)
{
	static const int64_t times[] = { INT64_MIN, -86400, -1, 0, 1, 1767225600, INT64_MAX };
	uint8_t a[8], b[8];

	(void)state;
	store_be64_put(a, 0x0102030405060708ull);
	assert_memory_equal(a, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(store_be64_get(a), 0x0102030405060708ull);
	store_time_key(a, 0);
	assert_memory_equal(a, "\x80\0\0\0\0\0\0\0", 8);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		store_time_key(a, times[i]);
		assert_int_equal(store_time_from_key(a), times[i]);
		if (i > 0) {
			store_time_key(b, times[i - 1]);
			assert_true(memcmp(b, a, 8) < 0);
		}
	}
}

/* ---- map full ------------------------------------------------------------------ */

struct fill {
	int n;
	int ignore_error;   /* return 0 even when a put failed */
	int put_rc;
};

static int
fill_txn(struct store_txn *t, void *arg)
{
	struct fill *fl = arg;
	static uint8_t val[8192];
	char key[32];

	memset(val, 0x5a, sizeof(val));
	snprintf(key, sizeof(key), "fill%06d", fl->n);
	fl->put_rc = store_put(t, STORE_DB_EAB, key, strlen(key), val, sizeof(val), 0);
	return fl->ignore_error ? 0 : fl->put_rc;
}

static void
test_map_full(void **state)
{
	struct fx *f = *state;
	struct store_open_opts o = { 0, 64 * 4096, NULL, 0 };
	struct fill fl = { 0, 0, 0 };
	struct store_stats st;
	char buf[8];
	int rc = 0;

	assert_int_equal(store_open_ex(&f->s, f->dir, STORE_OPEN_NOSYNC, &o), 0);
	kv_put(f->s, "keep", "me");
	for (fl.n = 0; fl.n < 1000; fl.n++) {
		rc = store_write(f->s, fill_txn, &fl);
		if (rc != 0)
			break;
	}
	assert_int_equal(rc, ERR_FULL);
	assert_int_equal(fl.put_rc, ERR_FULL);
	assert_true(fl.n > 0 && fl.n < 1000);

	/* A body that ignores the failure still does not commit a broken transaction. */
	fl.ignore_error = 1;
	assert_int_equal(store_write(f->s, fill_txn, &fl), ERR_FULL);

	/* Earlier data is intact and the store still opens. */
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_EAB], (uint64_t)fl.n + 1);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open_ex(&f->s, f->dir, STORE_OPEN_NOSYNC, &o), 0);
	assert_int_equal(kv_get(f->s, "keep", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "me");
}

/* ---- backup ------------------------------------------------------------------- */

static void
test_backup(void **state)
{
	struct fx *f = *state;
	struct store *r = NULL;
	struct store_stats a, b;
	char bak[200], tmp[256], rdir[200], rdata[256], buf[64];
	struct stat sb;

	fx_open(f);
	kv_put(f->s, "one", "1");
	kv_put(f->s, "two", "2");
	assert_int_equal(seq_next(f->s, STORE_SEQ_CERT), 1);
	snprintf(bak, sizeof(bak), "%s/backup.mdb", f->root);
	snprintf(tmp, sizeof(tmp), "%s.tmp", bak);
	assert_int_equal(store_backup(f->s, bak), 0);
	assert_int_equal(stat(bak, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(tmp, &sb), -1);
	/* Written after the backup: must not be in it. */
	kv_put(f->s, "three", "3");

	snprintf(rdir, sizeof(rdir), "%s/restore", f->root);
	snprintf(rdata, sizeof(rdata), "%s/data.mdb", rdir);
	assert_int_equal(mkdir(rdir, 0700), 0);
	assert_int_equal(rename(bak, rdata), 0);
	assert_int_equal(store_open(&r, rdir, STORE_OPEN_NOSYNC), 0);
	assert_int_equal(kv_get(r, "one", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1");
	assert_int_equal(kv_get(r, "two", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2");
	assert_int_equal(kv_get(r, "three", buf, sizeof(buf)), ERR_NOTFOUND);
	assert_int_equal(seq_next(r, STORE_SEQ_CERT), 2);
	assert_int_equal(store_stat(f->s, &a), 0);
	assert_int_equal(store_stat(r, &b), 0);
	assert_int_equal(a.created, b.created);
	assert_int_equal(a.schema, b.schema);
	assert_int_equal(b.entries[STORE_DB_EAB], 2);
	store_close(r);

	/* A backup into a missing directory fails cleanly. */
	snprintf(bak, sizeof(bak), "%s/missing/backup.mdb", f->root);
	assert_true(store_backup(f->s, bak) < 0);
}

static void
test_rdonly(void **state)
{
	struct fx *f = *state;
	struct store *r = NULL;
	char buf[8];

	assert_int_equal(store_open(&r, f->dir, STORE_OPEN_RDONLY), ERR_STORE);
	assert_null(r);
	fx_open(f);
	kv_put(f->s, "k", "v");
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&r, f->dir, STORE_OPEN_RDONLY), 0);
	assert_int_equal(kv_get(r, "k", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "v");
	assert_int_equal(store_write(r, noop_txn, NULL), ERR_STATE);
	store_close(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_close_reopen, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_put_get_del, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_del_and_bad_keys, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_error_aborts, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_nesting, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_scan, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sequences, fx_setup, fx_teardown),
		cmocka_unit_test(test_time_keys),
		cmocka_unit_test_setup_teardown(test_map_full, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_backup, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rdonly, fx_setup, fx_teardown),
	};

	log_set_level(PLOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
