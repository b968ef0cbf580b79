/* EAB keys, the accounts bound through them (ACCOUNT_BY_EAB), and that index's migration. */
#include <string.h>

#include "store/records_int.h"
#include "store/store_int.h"
#include "util/err.h"
#include "util/log.h"

#define EAB_IDX_KEY_MAX (1 + REC_KID_MAX + 8)
#define EAB_MIGRATE_BATCH 256

_Static_assert(EAB_IDX_KEY_MAX <= STORE_KEY_MAX && REC_KID_MAX <= 255,
	       "ACCOUNT_BY_EAB keys must fit LMDB's limit and a one-byte length");

/* ---- EAB -------------------------------------------------------------------------- */

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

/* ---- accounts by EAB key ------------------------------------------------------------ */

/* kid length || kid: the length keeps "ab" from matching the entries of "abc". */
static int
eab_idx_prefix(uint8_t k[EAB_IDX_KEY_MAX], const char *kid, size_t *plen)
{
	size_t klen = 0;
	int rc = rec_key_str(kid, REC_KID_MAX, &klen);

	if (rc != 0)
		return rc;
	k[0] = (uint8_t)klen;
	memcpy(k + 1, kid, klen);
	*plen = 1 + klen;
	return 0;
}

int
rec_eab_idx_move(struct store_txn *t, const char *old_kid, const char *new_kid, uint64_t id)
{
	uint8_t k[EAB_IDX_KEY_MAX];
	size_t plen = 0;
	int had = old_kid != NULL && old_kid[0] != '\0';
	int has = new_kid != NULL && new_kid[0] != '\0';
	int rc;

	if (had && has && strcmp(old_kid, new_kid) == 0)
		return 0;
	if (had) {
		/* An old kid that is not a valid key has no entry to drop. */
		if (eab_idx_prefix(k, old_kid, &plen) == 0) {
			store_be64_put(k + plen, id);
			rc = rec_idx_del_quiet(t, STORE_DB_ACCOUNT_BY_EAB, k, plen + 8);
			if (rc != 0)
				return rc;
		}
	}
	if (!has)
		return 0;
	rc = eab_idx_prefix(k, new_kid, &plen);
	if (rc != 0)
		return rc;
	store_be64_put(k + plen, id);
	return store_put(t, STORE_DB_ACCOUNT_BY_EAB, k, plen + 8, "", 0, 0);
}

struct eab_idx_collect {
	const uint8_t *prefix;
	size_t plen;
	uint64_t *ids;
	size_t n, max;
};

static int
eab_idx_collect_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct eab_idx_collect *c = arg;

	(void)v;
	(void)vl;
	if (kl != c->plen + 8 || memcmp(k, c->prefix, c->plen) != 0 || c->n >= c->max)
		return 1;
	c->ids[c->n++] = store_be64_get((const uint8_t *)k + c->plen);
	return 0;
}

int
store_account_list_by_eab(struct store_txn *t, const char *kid, uint64_t after_id,
			  uint64_t *ids, size_t max, size_t *n)
{
	uint8_t k[EAB_IDX_KEY_MAX];
	struct eab_idx_collect c = { k, 0, ids, 0, max };
	int rc;

	*n = 0;
	rc = eab_idx_prefix(k, kid, &c.plen);
	if (rc != 0 || after_id == UINT64_MAX || max == 0)
		return rc;
	store_be64_put(k + c.plen, after_id + 1);
	rc = store_scan_range(t, STORE_DB_ACCOUNT_BY_EAB, k, c.plen + 8, NULL, 0,
			      eab_idx_collect_cb, &c, max);
	*n = c.n;
	return rc < 0 ? rc : 0;
}

int
store_eab_migrate_index(struct store_txn *t)
{
	static uint64_t ids[EAB_MIGRATE_BATCH];
	static struct rec_account a;
	uint64_t after = 0;
	size_t n = 0, indexed = 0, unreadable = 0;
	int rc;

	/* Each turn moves after forward past the ids it read, so the loop ends. */
	do {
		rc = store_id_list(t, STORE_DB_ACCOUNT, after, ids, EAB_MIGRATE_BATCH, &n);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			after = ids[i];
			rc = rec_old_usable(store_account_get(t, ids[i], &a));
			if (rc == 0) {
				unreadable++;   /* logged by the get; nothing to index */
			} else if (rc == 1) {
				rc = rec_eab_idx_move(t, NULL, a.eab_kid, a.id);
				indexed += rc == 0 && a.eab_kid[0] != '\0';
			}
		}
		if (rc != 0)
			return rc;
	} while (n == EAB_MIGRATE_BATCH);
	log_info("store: %zu account(s) indexed by EAB key, %zu unreadable skipped", indexed,
		 unreadable);
	return 0;
}
