/* Running the RSS steps of a plan (PLAN_RSS_*) and undoing them. */
#ifndef VFMGR_APPLY_RSS_H
#define VFMGR_APPLY_RSS_H

#include "vfmgr/plan.h"

/* What a step found before it wrote: its undo. */
struct rss_undo {
	bool did;
	struct rss_state now;
	struct rss_irqs irqs; /* PLAN_RSS_IRQ */
};

/* Runs one step; *u (allocated here, the caller frees it) gets the undo. A random key that is
 * written is recorded in next (*state_changed then). A step that fails puts back what it
 * changed itself before returning. */
int apply_rss_step(const struct plan_action *a, struct rss_undo **u, struct state *next,
                   bool *state_changed);
int apply_rss_undo(const struct plan_action *a, const struct rss_undo *u);
/* Channels, then the table they may have reset, as they were in st. */
int apply_rss_restore(const char *ifname, const struct rss_state *st);

#endif
