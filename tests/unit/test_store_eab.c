/* store/: EAB key records (version 1 and 2) and the accounts bound through a key. */
#include "store_fx.h"

/* ---- codec --------------------------------------------------------------------- */

/* A version-1 EAB record as the previous build wrote it, byte for byte. */
static const uint8_t eab_v1[] = {
	0x01,                                           /* version */
	0, 0, 0, 2, 'k', '1',                           /* kid */
	0, 0, 0, 3, 0x01, 0x02, 0x03,                   /* hmac */
	0, 0, 0, 4, 'l', 'a', 'b', 'l',                 /* name */
	0x01,                                           /* n_allow */
	0, 0, 0, 6, '*', '.', 'a', '.', 'j', 'p',       /* allow[0] */
	0, 0, 0, 0, 0x65, 0, 0, 0,                      /* created */
	0, 0, 0, 0, 0, 0, 0, 7,                         /* account_id */
	0, 0, 0, 1,                                     /* flags: disabled */
};

/* What version 2 appends: max_accounts, expires, n_accounts. */
static const uint8_t eab_v2_tail[] = {
	0, 0, 0, 5,
	0, 0, 0, 0, 0x66, 0, 0, 0,
	0, 0, 0, 3,
};

static void
test_eab_decode_v1(void **state)
{
	static struct rec_eab e;
	uint8_t buf[sizeof(eab_v1) + sizeof(eab_v2_tail)];

	(void)state;
	assert_int_equal(rec_eab_decode(&e, eab_v1, sizeof(eab_v1)), 0);
	assert_string_equal(e.kid, "k1");
	assert_int_equal(e.hmac_len, 3);
	assert_int_equal(e.hmac[2], 0x03);
	assert_string_equal(e.name, "labl");
	assert_int_equal(e.n_allow, 1);
	assert_string_equal(e.allow[0], "*.a.jp");
	assert_int_equal(e.created, 0x65000000);
	assert_int_equal(e.account_id, 7);
	assert_int_equal(e.flags, REC_EAB_F_DISABLED);
	/* The new fields as the contract says: any number, never expires, one bound. */
	assert_int_equal(e.max_accounts, 0);
	assert_int_equal(e.expires, 0);
	assert_int_equal(e.n_accounts, 1);

	/* Unused (account_id 0): nothing bound. */
	memcpy(buf, eab_v1, sizeof(eab_v1));
	buf[sizeof(eab_v1) - 5] = 0;
	assert_int_equal(rec_eab_decode(&e, buf, sizeof(eab_v1)), 0);
	assert_int_equal(e.account_id, 0);
	assert_int_equal(e.n_accounts, 0);

	/* Version 1 with the version-2 tail is over-long; version 2 without it is short. */
	memcpy(buf, eab_v1, sizeof(eab_v1));
	memcpy(buf + sizeof(eab_v1), eab_v2_tail, sizeof(eab_v2_tail));
	assert_int_equal(rec_eab_decode(&e, buf, sizeof(buf)), ERR_MALFORMED);
	buf[0] = 2;
	assert_int_equal(rec_eab_decode(&e, buf, sizeof(eab_v1)), ERR_MALFORMED);
	buf[0] = 3;
	assert_int_equal(rec_eab_decode(&e, buf, sizeof(buf)), ERR_VERSION);
}

