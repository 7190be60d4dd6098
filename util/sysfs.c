#include "util/sysfs.h"
#include "util/progress.h"
#include "util/cleanup.h"
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char root[PATH_MAX];
static unsigned long writes;

void sysfs_set_root(const char *r)
{
	snprintf(root, sizeof(root), "%s", r ? r : "");
	/* A trailing slash would double up with the absolute paths callers pass. */
	size_t n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		root[--n] = '\0';
}

const char *sysfs_root(void)
{
	return root;
}

static int vpath(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = snprintf(buf, size, "%s", root);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	int m = vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	if (m < 0 || (size_t)m >= size - (size_t)n)
		return -ENAMETOOLONG;
	return 0;
}

/* Expands the caller's format into a local PATH_MAX buffer named p, or returns its error. */
#define ROOTED(p, fmt)                                                                             \
	char p[PATH_MAX];                                                                          \
	do {                                                                                       \
		va_list ap_;                                                                       \
		va_start(ap_, fmt);                                                                \
		int r_ = vpath(p, sizeof(p), fmt, ap_);                                            \
		va_end(ap_);                                                                       \
		if (r_ < 0)                                                                        \
			return r_;                                                                 \
	} while (0)

int sysfs_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int r = vpath(buf, size, fmt, ap);
	va_end(ap);
	return r;
}

