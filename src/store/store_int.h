/*
 * store_int.h: the environment and transaction structs and the helpers the
 * store_*.c files share (store/ only; the one header besides them that
 * includes lmdb.h).
 */
#ifndef UPKI_STORE_INT_H
#define UPKI_STORE_INT_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_PATH_MAX 4096
#define STORE_MIB ((size_t)1024 * 1024)

/* Keys in STORE_DB_META. */
#define STORE_META_SCHEMA "schema"
#define STORE_META_CREATED "created"
#define STORE_META_MIGRATION "migration/" /* || u32 BE to-version */
#define STORE_MIGRATION_WHAT_MAX 200

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_DB__MAX];
	unsigned flags;
	int busy;          /* a transaction callback is running */
	size_t map_size;   /* the whole map (store_map_size) */
	size_t reserve;    /* bytes of it only store_write_reclaim() may fill */
	size_t map_limit;  /* map size LMDB enforces now (store_map_limit) */
	int over_mark;     /* store_room() last found the map above the high-water mark */
	char dir[];
};

struct store_txn {
	struct store *s;
	MDB_txn *txn;
	int rdonly;
	int fatal;         /* first engine error that broke the transaction */
};

/* LMDB names of the databases, indexed by enum store_db. */
extern const char *const store_db_names[STORE_DB__MAX];

void store_be32_put(uint8_t *p, uint32_t v);
uint32_t store_be32_get(const uint8_t *p);

/* Map an LMDB result to the project convention, with a log line for real failures. */
int store_mdb_err(const struct store *s, int rc, const char *what);
/* Inside a transaction: NOTFOUND and EXISTS are answers; anything else is
 * recorded in t->fatal (the transaction will abort) and returned. */
int store_txn_err(struct store_txn *t, int rc, const char *what, enum store_db db);

/* Let LMDB use the whole map (reclaim) or the map less the reserve. No
 * transaction may be running. */
int store_map_limit(struct store *s, int reclaim);

/* The schema record in META (ERR_NOTFOUND on a fresh store). */
int store_meta_schema_get(struct store_txn *t, uint32_t *schema);
int store_meta_schema_put(struct store_txn *t, uint32_t schema);

/* Migration 1 -> 2: move META "upki/join/" || job || order keys into STORE_DB_JOB_JOIN. */
int store_join_migrate_meta(struct store_txn *t);

/* Migration 2 -> 3: index every account that has an eab_kid in STORE_DB_ACCOUNT_BY_EAB. */
int store_eab_migrate_index(struct store_txn *t);

/* Migration 3 -> 4: ACCOUNT_PENDING, AUTHZ_BY_ORDER, ORDER_BY_END and AUTHZ_BY_END
 * built from every stored order and authorization. */
int store_life_migrate(struct store_txn *t);

#endif
