/*
 * upki_core.h: the backend's shared context (struct upki) and the scheduler
 * entry, owned by core.c. job.c, upload.c and poll.c change the context and
 * ask for the scheduler through upki_sched_soon(); backend.c creates the
 * context and runs the scheduler from u->timer. Nothing here calls up into
 * backend.c, so the graph stays top to bottom (see upki.h).
 */
#ifndef UPKI_UPKI_CORE_H
#define UPKI_UPKI_CORE_H

#include <stdint.h>

#include "acme/issuer.h"
#include "upki/session.h"
#include "upki/upki.h"

struct config;
struct event;
struct event_base;
struct store;
struct tls_client;
struct upki_batch;
struct upki_chains;
struct upki_poll;
struct upki_sess;

struct upki {
	struct issuer is;
	struct event_base *base;
	struct store *store;
	const struct config *cfg;
	struct upki_endpoint ep;
	struct tls_client *tls;
	struct upki_sess *sess;
	struct upki_chains *chains;
	struct event *timer;
	int busy;                     /* an upload or bulk download in flight */
	struct upki_batch *batch;     /* the upload in flight */
	struct upki_poll *poll;       /* the bulk download in flight */
	uint64_t last_bulk_ms;        /* platform_mono_ms() at the start of the last one */
	int have_last_bulk;
	unsigned bulk_fail_streak;
	int64_t next_poll;            /* wall clock; 0: none planned */
	struct upki_stats st;
	int crash_before, crash_after; /* test hooks (UPKI_TEST_COMMANDS) */
	int64_t (*now)(void);         /* wall clock (tests replace it) */
};

/*
 * Run the scheduler (backend.c's timer callback) delay_ms from now (< 0: 0),
 * replacing any earlier plan. Nothing happens before the scheduler exists.
 */
void upki_sched_arm(struct upki *u, int64_t delay_ms);

/*
 * Plan the next step (upload, bulk download, timer) from the reactor, soon:
 * the planner runs from its timer, never inside the caller's frame, so that
 * completion callbacks (upload done, bulk download done) do not re-enter it.
 */
void upki_sched_soon(struct upki *u);

#endif
