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

static void *arena_take(struct arena *a, size_t size, size_t align)
{
	struct arena_chunk *c = a->top;
	size_t off = 0;
	void *p;

	if (size > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	if (c)
		off = (c->used + align - 1) & ~(align - 1);
	if (!c || off > c->size || c->size - off < size) {
		c = arena_grow(a, size);
		if (!c)
			return NULL;
		off = 0;
	}
	p = c->data + off;
	c->used = off + size;
	return p;
}

void *arena_alloc(struct arena *a, size_t size)
{
	void *p = arena_take(a, size ? size : 1, ARENA_ALIGN);

	return p ? memset(p, 0, size) : NULL;
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
	/* Text needs no alignment; packing it keeps big policies in fewer pages. */
	p = arena_take(a, len + 1, 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}
