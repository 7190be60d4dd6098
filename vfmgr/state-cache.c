#include "vfmgr/state-cache.h"
#include "util/cleanup.h"
#include "util/file.h"
#include "util/log.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CACHE_NAME "state.cache"
/* A state file is at most 16 MiB; its structs take less room than its text. */
#define CACHE_MAX (48u << 20)

static const char cache_magic[16] = "vfmgr state 1\n";

/* The file: this head, the state file's text, then the allocations, passthrough entries and
 * RSS keys as this binary lays out their structs. */
struct cache_head {
	char magic[16];
	/* The binary that wrote it (another build may lay the structs out otherwise). */
	uint64_t exe_dev, exe_ino, exe_size, exe_mtime_ns;
	uint64_t sizes[3];
	uint64_t text_len, n, n_pts, n_keys;
};

static const char *cache_dir;

void state_cache_at(const char *dir)
{
	cache_dir = dir;
}

bool state_cache_enabled(void)
{
	return cache_dir != NULL;
}

static int head_init(struct cache_head *h, size_t text_len, const struct state *s)
{
	struct stat st;

	memset(h, 0, sizeof(*h));
	if (stat("/proc/self/exe", &st) < 0)
		return -errno;
	memcpy(h->magic, cache_magic, sizeof(h->magic));
	h->exe_dev = st.st_dev;
	h->exe_ino = st.st_ino;
	h->exe_size = (uint64_t)st.st_size;
	h->exe_mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	h->sizes[0] = sizeof(*s->allocs);
	h->sizes[1] = sizeof(*s->pts);
	h->sizes[2] = sizeof(*s->keys);
	h->text_len = text_len;
	h->n = s->n;
	h->n_pts = s->n_pts;
	h->n_keys = s->n_keys;
	return 0;
}

static int cache_path(char *path, size_t size)
{
	return snprintf(path, size, "%s/%s", cache_dir, CACHE_NAME) >= (int)size ? -ENAMETOOLONG
	                                                                         : 0;
}

/* n elements of size bytes from *p on (NULL for none); -ENOMEM. */
static int take_array(void *dstp, const char **p, uint64_t n, size_t size)
{
	void **dst = dstp;

	*dst = NULL;
	if (n == 0)
		return 0;
	*dst = malloc(n * size);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, *p, n * size);
	*p += n * size;
	return 0;
}

int state_cache_take(const char *text, size_t len, struct state *s)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int dfd = -1;
	struct cache_head h, want;
	char path[PATH_MAX], why[160];
	struct state got = {0};
	size_t blen;

	if (!cache_dir || cache_path(path, sizeof(path)) < 0 ||
	    dir_open_trusted(cache_dir, &dfd, why, sizeof(why)) < 0 ||
	    file_read_regular(path, CACHE_MAX, FILE_OWNER_TRUSTED, &buf, &blen) < 0 ||
	    blen < sizeof(h))
		return -ENOENT;
	memcpy(&h, buf, sizeof(h));
	if (h.n > blen / sizeof(*got.allocs) || h.n_pts > blen / sizeof(*got.pts) ||
	    h.n_keys > blen / sizeof(*got.keys))
		return -ENOENT;
	got.n = h.n;
	got.n_pts = h.n_pts;
	got.n_keys = h.n_keys;
	if (head_init(&want, len, &got) < 0 || memcmp(&h, &want, sizeof(h)) != 0 ||
	    blen != sizeof(h) + len + h.n * sizeof(*got.allocs) + h.n_pts * sizeof(*got.pts) +
	                h.n_keys * sizeof(*got.keys) ||
	    memcmp(buf + sizeof(h), text, len) != 0)
		return -ENOENT;
	const char *p = buf + sizeof(h) + len;
	if (take_array(&got.allocs, &p, h.n, sizeof(*got.allocs)) < 0 ||
	    take_array(&got.pts, &p, h.n_pts, sizeof(*got.pts)) < 0 ||
	    take_array(&got.keys, &p, h.n_keys, sizeof(*got.keys)) < 0) {
		state_free(&got);
		return -ENOENT;
	}
	got.cap = got.n;
	got.cap_pts = got.n_pts;
	got.cap_keys = got.n_keys;
	*s = got;
	return 0;
}

static char *put_bytes(char *p, const void *src, size_t n)
{
	if (n)
		memcpy(p, src, n);
	return p + n;
}

void state_cache_put(const char *text, size_t len, const struct state *s)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int dfd = -1;
	struct cache_head h;
	char why[160];
	int r;

	if (!cache_dir || head_init(&h, len, s) < 0)
		return;
	size_t total = sizeof(h) + len + s->n * sizeof(*s->allocs) + s->n_pts * sizeof(*s->pts) +
	               s->n_keys * sizeof(*s->keys);
	buf = malloc(total);
	if (!buf)
		return;
	char *p = put_bytes(buf, &h, sizeof(h));
	p = put_bytes(p, text, len);
	p = put_bytes(p, s->allocs, s->n * sizeof(*s->allocs));
	p = put_bytes(p, s->pts, s->n_pts * sizeof(*s->pts));
	put_bytes(p, s->keys, s->n_keys * sizeof(*s->keys));
	why[0] = '\0';
	r = dir_open_trusted(cache_dir, &dfd, why, sizeof(why));
	if (r == 0)
		r = file_replace_at(dfd, CACHE_NAME, buf, total);
	else if (why[0])
		log_debug("%s: %s", cache_dir, why);
	if (r < 0)
		log_debug("%s/%s: not kept: %s", cache_dir, CACHE_NAME, strerror(-r));
}
