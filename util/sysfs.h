/* sysfs access under a settable root, so discovery runs on recorded trees in unit tests. */
#ifndef VFMGR_UTIL_SYSFS_H
#define VFMGR_UTIL_SYSFS_H

#include <stddef.h>
#include <stdbool.h>

/* Root prepended to every path given below ("" = the real /). */
void sysfs_set_root(const char *root);
const char *sysfs_root(void);

/* Formats root + path; returns -ENAMETOOLONG when it does not fit. */
int sysfs_path(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

bool sysfs_exists(const char *path);
/* Reads a one-line attribute without its trailing newline. */
int sysfs_read_str(const char *path, char *buf, size_t size);
int sysfs_read_long(const char *path, long *out);
/* Basename of a symlink's target (e.g. the driver of a device). -ENOENT when absent. */
int sysfs_read_link_name(const char *path, char *buf, size_t size);
/* Writes a value the way `echo -n` would; counts writes for the "converged means zero writes"
 * checks. */
int sysfs_write_str(const char *path, const char *value);
unsigned long sysfs_write_count(void);

#endif
