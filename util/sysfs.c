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

int sysfs_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(buf, size, "%s", root);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= size - n)
		return -ENAMETOOLONG;
	return 0;
}

static int rooted(char *buf, size_t size, const char *path)
{
	return sysfs_path(buf, size, "%s", path);
}

bool sysfs_exists(const char *path)
{
	char p[PATH_MAX];

	return rooted(p, sizeof(p), path) == 0 && access(p, F_OK) == 0;
}

int sysfs_read_str(const char *path, char *buf, size_t size)
{
	char p[PATH_MAX];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int r;

	if (size == 0)
		return -EINVAL;
	r = rooted(p, sizeof(p), path);
	if (r < 0)
		return r;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int sysfs_read_long(const char *path, long *out)
{
	char buf[64], *end;
	int r = sysfs_read_str(path, buf, sizeof(buf));

	if (r < 0)
		return r;
	errno = 0;
	long v = strtol(buf, &end, 0);
	if (errno || end == buf || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int sysfs_read_link_name(const char *path, char *buf, size_t size)
{
	char p[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	int r = rooted(p, sizeof(p), path);

	if (r < 0)
		return r;
	n = readlink(p, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= size)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

int sysfs_write_str(const char *path, const char *value)
{
	char p[PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	int r = rooted(p, sizeof(p), path);

	if (r < 0)
		return r;
	fd = open(p, O_WRONLY | O_CLOEXEC);
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
