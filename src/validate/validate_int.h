/*
 * validate_int.h: what the validation methods share inside src/validate/.
 * The validator (validator.c) owns the event base, the resolver and the
 * settings; each method (http01.c, and the others as they come) keeps its own
 * list of running validations and frees it in its *_cancel_all(), which
 * validator_free() calls without running any callback.
 */
#ifndef UPKI_VALIDATE_INT_H
#define UPKI_VALIDATE_INT_H

struct event_base;
struct resolver;
struct v01;
struct caa_job;

struct validator {
	struct event_base *base;
	struct resolver *res;        /* NULL: no resolver configured, every validation fails */
	int http01_port;             /* port of http-01 GETs (80 unless set for tests) */
	struct v01 *http01_pending;  /* running http-01 validations (http01.c) */
	unsigned http01_npending;
	struct caa_job *caa_pending;      /* running CAA checks (caa.c) */
	unsigned caa_npending;
	struct caa_issuers *caa_issuers;  /* caa_identities, parsed */
};

/* Drop every running http-01 validation without calling its callback. */
void http01_cancel_all(struct validator *v);

struct config;
/* Parse cfg->caa_identities into v->caa_issuers: 0, ERR_CONFIG (logged), ERR_NOMEM. */
int caa_issuers_new(struct validator *v, const struct config *cfg);

/* Drop every running CAA check without calling its callback. */
void caa_cancel_all(struct validator *v);

#endif
