/* vfmgr plan POLICY / vfmgr apply POLICY: show, or make, the changes that converge the host. */
#include "vfmgr/apply.h"
#include "vfmgr/apply-confirm.h"
#include "vfmgr/apply-gate.h"
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/cmd-daemon-client.h"
#include "vfmgr/metrics.h"
#include "util/log.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

/* plan --detailed-exitcode: changes pending. Not 2, which is a usage error for every command. */
#define PLAN_EXIT_CHANGES 3

/* Loads, plans and prints the diagnostics: 0 with *pl, or -errno, said with the policy's name. */
static int make_plan(const struct cmd_args *a, bool lock, struct context *ctx, struct plan *pl)
{
	struct policy_diags d;
	int r;

	struct load_opts o = {.policy_file = a->argv[0],
	                      .state_file = a->state_file,
	                      .hostname = a->hostname,
	                      .lock = lock,
	                      .lock_wait_ms = LOCK_WAIT_DEFAULT_MS};

	r = context_open(ctx, &o);
	if (r < 0)
		return r;
	context_diags_init(ctx, &d);
	r = plan_build(ctx->policy, &ctx->host, &ctx->state, pl, &d, 0);
	context_print_diags(&d);
	policy_diags_free(&d);
	if (r < 0)
		log_error("%s: cannot plan%s; nothing was changed", a->argv[0],
		          r == -EINVAL ? " (see above)" : "");
	return r;
}

/* With a daemon running, the plan is not the whole story: say what the daemon itself would
 * carry out (one listens on its socket; asking it would cost a request, and a socket file a
 * killed daemon left says nothing). */
static void note_daemon(void)
{
	char sock[PATH_MAX];

	if (run_path("control", sock, sizeof(sock)) == 0 && ctl_daemon_listening(sock))
		log_notice("a vfmgr daemon runs (%s): its own healing applies steps up to %s; "
		           "'vfmgr apply' through it keeps --allow",
		           sock, sriov_impact_name(DAEMON_HEAL_ALLOW));
}

int cmd_plan(const struct cmd_args *a)
{
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	_cleanup_plan_ struct plan pl = {0};

	if (make_plan(a, false, &ctx, &pl) < 0)
		return EXIT_FAIL;
	if (!a->json)
		plan_print_from(&pl, &ctx.state, stdout);
	else if (cmd_json_print(plan_to_json(&pl), stdout) < 0)
		return EXIT_FAIL;
	note_daemon();
	return a->detailed_exitcode && pl.n ? PLAN_EXIT_CHANGES : EXIT_OK;
}

/* A routine apply never drops a host link by surprise: a step above the allowed impact stops
 * the apply before its first write, unless the admin accepts it at a terminal (as with
 * terraform apply). */
static int check_impact(const struct cmd_args *args, const struct plan *pl, size_t *refused)
{
	*refused = plan_first_above(pl, args->allow);
	if (*refused == pl->n)
		return 0;
	if (apply_may_ask(args->json, args->yes)) {
		if (apply_confirm(pl, args->allow, stdin, stdout)) {
			*refused = pl->n;
			return 0;
		}
		log_error("%s: not confirmed; nothing was changed", args->argv[0]);
		return -EPERM;
	}
	return apply_gate(pl, args->allow, args->argv[0], refused);
}

/* Prints the plan and, unless a step is above the allowed impact, applies it; an exit status. */
static int apply_planned(const struct cmd_args *a, struct context *ctx, struct plan *pl)
{
	struct apply_report rep = {.failed = pl->n};
	size_t refused = pl->n;
	int r;

	if (!a->json)
		plan_print_from(pl, &ctx->state, stdout);
	fflush(stdout);
	if (check_impact(a, pl, &refused) < 0) {
		r = EXIT_FAIL;
	} else {
		apply_catch_signals();
		r = apply_plan_report(pl, ctx->nl, ctx->state_file, &ctx->state, &rep) < 0
		        ? EXIT_FAIL
		        : EXIT_OK;
	}
	if (a->json && cmd_json_print(apply_summary_json(pl, a->allow, r == EXIT_OK, refused, &rep),
	                              stdout) < 0)
		r = EXIT_FAIL;
	return r;
}

int cmd_apply(const struct cmd_args *a)
{
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	_cleanup_plan_ struct plan pl = {0};
	int r;

	/* With a daemon running, it applies (it holds the lock and would undo our changes). */
	struct ctl_request req = {.command = CTL_APPLY, .json = a->json, .allow = a->allow};
	if (abs_path(a->argv[0], req.policy, sizeof(req.policy)) < 0 ||
	    snprintf(req.policy_arg, sizeof(req.policy_arg), "%s", a->argv[0]) >=
	        (int)sizeof(req.policy_arg))
		return EXIT_USAGE;
	r = ctl_client_forward(&req, a->state_file);
	if (r >= 0)
		return r;
	r = make_plan(a, true, &ctx, &pl) < 0 ? EXIT_FAIL : apply_planned(a, &ctx, &pl);
	/* For vfmgr metrics: a refused step and a plan that failed are failed applies too. */
	if (ctx.lock_fd >= 0)
		metrics_record_apply(r == EXIT_OK, pl.n, false);
	return r;
}
