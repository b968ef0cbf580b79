/* str.h: small string helpers. */
#ifndef UPKI_STR_H
#define UPKI_STR_H

#include <stddef.h>

/*
 * A string literal and its length, for the (pointer, length) parameters of
 * memcmp, strncmp, http_reply and writers: STR_LIT("ok\n") is `"ok\n", 3`.
 * The length comes from the literal itself, never from a hand count (a hand
 * count once sent the NUL and read past a literal). `"" s ""` refuses
 * anything but a literal at compile time.
 */
#define STR_LIT(s) ("" s ""), (sizeof("" s "") - 1)

/*
 * Copy src into dst[0..sz) and NUL-terminate, cutting it when it does not fit
 * (for texts where a cut is acceptable: problem details, log labels).
 * Returns strlen(src); a result >= sz means the copy was cut. sz must be > 0.
 */
size_t str_copy(char *dst, size_t sz, const char *src);

#endif
