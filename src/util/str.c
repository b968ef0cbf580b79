#include <string.h>

#include "util/str.h"

size_t
str_copy(char *dst, size_t sz, const char *src)
{
	size_t n = strlen(src);
	size_t c = n < sz - 1 ? n : sz - 1;

	memcpy(dst, src, c);
	dst[c] = '\0';
	return n;
}
