#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/file.h"

int
file_read_all(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *b = NULL;
	size_t got = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto out;
	}
	if (st.st_size < 0 || (size_t)st.st_size > max) {
		rc = ERR_TOOBIG;
		goto out;
	}
	b = malloc((size_t)st.st_size + 1);
	if (b == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : ERR_MALFORMED;   /* shrank under us */
			goto out;
		}
		got += (size_t)n;
	}
	b[got] = '\0';
	*out = b;
	*len = got;
	b = NULL;
out:
	free(b);
	close(fd);
	return rc;
}

int
file_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[4096 + 8];
	const unsigned char *p = data;
	int fd = -1, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) != 0) {
		rc = -errno;
		goto out;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0) {
		rc = -errno;
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = -errno;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		rc = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	return rc;
}
