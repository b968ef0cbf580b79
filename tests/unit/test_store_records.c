/* store/: typed records through the store, index upkeep, corrupted records, expiry sweep. */
#include "store_fx.h"

/* ---- round trip through the store, across a reopen ------------------------------------- */

static struct rec_eab g_eab;
static struct rec_account g_acct;
static struct rec_order g_order;
static struct rec_authz g_authz;
static struct rec_cert g_cert;
static struct rec_job g_job;
static struct rec_dn g_dn;

static void
put_all(struct store_txn *t)
{
	assert_int_equal(store_eab_put(t, &g_eab, STORE_NOOVERWRITE), 0);
	assert_int_equal(store_account_put(t, &g_acct), 0);
	assert_int_equal(store_order_put(t, &g_order), 0);
	assert_int_equal(store_authz_put(t, &g_authz), 0);
	assert_int_equal(store_cert_put(t, &g_cert), 0);
	assert_int_equal(store_job_put(t, &g_job), 0);
	assert_int_equal(store_dn_put(t, &g_dn), 0);
}

static void
get_all(struct store_txn *t)
{
	static struct rec_eab e;
	static struct rec_account a;
	static struct rec_order o;
	static struct rec_authz z;
	static struct rec_cert c;
	static struct rec_job j;
	static struct rec_dn d;

	assert_int_equal(store_eab_get(t, g_eab.kid, &e), 0);
	eq_eab(&g_eab, &e);
	assert_int_equal(store_account_get(t, g_acct.id, &a), 0);
	eq_account(&g_acct, &a);
	assert_int_equal(store_order_get(t, g_order.id, &o), 0);
	eq_order(&g_order, &o);
	assert_int_equal(store_authz_get(t, g_authz.id, &z), 0);
	eq_authz(&g_authz, &z);
	assert_int_equal(store_cert_get(t, g_cert.id, &c), 0);
	eq_cert(&g_cert, &c);
	assert_int_equal(store_job_get(t, g_job.id, &j), 0);
	eq_job(&g_job, &j);
	assert_int_equal(store_dn_get(t, g_dn.dn, &d), 0);
	eq_dn(&g_dn, &d);

	/* And through each index. */
	assert_int_equal(store_account_find_by_key(t, g_acct.thumbprint, &a), 0);
	assert_int_equal(a.id, g_acct.id);
	assert_int_equal(store_cert_find_by_serial(t, g_cert.serial, g_cert.serial_len, &c), 0);
	assert_int_equal(c.id, g_cert.id);
	assert_int_equal(store_job_find_by_key(t, g_job.spki_sha256, g_job.names_sha256, &j), 0);
	assert_int_equal(j.id, g_job.id);
	assert_int_equal(store_authz_find(t, g_authz.account_id, &g_authz.ident, 1, &z), 0);
	assert_int_equal(z.id, g_authz.id);
	assert_int_equal(store_authz_find(t, g_authz.account_id, &g_authz.ident, 0, &z),
			 ERR_NOTFOUND);

	assert_int_equal(store_account_get(t, g_acct.id + 1, &a), ERR_NOTFOUND);
	assert_int_equal(store_eab_get(t, "nope", &e), ERR_NOTFOUND);
	assert_int_equal(store_eab_get(t, "", &e), ERR_NOTFOUND);
	assert_int_equal(store_dn_get(t, "CN=nope", &d), ERR_NOTFOUND);
}

