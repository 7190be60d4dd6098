/* apply --allow: a routine apply never drops a host link by surprise. */
#include "vfmgr/apply-gate.h"
#include "util/log.h"

#include <errno.h>

int apply_gate(const struct plan *pl, enum sriov_impact allow, const char *policy_name,
               size_t *refused)
{
	size_t k = plan_first_above(pl, allow);
	char step[160];

	*refused = k;
	if (k == pl->n)
		return 0;
	const struct plan_action *a = &pl->actions[k];
	plan_step_name(a, step, sizeof(step));
	log_error("%s: step %zu (%s) is %s: %s%s%s", policy_name, k + 1, step,
	          sriov_impact_name(a->impact), a->impact_why, a->vms[0] ? "; vms: " : "", a->vms);
	log_error("nothing was changed; review the plan with 'vfmgr plan %s', then accept it with "
	          "'vfmgr apply --allow %s %s'",
	          policy_name, sriov_impact_name(a->impact), policy_name);
	return -EPERM;
}
