/* sysfs access under a settable root, so discovery runs on recorded trees in unit tests.
 * Paths are printf formats, absolute as on a real host ("/sys/bus/pci/devices/%s/driver"). */
#ifndef VFMGR_UTIL_SYSFS_H
#define VFMGR_UTIL_SYSFS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

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
/* Basename of a symlink's target (the driver of a device, say). -ENOENT when absent. */
int sysfs_read_link_name(char *buf, size_t size, const char *fmt, ...) SYSFS_FMT(3);
/* Writes a value as `echo -n` would. Counted, so tests can show a converged run writes nothing. */
int sysfs_write_str(const char *value, const char *fmt, ...) SYSFS_FMT(2);
unsigned long sysfs_write_count(void);

#endif
