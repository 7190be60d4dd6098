#include "util/sysfs.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
static int read_file(const char *p, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	size_t len = 0;
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	/* Full: only the attribute's final newline may be left, nothing else. */
	if (len == size - 1) {
		char extra[2];
		size_t got = 0;
		while (got < sizeof(extra)) {
			n = read(fd, extra + got, sizeof(extra) - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got > 1 || (got == 1 && extra[0] != '\n'))
			return -EOVERFLOW;
	}
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return 0;
}

int sysfs_read_str(char *buf, size_t size, const char *fmt, ...)
{
	ROOTED(p, fmt);
	return read_file(p, buf, size);
}

int sysfs_read_long(long *out, const char *fmt, ...)
{
	char buf[64], *end;
	ROOTED(p, fmt);
	int r = read_file(p, buf, sizeof(buf));

	if (r < 0)
		return r;
	errno = 0;
	long v = strtol(buf, &end, 0);
	if (errno || end == buf || *end)
		return -EINVAL;
	*out = v;
	return 0;
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

unsigned long sysfs_write_count(void)
{
	return writes;
}
