/* apply --json's summary, for the CLI's apply and the daemon's. */
#include "vfmgr/apply.h"

/* apply --json (doc/schema/apply.schema.json): the steps carried out and the ones that were
 * not, as plan --json's records. A failed apply is rolled back, so then nothing counts as
 * carried out. */
json_t *apply_summary_json(const struct plan *pl, enum sriov_impact allow, bool ok, size_t refused,
                           const struct apply_report *rep)
{
	bool refusal = refused < pl->n;
	bool done = ok && !refusal;
	json_t *steps = plan_steps_json(pl, 0, done ? pl->n : 0);
	json_t *pending = plan_steps_json(pl, done ? pl->n : 0, pl->n);

	if (!steps || !pending) {
		json_decref(steps);
		json_decref(pending);
		return NULL;
	}
	return json_pack(
	    "{s:o, s:o, s:b, s:s, s:o, s:o, s:b}", "steps", steps, "pending", pending, "ok", ok,
	    "allow", sriov_impact_name(allow), "refused_step",
	    refusal ? json_integer((json_int_t)refused + 1) : json_null(), "failed_step",
	    !ok && !refusal && rep->failed < pl->n ? json_integer((json_int_t)rep->failed + 1)
	                                           : json_null(),
	    "rolled_back", !ok && !refusal && rep->rolled_back);
}
