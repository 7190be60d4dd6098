#include "util/array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *array_append(void *arrayp, size_t *n, size_t *cap, size_t elsize)
{
	void **arr = arrayp;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		if (ncap > SIZE_MAX / elsize)
			return NULL;
		void *p = realloc(*arr, ncap * elsize);
		if (!p)
			return NULL;
		*arr = p;
		*cap = ncap;
	}
	void *el = (char *)*arr + *n * elsize;
	memset(el, 0, elsize);
	(*n)++;
	return el;
}

int array_dup(void *dstp, const void *src, size_t n, size_t elsize)
{
	void **dst = dstp;

	*dst = NULL;
	if (!n)
		return 0;
	if (n > SIZE_MAX / elsize)
		return -ENOMEM;
	*dst = malloc(n * elsize);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * elsize);
	return 0;
}
