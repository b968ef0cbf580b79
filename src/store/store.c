/* LMDB environment, transactions, raw access, sequences, schema, backup, stats. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autoconf.h"
#include "platform.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

_Static_assert(CONFIG_STORE_MAX_DBS >= STORE_DB__MAX,
	       "CONFIG_STORE_MAX_DBS is smaller than the number of named databases");

#define STORE_PATH_MAX 4096
#define STORE_MIB ((size_t)1024 * 1024)

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_DB__MAX];
	unsigned flags;
	int busy;          /* a transaction callback is running */
	size_t map_size;
	char dir[];
};

struct store_txn {
	struct store *s;
	MDB_txn *txn;
	int rdonly;
	int fatal;         /* first engine error that broke the transaction */
};

static const char *const store_db_names[STORE_DB__MAX] = {
	[STORE_DB_META] = "meta",
	[STORE_DB_EAB] = "eab",
	[STORE_DB_ACCOUNT] = "account",
	[STORE_DB_ACCOUNT_BY_KEY] = "account_by_key",
	[STORE_DB_ORDER] = "order",
	[STORE_DB_ORDER_BY_ACCOUNT] = "order_by_account",
	[STORE_DB_ORDER_BY_EXPIRY] = "order_by_expiry",
	[STORE_DB_AUTHZ] = "authz",
	[STORE_DB_AUTHZ_BY_ACCOUNT_NAME] = "authz_by_account_name",
	[STORE_DB_AUTHZ_BY_EXPIRY] = "authz_by_expiry",
	[STORE_DB_CERT] = "cert",
	[STORE_DB_CERT_BY_SERIAL] = "cert_by_serial",
	[STORE_DB_CERT_BY_EXPIRY] = "cert_by_expiry",
	[STORE_DB_JOB] = "job",
	[STORE_DB_JOB_BY_STATE] = "job_by_state",
	[STORE_DB_JOB_BY_KEY] = "job_by_key",
	[STORE_DB_DN] = "dn",
};

static const char *const store_seq_keys[STORE_SEQ__MAX] = {
	[STORE_SEQ_ACCOUNT] = "seq/account",
	[STORE_SEQ_ORDER] = "seq/order",
	[STORE_SEQ_AUTHZ] = "seq/authz",
	[STORE_SEQ_CERT] = "seq/cert",
	[STORE_SEQ_JOB] = "seq/job",
};

#define STORE_META_SCHEMA "schema"
#define STORE_META_CREATED "created"
#define STORE_META_MIGRATION "migration/" /* || u32 BE to-version */
#define STORE_MIGRATION_WHAT_MAX 200

/*
 * Schema history: one entry per step, from -> from + 1. Schema 1 is the first
 * released layout, so there is nothing to migrate yet. To change the layout:
 * bump STORE_SCHEMA, add {old, "what changes", fn} here, and add a test.
 */
static const struct store_migration store_migrations[] = {
	{ 0, NULL, NULL },
};

const char *
store_db_name(enum store_db db)
{
	if ((unsigned)db >= STORE_DB__MAX)
		return "?";
	return store_db_names[db];
}

void
store_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t
store_be64_get(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

void
store_time_key(uint8_t *p, int64_t t)
{
	/* Flipping the sign bit makes byte order match signed order. */
	store_be64_put(p, (uint64_t)t ^ ((uint64_t)1 << 63));
}

int64_t
store_time_from_key(const uint8_t *p)
{
	uint64_t u = store_be64_get(p) ^ ((uint64_t)1 << 63);

	return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static void
store_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
store_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Map an LMDB result to the project convention, with a log line for real failures. */
static int
store_mdb_err(const struct store *s, int rc, const char *what)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return ERR_NOTFOUND;
	case MDB_KEYEXIST:
		return ERR_EXISTS;
	case MDB_MAP_FULL:
		log_err("store at %s is full (map size %zu KiB reached) during %s: raise "
			"CONFIG_STORE_MAP_SIZE_MIB or remove old records",
			s->dir, s->map_size / 1024, what);
		return ERR_TOOBIG;
	case MDB_TXN_FULL:
		log_err("store at %s: transaction too large during %s", s->dir, what);
		return ERR_TOOBIG;
	case MDB_BAD_VALSIZE:
		log_err("store at %s: key or value size refused during %s", s->dir, what);
		return ERR_TOOBIG;
	case ENOMEM:
		log_err("store at %s: out of memory during %s", s->dir, what);
		return ERR_NOMEM;
	default:
		log_err("store at %s: %s failed: %s", s->dir, what, mdb_strerror(rc));
		return ERR_STORE;
	}
}

