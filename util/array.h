/* Growable arrays of plain structs: (pointer, count, capacity) triples. */
#ifndef VFMGR_UTIL_ARRAY_H
#define VFMGR_UTIL_ARRAY_H

#include <stddef.h>

/* Appends one zeroed element and returns it, or NULL when out of memory (array unchanged). */
void *array_append(void *arrayp, size_t *n, size_t *cap, size_t elsize);

/* *dstp gets a malloc'd copy of the n elements at src (NULL for none); 0 or -ENOMEM. */
int array_dup(void *dstp, const void *src, size_t n, size_t elsize);

#define ARRAY_APPEND(arr, n, cap)                                                                  \
	((__typeof__(arr))array_append(&(arr), &(n), &(cap), sizeof(*(arr))))

#endif
