/* Host selectors: which entries of a fleet policy one host keeps, which VMs are placed where
 * they start, the syntax of hosts:, and the whole-fleet check that validates each host group. */
#include "policy-expect.h"

#include <unistd.h>

static const char fleet[] = "version: 1\n"
                            "pfs:\n"
                            "  - name: up\n" /* 3 */
                            "    hosts: [\"web*\"]\n"
                            "    match: { pci: \"0000:01:00.0\" }\n"
                            "    numvfs: 2\n"
                            "  - name: up\n" /* 7 */
                            "    hosts: [\"DB-[0-9]\"]\n"
                            "    match: { pci: \"0000:3b:00.0\" }\n"
                            "    numvfs: 2\n"
                            "  - name: side\n" /* 11 */
                            "    hosts: [\"web1\"]\n"
                            "    match: { pci: \"0000:02:00.0\" }\n"
                            "    numvfs: 1\n"
                            "networks:\n"
                            "  - { name: prod, vlan: 100, class: vm, pfs: [up, side] }\n"
                            "vms:\n"
                            "  - name: roam\n" /* 18 */
                            "    hosts: [\"web*\", \"db-[0-9]\"]\n"
                            "    nics: [{ network: prod }]\n"
                            "  - name: pinned\n" /* 21 */
                            "    hosts: [\"web1\"]\n"
                            "    nics: [{ network: prod }]\n"
                            "  - name: everywhere\n" /* 24 */
                            "    nics: [{ network: prod }]\n";

static struct policy *parse_as(const char *yaml, const struct policy_select *sel)
{
	struct policy_diags d;
	struct policy *p = NULL;

	policy_diags_init(&d);
	if (policy_parse_buffer_as(POLICY_TEST_FILE, yaml, strlen(yaml), sel, &p, &d) < 0) {
		char msg[1024] = "";
		if (d.n)
			policy_diag_format(&d, &d.items[0], msg, sizeof(msg));
		fail_msg("policy invalid as host %s: %s", sel->host, msg);
	}
	policy_diags_free(&d);
	return p;
}

static void test_host_keeps_only_its_entries(void **state)
{
	struct policy *p;

	(void)state;
	p = parse_as(fleet, &(struct policy_select){.host = "web1"});
	assert_int_equal(p->n_pfs, 2);
	assert_int_equal(p->pfs[0].match.pci.addr.bus, 0x01);
	assert_string_equal(p->pfs[1].name.value, "side");
	assert_int_equal(p->networks[0].n_pfs, 2);
	assert_int_equal(p->n_vms, 3);
	assert_true(p->vms[0].on_demand);
	assert_false(p->vms[1].on_demand);
	assert_false(p->vms[2].on_demand);
	policy_free(p);

	/* The db group: the other 'up', 'side' gone from the network, no pinned VM. Globs
	 * ignore case like hostnames do. */
	p = parse_as(fleet, &(struct policy_select){.host = "db-3"});
	assert_int_equal(p->n_pfs, 1);
	assert_int_equal(p->pfs[0].match.pci.addr.bus, 0x3b);
	assert_int_equal(p->pfs[0].mark.line, 7);
	assert_int_equal(p->networks[0].n_pfs, 1);
	assert_int_equal(p->networks[0].pfs[0].index, 0);
	assert_int_equal(p->n_vms, 2);
	assert_string_equal(p->vms[0].name.value, "roam");
	assert_string_equal(p->vms[1].name.value, "everywhere");
	assert_int_equal(p->vms[1].nics[0].pf[0], 0);
	policy_free(p);
}

static bool keep_none(const char *vm, void *arg)
{
	(void)vm;
	(void)arg;
	return false;
}

static bool keep_named(const char *vm, void *arg)
{
	return strcmp(vm, arg) == 0;
}

static void test_on_demand_vm_is_kept_only_when_asked(void **state)
{
	struct policy *p;

	(void)state;
	p = parse_as(fleet, &(struct policy_select){.host = "web2", .keep_vm = keep_none});
	assert_int_equal(p->n_vms, 1);
	assert_string_equal(p->vms[0].name.value, "everywhere");
	policy_free(p);
	p = parse_as(fleet, &(struct policy_select){
	                        .host = "web2", .keep_vm = keep_named, .arg = (void *)"roam"});
	assert_int_equal(p->n_vms, 2);
	assert_string_equal(p->vms[0].name.value, "roam");
	assert_false(p->vms[0].on_demand); /* kept: planned like any VM */
	policy_free(p);
}