/* Inside a transaction: NOTFOUND and EXISTS are answers, anything else breaks it. */
static int
store_txn_err(struct store_txn *t, int rc, const char *what, enum store_db db)
{
	char op[64];
	int err;

	if (rc == MDB_SUCCESS || rc == MDB_NOTFOUND || rc == MDB_KEYEXIST)
		return store_mdb_err(t->s, rc, what);
	snprintf(op, sizeof(op), "%s in %s", what, store_db_name(db));
	err = store_mdb_err(t->s, rc, op);
	if (t->fatal == 0)
		t->fatal = err;
	return err;
}

static int
store_txn_check(const struct store_txn *t, enum store_db db, size_t klen)
{
	if (t == NULL || t->txn == NULL || (unsigned)db >= STORE_DB__MAX)
		return ERR_STATE;
	if (t->fatal != 0)
		return t->fatal;
	if (klen == 0)
		return ERR_RANGE;
	if (klen > STORE_KEY_MAX)
		return ERR_TOOBIG;
	return 0;
}

int
store_get(struct store_txn *t, enum store_db db, const void *key, size_t klen,
	  const void **val, size_t *vlen)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc = store_txn_check(t, db, klen);

	if (rc != 0)
		return rc;
	rc = mdb_get(t->txn, t->s->dbi[db], &k, &v);
	if (rc != MDB_SUCCESS)
		return store_txn_err(t, rc, "get", db);
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 0;
}

int
store_put(struct store_txn *t, enum store_db db, const void *key, size_t klen,
	  const void *val, size_t vlen, unsigned flags)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc = store_txn_check(t, db, klen);

	if (rc != 0)
		return rc;
	if (t->rdonly)
		return ERR_STATE;
	rc = mdb_put(t->txn, t->s->dbi[db], &k, &v,
		     (flags & STORE_NOOVERWRITE) ? MDB_NOOVERWRITE : 0);
	return store_txn_err(t, rc, "put", db);
}

int
store_del(struct store_txn *t, enum store_db db, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int rc = store_txn_check(t, db, klen);

	if (rc != 0)
		return rc;
	if (t->rdonly)
		return ERR_STATE;
	rc = mdb_del(t->txn, t->s->dbi[db], &k, NULL);
	return store_txn_err(t, rc, "delete", db);
}

/* LMDB's default order: bytes, then length. */
static int
store_key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int
store_cursor_walk(struct store_txn *t, enum store_db db, const void *start, size_t slen,
		  const void *end, size_t elen, const void *prefix, size_t plen,
		  store_scan_cb cb, void *arg, size_t max_items)
{
	MDB_cursor *cur = NULL;
	MDB_val k = { slen, (void *)start }, v;
	size_t n = 0;
	int rc = store_txn_check(t, db, 1), mrc;

	if (rc != 0)
		return rc;
	if (slen > STORE_KEY_MAX)
		return ERR_TOOBIG;
	if (max_items > INT_MAX)
		max_items = INT_MAX;
	if (max_items == 0)
		return 0;
	mrc = mdb_cursor_open(t->txn, t->s->dbi[db], &cur);
	if (mrc != MDB_SUCCESS) {
		cur = NULL;
		rc = store_txn_err(t, mrc, "cursor open", db);
		goto out;
	}
	mrc = mdb_cursor_get(cur, &k, &v, slen > 0 ? MDB_SET_RANGE : MDB_FIRST);
	while (mrc == MDB_SUCCESS && n < max_items) {
		if (plen > 0 && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0))
			break;
		if (elen > 0 && store_key_cmp(k.mv_data, k.mv_size, end, elen) >= 0)
			break;
		n++;
		rc = cb(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
		if (rc < 0)
			goto out;
		if (rc > 0)
			break;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
		rc = store_txn_err(t, mrc, "cursor get", db);
		goto out;
	}
	rc = (int)n;
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	return rc;
}

