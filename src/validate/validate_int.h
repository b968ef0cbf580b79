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
struct d01;

struct validator {
	struct event_base *base;
	struct resolver *res;        /* NULL: no resolver configured, every validation fails */
	int http01_port;             /* port of http-01 GETs (80 unless set for tests) */
	struct v01 *http01_pending;  /* running http-01 validations (http01.c) */
	unsigned http01_npending;
	struct d01 *dns01_pending;   /* running dns-01 validations (dns01.c) */
	unsigned dns01_npending;
};

/* Drop every running http-01 validation without calling its callback. */
void http01_cancel_all(struct validator *v);
/* Drop every running dns-01 validation without calling its callback. */
void dns01_cancel_all(struct validator *v);

#endif
