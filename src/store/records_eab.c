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

/* ---- the walk that removes what no account put can ----------------------------------- */

#define EAB_WALK_MAX 64          /* entries one walk call reads (whole keys, any length) */

struct eab_walk_collect {
	uint8_t (*keys)[STORE_KEY_MAX];
	size_t *lens;
	size_t n, max;
};

static int
eab_walk_collect_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct eab_walk_collect *c = arg;

	(void)v;
	(void)vl;
	if (c->n >= c->max)
		return 1;
	c->lens[c->n] = kl <= STORE_KEY_MAX ? kl : STORE_KEY_MAX;
	memcpy(c->keys[c->n], k, c->lens[c->n]);
	c->n++;
	return 0;
}

/* One entry: 1 = drop it, 0 = keep (*unreadable set when its account does not decode). */
static int
eab_walk_judge(struct store_txn *t, const uint8_t *k, size_t kl, int *unreadable)
{
	static struct rec_account a;
	char kid[REC_KID_MAX + 1];
	const void *v = NULL;
	size_t vlen = 0;
	uint8_t ak[8];
	int rc;

	*unreadable = 0;
	if (kl < 1 + 1 + 8 || kl != (size_t)1 + k[0] + 8)
		return 1;
	memcpy(kid, k + 1, k[0]);
	kid[k[0]] = '\0';
	memcpy(ak, k + 1 + k[0], 8);
	rc = store_get(t, STORE_DB_ACCOUNT, ak, sizeof(ak), &v, &vlen);
	if (rc == ERR_NOTFOUND)
		return 1;
	if (rc != 0)
		return rc;
	/* Decoded here, not by store_account_get: no log line per entry per walk. */
	if (rec_account_decode(&a, v, vlen) != 0) {
		*unreadable = 1;
		return 0;
	}
	return strcmp(a.eab_kid, kid) != 0;
}

int
store_eab_idx_walk(struct store_txn *t, struct store_eab_walk *w, size_t max)
{
	static uint8_t keys[EAB_WALK_MAX][STORE_KEY_MAX];
	static size_t lens[EAB_WALK_MAX];
	struct eab_walk_collect c = { keys, lens, 0, 0 };
	uint8_t start[STORE_KEY_MAX + 1];
	int rc, bad;

	w->checked = w->dropped = w->unreadable = 0;
	w->wrapped = 0;
	c.max = max < EAB_WALK_MAX ? max : EAB_WALK_MAX;
	if (c.max == 0)
		return 0;
	if (w->klen > sizeof(w->key))
		w->klen = 0;
	memcpy(start, w->key, w->klen);
	start[w->klen] = 0;             /* the first key after w->key */
	rc = store_scan_range(t, STORE_DB_ACCOUNT_BY_EAB, start, w->klen ? w->klen + 1 : 0, NULL, 0,
			      eab_walk_collect_cb, &c, c.max);
	if (rc < 0)
		return rc;
	rc = 0;
	for (size_t i = 0; rc == 0 && i < c.n; i++) {
		rc = eab_walk_judge(t, keys[i], lens[i], &bad);
		if (rc == 1) {
			rc = rec_idx_del_quiet(t, STORE_DB_ACCOUNT_BY_EAB, keys[i], lens[i]);
			w->dropped += rc == 0;
		}
		w->unreadable += rc == 0 && bad;
		w->checked += rc == 0;
	}
	if (rc != 0)
		return rc;
	if (c.n < c.max) {
		w->wrapped = 1;
		w->klen = 0;
	} else {
		/* A key longer than any kid makes is dropped above: at most as long. */
		w->klen = lens[c.n - 1] < sizeof(w->key) ? lens[c.n - 1] : sizeof(w->key);
		memcpy(w->key, keys[c.n - 1], w->klen);
	}
	return 0;
}