static void test_policy_without_hosts_is_the_same_everywhere(void **state)
{
	const char *yaml = "version: 1\n"
	                   "pfs: [{ name: a, match: { pci: \"0000:01:00.0\" }, numvfs: 1 }]\n"
	                   "networks: [{ name: n, class: vm, pfs: [a] }]\n"
	                   "vms: [{ name: v, nics: [{ network: n }] }]\n";
	struct policy *p;

	(void)state;
	p = parse_as(yaml, &(struct policy_select){.host = "anything"});
	assert_int_equal(p->n_pfs, 1);
	assert_int_equal(p->n_vms, 1);
	assert_false(p->vms[0].on_demand);
	policy_free(p);
}

/* VMs that may start on any host of a group do not all run on one: they do not count against
 * a PF's numvfs when checking; prepare refuses the one that finds no free VF. */
static void test_on_demand_vms_do_not_count_against_numvfs(void **state)
{
	const char *yaml = "version: 1\n"
	                   "pfs: [{ name: a, match: { pci: \"0000:01:00.0\" }, numvfs: 1 }]\n"
	                   "networks: [{ name: n, class: vm, pfs: [a] }]\n"
	                   "vms:\n"
	                   "  - { name: p, hosts: [web1], nics: [{ network: n }] }\n"
	                   "  - { name: r1, hosts: [\"web*\"], nics: [{ network: n }] }\n"
	                   "  - { name: r2, hosts: [\"web*\"], nics: [{ network: n }] }\n"
	                   "  - { name: q, hosts: [web1], nics: [{ network: n }] }\n";
	struct policy_diags d;
	struct policy *p = NULL;
	char msg[256];

	(void)state;
	policy_diags_init(&d);
	assert_int_equal(policy_parse_buffer_as("t.yaml", yaml, strlen(yaml),
	                                        &(struct policy_select){.host = "web1"}, &p, &d),
	                 -EINVAL);
	assert_int_equal(d.n, 1);
	policy_diag_format(&d, &d.items[0], msg, sizeof(msg));
	assert_string_equal(msg,
	                    "t.yaml:2:58: error: pf 'a' needs 2 VFs for VM NICs but numvfs is 1");
	policy_diags_free(&d);
	/* Without the second pinned VM it fits: r1 and r2 are not counted. */
	char one[512];
	snprintf(one, sizeof(one), "%.*s", (int)(strstr(yaml, "  - { name: q") - yaml), yaml);
	p = parse_as(one, &(struct policy_select){.host = "web1"});
	assert_int_equal(p->n_vms, 3);
	assert_int_equal(p->pfs[0].vf_demand, 1);
	policy_free(p);
}

static void test_hosts_syntax(void **state)
{
	(void)state;
	assert_null(policy_expect(
	    "version: 1\n"
	    "pfs:\n"
	    "  - { name: a, match: { pci: \"0000:01:00.0\" }, hosts: [] }\n"
	    "  - { name: b, match: { pci: \"0000:02:00.0\" }, hosts: web1 }\n"
	    "  - { name: c, match: { pci: \"0000:03:00.0\" }, hosts: [\"web 1\", \"\"] }\n",
	    "t.yaml:3:55: error: 'hosts' must be a non-empty sequence of hostname globs, not an "
	    "empty one",
	    "t.yaml:4:55: error: 'hosts' must be a non-empty sequence of hostname globs, not a "
	    "scalar",
	    "t.yaml:5:56: error: 'hosts' entry 'web 1' is not a hostname glob (letters, digits, "
	    "'-', '_', "
	    "'.', and the wildcards * ? [...])",
	    "t.yaml:5:65: error: 'hosts' must not be empty", NULL));
}

/* Runs the fleet check on yaml; the policy it returns goes to *kept, or is freed if kept is NULL.
 */
static int check_fleet_keep(const char *yaml, struct policy_diags *d, size_t *groups,
                            struct policy **kept)
{
	char path[] = "/tmp/vfmgr-test-fleet-XXXXXX";
	struct policy *p = NULL;
	int fd = mkstemp(path), r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	d->file = strdup(POLICY_TEST_FILE);
	r = policy_check_fleet_file(path, &p, d, groups);
	unlink(path);
	if (r == 0)
		assert_non_null(p);
	if (kept)
		*kept = p;
	else
		policy_free(p);
	return r;
}

static int check_fleet(const char *yaml, struct policy_diags *d, size_t *groups)
{
	return check_fleet_keep(yaml, d, groups, NULL);
}

