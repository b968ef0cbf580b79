/* file.h: whole small files, read with a bound and written atomically. */
#ifndef UPKI_FILE_H
#define UPKI_FILE_H

#include <stddef.h>

/*
 * Read all of path (at most max bytes: ERR_TOOBIG past that) into *out, a
 * malloc'ed, NUL-terminated copy (the NUL is not counted in *len). 0 or -errno.
 */
int file_read_all(const char *path, size_t max, char **out, size_t *len);

/*
 * Replace path with data: a temporary file with mode, fsync, rename. Readers
 * see the old or the new content, never a mix. 0 or -errno.
 */
int file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

#endif
