/* The table of step kinds (plan-steps.h). RSS steps run in this order, after their PF's VF
 * steps: channels may reset the table, so it comes first. */
#include "vfmgr/plan-steps.h"

#define RSS_STEP(kind, word, fn)                                                                   \
	[kind] = {                                                                                 \
	    .name = word,                                                                          \
	    .run = apply_run_rss_##fn,                                                             \
	    .undo = apply_undo_rss_##fn,                                                           \
	    .describe = plan_describe_rss,                                                         \
	    .record = plan_record_rss,                                                             \
	    .text = plan_text_rss,                                                                 \
	    .keep = plan_keep_none, /* the host's own queues belong to no VM */                    \
	    .impact = plan_impact_rss,                                                             \
	    .pf_driver = true,                                                                     \
	}

const struct plan_step_kind plan_steps[PLAN_KIND_COUNT] = {
    [PLAN_SET_NUMVFS] =
        {
            .name = "set-numvfs",
            .run = apply_run_numvfs,
            .undo = apply_undo_numvfs,
            .describe = plan_describe_numvfs,
            .record = plan_record_numvfs,
            .text = plan_text_numvfs,
            .keep = plan_keep_pf,
            .impact = plan_impact_numvfs,
            .pf_driver = true,
        },
    [PLAN_SET_VFS] =
        {
            .name = "set-vfs",
            .run = apply_run_vfs,
            .undo = apply_undo_vfs,
            .describe = plan_describe_vfs,
            .record = plan_record_vfs,
            .text = plan_text_vfs,
            .keep = plan_keep_vfs,
            .impact = plan_impact_vfs,
            .pf_driver = true,
        },
    [PLAN_VFIO_BIND] =
        {
            .name = "vfio-bind",
            .run = apply_run_vfio_bind,
            .undo = apply_undo_vfio_bind,
            .describe = plan_describe_vfio,
            .record = plan_record_vfio,
            .text = plan_text_vfio,
            .keep = plan_keep_vm,
            .impact = plan_impact_vfio,
        },
    [PLAN_VFIO_RESTORE] =
        {
            .name = "vfio-restore",
            .run = apply_run_vfio_restore,
            .undo = apply_undo_vfio_restore,
            .describe = plan_describe_vfio,
            .record = plan_record_vfio,
            .text = plan_text_vfio,
            .keep = plan_keep_vm,
            .impact = plan_impact_vfio,
        },
    RSS_STEP(PLAN_RSS_CHANNELS, "rss-channels", channels),
    RSS_STEP(PLAN_RSS_TABLE, "rss-table", table),
    RSS_STEP(PLAN_RSS_KEY, "rss-key", key),
    RSS_STEP(PLAN_RSS_HFUNC, "rss-hfunc", hfunc),
    RSS_STEP(PLAN_RSS_IRQ, "rss-irq-affinity", irq),
};
