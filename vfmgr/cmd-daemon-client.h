/* The CLI side of the control socket: when a daemon runs, apply and status go through it so
 * that the two never change the host at the same time. */
#ifndef VFMGR_CTL_CLIENT_H
#define VFMGR_CTL_CLIENT_H

#include "vfmgr/daemon-proto.h"

#include <stdbool.h>
#include <stddef.h>

/* $VFMGR_RUN_DIR/NAME (default /run/vfmgr/NAME); 0 or -ENAMETOOLONG. */
int run_path(const char *name, char *buf, size_t size);
/* An absolute form of path (resolved when it exists) so CLI and daemon compare like with like. */
int abs_path(const char *path, char *buf, size_t size);

/* Whether a daemon listens on the control socket at sock: the kernel's list of bound AF_UNIX
 * sockets says so without a request. A socket file that a killed daemon left is not one. */
bool ctl_daemon_listening(const char *sock);

/* Sends req to a running daemon and prints its answer. state_file is the CLI's --state (or
 * NULL: $VFMGR_STATE if set). Returns the exit status to use, or -1 when no daemon answers
 * (the CLI then does the work itself). */
int ctl_client_forward(struct ctl_request *req, const char *state_file);

/* How long the CLI waits for the daemon's first answer to a command (status, reload, the start
 * of an apply: the daemon then says how long the rest may take); $VFMGR_DAEMON_TIMEOUT seconds
 * instead when set. Past it: "the daemon did not answer in N s". */
#define CTL_STATUS_TIMEOUT_S 10
unsigned ctl_request_timeout_s(enum ctl_command c);

#endif
