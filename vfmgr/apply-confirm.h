/* On a terminal, apply asks before steps above --allow, as terraform apply does. */
#ifndef VFMGR_APPLY_CONFIRM_H
#define VFMGR_APPLY_CONFIRM_H

#include "vfmgr/plan.h"

#include <stdbool.h>
#include <stdio.h>

/* Shows on out every step of pl above allow (its impact, why, the VMs it touches) and asks on
 * in; true when the answer is y or yes (any case), false otherwise or at end of input. */
bool apply_confirm(const struct plan *pl, enum sriov_impact allow, FILE *in, FILE *out);
/* Whether apply may ask: standard input and output are terminals and neither --json nor
 * --yes was given. */
bool apply_may_ask(bool json, bool yes);

#endif
