/* str.h: small string helpers. */
#ifndef UPKI_STR_H
#define UPKI_STR_H

#include <stddef.h>

/*
 * Copy src into dst[0..sz) and NUL-terminate, cutting it when it does not fit
 * (for texts where a cut is acceptable: problem details, log labels).
 * Returns strlen(src); a result >= sz means the copy was cut. sz must be > 0.
 */
size_t str_copy(char *dst, size_t sz, const char *src);

#endif
