/* Counted nouns in messages: "1 error", "2 errors", "1 PF", "3 PFs". */
#ifndef VFMGR_UTIL_PLURAL_H
#define VFMGR_UTIL_PLURAL_H

#include <stddef.h>

/* one when n is 1, else many: printf("%zu %s", n, plural(n, "VM", "VMs")). */
static inline const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

#endif
