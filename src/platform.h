/*
 * platform.h: the narrow interface every platform implements (platform/<name>/).
 *
 * Exactly one platform is selected in Kconfig; the host platform is a first-class
 * platform, not a special case. Nothing here allocates.
 */
#ifndef UPKI_PLATFORM_H
#define UPKI_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include "autoconf.h"

#if ENABLE_PLATFORM_HOST + ENABLE_PLATFORM_APPLIANCE_X86_64 + ENABLE_PLATFORM_APPLIANCE_AARCH64 != 1
#error "exactly one platform must be selected in Kconfig"
#endif

enum platform_log_level { PLOG_ERR = 0, PLOG_WARN = 1, PLOG_INFO = 2, PLOG_DEBUG = 3 };

/* One-time set-up before anything else runs; 0 or -errno. */
int platform_init(void);
void platform_fini(void);

/*
 * Housekeeping the board wants from the event loop (the appliance kicks its
 * watchdog here): main calls platform_tick() every platform_tick_s() seconds
 * from the reactor; 0 means no timer at all (the host).
 */
unsigned platform_tick_s(void);
void platform_tick(void);

/*
 * Fill buf with len cryptographically strong random bytes. Blocks only at boot
 * until the kernel pool is ready. 0, or -errno (then buf must not be used).
 */
int platform_random(void *buf, size_t len);

/* Milliseconds from an arbitrary origin; never goes back. All deadlines use this. */
uint64_t platform_mono_ms(void);

/*
 * Seconds since the Unix epoch (UTC), from the wall clock. On the host
 * platform, tests may shift it with UPKI_CLOCK_OFFSET=<signed seconds> in the
 * environment (platform/host/host.c; a warning is logged at start).
 */
int64_t platform_wall_s(void);

/*
 * Nonzero when the wall clock can be trusted for validity windows (an appliance
 * without RTC refuses to issue until NTP or an operator set it).
 */
int platform_clock_sane(void);

/* Write one complete log line (no trailing newline in msg). Never fails. */
void platform_log(int level, const char *msg);

/* Default data directory (Kconfig PLATFORM_DATA_DIR); the config may override it. */
const char *platform_data_dir(void);

/* Create dir and its missing parents with mode; 0 or -errno. */
int platform_mkdir_p(const char *dir, unsigned mode);

/*
 * Detach from the terminal (fork, setsid, stdio to /dev/null). Returns 0 in the
 * child that goes on, never returns in the parent; -errno on failure.
 */
int platform_daemonize(void);

#endif
