/* Stored objects: encodings (version 1) and typed access with index upkeep. */
#include <string.h>

#include "store/rec.h"
#include "store/records.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

_Static_assert(REC_IDENT_N <= 255 && REC_CONTACT_N <= 255 && REC_EAB_ALLOW_N <= 255 &&
	       REC_CHALL_N <= 255, "counts are stored in one byte");
_Static_assert(REC_DN_MAX <= STORE_KEY_MAX && REC_KID_MAX + 1 <= STORE_KEY_MAX &&
	       8 + 2 + REC_IDENT_MAX <= STORE_KEY_MAX, "keys must fit LMDB's limit");

/* ---- status words ------------------------------------------------------------ */

static const char *
rec_word(const char *const *tab, size_t n, unsigned i)
{
	return i < n && tab[i] != NULL ? tab[i] : "?";
}

#define REC_WORD(tab, i) rec_word(tab, sizeof(tab) / sizeof(tab[0]), i)

const char *
rec_account_status_str(unsigned status)
{
	static const char *const w[] = { "valid", "deactivated", "revoked" };

	return REC_WORD(w, status);
}

const char *
rec_order_status_str(unsigned status)
{
	static const char *const w[] = { "pending", "ready", "processing", "valid", "invalid" };

	return REC_WORD(w, status);
}

const char *
rec_authz_status_str(unsigned status)
{
	static const char *const w[] = { "pending", "valid", "invalid", "deactivated",
					 "expired", "revoked" };

	return REC_WORD(w, status);
}

const char *
rec_chall_status_str(unsigned status)
{
	static const char *const w[] = { "pending", "processing", "valid", "invalid" };

	return REC_WORD(w, status);
}

const char *
rec_chall_type_str(unsigned type)
{
	static const char *const w[] = { "http-01", "dns-01", "tls-alpn-01" };

	return REC_WORD(w, type);
}

const char *
rec_job_state_str(unsigned state)
{
	static const char *const w[] = { "queued", "submitted", "issued", "rejected", "failed" };

	return REC_WORD(w, state);
}

/* ---- codec helpers ---------------------------------------------------------------- */

/* Refuse to write a value the decoder would refuse to read back. */
static void
rec_w_need(struct rec_w *w, int ok)
{
	if (!ok && w->err == 0)
		w->err = ERR_RANGE;
}

static void
rec_r_need(struct rec_r *r, int ok)
{
	if (!ok)
		rec_r_fail(r);
}

static int
rec_r_version(struct rec_r *r)
{
	uint8_t v = 0;

	if (rec_r_u8(r, &v) != 0)
		return r->err;
	if (v == 0)
		return rec_r_fail(r);
	if (v > REC_VERSION) {
		r->err = ERR_VERSION;
		return r->err;
	}
	return 0;
}

static void
rec_w_enum(struct rec_w *w, uint8_t v, unsigned max)
{
	rec_w_need(w, v < max);
	rec_w_u8(w, v);
}

static void
rec_r_enum(struct rec_r *r, uint8_t *v, unsigned max)
{
	rec_r_u8(r, v);
	rec_r_need(r, *v < max);
}

static void
rec_w_count(struct rec_w *w, size_t n, size_t max)
{
	rec_w_need(w, n <= max);
	rec_w_u8(w, (uint8_t)n);
}

static void
rec_r_count(struct rec_r *r, size_t *n, size_t max)
{
	uint8_t v = 0;

	rec_r_u8(r, &v);
	rec_r_need(r, v <= max);
	*n = r->err == 0 ? v : 0;
}

static void
rec_w_blob(struct rec_w *w, const uint8_t *p, size_t n, size_t max)
{
	rec_w_need(w, n <= max);
	rec_w_bytes(w, p, n <= max ? n : 0);
}

static void
rec_w_ident(struct rec_w *w, const struct rec_ident *id)
{
	rec_w_need(w, id->type > 0 && id->type < REC_IDENT__MAX);
	rec_w_u8(w, id->type);
	rec_w_str(w, id->value, sizeof(id->value));
}

static void
rec_r_ident(struct rec_r *r, struct rec_ident *id)
{
	rec_r_u8(r, &id->type);
	rec_r_need(r, id->type > 0 && id->type < REC_IDENT__MAX);
	rec_r_str(r, id->value, sizeof(id->value));
}

static void
rec_w_problem(struct rec_w *w, const struct rec_problem *p)
{
	rec_w_str(w, p->type, sizeof(p->type));
	rec_w_str(w, p->detail, sizeof(p->detail));
}

static void
rec_r_problem(struct rec_r *r, struct rec_problem *p)
{
	rec_r_str(r, p->type, sizeof(p->type));
	rec_r_str(r, p->detail, sizeof(p->detail));
}

/* ---- encodings ------------------------------------------------------------------ */

int
rec_eab_encode(const struct rec_eab *e, void *buf, size_t cap, size_t *len)
{
	struct rec_w w;

	rec_w_init(&w, buf, cap);
	rec_w_u8(&w, REC_VERSION);
	rec_w_str(&w, e->kid, sizeof(e->kid));
	rec_w_blob(&w, e->hmac, e->hmac_len, sizeof(e->hmac));
	rec_w_str(&w, e->name, sizeof(e->name));
	rec_w_count(&w, e->n_allow, REC_EAB_ALLOW_N);
	for (size_t i = 0; i < e->n_allow && i < REC_EAB_ALLOW_N; i++)
		rec_w_str(&w, e->allow[i], sizeof(e->allow[i]));
	rec_w_i64(&w, e->created);
	rec_w_u64(&w, e->account_id);
	rec_w_u32(&w, e->flags);
	return rec_w_finish(&w, len);
}

int
rec_eab_decode(struct rec_eab *e, const void *buf, size_t len)
{
	struct rec_r r;

	memset(e, 0, sizeof(*e));
	rec_r_init(&r, buf, len);
	rec_r_version(&r);
	rec_r_str(&r, e->kid, sizeof(e->kid));
	rec_r_bytes(&r, e->hmac, sizeof(e->hmac), &e->hmac_len);
	rec_r_str(&r, e->name, sizeof(e->name));
	rec_r_count(&r, &e->n_allow, REC_EAB_ALLOW_N);
	for (size_t i = 0; i < e->n_allow; i++)
		rec_r_str(&r, e->allow[i], sizeof(e->allow[i]));
	rec_r_i64(&r, &e->created);
	rec_r_u64(&r, &e->account_id);
	rec_r_u32(&r, &e->flags);
	return rec_r_done(&r);
}