int
store_scan(struct store_txn *t, enum store_db db, const void *prefix, size_t plen,
	   store_scan_cb cb, void *arg, size_t max_items)
{
	if (prefix == NULL)
		plen = 0;
	return store_cursor_walk(t, db, prefix, plen, NULL, 0, prefix, plen, cb, arg, max_items);
}

int
store_scan_range(struct store_txn *t, enum store_db db, const void *start, size_t slen,
		 const void *end, size_t elen, store_scan_cb cb, void *arg, size_t max_items)
{
	if (start == NULL)
		slen = 0;
	if (end == NULL)
		elen = 0;
	return store_cursor_walk(t, db, start, slen, end, elen, NULL, 0, cb, arg, max_items);
}

int
store_seq_next(struct store_txn *t, enum store_seq which, uint64_t *out)
{
	const char *key;
	const void *v = NULL;
	size_t vlen = 0;
	uint8_t buf[8];
	uint64_t cur = 0;
	int rc;

	if ((unsigned)which >= STORE_SEQ__MAX)
		return ERR_RANGE;
	if (t != NULL && t->rdonly)
		return ERR_STATE;
	key = store_seq_keys[which];
	rc = store_get(t, STORE_DB_META, key, strlen(key), &v, &vlen);
	if (rc == 0) {
		if (vlen != 8) {
			log_err("store: counter %s is malformed", key);
			return ERR_MALFORMED;
		}
		cur = store_be64_get(v);
	} else if (rc != ERR_NOTFOUND) {
		return rc;
	}
	if (cur == UINT64_MAX)
		return ERR_RANGE;
	store_be64_put(buf, cur + 1);
	rc = store_put(t, STORE_DB_META, key, strlen(key), buf, sizeof(buf), 0);
	if (rc == 0)
		*out = cur + 1;
	return rc;
}

static int
store_run(struct store *s, store_fn fn, void *arg, int rdonly)
{
	struct store_txn t = { s, NULL, rdonly, 0 };
	int rc;

	if (s == NULL || fn == NULL)
		return ERR_STATE;
	if (s->busy) {
		log_err("store: transaction started inside another one (a bug)");
		return ERR_STATE;
	}
	if (!rdonly && (s->flags & STORE_OPEN_RDONLY))
		return ERR_STATE;
	rc = mdb_txn_begin(s->env, NULL, rdonly ? MDB_RDONLY : 0, &t.txn);
	if (rc != MDB_SUCCESS)
		return store_mdb_err(s, rc, rdonly ? "read begin" : "write begin");
	s->busy = 1;
	rc = fn(&t, arg);
	s->busy = 0;
	if (rc == 0 && t.fatal != 0)
		rc = t.fatal;
	if (rc != 0 || rdonly) {
		mdb_txn_abort(t.txn);
		return rc;
	}
	rc = mdb_txn_commit(t.txn);
	return store_mdb_err(s, rc, "commit");
}

int
store_write(struct store *s, store_fn fn, void *arg)
{
	return store_run(s, fn, arg, 0);
}

int
store_read(struct store *s, store_fn fn, void *arg)
{
	return store_run(s, fn, arg, 1);
}

/* ---- schema ---------------------------------------------------------------- */

static int
store_meta_schema_get(struct store_txn *t, uint32_t *schema)
{
	const void *v = NULL;
	size_t vlen = 0;
	int rc = store_get(t, STORE_DB_META, STORE_META_SCHEMA, strlen(STORE_META_SCHEMA),
			   &v, &vlen);

	if (rc != 0)
		return rc;
	if (vlen != 4) {
		log_err("store at %s: schema record is malformed", t->s->dir);
		return ERR_MALFORMED;
	}
	*schema = store_be32_get(v);
	return 0;
}

static int
store_meta_schema_put(struct store_txn *t, uint32_t schema)
{
	uint8_t buf[4];

	store_be32_put(buf, schema);
	return store_put(t, STORE_DB_META, STORE_META_SCHEMA, strlen(STORE_META_SCHEMA),
			 buf, sizeof(buf), 0);
}

struct store_step {
	const struct store_migration *m;
	int64_t now;
};

