/*
 * log.h: operator log lines. Format with printf rules; the line is cut at
 * LOG_LINE_MAX bytes and every control character (client data may be logged) is
 * replaced by '?', so one call is always one line.
 */
#ifndef UPKI_LOG_H
#define UPKI_LOG_H

#include "platform.h"

#define LOG_LINE_MAX 1024

void log_set_level(int level);
int log_get_level(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(PLOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(PLOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(PLOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(PLOG_DEBUG, __VA_ARGS__)

#endif
