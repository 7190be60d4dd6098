/* Hostile input (issue 14): every bad policy or state file ends at once, with an error naming
 * the file, and changes nothing. Each test would hang, exhaust memory or pass silently on the
 * code before the fix. */
#include "policy-expect.h"
#include "util/file.h"
#include "util/parse.h"
#include "vfmgr/observe-host.h"
#include "vfmgr/observe-mgmt.h"
#include "util/sysfs.h"
#include "vfmgr/state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/vfmgr-hostile-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tpath(const char *name)
{
	static char p[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parses the file and returns its first diagnostic as vfmgr check prints it. */
static int parse_file_first(const char *path, char *first, size_t size, struct policy_diags *d)
{
	struct policy *p = NULL;
	int r;

	policy_diags_init(d);
	r = policy_parse_file(path, &p, d);
	first[0] = '\0';
	if (d->n)
		policy_diag_format(d, &d->items[0], first, size);
	policy_free(p);
	return r;
}

static void test_fifo_policy_is_refused_without_blocking(void **state)
{
	const char *f = tpath("p.yaml");
	struct policy_diags d;
	char got[512], want[512];
	(void)state;

	assert_int_equal(mkfifo(f, 0600), 0);
	assert_int_equal(parse_file_first(f, got, sizeof(got), &d), -EINVAL);
	snprintf(want, sizeof(want),
	         "%s: error: a FIFO, not a regular file: a policy must be a regular "
	         "file",
	         f);
	assert_string_equal(got, want);
	policy_diags_free(&d);
	/* A character device that never ends (/dev/zero) is refused the same way. */
	assert_int_equal(parse_file_first("/dev/zero", got, sizeof(got), &d), -EINVAL);
	assert_string_equal(got,
	                    "/dev/zero: error: a character device, not a regular file: a policy "
	                    "must be a regular file");
	policy_diags_free(&d);
}

static void test_oversized_policy_is_refused_unread(void **state)
{
	const char *f = tpath("big.yaml");
	struct policy_diags d;
	char got[512], want[512];
	int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	(void)state;

	/* Sparse: 33 MiB that are never written, so the test costs nothing. */
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 33 << 20), 0);
	close(fd);
	assert_int_equal(parse_file_first(f, got, sizeof(got), &d), -EINVAL);
	snprintf(want, sizeof(want), "%s: error: larger than 32 MiB, the most a policy may be", f);
	assert_string_equal(got, want);
	policy_diags_free(&d);
}

static void test_deep_nesting_stops_at_the_limit(void **state)
{
	size_t n = 100000, len = 0;
	char *y = malloc(32 + 2 * n);
	double t0 = now_s();
	(void)state;

	len += (size_t)sprintf(y, "version: 1\npfs: ");
	memset(y + len, '[', n);
	memset(y + len + n, ']', n);
	y[len + 2 * n] = '\0';
	/* 53 s before the limit (libyaml's scanner is quadratic in depth). */
	assert_null(policy_expect(y,
	                          "t.yaml:2:69: error: nested more than 64 levels deep, far deeper "
	                          "than any policy",
	                          NULL));
	assert_true(now_s() - t0 < 1.0);
	free(y);
}

static void test_tags_are_refused(void **state)
{
	(void)state;
	assert_null(
	    policy_expect("version: 1\npfs:\n  - name: a\n    numvfs: !!str 2\n",
	                  "t.yaml:4:13: error: tag tag:yaml.org,2002:str: tags are not part of "
	                  "the policy language (remove it)",
	                  NULL));
	assert_null(
	    policy_expect("version: 1\nnetworks: !custom []\n",
	                  "t.yaml:2:11: error: tag !custom: tags are not part of the policy "
	                  "language (remove it)",
	                  NULL));
}

static void test_nul_in_key_is_refused(void **state)
{
	(void)state;
	/* The key used to compare equal to "pfs" up to the NUL. */
	assert_null(policy_expect("version: 1\n\"pfs\\0x\": []\n",
	                          "t.yaml:2:1: error: a NUL byte (\\0) in a scalar", NULL));
}

static void test_vlan_4095_is_reserved(void **state)
{
	(void)state;
	assert_null(policy_expect(
	    "version: 1\nnetworks:\n  - { name: n, class: vm, vlan: 4095 }\n",
	    "t.yaml:3:33: error: 'vlan' must be an integer in 0-4094, got '4095'", NULL));
}

