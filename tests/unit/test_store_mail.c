/* store/records_mail.c: received mail kept with its bytes, updated, walked by state, bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/records.h"
#include "store/store.h"
#include "util/err.h"

struct fx {
	char root[64];
	char dir[128];
	struct store *s;
};

static int
fx_open(struct fx *f, size_t map)
{
	struct store_open_opts o = { 0, map, NULL, 0 };

	return store_open_ex(&f->s, f->dir, STORE_OPEN_NOSYNC, &o);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->root, "/tmp/upki-mail-XXXXXX");
	if (mkdtemp(f->root) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/db", f->root);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

struct add {
	struct rec_mail m;
	const void *raw;
	size_t len;
};

static int
add_txn(struct store_txn *t, void *arg)
{
	struct add *a = arg;

	return store_mail_add(t, &a->m, a->raw, a->len);
}

static uint64_t
add_mail(struct fx *f, const char *from, const void *raw, size_t len, int *rc)
{
	struct add a;

	memset(&a, 0, sizeof(a));
	a.m.received = 1700000000;
	a.m.state = REC_MAIL_REJECTED;   /* ignored: a new mail is "new" */
	a.m.flags = REC_MAIL_F_TLS;
	snprintf(a.m.peer, sizeof(a.m.peer), "127.0.0.1:2525");
	snprintf(a.m.helo, sizeof(a.m.helo), "relay.example.ac.jp");
	snprintf(a.m.mail_from, sizeof(a.m.mail_from), "%s", from);
	a.m.n_rcpt = 1;
	snprintf(a.m.rcpt[0], sizeof(a.m.rcpt[0]), "admin@example.ac.jp");
	a.raw = raw;
	a.len = len;
	*rc = store_write(f->s, add_txn, &a);
	return a.m.id;
}

struct get {
	uint64_t id;
	struct rec_mail m;
	unsigned char raw[64];
	size_t len;
};

static int
get_txn(struct store_txn *t, void *arg)
{
	struct get *g = arg;
	const void *raw = NULL;
	int rc = store_mail_get(t, g->id, &g->m, &raw, &g->len);

	if (rc == 0)
		memcpy(g->raw, raw, g->len < sizeof(g->raw) ? g->len : sizeof(g->raw));
	return rc;
}

static int
reject_txn(struct store_txn *t, void *arg)
{
	struct rec_mail m;
	int rc = store_mail_get(t, *(uint64_t *)arg, &m, NULL, NULL);

	if (rc != 0)
		return rc;
	m.state = REC_MAIL_REJECTED;
	m.updated = 1700000100;
	snprintf(m.reason, sizeof(m.reason), "unsigned");
	snprintf(m.serial, sizeof(m.serial), "1234567890");
	return store_mail_update(t, &m);
}

struct walk {
	int state;
	uint64_t ids[8];
	size_t n;
};

static int
walk_txn(struct store_txn *t, void *arg)
{
	struct walk *w = arg;
	struct rec_mail m;
	uint64_t after = 0;
	int rc;

	w->n = 0;
	while (w->n < 8 && (rc = store_mail_next(t, w->state, after, &m)) == 0) {
		w->ids[w->n++] = m.id;
		after = m.id;
	}
	return w->n == 8 ? 0 : rc == ERR_NOTFOUND ? 0 : rc;
}

static void
test_add_get_update_walk(void **state)
{
	struct fx *f = *state;
	struct get g;
	struct walk w;
	int rc;
	uint64_t a, b, c;

	assert_int_equal(fx_open(f, 0), 0);
	a = add_mail(f, "ca-support@ml.secom-sts.co.jp", "Subject: one\r\n\r\nx\r\n", 19, &rc);
	assert_int_equal(rc, 0);
	b = add_mail(f, "", "two", 3, &rc);
	assert_int_equal(rc, 0);
	c = add_mail(f, "x@y.jp", "", 0, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	assert_int_equal(c, 3);
	memset(&g, 0, sizeof(g));
	g.id = a;
	assert_int_equal(store_read(f->s, get_txn, &g), 0);
	assert_int_equal(g.m.state, REC_MAIL_NEW);
	assert_int_equal(g.m.flags, REC_MAIL_F_TLS);
	assert_int_equal(g.m.received, 1700000000);
	assert_string_equal(g.m.mail_from, "ca-support@ml.secom-sts.co.jp");
	assert_string_equal(g.m.peer, "127.0.0.1:2525");
	assert_string_equal(g.m.helo, "relay.example.ac.jp");
	assert_int_equal(g.m.n_rcpt, 1);
	assert_string_equal(g.m.rcpt[0], "admin@example.ac.jp");
	assert_int_equal(g.len, 19);
	assert_int_equal(g.m.raw_len, 19);
	assert_memory_equal(g.raw, "Subject: one\r\n\r\nx\r\n", 19);

	/* The pickup step's verdict moves the state index, the bytes stay. */
	assert_int_equal(store_write(f->s, reject_txn, &b), 0);
	memset(&g, 0, sizeof(g));
	g.id = b;
	assert_int_equal(store_read(f->s, get_txn, &g), 0);
	assert_int_equal(g.m.state, REC_MAIL_REJECTED);
	assert_string_equal(g.m.reason, "unsigned");
	assert_string_equal(g.m.serial, "1234567890");
	assert_int_equal(g.len, 3);
	assert_memory_equal(g.raw, "two", 3);

	w.state = REC_MAIL_NEW;
	assert_int_equal(store_read(f->s, walk_txn, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.ids[0], a);
	assert_int_equal(w.ids[1], c);
	w.state = REC_MAIL_REJECTED;
	assert_int_equal(store_read(f->s, walk_txn, &w), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.ids[0], b);
	w.state = -1;
	assert_int_equal(store_read(f->s, walk_txn, &w), 0);
	assert_int_equal(w.n, 3);

	/* Kept across a reopen. */
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(fx_open(f, 0), 0);
	memset(&g, 0, sizeof(g));
	g.id = c;
	assert_int_equal(store_read(f->s, get_txn, &g), 0);
	assert_int_equal(g.len, 0);
	g.id = 4;
	assert_int_equal(store_read(f->s, get_txn, &g), ERR_NOTFOUND);
}

static void
test_bounds_and_full(void **state)
{
	struct fx *f = *state;
	unsigned char *big = calloc(1, REC_MAIL_RAW_MAX + 1);
	unsigned n = 0;
	int rc = 0;

	assert_non_null(big);
	assert_int_equal(fx_open(f, 1024 * 1024), 0);
	add_mail(f, "a@b.jp", big, REC_MAIL_RAW_MAX + 1, &rc);
	assert_int_equal(rc, ERR_TOOBIG);
	/* 256 KiB messages fill a 1 MiB map: then ERR_FULL, and what is stored stays. */
	for (int i = 0; i < 10; i++) {
		memset(big, 'a' + i, REC_MAIL_RAW_MAX);
		add_mail(f, "a@b.jp", big, REC_MAIL_RAW_MAX, &rc);
		if (rc != 0)
			break;
		n++;
	}
	assert_int_equal(rc, ERR_FULL);
	assert_true(n >= 1);
	for (unsigned i = 1; i <= n; i++) {
		struct get g;

		memset(&g, 0, sizeof(g));
		g.id = i;
		assert_int_equal(store_read(f->s, get_txn, &g), 0);
		assert_int_equal(g.len, REC_MAIL_RAW_MAX);
		assert_int_equal(g.raw[0], 'a' + (int)i - 1);
	}
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_get_update_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds_and_full, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
