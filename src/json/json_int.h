/*
 * json_int.h: helpers the json_*.c files share (json/ only).
 */
#ifndef UPKI_JSON_INT_H
#define UPKI_JSON_INT_H

#include <stddef.h>

#include "json/json.h"

/* Length of the valid UTF-8 sequence at s (n bytes left, lead byte >= 0x80), or 0. */
size_t json_utf8_seq(const unsigned char *s, size_t n);

/*
 * Next unescaped unit of an already checked string s (n bytes, without the
 * quotes) from *i on: bytes into o, returns their count (0 at the end or on a
 * defect, which a checked string lacks) and advances *i.
 */
size_t json_str_unit(const char *s, size_t n, size_t *i, unsigned char o[4]);

/* 0 if s (n bytes) is an RFC 8259 number; *is_int says whether it has no
 * fraction or exponent. ERR_MALFORMED otherwise. */
int json_num_check(const char *s, size_t n, int *is_int);

#endif
