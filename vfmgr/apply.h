/* Runs a plan. Each step records its undo; on the first failure the steps done so far are
 * undone in reverse and both the failure and the rollback are reported. */
#ifndef VFMGR_APPLY_H
#define VFMGR_APPLY_H

#include "vfmgr/plan.h"

/* The state file is written with the plan's new state before the first change (so a crash
 * leaves the allocations on record) and put back to old if the apply is rolled back.
 * VFs that vfmgr itself created get their first settings recorded as the ones release puts
 * back. Test-only: VFMGR_TEST_FAIL_STEP=k makes step k (1-based) fail with EIO before it runs. */
int apply_plan(struct plan *pl, struct vfnl *nl, const char *state_file, const struct state *old);

#endif
