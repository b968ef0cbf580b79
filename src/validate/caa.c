/*
 * CAA checks on the reactor: one job per identifier climbs from its name
 * towards the TLD with one resolver_caa() per name, and decides with
 * caa_parse.c. A batch (validate_caa_all) is only a counter over independent
 * jobs: each job owns a copy of its item and writes its own result, so no
 * result can be about another identifier than the one it carries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "validate/caa_parse.h"
#include "validate/resolver.h"
#include "validate/validate.h"
#include "validate/validate_int.h"

#define CAA_MAX_PENDING 512

struct caa_batch {
	validate_caa_all_cb cb;
	void *arg;
	size_t n;                        /* results */
	size_t running;                  /* jobs not finished */
	struct validate_caa_result res[];
};

struct caa_job {
	struct validator *v;
	struct caa_job *prev, *next;
	struct validate_caa_result *res; /* its own result: in the batch, or own storage */
	struct validate_caa_result own;
	struct caa_climb climb;
	validate_caa_cb cb;              /* single checks */
	void *arg;
	struct caa_batch *batch;         /* batch checks */
};

int
caa_issuers_new(struct validator *v, const struct config *cfg)
{
	char why[160];

	v->caa_issuers = calloc(1, sizeof(*v->caa_issuers));
	if (v->caa_issuers == NULL)
		return ERR_NOMEM;
	if (caa_issuers_parse(v->caa_issuers, cfg->caa_identities, why, sizeof(why)) != 0) {
		log_err("config: caa_identities: %s", why);
		free(v->caa_issuers);
		v->caa_issuers = NULL;
		return ERR_CONFIG;
	}
	return 0;
}

size_t
validate_caa_identities(const struct config *cfg, char (*names)[254], size_t max)
{
	struct caa_issuers is;
	size_t n = 0;

	if (caa_issuers_parse(&is, cfg->caa_identities, NULL, 0) != 0)
		return 0;
	for (; n < is.n && n < max; n++)
		str_copy(names[n], sizeof(names[n]), is.name[n]);
	return n;
}

/* Unlink and free j; deliver: the batch callback may run (when j was its last job). */
static void
caa_job_free(struct caa_job *j, int deliver)
{
	struct validator *v = j->v;
	struct caa_batch *b = j->batch;

	if (j->prev)
		j->prev->next = j->next;
	else
		v->caa_pending = j->next;
	if (j->next)
		j->next->prev = j->prev;
	v->caa_npending--;
	free(j);
	if (b != NULL && --b->running == 0) {
		if (deliver)
			b->cb(b->arg, b->res, b->n);
		free(b);
	}
}

void
caa_cancel_all(struct validator *v)
{
	while (v->caa_pending != NULL)
		caa_job_free(v->caa_pending, 0);
}

static void
caa_finish(struct caa_job *j)
{
	struct validate_caa_result *r = j->res;

	r->lookups = j->climb.lookups;
	log_info("caa: %s%s: %s after %u lookup%s%s%s%s%s%s", r->item.wildcard ? "*." : "",
	    r->item.name, r->ok ? "permitted" : r->failed ? "lookup failed" : "refused", r->lookups,
	    r->lookups == 1 ? "" : "s", r->where[0] ? " (at " : "", r->where,
	    r->records[0] ? ": " : "", r->records, r->where[0] ? ")" : "");
	if (j->batch == NULL)
		j->cb(j->arg, r);
	caa_job_free(j, 1);
}

static void
caa_fail(struct validate_caa_result *r, int failed, const char *type, const char *detail)
{
	r->ok = 0;
	r->failed = failed;
	str_copy(r->type, sizeof(r->type), type);
	str_copy(r->detail, sizeof(r->detail), detail);
}

static int caa_query(struct caa_job *j);

