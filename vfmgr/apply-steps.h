/* What apply keeps of each step that ran: its undo (shared by apply.c and apply-rss.c). */
#ifndef VFMGR_APPLY_STEPS_H
#define VFMGR_APPLY_STEPS_H

#include "vfmgr/apply-rss.h"
#include "vfmgr/plan-steps.h"

struct apply_undo {
	struct vf_write *writes; /* PLAN_SET_VFS: previous values of what was written */
	size_t n;
	bool did; /* PLAN_VFIO_*: the driver was changed */
	char dev[NIC_ADDR_LEN];
	char driver[DRIVER_LEN]; /* PLAN_VFIO_BIND: the driver before */
	struct rss_undo *rss;    /* PLAN_RSS_* */
	bool dirty; /* this step failed half way and could not put back what it had changed */
};

#endif
