/* core.c: the scheduler entry shared by the backend's files (see upki_core.h). */
#include <stdint.h>
#include <sys/time.h>

#include <event2/event.h>

#include "upki/upki_core.h"

void
upki_sched_arm(struct upki *u, int64_t delay_ms)
{
	struct timeval tv;

	if (u->timer == NULL)
		return;
	if (delay_ms < 0)
		delay_ms = 0;
	tv.tv_sec = (time_t)(delay_ms / 1000);
	tv.tv_usec = (suseconds_t)((delay_ms % 1000) * 1000);
	evtimer_add(u->timer, &tv);
}

void
upki_sched_soon(struct upki *u)
{
	upki_sched_arm(u, 0);
}