static void
test_round_trip_all(void **state)
{
	struct fx *f = *state;
	struct store_stats st;

	full_eab(&g_eab, 11);
	full_account(&g_acct, 21, 21);
	full_order(&g_order, 31, 21, 31);
	full_authz(&g_authz, 41, 21, 41);
	full_cert(&g_cert, 51, 51);
	full_job(&g_job, 61, 61);
	full_dn(&g_dn, 71);
	in_write(f, put_all);
	in_read(f, get_all);
	fx_open(f);
	in_read(f, get_all);

	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_ACCOUNT], 1);
	assert_int_equal(st.entries[STORE_DB_ACCOUNT_BY_KEY], 1);
	assert_int_equal(st.entries[STORE_DB_ORDER_BY_ACCOUNT], 1);
	assert_int_equal(st.entries[STORE_DB_ORDER_BY_EXPIRY], 1);
	assert_int_equal(st.entries[STORE_DB_AUTHZ_BY_EXPIRY], 1);
	assert_int_equal(st.entries[STORE_DB_AUTHZ_BY_ACCOUNT_NAME], 1);
	assert_int_equal(st.entries[STORE_DB_CERT_BY_SERIAL], 1);
	assert_int_equal(st.entries[STORE_DB_CERT_BY_EXPIRY], 1);
	assert_int_equal(st.entries[STORE_DB_JOB_BY_STATE], 1);
	assert_int_equal(st.entries[STORE_DB_JOB_BY_KEY], 1);
	assert_int_equal(st.entries[STORE_DB_DN], 1);
}

static void
put_zero_ids(struct store_txn *t)
{
	static struct rec_account a;
	static struct rec_cert c;
	static struct rec_eab e;
	static struct rec_dn d;

	full_account(&a, 0, 1);
	assert_int_equal(store_account_put(t, &a), ERR_RANGE);
	full_cert(&c, 1, 1);
	c.serial_len = 0;
	assert_int_equal(store_cert_put(t, &c), ERR_RANGE);
	memset(&e, 0, sizeof(e));
	assert_int_equal(store_eab_put(t, &e, 0), ERR_RANGE);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_dn_put(t, &d), ERR_RANGE);
}

static void
test_put_refuses_bad_keys(void **state)
{
	struct fx *f = *state;

	in_write(f, put_zero_ids);
}

/* ---- EAB ------------------------------------------------------------------------------ */

