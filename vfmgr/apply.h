/* Runs a plan. Each step records its undo; on the first failure the steps done so far are
 * undone in reverse and both the failure and the rollback are reported. */
#ifndef VFMGR_APPLY_H
#define VFMGR_APPLY_H

#include "vfmgr/plan.h"

/* The state file is written before the first change with the plan's new state plus every
 * record the plan drops, marked releasing (state_with_releasing), so a run killed at any point
 * leaves what it acquires and what it gives back on record; the releasing records leave the
 * file only after the last step. It is put back to old if the apply is rolled back. VFs that
 * vfmgr itself created get their first settings recorded, before anything is written to them,
 * as the ones release puts back. A stop signal the caller blocks for a signalfd (the daemon's
 * SIGTERM) ends the run between two steps, with no rollback: -EINTR, the rest on record.
 * Test-only: VFMGR_TEST_FAIL_STEP=k makes step k (1-based) fail with EIO before it runs, and
 * VFMGR_TEST_STOP_STEP=k stops the process there (k = steps + 1: after the last step, before
 * the state's final write). */
int apply_plan(struct plan *pl, struct vfnl *nl, const char *state_file, const struct state *old);

/* How an apply ended, for `apply --json`. */
struct apply_report {
	size_t failed;    /* the step that failed (index), pl->n when none did */
	bool rolled_back; /* after a failure: every step undone, the host as it was */
};

/* apply_plan, and *rep (may be NULL) says how it ended. state_file NULL: no state is kept (rss
 * set, one interface outside any policy; old is unused then). */
int apply_plan_report(struct plan *pl, struct vfnl *nl, const char *state_file,
                      const struct state *old, struct apply_report *rep);
/* apply --json's summary (doc/schema/apply.schema.json) of pl applied under allow: ok, the
 * step refused (refused < pl->n) or how it ended (rep); the CLI's and the daemon's. */
json_t *apply_summary_json(const struct plan *pl, enum sriov_impact allow, bool ok, size_t refused,
                           const struct apply_report *rep);

/* A VF setting the driver refused in the device's current state. */
struct vf_pending {
	char pf_addr[NIC_ADDR_LEN];
	char ifname[IF_NAMESIZE];
	unsigned vf;
	unsigned attr; /* one enum vf_attr group */
	struct vf_config want;
	int err;          /* the kernel's -errno */
	bool link;        /* refused while the PF's link was down: worth retrying once it is up */
	unsigned tries;   /* refusals in a row before this one (the daemon counts them) */
	char reason[192]; /* "max_tx_rate 300 waits for enp1s0's link" */
};

struct apply_pending {
	struct vf_pending *items;
	size_t n, cap;
};

/* The daemon's apply, a heal that never leaves a VF unprotected: each PF's VF settings are
 * written isolation first (VLAN, spoof check, MAC, trust, link state), then rates, and a
 * setting the driver refuses is appended to pend instead of failing the step (the other
 * settings are applied). Everything else is as apply_plan. */
int apply_plan_partial(struct plan *pl, struct vfnl *nl, const char *state_file,
                       const struct state *old, struct apply_pending *pend,
                       struct apply_report *rep);
void apply_pending_free(struct apply_pending *p);
/* The next item for VF vf of PF pf at or after *from (advanced past it; from may be NULL). */
const struct vf_pending *apply_pending_find(const struct apply_pending *pend, const char *pf,
                                            unsigned vf, size_t *from);
/* The PF's interface (by ifindex, else through PCI device addr) says down: admin down, or no
 * carrier. */
bool apply_link_down(const char *addr, int ifindex);

/* SIGINT, SIGTERM, SIGHUP and SIGQUIT during apply_plan: the running step finishes, every
 * step done is undone, and apply_plan returns -EINTR; SIGPIPE is ignored (a write to a reader
 * that left fails with EPIPE). For the CLI, installed just before it applies. */
void apply_catch_signals(void);

#endif
