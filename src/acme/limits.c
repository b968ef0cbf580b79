/*
 * Per-account rate limits, in memory (lost on restart, as docs/DESIGN.md
 * allows for windows): new orders per hour and failed validations per day
 * (UPKI's own ACME service blocks an account for the day after 20 failures).
 * Each limit is a fixed window per account in a table of ACME_LIMIT_SLOTS
 * slots; an account is looked up in a short probe from its hash, and when the
 * probe finds neither the account nor a free or finished window, the oldest
 * window in it is taken over (memory stays bounded; such an account starts
 * counting afresh). A limit of 0 is off.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "autoconf.h"
#include "acme/acme_int.h"
#include "app.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"

#define LIMIT_PROBE 16

static const int64_t limit_window_s[ACME_LIMIT__MAX] = {
	[ACME_LIMIT_ORDERS] = 3600,
	[ACME_LIMIT_FAILED] = 86400,
};

static int
limit_max(const struct acme *a, enum acme_limit kind)
{
	return kind == ACME_LIMIT_ORDERS ? a->app->cfg->limit_orders_per_hour :
	    a->app->cfg->limit_failed_validations_per_day;
}

/* The account's window, or NULL if it has none (create: take a slot for it). */
static struct acme_window *
limit_slot(struct acme *a, enum acme_limit kind, uint64_t acct, int64_t now, int create)
{
	struct acme_window *tab = a->limits[kind];
	struct acme_window *take = NULL;
	uint64_t h = acct * 0x9E3779B97F4A7C15ull;

	for (unsigned i = 0; i < LIMIT_PROBE; i++) {
		struct acme_window *w = &tab[(h + i) % ACME_LIMIT_SLOTS];

		if (w->account_id == acct && acct != 0)
			return w;
		if (!create)
			continue;
		if (w->account_id == 0 || now - w->start >= limit_window_s[kind]) {
			if (take == NULL || take->account_id != 0)
				take = w;
		} else if (take == NULL || (take->account_id != 0 && w->start < take->start)) {
			take = w;
		}
	}
	if (take != NULL) {
		take->account_id = acct;
		take->start = now;
		take->count = 0;
	}
	return take;
}

int
acme_limit_check(struct acme *a, enum acme_limit kind, uint64_t acct, int64_t now,
    unsigned *retry_after)
{
	int max = limit_max(a, kind);
	struct acme_window *w;

	*retry_after = 0;
	if (max <= 0 || (w = limit_slot(a, kind, acct, now, 0)) == NULL)
		return 0;
	if (now - w->start >= limit_window_s[kind] || w->count < (uint32_t)max)
		return 0;
	*retry_after = (unsigned)(w->start + limit_window_s[kind] - now);
	if (*retry_after == 0)
		*retry_after = 1;
	return ERR_RATELIMIT;
}

void
acme_limit_count(struct acme *a, enum acme_limit kind, uint64_t acct, int64_t now)
{
	struct acme_window *w;

	if (limit_max(a, kind) <= 0 || (w = limit_slot(a, kind, acct, now, 1)) == NULL)
		return;
	if (now - w->start >= limit_window_s[kind]) {
		w->start = now;
		w->count = 0;
	}
	if (w->count < UINT32_MAX)
		w->count++;
}

int
acme_limits_refuse(struct acme *a, struct http_req *req, uint64_t acct, int64_t now, int order)
{
	char detail[200];
	unsigned ra;

	if (acme_limit_check(a, ACME_LIMIT_FAILED, acct, now, &ra) != 0) {
		snprintf(detail, sizeof(detail), "this account failed %d validations today: no new "
		    "orders or challenges for %u s; check that the challenge is reachable first",
		    a->app->cfg->limit_failed_validations_per_day, ra);
	} else if (order && acme_limit_check(a, ACME_LIMIT_ORDERS, acct, now, &ra) != 0) {
		snprintf(detail, sizeof(detail), "this account made %d new orders in the last hour: "
		    "the next is possible in %u s", a->app->cfg->limit_orders_per_hour, ra);
	} else {
		return 0;
	}
	log_info("acme: %s: account %" PRIu64 ": rate limited: %s", req->peer, acct, detail);
	acme_problem_retry(req, ACME_E_RATELIMITED, ra, detail);
	return 1;
}