bool sysfs_exists(const char *fmt, ...)
{
	char p[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	int r = vpath(p, sizeof(p), fmt, ap);
	va_end(ap);
	return r == 0 && access(p, F_OK) == 0;
}

DIR *sysfs_opendir(const char *fmt, ...)
{
	char p[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	int r = vpath(p, sizeof(p), fmt, ap);
	va_end(ap);
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	return opendir(p);
}

/* Reads the whole attribute; one that does not fit is an error (-EOVERFLOW), never a silently
 * cut value (a CPU list cut at 64 bytes reads as fewer CPUs). */
static int read_file_at(int dfd, const char *p, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	size_t len;
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	fd = openat(dfd, p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = file_read_full(fd, buf, size - 1);
	if (n < 0)
		return (int)n;
	len = (size_t)n;
	/* Full: only the attribute's final newline may be left, nothing else. */
	if (len == size - 1) {
		char extra[2];
		ssize_t got = file_read_full(fd, extra, sizeof(extra));
		if (got > 1 || (got == 1 && extra[0] != '\n'))
			return -EOVERFLOW;
	}
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return 0;
}

static int read_file(const char *p, char *buf, size_t size)
{
	return read_file_at(AT_FDCWD, p, buf, size);
}

static int parse_long(const char *buf, long *out)
{
	char *end;

	errno = 0;
	long v = strtol(buf, &end, 0);
	if (errno || end == buf || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int sysfs_read_str(char *buf, size_t size, const char *fmt, ...)
{
	ROOTED(p, fmt);
	return read_file(p, buf, size);
}

int sysfs_read_str_at(int dfd, const char *name, char *buf, size_t size)
{
	return read_file_at(dfd, name, buf, size);
}

int sysfs_read_long_at(int dfd, const char *name, long *out)
{
	char buf[64];
	int r = read_file_at(dfd, name, buf, sizeof(buf));

	return r < 0 ? r : parse_long(buf, out);
}

int sysfs_read_long(long *out, const char *fmt, ...)
{
	char buf[64];
	ROOTED(p, fmt);
	int r = read_file(p, buf, sizeof(buf));

	return r < 0 ? r : parse_long(buf, out);
}

int sysfs_read_link_name(char *buf, size_t size, const char *fmt, ...)
{
	char target[PATH_MAX];
	ROOTED(p, fmt);
	ssize_t n = readlink(p, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= size)
		return -ENAMETOOLONG;
	memcpy(buf, base, strlen(base) + 1);
	return 0;
}

int sysfs_write_str(const char *value, const char *fmt, ...)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ROOTED(p, fmt);

	/* O_TRUNC as the shell's `>` does: no effect on sysfs or procfs attributes, and a
	 * shorter value fully replaces a longer one in the plain files of a fake tree. */
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	writes++;
	ssize_t n = write(fd, value, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

/* The child does only the write: no descriptor of the caller's (the apply lock, a pipe to a
 * shell waiting for our output) stays open in it, so a child the kernel never lets go of holds
 * nothing but the attribute. Its exit status carries the errno. */
/* The child reports its result through a pipe, not its exit status: a tool wrapped around
 * vfmgr can change that (valgrind --error-exitcode makes a forked child exit with its own code
 * for the parent's allocations it still holds). */
_Noreturn static void write_child(const char *p, const char *value, size_t len, int result_fd)
{
	/* Out of the way of 0-2 first: a caller with a closed stdio gets low pipe fds. */
	int rfd = result_fd >= 3 ? result_fd : fcntl(result_fd, F_DUPFD, 3);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int err = 0;

	for (int i = 0; i < 3 && null >= 0; i++)
		dup2(null, i);
	if (rfd < 0 || (rfd != 3 && dup2(rfd, 3) < 0))
		_exit(1);
	close_range(4, ~0U, 0);
	int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
	} else {
		ssize_t n = write(fd, value, len);
		err = n < 0 ? errno : (size_t)n == len ? 0 : EIO;
	}
	/* A parent that gave up has closed its end: EPIPE, not SIGPIPE. The exit status only
	 * echoes the result. */
	signal(SIGPIPE, SIG_IGN);
	ssize_t told = write(3, &err, sizeof(err));
	(void)told; /* nobody left to tell when it fails */
	_exit(err ? 1 : 0);
}

/* Children given up on; a long-running caller (the daemon) reaps those that have finished. */
static pid_t given_up[16];

static void reap_given_up(void)
{
	for (size_t i = 0; i < sizeof(given_up) / sizeof(given_up[0]); i++)
		if (given_up[i] > 0 && waitpid(given_up[i], NULL, WNOHANG) != 0)
			given_up[i] = 0;
}

static void remember_given_up(pid_t pid)
{
	for (size_t i = 0; i < sizeof(given_up) / sizeof(given_up[0]); i++)
		if (given_up[i] == 0) {
			given_up[i] = pid;
			return;
		}
}

void sysfs_bounded_why(char *why, size_t whysize, const char *what, int r, unsigned timeout_ms,
                       pid_t stuck)
{
	if (r == -ETIMEDOUT)
		snprintf(why, whysize,
		         "%s did not finish within %u s: the kernel is blocked in the driver "
		         "(process %d, in D state: cat /proc/%d/stack)",
		         what, timeout_ms / 1000, (int)stuck, (int)stuck);
	else
		snprintf(why, whysize, "%s: %s", what, strerror(-r));
}

int sysfs_write_bounded(const char *value, unsigned timeout_ms, pid_t *stuck, const char *fmt, ...)
{
	size_t len = strlen(value);
	struct timespec start, t;
	long waited_us = 0, step_us = 500;
	struct progress pr;
	int status;
	ROOTED(p, fmt);

	*stuck = 0;
	reap_given_up();
	int result[2];
	if (pipe2(result, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(result[0]);
		close(result[1]);
		return e;
	}
	if (pid == 0)
		write_child(p, value, len, result[1]);
	close(result[1]);
	writes++;
	clock_gettime(CLOCK_MONOTONIC, &start);
	progress_start(&pr, timeout_ms / 1000.0, "writing %s to %s", value, p + strlen(root));
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w < 0 && errno != EINTR) {
			int e = -errno;
			progress_end(&pr);
			close(result[0]);
			return e;
		}
		if (w == pid)
			break;
		progress_tick(&pr);
		clock_gettime(CLOCK_MONOTONIC, &t);
		waited_us =
		    (t.tv_sec - start.tv_sec) * 1000000L + (t.tv_nsec - start.tv_nsec) / 1000;
		if (waited_us >= (long)timeout_ms * 1000L) {
			/* Not killed: a task in uninterruptible sleep ignores SIGKILL, and one
			 * that is merely slow must be allowed to finish what the kernel started. */
			*stuck = pid;
			remember_given_up(pid);
			progress_end(&pr);
			close(result[0]);
			return -ETIMEDOUT;
		}
		/* Most writes take milliseconds; poll fast first, then every 20 ms. */
		usleep((useconds_t)step_us);
		if (step_us < 20000)
			step_us *= 2;
	}
	progress_end(&pr);
	int err;
	ssize_t n = read(result[0], &err, sizeof(err));
	close(result[0]);
	/* A child that died before it could say (a signal) reports nothing. */
	if (n != (ssize_t)sizeof(err) || err < 0 || !WIFEXITED(status))
		return -EIO;
	return -err;
}

unsigned long sysfs_write_count(void)
{
	return writes;
}