int
rec_account_encode(const struct rec_account *a, void *buf, size_t cap, size_t *len)
{
	struct rec_w w;

	rec_w_init(&w, buf, cap);
	rec_w_u8(&w, REC_VERSION);
	rec_w_u64(&w, a->id);
	rec_w_enum(&w, a->status, REC_ACCOUNT__MAX);
	rec_w_str(&w, a->jwk, sizeof(a->jwk));
	rec_w_raw(&w, a->thumbprint, sizeof(a->thumbprint));
	rec_w_count(&w, a->n_contacts, REC_CONTACT_N);
	for (size_t i = 0; i < a->n_contacts && i < REC_CONTACT_N; i++)
		rec_w_str(&w, a->contacts[i], sizeof(a->contacts[i]));
	rec_w_str(&w, a->eab_kid, sizeof(a->eab_kid));
	rec_w_i64(&w, a->created);
	rec_w_u32(&w, a->orders);
	return rec_w_finish(&w, len);
}

int
rec_account_decode(struct rec_account *a, const void *buf, size_t len)
{
	struct rec_r r;

	memset(a, 0, sizeof(*a));
	rec_r_init(&r, buf, len);
	rec_r_version(&r);
	rec_r_u64(&r, &a->id);
	rec_r_enum(&r, &a->status, REC_ACCOUNT__MAX);
	rec_r_str(&r, a->jwk, sizeof(a->jwk));
	rec_r_raw(&r, a->thumbprint, sizeof(a->thumbprint));
	rec_r_count(&r, &a->n_contacts, REC_CONTACT_N);
	for (size_t i = 0; i < a->n_contacts; i++)
		rec_r_str(&r, a->contacts[i], sizeof(a->contacts[i]));
	rec_r_str(&r, a->eab_kid, sizeof(a->eab_kid));
	rec_r_i64(&r, &a->created);
	rec_r_u32(&r, &a->orders);
	return rec_r_done(&r);
}

int
rec_order_encode(const struct rec_order *o, void *buf, size_t cap, size_t *len)
{
	struct rec_w w;

	rec_w_init(&w, buf, cap);
	rec_w_u8(&w, REC_VERSION);
	rec_w_u64(&w, o->id);
	rec_w_u64(&w, o->account_id);
	rec_w_enum(&w, o->status, REC_ORDER__MAX);
	rec_w_i64(&w, o->expires);
	rec_w_count(&w, o->n_idents, REC_IDENT_N);
	for (size_t i = 0; i < o->n_idents && i < REC_IDENT_N; i++) {
		rec_w_ident(&w, &o->idents[i]);
		rec_w_u64(&w, o->authz_ids[i]);
	}
	rec_w_i64(&w, o->not_before);
	rec_w_i64(&w, o->not_after);
	rec_w_problem(&w, &o->error);
	rec_w_u64(&w, o->cert_id);
	rec_w_u64(&w, o->job_id);
	rec_w_i64(&w, o->created);
	rec_w_blob(&w, o->csr, o->csr_len, sizeof(o->csr));
	return rec_w_finish(&w, len);
}

int
rec_order_decode(struct rec_order *o, const void *buf, size_t len)
{
	struct rec_r r;

	memset(o, 0, sizeof(*o));
	rec_r_init(&r, buf, len);
	rec_r_version(&r);
	rec_r_u64(&r, &o->id);
	rec_r_u64(&r, &o->account_id);
	rec_r_enum(&r, &o->status, REC_ORDER__MAX);
	rec_r_i64(&r, &o->expires);
	rec_r_count(&r, &o->n_idents, REC_IDENT_N);
	for (size_t i = 0; i < o->n_idents; i++) {
		rec_r_ident(&r, &o->idents[i]);
		rec_r_u64(&r, &o->authz_ids[i]);
	}
	rec_r_i64(&r, &o->not_before);
	rec_r_i64(&r, &o->not_after);
	rec_r_problem(&r, &o->error);
	rec_r_u64(&r, &o->cert_id);
	rec_r_u64(&r, &o->job_id);
	rec_r_i64(&r, &o->created);
	rec_r_bytes(&r, o->csr, sizeof(o->csr), &o->csr_len);
	return rec_r_done(&r);
}

int
rec_authz_encode(const struct rec_authz *a, void *buf, size_t cap, size_t *len)
{
	struct rec_w w;

	rec_w_init(&w, buf, cap);
	rec_w_u8(&w, REC_VERSION);
	rec_w_u64(&w, a->id);
	rec_w_u64(&w, a->account_id);
	rec_w_ident(&w, &a->ident);
	rec_w_enum(&w, a->wildcard, 2);
	rec_w_enum(&w, a->status, REC_AUTHZ__MAX);
	rec_w_i64(&w, a->expires);
	rec_w_count(&w, a->n_challs, REC_CHALL_N);
	for (size_t i = 0; i < a->n_challs && i < REC_CHALL_N; i++) {
		const struct rec_chall *c = &a->challs[i];

		rec_w_enum(&w, c->type, REC_CHALL__MAX);
		rec_w_enum(&w, c->status, REC_CHALL_STATUS__MAX);
		rec_w_str(&w, c->token, sizeof(c->token));
		rec_w_i64(&w, c->validated);
		rec_w_problem(&w, &c->error);
	}
	rec_w_i64(&w, a->caa_checked);
	rec_w_i64(&w, a->created);
	return rec_w_finish(&w, len);
}