static void
test_eab_codec_v2(void **state)
{
	static struct rec_eab e, back;
	uint8_t want[sizeof(eab_v1) + sizeof(eab_v2_tail)];
	uint8_t buf[REC_ENC_MAX];
	size_t len = 0;

	(void)state;
	assert_int_equal(rec_eab_decode(&e, eab_v1, sizeof(eab_v1)), 0);
	e.max_accounts = 5;
	e.expires = 0x66000000;
	e.n_accounts = 3;
	assert_int_equal(rec_eab_encode(&e, buf, sizeof(buf), &len), 0);
	/* Known answer: version 2, the version-1 fields, then the tail. */
	memcpy(want, eab_v1, sizeof(eab_v1));
	memcpy(want + sizeof(eab_v1), eab_v2_tail, sizeof(eab_v2_tail));
	want[0] = REC_EAB_VERSION;
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(rec_eab_decode(&back, buf, len), 0);
	assert_int_equal(back.max_accounts, 5);
	assert_int_equal(back.expires, 0x66000000);
	assert_int_equal(back.n_accounts, 3);
	assert_int_equal(back.account_id, 7);

	/* Extremes survive. */
	e.max_accounts = UINT32_MAX;
	e.expires = INT64_MIN;
	e.n_accounts = UINT32_MAX;
	assert_int_equal(rec_eab_encode(&e, buf, sizeof(buf), &len), 0);
	assert_int_equal(rec_eab_decode(&back, buf, len), 0);
	assert_int_equal(back.max_accounts, UINT32_MAX);
	assert_int_equal(back.expires, INT64_MIN);
	assert_int_equal(back.n_accounts, UINT32_MAX);
	/* A short buffer is refused, not overrun. */
	assert_int_equal(rec_eab_encode(&e, buf, len - 1, &len), ERR_TOOBIG);
}

/* ---- the ACCOUNT_BY_EAB index --------------------------------------------------- */

struct acct_op {
	uint64_t id;
	const char *kid;
	int rc;
};

static int
acct_put_txn(struct store_txn *t, void *arg)
{
	struct acct_op *o = arg;
	static struct rec_account a;

	memset(&a, 0, sizeof(a));
	a.id = o->id;
	memset(a.thumbprint, (int)o->id, sizeof(a.thumbprint));
	snprintf(a.jwk, sizeof(a.jwk), "{\"k\":%llu}", (unsigned long long)o->id);
	snprintf(a.eab_kid, sizeof(a.eab_kid), "%s", o->kid);
	o->rc = store_account_put(t, &a);
	return 0;
}

static void
acct_put(struct store *s, uint64_t id, const char *kid)
{
	struct acct_op o = { id, kid, -1 };

	assert_int_equal(store_write(s, acct_put_txn, &o), 0);
	assert_int_equal(o.rc, 0);
}

struct list_op {
	const char *kid;
	uint64_t after;
	size_t max, n;
	uint64_t ids[16];
	int rc;
};

static int
list_txn(struct store_txn *t, void *arg)
{
	struct list_op *o = arg;

	o->rc = store_account_list_by_eab(t, o->kid, o->after, o->ids, o->max, &o->n);
	return 0;
}

/* The ids bound through kid after `after` (at most max), as "1,2,3". */
static const char *
bound(struct store *s, const char *kid, uint64_t after, size_t max)
{
	static char out[256];
	struct list_op o = { kid, after, max, 0, { 0 }, -1 };
	size_t off = 0;

	assert_true(max <= 16);
	assert_int_equal(store_read(s, list_txn, &o), 0);
	assert_int_equal(o.rc, 0);
	out[0] = '\0';
	for (size_t i = 0; i < o.n; i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%llu", i ? "," : "",
					(unsigned long long)o.ids[i]);
	return out;
}

