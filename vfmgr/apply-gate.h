/* The limit a user set on an apply (--allow IMPACT), checked the same way wherever the apply
 * runs: the CLI, or the daemon carrying out a forwarded `vfmgr apply`. */
#ifndef VFMGR_APPLY_GATE_H
#define VFMGR_APPLY_GATE_H

#include "vfmgr/plan.h"

/* What the daemon's own healing accepts (documented in vfmgr(8), shown by `status`): it restores
 * the policy after a reset or a hotplug, when the link has dropped already. */
#define DAEMON_HEAL_ALLOW SRIOV_IMPACT_PF_RESET

/* 0 when no step of pl is above allow; else logs which step (policy_name as the user gave it)
 * and how to accept it, sets *refused to its index (pl->n when none) and returns -EPERM. */
int apply_gate(const struct plan *pl, enum sriov_impact allow, const char *policy_name,
               size_t *refused);

#endif