static void
caa_answer_cb(void *arg, int rc, const struct resolver_caa *caas, int n)
{
	struct caa_job *j = arg;
	struct validate_caa_result *r = j->res;
	const char *at = caa_climb_name(&j->climb);
	struct caa_request rq;
	char why[300], detail[1400];
	int next;

	next = caa_climb_step(&j->climb, rc, n);
	if (next == CAA_CLIMB_QUERY) {
		if ((rc = caa_query(j)) == 0)
			return;
		snprintf(detail, sizeof(detail), "CAA for %s cannot be looked up now (%s)",
		    r->item.name, err_str(rc));
		caa_fail(r, 1, "dns", detail);
	} else if (next == CAA_CLIMB_NONE) {
		r->ok = 1;
	} else if (next == CAA_CLIMB_FOUND) {
		str_copy(r->where, sizeof(r->where), at);
		caa_records_text(caas, n, r->records, sizeof(r->records));
		rq.issuers = j->v->caa_issuers;
		rq.wildcard = r->item.wildcard;
		rq.account_uri = r->item.account_uri;
		rq.method = r->item.method;
		if (caa_rrset_eval(&rq, caas, n, why, sizeof(why)) == 0) {
			r->ok = 1;
		} else {
			snprintf(detail, sizeof(detail), "CAA forbids issuance for %s%s: %s (records at "
			    "%s: %s)", r->item.wildcard ? "*." : "", r->item.name, why, at, r->records);
			caa_fail(r, 0, "caa", detail);
		}
	} else {
		/* CA/B BR 3.2.2.8: a failed lookup is not "no CAA" (no exception taken). */
		snprintf(detail, sizeof(detail), "the CAA lookup of %s for %s%s failed (%s): "
		    "issuance is refused until it answers", at, r->item.wildcard ? "*." : "",
		    r->item.name, err_str(next));
		str_copy(r->where, sizeof(r->where), at);
		caa_fail(r, 1, "dns", detail);
	}
	caa_finish(j);
}

static int
caa_query(struct caa_job *j)
{
	return resolver_caa(j->v->res, caa_climb_name(&j->climb), caa_answer_cb, j);
}

/* Start the job of one item writing into res (cleared here). */
static int
caa_job_start(struct validator *v, const struct validate_caa_item *it,
    struct validate_caa_result *res, struct caa_job **out)
{
	struct caa_job *j = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	res->item = *it;
	res->item.name[sizeof(res->item.name) - 1] = '\0';
	res->item.method[sizeof(res->item.method) - 1] = '\0';
	res->item.account_uri[sizeof(res->item.account_uri) - 1] = '\0';
	if (v == NULL || v->res == NULL || v->caa_issuers == NULL) {
		rc = ERR_STATE;
		goto out;
	}
	if (v->caa_npending >= CAA_MAX_PENDING) {
		rc = ERR_TOOBIG;
		goto out;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if ((rc = caa_climb_init(&j->climb, res->item.name, &res->item.wildcard)) != 0)
		goto out;
	/* The result names the identifier as it was checked: no "*.", lower case. */
	str_copy(res->item.name, sizeof(res->item.name), j->climb.name);
	j->v = v;
	j->res = res;
	if ((rc = caa_query(j)) != 0)
		goto out;
	j->next = v->caa_pending;
	if (j->next)
		j->next->prev = j;
	v->caa_pending = j;
	v->caa_npending++;
	*out = j;
	j = NULL;
out:
	free(j);
	return rc;
}

int
validate_caa(struct validator *v, const struct validate_caa_item *it, validate_caa_cb cb,
    void *arg)
{
	struct validate_caa_result tmp;
	struct caa_job *j;
	int rc;

	if (cb == NULL)
		return ERR_STATE;
	if ((rc = caa_job_start(v, it, &tmp, &j)) != 0)
		return rc;
	j->own = tmp;
	j->res = &j->own;
	j->cb = cb;
	j->arg = arg;
	return 0;
}

int
validate_caa_all(struct validator *v, const struct validate_caa_item *items, size_t n,
    validate_caa_all_cb cb, void *arg)
{
	struct caa_batch *b;
	struct caa_job *j;
	char detail[512];
	int rc = ERR_STATE, last = ERR_STATE;

	if (cb == NULL || n == 0 || n > VALIDATE_CAA_ALL_MAX)
		return n > VALIDATE_CAA_ALL_MAX ? ERR_TOOBIG : ERR_STATE;
	b = calloc(1, sizeof(*b) + n * sizeof(b->res[0]));
	if (b == NULL)
		return ERR_NOMEM;
	b->cb = cb;
	b->arg = arg;
	b->n = n;
	/* running counts one extra until every job is started, so none delivers early. */
	b->running = 1;
	for (size_t i = 0; i < n; i++) {
		if ((rc = caa_job_start(v, &items[i], &b->res[i], &j)) != 0) {
			last = rc;
			snprintf(detail, sizeof(detail), "CAA for %s cannot be looked up now (%s)",
			    b->res[i].item.name, err_str(rc));
			caa_fail(&b->res[i], 1, "dns", detail);
			continue;
		}
		j->batch = b;
		b->running++;
	}
	if (b->running == 1) {
		free(b);
		return last;
	}
	b->running--;
	return 0;
}
