/* Fault injection for the lab's fault drills. It exists only in the test build
 * (build/vfmgr-test, compiled with -DVFMGR_FAULTS); in the production build every hook is a
 * constant 0 and the variables below are never read.
 *   VFMGR_TEST_FAIL_STEP=K      apply fails before plan step K (1-based)
 *   VFMGR_TEST_STOP_STEP=K      apply stops itself (SIGSTOP) before plan step K, so a drill
 *                               can change the host between the plan and the step, or kill
 *                               it there; K = steps + 1 is after the last step, before the
 *                               state file's final write
 *   VFMGR_TEST_FAULT=POINT[:N]  the N-th (default first) pass through POINT fails, half-way
 *                               through a step: "vfio-unbound" (a bind or restore after the
 *                               unbind, before the probe), "numvfs-zero" (an N->0->M change
 *                               after the write of 0) */
#ifndef VFMGR_UTIL_FAULT_H
#define VFMGR_UTIL_FAULT_H

#include <stddef.h>

#ifdef VFMGR_FAULTS
/* -EIO (and a log line saying it is on purpose) when the drill asks for a failure here. */
int fault_at(const char *point);
int fault_before_step(size_t step);
#else
static inline int fault_at(const char *point)
{
	(void)point;
	return 0;
}
static inline int fault_before_step(size_t step)
{
	(void)step;
	return 0;
}
#endif

#endif
