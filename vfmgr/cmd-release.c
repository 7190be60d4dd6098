/* vfmgr release VM: put the settings of a VM's VFs back as they were before vfmgr took them,
 * then drop the VM's allocations from the state file. */
#include "vfmgr/apply.h"
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "util/log.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_release(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"state", required_argument, NULL, 's'},
	    {"if-managed", no_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *state_file = NULL, *vm;
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	_cleanup_plan_ struct plan pl = {0};
	bool held = false, if_managed = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			state_file = optarg;
			break;
		case 'm':
			if_managed = true;
			break;
		case 'h':
			printf("usage: vfmgr release VM [--state FILE] [--if-managed]\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: vfmgr release VM [--state FILE] [--if-managed]\n");
		return EXIT_USAGE;
	}
	vm = argv[optind];
	if (context_load(&ctx, NULL, state_file, true) < 0)
		return EXIT_FAIL;
	for (size_t i = 0; i < ctx.state.n; i++)
		held |= strcmp(ctx.state.allocs[i].vm, vm) == 0;
	for (size_t i = 0; i < ctx.state.n_pts; i++)
		held |= strcmp(ctx.state.pts[i].vm, vm) == 0;
	if (!held) {
		if (!if_managed)
			log_error("vm %s holds no VFs or devices (%s)", vm, ctx.state_file);
		return if_managed ? EXIT_OK : EXIT_FAIL;
	}
	r = plan_release(&ctx.host, &ctx.state, vm, &pl);
	if (r < 0) {
		log_error("release %s: %s", vm, strerror(-r));
		return EXIT_FAIL;
	}
	plan_print(&pl, stdout);
	fflush(stdout);
	apply_catch_signals();
	return apply_plan(&pl, ctx.nl, ctx.state_file, &ctx.state) < 0 ? EXIT_FAIL : EXIT_OK;
}
