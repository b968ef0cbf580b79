/* store/: record codec, typed records, index upkeep, expiry sweep. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "platform.h"
#include "store/rec.h"
#include "store/records.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

/* ---- fixture ------------------------------------------------------------------------ */

struct fx {
	char root[64];
	char dir[128];
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
	if (store_open(&f->s, f->dir, STORE_OPEN_NOSYNC) != 0) {
		free(f);
		return -1;
	}
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
fx_reopen(struct fx *f)
{
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&f->s, f->dir, STORE_OPEN_NOSYNC), 0);
}

/* Test bodies run inside a transaction: fn(t) does its own asserts. */
typedef void (*body_fn)(struct store_txn *t);

static int
body_txn(struct store_txn *t, void *arg)
{
	body_fn *fn = arg;

	(*fn)(t);
	return 0;
}

static void
in_write(struct fx *f, body_fn fn)
{
	assert_int_equal(store_write(f->s, body_txn, &fn), 0);
}

static void
in_read(struct fx *f, body_fn fn)
{
	assert_int_equal(store_read(f->s, body_txn, &fn), 0);
}

/* ---- full records: every field set, strings and blobs at their limits ------------- */

static void
fill_str(char *dst, size_t cap, unsigned seed)
{
	for (size_t i = 0; i + 1 < cap; i++)
		dst[i] = (char)('!' + (i * 7 + seed) % 94);
	dst[cap - 1] = '\0';
}

static void
fill_bytes(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed * 17 + 1);
}

#define FILL_STR(field, seed) fill_str((field), sizeof(field), (seed))

static void
full_problem(struct rec_problem *p, unsigned seed)
{
	FILL_STR(p->type, seed);
	FILL_STR(p->detail, seed + 1);
}

static void
full_eab(struct rec_eab *e, unsigned seed)
{
	memset(e, 0, sizeof(*e));
	FILL_STR(e->kid, seed);
	fill_bytes(e->hmac, sizeof(e->hmac), seed);
	e->hmac_len = sizeof(e->hmac);
	FILL_STR(e->name, seed + 1);
	e->n_allow = REC_EAB_ALLOW_N;
	for (size_t i = 0; i < e->n_allow; i++)
		FILL_STR(e->allow[i], seed + 2 + (unsigned)i);
	e->created = -123456789;
	e->account_id = UINT64_MAX - seed;
	e->flags = 0xdeadbeef;
	e->max_accounts = 0xfffffffeu;
	e->expires = INT64_MIN + 1;
	e->n_accounts = 0xfffffffdu;
}

static void
full_account(struct rec_account *a, uint64_t id, unsigned seed)
{
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->status = REC_ACCOUNT_DEACTIVATED;
	FILL_STR(a->jwk, seed);
	fill_bytes(a->thumbprint, sizeof(a->thumbprint), seed);
	a->n_contacts = REC_CONTACT_N;
	for (size_t i = 0; i < a->n_contacts; i++)
		FILL_STR(a->contacts[i], seed + 1 + (unsigned)i);
	FILL_STR(a->eab_kid, seed + 9);
	a->created = INT64_MAX;
	a->orders = 0xfffffff0u;
}

static void
full_ident(struct rec_ident *id, unsigned seed)
{
	id->type = seed % 2 ? REC_IDENT_IP : REC_IDENT_DNS;
	FILL_STR(id->value, seed);
}

static void
full_order(struct rec_order *o, uint64_t id, uint64_t account, unsigned seed)
{
	memset(o, 0, sizeof(*o));
	o->id = id;
	o->account_id = account;
	o->status = REC_ORDER_READY;
	o->expires = 1767225600 + seed;
	o->n_idents = REC_IDENT_N;
	for (size_t i = 0; i < o->n_idents; i++) {
		full_ident(&o->idents[i], seed + (unsigned)i);
		o->authz_ids[i] = 1000 + i;
	}
	o->not_before = INT64_MIN;
	o->not_after = -1;
	full_problem(&o->error, seed + 3);
	o->cert_id = 77;
	o->job_id = 88;
	o->created = 1767225000;
	fill_bytes(o->csr, sizeof(o->csr), seed);
	o->csr_len = sizeof(o->csr);
}

