/* Bump allocator: many small objects that live and die together (a parsed policy) cost one
 * allocation per chunk and one free for the lot. */
#ifndef VFMGR_UTIL_ARENA_H
#define VFMGR_UTIL_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);
/* Zeroed, aligned for any type; NULL on overflow or out of memory. */
void *arena_alloc(struct arena *a, size_t size);
void *arena_alloc_array(struct arena *a, size_t n, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);

#endif