int
rec_authz_decode(struct rec_authz *a, const void *buf, size_t len)
{
	struct rec_r r;

	memset(a, 0, sizeof(*a));
	rec_r_init(&r, buf, len);
	rec_r_version(&r);
	rec_r_u64(&r, &a->id);
	rec_r_u64(&r, &a->account_id);
	rec_r_ident(&r, &a->ident);
	rec_r_enum(&r, &a->wildcard, 2);
	rec_r_enum(&r, &a->status, REC_AUTHZ__MAX);
	rec_r_i64(&r, &a->expires);
	rec_r_count(&r, &a->n_challs, REC_CHALL_N);
	for (size_t i = 0; i < a->n_challs; i++) {
		struct rec_chall *c = &a->challs[i];

		rec_r_enum(&r, &c->type, REC_CHALL__MAX);
		rec_r_enum(&r, &c->status, REC_CHALL_STATUS__MAX);
		rec_r_str(&r, c->token, sizeof(c->token));
		rec_r_i64(&r, &c->validated);
		rec_r_problem(&r, &c->error);
	}
	rec_r_i64(&r, &a->caa_checked);
	rec_r_i64(&r, &a->created);
	return rec_r_done(&r);
}

int
rec_cert_encode(const struct rec_cert *c, void *buf, size_t cap, size_t *len)
{
	struct rec_w w;

	rec_w_init(&w, buf, cap);
	rec_w_u8(&w, REC_VERSION);
	rec_w_u64(&w, c->id);
	rec_w_u64(&w, c->order_id);
	rec_w_u64(&w, c->account_id);
	rec_w_blob(&w, c->serial, c->serial_len, sizeof(c->serial));
	rec_w_str(&w, c->serial_dec, sizeof(c->serial_dec));
	rec_w_i64(&w, c->not_before);
	rec_w_i64(&w, c->not_after);
	rec_w_enum(&w, c->status, REC_CERT__MAX);
	rec_w_u8(&w, c->reason);
	rec_w_i64(&w, c->revoked_at);
	rec_w_blob(&w, c->der, c->der_len, sizeof(c->der));
	rec_w_str(&w, c->chain, sizeof(c->chain));
	rec_w_u64(&w, c->job_id);
	rec_w_u32(&w, c->flags);
	return rec_w_finish(&w, len);
}

int
rec_cert_decode(struct rec_cert *c, const void *buf, size_t len)
{
	struct rec_r r;

	memset(c, 0, sizeof(*c));
	rec_r_init(&r, buf, len);
	rec_r_version(&r);
	rec_r_u64(&r, &c->id);
	rec_r_u64(&r, &c->order_id);
	rec_r_u64(&r, &c->account_id);
	rec_r_bytes(&r, c->serial, sizeof(c->serial), &c->serial_len);
	rec_r_str(&r, c->serial_dec, sizeof(c->serial_dec));
	rec_r_i64(&r, &c->not_before);
	rec_r_i64(&r, &c->not_after);
	rec_r_enum(&r, &c->status, REC_CERT__MAX);
	rec_r_u8(&r, &c->reason);
	rec_r_i64(&r, &c->revoked_at);
	rec_r_bytes(&r, c->der, sizeof(c->der), &c->der_len);
	rec_r_str(&r, c->chain, sizeof(c->chain));
	rec_r_u64(&r, &c->job_id);
	rec_r_u32(&r, &c->flags);
	return rec_r_done(&r);
}

int
rec_job_encode(const struct rec_job *j, void *buf, size_t cap, size_t *len)
{
	struct rec_w w;

	rec_w_init(&w, buf, cap);
	rec_w_u8(&w, REC_VERSION);
	rec_w_u64(&w, j->id);
	rec_w_u64(&w, j->order_id);
	rec_w_enum(&w, j->kind, REC_JOB_KIND__MAX);
	rec_w_enum(&w, j->state, REC_JOB__MAX);
	rec_w_u32(&w, j->attempts);
	rec_w_i64(&w, j->next_attempt);
	rec_w_i64(&w, j->created);
	rec_w_i64(&w, j->submitted_at);
	rec_w_i64(&w, j->expected_at);
	rec_w_str(&w, j->upki_app_id, sizeof(j->upki_app_id));
	rec_w_str(&w, j->subject_dn, sizeof(j->subject_dn));
	rec_w_str(&w, j->old_serial_dec, sizeof(j->old_serial_dec));
	rec_w_raw(&w, j->spki_sha256, sizeof(j->spki_sha256));
	rec_w_raw(&w, j->names_sha256, sizeof(j->names_sha256));
	rec_w_str(&w, j->error, sizeof(j->error));
	rec_w_u64(&w, j->cert_id);
	rec_w_u8(&w, j->revoke_reason);
	return rec_w_finish(&w, len);
}

int
rec_job_decode(struct rec_job *j, const void *buf, size_t len)
{
	struct rec_r r;

	memset(j, 0, sizeof(*j));
	rec_r_init(&r, buf, len);
	rec_r_version(&r);
	rec_r_u64(&r, &j->id);
	rec_r_u64(&r, &j->order_id);
	rec_r_enum(&r, &j->kind, REC_JOB_KIND__MAX);
	rec_r_enum(&r, &j->state, REC_JOB__MAX);
	rec_r_u32(&r, &j->attempts);
	rec_r_i64(&r, &j->next_attempt);
	rec_r_i64(&r, &j->created);
	rec_r_i64(&r, &j->submitted_at);
	rec_r_i64(&r, &j->expected_at);
	rec_r_str(&r, j->upki_app_id, sizeof(j->upki_app_id));
	rec_r_str(&r, j->subject_dn, sizeof(j->subject_dn));
	rec_r_str(&r, j->old_serial_dec, sizeof(j->old_serial_dec));
	rec_r_raw(&r, j->spki_sha256, sizeof(j->spki_sha256));
	rec_r_raw(&r, j->names_sha256, sizeof(j->names_sha256));
	rec_r_str(&r, j->error, sizeof(j->error));
	rec_r_u64(&r, &j->cert_id);
	rec_r_u8(&r, &j->revoke_reason);
	return rec_r_done(&r);
}

int
rec_dn_encode(const struct rec_dn *d, void *buf, size_t cap, size_t *len)
{
	struct rec_w w;

	rec_w_init(&w, buf, cap);
	rec_w_u8(&w, REC_VERSION);
	rec_w_str(&w, d->dn, sizeof(d->dn));
	rec_w_str(&w, d->last_serial_dec, sizeof(d->last_serial_dec));
	rec_w_u32(&w, d->flags);
	rec_w_i64(&w, d->updated);
	return rec_w_finish(&w, len);
}

