/* vfmgr plan POLICY / vfmgr apply POLICY: show, or make, the changes that converge the host. */
#include "vfmgr/apply.h"
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/cmd-daemon-client.h"
#include "vfmgr/metrics.h"
#include "util/log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct plan_opts {
	bool json;
	enum sriov_impact allow; /* apply: the most a step may disrupt */
	const char *state_file;
	const char *policy;
	const char *hostname;   /* plan: evaluate as this host */
	bool detailed_exitcode; /* plan: PLAN_EXIT_CHANGES when there is something to do */
};

/* plan --detailed-exitcode: changes pending. Not 2, which is a usage error for every command. */
#define PLAN_EXIT_CHANGES 3

static int parse_opts(int argc, char **argv, const char *usage, bool is_plan, struct plan_opts *o)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"allow", required_argument, NULL, 'a'},
	    {"state", required_argument, NULL, 's'},
	    {"hostname", required_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {"detailed-exitcode", no_argument, NULL, 'e'},
	    {0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->allow = PLAN_ALLOW_DEFAULT;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'e':
			if (!is_plan)
				goto bad;
			o->detailed_exitcode = true;
			break;
		case 'a':
			if (is_plan)
				goto bad;
			if (sriov_impact_parse(optarg, &o->allow) < 0) {
				fprintf(
				    stderr,
				    "vfmgr: --allow %s: not an impact (none, vf-reset, vf-destroy, "
				    "pf-reset)\n",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			o->state_file = optarg;
			break;
		case 'H':
			if (!is_plan)
				goto bad;
			o->hostname = optarg;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return EXIT_OK;
		default:
			goto bad;
		}
	}
	if (optind + 1 != argc)
		goto bad;
	o->policy = argv[optind];
	return -1;
bad:
	fprintf(stderr, "usage: %s\n", usage);
	return EXIT_USAGE;
}

/* Loads, plans, prints diagnostics; returns an exit status or -1 to go on with *pl. */
static int make_plan(const struct plan_opts *o, bool lock, struct context *ctx, struct plan *pl)
{
	struct policy_diags d;
	int r;

	context_select(o->hostname, NULL);
	if (context_load(ctx, o->policy, o->state_file, lock) < 0)
		return EXIT_FAIL;
	context_diags_init(ctx, &d);
	r = plan_build(ctx->policy, &ctx->host, &ctx->state, pl, &d, 0);
	context_print_diags(&d);
	policy_diags_free(&d);
	if (r < 0) {
		log_error("%s: cannot plan%s; nothing was changed", o->policy,
		          r == -EINVAL ? " (see above)" : "");
		return EXIT_FAIL;
	}
	return -1;
}

/* Prints and frees j (NULL: out of memory). */
static int print_json(json_t *j)
{
	if (!j) {
		log_error("out of memory writing JSON");
		return -ENOMEM;
	}
	json_dumpf(j, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(j);
	return 0;
}

int cmd_plan(int argc, char **argv)
{
	struct plan_opts o;
	struct context ctx;
	struct plan pl;
	int r = parse_opts(argc, argv,
	                   "vfmgr plan POLICY [--json] [--detailed-exitcode] [--state FILE] "
	                   "[--hostname NAME]",
	                   true, &o);

	if (r >= 0)
		return r;
	r = make_plan(&o, false, &ctx, &pl);
	if (r < 0) {
		r = o.detailed_exitcode && pl.n ? PLAN_EXIT_CHANGES : EXIT_OK;
		if (o.json && print_json(plan_to_json(&pl)) < 0)
			r = EXIT_FAIL;
		else if (!o.json)
			plan_print(&pl, stdout);
		plan_free(&pl);
	}
	context_free(&ctx);
	return r;
}

/* A routine apply never drops a host link by surprise: a step above the allowed impact stops
 * the apply before its first write. */
static int check_impact(const struct plan_opts *o, const struct plan *pl, size_t *refused)
{
	size_t k = plan_first_above(pl, o->allow);
	char step[160];

	*refused = k;
	if (k == pl->n)
		return 0;
	const struct plan_action *a = &pl->actions[k];
	plan_step_name(a, step, sizeof(step));
	log_error("%s: step %zu (%s) is %s: %s%s%s", o->policy, k + 1, step,
	          sriov_impact_name(a->impact), a->impact_why, a->vms[0] ? "; vms: " : "", a->vms);
	log_error("nothing was changed; review the plan with 'vfmgr plan %s', then accept it with "
	          "'vfmgr apply --allow %s %s'",
	          o->policy, sriov_impact_name(a->impact), o->policy);
	return -EPERM;
}

/* apply --json (doc/schema/apply.schema.json): the steps carried out and the ones that were
 * not, as plan --json's records. A failed apply is rolled back, so then nothing counts as
 * carried out. */
static json_t *apply_summary(const struct plan_opts *o, const struct plan *pl, bool ok,
                             size_t refused, const struct apply_report *rep)
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
	    "allow", sriov_impact_name(o->allow), "refused_step",
	    refusal ? json_integer((json_int_t)refused + 1) : json_null(), "failed_step",
	    !ok && !refusal && rep->failed < pl->n ? json_integer((json_int_t)rep->failed + 1)
	                                           : json_null(),
	    "rolled_back", !ok && !refusal && rep->rolled_back);
}

int cmd_apply(int argc, char **argv)
{
	struct plan_opts o;
	struct context ctx;
	struct plan pl;
	size_t steps = 0;
	int r = parse_opts(argc, argv,
	                   "vfmgr apply POLICY [--allow none|vf-reset|vf-destroy|pf-reset] "
	                   "[--json] [--state FILE]",
	                   false, &o);

	if (r >= 0)
		return r;
	/* With a daemon running, it applies (it holds the lock and would undo our changes). */
	struct ctl_request req = {.command = CTL_APPLY, .json = o.json};
	if (abs_path(o.policy, req.policy, sizeof(req.policy)) < 0)
		return EXIT_USAGE;
	r = ctl_client_forward(&req, o.state_file);
	if (r >= 0)
		return r;
	r = make_plan(&o, true, &ctx, &pl);
	if (r < 0) {
		struct apply_report rep = {.failed = pl.n};
		size_t refused = pl.n;
		if (!o.json)
			plan_print(&pl, stdout);
		fflush(stdout);
		if (check_impact(&o, &pl, &refused) < 0) {
			r = EXIT_FAIL;
		} else {
			apply_catch_signals();
			r = apply_plan_report(&pl, ctx.nl, ctx.state_file, &ctx.state, &rep) < 0
			        ? EXIT_FAIL
			        : EXIT_OK;
		}
		if (o.json && print_json(apply_summary(&o, &pl, r == EXIT_OK, refused, &rep)) < 0)
			r = EXIT_FAIL;
		steps = pl.n;
		plan_free(&pl);
	}
	/* For vfmgr metrics: a refused step and a plan that failed are failed applies too. */
	if (ctx.lock_fd >= 0)
		metrics_record_apply(r == EXIT_OK, steps, false);
	context_free(&ctx);
	return r;
}
