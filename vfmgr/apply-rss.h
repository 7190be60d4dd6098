/* Running the RSS steps of a plan (PLAN_RSS_*) and undoing them: the step table's run and undo
 * (plan-steps.h). */
#ifndef VFMGR_APPLY_RSS_H
#define VFMGR_APPLY_RSS_H

#include "vfmgr/plan.h"

/* What a step found before it wrote: its undo. */
struct rss_undo {
	bool did;
	struct rss_state now;
	struct rss_irqs irqs; /* PLAN_RSS_IRQ */
};

/* Channels, then the table they may have reset, as they were in st. */
int apply_rss_restore(const char *ifname, const struct rss_state *st);

#endif