static void
eab_body(struct store_txn *t)
{
	static struct rec_eab e;
	static char kids[4][REC_KID_MAX + 1];
	static const char *const names[] = { "kid-b", "kid-a", "kid-c", "kid-aa" };
	size_t n = 0;

	for (size_t i = 0; i < 4; i++) {
		memset(&e, 0, sizeof(e));
		strcpy(e.kid, names[i]);
		strcpy(e.name, "user");
		assert_int_equal(store_eab_put(t, &e, STORE_NOOVERWRITE), 0);
	}
	strcpy(e.name, "other");
	assert_int_equal(store_eab_put(t, &e, STORE_NOOVERWRITE), ERR_EXISTS);
	assert_int_equal(store_eab_get(t, "kid-aa", &e), 0);
	assert_string_equal(e.name, "user");

	assert_int_equal(store_eab_list(t, NULL, kids, 4, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(kids[0], "kid-a");
	assert_string_equal(kids[1], "kid-aa");
	assert_string_equal(kids[2], "kid-b");
	assert_string_equal(kids[3], "kid-c");
	assert_int_equal(store_eab_list(t, "kid-a", kids, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(kids[0], "kid-aa");
	assert_string_equal(kids[1], "kid-b");
	assert_int_equal(store_eab_list(t, "kid-c", kids, 4, &n), 0);
	assert_int_equal(n, 0);

	assert_int_equal(store_eab_del(t, "kid-b"), 0);
	assert_int_equal(store_eab_del(t, "kid-b"), ERR_NOTFOUND);
	assert_int_equal(store_eab_get(t, "kid-b", &e), ERR_NOTFOUND);
}

static void
test_eab(void **state)
{
	in_write(*state, eab_body);
}

/* ---- accounts ---------------------------------------------------------------------------- */

static void
account_body(struct store_txn *t)
{
	static struct rec_account a, b, got;
	uint8_t old_key[REC_SHA256_LEN];
	struct store_stats dummy;

	(void)dummy;
	full_account(&a, 1, 1);
	full_account(&b, 2, 2);
	assert_int_equal(store_account_put(t, &a), 0);
	assert_int_equal(store_account_put(t, &b), 0);

	/* Another account may not take a's key; nothing changes when refused. */
	memcpy(b.thumbprint, a.thumbprint, REC_SHA256_LEN);
	strcpy(b.jwk, "changed");
	assert_int_equal(store_account_put(t, &b), ERR_EXISTS);
	assert_int_equal(store_account_get(t, 2, &got), 0);
	assert_string_not_equal(got.jwk, "changed");
	assert_int_equal(store_account_find_by_key(t, got.thumbprint, &got), 0);
	assert_int_equal(got.id, 2);

	/* Key rollover moves the index. */
	memcpy(old_key, a.thumbprint, REC_SHA256_LEN);
	fill_bytes(a.thumbprint, REC_SHA256_LEN, 99);
	assert_int_equal(store_account_put(t, &a), 0);
	assert_int_equal(store_account_find_by_key(t, old_key, &got), ERR_NOTFOUND);
	assert_int_equal(store_account_find_by_key(t, a.thumbprint, &got), 0);
	assert_int_equal(got.id, 1);
	/* Now b can take the old key. */
	memcpy(b.thumbprint, old_key, REC_SHA256_LEN);
	assert_int_equal(store_account_put(t, &b), 0);
	assert_int_equal(store_account_find_by_key(t, old_key, &got), 0);
	assert_int_equal(got.id, 2);
	assert_string_equal(got.jwk, "changed");
}

static void
test_account_index(void **state)
{
	struct fx *f = *state;
	struct store_stats st;

	in_write(f, account_body);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_ACCOUNT_BY_KEY], 2);
}

/* ---- orders ------------------------------------------------------------------------------ */

static void
simple_order(struct rec_order *o, uint64_t id, uint64_t account, uint8_t status, int64_t expires)
{
	memset(o, 0, sizeof(*o));
	o->id = id;
	o->account_id = account;
	o->status = status;
	o->expires = expires;
	o->n_idents = 1;
	o->idents[0].type = REC_IDENT_DNS;
	snprintf(o->idents[0].value, sizeof(o->idents[0].value), "o%llu.example.ac.jp",
		 (unsigned long long)id);
}

static void
expect_ids(const uint64_t *got, size_t n, const uint64_t *want, size_t nwant)
{
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
}

static void
order_body(struct store_txn *t)
{
	static struct rec_order o;
	uint64_t ids[8];
	size_t n;

	for (uint64_t id = 1; id <= 3; id++) {
		simple_order(&o, id, 7, REC_ORDER_PENDING, 1000);
		assert_int_equal(store_order_put(t, &o), 0);
	}
	simple_order(&o, 4, 8, REC_ORDER_PENDING, 1000);
	assert_int_equal(store_order_put(t, &o), 0);
	simple_order(&o, 5, 6, REC_ORDER_PENDING, 1000);
	assert_int_equal(store_order_put(t, &o), 0);

	assert_int_equal(store_order_list_by_account(t, 7, 0, ids, 8, &n), 0);
	expect_ids(ids, n, (const uint64_t[]){ 1, 2, 3 }, 3);
	assert_int_equal(store_order_list_by_account(t, 7, 1, ids, 1, &n), 0);
	expect_ids(ids, n, (const uint64_t[]){ 2 }, 1);
	assert_int_equal(store_order_list_by_account(t, 7, 3, ids, 8, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_order_list_by_account(t, 8, 0, ids, 8, &n), 0);
	expect_ids(ids, n, (const uint64_t[]){ 4 }, 1);
	assert_int_equal(store_order_list_by_account(t, 9, 0, ids, 8, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_order_list_by_account(t, UINT64_MAX, 0, ids, 8, &n), 0);
	assert_int_equal(n, 0);

	/* Moving order 4 to account 7 moves its index entry. */
	simple_order(&o, 4, 7, REC_ORDER_VALID, 1000);
	assert_int_equal(store_order_put(t, &o), 0);
	assert_int_equal(store_order_list_by_account(t, 8, 0, ids, 8, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_order_list_by_account(t, 7, 0, ids, 8, &n), 0);
	expect_ids(ids, n, (const uint64_t[]){ 1, 2, 3, 4 }, 4);

	assert_int_equal(store_id_list(t, STORE_DB_ORDER, 2, ids, 8, &n), 0);
	expect_ids(ids, n, (const uint64_t[]){ 3, 4, 5 }, 3);
	assert_int_equal(store_id_list(t, STORE_DB_ORDER_BY_ACCOUNT, 0, ids, 8, &n), ERR_RANGE);
}

static void
test_order_index(void **state)
{
	struct fx *f = *state;
	struct store_stats st;

	in_write(f, order_body);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_ORDER_BY_ACCOUNT], 5);
	/* Order 4 became valid: only pending ones stay in the expiry index. */
	assert_int_equal(st.entries[STORE_DB_ORDER_BY_EXPIRY], 4);
}

/* ---- authorizations ------------------------------------------------------------------------ */

static void
simple_authz(struct rec_authz *a, uint64_t id, uint64_t account, const char *name, int wildcard,
	     uint8_t status, int64_t expires)
{
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->account_id = account;
	a->ident.type = REC_IDENT_DNS;
	snprintf(a->ident.value, sizeof(a->ident.value), "%s", name);
	a->wildcard = (uint8_t)wildcard;
	a->status = status;
	a->expires = expires;
}

static void
authz_body(struct store_txn *t)
{
	static struct rec_authz a, got;
	struct rec_ident id = { REC_IDENT_DNS, "www.example.ac.jp" };

	simple_authz(&a, 1, 7, id.value, 0, REC_AUTHZ_PENDING, 1000);
	assert_int_equal(store_authz_put(t, &a), 0);
	simple_authz(&a, 2, 7, id.value, 1, REC_AUTHZ_VALID, 1000);
	assert_int_equal(store_authz_put(t, &a), 0);
	simple_authz(&a, 3, 8, id.value, 0, REC_AUTHZ_VALID, 1000);
	assert_int_equal(store_authz_put(t, &a), 0);

	assert_int_equal(store_authz_find(t, 7, &id, 0, &got), 0);
	assert_int_equal(got.id, 1);
	assert_int_equal(store_authz_find(t, 7, &id, 1, &got), 0);
	assert_int_equal(got.id, 2);
	assert_int_equal(store_authz_find(t, 8, &id, 0, &got), 0);
	assert_int_equal(got.id, 3);
	id.type = REC_IDENT_IP;
	assert_int_equal(store_authz_find(t, 7, &id, 0, &got), ERR_NOTFOUND);
	id.type = REC_IDENT_DNS;

	/* Invalid: no longer offered for reuse. */
	simple_authz(&a, 1, 7, id.value, 0, REC_AUTHZ_INVALID, 1000);
	assert_int_equal(store_authz_put(t, &a), 0);
	assert_int_equal(store_authz_find(t, 7, &id, 0, &got), ERR_NOTFOUND);
	/* A newer pending one takes the slot; an old one turning invalid keeps off it. */
	simple_authz(&a, 4, 7, id.value, 0, REC_AUTHZ_PENDING, 2000);
	assert_int_equal(store_authz_put(t, &a), 0);
	simple_authz(&a, 1, 7, id.value, 0, REC_AUTHZ_DEACTIVATED, 1000);
	assert_int_equal(store_authz_put(t, &a), 0);
	assert_int_equal(store_authz_find(t, 7, &id, 0, &got), 0);
	assert_int_equal(got.id, 4);
}

static void
test_authz_index(void **state)
{
	struct fx *f = *state;
	struct store_stats st;

	in_write(f, authz_body);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_AUTHZ_BY_ACCOUNT_NAME], 3);
	assert_int_equal(st.entries[STORE_DB_AUTHZ_BY_EXPIRY], 3);
}

/* ---- certificates ----------------------------------------------------------------------------- */

static void
simple_cert(struct rec_cert *c, uint64_t id, uint8_t serial, int64_t not_after)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->serial[0] = 0x01;
	c->serial[1] = serial;
	c->serial_len = 2;
	c->not_after = not_after;
}