static int
store_step_txn(struct store_txn *t, void *arg)
{
	const struct store_step *st = arg;
	uint8_t key[sizeof(STORE_META_MIGRATION) - 1 + 4];
	uint8_t val[4 + 8 + STORE_MIGRATION_WHAT_MAX];
	size_t wlen = strnlen(st->m->what, STORE_MIGRATION_WHAT_MAX);
	uint32_t schema;
	int rc;

	/* Re-read inside the transaction: the step must apply to exactly `from`. */
	rc = store_meta_schema_get(t, &schema);
	if (rc != 0)
		return rc;
	if (schema != st->m->from)
		return ERR_STATE;
	rc = st->m->fn(t);
	if (rc != 0)
		return rc;
	rc = store_meta_schema_put(t, st->m->from + 1);
	if (rc != 0)
		return rc;
	memcpy(key, STORE_META_MIGRATION, sizeof(STORE_META_MIGRATION) - 1);
	store_be32_put(key + sizeof(STORE_META_MIGRATION) - 1, st->m->from + 1);
	store_be32_put(val, st->m->from);
	store_be64_put(val + 4, (uint64_t)st->now);
	memcpy(val + 12, st->m->what, wlen);
	return store_put(t, STORE_DB_META, key, sizeof(key), val, 12 + wlen, 0);
}

static int
store_migrate(struct store *s, uint32_t have, uint32_t want,
	      const struct store_migration *tab, size_t n)
{
	for (uint32_t v = have; v < want; v++) {
		struct store_step st = { NULL, platform_wall_s() };
		int rc;

		for (size_t i = 0; i < n; i++)
			if (tab[i].fn != NULL && tab[i].from == v)
				st.m = &tab[i];
		if (st.m == NULL) {
			log_err("store at %s is at schema %u and this build has no migration "
				"from it to %u: refusing to open", s->dir, v, v + 1);
			return ERR_VERSION;
		}
		if (st.m->what == NULL)
			return ERR_CONFIG;
		rc = store_write(s, store_step_txn, &st);
		if (rc != 0) {
			log_err("store at %s: migration from schema %u to %u (%s) failed: %s; "
				"the store stays at schema %u", s->dir, v, v + 1, st.m->what,
				err_str(rc), v);
			return rc;
		}
		log_info("store at %s: migrated schema %u to %u: %s", s->dir, v, v + 1,
			 st.m->what);
	}
	return 0;
}

struct store_init {
	uint32_t build;
	uint32_t found;     /* schema found on disk (= build for a fresh store) */
	int fresh;
};

/* First transaction: meta, version check, every database, fresh-store records. */
static int
store_init_txn(struct store *s, struct store_init *in)
{
	struct store_txn t = { s, NULL, (s->flags & STORE_OPEN_RDONLY) != 0, 0 };
	unsigned dflags = t.rdonly ? 0 : MDB_CREATE;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, t.rdonly ? MDB_RDONLY : 0, &t.txn);
	if (rc != MDB_SUCCESS)
		return store_mdb_err(s, rc, "begin");
	rc = mdb_dbi_open(t.txn, store_db_names[STORE_DB_META], dflags, &s->dbi[STORE_DB_META]);
	if (rc == MDB_NOTFOUND) {
		log_err("store at %s does not exist (opened read-only)", s->dir);
		rc = ERR_NOTFOUND;
		goto out;
	}
	if (rc != MDB_SUCCESS) {
		rc = store_mdb_err(s, rc, "open meta database");
		goto out;
	}
	rc = store_meta_schema_get(&t, &in->found);
	if (rc == ERR_NOTFOUND) {
		in->fresh = 1;
		in->found = in->build;
		if (t.rdonly) {
			log_err("store at %s has no schema record (opened read-only)", s->dir);
			goto out;
		}
	} else if (rc != 0) {
		goto out;
	}
	if (in->found > in->build) {
		log_err("store at %s was written by schema %u, this build knows up to %u: "
			"refusing to open; upgrade the software or restore a backup",
			s->dir, in->found, in->build);
		rc = ERR_VERSION;
		goto out;
	}
	if (in->found < in->build && t.rdonly) {
		log_err("store at %s is at schema %u and needs migration to %u: open it "
			"read-write once", s->dir, in->found, in->build);
		rc = ERR_STATE;
		goto out;
	}
	for (int db = 0; db < STORE_DB__MAX; db++) {
		if (db == STORE_DB_META)
			continue;
		rc = mdb_dbi_open(t.txn, store_db_names[db], dflags, &s->dbi[db]);
		if (rc != MDB_SUCCESS) {
			char what[64];

			snprintf(what, sizeof(what), "open database %s", store_db_names[db]);
			rc = store_mdb_err(s, rc, what);
			goto out;
		}
	}
	rc = 0;
	if (in->fresh) {
		uint8_t buf[8];

		rc = store_meta_schema_put(&t, in->build);
		if (rc == 0) {
			store_be64_put(buf, (uint64_t)platform_wall_s());
			rc = store_put(&t, STORE_DB_META, STORE_META_CREATED,
				       strlen(STORE_META_CREATED), buf, sizeof(buf), 0);
		}
	}
