/* The one option parser (cmd-opts.c) over the real command table: each command takes the
 * options its entry names and refuses the others with exit 2, --help exits 0 everywhere
 * (subcommands too), operand counts are enforced, option values are checked. */
#include "vfmgr/cmd.h"
#include "vfmgr/plan.h"
#include "util/log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct cmd_args seen;
static int runs;

static int record(const struct cmd_args *a)
{
	seen = *a;
	runs++;
	return 42;
}

/* The real table with every run replaced, so nothing touches the host. */
static struct command table[64];
static struct command rss_subs[8];
static size_t n_table;

static int setup(void **state)
{
	(void)state;
	n_table = vfmgr_n_commands;
	assert_true(n_table <= 64);
	memcpy(table, vfmgr_commands, n_table * sizeof(*table));
	for (size_t i = 0; i < n_table; i++) {
		table[i].run = record;
		if (table[i].subs) {
			assert_true(table[i].n_subs <= 8);
			memcpy(rss_subs, table[i].subs, table[i].n_subs * sizeof(*rss_subs));
			for (size_t k = 0; k < table[i].n_subs; k++)
				rss_subs[k].run = record;
			table[i].subs = rss_subs;
		}
	}
	log_set_level(LOG_EMERG);
	return 0;
}

static int run(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	runs = 0;
	memset(&seen, 0, sizeof(seen));
	/* Help and usage text go to /dev/null while the command line is parsed, so the test's
	 * own output stays readable. */
	fflush(stdout);
	fflush(stderr);
	int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
	assert_true(out >= 0 && err >= 0 && null >= 0);
	dup2(null, 1);
	dup2(null, 2);
	int r = cmd_dispatch(table, n_table, "", argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(null);
	return r;
}

static void test_json_everywhere_it_reports(void **state)
{
	static const char *const reporting[][3] = {
	    {"list", NULL},   {"check", "p.yaml"},  {"plan", "p.yaml"},
	    {"status", NULL}, {"qemu-args", "vm1"}, {"apply", "p.yaml"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(reporting) / sizeof(reporting[0]); i++) {
		char *argv[] = {(char *)reporting[i][0], "-j", (char *)reporting[i][1], NULL};
		assert_int_equal(run(argv), 42);
		assert_true(seen.json);
		char *argv2[] = {(char *)reporting[i][0], "--json", (char *)reporting[i][1], NULL};
		assert_int_equal(run(argv2), 42);
		assert_true(seen.json);
	}
	char *rss[] = {"rss", "show", "eth0", "-j", NULL};
	assert_int_equal(run(rss), 42);
	assert_true(seen.json);
	assert_string_equal(seen.argv[0], "eth0");
}

static void test_help_exits_0_everywhere(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_table; i++) {
		char *argv[] = {(char *)table[i].name, "--help", NULL};
		char *argv_h[] = {(char *)table[i].name, "-h", NULL};
		assert_int_equal(run(argv), 0);
		assert_int_equal(runs, 0);
		assert_int_equal(run(argv_h), 0);
		for (size_t k = 0; k < table[i].n_subs; k++) {
			char *sub[] = {(char *)table[i].name, (char *)table[i].subs[k].name,
			               "--help", NULL};
			assert_int_equal(run(sub), 0);
			assert_int_equal(runs, 0);
		}
	}
}

static void test_usage_errors_exit_2(void **state)
{
	char *unknown_cmd[] = {"bogus", NULL};
	char *unknown_opt[] = {"list", "--bogus", NULL};
	char *not_taken[] = {"apply", "p.yaml", "--hostname", "h", NULL};
	char *no_operand[] = {"check", NULL};
	char *extra[] = {"status", "x", NULL};
	char *no_value[] = {"plan", "p.yaml", "--state", NULL};
	char *bad_allow[] = {"apply", "p.yaml", "--allow", "everything", NULL};
	char *bad_wait[] = {"daemon", "--wait-pfs", "3601", NULL};
	char *no_sub[] = {"rss", NULL};
	char *bad_sub[] = {"rss", "sho", NULL};
	char **all[] = {unknown_cmd, unknown_opt, not_taken, no_operand, extra,
	                no_value,    bad_allow,   bad_wait,  no_sub,     bad_sub};
	(void)state;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		assert_int_equal(run(all[i]), EXIT_USAGE);
		assert_int_equal(runs, 0);
	}
}

static void test_values_and_defaults(void **state)
{
	char *apply[] = {"apply", "--allow", "pf-reset", "p.yaml", "--state", "s.json", NULL};
	char *plan[] = {"plan", "p.yaml", NULL};
	char *prepare[] = {"prepare", "vm1", "--if-managed", NULL};
	char *metrics[] = {"metrics", "--no-policy", NULL};
	char *daemon[] = {"daemon", "--wait-pfs", "90", "--metrics-file", "m.prom", NULL};
	char *words[] = {"rss", "set", "eth0", "weight", "1", "2", NULL};
	(void)state;

	assert_int_equal(run(apply), 42);
	assert_int_equal(seen.allow, SRIOV_IMPACT_PF_RESET);
	assert_string_equal(seen.state_file, "s.json");
	assert_int_equal(seen.argc, 1);
	assert_string_equal(seen.argv[0], "p.yaml");
	assert_int_equal(run(plan), 42);
	assert_int_equal(seen.allow, PLAN_ALLOW_DEFAULT);
	assert_null(seen.state_file);
	assert_false(seen.json);
	assert_int_equal(run(prepare), 42);
	assert_true(seen.if_managed);
	assert_string_equal(seen.policy, DEFAULT_POLICY);
	assert_int_equal(run(metrics), 42);
	assert_null(seen.policy);
	assert_int_equal(run(daemon), 42);
	assert_int_equal(seen.wait_pfs, 90);
	assert_string_equal(seen.metrics_file, "m.prom");
	assert_int_equal(run(words), 42);
	assert_int_equal(seen.argc, 4);
	assert_string_equal(seen.argv[3], "2");
}

/* Every command that takes an operand takes it after "--", so a name like --help or -web is a
 * name (the libvirt hook passes the domain this way). */
static void test_operands_after_double_dash(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_table; i++) {
		if (table[i].subs || table[i].min_args < 1)
			continue;
		char *argv[] = {(char *)table[i].name, "--", "--help", "-web", "x", "y", NULL};
		argv[2 + table[i].min_args] = NULL;
		int r = run(argv);
		if (r != 42 || runs != 1 || seen.argc != table[i].min_args ||
		    strcmp(seen.argv[0], "--help") != 0)
			fail_msg(
			    "vfmgr %s -- --help ...: expected it to run with operand --help, got "
			    "exit %d, %d runs, %d operands",
			    table[i].name, r, runs, seen.argc);
	}
	char *hook[] = {"prepare", "--if-managed", "--policy", "p.yaml", "--", "-web", NULL};
	assert_int_equal(run(hook), 42);
	assert_string_equal(seen.argv[0], "-web");
	assert_true(seen.if_managed);
	char *rel[] = {"release", "--if-managed", "--", "--help", NULL};
	assert_int_equal(run(rel), 42);
	assert_string_equal(seen.argv[0], "--help");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_everywhere_it_reports),
	    cmocka_unit_test(test_help_exits_0_everywhere),
	    cmocka_unit_test(test_usage_errors_exit_2),
	    cmocka_unit_test(test_values_and_defaults),
	    cmocka_unit_test(test_operands_after_double_dash),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
