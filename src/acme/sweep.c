/*
 * Housekeeping on a schedule: orders past their expiry become invalid and
 * authorizations expired (store_sweep_expired), so that counts of pending
 * objects and the indexes of what expires stay true while nobody asks for
 * those objects; then what ended more than sweep_retain_days ago is deleted
 * (store_sweep_delete: invalid orders, their authorizations and challenges
 * once no order refers to them), so that a store that filled up recovers
 * without a larger map. One bounded batch (STORE_SWEEP_MAX records, marked
 * and deleted together, one write transaction) per turn of the reactor; while
 * batches come back full the next one runs at once (other events go first),
 * else after sweep_interval seconds. Sweeps run in the reserve of the map
 * (store_write_reclaim), so they go on in a full store. Nonces are in memory
 * (nonce.c): nothing of them is stored to sweep.
 */
#include <inttypes.h>
#include <stdlib.h>

#include <event2/event.h>

#include "acme/acme_int.h"
#include "app.h"
#include "platform.h"
#include "store/records.h"
#include "store/store.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"

#define SWEEP_EAB_WALK 64   /* account_by_eab entries checked per batch */

struct sweep_arg {
	int64_t now;
	int64_t retain_s;
	size_t max;
	size_t marked;
	size_t deleted;
	struct store_eab_walk walk;     /* a copy: kept only if the batch commits */
};

static int
sweep_fn(struct store_txn *t, void *arg)
{
	struct sweep_arg *sa = arg;
	int rc = store_sweep_expired(t, sa->now, sa->max, &sa->marked);

	if (rc == 0 && sa->marked < sa->max)
		rc = store_sweep_delete(t, sa->now, sa->retain_s, sa->max - sa->marked,
		    &sa->deleted);
	if (rc == 0)
		rc = store_eab_idx_walk(t, &sa->walk, SWEEP_EAB_WALK);
	return rc;
}

/* The batch size: halved when a batch does not fit the map's reserve, whole
 * again at the next run. */
static size_t
sweep_batch(const struct acme *a)
{
	return a->sweep_batch == 0 ? STORE_SWEEP_MAX : a->sweep_batch;
}

static void
sweep_arm(struct acme *a, unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(a->sweep_ev, &tv);
}

/* What the walk over account_by_eab found: removals at once, unreadable
 * accounts once per change of their number over a whole pass. */
static void
sweep_eab_said(struct acme *a)
{
	const struct store_eab_walk *w = &a->eab_walk;

	if (w->dropped > 0)
		log_info("acme: sweep: %zu account_by_eab entr%s removed: no such account, or the "
		    "account is bound through another key", w->dropped, w->dropped == 1 ? "y" : "ies");
	a->eab_unreadable_pass += w->unreadable;
	if (!w->wrapped)
		return;
	if (a->eab_unreadable_pass != a->eab_unreadable_said)
		log_warn("acme: sweep: %zu account_by_eab entr%s name accounts whose record does "
		    "not decode: `eab show KID` marks them; restore those records from a backup",
		    a->eab_unreadable_pass, a->eab_unreadable_pass == 1 ? "y" : "ies");
	a->eab_unreadable_said = a->eab_unreadable_pass;
	a->eab_unreadable_pass = 0;
}

int
acme_sweep_once(struct acme *a, int64_t now, size_t *swept, size_t *deleted)
{
	struct sweep_arg sa = { now, (int64_t)a->app->cfg->sweep_retain_days * 86400,
	    sweep_batch(a), 0, 0, a->eab_walk };
	int rc = store_write_reclaim(a->app->store, sweep_fn, &sa);

	*swept = rc == 0 ? sa.marked : 0;
	*deleted = rc == 0 ? sa.deleted : 0;
	if (rc == 0) {
		a->eab_walk = sa.walk;
		sweep_eab_said(a);
	}
	return rc;
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acme *a = arg;
	size_t swept = 0, deleted = 0;
	int rc;

	(void)fd;
	(void)what;
	rc = acme_sweep_once(a, platform_wall_s(), &swept, &deleted);
	if (rc == ERR_FULL && sweep_batch(a) > 1) {
		/* A full map: smaller batches need fewer new pages; each one frees some. */
		a->sweep_batch = sweep_batch(a) / 2;
		log_info("acme: sweep: a batch did not fit the store's reserve: batches of %zu",
		    a->sweep_batch);
		sweep_arm(a, 0);
		return;
	}
	if (rc != 0) {
		log_warn("acme: sweep of expired orders and authorizations failed: %s", err_str(rc));
		sweep_arm(a, (unsigned)a->app->cfg->sweep_interval_s * 1000u);
		return;
	}
	a->swept_run += swept;
	a->swept_total += swept;
	a->deleted_run += deleted;
	if (swept + deleted == sweep_batch(a)) {
		sweep_arm(a, 0);     /* more due: the next batch after the events waiting */
		return;
	}
	if (a->swept_run > 0 || a->deleted_run > 0)
		log_info("acme: sweep: %" PRIu64 " expired order(s) and authorization(s) marked, "
		    "%" PRIu64 " ended past sweep_retain_days (%d) deleted or released", a->swept_run,
		    a->deleted_run, a->app->cfg->sweep_retain_days);
	a->swept_run = 0;
	a->deleted_run = 0;
	a->sweep_batch = 0;         /* the next run starts with whole batches again */
	sweep_arm(a, (unsigned)a->app->cfg->sweep_interval_s * 1000u);
}

int
acme_sweep_start(struct acme *a)
{
	if (a->app->base == NULL || a->app->store == NULL)
		return 0;
	a->sweep_ev = evtimer_new(a->app->base, sweep_cb, a);
	if (a->sweep_ev == NULL)
		return ERR_NOMEM;
	sweep_arm(a, 0);             /* what expired while the gateway was down, first */
	return 0;
}

void
acme_sweep_stop(struct acme *a)
{
	if (a->sweep_ev != NULL)
		event_free(a->sweep_ev);
	a->sweep_ev = NULL;
}
