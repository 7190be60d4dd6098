/* vfmgr metrics [--policy FILE | --no-policy] [--state FILE] [--hostname NAME]: the host's VF
 * state in the Prometheus text format. A policy that cannot be planned is not an error here
 * (monitoring wants the other values all the more): vfmgr_plan_ok says 0 and the reason goes
 * to standard error. */
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/metrics.h"
#include "util/log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>


int cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"policy", required_argument, NULL, 'p'}, {"no-policy", no_argument, NULL, 'n'},
	    {"state", required_argument, NULL, 's'},  {"hostname", required_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},         {0},
	};
	const char *usage = "vfmgr metrics [--policy FILE | --no-policy] [--state FILE] "
	                    "[--hostname NAME]";
	const char *policy = DEFAULT_POLICY, *state_file = NULL, *host = NULL;
	struct metrics_record rec;
	struct metrics_plan mp = {0};
	struct policy_diags d;
	_cleanup_policy_ struct policy *p = NULL;
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	_cleanup_plan_ struct plan pl = {0};
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			policy = optarg;
			break;
		case 'n':
			policy = NULL;
			break;
		case 's':
			state_file = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return EXIT_OK;
		default:
			fprintf(stderr, "usage: %s\n", usage);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: %s\n", usage);
		return EXIT_USAGE;
	}
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
