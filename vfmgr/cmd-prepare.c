/* vfmgr prepare VM: what apply would do, for one VM only (the libvirt hook runs it before the
 * VM starts): its VFs allocated and set, its devices on vfio-pci. */
#include "vfmgr/apply.h"
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

int cmd_prepare(const struct cmd_args *a)
{
	const char *policy = a->policy, *vm = a->argv[0];
	bool known = false, if_managed = a->if_managed;
	struct policy_diags d;
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	_cleanup_plan_ struct plan pl = {0};
	int r;

	/* An on-demand VM gets its VFs here, where it starts. */
	struct load_opts o = {.policy_file = policy,
	                      .state_file = a->state_file,
	                      .keep_vm = vm,
	                      .lock = true,
	                      .lock_wait_ms = LOCK_WAIT_DEFAULT_MS};
	if (context_open(&ctx, &o) < 0)
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
	/* From here a signal (SIGHUP, a closed pipe) must not end the run half way. */
	apply_catch_signals();
	plan_print_from(&pl, &ctx.state, stdout);
	fflush(stdout);
	return apply_plan(&pl, ctx.nl, ctx.state_file, &ctx.state) < 0 ? EXIT_FAIL : EXIT_OK;
}
