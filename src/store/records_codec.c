/* Stored objects: status words and versioned encodings (records.h codecs). */
#include <string.h>

#include "store/rec.h"
#include "store/records.h"
#include "util/err.h"

_Static_assert(REC_IDENT_N <= 255 && REC_CONTACT_N <= 255 && REC_EAB_ALLOW_N <= 255 &&
	       REC_CHALL_N <= 255 && REC_CAA_CHECKS_N <= 255, "counts are stored in one byte");

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

/* The version byte: 1..max into *v, or the sticky error (ERR_VERSION above max). */
static int
rec_r_version_max(struct rec_r *r, uint8_t max, uint8_t *v)
{
	*v = 0;
	if (rec_r_u8(r, v) != 0)
		return r->err;
	if (*v == 0)
		return rec_r_fail(r);
	if (*v > max) {
		r->err = ERR_VERSION;
		return r->err;
	}
	return 0;
}

static int
rec_r_version(struct rec_r *r)
{
	uint8_t v;

	return rec_r_version_max(r, REC_VERSION, &v);
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
	rec_w_u8(&w, REC_EAB_VERSION);
	rec_w_str(&w, e->kid, sizeof(e->kid));
	rec_w_blob(&w, e->hmac, e->hmac_len, sizeof(e->hmac));
	rec_w_str(&w, e->name, sizeof(e->name));
	rec_w_count(&w, e->n_allow, REC_EAB_ALLOW_N);
	for (size_t i = 0; i < e->n_allow && i < REC_EAB_ALLOW_N; i++)
		rec_w_str(&w, e->allow[i], sizeof(e->allow[i]));
	rec_w_i64(&w, e->created);
	rec_w_u64(&w, e->account_id);
	rec_w_u32(&w, e->flags);
	rec_w_u32(&w, e->max_accounts);
	rec_w_i64(&w, e->expires);
	rec_w_u32(&w, e->n_accounts);
	return rec_w_finish(&w, len);
}

int
rec_eab_decode(struct rec_eab *e, const void *buf, size_t len)
{
	struct rec_r r;
	uint8_t v = 0;

	memset(e, 0, sizeof(*e));
	rec_r_init(&r, buf, len);
	rec_r_version_max(&r, REC_EAB_VERSION, &v);
	rec_r_str(&r, e->kid, sizeof(e->kid));
	rec_r_bytes(&r, e->hmac, sizeof(e->hmac), &e->hmac_len);
	rec_r_str(&r, e->name, sizeof(e->name));
	rec_r_count(&r, &e->n_allow, REC_EAB_ALLOW_N);
	for (size_t i = 0; i < e->n_allow; i++)
		rec_r_str(&r, e->allow[i], sizeof(e->allow[i]));
	rec_r_i64(&r, &e->created);
	rec_r_u64(&r, &e->account_id);
	rec_r_u32(&r, &e->flags);
	if (v >= 2) {
		rec_r_u32(&r, &e->max_accounts);
		rec_r_i64(&r, &e->expires);
		rec_r_u32(&r, &e->n_accounts);
	} else {
		/* Version 1 keys bound at most one account and never expired. */
		e->n_accounts = e->account_id != 0;
	}
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
	rec_w_u8(&w, REC_AUTHZ_VERSION);
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
	rec_w_count(&w, a->n_caa, REC_CAA_CHECKS_N);
	for (size_t i = 0; i < a->n_caa && i < REC_CAA_CHECKS_N; i++) {
		const struct rec_caa_check *k = &a->caa[i];

		rec_w_i64(&w, k->at);
		rec_w_enum(&w, k->result, REC_CAA__MAX);
		rec_w_enum(&w, k->when, REC_CAA_WHEN__MAX);
		rec_w_u16(&w, k->lookups);
		rec_w_str(&w, k->name, sizeof(k->name));
		rec_w_str(&w, k->where, sizeof(k->where));
		rec_w_str(&w, k->records, sizeof(k->records));
	}
	return rec_w_finish(&w, len);
}

int
rec_authz_decode(struct rec_authz *a, const void *buf, size_t len)
{
	struct rec_r r;
	uint8_t v = 0;

	memset(a, 0, sizeof(*a));
	rec_r_init(&r, buf, len);
	rec_r_version_max(&r, REC_AUTHZ_VERSION, &v);
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
	if (v >= 2) {
		rec_r_count(&r, &a->n_caa, REC_CAA_CHECKS_N);
		for (size_t i = 0; i < a->n_caa; i++) {
			struct rec_caa_check *k = &a->caa[i];

			rec_r_i64(&r, &k->at);
			rec_r_enum(&r, &k->result, REC_CAA__MAX);
			rec_r_enum(&r, &k->when, REC_CAA_WHEN__MAX);
			rec_r_u16(&r, &k->lookups);
			rec_r_str(&r, k->name, sizeof(k->name));
			rec_r_str(&r, k->where, sizeof(k->where));
			rec_r_str(&r, k->records, sizeof(k->records));
		}
	}
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
