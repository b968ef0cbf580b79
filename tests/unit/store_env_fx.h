/*
 * store_env_fx.h: what the store environment tests share: a fresh temporary
 * directory per test and one-key transactions. Header-only; the functions are
 * static inline so a test may leave some unused.
 */
#ifndef TEST_STORE_ENV_FX_H
#define TEST_STORE_ENV_FX_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "platform.h"
#include "store/records.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"


/* ---- fixture: a fresh temporary directory per test ------------------------------ */

struct fx {
	char root[64];      /* mkdtemp result */
	char dir[128];      /* root/db: created by store_open */
	struct store *s;
};

static inline int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->root, "/tmp/upki-store-XXXXXX");
	if (mkdtemp(f->root) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/db", f->root);
	*state = f;
	return 0;
}

static inline int
fx_teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	nftw(f->root, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static inline void
fx_open(struct fx *f)
{
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&f->s, f->dir, STORE_OPEN_NOSYNC), 0);
	assert_non_null(f->s);
}

/* Run a one-off transaction body given as a function with an argument. */
struct kv {
	const char *key;
	const char *val;
	unsigned flags;
	int rc;
};

static inline int
put_kv_txn(struct store_txn *t, void *arg)
{
	struct kv *kv = arg;

	kv->rc = store_put(t, STORE_DB_EAB, kv->key, strlen(kv->key), kv->val,
			   strlen(kv->val), kv->flags);
	return kv->rc;
}

/* Read key into buf as a string; returns the store_get code. */
struct kv_get {
	const char *key;
	char buf[256];
	int rc;
};

static inline int
get_kv_txn(struct store_txn *t, void *arg)
{
	struct kv_get *g = arg;
	const void *v = NULL;
	size_t vlen = 0;

	g->buf[0] = '\0';
	g->rc = store_get(t, STORE_DB_EAB, g->key, strlen(g->key), &v, &vlen);
	if (g->rc == 0) {
		if (vlen >= sizeof(g->buf))
			return ERR_TOOBIG;
		memcpy(g->buf, v, vlen);
		g->buf[vlen] = '\0';
	}
	return 0;
}

static inline int
kv_get(struct store *s, const char *key, char *out, size_t cap)
{
	struct kv_get g = { key, "", 0 };

	assert_int_equal(store_read(s, get_kv_txn, &g), 0);
	snprintf(out, cap, "%s", g.buf);
	return g.rc;
}

static inline void
kv_put(struct store *s, const char *key, const char *val)
{
	struct kv kv = { key, val, 0, 0 };

	assert_int_equal(store_write(s, put_kv_txn, &kv), 0);
}


#endif