out:
	if (rc != 0) {
		mdb_txn_abort(t.txn);
		return rc;
	}
	/* Committing (even read-only) keeps the database handles for later transactions. */
	rc = mdb_txn_commit(t.txn);
	return store_mdb_err(s, rc, "first commit");
}

int
store_open_ex(struct store **out, const char *dir, unsigned flags,
	      const struct store_open_opts *opts)
{
	struct store *s = NULL;
	struct store_init in = { STORE_SCHEMA, 0, 0 };
	const struct store_migration *tab = store_migrations;
	size_t ntab = sizeof(store_migrations) / sizeof(store_migrations[0]);
	unsigned eflags = MDB_NOTLS;
	size_t dlen;
	int rc;

	*out = NULL;
	if (dir == NULL || (dlen = strlen(dir)) == 0 || dlen >= STORE_PATH_MAX)
		return ERR_CONFIG;
	if ((size_t)CONFIG_STORE_MAP_SIZE_MIB > SIZE_MAX / STORE_MIB)
		return ERR_CONFIG;
	s = calloc(1, sizeof(*s) + dlen + 1);
	if (s == NULL)
		return ERR_NOMEM;
	memcpy(s->dir, dir, dlen + 1);
	s->flags = flags;
	s->map_size = (size_t)CONFIG_STORE_MAP_SIZE_MIB * STORE_MIB;
	if (opts != NULL) {
		if (opts->schema != 0)
			in.build = opts->schema;
		if (opts->map_size != 0)
			s->map_size = opts->map_size;
		if (opts->migrations != NULL) {
			tab = opts->migrations;
			ntab = opts->n_migrations;
		}
	}

	if (!(flags & STORE_OPEN_RDONLY)) {
		rc = platform_mkdir_p(dir, 0700);
		if (rc != 0) {
			log_err("store: cannot create %s: %s", dir, err_str(rc));
			goto out;
		}
	}
	rc = mdb_env_create(&s->env);
	if (rc != MDB_SUCCESS) {
		s->env = NULL;
		rc = store_mdb_err(s, rc, "create environment");
		goto out;
	}
	if (flags & STORE_OPEN_RDONLY)
		eflags |= MDB_RDONLY;
	if (ENABLE_STORE_NOSYNC || (flags & STORE_OPEN_NOSYNC))
		eflags |= MDB_NOSYNC;
	if (ENABLE_STORE_NOMETASYNC)
		eflags |= MDB_NOMETASYNC;
	rc = mdb_env_set_mapsize(s->env, s->map_size);
	if (rc == MDB_SUCCESS)
		rc = mdb_env_set_maxdbs(s->env, CONFIG_STORE_MAX_DBS);
	if (rc == MDB_SUCCESS)
		rc = mdb_env_open(s->env, dir, eflags, 0600);
	if (rc != MDB_SUCCESS) {
		rc = store_mdb_err(s, rc, "open environment");
		goto out;
	}
	if (mdb_env_get_maxkeysize(s->env) < STORE_KEY_MAX) {
		log_err("store: this LMDB accepts keys of %d bytes, %d needed",
			mdb_env_get_maxkeysize(s->env), STORE_KEY_MAX);
		rc = ERR_STORE;
		goto out;
	}
	rc = store_init_txn(s, &in);
	if (rc != 0)
		goto out;
	if (in.found < in.build) {
		log_info("store at %s: migrating from schema %u to %u", dir, in.found, in.build);
		rc = store_migrate(s, in.found, in.build, tab, ntab);
		if (rc != 0)
			goto out;
	}
	if (in.fresh)
		log_info("store at %s: created with schema %u", dir, in.build);
	*out = s;
	s = NULL;
	rc = 0;
out:
	store_close(s);
	return rc;
}

