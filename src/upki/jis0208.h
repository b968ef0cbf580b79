/*
 * jis0208.h: the JIS X 0208 character set as two constant tables, generated at
 * build time by src/upki/gen-jis-table.py (into $(O)/gen/upki/jis0208_table.c)
 * from Python's cp932 and shift_jis codecs. Internal to src/upki/: use sjis.h.
 *
 * A position is the 0-based "kuten index" (row - 1) * 94 + (cell - 1), rows and
 * cells 1..94. Shift_JIS and EUC-JP bytes are arithmetic on the row and cell.
 */
#ifndef UPKI_JIS0208_H
#define UPKI_JIS0208_H

#include <stdint.h>

#define JIS0208_CELLS (94 * 94)
/* 6879 characters plus 6 encode-only aliases (the JIS values where cp932 differs). */
#define JIS0208_ENCODE_LEN 6885

struct jis0208_pair {
	uint16_t ucs; /* Unicode scalar value (all are in the BMP) */
	uint16_t idx; /* kuten index */
};

/* Kuten index -> Unicode (cp932's view); 0 where the position is unassigned. */
extern const uint16_t jis0208_decode[JIS0208_CELLS];
/* Sorted by ucs, for binary search. */
extern const struct jis0208_pair jis0208_encode[JIS0208_ENCODE_LEN];

/* Kuten index of cp, or -1 when cp is not in JIS X 0208 (sjis.c). */
int jis0208_index(uint32_t cp);

#endif