/* ---- open work per account: counted by the store ---- */

void
acme_pending_init(struct acme *a, struct acme_pending_limit *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->max_orders = a->app->cfg->limit_pending_orders;
	pl->max_authzs = a->app->cfg->limit_pending_authzs;
}

int
acme_pending_check(struct store_txn *t, uint64_t acct, struct acme_pending_limit *pl)
{
	int rc;

	pl->hit = 0;
	if (pl->max_orders <= 0 && pl->max_authzs <= 0)
		return 0;
	rc = store_account_pending(t, acct, &pl->have);
	if (rc != 0)
		return rc;
	/* The order itself is not counted yet; its new authorizations are. */
	if (pl->max_orders > 0 && pl->have.orders >= (uint32_t)pl->max_orders)
		pl->hit = 1;
	else if (pl->max_authzs > 0 && pl->have.authzs > (uint32_t)pl->max_authzs)
		pl->hit = 2;
	return pl->hit ? ERR_RATELIMIT : 0;
}

void
acme_pending_refuse(struct http_req *req, uint64_t acct, const struct acme_pending_limit *pl)
{
	char detail[256];

	if (pl->hit == 1)
		snprintf(detail, sizeof(detail), "this account has %" PRIu32 " pending or ready "
		    "orders, its limit is %d: finalize them, or wait until they expire",
		    pl->have.orders, pl->max_orders);
	else
		snprintf(detail, sizeof(detail), "this order would leave this account with %" PRIu32
		    " pending authorizations, its limit is %d: complete or deactivate them, or "
		    "wait until they expire", pl->have.authzs, pl->max_authzs);
	log_info("acme: %s: account %" PRIu64 ": rate limited: %s", req->peer, acct, detail);
	acme_problem_retry(req, ACME_E_RATELIMITED, ACME_PENDING_RETRY_S, detail);
}

/* ---- the validation pool: CONFIG_ACME_MAX_VALIDATIONS at once, a share per account ---- */

static struct acme_vslot *
vslot_find(struct acme *a, uint64_t acct, int create)
{
	struct acme_vslot *free_slot = NULL;

	for (size_t i = 0; i < CONFIG_ACME_MAX_VALIDATIONS; i++) {
		if (a->vslots[i].n > 0 && a->vslots[i].account_id == acct)
			return &a->vslots[i];
		if (a->vslots[i].n == 0 && free_slot == NULL)
			free_slot = &a->vslots[i];
	}
	if (create && free_slot != NULL)
		free_slot->account_id = acct;
	return create ? free_slot : NULL;
}

int
acme_validation_admit(struct acme *a, uint64_t acct, unsigned *retry_after, char *why,
    size_t whysz)
{
	const struct acme_vslot *v = vslot_find(a, acct, 0);

	*retry_after = ACME_VALIDATION_RETRY_S;
	if (v != NULL && v->n >= CONFIG_ACME_VALIDATIONS_PER_ACCOUNT) {
		snprintf(why, whysz, "this account has %u validations running, its share: answer "
		    "this challenge again in a few seconds", v->n);
		return ERR_RATELIMIT;
	}
	if (a->v_inflight >= CONFIG_ACME_MAX_VALIDATIONS) {
		snprintf(why, whysz, "the gateway is running %u validations, all it runs at once: "
		    "answer this challenge again in a few seconds", a->v_inflight);
		return ERR_RATELIMIT;
	}
	return 0;
}

void
acme_validation_took(struct acme *a, uint64_t acct)
{
	struct acme_vslot *v = vslot_find(a, acct, 1);

	a->v_inflight++;
	if (v != NULL)
		v->n++;
}

void
acme_validation_gave(struct acme *a, uint64_t acct)
{
	struct acme_vslot *v = vslot_find(a, acct, 0);

	if (a->v_inflight > 0)
		a->v_inflight--;
	if (v != NULL && v->n > 0)
		v->n--;
}
