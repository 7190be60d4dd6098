/* vfmgr init's starter policy over the lab's recorded host (two igb PFs, three VFs on the
 * first): check accepts it, its plan is empty, the management PF is commented out. */
#include "vfmgr/cmd.h"
#include "vfmgr/observe-host.h"
#include "vfmgr/observe-mgmt.h"
#include "vfmgr/plan.h"
#include "vfmgr/state.h"
#include "policy/policy.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXTURE TOP_SRCDIR "/tests/data/igb-2pf-3vf.umockdev"

static char *starter(const struct host *h)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(init_policy_write(h, "lab", f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* Parses text (printing it and its diagnostics when that fails) and plans it on h. */
static void expect_valid_and_converged(const struct host *h, const char *text, size_t pfs)
{
	struct policy_diags d;
	struct policy *p = NULL;
	struct state old = {0};
	struct plan pl = {0};
	int r;

	policy_diags_init(&d);
	r = policy_parse_buffer("init.yaml", text, strlen(text), &p, &d);
	for (size_t i = 0; i < d.n; i++)
		print_message("init.yaml:%u:%u: %s\n", d.items[i].line, d.items[i].col,
		              d.items[i].message);
	if (r != 0 || d.n)
		print_message("the starter policy was:\n%s", text);
	assert_int_equal(r, 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(p->n_pfs, pfs);
	assert_int_equal(plan_build(p, h, &old, &pl, &d, 0), 0);
	for (size_t i = 0; i < pl.n; i++) {
		char name[128];

		plan_step_name(&pl.actions[i], name, sizeof(name));
		print_message("unexpected step %zu: %s\n", i, name);
	}
	assert_int_equal(pl.n, 0);
	plan_free(&pl);
	state_free(&old);
	policy_free(p);
	policy_diags_free(&d);
}

static void test_every_pf_with_its_vf_count_and_an_empty_plan(void **state)
{
	struct host h = {0};
	char *text;

	(void)state;
	assert_int_equal(observe_host(&h), 0);
	text = starter(&h);
	if (!strstr(text, "match: { pci: \"0000:01:00.0\" }\n    numvfs: 3\n") ||
	    !strstr(text, "match: { pci: \"0000:02:00.0\" }\n    numvfs: 0\n"))
		fail_msg("expected both PFs by PCI address with numvfs 3 and 0, got:\n%s", text);
	if (strstr(text, "0000:01:10.0\""))
		fail_msg("expected no VF as a PF, got:\n%s", text);
	expect_valid_and_converged(&h, text, 2);
	free(text);
	host_free(&h);
}

static void test_the_management_pf_is_commented_out(void **state)
{
	struct mgmt_iface m = {.name = "eth0", .why = "default route via eth0"};
	struct host h = {0};
	char *text;

	(void)state;
	assert_int_equal(observe_host(&h), 0);
	mgmt_mark(&h, &m, 1);
	text = starter(&h);
	if (!strstr(text, "  # - name: eth0\n  #   match: { pci: \"0000:01:00.0\" }\n") ||
	    !strstr(text, "default route via eth0"))
		fail_msg("expected 0000:01:00.0 (eth0) commented out with the reason, got:\n%s",
		         text);
	expect_valid_and_converged(&h, text, 1);
	free(text);
	host_free(&h);
}

int main(int argc, char **argv)
{
	(void)argc;
	/* The recorded devices are only visible under umockdev's preload: re-run inside it. */
	if (!getenv("UMOCKDEV_DIR")) {
		setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
		execlp("umockdev-run", "umockdev-run", "-d", FIXTURE, "--", argv[0], (char *)NULL);
		perror("umockdev-run");
		return 1;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_pf_with_its_vf_count_and_an_empty_plan),
	    cmocka_unit_test(test_the_management_pf_is_commented_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
