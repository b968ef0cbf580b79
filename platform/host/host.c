/* Host platform: Linux with glibc or musl; no NSS, no dlopen. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform.h"
#include "../common/linux.h"

/*
 * Test hook: UPKI_CLOCK_OFFSET=<signed seconds> in the environment shifts the
 * wall clock (platform_wall_s, and so platform_clock_sane) by that much, so
 * that a test can run the gateway "before the build date". The monotonic
 * clock and log timestamps are not shifted. A value that is not a whole
 * number is ignored. Read once.
 */
static int64_t
wall_offset(void)
{
	static int done;
	static int64_t off;
	const char *s;
	char *end;
	long long v;

	if (done)
		goto out;
	done = 1;
	s = getenv("UPKI_CLOCK_OFFSET");
	if (s == NULL || *s == '\0')
		goto out;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == 0 && *end == '\0')
		off = v;
out:
	return off;
}

int
platform_init(void)
{
	/* A peer closing a socket must not kill the process: writes see EPIPE. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;
	tzset();
	if (wall_offset() != 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "UPKI_CLOCK_OFFSET: the wall clock is shifted by %lld s "
		    "(a test hook)", (long long)wall_offset());
		platform_log(PLOG_WARN, msg);
	}
	return 0;
}

void
platform_fini(void)
{
}

unsigned
platform_tick_s(void)
{
	return 0;
}

void
platform_tick(void)
{
}

int64_t
platform_wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec + wall_offset();
}

int
platform_clock_sane(void)
{
	/* Any time before this project existed means an unset clock. */
	return platform_wall_s() > 1767225600; /* 2026-01-01T00:00:00Z */
}

void
platform_log(int level, const char *msg)
{
	platform_log_stderr(level, msg);
}