int
store_open(struct store **out, const char *dir, unsigned flags)
{
	return store_open_ex(out, dir, flags, NULL);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s);
}

/* ---- backup, sync, stats ------------------------------------------------------ */

static int
store_fsync_parent(const char *path)
{
	char dir[STORE_PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t len;
	int fd, rc = 0;

	if (slash == NULL) {
		strcpy(dir, ".");
	} else {
		len = slash == path ? 1 : (size_t)(slash - path);
		memcpy(dir, path, len);
		dir[len] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

int
store_backup(struct store *s, const char *path)
{
	char tmp[STORE_PATH_MAX];
	int fd = -1, renamed = 0, rc;

	if (s == NULL || path == NULL || s->busy)
		return ERR_STATE;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return ERR_TOOBIG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		log_err("store: backup: cannot create %s: %s", tmp, err_str(rc));
		return rc;
	}
	rc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
	if (rc != MDB_SUCCESS) {
		rc = store_mdb_err(s, rc, "backup copy");
		goto out;
	}
	rc = fsync(fd) != 0 ? -errno : 0;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	fd = -1;
	if (rc != 0) {
		log_err("store: backup: writing %s: %s", tmp, err_str(rc));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		rc = -errno;
		log_err("store: backup: rename to %s: %s", path, err_str(rc));
		goto out;
	}
	renamed = 1;
	/* The rename is durable only once the directory entry is. */
	rc = store_fsync_parent(path);
	if (rc == 0)
		log_info("store at %s: backup written to %s", s->dir, path);
out:
	if (fd >= 0)
		close(fd);
	if (!renamed)
		unlink(tmp);
	return rc;
}

int
store_sync(struct store *s)
{
	if (s == NULL || (s->flags & STORE_OPEN_RDONLY))
		return 0;
	return store_mdb_err(s, mdb_env_sync(s->env, 1), "sync");
}

struct store_mig_count {
	uint32_t n;
	uint32_t from;
	int64_t at;
};

static int
store_mig_count_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct store_mig_count *mc = arg;

	(void)k;
	(void)kl;
	mc->n++;
	if (vl >= 12) {
		mc->from = store_be32_get(v);
		mc->at = (int64_t)store_be64_get((const uint8_t *)v + 4);
	}
	return 0;
}

static int
store_stat_txn(struct store_txn *t, void *arg)
{
	struct store_stats *st = arg;
	struct store_mig_count mc = { 0, 0, 0 };
	const void *v = NULL;
	size_t vlen = 0;
	int rc;

	for (int db = 0; db < STORE_DB__MAX; db++) {
		MDB_stat ms;

		rc = mdb_stat(t->txn, t->s->dbi[db], &ms);
		if (rc != MDB_SUCCESS)
			return store_txn_err(t, rc, "stat", (enum store_db)db);
		st->entries[db] = ms.ms_entries;
		st->page_size = ms.ms_psize;
	}
	rc = store_meta_schema_get(t, &st->schema);
	if (rc != 0)
		return rc;
	rc = store_get(t, STORE_DB_META, STORE_META_CREATED, strlen(STORE_META_CREATED),
		       &v, &vlen);
	if (rc == 0 && vlen == 8)
		st->created = (int64_t)store_be64_get(v);
	rc = store_scan(t, STORE_DB_META, STORE_META_MIGRATION,
			strlen(STORE_META_MIGRATION), store_mig_count_cb, &mc, 1u << 20);
	if (rc < 0)
		return rc;
	st->migrations = mc.n;
	st->migrated_from = mc.from;
	st->migrated_at = mc.at;
	return 0;
}

int
store_stat(struct store *s, struct store_stats *st)
{
	MDB_envinfo ei;
	int rc;

	memset(st, 0, sizeof(*st));
	if (s == NULL)
		return ERR_STATE;
	rc = mdb_env_info(s->env, &ei);
	if (rc != MDB_SUCCESS)
		return store_mdb_err(s, rc, "env info");
	st->map_size = ei.me_mapsize;
	st->pages_used = (uint64_t)ei.me_last_pgno + 1;
	st->last_txn = ei.me_last_txnid;
	return store_read(s, store_stat_txn, st);
}
