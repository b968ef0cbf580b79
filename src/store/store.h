/*
 * store.h: durable state of the gateway (LMDB). The only module that sees lmdb.h.
 *
 * One environment in one directory holds one named database per object kind plus
 * index databases (enum store_db). Everything durable lives here; everything in
 * memory elsewhere can be rebuilt from it at start-up.
 *
 * Transactions are callbacks: store_write() begins a write transaction, calls fn,
 * and commits when fn returns 0 (aborts otherwise). A transaction therefore never
 * spans a turn of the event loop. Each commit is one fsync (unless Kconfig
 * STORE_NOSYNC), so put everything one request changes into ONE store_write() call:
 * the typed helpers in records.h all work inside the caller's transaction.
 *
 * Not thread-safe: one thread uses a struct store. Transactions do not nest:
 * store_write()/store_read() called from inside a callback return ERR_STATE.
 *
 * Errors: 0 on success, or a code from util/err.h: ERR_NOTFOUND, ERR_EXISTS,
 * ERR_FULL (the map is full: the transaction is aborted, one log line says
 * so), ERR_TOOBIG (key or transaction too large), ERR_VERSION (store written by a newer
 * schema), ERR_STORE (engine failure; a log line says which), ERR_NOMEM, -errno.
 */
#ifndef UPKI_STORE_H
#define UPKI_STORE_H

#include <stddef.h>
#include <stdint.h>

/* Schema version of this build. Bump it together with a migration (store.c). */
#define STORE_SCHEMA 4

/* Longest key LMDB accepts in its default build. */
#define STORE_KEY_MAX 511

/*
 * The named databases. Keys of id-keyed databases are the id as 8 bytes
 * big-endian (store_be64_put), so cursor order is id order. Times in index keys
 * are store_time_key() (order-preserving 8 bytes).
 */
enum store_db {
	STORE_DB_META,            /* schema, created, sequences, migration history */
	STORE_DB_EAB,             /* kid string -> rec_eab */
	STORE_DB_ACCOUNT,         /* id -> rec_account */
	STORE_DB_ACCOUNT_BY_KEY,  /* JWK thumbprint (32) -> account id */
	STORE_DB_ORDER,           /* id -> rec_order */
	STORE_DB_ORDER_BY_ACCOUNT, /* account id || order id -> empty */
	STORE_DB_ORDER_BY_EXPIRY, /* expires || order id -> empty (pending/ready only) */
	STORE_DB_AUTHZ,           /* id -> rec_authz */
	STORE_DB_AUTHZ_BY_ACCOUNT_NAME, /* account id || type || wildcard || value -> authz id */
	STORE_DB_AUTHZ_BY_EXPIRY, /* expires || authz id -> empty (pending/valid only) */
	STORE_DB_CERT,            /* id -> rec_cert */
	STORE_DB_CERT_BY_SERIAL,  /* serial bytes -> cert id */
	STORE_DB_CERT_BY_EXPIRY,  /* notAfter || cert id -> empty */
	STORE_DB_JOB,             /* id -> rec_job */
	STORE_DB_JOB_BY_STATE,    /* state byte || job id -> empty */
	STORE_DB_JOB_BY_KEY,      /* sha256(SPKI) || sha256(sorted names) -> job id */
	STORE_DB_DN,              /* subject DN string -> rec_dn */
	STORE_DB_JOB_JOIN,        /* job id || order id -> empty: orders joining a UPKI job */
	STORE_DB_ACCOUNT_BY_EAB,  /* kid length (1) || kid || account id -> empty */
	STORE_DB_MAIL,            /* id -> rec_mail || raw message (records_mail.c) */
	STORE_DB_MAIL_BY_STATE,   /* state byte || mail id -> empty */
	STORE_DB_ACCOUNT_PENDING, /* account id -> pending orders (4) || pending authzs (4) */
	STORE_DB_AUTHZ_BY_ORDER,  /* authz id || order id -> empty: orders referring to it */
	STORE_DB_ORDER_BY_END,    /* expires || order id -> empty (invalid orders) */
	STORE_DB_AUTHZ_BY_END,    /* expires || authz id -> empty (no longer pending/valid) */
	STORE_DB__MAX
};