static void test_dot_names_are_refused(void **state)
{
	(void)state;
	assert_null(
	    policy_expect("version: 1\nvms:\n  - name: \"..\"\n  - name: .\n",
	                  "t.yaml:3:11: error: 'name' must be 1-64 letters, digits, '-', '_' or "
	                  "'.' (not . or ..), got '..'",
	                  "t.yaml:4:11: error: 'name' must be 1-64 letters, digits, '-', '_' or "
	                  "'.' (not . or ..), got '.'",
	                  NULL));
}

static void test_control_characters_are_escaped_in_messages(void **state)
{
	(void)state;
	assert_null(
	    policy_expect("version: 1\nvms:\n  - name: \"a\\e[2Jb\\nvfmgr: ok\"\n",
	                  "t.yaml:3:11: error: 'name' must be 1-64 letters, digits, '-', '_' or "
	                  "'.' (not . or ..), got 'a\\x1b[2Jb\\x0avfmgr: ok'",
	                  NULL));
}

static void test_reported_errors_are_capped(void **state)
{
	struct policy_diags d;
	struct policy *p = NULL;
	char *y = malloc(1000 * 16 + 16), got[512];
	size_t len = (size_t)sprintf(y, "version: 1\n");
	(void)state;

	for (int i = 0; i < 1000; i++)
		len += (size_t)sprintf(y + len, "k%d: 1\n", i);
	policy_diags_init(&d);
	assert_int_equal(policy_parse_buffer("t.yaml", y, len, &p, &d), -EINVAL);
	assert_int_equal(d.n_errors, 1000);
	assert_int_equal(d.n, POLICY_DIAGS_MAX + 1);
	policy_diag_format(&d, &d.items[d.n - 1], got, sizeof(got));
	assert_string_equal(got,
	                    "t.yaml: error: ... and 900 more problems not shown (1000 errors, 0 "
	                    "warnings in all)");
	policy_diags_free(&d);
	free(y);
}

static void test_long_lists_are_refused_before_allocating(void **state)
{
	size_t n = POLICY_PFS_MAX + 1, len;
	char *y = malloc(32 + 5 * n);
	(void)state;

	len = (size_t)sprintf(y, "version: 1\npfs:\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(y + len, "- {}\n");
	assert_null(policy_expect(y,
	                          "t.yaml:3:1: error: 'pfs' has 65537 entries, more than the 65536 "
	                          "allowed",
	                          NULL));
	free(y);
}

static void test_special_or_huge_state_is_refused(void **state)
{
	struct state s;
	const char *f = tpath("s.fifo");
	int fd;
	(void)state;

	assert_int_equal(mkfifo(f, 0600), 0);
	assert_int_equal(state_load(f, &s), -EINVAL);
	assert_int_equal(state_load("/dev/zero", &s), -EINVAL);
	f = tpath("big.json");
	fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 17 << 20), 0);
	close(fd);
	assert_int_equal(state_load(f, &s), -EINVAL);
	/* Missing is still an empty state. */
	assert_int_equal(state_load(tpath("none.json"), &s), 0);
	assert_int_equal(s.n, 0);
}

static void test_state_of_another_user_is_refused(void **state)
{
	const char *f = tpath("other.json");
	FILE *fp = fopen(f, "w");
	struct state s;
	(void)state;

	assert_non_null(fp);
	fputs("{\"version\": 1, \"allocations\": [], \"passthrough\": []}\n", fp);
	fclose(fp);
	assert_int_equal(state_load(f, &s), 0);
	if (geteuid() != 0)
		skip();
	assert_int_equal(chown(f, 65534, 65534), 0);
	assert_int_equal(state_load(f, &s), -EPERM);
}

