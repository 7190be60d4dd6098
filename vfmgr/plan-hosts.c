/* On-demand VMs (hosts: naming several hosts, see vfmgr-policy(5) FLEETS) are planned on a
 * host only once they started there: the daemon holds the whole host's policy, so the plan,
 * not the policy reader, leaves out those that hold nothing in the state. */
#include "vfmgr/plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int plan_policy_here(const struct policy *p, const struct state *old, struct policy *here,
                     bool *filtered)
{
	size_t *new_index, k = 0;
	bool drop = false;

	*filtered = false;
	for (size_t v = 0; v < p->n_vms && !drop; v++)
		drop = p->vms[v].on_demand && !state_holds_vm(old, p->vms[v].name.value);
	if (!drop)
		return 0;
	/* A shallow copy: only the VM list and the PFs' passthrough_vm indices differ. */
	*here = *p;
	here->vms = calloc(p->n_vms, sizeof(*here->vms));
	here->pfs = calloc(p->n_pfs + 1, sizeof(*here->pfs));
	new_index = calloc(p->n_vms, sizeof(*new_index));
	if (!here->vms || !here->pfs || !new_index) {
		free(here->vms);
		free(here->pfs);
		free(new_index);
		return -ENOMEM;
	}
	for (size_t v = 0; v < p->n_vms; v++) {
		new_index[v] = POLICY_NONE;
		if (p->vms[v].on_demand && !state_holds_vm(old, p->vms[v].name.value))
			continue;
		new_index[v] = k;
		here->vms[k++] = p->vms[v];
	}
	here->n_vms = k;
	if (p->n_pfs)
		memcpy(here->pfs, p->pfs, p->n_pfs * sizeof(*here->pfs));
	for (size_t i = 0; i < p->n_pfs; i++)
		if (here->pfs[i].passthrough_vm != POLICY_NONE)
			here->pfs[i].passthrough_vm = new_index[here->pfs[i].passthrough_vm];
	free(new_index);
	*filtered = true;
	return 0;
}

void plan_policy_here_free(struct policy *here, bool filtered)
{
	if (!filtered)
		return;
	free(here->vms);
	free(here->pfs);
}
