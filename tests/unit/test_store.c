/* store/: environment, transactions, raw access, scans, sequences, schema, backup. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "platform.h"
#include "store/records.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

/* ---- fixture: a fresh temporary directory per test ------------------------------ */

struct fx {
	char root[64];      /* mkdtemp result */
	char dir[128];      /* root/db: created by store_open */
	struct store *s;
};

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->root, "/tmp/upki-store-XXXXXX");
	if (mkdtemp(f->root) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/db", f->root);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	nftw(f->root, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void
fx_open(struct fx *f)
{
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&f->s, f->dir, STORE_OPEN_NOSYNC), 0);
	assert_non_null(f->s);
}

/* Run a one-off transaction body given as a function with an argument. */
struct kv {
	const char *key;
	const char *val;
	unsigned flags;
	int rc;
};

static int
put_kv_txn(struct store_txn *t, void *arg)
{
	struct kv *kv = arg;

	kv->rc = store_put(t, STORE_DB_EAB, kv->key, strlen(kv->key), kv->val,
			   strlen(kv->val), kv->flags);
	return kv->rc;
}

/* Read key into buf as a string; returns the store_get code. */
struct kv_get {
	const char *key;
	char buf[256];
	int rc;
};

static int
get_kv_txn(struct store_txn *t, void *arg)
{
	struct kv_get *g = arg;
	const void *v = NULL;
	size_t vlen = 0;

	g->buf[0] = '\0';
	g->rc = store_get(t, STORE_DB_EAB, g->key, strlen(g->key), &v, &vlen);
	if (g->rc == 0) {
		if (vlen >= sizeof(g->buf))
			return ERR_TOOBIG;
		memcpy(g->buf, v, vlen);
		g->buf[vlen] = '\0';
	}
	return 0;
}

static int
kv_get(struct store *s, const char *key, char *out, size_t cap)
{
	struct kv_get g = { key, "", 0 };

	assert_int_equal(store_read(s, get_kv_txn, &g), 0);
	snprintf(out, cap, "%s", g.buf);
	return g.rc;
}

static void
kv_put(struct store *s, const char *key, const char *val)
{
	struct kv kv = { key, val, 0, 0 };

	assert_int_equal(store_write(s, put_kv_txn, &kv), 0);
}

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
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_migration, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_migration_step_atomic, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rdonly, fx_setup, fx_teardown),
	};

	log_set_level(PLOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
