/*
 * What every Linux platform shares: entropy, the monotonic clock, the data
 * directory, mkdir -p and daemonizing. The board files (host/, appliance/)
 * add start-up, the wall clock and logging.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "platform.h"
#include "linux.h"

/* getrandom() without GRND_NONBLOCK: blocks at boot until the kernel pool is ready, never a weak fallback. */
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

void
platform_log_stderr(int level, const char *msg)
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
