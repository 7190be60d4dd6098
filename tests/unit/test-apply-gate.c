/* A limit the user set (--allow) binds wherever the apply runs: the CLI's apply and a request
 * forwarded to the daemon end in the same options and the same refusal. */
#include "vfmgr/apply-gate.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/daemon.h"
#include "vfmgr/daemon-proto.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A plan of one step with the given impact: a VF count change on igb, say. */
static void one_step(struct plan *pl, struct plan_action *a, enum sriov_impact impact)
{
	memset(pl, 0, sizeof(*pl));
	memset(a, 0, sizeof(*a));
	a->kind = PLAN_SET_NUMVFS;
	snprintf(a->addr, sizeof(a->addr), "0000:02:00.0");
	a->from = 2;
	a->to = 3;
	a->impact = impact;
	snprintf(a->impact_why, sizeof(a->impact_why), "goes through 0, destroying every VF");
	pl->actions = a;
	pl->n = pl->cap = 1;
}

/* The options point into the request, as in the daemon: it outlives them. */
static struct ctl_request req;

static struct reconcile_opts forwarded(const char *request)
{
	char err[256];

	if (ctl_request_parse(request, strlen(request), &req, err, sizeof(err)) < 0)
		fail_msg("request %s refused: %s", request, err);
	return ctl_apply_opts(&req, "/etc/vfmgr/policy.yaml", NULL);
}

static void test_forwarded_allow_none_reaches_the_daemons_options(void **unused)
{
	struct reconcile_opts o =
	    forwarded("{\"command\":\"apply\",\"allow\":\"none\",\"policy_arg\":\"p.yaml\"}");

	(void)unused;
	if (o.allow != SRIOV_IMPACT_NONE)
		fail_msg("allow: expected none, got %s", sriov_impact_name(o.allow));
	assert_string_equal(o.policy_name, "p.yaml");
	/* The lock is waited for as by a local apply, not failed at once as the heal does. */
	if (o.lock_wait_ms != LOCK_WAIT_DEFAULT_MS)
		fail_msg("lock wait: expected %u ms, got %u", LOCK_WAIT_DEFAULT_MS, o.lock_wait_ms);
}

static void test_forwarded_apply_without_allow_gets_the_cli_default(void **unused)
{
	struct reconcile_opts o = forwarded("{\"command\":\"apply\"}");

	(void)unused;
	if (o.allow != PLAN_ALLOW_DEFAULT)
		fail_msg("allow: expected %s, got %s", sriov_impact_name(PLAN_ALLOW_DEFAULT),
		         sriov_impact_name(o.allow));
	assert_string_equal(o.policy_name, "/etc/vfmgr/policy.yaml");
}

static void test_cli_allow_survives_the_socket(void **unused)
{
	struct ctl_request sent = {.command = CTL_APPLY, .allow = SRIOV_IMPACT_NONE};
	char *text;

	(void)unused;
	snprintf(sent.policy_arg, sizeof(sent.policy_arg), "staged.yaml");
	text = ctl_request_format(&sent);
	assert_non_null(text);
	struct reconcile_opts o = forwarded(text);
	if (o.allow != SRIOV_IMPACT_NONE || strcmp(o.policy_name, "staged.yaml") != 0)
		fail_msg("%s: expected allow none for staged.yaml, got %s for %s", text,
		         sriov_impact_name(o.allow), o.policy_name);
	free(text);
}

static void test_gate_refuses_a_pf_reset_under_allow_none(void **unused)
{
	struct reconcile_opts o = forwarded("{\"command\":\"apply\",\"allow\":\"none\"}");
	struct plan_action a;
	struct plan pl;
	size_t refused = 99;

	(void)unused;
	one_step(&pl, &a, SRIOV_IMPACT_PF_RESET);
	assert_int_equal(apply_gate(&pl, o.allow, o.policy_name, &refused), -EPERM);
	assert_int_equal(refused, 0);
}

static void test_heal_threshold_passes_what_the_daemon_restores(void **unused)
{
	struct reconcile_opts o = RECONCILE_HEAL;
	struct plan_action a;
	struct plan pl;
	size_t refused = 99;

	(void)unused;
	one_step(&pl, &a, SRIOV_IMPACT_PF_RESET);
	assert_int_equal(apply_gate(&pl, o.allow, "p.yaml", &refused), 0);
	assert_int_equal(refused, 1);
	/* The heal never waits on the lock: a busy lock is retried later. */
	assert_int_equal(o.lock_wait_ms, 0);
}

static void test_gate_passes_a_step_within_the_limit(void **unused)
{
	struct plan_action a;
	struct plan pl;
	size_t refused = 99;

	(void)unused;
	one_step(&pl, &a, SRIOV_IMPACT_VF_DESTROY);
	assert_int_equal(apply_gate(&pl, SRIOV_IMPACT_VF_DESTROY, "p.yaml", &refused), 0);
	assert_int_equal(apply_gate(&pl, SRIOV_IMPACT_VF_RESET, "p.yaml", &refused), -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forwarded_allow_none_reaches_the_daemons_options),
	    cmocka_unit_test(test_forwarded_apply_without_allow_gets_the_cli_default),
	    cmocka_unit_test(test_cli_allow_survives_the_socket),
	    cmocka_unit_test(test_gate_refuses_a_pf_reset_under_allow_none),
	    cmocka_unit_test(test_heal_threshold_passes_what_the_daemon_restores),
	    cmocka_unit_test(test_gate_passes_a_step_within_the_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
