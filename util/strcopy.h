/* Bounded string copy that says when it had to cut. */
#ifndef VFMGR_UTIL_STRCOPY_H
#define VFMGR_UTIL_STRCOPY_H

#include <errno.h>
#include <string.h>

/* Copies src into dst[size]; -ENAMETOOLONG (dst = truncated copy) when src does not fit. */
static inline int str_copy(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (size == 0)
		return -ENAMETOOLONG;
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

#endif
