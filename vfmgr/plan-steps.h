/* The one table of step kinds: for each enum plan_kind, its word, how apply runs and undoes it,
 * how it reads in messages, its record (the model `plan --json`, `apply --json` and the text
 * plan are all made from), which VM it concerns and what it disrupts. A new kind is one entry
 * here; there is no other per-kind switch. */
#ifndef VFMGR_PLAN_STEPS_H
#define VFMGR_PLAN_STEPS_H

#include "vfmgr/plan.h"

#include <stdio.h>

struct apply_undo; /* apply-steps.h: what a step that ran found before it wrote */

/* What a running step shares with the whole apply. */
struct apply_ctx {
	struct vfnl *nl;
	struct state *next; /* the state being recorded; NULL without a state file (rss set) */
	bool state_changed; /* next changed while running: written again at the end */
	/* Where next is recorded, with old's records that next drops (state_with_releasing):
	 * a step that learns something about a VF records it before it writes. */
	const char *state_file;
	const struct state *old;
	/* Records of old being given back whose restore waits for the device (a rate igb refuses
	 * while the PF's link is down): they stay in the file, releasing, after the last step,
	 * and the next run finishes them. */
	struct state_alloc *kept;
	size_t n_kept, cap_kept;
};

/* Writes the state file as the running plan has it now (apply.c); 0 or -errno, logged. */
int apply_record_state(struct apply_ctx *c);

/* What plan_impact knows besides the step. */
struct impact_in {
	const struct host *h;
	size_t nic; /* the step's device in h, or NO_INDEX */
	const struct sriov_driver *drv;
	const struct state *old, *next;
};

struct plan_step_kind {
	const char *name; /* the CLI word, the record's "action": "set-numvfs" */
	/* Runs the step, keeping in u what undo puts back. A step that fails puts back what it
	 * changed itself, or sets u->dirty when it cannot. */
	int (*run)(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u);
	int (*undo)(const struct plan_action *a, struct apply_ctx *c, const struct apply_undo *u);
	/* A few words for messages: "0000:01:00.0 numvfs 0 -> 2". */
	void (*describe)(const struct plan_action *a, char *buf, size_t size);
	/* The step's own fields as a JSON object (impact and the common keys are added by
	 * plan_step_record); text() prints the plan lines from that same object. */
	json_t *(*record)(const struct plan_action *a);
	void (*text)(const json_t *rec, FILE *f);
	/* plan_restrict_to_vm: whether the step concerns vm (a set-vfs step keeps only its VFs). */
	bool (*keep)(struct plan_action *a, const struct state *next, const char *vm);
	void (*impact)(struct plan_action *a, const struct impact_in *in);
	/* The impact comes from the PF driver table (a driver not in it gets a note). */
	bool pf_driver;
};

extern const struct plan_step_kind plan_steps[PLAN_KIND_COUNT];

static inline const struct plan_step_kind *plan_step_kind(const struct plan_action *a)
{
	return &plan_steps[a->kind];
}

/* One step's full record: its kind's fields plus "action", "impact", "impact_reason", "vms",
 * "driver_known". NULL when out of memory. */
json_t *plan_step_record(const struct plan_action *a);
/* The plan lines of one record. */
void plan_step_text(const json_t *rec, FILE *f);
/* A line's tail: "  impact: WORD (reason)[; vms: a, b]\n". */
void plan_text_impact(const json_t *rec, bool vms, FILE *f);

/* The kinds' functions, where they live (apply.c, apply-rss.c, plan-print*.c, plan.c,
 * plan-impact.c). */
int apply_run_numvfs(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u);
int apply_undo_numvfs(const struct plan_action *a, struct apply_ctx *c, const struct apply_undo *u);
int apply_run_vfs(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u);
int apply_undo_vfs(const struct plan_action *a, struct apply_ctx *c, const struct apply_undo *u);
int apply_run_vfio_bind(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u);
int apply_undo_vfio_bind(const struct plan_action *a, struct apply_ctx *c,
                         const struct apply_undo *u);
int apply_run_vfio_restore(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u);
int apply_undo_vfio_restore(const struct plan_action *a, struct apply_ctx *c,
                            const struct apply_undo *u);
int apply_run_rss_channels(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u);
int apply_run_rss_table(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u);
int apply_run_rss_key(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u);
int apply_run_rss_hfunc(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u);
int apply_run_rss_irq(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u);
int apply_undo_rss_channels(const struct plan_action *a, struct apply_ctx *c,
                            const struct apply_undo *u);
int apply_undo_rss_table(const struct plan_action *a, struct apply_ctx *c,
                         const struct apply_undo *u);
int apply_undo_rss_key(const struct plan_action *a, struct apply_ctx *c,
                       const struct apply_undo *u);
int apply_undo_rss_hfunc(const struct plan_action *a, struct apply_ctx *c,
                         const struct apply_undo *u);
int apply_undo_rss_irq(const struct plan_action *a, struct apply_ctx *c,
                       const struct apply_undo *u);

void plan_describe_numvfs(const struct plan_action *a, char *buf, size_t size);
void plan_describe_vfs(const struct plan_action *a, char *buf, size_t size);
void plan_describe_vfio(const struct plan_action *a, char *buf, size_t size);
void plan_describe_rss(const struct plan_action *a, char *buf, size_t size);
json_t *plan_record_numvfs(const struct plan_action *a);
json_t *plan_record_vfs(const struct plan_action *a);
json_t *plan_record_vfio(const struct plan_action *a);
json_t *plan_record_rss(const struct plan_action *a);
void plan_text_numvfs(const json_t *rec, FILE *f);
void plan_text_vfs(const json_t *rec, FILE *f);
void plan_text_vfio(const json_t *rec, FILE *f);
void plan_text_rss(const json_t *rec, FILE *f);

bool plan_keep_pf(struct plan_action *a, const struct state *next, const char *vm);
bool plan_keep_vfs(struct plan_action *a, const struct state *next, const char *vm);
bool plan_keep_vm(struct plan_action *a, const struct state *next, const char *vm);
bool plan_keep_none(struct plan_action *a, const struct state *next, const char *vm);

void plan_impact_numvfs(struct plan_action *a, const struct impact_in *in);
void plan_impact_vfs(struct plan_action *a, const struct impact_in *in);
void plan_impact_vfio(struct plan_action *a, const struct impact_in *in);
void plan_impact_rss(struct plan_action *a, const struct impact_in *in);

#endif