int
rec_dn_decode(struct rec_dn *d, const void *buf, size_t len)
{
	struct rec_r r;

	memset(d, 0, sizeof(*d));
	rec_r_init(&r, buf, len);
	rec_r_version(&r);
	rec_r_str(&r, d->dn, sizeof(d->dn));
	rec_r_str(&r, d->last_serial_dec, sizeof(d->last_serial_dec));
	rec_r_u32(&r, &d->flags);
	rec_r_i64(&r, &d->updated);
	return rec_r_done(&r);
}

/* ---- index helpers ------------------------------------------------------------------ */

/* A record that does not decode is an operator problem: say which one. */
static int
rec_bad(int rc, enum store_db db, uint64_t id, const char *name)
{
	if (rc == ERR_MALFORMED || rc == ERR_VERSION) {
		if (name != NULL)
			log_err("store: %s record \"%s\" does not decode: %s", store_db_name(db),
				name, err_str(rc));
		else
			log_err("store: %s record %llu does not decode: %s", store_db_name(db),
				(unsigned long long)id, err_str(rc));
	}
	return rc;
}

static int
idx_get_id(struct store_txn *t, enum store_db db, const void *key, size_t klen, uint64_t *id)
{
	const void *v = NULL;
	size_t vlen = 0;
	int rc = store_get(t, db, key, klen, &v, &vlen);

	if (rc != 0)
		return rc;
	if (vlen != 8) {
		log_err("store: %s entry is malformed", store_db_name(db));
		return ERR_MALFORMED;
	}
	*id = store_be64_get(v);
	return 0;
}

static int
idx_put_id(struct store_txn *t, enum store_db db, const void *key, size_t klen, uint64_t id)
{
	uint8_t v[8];

	store_be64_put(v, id);
	return store_put(t, db, key, klen, v, sizeof(v), 0);
}

/* The slot is free or already ours: 0; another id owns it: ERR_EXISTS. */
static int
idx_check_owner(struct store_txn *t, enum store_db db, const void *key, size_t klen, uint64_t id)
{
	uint64_t owner = 0;
	int rc = idx_get_id(t, db, key, klen, &owner);

	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	return owner == id ? 0 : ERR_EXISTS;
}

/* Remove the slot only if id owns it. */
static int
idx_del_owned(struct store_txn *t, enum store_db db, const void *key, size_t klen, uint64_t id)
{
	uint64_t owner = 0;
	int rc = idx_get_id(t, db, key, klen, &owner);

	if (rc == ERR_NOTFOUND || (rc == 0 && owner != id))
		return 0;
	if (rc == ERR_MALFORMED)
		return store_del(t, db, key, klen);
	if (rc != 0)
		return rc;
	return store_del(t, db, key, klen);
}

static int
idx_del_quiet(struct store_txn *t, enum store_db db, const void *key, size_t klen)
{
	int rc = store_del(t, db, key, klen);

	return rc == ERR_NOTFOUND ? 0 : rc;
}

/* time || id: expiry index keys. */
static void
key_time_id(uint8_t k[16], int64_t when, uint64_t id)
{
	store_time_key(k, when);
	store_be64_put(k + 8, id);
}

/* An old record that no longer decodes cannot tell us its index keys: go on
 * without them (finds check that an index entry matches its record). */
static int
rec_old_usable(int rc)
{
	return rc == 0 ? 1 : (rc == ERR_NOTFOUND || rc == ERR_MALFORMED || rc == ERR_VERSION) ? 0 : rc;
}

/* Collects the 8-byte id that ends each key. */
struct id_collect {
	uint64_t *ids;
	size_t n;
	size_t max;
};

static int
id_collect_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct id_collect *c = arg;

	(void)v;
	(void)vl;
	if (kl < 8 || c->n >= c->max)
		return 1;
	c->ids[c->n++] = store_be64_get((const uint8_t *)k + kl - 8);
	return 0;
}

static int
id_list_range(struct store_txn *t, enum store_db db, const uint8_t *start, size_t slen,
	      const uint8_t *end, size_t elen, uint64_t *ids, size_t max, size_t *n)
{
	struct id_collect c = { ids, 0, max };
	int rc = store_scan_range(t, db, start, slen, end, elen, id_collect_cb, &c, max);

	*n = c.n;
	return rc < 0 ? rc : 0;
}

/* ---- EAB -------------------------------------------------------------------------- */

static int
rec_key_str(const char *s, size_t max, size_t *len)
{
	if (s == NULL)
		return ERR_RANGE;
	*len = strnlen(s, max + 1);
	return *len == 0 || *len > max ? ERR_RANGE : 0;
}

int
store_eab_get(struct store_txn *t, const char *kid, struct rec_eab *out)
{
	const void *v = NULL;
	size_t vlen = 0, klen = 0;
	int rc = rec_key_str(kid, REC_KID_MAX, &klen);

	if (rc != 0)
		return rc == ERR_RANGE ? ERR_NOTFOUND : rc;
	rc = store_get(t, STORE_DB_EAB, kid, klen, &v, &vlen);
	if (rc != 0)
		return rc;
	return rec_bad(rec_eab_decode(out, v, vlen), STORE_DB_EAB, 0, kid);
}

int
store_eab_put(struct store_txn *t, const struct rec_eab *r, unsigned flags)
{
	uint8_t buf[REC_ENC_MAX];
	size_t len, klen;
	int rc = rec_key_str(r->kid, REC_KID_MAX, &klen);

	if (rc != 0)
		return rc;
	rc = rec_eab_encode(r, buf, sizeof(buf), &len);
	if (rc != 0)
		return rc;
	return store_put(t, STORE_DB_EAB, r->kid, klen, buf, len, flags);
}

int
store_eab_del(struct store_txn *t, const char *kid)
{
	size_t klen;
	int rc = rec_key_str(kid, REC_KID_MAX, &klen);

	if (rc != 0)
		return rc == ERR_RANGE ? ERR_NOTFOUND : rc;
	return store_del(t, STORE_DB_EAB, kid, klen);
}

