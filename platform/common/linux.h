/* linux.h: helpers the Linux board files share (platform/common/linux.c). */
#ifndef UPKI_PLATFORM_LINUX_H
#define UPKI_PLATFORM_LINUX_H

/* One log line on stderr, with a UTC timestamp when PLATFORM_LOG_TIMESTAMPS. */
void platform_log_stderr(int level, const char *msg);

#endif
