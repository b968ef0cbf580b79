/* Stored objects: typed access inside a transaction, with index upkeep. */
#include <string.h>

#include "store/records_int.h"
#include "util/err.h"
#include "util/log.h"

_Static_assert(REC_DN_MAX <= STORE_KEY_MAX && REC_KID_MAX + 1 <= STORE_KEY_MAX &&
	       8 + 2 + REC_IDENT_MAX <= STORE_KEY_MAX, "keys must fit LMDB's limit");

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
	rc = rec_idx_check_owner(t, STORE_DB_ACCOUNT_BY_KEY, r->thumbprint, REC_SHA256_LEN, r->id);
	if (rc != 0)
		return rc;
	have_old = rec_old_usable(store_account_get(t, r->id, &old));
	if (have_old < 0)
		return have_old;
	if (have_old && memcmp(old.thumbprint, r->thumbprint, REC_SHA256_LEN) != 0) {
		rc = rec_idx_del_owned(t, STORE_DB_ACCOUNT_BY_KEY, old.thumbprint, REC_SHA256_LEN,
				   r->id);
		if (rc != 0)
			return rc;
	}
	rc = rec_idx_put_id(t, STORE_DB_ACCOUNT_BY_KEY, r->thumbprint, REC_SHA256_LEN, r->id);
	if (rc != 0)
		return rc;
	rc = rec_eab_idx_move(t, have_old ? old.eab_kid : NULL, r->eab_kid, r->id);
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
	int rc = rec_idx_get_id(t, STORE_DB_ACCOUNT_BY_KEY, thumbprint, REC_SHA256_LEN, &id);

	if (rc != 0)
		return rc;
	rc = store_account_get(t, id, out);
	if (rc == 0 && memcmp(out->thumbprint, thumbprint, REC_SHA256_LEN) != 0)
		rc = ERR_NOTFOUND;
	return rc;
}

/* ---- orders -------------------------------------------------------------------------- */

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
		if ((rc = rec_idx_del_quiet(t, STORE_DB_ORDER_BY_ACCOUNT, k, 16)) != 0)
			return rc;
	}
	if (have_old && rec_order_live(&old)) {
		rec_key_time_id(k, old.expires, r->id);
		if ((rc = rec_idx_del_quiet(t, STORE_DB_ORDER_BY_EXPIRY, k, 16)) != 0)
			return rc;
	}
	store_be64_put(k, r->account_id);
	store_be64_put(k + 8, r->id);
	if ((rc = store_put(t, STORE_DB_ORDER_BY_ACCOUNT, k, 16, "", 0, 0)) != 0)
		return rc;
	if (rec_order_live(r)) {
		rec_key_time_id(k, r->expires, r->id);
		if ((rc = store_put(t, STORE_DB_ORDER_BY_EXPIRY, k, 16, "", 0, 0)) != 0)
			return rc;
	}
	if ((rc = rec_order_life(t, have_old ? &old : NULL, r)) != 0)
		return rc;
	store_be64_put(k, r->id);
	return store_put(t, STORE_DB_ORDER, k, 8, buf, len, 0);
}

int
store_order_del(struct store_txn *t, uint64_t id)
{
	struct rec_order old;
	uint8_t k[16];
	int rc = store_order_get(t, id, &old);

	if (rc != 0)
		return rc;
	store_be64_put(k, old.account_id);
	store_be64_put(k + 8, id);
	if ((rc = rec_idx_del_quiet(t, STORE_DB_ORDER_BY_ACCOUNT, k, 16)) != 0)
		return rc;
	if (rec_order_live(&old)) {
		rec_key_time_id(k, old.expires, id);
		if ((rc = rec_idx_del_quiet(t, STORE_DB_ORDER_BY_EXPIRY, k, 16)) != 0)
			return rc;
	}
	if ((rc = rec_order_life(t, &old, NULL)) != 0)
		return rc;
	store_be64_put(k, id);
	return store_del(t, STORE_DB_ORDER, k, 8);
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
	return rec_id_list_range(t, STORE_DB_ORDER_BY_ACCOUNT, start, 16, end,
			     account_id == UINT64_MAX ? 0 : 8, ids, max, n);
}

/* ---- authorizations ---------------------------------------------------------------- */

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
		if (rec_authz_live(&old) && old.expires != 0) {
			rec_key_time_id(k, old.expires, r->id);
			if ((rc = rec_idx_del_quiet(t, STORE_DB_AUTHZ_BY_EXPIRY, k, 16)) != 0)
				return rc;
		}
		if ((rc = authz_name_key(nk, old.account_id, &old.ident, old.wildcard, &nlen)) != 0)
			return rc;
		if ((rc = rec_idx_del_owned(t, STORE_DB_AUTHZ_BY_ACCOUNT_NAME, nk, nlen, r->id)) != 0)
			return rc;
	}
	if (rec_authz_live(r)) {
		if (r->expires != 0) {
			rec_key_time_id(k, r->expires, r->id);
			rc = store_put(t, STORE_DB_AUTHZ_BY_EXPIRY, k, 16, "", 0, 0);
			if (rc != 0)
				return rc;
		}
		if ((rc = authz_name_key(nk, r->account_id, &r->ident, r->wildcard, &nlen)) != 0)
			return rc;
		if ((rc = rec_idx_put_id(t, STORE_DB_AUTHZ_BY_ACCOUNT_NAME, nk, nlen, r->id)) != 0)
			return rc;
	}
	if ((rc = rec_authz_life(t, have_old ? &old : NULL, r)) != 0)
		return rc;
	store_be64_put(k, r->id);
	return store_put(t, STORE_DB_AUTHZ, k, 8, buf, len, 0);
}