struct kid_collect {
	char (*kids)[REC_KID_MAX + 1];
	size_t n;
	size_t max;
};

static int
kid_collect_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct kid_collect *c = arg;

	(void)v;
	(void)vl;
	if (c->n >= c->max)
		return 1;
	if (kl > REC_KID_MAX)
		return 0; /* not ours: skip */
	memcpy(c->kids[c->n], k, kl);
	c->kids[c->n][kl] = '\0';
	c->n++;
	return 0;
}

int
store_eab_list(struct store_txn *t, const char *after, char (*kids)[REC_KID_MAX + 1],
	       size_t max, size_t *n)
{
	struct kid_collect c = { kids, 0, max };
	uint8_t start[REC_KID_MAX + 2];
	size_t slen = 0;
	int rc;

	*n = 0;
	if (after != NULL && after[0] != '\0') {
		/* The next key after `after` in byte order is after || 0x00. */
		slen = strnlen(after, REC_KID_MAX + 1);
		if (slen > REC_KID_MAX)
			return ERR_RANGE;
		memcpy(start, after, slen);
		start[slen++] = 0;
	}
	rc = store_scan_range(t, STORE_DB_EAB, start, slen, NULL, 0, kid_collect_cb, &c, max);
	*n = c.n;
	return rc < 0 ? rc : 0;
}

/* ---- accounts ------------------------------------------------------------------------ */

int
store_account_get(struct store_txn *t, uint64_t id, struct rec_account *out)
{
	uint8_t k[8];
	const void *v = NULL;
	size_t vlen = 0;
	int rc;

	store_be64_put(k, id);
	rc = store_get(t, STORE_DB_ACCOUNT, k, sizeof(k), &v, &vlen);
	if (rc != 0)
		return rc;
	return rec_bad(rec_account_decode(out, v, vlen), STORE_DB_ACCOUNT, id, NULL);
}

int
store_account_put(struct store_txn *t, const struct rec_account *r)
{
	uint8_t buf[REC_ENC_MAX], k[8];
	struct rec_account old;
	size_t len;
	int rc, have_old;

	if (r->id == 0)
		return ERR_RANGE;
	rc = rec_account_encode(r, buf, sizeof(buf), &len);
	if (rc != 0)
		return rc;
	/* Check before changing anything: a refused put leaves the store as it was. */
	rc = idx_check_owner(t, STORE_DB_ACCOUNT_BY_KEY, r->thumbprint, REC_SHA256_LEN, r->id);
	if (rc != 0)
		return rc;
	have_old = rec_old_usable(store_account_get(t, r->id, &old));
	if (have_old < 0)
		return have_old;
	if (have_old && memcmp(old.thumbprint, r->thumbprint, REC_SHA256_LEN) != 0) {
		rc = idx_del_owned(t, STORE_DB_ACCOUNT_BY_KEY, old.thumbprint, REC_SHA256_LEN,
				   r->id);
		if (rc != 0)
			return rc;
	}
	rc = idx_put_id(t, STORE_DB_ACCOUNT_BY_KEY, r->thumbprint, REC_SHA256_LEN, r->id);
	if (rc != 0)
		return rc;
	store_be64_put(k, r->id);
	return store_put(t, STORE_DB_ACCOUNT, k, sizeof(k), buf, len, 0);
}

int
store_account_find_by_key(struct store_txn *t, const uint8_t thumbprint[REC_SHA256_LEN],
			  struct rec_account *out)
{
	uint64_t id = 0;
	int rc = idx_get_id(t, STORE_DB_ACCOUNT_BY_KEY, thumbprint, REC_SHA256_LEN, &id);

	if (rc != 0)
		return rc;
	rc = store_account_get(t, id, out);
	if (rc == 0 && memcmp(out->thumbprint, thumbprint, REC_SHA256_LEN) != 0)
		rc = ERR_NOTFOUND;
	return rc;
}

/* ---- orders -------------------------------------------------------------------------- */

static int
order_live(const struct rec_order *o)
{
	return o->expires != 0 &&
	       (o->status == REC_ORDER_PENDING || o->status == REC_ORDER_READY);
}

int
store_order_get(struct store_txn *t, uint64_t id, struct rec_order *out)
{
	uint8_t k[8];
	const void *v = NULL;
	size_t vlen = 0;
	int rc;

	store_be64_put(k, id);
	rc = store_get(t, STORE_DB_ORDER, k, sizeof(k), &v, &vlen);
	if (rc != 0)
		return rc;
	return rec_bad(rec_order_decode(out, v, vlen), STORE_DB_ORDER, id, NULL);
}

int
store_order_put(struct store_txn *t, const struct rec_order *r)
{
	uint8_t buf[REC_ENC_MAX], k[16];
	struct rec_order old;
	size_t len;
	int rc, have_old;

	if (r->id == 0)
		return ERR_RANGE;
	rc = rec_order_encode(r, buf, sizeof(buf), &len);
	if (rc != 0)
		return rc;
	have_old = rec_old_usable(store_order_get(t, r->id, &old));
	if (have_old < 0)
		return have_old;
	if (have_old && old.account_id != r->account_id) {
		store_be64_put(k, old.account_id);
		store_be64_put(k + 8, r->id);
		if ((rc = idx_del_quiet(t, STORE_DB_ORDER_BY_ACCOUNT, k, 16)) != 0)
			return rc;
	}
	if (have_old && order_live(&old)) {
		key_time_id(k, old.expires, r->id);
		if ((rc = idx_del_quiet(t, STORE_DB_ORDER_BY_EXPIRY, k, 16)) != 0)
			return rc;
	}
	store_be64_put(k, r->account_id);
	store_be64_put(k + 8, r->id);
	if ((rc = store_put(t, STORE_DB_ORDER_BY_ACCOUNT, k, 16, "", 0, 0)) != 0)
		return rc;
	if (order_live(r)) {
		key_time_id(k, r->expires, r->id);
		if ((rc = store_put(t, STORE_DB_ORDER_BY_EXPIRY, k, 16, "", 0, 0)) != 0)
			return rc;
	}
	store_be64_put(k, r->id);
	return store_put(t, STORE_DB_ORDER, k, 8, buf, len, 0);
}