static void test_many_passthrough_entries_load_fast(void **state)
{
	json_t *pts = json_array();
	json_t *j;
	struct state s;
	char err[200];
	double t0;
	(void)state;

	for (unsigned i = 0; i < 4096; i++) {
		char a[16];
		snprintf(a, sizeof(a), "0000:%02x:%02x.%u", i >> 8, (i >> 3) & 0x1f, i & 7);
		json_array_append_new(pts, json_pack("{s:s, s:i, s:s, s:n}", "vm", "v", "index", i,
		                                     "address", a, "driver_before"));
	}
	j = json_pack("{s:i, s:[], s:o}", "version", 1, "allocations", "passthrough", pts);
	t0 = now_s();
	assert_int_equal(state_from_json(j, &s, err, sizeof(err)), 0);
	assert_true(now_s() - t0 < 0.5);
	state_free(&s);
	/* One more than any host has PCI functions for is refused. */
	json_array_append_new(json_object_get(j, "passthrough"),
	                      json_pack("{s:s, s:i, s:s, s:n}", "vm", "v", "index", 4096, "address",
	                                "0001:00:00.0", "driver_before"));
	assert_int_equal(state_from_json(j, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "4097 passthrough entries, more than the 4096 PCI functions vfmgr "
	                         "handles");
	json_decref(j);
}

static bool is_regular(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void test_state_save_never_writes_through_a_planted_symlink(void **state)
{
	const char *sd = tpath("sd"), *victim = tpath("victim");
	char sp[256], tmp[256], buf[16] = "";
	struct state s = {0};
	FILE *fp;
	(void)state;

	assert_int_equal(mkdir(sd, 0755), 0);
	fp = fopen(victim, "w");
	fputs("precious\n", fp);
	fclose(fp);
	snprintf(sp, sizeof(sp), "%s/state.json", sd);
	snprintf(tmp, sizeof(tmp), "%s/state.json.tmp", sd);
	/* The old temp name and the file itself, both planted as links to the victim. */
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(symlink(victim, sp), 0);
	assert_int_equal(state_save(sp, &s), 0);
	assert_true(is_regular(sp));
	fp = fopen(victim, "r");
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "precious\n");
	assert_int_equal(state_load(sp, &s), 0);
}

static void test_state_dir_writable_by_others_is_refused(void **state)
{
	const char *sd = tpath("open");
	char sp[256];
	struct state s = {0};
	(void)state;

	assert_int_equal(mkdir(sd, 0700), 0);
	assert_int_equal(chmod(sd, 0777), 0);
	snprintf(sp, sizeof(sp), "%s/state.json", sd);
	assert_int_equal(state_save(sp, &s), -EPERM);
	assert_false(is_regular(sp));
	/* Sticky and root's, like /tmp: others cannot replace what vfmgr made. */
	assert_int_equal(chmod(sd, 01777), 0);
	if (geteuid() == 0)
		assert_int_equal(state_save(sp, &s), 0);
	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(sd, 0755), 0);
	assert_int_equal(chown(sd, 65534, 65534), 0);
	assert_int_equal(state_save(sp, &s), -EPERM);
}