static void
cert_body(struct store_txn *t)
{
	static struct rec_cert c, got;
	struct store_expiry e[8];
	size_t n;

	simple_cert(&c, 1, 0xa1, 3000);
	assert_int_equal(store_cert_put(t, &c), 0);
	simple_cert(&c, 2, 0xa2, 1000);
	assert_int_equal(store_cert_put(t, &c), 0);
	simple_cert(&c, 3, 0xa3, 2000);
	assert_int_equal(store_cert_put(t, &c), 0);
	simple_cert(&c, 4, 0xa4, 2000);
	assert_int_equal(store_cert_put(t, &c), 0);
	simple_cert(&c, 5, 0xa5, -5);
	assert_int_equal(store_cert_put(t, &c), 0);

	/* Serial conflict refused. */
	simple_cert(&c, 6, 0xa1, 4000);
	assert_int_equal(store_cert_put(t, &c), ERR_EXISTS);
	assert_int_equal(store_cert_get(t, 6, &got), ERR_NOTFOUND);

	assert_int_equal(store_cert_list_by_expiry(t, NULL, 2500, e, 8, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(e[0].cert_id, 5);
	assert_int_equal(e[0].not_after, -5);
	assert_int_equal(e[1].cert_id, 2);
	assert_int_equal(e[2].cert_id, 3);
	assert_int_equal(e[3].cert_id, 4);
	assert_int_equal(e[3].not_after, 2000);
	/* Paging: two at a time. */
	assert_int_equal(store_cert_list_by_expiry(t, NULL, INT64_MAX, e, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[1].cert_id, 2);
	assert_int_equal(store_cert_list_by_expiry(t, &e[1], INT64_MAX, e, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].cert_id, 3);
	assert_int_equal(e[1].cert_id, 4);
	assert_int_equal(store_cert_list_by_expiry(t, &e[1], INT64_MAX, e, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].cert_id, 1);

	/* A new serial and notAfter move both entries. */
	simple_cert(&c, 2, 0xb2, 5000);
	assert_int_equal(store_cert_put(t, &c), 0);
	assert_int_equal(store_cert_find_by_serial(t, (const uint8_t *)"\x01\xa2", 2, &got),
			 ERR_NOTFOUND);
	assert_int_equal(store_cert_find_by_serial(t, (const uint8_t *)"\x01\xb2", 2, &got), 0);
	assert_int_equal(got.id, 2);
	assert_int_equal(store_cert_list_by_expiry(t, NULL, 1500, e, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].cert_id, 5);
	assert_int_equal(store_cert_find_by_serial(t, (const uint8_t *)"", 0, &got), ERR_NOTFOUND);
}

static void
test_cert_index(void **state)
{
	struct fx *f = *state;
	struct store_stats st;

	in_write(f, cert_body);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_CERT_BY_SERIAL], 5);
	assert_int_equal(st.entries[STORE_DB_CERT_BY_EXPIRY], 5);
}

/* ---- jobs --------------------------------------------------------------------------------------- */

static void
simple_job(struct rec_job *j, uint64_t id, uint8_t kind, uint8_t state, unsigned key)
{
	memset(j, 0, sizeof(*j));
	j->id = id;
	j->kind = kind;
	j->state = state;
	memset(j->spki_sha256, (int)key, REC_SHA256_LEN);
	memset(j->names_sha256, (int)(key + 1), REC_SHA256_LEN);
}

static void
job_body(struct store_txn *t)
{
	static struct rec_job j, got;
	uint8_t spki[REC_SHA256_LEN], names[REC_SHA256_LEN];
	uint64_t ids[8];
	size_t n;

	memset(spki, 0x10, sizeof(spki));
	memset(names, 0x11, sizeof(names));
	simple_job(&j, 1, REC_JOB_NEW, REC_JOB_QUEUED, 0x10);
	assert_int_equal(store_job_put(t, &j), 0);
	simple_job(&j, 2, REC_JOB_NEW, REC_JOB_QUEUED, 0x20);
	assert_int_equal(store_job_put(t, &j), 0);
	simple_job(&j, 3, REC_JOB_REVOKE, REC_JOB_QUEUED, 0x10);
	assert_int_equal(store_job_put(t, &j), 0); /* revocations do not own the key */

	assert_int_equal(store_job_list_by_state(t, REC_JOB_QUEUED, 0, ids, 8, &n), 0);
	expect_ids(ids, n, (const uint64_t[]){ 1, 2, 3 }, 3);
	assert_int_equal(store_job_find_by_key(t, spki, names, &got), 0);
	assert_int_equal(got.id, 1);

	/* State change: the entry moves from queued to submitted. */
	simple_job(&j, 1, REC_JOB_NEW, REC_JOB_SUBMITTED, 0x10);
	assert_int_equal(store_job_put(t, &j), 0);
	assert_int_equal(store_job_list_by_state(t, REC_JOB_QUEUED, 0, ids, 8, &n), 0);
	expect_ids(ids, n, (const uint64_t[]){ 2, 3 }, 2);
	assert_int_equal(store_job_list_by_state(t, REC_JOB_SUBMITTED, 0, ids, 8, &n), 0);
	expect_ids(ids, n, (const uint64_t[]){ 1 }, 1);
	assert_int_equal(store_job_list_by_state(t, REC_JOB_QUEUED, 2, ids, 8, &n), 0);
	expect_ids(ids, n, (const uint64_t[]){ 3 }, 1);
	assert_int_equal(store_job_list_by_state(t, REC_JOB__MAX, 0, ids, 8, &n), ERR_RANGE);
	assert_int_equal(store_job_find_by_key(t, spki, names, &got), 0);
	assert_int_equal(got.id, 1);

	/* A second live job for the same key+names is refused: it must join job 1. */
	simple_job(&j, 4, REC_JOB_NEW, REC_JOB_QUEUED, 0x10);
	assert_int_equal(store_job_put(t, &j), ERR_EXISTS);
	assert_int_equal(store_job_get(t, 4, &got), ERR_NOTFOUND);

	/* Rejected releases the key; then a new job may own it. */
	simple_job(&j, 1, REC_JOB_NEW, REC_JOB_REJECTED, 0x10);
	assert_int_equal(store_job_put(t, &j), 0);
	assert_int_equal(store_job_find_by_key(t, spki, names, &got), ERR_NOTFOUND);
	simple_job(&j, 4, REC_JOB_NEW, REC_JOB_QUEUED, 0x10);
	assert_int_equal(store_job_put(t, &j), 0);
	assert_int_equal(store_job_find_by_key(t, spki, names, &got), 0);
	assert_int_equal(got.id, 4);
	assert_int_equal(store_job_list_by_state(t, REC_JOB_REJECTED, 0, ids, 8, &n), 0);
	expect_ids(ids, n, (const uint64_t[]){ 1 }, 1);
	assert_int_equal(store_job_list_by_state(t, REC_JOB_SUBMITTED, 0, ids, 8, &n), 0);
	assert_int_equal(n, 0);
}

static void
test_job_index(void **state)
{
	struct fx *f = *state;
	struct store_stats st;

	in_write(f, job_body);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_JOB_BY_STATE], 4);
	assert_int_equal(st.entries[STORE_DB_JOB_BY_KEY], 2);
}