int
store_order_list_by_account(struct store_txn *t, uint64_t account_id, uint64_t after_id,
			    uint64_t *ids, size_t max, size_t *n)
{
	uint8_t start[16], end[8];

	*n = 0;
	if (after_id == UINT64_MAX)
		return 0;
	store_be64_put(start, account_id);
	store_be64_put(start + 8, after_id + 1);
	store_be64_put(end, account_id + 1);
	return id_list_range(t, STORE_DB_ORDER_BY_ACCOUNT, start, 16, end,
			     account_id == UINT64_MAX ? 0 : 8, ids, max, n);
}

/* ---- authorizations ---------------------------------------------------------------- */

static int
authz_live(const struct rec_authz *a)
{
	return a->status == REC_AUTHZ_PENDING || a->status == REC_AUTHZ_VALID;
}

/* account || type || wildcard || value */
static int
authz_name_key(uint8_t *k, uint64_t account_id, const struct rec_ident *id, int wildcard,
	       size_t *klen)
{
	size_t vlen = strnlen(id->value, sizeof(id->value));

	if (vlen == sizeof(id->value))
		return ERR_RANGE;
	store_be64_put(k, account_id);
	k[8] = id->type;
	k[9] = wildcard ? 1 : 0;
	memcpy(k + 10, id->value, vlen);
	*klen = 10 + vlen;
	return 0;
}

int
store_authz_get(struct store_txn *t, uint64_t id, struct rec_authz *out)
{
	uint8_t k[8];
	const void *v = NULL;
	size_t vlen = 0;
	int rc;

	store_be64_put(k, id);
	rc = store_get(t, STORE_DB_AUTHZ, k, sizeof(k), &v, &vlen);
	if (rc != 0)
		return rc;
	return rec_bad(rec_authz_decode(out, v, vlen), STORE_DB_AUTHZ, id, NULL);
}

int
store_authz_put(struct store_txn *t, const struct rec_authz *r)
{
	uint8_t buf[REC_ENC_MAX], k[16], nk[10 + REC_IDENT_MAX];
	struct rec_authz old;
	size_t len, nlen;
	int rc, have_old;

	if (r->id == 0)
		return ERR_RANGE;
	rc = rec_authz_encode(r, buf, sizeof(buf), &len);
	if (rc != 0)
		return rc;
	have_old = rec_old_usable(store_authz_get(t, r->id, &old));
	if (have_old < 0)
		return have_old;
	if (have_old) {
		if (authz_live(&old) && old.expires != 0) {
			key_time_id(k, old.expires, r->id);
			if ((rc = idx_del_quiet(t, STORE_DB_AUTHZ_BY_EXPIRY, k, 16)) != 0)
				return rc;
		}
		if ((rc = authz_name_key(nk, old.account_id, &old.ident, old.wildcard, &nlen)) != 0)
			return rc;
		if ((rc = idx_del_owned(t, STORE_DB_AUTHZ_BY_ACCOUNT_NAME, nk, nlen, r->id)) != 0)
			return rc;
	}
	if (authz_live(r)) {
		if (r->expires != 0) {
			key_time_id(k, r->expires, r->id);
			rc = store_put(t, STORE_DB_AUTHZ_BY_EXPIRY, k, 16, "", 0, 0);
			if (rc != 0)
				return rc;
		}
		if ((rc = authz_name_key(nk, r->account_id, &r->ident, r->wildcard, &nlen)) != 0)
			return rc;
		if ((rc = idx_put_id(t, STORE_DB_AUTHZ_BY_ACCOUNT_NAME, nk, nlen, r->id)) != 0)
			return rc;
	}
	store_be64_put(k, r->id);
	return store_put(t, STORE_DB_AUTHZ, k, 8, buf, len, 0);
}

int
store_authz_find(struct store_txn *t, uint64_t account_id, const struct rec_ident *ident,
		 int wildcard, struct rec_authz *out)
{
	uint8_t nk[10 + REC_IDENT_MAX];
	size_t nlen;
	uint64_t id = 0;
	int rc = authz_name_key(nk, account_id, ident, wildcard, &nlen);

	if (rc != 0)
		return rc;
	rc = idx_get_id(t, STORE_DB_AUTHZ_BY_ACCOUNT_NAME, nk, nlen, &id);
	if (rc != 0)
		return rc;
	rc = store_authz_get(t, id, out);
	if (rc == 0 && (out->account_id != account_id || out->ident.type != ident->type ||
			(out->wildcard != 0) != (wildcard != 0) ||
			strcmp(out->ident.value, ident->value) != 0))
		rc = ERR_NOTFOUND;
	return rc;
}

/* ---- certificates ------------------------------------------------------------------- */

int
store_cert_get(struct store_txn *t, uint64_t id, struct rec_cert *out)
{
	uint8_t k[8];
	const void *v = NULL;
	size_t vlen = 0;
	int rc;

	store_be64_put(k, id);
	rc = store_get(t, STORE_DB_CERT, k, sizeof(k), &v, &vlen);
	if (rc != 0)
		return rc;
	return rec_bad(rec_cert_decode(out, v, vlen), STORE_DB_CERT, id, NULL);
}

int
store_cert_put(struct store_txn *t, const struct rec_cert *r)
{
	uint8_t buf[REC_ENC_MAX], k[16];
	struct rec_cert old;
	size_t len;
	int rc, have_old;

	if (r->id == 0 || r->serial_len == 0 || r->serial_len > REC_SERIAL_MAX)
		return ERR_RANGE;
	rc = rec_cert_encode(r, buf, sizeof(buf), &len);
	if (rc != 0)
		return rc;
	rc = idx_check_owner(t, STORE_DB_CERT_BY_SERIAL, r->serial, r->serial_len, r->id);
	if (rc != 0)
		return rc;
	have_old = rec_old_usable(store_cert_get(t, r->id, &old));
	if (have_old < 0)
		return have_old;
	if (have_old) {
		if (old.serial_len > 0 && (old.serial_len != r->serial_len ||
					   memcmp(old.serial, r->serial, r->serial_len) != 0)) {
			rc = idx_del_owned(t, STORE_DB_CERT_BY_SERIAL, old.serial, old.serial_len,
					   r->id);
			if (rc != 0)
				return rc;
		}
		key_time_id(k, old.not_after, r->id);
		if ((rc = idx_del_quiet(t, STORE_DB_CERT_BY_EXPIRY, k, 16)) != 0)
			return rc;
	}
	if ((rc = idx_put_id(t, STORE_DB_CERT_BY_SERIAL, r->serial, r->serial_len, r->id)) != 0)
		return rc;
	key_time_id(k, r->not_after, r->id);
	if ((rc = store_put(t, STORE_DB_CERT_BY_EXPIRY, k, 16, "", 0, 0)) != 0)
		return rc;
	store_be64_put(k, r->id);
	return store_put(t, STORE_DB_CERT, k, 8, buf, len, 0);
}