/* Persistent counters (kept in STORE_DB_META). The first value handed out is 1. */
enum store_seq {
	STORE_SEQ_ACCOUNT,
	STORE_SEQ_ORDER,
	STORE_SEQ_AUTHZ,
	STORE_SEQ_CERT,
	STORE_SEQ_JOB,
	STORE_SEQ_MAIL,
	STORE_SEQ__MAX
};

/* store_open() flags. */
#define STORE_OPEN_RDONLY 0x1u /* no writes: no migration, store_write() fails */
#define STORE_OPEN_NOSYNC 0x2u /* no fsync on commit, whatever Kconfig says (tests, bench) */

/* store_put() flags. */
#define STORE_NOOVERWRITE 0x1u /* fail with ERR_EXISTS if the key is present */

struct store;
struct store_txn;

/* A transaction body. Return 0 to commit, anything else to abort. */
typedef int (*store_fn)(struct store_txn *t, void *arg);

/*
 * A schema step from version `from` to `from + 1`. fn runs inside the one write
 * transaction that also records the new version, so a step is all-or-nothing.
 */
struct store_migration {
	uint32_t from;
	const char *what;   /* one line for the log: what the step changes */
	int (*fn)(struct store_txn *t);
};

/*
 * Options for store_open_ex(). Zero members mean "as built". map_size is the
 * store_map_size config key (main.c); the others are test hooks.
 */
struct store_open_opts {
	uint32_t schema;            /* pretend this build knows schema N */
	size_t map_size;            /* map size in bytes instead of Kconfig */
	const struct store_migration *migrations; /* replaces the built-in table */
	size_t n_migrations;
};

/*
 * Open (and create if missing) the store in directory dir (created mode 0700;
 * files mode 0600). Opens every named database; a fresh store gets the current
 * schema and its creation time. A store written by a NEWER schema is refused
 * with ERR_VERSION and not modified; an OLDER one is migrated step by step,
 * each step in its own write transaction, and the steps are logged and
 * recorded in the meta database. On success *out owns the environment; free it
 * with store_close(). On failure *out is NULL.
 */
int store_open(struct store **out, const char *dir, unsigned flags);
int store_open_ex(struct store **out, const char *dir, unsigned flags,
		  const struct store_open_opts *opts);

/* Close the environment. No transaction may be running. NULL is ignored. */
void store_close(struct store *s);

/*
 * Run fn in a write transaction: commit if fn returns 0 and no store call in it
 * hit a fatal engine error, abort otherwise. Returns fn's nonzero result, or the
 * first fatal error seen inside (e.g. ERR_FULL when the map is full, even if
 * fn ignored it), or the commit result (ERR_FULL too when the commit itself
 * needs pages the map lacks). On any failure the store is as it was before.
 * Commit failures are logged.
 */
int store_write(struct store *s, store_fn fn, void *arg);

/*
 * Like store_write() for transactions that free room or keep the store
 * consistent (sweeps, deletes, migrations): they may use the last part of the
 * map (1/20 of it, 8 pages at least) that store_write() leaves free, so they
 * still commit when ordinary writes get ERR_FULL. Do not create new work in
 * one.
 */
int store_write_reclaim(struct store *s, store_fn fn, void *arg);

/* Run fn in a read-only snapshot. Returns fn's result or an engine error. */
int store_read(struct store *s, store_fn fn, void *arg);

/*
 * Raw access inside a transaction. Keys are 1..STORE_KEY_MAX bytes (ERR_TOOBIG
 * beyond). store_get() points *val into the map: the bytes are valid only until
 * the next update in the same transaction or the end of the transaction; copy
 * them out. ERR_NOTFOUND when the key is absent. store_put() with
 * STORE_NOOVERWRITE returns ERR_EXISTS for a present key. store_del() returns
 * ERR_NOTFOUND for an absent key. Writes in a read transaction give ERR_STATE.
 */
