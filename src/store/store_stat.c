/* Backup, sync, statistics and the high-water mark (store_room). */
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "autoconf.h"
#include "platform.h"
#include "store/store_int.h"
#include "util/err.h"
#include "util/log.h"

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

/*
 * Pages on LMDB's freelist (database 0) that the next write can reuse. Keys are
 * the id of the transaction that freed them, values page-number lists whose
 * first word is their length. Pages the last commit freed are not counted:
 * the previous snapshot still uses them. At most STORE_FREELIST_SCAN_MAX
 * values are read; past that the count is short, which only makes the store
 * look fuller.
 */
#define STORE_FREELIST_SCAN_MAX 65536

static int
store_free_pages(struct store_txn *t, size_t last_txn, uint64_t *pages)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	size_t words, id;
	int rc;

	*pages = 0;
	rc = mdb_cursor_open(t->txn, 0, &cur);
	if (rc != MDB_SUCCESS)
		return store_mdb_err(t->s, rc, "freelist cursor");
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (unsigned i = 0; rc == MDB_SUCCESS && i < STORE_FREELIST_SCAN_MAX; i++) {
		if (k.mv_size == sizeof(id) && v.mv_size >= sizeof(words)) {
			memcpy(&id, k.mv_data, sizeof(id));
			memcpy(&words, v.mv_data, sizeof(words));
			if (id < last_txn)
				*pages += words;
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
		return store_mdb_err(t->s, rc, "freelist walk");
	return 0;
}

static int
store_usage_txn(struct store_txn *t, void *arg)
{
	struct store_usage *u = arg;
	MDB_envinfo ei;
	MDB_stat ms;
	uint64_t last;
	int rc;

	rc = mdb_env_info(t->s->env, &ei);
	if (rc == MDB_SUCCESS)
		rc = mdb_env_stat(t->s->env, &ms);
	if (rc != MDB_SUCCESS)
		return store_mdb_err(t->s, rc, "env info");
	rc = store_free_pages(t, ei.me_last_txnid, &u->pages_free);
	if (rc != 0)
		return rc;
	last = (uint64_t)ei.me_last_pgno + 1;
	u->pages_total = ms.ms_psize != 0 ? t->s->map_size / ms.ms_psize : 0;
	u->pages_used = last > u->pages_free ? last - u->pages_free : 0;
	return 0;
}

int
store_usage(struct store *s, struct store_usage *u)
{
	memset(u, 0, sizeof(*u));
	if (s == NULL)
		return ERR_STATE;
	return store_read(s, store_usage_txn, u);
}

int
store_room(struct store *s)
{
	struct store_usage u;
	int rc = store_usage(s, &u), over;

	if (rc != 0)
		return rc;
	over = u.pages_used * 100 > u.pages_total * (uint64_t)CONFIG_STORE_HIGH_WATER_PCT;
	/* One line when the mark is crossed, either way; callers answer each refusal. */
	if (over && !s->over_mark)
		log_warn("store at %s: %llu of %llu pages in use, above the %d%% high-water mark: "
			 "new work is refused until sweeping frees room (or raise store_map_size)",
			 s->dir, (unsigned long long)u.pages_used,
			 (unsigned long long)u.pages_total, CONFIG_STORE_HIGH_WATER_PCT);
	else if (!over && s->over_mark)
		log_info("store at %s: %llu of %llu pages in use, back under the %d%% high-water "
			 "mark: new work accepted again", s->dir, (unsigned long long)u.pages_used,
			 (unsigned long long)u.pages_total, CONFIG_STORE_HIGH_WATER_PCT);
	s->over_mark = over;
	return over ? ERR_FULL : 0;
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
	st->map_size = s->map_size;
	st->pages_used = (uint64_t)ei.me_last_pgno + 1;
	st->last_txn = ei.me_last_txnid;
	return store_read(s, store_stat_txn, st);
}
