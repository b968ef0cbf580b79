/*
 * sjis.h: the two Japanese encodings UPKI uses, converted without iconv (a static
 * appliance binary has no gconv modules): Shift_JIS for TSV files (the cp932 /
 * Windows-31J view of it, as the UPKI server reads it) and EUC-JP for the
 * result pages. Tables are compiled in (jis0208.h, generated from Python's
 * codecs at build time).
 *
 * Character set policy, the same for both encodings:
 *  - encoders (UTF-8 -> X) accept ASCII (U+0000..U+007F, written as one byte)
 *    and the 6879 characters of JIS X 0208 only. UPKI refuses anything else, so
 *    everything else is refused here: half-width katakana, cp932's NEC and IBM
 *    extensions (e.g. 髙 U+9AD9, ① U+2460), JIS X 0212/0213, emoji, U+20BB7 𠮷.
 *    Where cp932 and JIS map a position differently (～ U+FF5E vs 〜 U+301C, and
 *    five more) both Unicode values encode to that position.
 *  - decoders (X -> UTF-8) also decode half-width katakana (JIS X 0201). An
 *    undecodable sequence (an extension character, a user-defined character,
 *    JIS X 0212 in EUC-JP, a broken byte pair) fails, or becomes U+FFFD with
 *    JIS_REPLACE.
 *  - byte 0x5C is '\' and 0x7E is '~' (cp932 behaviour, not JIS X 0201 yen).
 *
 * Common rules of the four converters:
 *  - out receives the converted text and a terminating NUL; outsz must hold both.
 *    out may be NULL to only measure: then outsz is ignored.
 *  - *outlen (not NULL) gets the length without the NUL, on success only.
 *  - bad_offset (may be NULL) gets the byte offset in the input of the first
 *    offending character: the character that failed, or with JIS_REPLACE the
 *    first one replaced; JIS_NO_OFFSET when there is none.
 *  - return 0; ERR_MALFORMED (input is not valid in its encoding: broken UTF-8,
 *    overlong forms, surrogates; or an undecodable byte sequence without
 *    JIS_REPLACE); ERR_UNSUPPORTED (encoders: a valid character outside the set
 *    above); ERR_TOOBIG (out too small). Nothing allocates.
 */
#ifndef UPKI_SJIS_H
#define UPKI_SJIS_H

#include <stddef.h>
#include <stdint.h>

#define JIS_REPLACE 1u                /* decoder flag: U+FFFD instead of failing */
#define JIS_NO_OFFSET ((size_t)-1)
#define JIS_INVALID UINT32_MAX        /* returned by the *_decode_next functions */

int sjis_from_utf8(char *out, size_t outsz, size_t *outlen, const char *utf8, size_t n,
    size_t *bad_offset);
int sjis_to_utf8(char *out, size_t outsz, size_t *outlen, const void *sjis, size_t n,
    unsigned flags, size_t *bad_offset);
int eucjp_from_utf8(char *out, size_t outsz, size_t *outlen, const char *utf8, size_t n,
    size_t *bad_offset);
int eucjp_to_utf8(char *out, size_t outsz, size_t *outlen, const void *eucjp, size_t n,
    unsigned flags, size_t *bad_offset);

/*
 * Decode one character at s[*pos] (*pos < n) and advance *pos past it. Returns
 * the Unicode value, or JIS_INVALID for an undecodable sequence (then *pos has
 * moved past the bytes that belong to it, at least one).
 */
uint32_t sjis_decode_next(const unsigned char *s, size_t n, size_t *pos);
uint32_t eucjp_decode_next(const unsigned char *s, size_t n, size_t *pos);

/*
 * Nonzero when cp is one byte in the encoders (ASCII) or one JIS X 0208
 * character: what UPKI accepts in a TSV cell, before any column rule.
 */
int jis_ucs_encodable(uint32_t cp);

/*
 * UTF-8 helpers used by the converters and the TSV code.
 * upki_utf8_next: decode the character at s[*pos] (*pos < n), strictly (no
 * overlong forms, surrogates or values over U+10FFFF); advance *pos; 0 or
 * ERR_MALFORMED (then *pos is unchanged).
 * upki_utf8_put: write cp (<= U+10FFFF, no surrogate) as UTF-8 into out (>= 4
 * bytes); returns the byte count.
 * upki_utf8_check: validate s; *nchars (may be NULL) gets the character count;
 * 0 or ERR_MALFORMED with *bad_offset (may be NULL) at the broken byte.
 */
int upki_utf8_next(const char *s, size_t n, size_t *pos, uint32_t *cp);
size_t upki_utf8_put(char *out, uint32_t cp);
int upki_utf8_check(const char *s, size_t n, size_t *nchars, size_t *bad_offset);
/*
 * upki_utf8_trim: cut the NUL-terminated s at its first invalid sequence (as
 * left by snprintf cutting a character in two); returns the new length.
 * upki_utf8_clip: the length of the longest prefix of s, at most max bytes,
 * that ends on a character boundary (for "%.*s").
 */
size_t upki_utf8_trim(char *s);
int upki_utf8_clip(const char *s, int max);

#endif
