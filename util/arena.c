#include "util/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Chunks grow geometrically so a 100k-VM policy needs only a few dozen malloc calls. */
#define ARENA_MIN_CHUNK (16 * 1024)
#define ARENA_MAX_CHUNK (4 * 1024 * 1024)
#define ARENA_ALIGN     alignof(max_align_t)

struct arena_chunk {
	struct arena_chunk *prev;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct arena_chunk *top;
	size_t next_size;
};

struct arena *arena_new(void)
{
	struct arena *a = calloc(1, sizeof(*a));

	if (a)
		a->next_size = ARENA_MIN_CHUNK;
	return a;
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	while (a->top) {
		struct arena_chunk *c = a->top;
		a->top = c->prev;
		free(c);
	}
	free(a);
}

static struct arena_chunk *arena_grow(struct arena *a, size_t need)
{
	size_t size = a->next_size;
	struct arena_chunk *c;

	if (size < need)
		size = need;
	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->prev = a->top;
	c->size = size;
	c->used = 0;
	a->top = c;
	if (a->next_size < ARENA_MAX_CHUNK)
		a->next_size *= 2;
	return c;
}

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c = a->top;
	void *p;

	if (size > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	size = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (size == 0)
		size = ARENA_ALIGN;
	if (!c || c->size - c->used < size) {
		c = arena_grow(a, size);
		if (!c)
			return NULL;
	}
	p = c->data + c->used;
	c->used += size;
	return memset(p, 0, size);
}

void *arena_alloc_array(struct arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return arena_alloc(a, n * size);
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		return NULL;
	p = arena_alloc(a, len + 1);
	if (p)
		memcpy(p, s, len);
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}
