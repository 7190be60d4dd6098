/* What the PF drivers cannot take, found at plan time: a request the driver table says the
 * driver refuses becomes a plan error at the policy line, before anything is written. */
#include "sriov/drivers.h"
#include "vfmgr/plan.h"

#include <errno.h>
#include <linux/if_link.h>
#include <stdlib.h>

static const char *pf_name(const struct policy *p, const struct state_alloc *a)
{
	return a->pf_index < p->n_pfs ? p->pfs[a->pf_index].name.value : a->pf;
}

/* The rate checks for one NIC's VF; 0 or -EINVAL with a diagnostic. */
static int check_rates(const struct policy *p, const struct state_alloc *a, const struct nic *n,
                       const struct sriov_driver *drv, enum policy_severity sev,
                       struct policy_diags *d)
{
	const struct policy_nic *nic = &p->vms[a->vm_index].nics[a->nic];
	const struct netdev *nd = nic_pf_netdev(n);
	uint32_t max = a->want.max_rate;
	struct policy_mark mm = nic->rate.max.set ? nic->rate.max.mark : nic->mark;
	const char *pf = pf_name(p, a);
	int r = 0;

	if (a->want.min_rate > 0 && !drv->min_rate) {
		r = -EINVAL;
		if (nic->shares.set)
			policy_diag_add(
			    d, POLICY_ERROR, nic->shares.mark,
			    "vm %s nic %u: shares set a minimum TX rate, and %s has none "
			    "(pf %s, %s); drop shares for VFs on this PF",
			    a->vm, a->nic, drv->name, pf, a->pf_addr);
		else
			policy_diag_add(d, sev, nic->rate.min.mark,
			                "vm %s nic %u: %s has no minimum TX rate (pf %s, %s); drop "
			                "rate: min for VFs on this PF",
			                a->vm, a->nic, drv->name, pf, a->pf_addr);
	}
	if (max == 0)
		return r;
	if (!(drv->settable & VF_ATTR_RATE) || !sriov_rate_on_device(drv, n->device_id)) {
		policy_diag_add(d, sev, mm,
		                "vm %s nic %u: %s sets VF TX rates only on some devices, and %s "
		                "(%04x:%04x, pf %s) is not one; drop rate: max on this PF",
		                a->vm, a->nic, drv->name, a->pf_addr, n->vendor_id, n->device_id,
		                pf);
		return -EINVAL;
	}
	if (drv->rate_above && max <= drv->rate_above) {
		policy_diag_add(d, sev, mm,
		                "vm %s nic %u: %s takes a max TX rate above %u Mbit/s only (pf %s, "
		                "%s), not %u",
		                a->vm, a->nic, drv->name, drv->rate_above, pf, a->pf_addr, max);
		r = -EINVAL;
	}
	if (drv->rate_step && max % drv->rate_step) {
		policy_diag_add(d, sev, mm,
		                "vm %s nic %u: %s sets max TX rates in steps of %u Mbit/s (pf %s, "
		                "%s); %u would not read back as set: use %u or %u",
		                a->vm, a->nic, drv->name, drv->rate_step, pf, a->pf_addr, max,
		                max / drv->rate_step * drv->rate_step,
		                (max / drv->rate_step + 1) * drv->rate_step);
		r = -EINVAL;
	}
	if (drv->rate_le_link && nd && nd->speed > 0 && max > (uint32_t)nd->speed) {
		policy_diag_add(d, sev, mm,
		                "vm %s nic %u: max TX rate %u is above the link speed of %s (%ld "
		                "Mbit/s, pf %s), which %s refuses",
		                a->vm, a->nic, max, nd->name, nd->speed, pf, drv->name);
		r = -EINVAL;
	}
	return r;
}

static int check_alloc(const struct policy *p, const struct state_alloc *a, const struct nic *n,
                       const struct sriov_driver *drv, bool *proto_told, enum policy_severity sev,
                       struct policy_diags *d)
{
	const struct policy_nic *nic = &p->vms[a->vm_index].nics[a->nic];
	int r = check_rates(p, a, n, drv, sev, d);

	if (a->want.proto == VF_PROTO_8021AD && !drv->vlan_8021ad &&
	    nic->network.index < p->n_networks && !proto_told[nic->network.index]) {
		const struct policy_network *net = &p->networks[nic->network.index];
		proto_told[nic->network.index] = true;
		policy_diag_add(d, sev, net->proto.set ? net->proto.mark : net->mark,
		                "network %s: %s has no 802.1ad VLAN protocol; use proto: 802.1Q on "
		                "pf %s (%s), or keep this network off it",
		                net->name.value, drv->name, pf_name(p, a), a->pf_addr);
		r = -EINVAL;
	}
	if (a->want.link_state != IFLA_VF_LINK_STATE_AUTO &&
	    !(drv->settable & VF_ATTR_LINK_STATE)) {
		struct policy_mark m =
		    nic->link_state.set ? nic->link_state.mark : p->defaults.link_state.mark;
		policy_diag_add(d, sev, m,
		                "vm %s nic %u: %s has no VF link state setting (pf %s, %s); use "
		                "link-state: auto on this PF",
		                a->vm, a->nic, drv->name, pf_name(p, a), a->pf_addr);
		r = -EINVAL;
	}
	return r;
}

int plan_check_drivers(const struct policy *p, const struct host *h, const size_t *pf_nic,
                       const unsigned *numvfs, const struct state *next, bool warn_only,
                       struct policy_diags *d)
{
	enum policy_severity sev = warn_only ? POLICY_WARNING : POLICY_ERROR;
	bool *proto_told = calloc(p->n_networks + 1, sizeof(*proto_told));
	int r = 0;

	if (!proto_told)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_pfs; i++) {
		if (pf_nic[i] == NO_INDEX)
			continue;
		const struct nic *n = &h->nics[pf_nic[i]];
		const struct sriov_driver *drv = sriov_driver_find(n->driver);
		if (drv && drv->max_vfs && numvfs[i] > drv->max_vfs) {
			policy_diag_add(d, sev, p->pfs[i].numvfs.mark,
			                "pf %s: %s takes at most %u VFs, not %u (%s)",
			                p->pfs[i].name.value, drv->name, drv->max_vfs, numvfs[i],
			                n->addr);
			r = -EINVAL;
		}
	}
	for (size_t i = 0; i < next->n; i++) {
		const struct state_alloc *a = &next->allocs[i];
		if (a->pf_index >= p->n_pfs || pf_nic[a->pf_index] == NO_INDEX ||
		    a->vm_index >= p->n_vms)
			continue;
		const struct nic *n = &h->nics[pf_nic[a->pf_index]];
		const struct sriov_driver *drv = sriov_driver_find(n->driver);
		if (drv && check_alloc(p, a, n, drv, proto_told, sev, d) < 0)
			r = -EINVAL;
	}
	free(proto_told);
	return warn_only ? 0 : r;
}