static void
full_authz(struct rec_authz *a, uint64_t id, uint64_t account, unsigned seed)
{
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->account_id = account;
	full_ident(&a->ident, seed);
	a->wildcard = 1;
	a->status = REC_AUTHZ_VALID;
	a->expires = 1767225600 + seed;
	a->n_challs = REC_CHALL_N;
	for (size_t i = 0; i < a->n_challs; i++) {
		struct rec_chall *c = &a->challs[i];

		c->type = (uint8_t)(i % REC_CHALL__MAX);
		c->status = (uint8_t)((i + 1) % REC_CHALL_STATUS__MAX);
		FILL_STR(c->token, seed + (unsigned)i);
		c->validated = 1767220000 + (int64_t)i;
		full_problem(&c->error, seed + 10 * (unsigned)i);
	}
	a->caa_checked = 1767221111;
	a->created = 1767222222;
}

static void
full_cert(struct rec_cert *c, uint64_t id, unsigned seed)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->order_id = 5;
	c->account_id = 6;
	fill_bytes(c->serial, sizeof(c->serial), seed);
	c->serial_len = sizeof(c->serial);
	FILL_STR(c->serial_dec, seed);
	c->not_before = 1767225600;
	c->not_after = 1798761600 + seed;
	c->status = REC_CERT_REVOKED;
	c->reason = 4;
	c->revoked_at = 1767300000;
	fill_bytes(c->der, sizeof(c->der), seed + 1);
	c->der_len = sizeof(c->der);
	FILL_STR(c->chain, seed + 2);
	c->job_id = 9;
	c->flags = REC_CERT_F_RENEW_EARLY | 0x80000000u;
}

static void
full_job(struct rec_job *j, uint64_t id, unsigned seed)
{
	memset(j, 0, sizeof(*j));
	j->id = id;
	j->order_id = 3;
	j->kind = REC_JOB_RENEW;
	j->state = REC_JOB_SUBMITTED;
	j->attempts = 0xfffffffeu;
	j->next_attempt = 1767225601;
	j->created = 1767225602;
	j->submitted_at = 1767225603;
	j->expected_at = 1767225604;
	FILL_STR(j->upki_app_id, seed);
	FILL_STR(j->subject_dn, seed + 1);
	FILL_STR(j->old_serial_dec, seed + 2);
	fill_bytes(j->spki_sha256, sizeof(j->spki_sha256), seed);
	fill_bytes(j->names_sha256, sizeof(j->names_sha256), seed + 1);
	FILL_STR(j->error, seed + 3);
	j->cert_id = 11;
	j->revoke_reason = 1;
}

static void
full_dn(struct rec_dn *d, unsigned seed)
{
	memset(d, 0, sizeof(*d));
	FILL_STR(d->dn, seed);
	FILL_STR(d->last_serial_dec, seed + 1);
	d->flags = 0x12345678;
	d->updated = 1767225600;
}

/* ---- field-by-field comparisons (a failure names the field's line) --------------- */

#define EQ_INT(a, b, f) assert_int_equal((a)->f, (b)->f)
#define EQ_STR(a, b, f) assert_string_equal((a)->f, (b)->f)
#define EQ_MEM(a, b, f, n) assert_memory_equal((a)->f, (b)->f, (n))

static void
eq_problem(const struct rec_problem *a, const struct rec_problem *b)
{
	EQ_STR(a, b, type);
	EQ_STR(a, b, detail);
}

static void
eq_ident(const struct rec_ident *a, const struct rec_ident *b)
{
	EQ_INT(a, b, type);
	EQ_STR(a, b, value);
}

