/*
 * store_fx.h: what the store tests share: a fresh temporary directory per test
 * (fx_setup; fx_setup_open also opens the store), reopening with a schema or
 * map size, transaction bodies, one-key transactions, records with every field
 * at its limit, and field-by-field comparisons. Header-only (each unit test is one
 * file); the functions are static inline so a test may leave some unused.
 */
#ifndef TEST_STORE_FX_H
#define TEST_STORE_FX_H

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
#include "store/rec.h"
#include "store/records.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"


/* ---- fixture: a fresh temporary directory per test ------------------------------ */

struct fx {
	char root[64];      /* mkdtemp result */
	char dir[128];      /* root/db: created by store_open */
	struct store *s;    /* NULL until fx_open / fx_open_ex (fx_setup_open opens it) */
};

static inline int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The directory only: the test opens the store (fx_open, fx_open_ex). */
static inline int
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

static inline int
fx_teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	nftw(f->root, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* (Re)open the store: as built when schema and map_bytes are 0, else as told. */
static inline int
fx_open_rc(struct fx *f, uint32_t schema, size_t map_bytes)
{
	struct store_open_opts o = { schema, map_bytes, NULL, 0 };

	store_close(f->s);
	f->s = NULL;
	return store_open_ex(&f->s, f->dir, STORE_OPEN_NOSYNC, &o);
}

static inline void
fx_open_ex(struct fx *f, uint32_t schema, size_t map_bytes)
{
	assert_int_equal(fx_open_rc(f, schema, map_bytes), 0);
	assert_non_null(f->s);
}

static inline void
fx_open(struct fx *f)
{
	fx_open_ex(f, 0, 0);
}

/* The directory and a store as built. */
static inline int
fx_setup_open(void **state)
{
	struct fx *f;

	if (fx_setup(state) != 0)
		return -1;
	f = *state;
	if (fx_open_rc(f, 0, 0) != 0) {
		fx_teardown(state);
		return -1;
	}
	return 0;
}

/* Test bodies run inside a transaction: fn(t) does its own asserts. */
typedef void (*body_fn)(struct store_txn *t);

static inline int
body_txn(struct store_txn *t, void *arg)
{
	body_fn *fn = arg;

	(*fn)(t);
	return 0;
}

static inline void
in_write(struct fx *f, body_fn fn)
{
	assert_int_equal(store_write(f->s, body_txn, &fn), 0);
}

static inline void
in_read(struct fx *f, body_fn fn)
{
	assert_int_equal(store_read(f->s, body_txn, &fn), 0);
}

/* ---- one-key transactions (STORE_DB_EAB as a plain key/value table) ------------- */

/* Run a one-off transaction body given as a function with an argument. */
struct kv {
	const char *key;
	const char *val;
	unsigned flags;
	int rc;
};

static inline int
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

static inline int
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

static inline int
kv_get(struct store *s, const char *key, char *out, size_t cap)
{
	struct kv_get g = { key, "", 0 };

	assert_int_equal(store_read(s, get_kv_txn, &g), 0);
	snprintf(out, cap, "%s", g.buf);
	return g.rc;
}

static inline void
kv_put(struct store *s, const char *key, const char *val)
{
	struct kv kv = { key, val, 0, 0 };

	assert_int_equal(store_write(s, put_kv_txn, &kv), 0);
}

/* ---- full records: every field set, strings and blobs at their limits ------------- */

static inline void
fill_str(char *dst, size_t cap, unsigned seed)
{
	for (size_t i = 0; i + 1 < cap; i++)
		dst[i] = (char)('!' + (i * 7 + seed) % 94);
	dst[cap - 1] = '\0';
}

static inline void
fill_bytes(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed * 17 + 1);
}

#define FILL_STR(field, seed) fill_str((field), sizeof(field), (seed))

static inline void
full_problem(struct rec_problem *p, unsigned seed)
{
	FILL_STR(p->type, seed);
	FILL_STR(p->detail, seed + 1);
}

static inline void
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

static inline void
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

static inline void
full_ident(struct rec_ident *id, unsigned seed)
{
	id->type = seed % 2 ? REC_IDENT_IP : REC_IDENT_DNS;
	FILL_STR(id->value, seed);
}

static inline void
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

static inline void
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
	a->n_caa = REC_CAA_CHECKS_N;
	for (size_t i = 0; i < a->n_caa; i++) {
		struct rec_caa_check *k = &a->caa[i];

		k->at = 1767223333 + (int64_t)i;
		k->result = (uint8_t)(i % REC_CAA__MAX);
		k->when = (uint8_t)(i % REC_CAA_WHEN__MAX);
		k->lookups = (uint16_t)(3 + i);
		FILL_STR(k->name, seed + 20 + (unsigned)i);
		FILL_STR(k->where, seed + 30 + (unsigned)i);
		FILL_STR(k->records, seed + 40 + (unsigned)i);
	}
}

static inline void
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

static inline void
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

static inline void
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

static inline void
eq_problem(const struct rec_problem *a, const struct rec_problem *b)
{
	EQ_STR(a, b, type);
	EQ_STR(a, b, detail);
}

static inline void
eq_ident(const struct rec_ident *a, const struct rec_ident *b)
{
	EQ_INT(a, b, type);
	EQ_STR(a, b, value);
}

static inline void
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

static inline void
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

static inline void
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

static inline void
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
	EQ_INT(a, b, n_caa);
	for (size_t i = 0; i < a->n_caa; i++) {
		EQ_INT(a, b, caa[i].at);
		EQ_INT(a, b, caa[i].result);
		EQ_INT(a, b, caa[i].when);
		EQ_INT(a, b, caa[i].lookups);
		EQ_STR(a, b, caa[i].name);
		EQ_STR(a, b, caa[i].where);
		EQ_STR(a, b, caa[i].records);
	}
}

static inline void
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

static inline void
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

static inline void
eq_dn(const struct rec_dn *a, const struct rec_dn *b)
{
	EQ_STR(a, b, dn);
	EQ_STR(a, b, last_serial_dec);
	EQ_INT(a, b, flags);
	EQ_INT(a, b, updated);
}


#endif
