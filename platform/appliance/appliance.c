/*
 * Appliance boards (appliance-x86_64, appliance-aarch64): a static binary
 * started by the image's init (firmware/init). Beside the shared Linux parts
 * (platform/common/linux.c) it logs to the console and to syslog, kicks the
 * watchdog from the reactor, and trusts the wall clock only when it is past
 * the build's own date (UPKI_BUILD_EPOCH, the commit time, set by
 * platform.mk): a board without a battery-backed clock boots in 1970 or
 * 2000 and must not issue until NTP or an operator set the time.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "platform.h"
#include "../common/linux.h"

#ifndef UPKI_BUILD_EPOCH
#error "platform.mk must define UPKI_BUILD_EPOCH (seconds: when this source was committed)"
#endif

static int wd_fd = -1;

int
platform_init(void)
{
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;
	if (ENABLE_PLATFORM_SYSLOG)
		openlog("upki-acme", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	if (ENABLE_PLATFORM_WATCHDOG && wd_fd < 0) {
		wd_fd = open("/dev/watchdog", O_WRONLY | O_CLOEXEC);
		if (wd_fd < 0 && errno != ENOENT)
			platform_log(PLOG_WARN, "/dev/watchdog: cannot open it: no watchdog kicks");
	}
	return 0;
}

void
platform_fini(void)
{
	if (wd_fd >= 0) {
		/* The magic close: a clean exit does not reset the board. */
		static const char magic = 'V';

		if (write(wd_fd, &magic, sizeof(magic)) != (ssize_t)sizeof(magic))
			platform_log(PLOG_WARN, "/dev/watchdog: the magic close failed");
		close(wd_fd);
		wd_fd = -1;
	}
	if (ENABLE_PLATFORM_SYSLOG)
		closelog();
}

unsigned
platform_tick_s(void)
{
#if ENABLE_PLATFORM_WATCHDOG
	return wd_fd >= 0 ? (unsigned)CONFIG_PLATFORM_WATCHDOG_KICK_S : 0;
#else
	return 0;
#endif
}

void
platform_tick(void)
{
	static const char kick = 'k';

	if (wd_fd >= 0 && write(wd_fd, &kick, sizeof(kick)) != (ssize_t)sizeof(kick))
		platform_log(PLOG_WARN, "/dev/watchdog: a kick failed");
}

int64_t
platform_wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int
platform_clock_sane(void)
{
	return platform_wall_s() >= (int64_t)UPKI_BUILD_EPOCH;
}

void
platform_log(int level, const char *msg)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

	platform_log_stderr(level, msg);
	if (ENABLE_PLATFORM_SYSLOG)
		syslog(level >= 0 && level <= PLOG_DEBUG ? prio[level] : LOG_INFO, "%s", msg);
}