int
store_authz_del(struct store_txn *t, uint64_t id)
{
	uint8_t k[16], nk[10 + REC_IDENT_MAX];
	struct rec_authz old;
	size_t nlen;
	int rc = store_authz_get(t, id, &old);

	if (rc != 0)
		return rc;
	if (rec_authz_live(&old) && old.expires != 0) {
		rec_key_time_id(k, old.expires, id);
		if ((rc = rec_idx_del_quiet(t, STORE_DB_AUTHZ_BY_EXPIRY, k, 16)) != 0)
			return rc;
	}
	if ((rc = authz_name_key(nk, old.account_id, &old.ident, old.wildcard, &nlen)) != 0)
		return rc;
	if ((rc = rec_idx_del_owned(t, STORE_DB_AUTHZ_BY_ACCOUNT_NAME, nk, nlen, id)) != 0)
		return rc;
	if ((rc = rec_authz_life(t, &old, NULL)) != 0)
		return rc;
	store_be64_put(k, id);
	return store_del(t, STORE_DB_AUTHZ, k, 8);
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
	rc = rec_idx_get_id(t, STORE_DB_AUTHZ_BY_ACCOUNT_NAME, nk, nlen, &id);
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
	rc = rec_idx_check_owner(t, STORE_DB_CERT_BY_SERIAL, r->serial, r->serial_len, r->id);
	if (rc != 0)
		return rc;
	have_old = rec_old_usable(store_cert_get(t, r->id, &old));
	if (have_old < 0)
		return have_old;
	if (have_old) {
		if (old.serial_len > 0 && (old.serial_len != r->serial_len ||
					   memcmp(old.serial, r->serial, r->serial_len) != 0)) {
			rc = rec_idx_del_owned(t, STORE_DB_CERT_BY_SERIAL, old.serial, old.serial_len,
					   r->id);
			if (rc != 0)
				return rc;
		}
		rec_key_time_id(k, old.not_after, r->id);
		if ((rc = rec_idx_del_quiet(t, STORE_DB_CERT_BY_EXPIRY, k, 16)) != 0)
			return rc;
	}
	if ((rc = rec_idx_put_id(t, STORE_DB_CERT_BY_SERIAL, r->serial, r->serial_len, r->id)) != 0)
		return rc;
	rec_key_time_id(k, r->not_after, r->id);
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
	rc = rec_idx_get_id(t, STORE_DB_CERT_BY_SERIAL, serial, len, &id);
	if (rc != 0)
		return rc;
	rc = store_cert_get(t, id, out);
	if (rc == 0 && (out->serial_len != len || memcmp(out->serial, serial, len) != 0))
		rc = ERR_NOTFOUND;
	return rc;
}

int
store_cert_list_by_expiry(struct store_txn *t, const struct store_expiry *after,
			  int64_t until, struct store_expiry *out, size_t max, size_t *n)
{
	struct rec_expiry_collect c = { out, 0, max };
	uint8_t start[16], end[8];
	size_t slen = 0;
	int rc;

	*n = 0;
	if (after != NULL) {
		/* The next key after (t, id) is (t, id + 1), or (t + 1, 0). */
		if (after->cert_id != UINT64_MAX) {
			rec_key_time_id(start, after->not_after, after->cert_id + 1);
		} else {
			if (after->not_after == INT64_MAX)
				return 0;
			rec_key_time_id(start, after->not_after + 1, 0);
		}
		slen = 16;
	}
	store_time_key(end, until);
	rc = store_scan_range(t, STORE_DB_CERT_BY_EXPIRY, start, slen, end, 8,
			      rec_expiry_collect_cb, &c, max);
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
		rc = rec_idx_check_owner(t, STORE_DB_JOB_BY_KEY, jk, sizeof(jk), r->id);
		if (rc != 0)
			return rc;
	}
	have_old = rec_old_usable(store_job_get(t, r->id, &old));
	if (have_old < 0)
		return have_old;
	if (have_old) {
		sk[0] = old.state;
		store_be64_put(sk + 1, r->id);
		if ((rc = rec_idx_del_quiet(t, STORE_DB_JOB_BY_STATE, sk, sizeof(sk))) != 0)
			return rc;
		if (job_owns_key(&old)) {
			uint8_t ok[2 * REC_SHA256_LEN];

			job_key(ok, old.spki_sha256, old.names_sha256);
			if ((rc = rec_idx_del_owned(t, STORE_DB_JOB_BY_KEY, ok, sizeof(ok), r->id)) != 0)
				return rc;
		}
	}
	sk[0] = r->state;
	store_be64_put(sk + 1, r->id);
	if ((rc = store_put(t, STORE_DB_JOB_BY_STATE, sk, sizeof(sk), "", 0, 0)) != 0)
		return rc;
	if (job_owns_key(r)) {
		if ((rc = rec_idx_put_id(t, STORE_DB_JOB_BY_KEY, jk, sizeof(jk), r->id)) != 0)
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
	rc = rec_idx_get_id(t, STORE_DB_JOB_BY_KEY, jk, sizeof(jk), &id);
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
	return rec_id_list_range(t, STORE_DB_JOB_BY_STATE, start, sizeof(start), end, sizeof(end),
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
