/*
 * buf.h: a growable byte buffer with a hard maximum. Appends past max fail with
 * ERR_TOOBIG and leave the buffer as it was. The content is not NUL-terminated
 * unless buf_cstr() is called.
 */
#ifndef UPKI_BUF_H
#define UPKI_BUF_H

#include <stddef.h>

struct buf {
	unsigned char *p;
	size_t len;
	size_t cap;
	size_t max;
};

void buf_init(struct buf *b, size_t max);
/* Make room for extra more bytes; 0, ERR_TOOBIG or ERR_NOMEM. */
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* NUL-terminate (not counted in len) and return the text; NULL if no room. */
const char *buf_cstr(struct buf *b);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

#endif