static void
eq_eab(const struct rec_eab *a, const struct rec_eab *b)
{
	EQ_STR(a, b, kid);
	EQ_INT(a, b, hmac_len);
	EQ_MEM(a, b, hmac, a->hmac_len);
	EQ_STR(a, b, name);
	EQ_INT(a, b, n_allow);
	for (size_t i = 0; i < a->n_allow; i++)
		EQ_STR(a, b, allow[i]);
	EQ_INT(a, b, created);
	EQ_INT(a, b, account_id);
	EQ_INT(a, b, flags);
	EQ_INT(a, b, max_accounts);
	EQ_INT(a, b, expires);
	EQ_INT(a, b, n_accounts);
}

static void
eq_account(const struct rec_account *a, const struct rec_account *b)
{
	EQ_INT(a, b, id);
	EQ_INT(a, b, status);
	EQ_STR(a, b, jwk);
	EQ_MEM(a, b, thumbprint, REC_SHA256_LEN);
	EQ_INT(a, b, n_contacts);
	for (size_t i = 0; i < a->n_contacts; i++)
		EQ_STR(a, b, contacts[i]);
	EQ_STR(a, b, eab_kid);
	EQ_INT(a, b, created);
	EQ_INT(a, b, orders);
}

static void
eq_order(const struct rec_order *a, const struct rec_order *b)
{
	EQ_INT(a, b, id);
	EQ_INT(a, b, account_id);
	EQ_INT(a, b, status);
	EQ_INT(a, b, expires);
	EQ_INT(a, b, n_idents);
	for (size_t i = 0; i < a->n_idents; i++) {
		eq_ident(&a->idents[i], &b->idents[i]);
		EQ_INT(a, b, authz_ids[i]);
	}
	EQ_INT(a, b, not_before);
	EQ_INT(a, b, not_after);
	eq_problem(&a->error, &b->error);
	EQ_INT(a, b, cert_id);
	EQ_INT(a, b, job_id);
	EQ_INT(a, b, created);
	EQ_INT(a, b, csr_len);
	EQ_MEM(a, b, csr, a->csr_len);
}

static void
eq_authz(const struct rec_authz *a, const struct rec_authz *b)
{
	EQ_INT(a, b, id);
	EQ_INT(a, b, account_id);
	eq_ident(&a->ident, &b->ident);
	EQ_INT(a, b, wildcard);
	EQ_INT(a, b, status);
	EQ_INT(a, b, expires);
	EQ_INT(a, b, n_challs);
	for (size_t i = 0; i < a->n_challs; i++) {
		EQ_INT(a, b, challs[i].type);
		EQ_INT(a, b, challs[i].status);
		EQ_STR(a, b, challs[i].token);
		EQ_INT(a, b, challs[i].validated);
		eq_problem(&a->challs[i].error, &b->challs[i].error);
	}
	EQ_INT(a, b, caa_checked);
	EQ_INT(a, b, created);
}

static void
eq_cert(const struct rec_cert *a, const struct rec_cert *b)
{
	EQ_INT(a, b, id);
	EQ_INT(a, b, order_id);
	EQ_INT(a, b, account_id);
	EQ_INT(a, b, serial_len);
	EQ_MEM(a, b, serial, a->serial_len);
	EQ_STR(a, b, serial_dec);
	EQ_INT(a, b, not_before);
	EQ_INT(a, b, not_after);
	EQ_INT(a, b, status);
	EQ_INT(a, b, reason);
	EQ_INT(a, b, revoked_at);
	EQ_INT(a, b, der_len);
	EQ_MEM(a, b, der, a->der_len);
	EQ_STR(a, b, chain);
	EQ_INT(a, b, job_id);
	EQ_INT(a, b, flags);
}

static void
eq_job(const struct rec_job *a, const struct rec_job *b)
{
	EQ_INT(a, b, id);
	EQ_INT(a, b, order_id);
	EQ_INT(a, b, kind);
	EQ_INT(a, b, state);
	EQ_INT(a, b, attempts);
	EQ_INT(a, b, next_attempt);
	EQ_INT(a, b, created);
	EQ_INT(a, b, submitted_at);
	EQ_INT(a, b, expected_at);
	EQ_STR(a, b, upki_app_id);
	EQ_STR(a, b, subject_dn);
	EQ_STR(a, b, old_serial_dec);
	EQ_MEM(a, b, spki_sha256, REC_SHA256_LEN);
	EQ_MEM(a, b, names_sha256, REC_SHA256_LEN);
	EQ_STR(a, b, error);
	EQ_INT(a, b, cert_id);
	EQ_INT(a, b, revoke_reason);
}

