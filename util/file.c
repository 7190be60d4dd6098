#include "util/file.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	default:
		return "a special file";
	}
}

static int read_fd(int fd, size_t max, unsigned flags, char **ret, size_t *ret_len);

int file_read_regular(const char *path, size_t max, unsigned flags, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;

	/* O_NONBLOCK: opening a FIFO with no writer would wait forever otherwise. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return read_fd(fd, max, flags, ret, ret_len);
}

static int read_fd(int fd, size_t max, unsigned flags, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOEXEC;
	if ((flags & FILE_OWNER_TRUSTED) && st.st_uid != 0 && st.st_uid != geteuid())
		return -EPERM;
	/* What vfmgr writes (0600): another user could have rewritten a file others may write. */
	if ((flags & FILE_OWNER_TRUSTED) && (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EACCES;
	if ((size_t)st.st_size > max)
		return -EFBIG;
	/* st_size is a hint only (procfs says 0, a file may grow): the loop bounds the read. */
	cap = (size_t)st.st_size + 1 < 4096 ? 4096 : (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t want = cap - 1 - len;
		ssize_t n = file_read_full(fd, buf + len, want);
		char *nb;

		if (n < 0)
			return (int)n;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
		if ((size_t)n < want)
			break;
		/* The buffer is full: grow it, unless that is past max already. */
		if (cap > max + 1)
			return -EFBIG;
		cap *= 2;
		nb = realloc(buf, cap);
		if (!nb)
			return -ENOMEM;
		buf = nb;
	}
	buf[len] = '\0';
	*ret = steal_ptr(&buf);
	*ret_len = len;
	return 0;
}

static int check_owner(const struct stat *st, const char *what, char *why, size_t whysize)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(why, whysize, "%s is owned by uid %u, not by root", what,
		         (unsigned)st->st_uid);
		return -EPERM;
	}
	return 0;
}

int dir_open_trusted(const char *path, int *dfd, char *why, size_t whysize)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	*dfd = -1;
	why[0] = '\0';
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP || r == -ENOTDIR)
			snprintf(why, whysize, "not a directory (a symbolic link or a file)");
		return r;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	r = check_owner(&st, "the directory", why, whysize);
	if (r < 0)
		return r;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !((st.st_mode & S_ISVTX) && st.st_uid == 0)) {
		snprintf(why, whysize, "the directory is writable by %s (mode %04o)",
		         st.st_mode & S_IWOTH ? "others" : "its group",
		         (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	*dfd = fd;
	fd = -1;
	return 0;
}

int lockfile_open(int dfd, const char *name, int *fd, char *why, size_t whysize)
{
	_cleanup_close_ int f = -1;
	struct stat st;
	int r;

	*fd = -1;
	why[0] = '\0';
	f = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
	           0600);
	if (f < 0) {
		r = -errno;
		if (r == -ELOOP)
			snprintf(why, whysize, "is a symbolic link");
		return r;
	}
	if (fstat(f, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whysize, "is %s, not a regular file", file_kind(st.st_mode));
		return -EPERM;
	}
	r = check_owner(&st, "it", why, whysize);
	if (r < 0)
		return r;
	*fd = f;
	f = -1;
	return 0;
}

ssize_t file_read_some(int fd, void *buf, size_t n)
{
	for (;;) {
		ssize_t r = read(fd, buf, n);
		if (r >= 0 || errno != EINTR)
			return r < 0 ? -errno : r;
	}
}

ssize_t file_read_full(int fd, void *buf, size_t n)
{
	size_t len = 0;

	while (len < n) {
		ssize_t r = file_read_some(fd, (char *)buf + len, n - len);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	return (ssize_t)len;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int file_replace_at(int dfd, const char *name, const char *data, size_t len)
{
	_cleanup_close_ int fd = -1;
	char tmp[256];
	int r = -EEXIST;

	/* A name nobody can have planted: O_EXCL fails on anything already there, symlinks
	 * included, so the write never lands outside this directory. */
	for (int tries = 0; tries < 16 && fd < 0; tries++) {
		unsigned long long rnd;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (unsigned long long)getpid() * 2654435761ULL + (unsigned)tries;
		if (snprintf(tmp, sizeof(tmp), ".%s.%016llx.tmp", name, rnd) >= (int)sizeof(tmp))
			return -ENAMETOOLONG;
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return r;
	r = write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	/* rename replaces name itself, never what a symlink of that name points to. */
	if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dfd, tmp, 0);
		return r;
	}
	fsync(dfd);
	return 0;
}

int file_read_trusted(int dfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;

	fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	return read_fd(fd, max, FILE_OWNER_TRUSTED, ret, ret_len);
}
