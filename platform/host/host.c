/* Host platform: Linux with glibc or musl; no NSS, no dlopen. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "platform.h"

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

int
platform_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len > 256 ? 256 : len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

uint64_t
platform_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
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
	static const char *const names[] = { "error", "warning", "info", "debug" };
	const char *name = level >= 0 && level <= PLOG_DEBUG ? names[level] : "?";

	if (ENABLE_PLATFORM_LOG_TIMESTAMPS) {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s: %s\n", when, ts.tv_nsec / 1000000L, name, msg);
	} else {
		fprintf(stderr, "%s: %s\n", name, msg);
	}
}

const char *
platform_data_dir(void)
{
	return CONFIG_PLATFORM_DATA_DIR;
}

int
platform_mkdir_p(const char *dir, unsigned mode)
{
	char path[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char saved = path[i];
		path[i] = '\0';
		if (mkdir(path, mode) != 0 && errno != EEXIST)
			return -errno;
		path[i] = saved;
	}
	return 0;
}

int
platform_daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return -errno;
	dup2(fd, 0);
	dup2(fd, 1);
	/* stderr stays: it carries the log unless redirected by the service manager. */
	if (fd > 2)
		close(fd);
	return 0;
}
