/* LMDB transactions, raw access, scans, sequences, key helpers. */
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
#include "store/store_int.h"
#include "util/err.h"
#include "util/log.h"

_Static_assert(CONFIG_STORE_MAX_DBS >= STORE_DB__MAX,
	       "CONFIG_STORE_MAX_DBS is smaller than the number of named databases");

const char *const store_db_names[STORE_DB__MAX] = {
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
	[STORE_DB_JOB_JOIN] = "job_join",
	[STORE_DB_ACCOUNT_BY_EAB] = "account_by_eab",
	[STORE_DB_MAIL] = "mail",
	[STORE_DB_MAIL_BY_STATE] = "mail_by_state",
	[STORE_DB_ACCOUNT_PENDING] = "account_pending",
	[STORE_DB_AUTHZ_BY_ORDER] = "authz_by_order",
	[STORE_DB_ORDER_BY_END] = "order_by_end",
	[STORE_DB_AUTHZ_BY_END] = "authz_by_end",
};

static const char *const store_seq_keys[STORE_SEQ__MAX] = {
	[STORE_SEQ_ACCOUNT] = "seq/account",
	[STORE_SEQ_ORDER] = "seq/order",
	[STORE_SEQ_AUTHZ] = "seq/authz",
	[STORE_SEQ_CERT] = "seq/cert",
	[STORE_SEQ_JOB] = "seq/job",
	[STORE_SEQ_MAIL] = "seq/mail",
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

void
store_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t
store_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Map an LMDB result to the project convention, with a log line for real failures. */
int
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
		log_err("store at %s is full (%zu of %zu KiB usable%s) during %s: the "
			"transaction is aborted and nothing in it stored; raise store_map_size "
			"or let sweeping free room", s->dir, s->map_limit / 1024, s->map_size / 1024,
			s->map_limit < s->map_size ? ", the rest kept for sweeping" : "", what);
		return ERR_FULL;
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
int
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

int
store_map_limit(struct store *s, int reclaim)
{
	size_t want = reclaim ? s->map_size : s->map_size - s->reserve;
	int rc;

	if (want == s->map_limit)
		return 0;
	rc = mdb_env_set_mapsize(s->env, want);
	if (rc != MDB_SUCCESS)
		return store_mdb_err(s, rc, "set map size");
	s->map_limit = want;
	return 0;
}

enum store_mode { STORE_MODE_WRITE, STORE_MODE_READ, STORE_MODE_RECLAIM };

static int
store_run(struct store *s, store_fn fn, void *arg, enum store_mode mode)
{
	int rdonly = mode == STORE_MODE_READ;
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
	if (!rdonly && (rc = store_map_limit(s, mode == STORE_MODE_RECLAIM)) != 0)
		return rc;
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
	return store_run(s, fn, arg, STORE_MODE_WRITE);
}

int
store_write_reclaim(struct store *s, store_fn fn, void *arg)
{
	return store_run(s, fn, arg, STORE_MODE_RECLAIM);
}

int
store_read(struct store *s, store_fn fn, void *arg)
{
	return store_run(s, fn, arg, STORE_MODE_READ);
}