/* ---- corrupted records ------------------------------------------------------------------------- */

static void
corrupt_body(struct store_txn *t)
{
	static struct rec_account a, got;
	static uint8_t buf[REC_ENC_MAX];
	uint8_t key[8];
	size_t len;

	full_account(&a, 9, 9);
	assert_int_equal(rec_account_encode(&a, buf, sizeof(buf), &len), 0);
	store_be64_put(key, 9);
	assert_int_equal(store_put(t, STORE_DB_ACCOUNT, key, 8, buf, len / 2, 0), 0);
	assert_int_equal(store_account_get(t, 9, &got), ERR_MALFORMED);
	assert_int_equal(store_put(t, STORE_DB_ACCOUNT, key, 8, "", 0, 0), 0);
	assert_int_equal(store_account_get(t, 9, &got), ERR_MALFORMED);
	buf[0] = 7;
	assert_int_equal(store_put(t, STORE_DB_ACCOUNT, key, 8, buf, len, 0), 0);
	assert_int_equal(store_account_get(t, 9, &got), ERR_VERSION);
	/* A put over a broken record repairs it. */
	assert_int_equal(store_account_put(t, &a), 0);
	assert_int_equal(store_account_get(t, 9, &got), 0);
	eq_account(&a, &got);
	/* A broken index entry is malformed too, not a crash. */
	assert_int_equal(store_put(t, STORE_DB_ACCOUNT_BY_KEY, a.thumbprint, REC_SHA256_LEN,
				   "xyz", 3, 0), 0);
	assert_int_equal(store_account_find_by_key(t, a.thumbprint, &got), ERR_MALFORMED);
}