static void test_lock_files_refuse_links_and_special_files(void **state)
{
	const char *ld = tpath("run"), *victim = tpath("lock-victim");
	char why[160], p[256];
	int dfd, fd;
	(void)state;

	assert_int_equal(mkdir(ld, 0755), 0);
	assert_int_equal(dir_open_trusted(ld, &dfd, why, sizeof(why)), 0);
	snprintf(p, sizeof(p), "%s/lock", ld);
	assert_int_equal(symlink(victim, p), 0);
	assert_int_equal(lockfile_open(dfd, "lock", &fd, why, sizeof(why)), -ELOOP);
	assert_string_equal(why, "is a symbolic link");
	assert_int_equal(access(victim, F_OK), -1); /* not created through the link */
	snprintf(p, sizeof(p), "%s/fifo", ld);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(lockfile_open(dfd, "fifo", &fd, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "is a FIFO, not a regular file");
	assert_int_equal(lockfile_open(dfd, "lock2", &fd, why, sizeof(why)), 0);
	close(fd);
	close(dfd);
	/* A run directory that is a symlink is refused. */
	snprintf(p, sizeof(p), "%s/run-link", dir);
	assert_int_equal(symlink(ld, p), 0);
	assert_int_equal(dir_open_trusted(p, &dfd, why, sizeof(why)), -ENOTDIR);
	assert_string_equal(why, "not a directory (a symbolic link or a file)");
}

static void test_sysfs_read_fails_on_truncation(void **state)
{
	char p[512], small[64], big[8192], want[8192];
	size_t len = 0;
	FILE *f;
	(void)state;

	/* A CPU list of a 2048-CPU host, longer than the 64 bytes irq.c used to read. */
	for (int cpu = 0; cpu < 2048; cpu += 2)
		len += (size_t)sprintf(want + len, "%s%d", cpu ? "," : "", cpu);
	snprintf(p, sizeof(p), "%s/proc/irq/5", dir);
	assert_int_equal(system((snprintf(big, sizeof(big), "mkdir -p %s", p), big)), 0);
	strcat(p, "/smp_affinity_list");
	f = fopen(p, "w");
	fprintf(f, "%s\n", want);
	fclose(f);
	sysfs_set_root(dir);
	assert_int_equal(sysfs_read_str(small, sizeof(small), "/proc/irq/5/smp_affinity_list"),
	                 -EOVERFLOW);
	assert_int_equal(sysfs_read_str(big, sizeof(big), "/proc/irq/5/smp_affinity_list"), 0);
	assert_string_equal(big, want);
	/* Exactly filling the buffer (all but the final newline) is not a truncation. */
	assert_int_equal(sysfs_read_str(big, len + 1, "/proc/irq/5/smp_affinity_list"), 0);
	assert_string_equal(big, want);
	assert_int_equal(sysfs_read_str(big, len, "/proc/irq/5/smp_affinity_list"), -EOVERFLOW);
	sysfs_set_root("");
}

static void test_pci_domains_are_32_bit(void **state)
{
	struct pci_addr a;
	char buf[PCI_ADDR_STR_LEN];
	struct policy *p;
	(void)state;

	/* VMD domains start at 10000; masked to 16 bits they aliased 0000:... */
	assert_int_equal(parse_pci_addr("10000:3b:00.1", &a), 0);
	assert_int_equal(a.domain, 0x10000);
	format_pci_addr(&a, buf);
	assert_string_equal(buf, "10000:3b:00.1");
	assert_int_equal(parse_pci_addr("ffffffff:00:1f.7", &a), 0);
	format_pci_addr(&a, buf);
	assert_string_equal(buf, "ffffffff:00:1f.7");
	assert_int_equal(parse_pci_addr("100000000:00:00.0", &a), -EINVAL);
	assert_int_equal(parse_pci_addr("1:00:00.0", &a), -EINVAL);
	p = policy_expect_valid(
	    "version: 1\npfs:\n  - name: a\n    match: { pci: \"10000:01:00.0\" }\n"
	    "    switch: s\n    numvfs: 2\n");
	assert_int_equal(p->pfs[0].match.pci.addr.domain, 0x10000);
	policy_free(p);
	/* The host's order: by domain as a number, then netdevsim devices. */
	assert_true(host_addr_cmp("0000:ff:00.0", "ffff:00:00.0") < 0);
	assert_true(host_addr_cmp("ffff:00:00.0", "10000:00:00.0") < 0);
	assert_true(host_addr_cmp("10000:00:00.0", "netdevsim0") < 0);
	assert_true(host_addr_cmp("netdevsim2", "netdevsim10") < 0);
}

static void test_management_route_says_where_it_came_from(void **state)
{
	char why[200];
	(void)state;

	mgmt_route_why(why, sizeof(why), "eth0", 254, false);
	assert_string_equal(why, "default route via eth0");
	/* Policy routing and VRFs: a default route in another table is host traffic too. */
	mgmt_route_why(why, sizeof(why), "eth1", 100, false);
	assert_string_equal(why, "default route (table 100) via eth1");
	mgmt_route_why(why, sizeof(why), "enp1s0f0", 254, true);
	assert_string_equal(why, "default route via enp1s0f0, learned from an IPv6 router "
	                         "advertisement; a port that must carry no host traffic wants "
	                         "sysctl net.ipv6.conf.enp1s0f0.accept_ra=0");
}

static void test_host_traffic_false_contradicts_management(void **state)
{
	(void)state;
	assert_null(
	    policy_expect("version: 1\npfs:\n  - { name: m, match: { pci: \"0000:01:00.0\" "
	                  "}, management: true, host-traffic: false }\n",
	                  "t.yaml:3:80: error: pf 'm' is a management pf; it cannot also say "
	                  "host-traffic: false",
	                  NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fifo_policy_is_refused_without_blocking),
	    cmocka_unit_test(test_oversized_policy_is_refused_unread),
	    cmocka_unit_test(test_deep_nesting_stops_at_the_limit),
	    cmocka_unit_test(test_tags_are_refused),
	    cmocka_unit_test(test_nul_in_key_is_refused),
	    cmocka_unit_test(test_vlan_4095_is_reserved),
	    cmocka_unit_test(test_dot_names_are_refused),
	    cmocka_unit_test(test_control_characters_are_escaped_in_messages),
	    cmocka_unit_test(test_reported_errors_are_capped),
	    cmocka_unit_test(test_long_lists_are_refused_before_allocating),
	    cmocka_unit_test(test_special_or_huge_state_is_refused),
	    cmocka_unit_test(test_state_of_another_user_is_refused),
	    cmocka_unit_test(test_many_passthrough_entries_load_fast),
	    cmocka_unit_test(test_state_save_never_writes_through_a_planted_symlink),
	    cmocka_unit_test(test_state_dir_writable_by_others_is_refused),
	    cmocka_unit_test(test_lock_files_refuse_links_and_special_files),
	    cmocka_unit_test(test_sysfs_read_fails_on_truncation),
	    cmocka_unit_test(test_pci_domains_are_32_bit),
	    cmocka_unit_test(test_management_route_says_where_it_came_from),
	    cmocka_unit_test(test_host_traffic_false_contradicts_management),
	};
	return cmocka_run_group_tests_name("hostile-input", tests, setup, teardown);
}
