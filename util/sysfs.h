/* sysfs access under a settable root, so discovery runs on recorded trees in unit tests.
 * Paths are printf formats, absolute as on a real host ("/sys/bus/pci/devices/%s/driver"). */
#ifndef VFMGR_UTIL_SYSFS_H
#define VFMGR_UTIL_SYSFS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SYSFS_FMT(a) __attribute__((format(printf, a, a + 1)))

/* Root prepended to every path ("" = the real /). */
void sysfs_set_root(const char *root);
const char *sysfs_root(void);

/* Formats root + path; -ENAMETOOLONG when it does not fit. */
int sysfs_path(char *buf, size_t size, const char *fmt, ...) SYSFS_FMT(3);

bool sysfs_exists(const char *fmt, ...) SYSFS_FMT(1);
/* NULL with errno set when it cannot be opened. */
DIR *sysfs_opendir(const char *fmt, ...) SYSFS_FMT(1);
/* The attribute without trailing newline/spaces; -EOVERFLOW when it does not fit in size. */
int sysfs_read_str(char *buf, size_t size, const char *fmt, ...) SYSFS_FMT(3);
int sysfs_read_long(long *out, const char *fmt, ...) SYSFS_FMT(2);
/* Attributes read relative to a directory opened once (sysfs_opendir, then dirfd): they stay
 * that one object's even when it is renamed meanwhile (a netdev right after its driver binds). */
int sysfs_read_str_at(int dfd, const char *name, char *buf, size_t size);
int sysfs_read_long_at(int dfd, const char *name, long *out);
/* Basename of a symlink's target (the driver of a device, say). -ENOENT when absent. */
int sysfs_read_link_name(char *buf, size_t size, const char *fmt, ...) SYSFS_FMT(3);
/* Writes a value as `echo -n` would. Counted, so tests can show a converged run writes nothing. */
int sysfs_write_str(const char *value, const char *fmt, ...) SYSFS_FMT(2);
/* The same for the writes a driver can block in for good (unbind, drivers_probe, sriov_numvfs):
 * the write runs in a child process and the caller waits at most timeout_ms. -ETIMEDOUT when
 * the kernel has not returned by then, with *stuck the PID of the child still blocked in it
 * (left running: a task in uninterruptible sleep cannot be killed). 0 or -errno otherwise. */
int sysfs_write_bounded(const char *value, unsigned timeout_ms, pid_t *stuck, const char *fmt, ...)
    SYSFS_FMT(4);
/* What a failed bounded write of what ("unbind from igbvf") says: the errno, or for
 * -ETIMEDOUT the blocked process and how to see where the kernel waits. */
void sysfs_bounded_why(char *why, size_t whysize, const char *what, int r, unsigned timeout_ms,
                       pid_t stuck);
unsigned long sysfs_write_count(void);

#endif
