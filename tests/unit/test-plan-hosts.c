/* On-demand VMs in the plan: left out while they hold nothing in the state, planned once they
 * do; the PFs' whole-device VM indices follow the shorter VM list. */
#include "vfmgr/plan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char yaml[] = "version: 1\n"
                           "pfs:\n"
                           "  - { name: a, match: { pci: \"0000:01:00.0\" }, numvfs: 2 }\n"
                           "  - { name: whole, match: { pci: \"0000:03:00.0\" } }\n"
                           "networks: [{ name: prod, vlan: 100, class: vm, pfs: [a] }]\n"
                           "vms:\n"
                           "  - { name: roam, hosts: [\"web*\"], nics: [{ network: prod }] }\n"
                           "  - { name: pinned, hosts: [web1], nics: [{ network: prod }] }\n"
                           "  - { name: nfv, passthrough: [{ pf: whole }] }\n";

static struct policy *load(void)
{
	struct policy_diags d;
	struct policy *p = NULL;

	policy_diags_init(&d);
	assert_int_equal(policy_parse_buffer_as("t.yaml", yaml, strlen(yaml),
	                                        &(struct policy_select){.host = "web1"}, &p, &d),
	                 0);
	policy_diags_free(&d);
	return p;
}

static void test_on_demand_vm_is_planned_only_once_it_holds_vfs(void **state)
{
	struct policy *p = load(), here;
	struct state st = {0};
	struct state_alloc a = {.vm = "roam", .pf = "a", .vf = 0};
	bool filtered;

	(void)state;
	assert_int_equal(p->pfs[1].passthrough_vm, 2);
	assert_int_equal(plan_policy_here(p, &st, &here, &filtered), 0);
	assert_true(filtered);
	assert_int_equal(here.n_vms, 2);
	assert_string_equal(here.vms[0].name.value, "pinned");
	assert_string_equal(here.vms[1].name.value, "nfv");
	assert_int_equal(here.pfs[1].passthrough_vm, 1);
	assert_int_equal(p->n_vms, 3); /* the policy itself is untouched */
	plan_policy_here_free(&here, filtered);

	/* Started here (prepare allocated its VF): planned, and kept, like any VM. */
	st.allocs = &a;
	st.n = 1;
	assert_int_equal(plan_policy_here(p, &st, &here, &filtered), 0);
	assert_false(filtered);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_on_demand_vm_is_planned_only_once_it_holds_vfs),
	};

	return cmocka_run_group_tests_name("plan-hosts", tests, NULL, NULL);
}