int
store_cert_find_by_serial(struct store_txn *t, const uint8_t *serial, size_t len,
			  struct rec_cert *out)
{
	uint64_t id = 0;
	int rc;

	if (len == 0 || len > REC_SERIAL_MAX)
		return ERR_NOTFOUND;
	rc = idx_get_id(t, STORE_DB_CERT_BY_SERIAL, serial, len, &id);
	if (rc != 0)
		return rc;
	rc = store_cert_get(t, id, out);
	if (rc == 0 && (out->serial_len != len || memcmp(out->serial, serial, len) != 0))
		rc = ERR_NOTFOUND;
	return rc;
}

struct expiry_collect {
	struct store_expiry *out;
	size_t n;
	size_t max;
};

static int
expiry_collect_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct expiry_collect *c = arg;

	(void)v;
	(void)vl;
	if (c->n >= c->max)
		return 1;
	if (kl != 16)
		return 0;
	c->out[c->n].not_after = store_time_from_key(k);
	c->out[c->n].cert_id = store_be64_get((const uint8_t *)k + 8);
	c->n++;
	return 0;
}

int
store_cert_list_by_expiry(struct store_txn *t, const struct store_expiry *after,
			  int64_t until, struct store_expiry *out, size_t max, size_t *n)
{
	struct expiry_collect c = { out, 0, max };
	uint8_t start[16], end[8];
	size_t slen = 0;
	int rc;

	*n = 0;
	if (after != NULL) {
		/* The next key after (t, id) is (t, id + 1), or (t + 1, 0). */
		if (after->cert_id != UINT64_MAX) {
			key_time_id(start, after->not_after, after->cert_id + 1);
		} else {
			if (after->not_after == INT64_MAX)
				return 0;
			key_time_id(start, after->not_after + 1, 0);
		}
		slen = 16;
	}
	store_time_key(end, until);
	rc = store_scan_range(t, STORE_DB_CERT_BY_EXPIRY, start, slen, end, 8,
			      expiry_collect_cb, &c, max);
	*n = c.n;
	return rc < 0 ? rc : 0;
}

/* ---- UPKI jobs ------------------------------------------------------------------------ */

static int
job_owns_key(const struct rec_job *j)
{
	return j->kind != REC_JOB_REVOKE &&
	       (j->state == REC_JOB_QUEUED || j->state == REC_JOB_SUBMITTED ||
		j->state == REC_JOB_ISSUED);
}

static void
job_key(uint8_t k[2 * REC_SHA256_LEN], const uint8_t *spki, const uint8_t *names)
{
	memcpy(k, spki, REC_SHA256_LEN);
	memcpy(k + REC_SHA256_LEN, names, REC_SHA256_LEN);
}

int
store_job_get(struct store_txn *t, uint64_t id, struct rec_job *out)
{
	uint8_t k[8];
	const void *v = NULL;
	size_t vlen = 0;
	int rc;

	store_be64_put(k, id);
	rc = store_get(t, STORE_DB_JOB, k, sizeof(k), &v, &vlen);
	if (rc != 0)
		return rc;
	return rec_bad(rec_job_decode(out, v, vlen), STORE_DB_JOB, id, NULL);
}

int
store_job_put(struct store_txn *t, const struct rec_job *r)
{
	uint8_t buf[REC_ENC_MAX], sk[9], jk[2 * REC_SHA256_LEN];
	struct rec_job old;
	size_t len;
	int rc, have_old;

	if (r->id == 0)
		return ERR_RANGE;
	rc = rec_job_encode(r, buf, sizeof(buf), &len);
	if (rc != 0)
		return rc;
	job_key(jk, r->spki_sha256, r->names_sha256);
	if (job_owns_key(r)) {
		rc = idx_check_owner(t, STORE_DB_JOB_BY_KEY, jk, sizeof(jk), r->id);
		if (rc != 0)
			return rc;
	}
	have_old = rec_old_usable(store_job_get(t, r->id, &old));
	if (have_old < 0)
		return have_old;
	if (have_old) {
		sk[0] = old.state;
		store_be64_put(sk + 1, r->id);
		if ((rc = idx_del_quiet(t, STORE_DB_JOB_BY_STATE, sk, sizeof(sk))) != 0)
			return rc;
		if (job_owns_key(&old)) {
			uint8_t ok[2 * REC_SHA256_LEN];

			job_key(ok, old.spki_sha256, old.names_sha256);
			if ((rc = idx_del_owned(t, STORE_DB_JOB_BY_KEY, ok, sizeof(ok), r->id)) != 0)
				return rc;
		}
	}
	sk[0] = r->state;
	store_be64_put(sk + 1, r->id);
	if ((rc = store_put(t, STORE_DB_JOB_BY_STATE, sk, sizeof(sk), "", 0, 0)) != 0)
		return rc;
	if (job_owns_key(r)) {
		if ((rc = idx_put_id(t, STORE_DB_JOB_BY_KEY, jk, sizeof(jk), r->id)) != 0)
			return rc;
	}
	store_be64_put(sk, r->id);
	return store_put(t, STORE_DB_JOB, sk, 8, buf, len, 0);
}

