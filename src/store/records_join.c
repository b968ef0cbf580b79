/* The job_join index: orders waiting on another order's UPKI job, and its migration. */
#include <string.h>

#include "store/records_int.h"
#include "store/store_int.h"
#include "util/err.h"
#include "util/log.h"

/* Schema 1 kept the index as raw keys in META (upki/job.c wrote them). */
#define JOIN_OLD_PREFIX "upki/join/"
#define JOIN_OLD_PREFIX_LEN (sizeof(JOIN_OLD_PREFIX) - 1)
#define JOIN_OLD_KEY_LEN (JOIN_OLD_PREFIX_LEN + 16)
#define JOIN_MIGRATE_BATCH 64

static void
join_key(uint8_t k[16], uint64_t job_id, uint64_t order_id)
{
	store_be64_put(k, job_id);
	store_be64_put(k + 8, order_id);
}

int
store_join_list(struct store_txn *t, uint64_t job_id, uint64_t *ids, size_t max, size_t *n)
{
	uint8_t start[8], end[8];

	*n = 0;
	if (job_id == 0)
		return ERR_RANGE;
	store_be64_put(start, job_id);
	store_be64_put(end, job_id + 1);
	return rec_id_list_range(t, STORE_DB_JOB_JOIN, start, sizeof(start),
				 job_id == UINT64_MAX ? NULL : end, job_id == UINT64_MAX ? 0 : 8,
				 ids, max, n);
}

int
store_join_add(struct store_txn *t, uint64_t job_id, uint64_t order_id)
{
	uint64_t ids[STORE_JOIN_MAX];
	uint8_t k[16];
	const void *v = NULL;
	size_t vlen = 0, n = 0;
	int rc;

	if (job_id == 0 || order_id == 0)
		return ERR_RANGE;
	join_key(k, job_id, order_id);
	rc = store_get(t, STORE_DB_JOB_JOIN, k, sizeof(k), &v, &vlen);
	if (rc != ERR_NOTFOUND)
		return rc;
	rc = store_join_list(t, job_id, ids, STORE_JOIN_MAX, &n);
	if (rc != 0)
		return rc;
	if (n >= STORE_JOIN_MAX)
		return ERR_TOOBIG;
	return store_put(t, STORE_DB_JOB_JOIN, k, sizeof(k), "", 0, 0);
}

int
store_join_clear(struct store_txn *t, uint64_t job_id)
{
	uint64_t ids[STORE_JOIN_MAX];
	uint8_t k[16];
	size_t n = 0;
	int rc = store_join_list(t, job_id, ids, STORE_JOIN_MAX, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		join_key(k, job_id, ids[i]);
		rc = rec_idx_del_quiet(t, STORE_DB_JOB_JOIN, k, sizeof(k));
	}
	return rc;
}

struct join_old {
	uint8_t keys[JOIN_MIGRATE_BATCH][STORE_KEY_MAX];
	size_t len[JOIN_MIGRATE_BATCH];
	size_t n;
};

static int
join_old_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct join_old *o = arg;

	(void)v;
	(void)vl;
	if (o->n >= JOIN_MIGRATE_BATCH)
		return 1;
	if (kl > STORE_KEY_MAX)
		return ERR_MALFORMED;
	o->len[o->n] = kl;
	memcpy(o->keys[o->n], k, kl);
	o->n++;
	return 0;
}

int
store_join_migrate_meta(struct store_txn *t)
{
	static struct join_old o;   /* one migration at a time: the store is single-threaded */
	size_t plen = JOIN_OLD_PREFIX_LEN, moved = 0, dropped = 0;
	int rc;

	/* Every turn deletes what it read, so the loop ends when the prefix is empty. */
	do {
		o.n = 0;
		rc = store_scan(t, STORE_DB_META, JOIN_OLD_PREFIX, plen, join_old_cb, &o,
				JOIN_MIGRATE_BATCH);
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < o.n; i++) {
			const uint8_t *p = o.keys[i] + plen;

			if (o.len[i] == JOIN_OLD_KEY_LEN && store_be64_get(p) != 0 &&
			    store_be64_get(p + 8) != 0) {
				rc = store_put(t, STORE_DB_JOB_JOIN, p, 16, "", 0, 0);
				moved++;
			} else {
				/* Not a key schema 1 wrote: nothing to move, drop it. */
				dropped++;
				rc = 0;
			}
			if (rc == 0)
				rc = store_del(t, STORE_DB_META, o.keys[i], o.len[i]);
			if (rc != 0)
				return rc;
		}
	} while (o.n == JOIN_MIGRATE_BATCH);
	log_info("store: %zu joined order(s) moved to the job_join index, %zu malformed "
		 "entr%s dropped", moved, dropped, dropped == 1 ? "y" : "ies");
	return 0;
}