static void
eq_dn(const struct rec_dn *a, const struct rec_dn *b)
{
	EQ_STR(a, b, dn);
	EQ_STR(a, b, last_serial_dec);
	EQ_INT(a, b, flags);
	EQ_INT(a, b, updated);
}

/* ---- codec -------------------------------------------------------------------------- */

static void
test_codec_vector(void **state)
{
	static const uint8_t want[] = {
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0x00, 0x00, 0x00, 0x02, 'a', 'b',
		0x00, 0x00, 0x00, 0x03, 'x', 'y', 'z',
		0xaa, 0xbb,
	};
	uint8_t buf[64], raw[2];
	struct rec_w w;
	struct rec_r r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	int64_t i64;
	char s[4], b[4];
	size_t n, len;

	(void)state;
	rec_w_init(&w, buf, sizeof(buf));
	rec_w_u8(&w, 1);
	rec_w_u16(&w, 0x0203);
	rec_w_u32(&w, 0x04050607);
	rec_w_u64(&w, 0x0102030405060708ull);
	rec_w_i64(&w, -2);
	rec_w_bytes(&w, "ab", 2);
	rec_w_str(&w, "xyz", 4);
	rec_w_raw(&w, "\xaa\xbb", 2);
	assert_int_equal(rec_w_finish(&w, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	rec_r_init(&r, want, sizeof(want));
	assert_int_equal(rec_r_u8(&r, &u8), 0);
	assert_int_equal(u8, 1);
	assert_int_equal(rec_r_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(rec_r_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(rec_r_u64(&r, &u64), 0);
	assert_int_equal(u64, 0x0102030405060708ull);
	assert_int_equal(rec_r_i64(&r, &i64), 0);
	assert_int_equal(i64, -2);
	assert_int_equal(rec_r_bytes(&r, b, sizeof(b), &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(b, "ab", 2);
	assert_int_equal(rec_r_str(&r, s, sizeof(s)), 0);
	assert_string_equal(s, "xyz");
	assert_int_equal(rec_r_done(&r), ERR_MALFORMED); /* two bytes left */
	assert_int_equal(rec_r_raw(&r, raw, 2), 0);
	assert_memory_equal(raw, "\xaa\xbb", 2);
	assert_int_equal(rec_r_done(&r), 0);
}

static void
test_codec_errors(void **state)
{
	static const uint8_t len_over[] = { 0, 0, 0, 5, 'a', 'b' };
	static const uint8_t huge_len[] = { 0xff, 0xff, 0xff, 0xff, 'a' };
	static const uint8_t nul_in[] = { 0, 0, 0, 3, 'a', 0, 'b' };
	static const uint8_t too_long[] = { 0, 0, 0, 4, 'a', 'b', 'c', 'd' };
	uint8_t buf[8];
	struct rec_w w;
	struct rec_r r;
	uint32_t u32 = 99;
	uint64_t u64 = 99;
	char s[4];
	size_t len;

	(void)state;
	/* Writer: overflow is sticky; unterminated string is a range error. */
	rec_w_init(&w, buf, sizeof(buf));
	rec_w_u64(&w, 1);
	rec_w_u8(&w, 1);
	rec_w_u8(&w, 1);
	assert_int_equal(rec_w_finish(&w, &len), ERR_TOOBIG);
	assert_int_equal(w.len, 8);
	rec_w_init(&w, buf, sizeof(buf));
	rec_w_str(&w, "abcd", 4);
	assert_int_equal(rec_w_finish(&w, &len), ERR_RANGE);

	/* Reader: truncation, length over the rest, over the destination, NUL inside. */
	rec_r_init(&r, "\x01\x02\x03", 3);
	assert_int_equal(rec_r_u32(&r, &u32), ERR_MALFORMED);
	assert_int_equal(u32, 0);
	assert_int_equal(rec_r_u64(&r, &u64), ERR_MALFORMED); /* sticky */
	assert_int_equal(u64, 0);
	assert_int_equal(rec_r_done(&r), ERR_MALFORMED);
	rec_r_init(&r, len_over, sizeof(len_over));
	assert_int_equal(rec_r_str(&r, s, sizeof(s)), ERR_MALFORMED);
	rec_r_init(&r, huge_len, sizeof(huge_len));
	assert_int_equal(rec_r_bytes(&r, buf, sizeof(buf), &len), ERR_MALFORMED);
	assert_int_equal(len, 0);
	rec_r_init(&r, nul_in, sizeof(nul_in));
	assert_int_equal(rec_r_str(&r, s, sizeof(s)), ERR_MALFORMED);
	assert_string_equal(s, "");
	rec_r_init(&r, too_long, sizeof(too_long));
	assert_int_equal(rec_r_str(&r, s, sizeof(s)), ERR_MALFORMED);
	rec_r_init(&r, NULL, 0);
	assert_int_equal(rec_r_done(&r), 0);
}

/* The encoding is a format on disk: pin it. */
static void
test_record_vector(void **state)
{
	static const uint8_t want[] = {
		0x01,
		0x00, 0x00, 0x00, 0x04, 'C', 'N', '=', 'a',
		0x00, 0x00, 0x00, 0x02, '1', '2',
		0x00, 0x00, 0x00, 0x03,
		0x00, 0x00, 0x00, 0x00, 0x69, 0x55, 0xb9, 0x00,
	};
	struct rec_dn d, back;
	uint8_t buf[64];
	size_t len;

	(void)state;
	memset(&d, 0, sizeof(d));
	strcpy(d.dn, "CN=a");
	strcpy(d.last_serial_dec, "12");
	d.flags = 3;
	d.updated = 1767225600;
	assert_int_equal(rec_dn_encode(&d, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(rec_dn_decode(&back, want, sizeof(want)), 0);
	eq_dn(&d, &back);
	assert_int_equal(rec_dn_encode(&d, buf, sizeof(want) - 1, &len), ERR_TOOBIG);
}

/*
 * Encode a full record, check it decodes back equal, then check that every
 * strict prefix, a trailing byte, version 0 and a newer version are refused.
 */
#define CODEC_CHECK(type, rec, eq)                                                        \
	do {                                                                              \
		static uint8_t buf_[REC_ENC_MAX + 1];                                     \
		static struct rec_##type back_;                                           \
		size_t len_ = 0;                                                          \
		assert_int_equal(rec_##type##_encode((rec), buf_, REC_ENC_MAX, &len_), 0); \
		assert_int_equal(rec_##type##_decode(&back_, buf_, len_), 0);             \
		eq((rec), &back_);                                                        \
		for (size_t l_ = 0; l_ < len_; l_++)                                      \
			if (rec_##type##_decode(&back_, buf_, l_) != ERR_MALFORMED)       \
				fail_msg("%s: prefix of %zu/%zu bytes accepted", #type,   \
					 l_, len_);                                       \
		buf_[len_] = 0;                                                           \
		assert_int_equal(rec_##type##_decode(&back_, buf_, len_ + 1), ERR_MALFORMED); \
		uint8_t v_ = buf_[0];                                                     \
		buf_[0] = 0;                                                              \
		assert_int_equal(rec_##type##_decode(&back_, buf_, len_), ERR_MALFORMED); \
		buf_[0] = (uint8_t)(v_ + 1);                                              \
		assert_int_equal(rec_##type##_decode(&back_, buf_, len_), ERR_VERSION);   \
	} while (0)

static void
test_codecs_full(void **state)
{
	static struct rec_eab e;
	static struct rec_account a;
	static struct rec_order o;
	static struct rec_authz z;
	static struct rec_cert c;
	static struct rec_job j;
	static struct rec_dn d;

	(void)state;
	full_eab(&e, 1);
	full_account(&a, 2, 2);
	full_order(&o, 3, 2, 3);
	full_authz(&z, 4, 2, 4);
	full_cert(&c, 5, 5);
	full_job(&j, 6, 6);
	full_dn(&d, 7);
	CODEC_CHECK(eab, &e, eq_eab);
	CODEC_CHECK(account, &a, eq_account);
	CODEC_CHECK(order, &o, eq_order);
	CODEC_CHECK(authz, &z, eq_authz);
	CODEC_CHECK(cert, &c, eq_cert);
	CODEC_CHECK(job, &j, eq_job);
	CODEC_CHECK(dn, &d, eq_dn);
}

static void
test_encode_refuses_out_of_range(void **state)
{
	static struct rec_account a;
	static struct rec_order o;
	static struct rec_authz z;
	static struct rec_eab e;
	static uint8_t buf[REC_ENC_MAX];
	size_t len;

	(void)state;
	full_account(&a, 1, 1);
	a.status = REC_ACCOUNT__MAX;
	assert_int_equal(rec_account_encode(&a, buf, sizeof(buf), &len), ERR_RANGE);
	full_account(&a, 1, 1);
	a.n_contacts = REC_CONTACT_N + 1;
	assert_int_equal(rec_account_encode(&a, buf, sizeof(buf), &len), ERR_RANGE);
	full_account(&a, 1, 1);
	memset(a.eab_kid, 'x', sizeof(a.eab_kid)); /* no NUL */
	assert_int_equal(rec_account_encode(&a, buf, sizeof(buf), &len), ERR_RANGE);
	full_order(&o, 1, 1, 1);
	o.idents[0].type = 0;
	assert_int_equal(rec_order_encode(&o, buf, sizeof(buf), &len), ERR_RANGE);
	full_order(&o, 1, 1, 1);
	o.csr_len = REC_CSR_MAX + 1;
	assert_int_equal(rec_order_encode(&o, buf, sizeof(buf), &len), ERR_RANGE);
	full_authz(&z, 1, 1, 1);
	z.wildcard = 2;
	assert_int_equal(rec_authz_encode(&z, buf, sizeof(buf), &len), ERR_RANGE);
	full_authz(&z, 1, 1, 1);
	z.challs[1].type = REC_CHALL__MAX;
	assert_int_equal(rec_authz_encode(&z, buf, sizeof(buf), &len), ERR_RANGE);
	full_eab(&e, 1);
	e.hmac_len = REC_HMAC_MAX + 1;
	assert_int_equal(rec_eab_encode(&e, buf, sizeof(buf), &len), ERR_RANGE);
	assert_int_equal(rec_eab_encode(&e, buf, 0, &len), ERR_TOOBIG);
}

static void
test_status_words(void **state)
{
	(void)state;
	assert_string_equal(rec_order_status_str(REC_ORDER_PROCESSING), "processing");
	assert_string_equal(rec_authz_status_str(REC_AUTHZ_DEACTIVATED), "deactivated");
	assert_string_equal(rec_chall_type_str(REC_CHALL_TLSALPN01), "tls-alpn-01");
	assert_string_equal(rec_chall_status_str(REC_CHALL_INVALID), "invalid");
	assert_string_equal(rec_account_status_str(REC_ACCOUNT_REVOKED), "revoked");
	assert_string_equal(rec_job_state_str(REC_JOB_FAILED), "failed");
	assert_string_equal(rec_order_status_str(REC_ORDER__MAX), "?");
}

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
	fx_reopen(f);
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
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_vector),
		cmocka_unit_test(test_codec_errors),
		cmocka_unit_test(test_record_vector),
		cmocka_unit_test(test_codecs_full),
		cmocka_unit_test(test_encode_refuses_out_of_range),
		cmocka_unit_test(test_status_words),
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