static void
test_eab_index(void **state)
{
	struct fx *f = *state;
	char longkid[REC_KID_MAX + 2];
	struct list_op o = { "", 0, 4, 0, { 0 }, 0 };
	struct store_stats st;

	fx_open_ex(f, 0, 0);
	acct_put(f->s, 3, "abc");
	acct_put(f->s, 2, "ab");
	acct_put(f->s, 1, "ab");
	acct_put(f->s, 4, "");
	acct_put(f->s, 5, "b");
	assert_string_equal(bound(f->s, "ab", 0, 16), "1,2");
	assert_string_equal(bound(f->s, "abc", 0, 16), "3");   /* not a prefix match */
	assert_string_equal(bound(f->s, "b", 0, 16), "5");
	assert_string_equal(bound(f->s, "a", 0, 16), "");
	assert_string_equal(bound(f->s, "zz", 0, 16), "");
	/* Paging: after and max. */
	assert_string_equal(bound(f->s, "ab", 1, 16), "2");
	assert_string_equal(bound(f->s, "ab", 2, 16), "");
	assert_string_equal(bound(f->s, "ab", 0, 1), "1");
	assert_string_equal(bound(f->s, "ab", UINT64_MAX, 16), "");
	assert_string_equal(bound(f->s, "ab", 0, 0), "");

	/* Update: same kid changes nothing, a new kid moves the entry, "" drops it. */
	acct_put(f->s, 1, "ab");
	assert_string_equal(bound(f->s, "ab", 0, 16), "1,2");
	acct_put(f->s, 2, "abc");
	assert_string_equal(bound(f->s, "ab", 0, 16), "1");
	assert_string_equal(bound(f->s, "abc", 0, 16), "2,3");
	acct_put(f->s, 1, "");
	assert_string_equal(bound(f->s, "ab", 0, 16), "");
	acct_put(f->s, 4, "ab");
	assert_string_equal(bound(f->s, "ab", 0, 16), "4");
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_ACCOUNT_BY_EAB], 4);   /* 2, 3, 4, 5 */

	/* Bad kids. */
	assert_int_equal(store_read(f->s, list_txn, &o), 0);
	assert_int_equal(o.rc, ERR_RANGE);
	memset(longkid, 'k', sizeof(longkid) - 1);
	longkid[sizeof(longkid) - 1] = '\0';
	o.kid = longkid;
	assert_int_equal(store_read(f->s, list_txn, &o), 0);
	assert_int_equal(o.rc, ERR_RANGE);
	o.kid = NULL;
	assert_int_equal(store_read(f->s, list_txn, &o), 0);
	assert_int_equal(o.rc, ERR_RANGE);
	/* The longest kid works. */
	longkid[REC_KID_MAX] = '\0';
	acct_put(f->s, 9, longkid);
	assert_string_equal(bound(f->s, longkid, 0, 16), "9");
}

/* ---- the walk over account_by_eab: entries no account put can remove --------------- */

struct raw_op {
	enum { RAW_ENTRY, RAW_GARBAGE_ACCOUNT } what;
	const char *kid;
	uint64_t id;
};

static int
raw_txn(struct store_txn *t, void *arg)
{
	const struct raw_op *o = arg;
	uint8_t k[1 + REC_KID_MAX + 8];
	size_t kl = strlen(o->kid);

	if (o->what == RAW_GARBAGE_ACCOUNT) {
		store_be64_put(k, o->id);
		return store_put(t, STORE_DB_ACCOUNT, k, 8, "\x01garbage", 8, 0);
	}
	k[0] = (uint8_t)kl;
	memcpy(k + 1, o->kid, kl);
	store_be64_put(k + 1 + kl, o->id);
	return store_put(t, STORE_DB_ACCOUNT_BY_EAB, k, 1 + kl + 8, "", 0, 0);
}

static void
raw(struct store *s, int what, const char *kid, uint64_t id)
{
	struct raw_op o = { what, kid, id };

	assert_int_equal(store_write(s, raw_txn, &o), 0);
}

struct walk_run {
	struct store_eab_walk w;
	size_t max, calls, checked, dropped, unreadable;
};

static int
walk_txn(struct store_txn *t, void *arg)
{
	struct walk_run *r = arg;
	int rc = store_eab_idx_walk(t, &r->w, r->max);

	r->calls++;
	r->checked += r->w.checked;
	r->dropped += r->w.dropped;
	r->unreadable += r->w.unreadable;
	assert_true(r->w.checked <= r->max);
	return rc;
}

/* One whole pass, max entries per call: the totals. */
static void
walk_pass(struct store *s, struct walk_run *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
	do {
		assert_int_equal(store_write(s, walk_txn, r), 0);
		assert_true(r->calls < 100);
	} while (!r->w.wrapped);
}

