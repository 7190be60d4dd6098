/* vfmgr prepare VM: what apply would do, for one VM only (the libvirt hook runs it before the
 * VM starts): its VFs allocated and set, its devices on vfio-pci. */
#include "vfmgr/apply.h"
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "util/log.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>


int cmd_prepare(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"policy", required_argument, NULL, 'p'},
	    {"if-managed", no_argument, NULL, 'm'},
	    {"state", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *usage = "vfmgr prepare VM [--policy FILE] [--state FILE] [--if-managed]";
	const char *policy = DEFAULT_POLICY, *state_file = NULL, *vm;
	struct policy_diags d;
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	_cleanup_plan_ struct plan pl = {0};
	bool known = false, if_managed = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			policy = optarg;
			break;
		case 's':
			state_file = optarg;
			break;
		case 'm':
			if_managed = true;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return EXIT_OK;
		default:
			fprintf(stderr, "usage: %s\n", usage);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: %s\n", usage);
		return EXIT_USAGE;
	}
	vm = argv[optind];
	context_select(NULL, vm); /* an on-demand VM gets its VFs here, where it starts */
	if (context_load(&ctx, policy, state_file, true) < 0)
		return EXIT_FAIL;
	for (size_t i = 0; i < ctx.policy->n_vms; i++)
		known |= strcmp(ctx.policy->vms[i].name.value, vm) == 0;
	if (!known) {
		/* The libvirt hook runs for every domain: ones the policy does not name are fine.
		 */
		if (!if_managed)
			log_error("%s: no vm named %s", policy, vm);
		return if_managed ? EXIT_OK : EXIT_FAIL;
	}
	context_diags_init(&ctx, &d);
	r = plan_build(ctx.policy, &ctx.host, &ctx.state, &pl, &d, 0);
	context_print_diags(&d);
	policy_diags_free(&d);
	if (r == 0)
		r = plan_restrict_to_vm(&pl, &ctx.state, vm);
	if (r < 0) {
		log_error("prepare %s: cannot plan; nothing was changed", vm);
		return EXIT_FAIL;
	}
	plan_print(&pl, stdout);
	fflush(stdout);
	apply_catch_signals();
	return apply_plan(&pl, ctx.nl, ctx.state_file, &ctx.state) < 0 ? EXIT_FAIL : EXIT_OK;
}
