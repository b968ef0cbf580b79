/* timefmt.h: RFC 3339 UTC timestamps as ACME uses them ("2026-11-23T18:33:36Z"). */
#ifndef UPKI_TIMEFMT_H
#define UPKI_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define TIMEFMT_RFC3339_LEN 21  /* with NUL */

/* Write t (Unix seconds) into out (>= TIMEFMT_RFC3339_LEN); 0 or ERR_RANGE. */
int timefmt_rfc3339(char *out, size_t outsz, int64_t t);

/* Parse "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)"; 0 or ERR_MALFORMED. */
int timefmt_parse_rfc3339(const char *s, size_t n, int64_t *t);

/* Days from 1970-01-01 for a proleptic Gregorian date (no libc time zone use). */
int64_t timefmt_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
