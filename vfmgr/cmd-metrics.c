/* vfmgr metrics [--policy FILE | --no-policy] [--state FILE] [--hostname NAME]: the host's VF
 * state in the Prometheus text format. A policy that cannot be planned is not an error here
 * (monitoring wants the other values all the more): vfmgr_plan_ok says 0 and the reason goes
 * to standard error. */
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/metrics.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int cmd_metrics(const struct cmd_args *a)
{
	const char *policy = a->policy, *state_file = a->state_file, *host = a->hostname;
	struct metrics_record rec;
	struct metrics_plan mp = {0};
	struct policy_diags d;
	_cleanup_policy_ struct policy *p = NULL;
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	_cleanup_plan_ struct plan pl = {0};
	int r;

	if (context_load(&ctx, NULL, state_file, false) < 0)
		return EXIT_FAIL;
	if (metrics_record_read(&rec) < 0)
		memset(&rec, 0, sizeof(rec));
	if (policy) {
		mp.planned = true;
		policy_diags_init(&d);
		r = policy_parse_file_as(policy, &(struct policy_select){.host = host}, &p, &d);
		if (r == 0)
			r = plan_build(p, &ctx.host, &ctx.state, &pl, &d, 0);
		context_print_diags(&d);
		policy_diags_free(&d);
		if (r == -EINVAL)
			log_error("%s: cannot plan (see above); vfmgr_plan_ok is 0", policy);
		else if (r < 0)
			log_error("%s: %s; vfmgr_plan_ok is 0", policy, strerror(-r));
		mp.plan_ok = r == 0;
		mp.pl = r == 0 ? &pl : NULL;
	}
	r = metrics_write(stdout, &ctx.host, &ctx.state, &mp, &rec);
	if (r < 0)
		log_error("cannot write the metrics: %s", strerror(-r));
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