int store_get(struct store_txn *t, enum store_db db, const void *key, size_t klen,
	      const void **val, size_t *vlen);
int store_put(struct store_txn *t, enum store_db db, const void *key, size_t klen,
	      const void *val, size_t vlen, unsigned flags);
int store_del(struct store_txn *t, enum store_db db, const void *key, size_t klen);

/*
 * Scan callback: k and v are valid only during the call (do not update the
 * store from inside it: collect keys, then update). Return 0 to go on, a
 * positive value to stop, a negative error to stop and fail the scan.
 */
typedef int (*store_scan_cb)(void *arg, const void *k, size_t kl, const void *v, size_t vl);

/*
 * Visit, in key order, the keys that start with prefix (plen 0: every key), at
 * most max_items of them. Returns the number of items given to cb (>= 0), or
 * a negative error (cb's own negative result included).
 */
int store_scan(struct store_txn *t, enum store_db db, const void *prefix, size_t plen,
	       store_scan_cb cb, void *arg, size_t max_items);

/*
 * Like store_scan() over start <= key < end (byte order). start NULL or slen 0:
 * from the first key; end NULL or elen 0: to the last key.
 */
int store_scan_range(struct store_txn *t, enum store_db db, const void *start, size_t slen,
		     const void *end, size_t elen, store_scan_cb cb, void *arg, size_t max_items);

/* Next value of a persistent counter (1, 2, ...). Needs a write transaction. */
int store_seq_next(struct store_txn *t, enum store_seq which, uint64_t *out);

/*
 * Write a compact copy of the store to the file path (through path.tmp, fsync,
 * rename: a visible file is always complete). The file is an LMDB data file:
 * restore by placing it as DIR/data.mdb of an empty directory DIR. Runs in a
 * read snapshot, so writers are not blocked; call it outside transactions.
 */
int store_backup(struct store *s, const char *path);

/* Force buffered commits to disk (useful with STORE_NOSYNC). */
int store_sync(struct store *s);

struct store_stats {
	uint64_t map_size;          /* bytes */
	uint64_t page_size;         /* bytes */
	uint64_t pages_used;        /* high-water mark of the data file */
	uint64_t last_txn;          /* id of the last committed transaction */
	uint64_t entries[STORE_DB__MAX];
	uint32_t schema;            /* schema of the store */
	int64_t created;            /* when the store was made (Unix seconds) */
	uint32_t migrations;        /* schema steps ever applied */
	uint32_t migrated_from;     /* last step applied: from (0 if none) */
	int64_t migrated_at;        /* last step applied: when (0 if none) */
};

/* Fill st from a read snapshot. Call outside transactions. */
int store_stat(struct store *s, struct store_stats *st);

/* Pages of the map: in use (the file's pages minus LMDB's freelist), free, total. */
struct store_usage {
	uint64_t pages_used;
	uint64_t pages_free;
	uint64_t pages_total;       /* map size / page size */
};

/* Fill u from a read snapshot. Call outside transactions. */
int store_usage(struct store *s, struct store_usage *u);

/*
 * Room for new work: 0 while the pages in use are at most
 * CONFIG_STORE_HIGH_WATER_PCT percent of the map, ERR_FULL above (or a read
 * error). Callers refuse NEW work with ERR_FULL (new accounts, orders,
 * authorizations, challenges started, finalize); sweeping, reads and running
 * UPKI jobs go on in the rest of the map. Logs one line each time the mark is
 * crossed (up or down), not per call. Call outside transactions.
 */
int store_room(struct store *s);

/* Name of a database ("account", ...), for logs and the admin page. */
const char *store_db_name(enum store_db db);

/* 8-byte big-endian helpers for keys. */
void store_be64_put(uint8_t *p, uint64_t v);
uint64_t store_be64_get(const uint8_t *p);

/* An order-preserving 8-byte key for a signed time (negative times sort first). */
void store_time_key(uint8_t *p, int64_t t);
int64_t store_time_from_key(const uint8_t *p);

#endif
