/*
 * records_int.h: helpers shared by the records_*.c files (store/ only).
 *
 * Index entries hold either an 8-byte big-endian id (slot indexes: key -> id)
 * or nothing (list indexes: the key ends with the id). Expiry indexes are
 * time || id keys (rec_key_time_id). All functions work inside the caller's
 * transaction and return 0 or a store.h / util/err.h code.
 */
#ifndef UPKI_STORE_RECORDS_INT_H
#define UPKI_STORE_RECORDS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store/records.h"
#include "store/store.h"

/* Log a record of db that does not decode (by id, or by name when not NULL); returns rc. */
int rec_bad(int rc, enum store_db db, uint64_t id, const char *name);

/* Slot index: the id stored at key (ERR_NOTFOUND, ERR_MALFORMED if not 8 bytes). */
int rec_idx_get_id(struct store_txn *t, enum store_db db, const void *key, size_t klen,
		   uint64_t *id);
int rec_idx_put_id(struct store_txn *t, enum store_db db, const void *key, size_t klen,
		   uint64_t id);
/* 0 if the slot is free or owned by id, ERR_EXISTS if another id owns it. */
int rec_idx_check_owner(struct store_txn *t, enum store_db db, const void *key, size_t klen,
			uint64_t id);
/* Remove the slot only if id owns it (or it is malformed). */
int rec_idx_del_owned(struct store_txn *t, enum store_db db, const void *key, size_t klen,
		      uint64_t id);
/* Delete key; an absent key is not an error. */
int rec_idx_del_quiet(struct store_txn *t, enum store_db db, const void *key, size_t klen);

/* time || id: expiry index keys. */
void rec_key_time_id(uint8_t k[16], int64_t when, uint64_t id);

/* Result of getting the previous version of a record before an update: 1 = it
 * decoded, 0 = absent or undecodable (go on without its index keys), <0 = error. */
int rec_old_usable(int rc);

/* The ids ending the keys in start <= key < end, at most max, into ids (*n of them). */
int rec_id_list_range(struct store_txn *t, enum store_db db, const uint8_t *start, size_t slen,
		      const uint8_t *end, size_t elen, uint64_t *ids, size_t max, size_t *n);

/* Scan state and callback collecting time || id keys into store_expiry entries. */
struct rec_expiry_collect {
	struct store_expiry *out;
	size_t n;
	size_t max;
};
int rec_expiry_collect_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl);

/* A string key of 1..max bytes: 0 and *len, or ERR_RANGE. */
int rec_key_str(const char *s, size_t max, size_t *len);

/* The record belongs in its expiry index. */
int rec_order_live(const struct rec_order *o);
int rec_authz_live(const struct rec_authz *a);

/* The record belongs in its end-of-life index (ORDER_BY_END, AUTHZ_BY_END). */
int rec_order_ended(const struct rec_order *o);
int rec_authz_ended(const struct rec_authz *a);

/*
 * Keep ACCOUNT_PENDING, AUTHZ_BY_ORDER and the end indexes (records_life.c)
 * for a change from old to r: old NULL = a new record (or one whose previous
 * version does not decode), r NULL = a deletion.
 */
int rec_order_life(struct store_txn *t, const struct rec_order *old, const struct rec_order *r);
int rec_authz_life(struct store_txn *t, const struct rec_authz *old, const struct rec_authz *r);

/* Move account id's ACCOUNT_BY_EAB entry from kid old_kid to new_kid ("" or
 * NULL = none; same kid = nothing to do). */
int rec_eab_idx_move(struct store_txn *t, const char *old_kid, const char *new_kid, uint64_t id);

#endif
