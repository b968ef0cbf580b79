/*
 * arena.h: per-request (or per-job) memory, freed in one call.
 *
 * An arena grows in chunks up to a hard cap; past the cap every allocation fails
 * (NULL), which callers map to ERR_TOOBIG or ERR_NOMEM. Allocations are aligned
 * for any type and live until arena_free() or arena_reset().
 */
#ifndef UPKI_ARENA_H
#define UPKI_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t total;   /* bytes taken from malloc, chunk headers included */
	size_t cap;     /* most bytes total may reach */
};

/* Set up an empty arena with a cap in bytes. Takes no memory yet. */
void arena_init(struct arena *a, size_t cap);

/* n bytes, aligned; NULL when over the cap or out of memory. */
void *arena_alloc(struct arena *a, size_t n);

/* Like arena_alloc, zero-filled. */
void *arena_zalloc(struct arena *a, size_t n);

/* Copy of s[0..n) plus NUL; NULL as arena_alloc. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* printf into the arena; NULL as arena_alloc. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Free every chunk; the arena can be used again with the same cap. */
void arena_free(struct arena *a);

#endif