static void
test_corrupted(void **state)
{
	in_write(*state, corrupt_body);
}

/* ---- expiry sweep ------------------------------------------------------------------------------- */

static void
sweep_setup(struct store_txn *t)
{
	static struct rec_order o;
	static struct rec_authz a;

	simple_order(&o, 1, 7, REC_ORDER_PENDING, 100);
	assert_int_equal(store_order_put(t, &o), 0);
	simple_order(&o, 2, 7, REC_ORDER_READY, 200);
	assert_int_equal(store_order_put(t, &o), 0);
	simple_order(&o, 3, 7, REC_ORDER_PROCESSING, 50);
	assert_int_equal(store_order_put(t, &o), 0);
	simple_order(&o, 4, 7, REC_ORDER_VALID, 50);
	assert_int_equal(store_order_put(t, &o), 0);
	simple_order(&o, 5, 7, REC_ORDER_PENDING, 0); /* never expires */
	assert_int_equal(store_order_put(t, &o), 0);
	simple_authz(&a, 1, 7, "a.example.ac.jp", 0, REC_AUTHZ_PENDING, 100);
	assert_int_equal(store_authz_put(t, &a), 0);
	simple_authz(&a, 2, 7, "b.example.ac.jp", 0, REC_AUTHZ_VALID, 300);
	assert_int_equal(store_authz_put(t, &a), 0);
	simple_authz(&a, 3, 7, "c.example.ac.jp", 0, REC_AUTHZ_INVALID, 10);
	assert_int_equal(store_authz_put(t, &a), 0);
}

