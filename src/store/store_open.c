/* Opening the environment: schema check, migrations, first transaction. */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoconf.h"
#include "platform.h"
#include "store/store_int.h"
#include "util/err.h"
#include "util/log.h"

/*
 * Schema history: one entry per step, from -> from + 1. To change the layout:
 * bump STORE_SCHEMA, add {old, "what changes", fn} here, and add a test.
 */
static const struct store_migration store_migrations[] = {
	{ 1, "orders joining UPKI jobs move from meta keys upki/join/ to the job_join index",
	  store_join_migrate_meta },
	{ 2, "accounts bound through an EAB key get the account_by_eab index",
	  store_eab_migrate_index },
	{ 3, "pending counters per account, authorization references and the end-of-life "
	  "indexes the sweep deletes from", store_life_migrate },
};
/* ---- schema ---------------------------------------------------------------- */

int
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

int
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
		/* Maintenance: a migration may use the reserve, like a sweep. */
		rc = store_write_reclaim(s, store_step_txn, &st);
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
	s->map_limit = s->map_size;
	if (!(flags & STORE_OPEN_RDONLY)) {
		MDB_stat ms;

		/* The reserve: 1/20 of the map, 8 pages at least, none in a tiny map. */
		rc = mdb_env_stat(s->env, &ms);
		if (rc != MDB_SUCCESS) {
			rc = store_mdb_err(s, rc, "stat environment");
			goto out;
		}
		s->reserve = s->map_size / 20;
		if (s->reserve < (size_t)8 * ms.ms_psize)
			s->reserve = (size_t)8 * ms.ms_psize;
		if (s->reserve * 4 > s->map_size)
			s->reserve = 0;
		rc = store_map_limit(s, 0);
		if (rc != 0)
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
