/* Index upkeep shared by the typed record access (records_int.h). */
#include <string.h>

#include "store/records_int.h"
#include "util/err.h"
#include "util/log.h"

/* ---- index helpers ------------------------------------------------------------------ */

/* A record that does not decode is an operator problem: say which one. */
int
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

int
rec_idx_get_id(struct store_txn *t, enum store_db db, const void *key, size_t klen, uint64_t *id)
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

int
rec_idx_put_id(struct store_txn *t, enum store_db db, const void *key, size_t klen, uint64_t id)
{
	uint8_t v[8];

	store_be64_put(v, id);
	return store_put(t, db, key, klen, v, sizeof(v), 0);
}

/* The slot is free or already ours: 0; another id owns it: ERR_EXISTS. */
int
rec_idx_check_owner(struct store_txn *t, enum store_db db, const void *key, size_t klen, uint64_t id)
{
	uint64_t owner = 0;
	int rc = rec_idx_get_id(t, db, key, klen, &owner);

	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	return owner == id ? 0 : ERR_EXISTS;
}

/* Remove the slot only if id owns it. */
int
rec_idx_del_owned(struct store_txn *t, enum store_db db, const void *key, size_t klen, uint64_t id)
{
	uint64_t owner = 0;
	int rc = rec_idx_get_id(t, db, key, klen, &owner);

	if (rc == ERR_NOTFOUND || (rc == 0 && owner != id))
		return 0;
	if (rc == ERR_MALFORMED)
		return store_del(t, db, key, klen);
	if (rc != 0)
		return rc;
	return store_del(t, db, key, klen);
}

int
rec_idx_del_quiet(struct store_txn *t, enum store_db db, const void *key, size_t klen)
{
	int rc = store_del(t, db, key, klen);

	return rc == ERR_NOTFOUND ? 0 : rc;
}

/* time || id: expiry index keys. */
void
rec_key_time_id(uint8_t k[16], int64_t when, uint64_t id)
{
	store_time_key(k, when);
	store_be64_put(k + 8, id);
}

/* An old record that no longer decodes cannot tell us its index keys: go on
 * without them (finds check that an index entry matches its record). */
int
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

int
rec_id_list_range(struct store_txn *t, enum store_db db, const uint8_t *start, size_t slen,
	      const uint8_t *end, size_t elen, uint64_t *ids, size_t max, size_t *n)
{
	struct id_collect c = { ids, 0, max };
	int rc = store_scan_range(t, db, start, slen, end, elen, id_collect_cb, &c, max);

	*n = c.n;
	return rc < 0 ? rc : 0;
}

int
rec_expiry_collect_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct rec_expiry_collect *c = arg;

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
rec_key_str(const char *s, size_t max, size_t *len)
{
	if (s == NULL)
		return ERR_RANGE;
	*len = strnlen(s, max + 1);
	return *len == 0 || *len > max ? ERR_RANGE : 0;
}

/* Records in an expiry index. */
int
rec_order_live(const struct rec_order *o)
{
	return o->expires != 0 &&
	       (o->status == REC_ORDER_PENDING || o->status == REC_ORDER_READY);
}

int
rec_authz_live(const struct rec_authz *a)
{
	return a->status == REC_AUTHZ_PENDING || a->status == REC_AUTHZ_VALID;
}
