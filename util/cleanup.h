/* Scope-bound release of resources, so early returns cannot leak. */
#ifndef VFMGR_UTIL_CLEANUP_H
#define VFMGR_UTIL_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void cleanup_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_(f)       __attribute__((cleanup(f)))
#define _cleanup_free_     _cleanup_(cleanup_freep)
#define _cleanup_close_    _cleanup_(cleanup_closep)
#define _cleanup_fclose_   _cleanup_(cleanup_fclosep)
#define _cleanup_closedir_ _cleanup_(cleanup_closedirp)

/* Typed cleanups, declared beside each type (systemd's style):
 * - a heap object freed by func: DEFINE_POINTER_CLEANUP(type, func) declares funcp(type **),
 *   which does nothing for NULL, so `_cleanup_(funcp) type *x = NULL;` is safe on every path;
 * - an object on the stack whose func(struct x *) releases what it holds and leaves it zeroed
 *   (context_free, plan_free, state_free, host_free): `_cleanup_(func) struct x v = {0};`, the
 *   initializer making an early return before it is filled safe. */
#define DEFINE_POINTER_CLEANUP(type, func)                                                         \
	static inline void func##p(type **p)                                                       \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

/* Hand a cleanup-owned pointer over to the caller. */
static inline void *steal_ptr(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}
#define TAKE_PTR(p) steal_ptr(&(p))

static inline int take_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}
#define TAKE_FD(fd) take_fd(&(fd))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