static uint8_t
order_status(struct store_txn *t, uint64_t id)
{
	static struct rec_order o;

	assert_int_equal(store_order_get(t, id, &o), 0);
	return o.status;
}

static uint8_t
authz_status(struct store_txn *t, uint64_t id)
{
	static struct rec_authz a;

	assert_int_equal(store_authz_get(t, id, &a), 0);
	return a.status;
}

static void
sweep_body(struct store_txn *t)
{
	struct rec_ident b = { REC_IDENT_DNS, "b.example.ac.jp" };
	static struct rec_authz got;
	size_t n = 99;

	assert_int_equal(store_sweep_expired(t, 99, 10, &n), 0);
	assert_int_equal(n, 0);
	/* At 150: order 1 (100) and authz 1 (100) are due; order 3 is processing. */
	assert_int_equal(store_sweep_expired(t, 150, 10, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(order_status(t, 1), REC_ORDER_INVALID);
	assert_int_equal(order_status(t, 2), REC_ORDER_READY);
	assert_int_equal(order_status(t, 3), REC_ORDER_PROCESSING);
	assert_int_equal(order_status(t, 4), REC_ORDER_VALID);
	assert_int_equal(authz_status(t, 1), REC_AUTHZ_EXPIRED);
	assert_int_equal(authz_status(t, 2), REC_AUTHZ_VALID);
	assert_int_equal(authz_status(t, 3), REC_AUTHZ_INVALID);
	assert_int_equal(store_authz_find(t, 7, &b, 0, &got), 0);

	/* "expires <= now" is due. */
	assert_int_equal(store_sweep_expired(t, 300, 10, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(order_status(t, 2), REC_ORDER_INVALID);
	assert_int_equal(authz_status(t, 2), REC_AUTHZ_EXPIRED);
	assert_int_equal(store_authz_find(t, 7, &b, 0, &got), ERR_NOTFOUND);
	assert_int_equal(store_sweep_expired(t, INT64_MAX, 10, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(order_status(t, 5), REC_ORDER_PENDING);
}

static void
sweep_bounded(struct store_txn *t)
{
	static struct rec_order o;
	uint8_t key[16];
	size_t n;

	for (uint64_t id = 10; id < 15; id++) {
		simple_order(&o, id, 7, REC_ORDER_PENDING, 10);
		assert_int_equal(store_order_put(t, &o), 0);
	}
	/* A stale entry (no order 99) is dropped, and counts. */
	store_time_key(key, 5);
	store_be64_put(key + 8, 99);
	assert_int_equal(store_put(t, STORE_DB_ORDER_BY_EXPIRY, key, 16, "", 0, 0), 0);

	assert_int_equal(store_sweep_expired(t, 20, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(order_status(t, 10), REC_ORDER_INVALID);
	assert_int_equal(order_status(t, 11), REC_ORDER_PENDING);
	assert_int_equal(store_sweep_expired(t, 20, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_sweep_expired(t, 20, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_sweep_expired(t, 20, 2, &n), 0);
	assert_int_equal(n, 0);
	for (uint64_t id = 10; id < 15; id++)
		assert_int_equal(order_status(t, id), REC_ORDER_INVALID);
}

static void
test_sweep(void **state)
{
	struct fx *f = *state;
	struct store_stats st;

	in_write(f, sweep_setup);
	in_write(f, sweep_body);
	assert_int_equal(store_stat(f->s, &st), 0);
	assert_int_equal(st.entries[STORE_DB_ORDER_BY_EXPIRY], 0);
	assert_int_equal(st.entries[STORE_DB_AUTHZ_BY_EXPIRY], 0);
	in_write(f, sweep_bounded);
}

/* ---- one write transaction for a whole issuance --------------------------------------------- */

static void
batch_body(struct store_txn *t)
{
	static struct rec_account a;
	static struct rec_order o;
	static struct rec_authz z;
	static struct rec_job j;
	uint64_t id;

	assert_int_equal(store_seq_next(t, STORE_SEQ_ACCOUNT, &id), 0);
	full_account(&a, id, 1);
	assert_int_equal(store_account_put(t, &a), 0);
	assert_int_equal(store_seq_next(t, STORE_SEQ_ORDER, &id), 0);
	full_order(&o, id, a.id, 2);
	o.n_idents = 1;
	assert_int_equal(store_seq_next(t, STORE_SEQ_AUTHZ, &o.authz_ids[0]), 0);
	full_authz(&z, o.authz_ids[0], a.id, 3);
	assert_int_equal(store_authz_put(t, &z), 0);
	assert_int_equal(store_seq_next(t, STORE_SEQ_JOB, &o.job_id), 0);
	full_job(&j, o.job_id, 4);
	j.order_id = o.id;
	assert_int_equal(store_job_put(t, &j), 0);
	assert_int_equal(store_order_put(t, &o), 0);
}

static void
test_batch_one_commit(void **state)
{
	struct fx *f = *state;
	struct store_stats before, after;

	assert_int_equal(store_stat(f->s, &before), 0);
	in_write(f, batch_body);
	assert_int_equal(store_stat(f->s, &after), 0);
	assert_int_equal(after.last_txn, before.last_txn + 1);
	assert_int_equal(after.entries[STORE_DB_ACCOUNT], 1);
	assert_int_equal(after.entries[STORE_DB_ORDER], 1);
	assert_int_equal(after.entries[STORE_DB_AUTHZ], 1);
	assert_int_equal(after.entries[STORE_DB_JOB], 1);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_open, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_round_trip_all),
		T(test_put_refuses_bad_keys),
		T(test_eab),
		T(test_account_index),
		T(test_order_index),
		T(test_authz_index),
		T(test_cert_index),
		T(test_job_index),
		T(test_corrupted),
		T(test_sweep),
		T(test_batch_one_commit),
	};
#undef T

	log_set_level(PLOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
