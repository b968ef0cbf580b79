/*
 * poll.h: the coalesced bulk download (poll.c) that completes, rejects or
 * resubmits every pending job. Below: job.h (the transitions), upki_core.h,
 * session.h; above: backend.c.
 */
#ifndef UPKI_POLL_H
#define UPKI_POLL_H

#include <stddef.h>
#include <stdint.h>

struct upki;
struct upki_poll;

#define UPKI_CLOCK_SKEW_S 600        /* [I] UPKI's clock vs ours when reading 申請日時 */
#define UPKI_COMPLETE_BATCH 16       /* certificates stored per commit while streaming */

/* Start one bulk download serving every pending job. 0 (u->busy set) or an error. */
int upki_poll_start(struct upki *u);

/*
 * The same without the network (unit tests): begin a poll snapshot at now, feed
 * bulk TSV bytes, end (complete: the whole listing was read). end applies the
 * decisions and frees p; returns the parse result.
 */
int upki_poll_begin(struct upki *u, struct upki_poll **out, int64_t now);
int upki_poll_feed(struct upki_poll *p, const void *data, size_t n);
int upki_poll_end(struct upki_poll *p, int complete);
void upki_poll_free(struct upki_poll *p);

#endif
