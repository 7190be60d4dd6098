/* What plan, apply, status and release start from: the policy, a snapshot of the host with
 * its VF settings, and the state file, all loaded before anything is changed. */
#ifndef VFMGR_CONTEXT_H
#define VFMGR_CONTEXT_H

#include "policy/policy.h"
#include "vfmgr/observe-host.h"
#include "vfmgr/state.h"
#include "sriov/vfnl.h"
#include "util/cleanup.h"

struct apply_pending;

struct context {
	struct policy *policy; /* NULL when the command takes none */
	struct host host;
	struct state state;
	const char *state_file;
	struct vfnl *nl;
	int lock_fd;
	/* The running daemon's VF settings refused in the device's state, for status; or NULL. */
	const struct apply_pending *pending;
};

/* Loads everything; prints the errors (policy diagnostics with file:line:col) itself. With
 * lock, takes the exclusive apply lock first so the snapshot cannot go stale under us. */
int context_load(struct context *c, const char *policy_file, const char *state_file, bool lock);
/* The same with the PCI functions taken from pci (NULL: scanned), as observe_host_reusing. */
int context_load_reusing(struct context *c, const char *policy_file, const char *state_file,
                         bool lock, const struct host *pci);
void context_free(struct context *c);
/* A context before context_load, safe to context_free: `_cleanup_context_ struct context c =
 * CONTEXT_INIT;`. */
#define CONTEXT_INIT                                                                               \
	{                                                                                          \
		.lock_fd = -1                                                                      \
	}
#define _cleanup_context_ _cleanup_(context_free)
/* Before context_load: evaluate the policy as hostname (NULL: this machine), and keep the
 * on-demand VM prepare_vm (NULL: none) in it although it holds nothing here yet. */
void context_select(const char *hostname, const char *prepare_vm);
/* Diagnostics that point into the loaded policy file (for plan-time errors). */
void context_diags_init(const struct context *c, struct policy_diags *d);
/* Prints policy-located diagnostics the way `vfmgr check` does. */
void context_print_diags(const struct policy_diags *d);
/* The same as log lines, each at its severity (the daemon). */
void context_log_diags(const struct policy_diags *d);

/* The one lock that CLI and daemon share (flock on $VFMGR_RUN_DIR/lock, default /run/vfmgr). */
int lock_take(int *fd);
/* How long lock_take waits for another vfmgr's lock: LOCK_WAIT_DEFAULT_MS, or
 * $VFMGR_LOCK_WAIT seconds; 0 (the daemon, which retries after its quiet time) fails at once. */
#define LOCK_WAIT_DEFAULT_MS 30000
void lock_set_wait(unsigned ms);
/* $VFMGR_RUN_DIR, or /run/vfmgr: the lock, the control socket and the apply record. */
const char *run_dir(void);
/* Opens (creates) name in $VFMGR_RUN_DIR (/run/vfmgr) for a lock, refusing a run directory or
 * file another user could have planted; path gets its name. Logs why; 0 or -errno. */
int run_file_open(const char *name, int *fd, char *path, size_t size);

#endif
