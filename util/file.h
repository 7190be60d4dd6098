/* Reading and creating the files vfmgr trusts as root: the policy and state it reads, and the
 * state and lock files it writes. A FIFO, a device or a huge file must not hang or exhaust the
 * daemon, and a file planted by another user must not redirect a root write. */
#ifndef VFMGR_UTIL_FILE_H
#define VFMGR_UTIL_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* file_read_regular flags. FILE_OWNER_TRUSTED: only a file owned by root or the caller
 * (-EPERM otherwise), for what vfmgr wrote itself and then trusts. */
#define FILE_OWNER_TRUSTED 1u

/* Reads a whole regular file of at most max bytes into a malloc'd, NUL-terminated buffer.
 * Opens non-blocking, so a FIFO or device never blocks: -ENOEXEC for anything but a regular
 * file (file_kind() names it), -EFBIG past max, else 0 or -errno. */
int file_read_regular(const char *path, size_t max, unsigned flags, char **ret, size_t *ret_len);
/* As file_read_regular with FILE_OWNER_TRUSTED, for what vfmgr itself wrote with
 * file_replace_at: name inside the trusted directory dfd (dir_open_trusted), never through a
 * symlink (-ELOOP), and -EACCES for a file its group or others may write. */
int file_read_trusted(int dfd, const char *name, size_t max, char **ret, size_t *ret_len);
/* read(2), tried again when a signal interrupts it: bytes read, 0 at the end, or -errno. */
ssize_t file_read_some(int fd, void *buf, size_t n);
/* Reads until n bytes are in or the file ends: bytes read (fewer than n: the end), or -errno. */
ssize_t file_read_full(int fd, void *buf, size_t n);
/* "a FIFO", "a directory", "a character device", ... for the type bits of a mode. */
const char *file_kind(mode_t mode);

/* Opens the directory path without following a symlink at its last component, and refuses
 * (-EPERM, with why filled) one that is not owned by root or by the caller, or that group or
 * others may write: such a directory would let another user plant names vfmgr then trusts.
 * A sticky root-owned directory (/tmp) is accepted: others cannot rename or remove what vfmgr
 * made there, its writes go through O_EXCL temp files, and its readers take only files owned
 * by root (FILE_OWNER_TRUSTED, lockfile_open). */
int dir_open_trusted(const char *path, int *dfd, char *why, size_t whysize);
/* Opens (creating 0600 if needed) name inside the trusted directory dfd for a lock: never
 * through a symlink, only a regular file owned by the caller. 0 or -errno (-EPERM: why). */
int lockfile_open(int dfd, const char *name, int *fd, char *why, size_t whysize);
/* Writes len bytes of data as dfd/name atomically: a fresh O_EXCL temp file in the same
 * directory, fsync, rename over name, fsync of the directory. 0 or -errno. */
int file_replace_at(int dfd, const char *name, const char *data, size_t len);

#endif
