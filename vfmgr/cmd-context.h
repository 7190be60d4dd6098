/* What plan, apply, status and release start from: the policy, a snapshot of the host with
 * its VF settings, and the state file, all loaded before anything is changed. */
#ifndef VFMGR_CONTEXT_H
#define VFMGR_CONTEXT_H

#include "policy/policy.h"
#include "vfmgr/observe-host.h"
#include "vfmgr/state.h"
#include "sriov/drivers.h"
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
	/* Answered by the daemon: the policy it runs and the most its own healing disrupts. */
	const char *daemon_policy;
	enum sriov_impact heal_allow;
};

/* What one load reads and how: the single value the CLI's commands, the daemon's reconcile and
 * its control socket fill in (no mode lives in globals). */
struct load_opts {
	const char *policy_file; /* NULL: the command takes no policy */
	const char *state_file;  /* NULL: $VFMGR_STATE or the default */
	const char *hostname;    /* evaluate the policy as this host; NULL: this machine */
	const char *keep_vm;     /* an on-demand VM kept although it holds nothing here yet */
	bool lock;               /* take the exclusive apply lock first */
	unsigned lock_wait_ms; /* how long to wait for it (LOCK_WAIT_DEFAULT_MS); 0: fail at once */
	const struct host *pci; /* PCI functions to reuse, as observe_host_reusing; NULL: scan */
};

/* Loads everything o says; prints the errors (policy diagnostics with file:line:col) itself.
 * With o->lock, takes the exclusive apply lock first so the snapshot cannot go stale under us. */
int context_open(struct context *c, const struct load_opts *o);
/* context_open of a policy and state file, waiting LOCK_WAIT_DEFAULT_MS for the lock. */
int context_load(struct context *c, const char *policy_file, const char *state_file, bool lock);
void context_free(struct context *c);
/* A context before context_load, safe to context_free: `_cleanup_context_ struct context c =
 * CONTEXT_INIT;`. */
#define CONTEXT_INIT                                                                               \
	{                                                                                          \
		.lock_fd = -1                                                                      \
	}
#define _cleanup_context_ _cleanup_(context_free)
/* Diagnostics that point into the loaded policy file (for plan-time errors). */
void context_diags_init(const struct context *c, struct policy_diags *d);
/* Prints policy-located diagnostics the way `vfmgr check` does. */
void context_print_diags(const struct policy_diags *d);
/* The same as log lines, each at its severity (the daemon). */
void context_log_diags(const struct policy_diags *d);

/* The one lock that CLI and daemon share (flock on $VFMGR_RUN_DIR/lock, default /run/vfmgr),
 * waiting up to wait_ms for another vfmgr's ($VFMGR_LOCK_WAIT seconds instead when set); 0
 * (the daemon's own pass, which retries later) fails at once with -EWOULDBLOCK, quietly. */
int lock_take(int *fd, unsigned wait_ms);
#define LOCK_WAIT_DEFAULT_MS 30000
/* The wait a local apply gets: LOCK_WAIT_DEFAULT_MS or $VFMGR_LOCK_WAIT. */
unsigned lock_wait_bound_ms(void);
/* $VFMGR_RUN_DIR, or /run/vfmgr: the lock, the control socket and the apply record. */
const char *run_dir(void);
/* Opens (creates) name in $VFMGR_RUN_DIR (/run/vfmgr) for a lock, refusing a run directory or
 * file another user could have planted; path gets its name. Logs why; 0 or -errno. */
int run_file_open(const char *name, int *fd, char *path, size_t size);

#endif
