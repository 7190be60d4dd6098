/* One VF's status from the snapshot and the state file. */
#include "vfmgr/vf-status.h"

#include <string.h>

static const char *const names[VF_STATUS_COUNT] = {
    [VF_STATUS_OK] = "ok",
    [VF_STATUS_PENDING] = "pending",
    [VF_STATUS_DRIFT] = "drift",
    [VF_STATUS_UNVERIFIED] = "unverified",
    [VF_STATUS_PF_MISSING] = "pf-missing",
    [VF_STATUS_VF_MISSING] = "vf-missing",
    [VF_STATUS_RELEASING] = "releasing",
};

const char *vf_status_name(enum vf_status s)
{
	return (unsigned)s < VF_STATUS_COUNT ? names[s] : "?";
}

enum vf_status vf_status_get(const struct host *h, const struct state_alloc *a,
                             const struct apply_pending *pend, struct vf_status_info *out)
{
	size_t i = host_find_nic(h, a->pf_addr);
	const struct nic *n = i != NO_INDEX ? &h->nics[i] : NULL;
	const struct vf_pending *p;
	unsigned held = 0;
	size_t from = 0;

	memset(out, 0, sizeof(*out));
	out->pf_ifname = n && n->n_netdevs ? n->netdevs[0].name : NULL;
	/* A release cut short: the next release (or apply, prepare, daemon) finishes it. */
	if (a->releasing)
		return out->status = VF_STATUS_RELEASING;
	if (!n)
		return out->status = VF_STATUS_PF_MISSING;
	if (a->vf >= (unsigned)n->numvfs)
		return out->status = VF_STATUS_VF_MISSING;
	if (n->vf_settings_err < 0 || a->vf >= n->vf_settings.num_vf ||
	    !n->vf_settings.readable[a->vf])
		return out->status = VF_STATUS_UNVERIFIED;
	out->live = &n->vf_settings.vfs[a->vf];
	while (pend && (p = apply_pending_find(pend, a->pf_addr, a->vf, &from)))
		held |= p->attr;
	/* What the daemon holds back is pending, not drift. */
	out->drift = vf_config_diff(out->live, &a->want, VF_ATTR_ALL) & ~held;
	out->status = held ? VF_STATUS_PENDING : out->drift ? VF_STATUS_DRIFT : VF_STATUS_OK;
	return out->status;
}
