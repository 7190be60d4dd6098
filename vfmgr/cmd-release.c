/* vfmgr release VM: put the settings of a VM's VFs back as they were before vfmgr took them,
 * then drop the VM's allocations from the state file. */
#include "vfmgr/apply.h"
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

int cmd_release(const struct cmd_args *a)
{
	const char *vm = a->argv[0];
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	_cleanup_plan_ struct plan pl = {0};
	bool held = false, if_managed = a->if_managed;
	int r;

	if (context_load(&ctx, NULL, a->state_file, true) < 0)
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
	/* From here a signal (SIGHUP, a closed pipe) must not end the run half way. */
	apply_catch_signals();
	plan_print_from(&pl, &ctx.state, stdout);
	fflush(stdout);
	return apply_plan(&pl, ctx.nl, ctx.state_file, &ctx.state) < 0 ? EXIT_FAIL : EXIT_OK;
}