int
store_job_find_by_key(struct store_txn *t, const uint8_t spki[REC_SHA256_LEN],
		      const uint8_t names[REC_SHA256_LEN], struct rec_job *out)
{
	uint8_t jk[2 * REC_SHA256_LEN];
	uint64_t id = 0;
	int rc;

	job_key(jk, spki, names);
	rc = idx_get_id(t, STORE_DB_JOB_BY_KEY, jk, sizeof(jk), &id);
	if (rc != 0)
		return rc;
	rc = store_job_get(t, id, out);
	if (rc == 0 && (!job_owns_key(out) ||
			memcmp(out->spki_sha256, spki, REC_SHA256_LEN) != 0 ||
			memcmp(out->names_sha256, names, REC_SHA256_LEN) != 0))
		rc = ERR_NOTFOUND;
	return rc;
}

int
store_job_list_by_state(struct store_txn *t, unsigned state, uint64_t after_id,
			uint64_t *ids, size_t max, size_t *n)
{
	uint8_t start[9], end[1];

	*n = 0;
	if (state >= REC_JOB__MAX)
		return ERR_RANGE;
	if (after_id == UINT64_MAX)
		return 0;
	start[0] = (uint8_t)state;
	store_be64_put(start + 1, after_id + 1);
	end[0] = (uint8_t)(state + 1);
	return id_list_range(t, STORE_DB_JOB_BY_STATE, start, sizeof(start), end, sizeof(end),
			     ids, max, n);
}

/* ---- subject DNs ------------------------------------------------------------------------ */

int
store_dn_get(struct store_txn *t, const char *dn, struct rec_dn *out)
{
	const void *v = NULL;
	size_t vlen = 0, klen = 0;
	int rc = rec_key_str(dn, REC_DN_MAX, &klen);

	if (rc != 0)
		return rc == ERR_RANGE ? ERR_NOTFOUND : rc;
	rc = store_get(t, STORE_DB_DN, dn, klen, &v, &vlen);
	if (rc != 0)
		return rc;
	return rec_bad(rec_dn_decode(out, v, vlen), STORE_DB_DN, 0, dn);
}

int
store_dn_put(struct store_txn *t, const struct rec_dn *r)
{
	uint8_t buf[REC_ENC_MAX];
	size_t len, klen;
	int rc = rec_key_str(r->dn, REC_DN_MAX, &klen);

	if (rc != 0)
		return rc;
	rc = rec_dn_encode(r, buf, sizeof(buf), &len);
	if (rc != 0)
		return rc;
	return store_put(t, STORE_DB_DN, r->dn, klen, buf, len, 0);
}

/* ---- listings and sweep ------------------------------------------------------------------ */

int
store_id_list(struct store_txn *t, enum store_db db, uint64_t after_id, uint64_t *ids,
	      size_t max, size_t *n)
{
	uint8_t start[8];

	*n = 0;
	if (db != STORE_DB_ACCOUNT && db != STORE_DB_ORDER && db != STORE_DB_AUTHZ &&
	    db != STORE_DB_CERT && db != STORE_DB_JOB)
		return ERR_RANGE;
	if (after_id == UINT64_MAX)
		return 0;
	store_be64_put(start, after_id + 1);
	return id_list_range(t, db, start, sizeof(start), NULL, 0, ids, max, n);
}

/* Index entries (time || id) due at now, at most max. */
static int
sweep_due(struct store_txn *t, enum store_db db, int64_t now, struct store_expiry *due,
	  size_t max, size_t *n)
{
	struct expiry_collect c = { due, 0, max };
	uint8_t end[8];
	int rc;

	*n = 0;
	if (max == 0)
		return 0;
	store_time_key(end, now == INT64_MAX ? now : now + 1);
	rc = store_scan_range(t, db, NULL, 0, end, now == INT64_MAX ? 0 : sizeof(end),
			      expiry_collect_cb, &c, max);
	*n = c.n;
	return rc < 0 ? rc : 0;
}

/*
 * An entry whose record is gone, unreadable or no longer live at that time is
 * stale: drop it, or it would sit at the front of every later sweep.
 */
static int
sweep_drop(struct store_txn *t, enum store_db db, const struct store_expiry *e)
{
	uint8_t k[16];

	key_time_id(k, e->not_after, e->cert_id);
	return idx_del_quiet(t, db, k, sizeof(k));
}

static int
sweep_orders(struct store_txn *t, int64_t now, size_t max, size_t *done)
{
	struct store_expiry due[STORE_SWEEP_MAX];
	struct rec_order o;
	size_t n;
	int rc = sweep_due(t, STORE_DB_ORDER_BY_EXPIRY, now, due, max, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = rec_old_usable(store_order_get(t, due[i].cert_id, &o));
		if (rc == 1 && order_live(&o) && o.expires == due[i].not_after) {
			o.status = REC_ORDER_INVALID;
			rc = store_order_put(t, &o);
		} else if (rc >= 0) {
			rc = sweep_drop(t, STORE_DB_ORDER_BY_EXPIRY, &due[i]);
		}
		if (rc == 0)
			(*done)++;
	}
	return rc;
}

static int
sweep_authzs(struct store_txn *t, int64_t now, size_t max, size_t *done)
{
	struct store_expiry due[STORE_SWEEP_MAX];
	struct rec_authz a;
	size_t n;
	int rc = sweep_due(t, STORE_DB_AUTHZ_BY_EXPIRY, now, due, max, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = rec_old_usable(store_authz_get(t, due[i].cert_id, &a));
		if (rc == 1 && authz_live(&a) && a.expires == due[i].not_after) {
			a.status = REC_AUTHZ_EXPIRED;
			rc = store_authz_put(t, &a);
		} else if (rc >= 0) {
			rc = sweep_drop(t, STORE_DB_AUTHZ_BY_EXPIRY, &due[i]);
		}
		if (rc == 0)
			(*done)++;
	}
	return rc;
}

int
store_sweep_expired(struct store_txn *t, int64_t now, size_t max, size_t *swept)
{
	size_t done = 0;
	int rc;

	*swept = 0;
	if (max > STORE_SWEEP_MAX)
		max = STORE_SWEEP_MAX;
	rc = sweep_orders(t, now, max, &done);
	if (rc == 0)
		rc = sweep_authzs(t, now, max - done, &done);
	*swept = done;
	return rc;
}
