/*
 * rec.h: bounded binary codec for stored records. No allocation.
 *
 * Encoding: integers big-endian; byte strings and text as a u32 length then the
 * bytes; fixed-size fields (hashes) raw. The first byte of every record is its
 * version (records.c).
 *
 * Both sides are sticky: after the first error every later call does nothing
 * (reads yield zeros / empty strings), so a codec can run its whole field list
 * and check the error once at the end.
 */
#ifndef UPKI_STORE_REC_H
#define UPKI_STORE_REC_H

#include <stddef.h>
#include <stdint.h>

/* Writer over a caller buffer. err: ERR_TOOBIG when the buffer is too small,
 * ERR_RANGE when a string is not NUL-terminated within its array. */
struct rec_w {
	uint8_t *p;
	size_t cap;
	size_t len;
	int err;
};

void rec_w_init(struct rec_w *w, void *buf, size_t cap);
void rec_w_u8(struct rec_w *w, uint8_t v);
void rec_w_u16(struct rec_w *w, uint16_t v);
void rec_w_u32(struct rec_w *w, uint32_t v);
void rec_w_u64(struct rec_w *w, uint64_t v);
void rec_w_i64(struct rec_w *w, int64_t v);
/* n bytes without a length prefix (fixed-size fields). */
void rec_w_raw(struct rec_w *w, const void *p, size_t n);
/* u32 length prefix, then n bytes. */
void rec_w_bytes(struct rec_w *w, const void *p, size_t n);
/* The C string s held in an array of cap bytes: length prefix, then its bytes. */
void rec_w_str(struct rec_w *w, const char *s, size_t cap);
/* 0 and *len = bytes written, or the sticky error. */
int rec_w_finish(const struct rec_w *w, size_t *len);

/* Reader over a caller buffer. err: ERR_MALFORMED on truncation, a length over
 * the remaining bytes or over the destination, or a NUL inside a string. */
struct rec_r {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err;
};

void rec_r_init(struct rec_r *r, const void *buf, size_t len);
int rec_r_u8(struct rec_r *r, uint8_t *v);
int rec_r_u16(struct rec_r *r, uint16_t *v);
int rec_r_u32(struct rec_r *r, uint32_t *v);
int rec_r_u64(struct rec_r *r, uint64_t *v);
int rec_r_i64(struct rec_r *r, int64_t *v);
int rec_r_raw(struct rec_r *r, void *dst, size_t n);
/* Length-prefixed bytes into dst (cap bytes); *n gets the length. */
int rec_r_bytes(struct rec_r *r, void *dst, size_t cap, size_t *n);
/* Length-prefixed text into dst (cap bytes incl. the NUL): length < cap, no NUL inside. */
int rec_r_str(struct rec_r *r, char *dst, size_t cap);
/* Mark the input malformed (a field value out of its range). Returns ERR_MALFORMED. */
int rec_r_fail(struct rec_r *r);
/* 0 if no error and every byte was consumed, else ERR_MALFORMED (or the sticky error). */
int rec_r_done(const struct rec_r *r);

#endif
