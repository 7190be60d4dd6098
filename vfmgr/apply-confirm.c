#include "vfmgr/apply-confirm.h"
#include "util/plural.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

bool apply_may_ask(bool json, bool yes)
{
	return !json && !yes && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

bool apply_confirm(const struct plan *pl, enum sriov_impact allow, FILE *in, FILE *out)
{
	char answer[16] = "", step[160];
	size_t n = 0, len;

	fprintf(out, "\nThese steps disrupt more than --allow %s permits:\n",
	        sriov_impact_name(allow));
	for (size_t i = 0; i < pl->n; i++) {
		const struct plan_action *a = &pl->actions[i];

		if (a->impact <= allow)
			continue;
		plan_step_name(a, step, sizeof(step));
		fprintf(out, "  step %zu: %s\n    impact: %s (%s)%s%s\n", i + 1, step,
		        sriov_impact_name(a->impact), a->impact_why, a->vms[0] ? "; vms: " : "",
		        a->vms);
		n++;
	}
	fprintf(out,
	        "Apply all %zu %s of the plan, these %zu included? Only 'y' or 'yes' goes on: ",
	        pl->n, plural(pl->n, "step", "steps"), n);
	fflush(out);
	if (!fgets(answer, sizeof(answer), in)) {
		fputc('\n', out);
		return false;
	}
	len = strcspn(answer, "\r\n");
	answer[len] = '\0';
	while (len && isspace((unsigned char)answer[len - 1]))
		answer[--len] = '\0';
	return strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0;
}