static void
test_eab_walk(void **state)
{
	struct fx *f = *state;
	struct walk_run r;

	fx_open_ex(f, 0, 0);
	acct_put(f->s, 1, "k1");
	acct_put(f->s, 2, "k1");
	raw(f->s, RAW_ENTRY, "k1", 3);              /* no account 3 */
	acct_put(f->s, 4, "k1");
	raw(f->s, RAW_GARBAGE_ACCOUNT, "", 4);      /* account 4 no longer decodes */
	acct_put(f->s, 5, "k2");
	raw(f->s, RAW_ENTRY, "k1", 5);              /* account 5 is bound through k2 */
	assert_string_equal(bound(f->s, "k1", 0, 16), "1,2,3,4,5");

	walk_pass(f->s, &r, 2);
	assert_int_equal(r.checked, 6);
	assert_int_equal(r.dropped, 2);
	assert_int_equal(r.unreadable, 1);
	assert_true(r.calls >= 3);
	assert_string_equal(bound(f->s, "k1", 0, 16), "1,2,4");   /* 4 kept: it may come back */
	assert_string_equal(bound(f->s, "k2", 0, 16), "5");

	/* Account 4 rewritten (restored) bound through k2: the put cannot know its old
	 * kid, so (k1, 4) stays until the walk removes it. */
	acct_put(f->s, 4, "k2");
	assert_string_equal(bound(f->s, "k1", 0, 16), "1,2,4");
	walk_pass(f->s, &r, 64);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.dropped, 1);
	assert_int_equal(r.unreadable, 0);
	assert_string_equal(bound(f->s, "k1", 0, 16), "1,2");
	assert_string_equal(bound(f->s, "k2", 0, 16), "4,5");
	/* Nothing more to do; max 0 checks nothing. */
	walk_pass(f->s, &r, 64);
	assert_int_equal(r.dropped, 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_write(f->s, walk_txn, &r), 0);
	assert_int_equal(r.checked, 0);
}

/* ---- migration: accounts stored before the index existed ------------------------ */

static int
old_accounts_txn(struct store_txn *t, void *arg)
{
	static struct rec_account a;
	uint8_t buf[REC_ENC_MAX], k[8];
	size_t len;
	int rc = 0;

	(void)arg;
	for (uint64_t id = 1; rc == 0 && id <= 300; id++) {
		memset(&a, 0, sizeof(a));
		a.id = id;
		snprintf(a.eab_kid, sizeof(a.eab_kid), "%s", id % 3 == 0 ? "" : id % 3 == 1 ?
			 "one" : "two");
		rc = rec_account_encode(&a, buf, sizeof(buf), &len);
		store_be64_put(k, id);
		if (rc == 0)   /* raw, as the schema-2 build wrote it: no EAB index */
			rc = store_put(t, STORE_DB_ACCOUNT, k, sizeof(k), buf, len, 0);
	}
	return rc;
}

static void
test_eab_migration(void **state)
{
	struct fx *f = *state;
	struct store_stats st;
	struct list_op o = { "one", 0, 16, 0, { 0 }, -1 };

	fx_open_ex(f, 2, 0);
	assert_int_equal(store_write(f->s, old_accounts_txn, NULL), 0);
	assert_string_equal(bound(f->s, "one", 0, 16), "");
	fx_open_ex(f, 0, 0);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.schema, STORE_SCHEMA);
	assert_int_equal(st.migrated_from, STORE_SCHEMA - 1);   /* 2 -> 3, then the later steps */
	assert_int_equal(st.entries[STORE_DB_ACCOUNT_BY_EAB], 200);
	assert_string_equal(bound(f->s, "one", 0, 4), "1,4,7,10");
	assert_string_equal(bound(f->s, "two", 290, 16), "293,296,299");
	/* Every one of them, paged. */
	for (size_t total = 0;;) {
		assert_int_equal(store_read(f->s, list_txn, &o), 0);
		assert_int_equal(o.rc, 0);
		for (size_t i = 0; i < o.n; i++)
			assert_int_equal(o.ids[i] % 3, 1);
		total += o.n;
		if (o.n < o.max) {
			assert_int_equal(total, 100);
			break;
		}
		o.after = o.ids[o.n - 1];
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eab_decode_v1),
		cmocka_unit_test(test_eab_codec_v2),
		cmocka_unit_test_setup_teardown(test_eab_index, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_eab_migration, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_eab_walk, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
