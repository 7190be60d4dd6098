/* How a VF vfmgr holds compares with what it set: the one rule `vfmgr status` shows and
 * `vfmgr metrics` counts. */
#ifndef VFMGR_VF_STATUS_H
#define VFMGR_VF_STATUS_H

#include "vfmgr/apply.h"
#include "vfmgr/observe-host.h"
#include "vfmgr/state.h"

enum vf_status {
	VF_STATUS_OK,         /* live settings are what vfmgr set */
	VF_STATUS_PENDING,    /* a setting the driver refused in the device's state, held back */
	VF_STATUS_DRIFT,      /* live differs from what vfmgr set */
	VF_STATUS_UNVERIFIED, /* the kernel did not report the VF's settings */
	VF_STATUS_PF_MISSING,
	VF_STATUS_VF_MISSING,
	VF_STATUS_RELEASING, /* a release cut short: the next run gives it back */
	VF_STATUS_COUNT,
};

struct vf_status_info {
	enum vf_status status;
	const struct vf_config *live; /* NULL: the VF is gone or the kernel did not report it */
	const char *pf_ifname;        /* NULL when the PF has no interface */
	unsigned drift;               /* groups that differ from what vfmgr set, pending ones not */
};

/* The status of allocation a on h; pend (may be NULL) holds the daemon's refused settings. */
enum vf_status vf_status_get(const struct host *h, const struct state_alloc *a,
                             const struct apply_pending *pend, struct vf_status_info *out);
/* "ok", "pending", "drift", "unverified", "pf-missing", "vf-missing", "releasing" (status --json). */
const char *vf_status_name(enum vf_status s);

#endif