/* Conflicts that only one host group has are found without naming a host: a VM for every
 * host where a host in no group has no pf for it, and two pfs on the same device on web1. */
static void test_fleet_check_evaluates_each_group(void **state)
{
	static const char no_pf[] =
	    "t.yaml:25:23: error: vm 'everywhere' nic 1: network 'prod' has no "
	    "pf that can give it a VF";
	struct policy_diags d;
	char msg[1024];
	size_t groups;

	(void)state;
	policy_diags_init(&d);
	assert_int_equal(check_fleet(fleet, &d, &groups), -EINVAL);
	/* web*, DB-[0-9], web1, db-[0-9], and a host in no group */
	assert_int_equal(groups, 5);
	assert_int_equal(d.n, 1);
	policy_diag_format(&d, &d.items[0], msg, sizeof(msg));
	assert_string_equal(msg, no_pf);
	policy_diags_free(&d);

	char broken[sizeof(fleet)];
	memcpy(broken, fleet, sizeof(fleet));
	memcpy(strstr(broken, "0000:02:00.0"), "0000:01:00.0", 12);
	policy_diags_init(&d);
	assert_int_equal(check_fleet(broken, &d, &groups), -EINVAL);
	assert_int_equal(d.n, 2);
	policy_diag_format(&d, &d.items[0], msg, sizeof(msg));
	assert_string_equal(msg,
	                    "t.yaml:13:19: error: pf 'side' matches pci 0000:01:00.0 like pf 'up' "
	                    "(at 5:19)");
	policy_diag_format(&d, &d.items[1], msg, sizeof(msg));
	assert_string_equal(msg, no_pf);
	policy_diags_free(&d);

	/* Without the VM for every host, the file is valid. */
	*strstr(broken, "  - name: everywhere") = '\0';
	memcpy(strstr(broken, "0000:01:00.0\" }\n    numvfs: 1"), "0000:02", 7);
	policy_diags_init(&d);
	assert_int_equal(check_fleet(broken, &d, &groups), 0);
	assert_int_equal(d.n, 0);
	policy_diags_free(&d);
}

/* A file whose entries name no hosts is one host view: the fleet check reads it once and still
 * validates and places it (a conflict is reported once, and the policy it returns is placed). */
static void test_fleet_check_without_hosts_validates_the_one_view(void **state)
{
	static const char one[] =
	    "version: 1\n"
	    "pfs:\n"
	    "  - { name: up, match: { pci: \"0000:01:00.0\" }, numvfs: 2 }\n"
	    "  - { name: side, match: { pci: \"0000:01:00.0\" }, numvfs: 1 }\n"
	    "networks:\n"
	    "  - { name: prod, vlan: 100, class: vm, pfs: [up] }\n"
	    "vms:\n"
	    "  - { name: a, nics: [{ network: prod }] }\n";
	char msg[1024], valid[sizeof(one)];
	struct policy_diags d;
	struct policy *p = NULL;
	size_t groups;

	(void)state;
	policy_diags_init(&d);
	assert_int_equal(check_fleet(one, &d, &groups), -EINVAL);
	assert_int_equal(groups, 1);
	assert_int_equal(d.n, 1);
	policy_diag_format(&d, &d.items[0], msg, sizeof(msg));
	assert_string_equal(msg,
	                    "t.yaml:4:33: error: pf 'side' matches pci 0000:01:00.0 like pf 'up' "
	                    "(at 3:31)");
	policy_diags_free(&d);

	memcpy(valid, one, sizeof(one));
	memcpy(strstr(valid, "01:00.0\" }, numvfs: 1"), "02", 2);
	policy_diags_init(&d);
	assert_int_equal(check_fleet_keep(valid, &d, &groups, &p), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(p->n_vms, 1);
	assert_int_equal(p->pfs[0].vf_demand, 1);
	policy_free(p);
	policy_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host_keeps_only_its_entries),
	    cmocka_unit_test(test_on_demand_vm_is_kept_only_when_asked),
	    cmocka_unit_test(test_policy_without_hosts_is_the_same_everywhere),
	    cmocka_unit_test(test_on_demand_vms_do_not_count_against_numvfs),
	    cmocka_unit_test(test_hosts_syntax),
	    cmocka_unit_test(test_fleet_check_evaluates_each_group),
	    cmocka_unit_test(test_fleet_check_without_hosts_validates_the_one_view),
	};

	return cmocka_run_group_tests_name("policy-hosts", tests, NULL, NULL);
}
