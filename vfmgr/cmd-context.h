/* What plan, apply, status and release start from: the policy, a snapshot of the host with
 * its VF settings, and the state file, all loaded before anything is changed. */
#ifndef VFMGR_CONTEXT_H
#define VFMGR_CONTEXT_H

#include "policy/policy.h"
#include "vfmgr/observe-host.h"
#include "vfmgr/state.h"
#include "sriov/vfnl.h"

struct context {
	struct policy *policy; /* NULL when the command takes none */
	struct host host;
	struct state state;
	const char *state_file;
	struct vfnl *nl;
	int lock_fd;
};

/* Loads everything; prints the errors (policy diagnostics with file:line:col) itself. With
 * lock, takes the exclusive apply lock first so the snapshot cannot go stale under us. */
int context_load(struct context *c, const char *policy_file, const char *state_file, bool lock);
void context_free(struct context *c);
/* Before context_load: evaluate the policy as hostname (NULL: this machine), and keep the
 * on-demand VM prepare_vm (NULL: none) in it although it holds nothing here yet. */
void context_select(const char *hostname, const char *prepare_vm);
/* Diagnostics that point into the loaded policy file (for plan-time errors). */
void context_diags_init(const struct context *c, struct policy_diags *d);
/* Prints policy-located diagnostics the way `vfmgr check` does. */
void context_print_diags(const struct policy_diags *d);

/* The one lock that CLI and daemon share (flock on $VFMGR_RUN_DIR/lock, default /run/vfmgr). */
int lock_take(int *fd);

#endif
