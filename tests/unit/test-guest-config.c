/* vfmgr guest-config's model: what the VM's OS gets for each kind of NIC, as netplan version 2.
 * Each case is a policy and the exact document for one of its VMs. */
#include "case-table.h"
#include "policy-expect.h"
#include "vfmgr/guest-config.h"

#include <jansson.h>

#define PFS                                                                                        \
	"version: 1\n"                                                                             \
	"pfs:\n"                                                                                   \
	"  - { name: a, match: { pci: \"0000:01:00.0\" }, switch: s1, numvfs: 4 }\n"               \
	"  - { name: b, match: { pci: \"0000:02:00.0\" }, switch: s2, numvfs: 4 }\n"               \
	"  - { name: c, match: { mac: \"00:1b:21:00:00:0c\" }, switch: s3 }\n"                     \
	"networks:\n"                                                                              \
	"  - { name: n, vlan: 100, class: vm, pfs: [a, b] }\n"                                     \
	"vms:\n"

#define BOND0                                                                                      \
	"\"bonds\": {\"bond0\": {\"interfaces\": [\"nic0\", \"nic0b\"], \"parameters\": "          \
	"{\"mode\": \"active-backup\", \"primary\": \"nic0\", \"mii-monitor-interval\": 100, "     \
	"\"fail-over-mac-policy\": \"active\"}}}"

struct gc_case {
	const char *name, *yaml, *vm, *want;
	size_t skipped;
};

static const struct gc_case cases[] = {
    /* net_failover pairs standby and VF by MAC: two masters, each its own leg's MAC, bonded;
     * the match names the master's driver so the standby and VF stay unconfigured. */
    {"test_redundant_migratable_nic_is_two_failover_masters_bonded",
     PFS "  - name: w\n"
         "    nics: [ { network: n, mac: \"52:54:00:00:01:01\", redundant: true, "
         "migratable: true } ]\n",
     "w",
     "{\"network\": {\"version\": 2, \"ethernets\": {"
     "\"nic0\": {\"match\": {\"macaddress\": \"52:54:00:00:01:01\", \"driver\": "
     "\"net_failover\"}}, "
     "\"nic0b\": {\"match\": {\"macaddress\": \"62:fd:f0:f7:6d:d5\", \"driver\": "
     "\"net_failover\"}}}, " BOND0 "}}",
     0},
    {"test_redundant_nic_is_a_bond_of_its_two_vfs_by_mac",
     PFS
     "  - { name: w, nics: [ { network: n, redundant: true, mac-b: \"52:54:00:00:01:02\" } ] }\n",
     "w",
     "{\"network\": {\"version\": 2, \"ethernets\": {"
     "\"nic0\": {\"match\": {\"macaddress\": \"9a:f8:b4:09:0f:c8\"}}, "
     "\"nic0b\": {\"match\": {\"macaddress\": \"52:54:00:00:01:02\"}}}, " BOND0 "}}",
     0},
    {"test_migratable_nic_matches_its_failover_master",
     PFS
     "  - { name: w, nics: [ { network: n, mac: \"52:54:00:00:01:01\", migratable: true } ] }\n",
     "w",
     "{\"network\": {\"version\": 2, \"ethernets\": {\"nic0\": {\"match\": {\"macaddress\": "
     "\"52:54:00:00:01:01\", \"driver\": \"net_failover\"}}}}}",
     0},
    /* A VF left on the host is not the VM's; a whole PF is there by its MAC when the policy
     * knows it, and is counted as left out when not. */
    {"test_host_vfs_are_left_out_and_whole_pfs_matched_by_mac",
     PFS "  - name: w\n"
         "    nics:\n"
         "      - { network: n, mac: \"52:54:00:00:01:01\" }\n"
         "      - { network: n, mac: \"52:54:00:00:01:02\", vf-driver: kernel }\n"
         "    passthrough: [ { pf: c }, { pci: \"0000:05:00.0\" } ]\n",
     "w",
     "{\"network\": {\"version\": 2, \"ethernets\": {"
     "\"nic0\": {\"match\": {\"macaddress\": \"52:54:00:00:01:01\"}}, "
     "\"pt0\": {\"match\": {\"macaddress\": \"00:1b:21:00:00:0c\"}}}}}",
     1},
    /* The mtu goes where the guest configures: the bond (it passes it to its legs), or the
     * lone VF. */
    {"test_network_mtu_is_on_the_bond_or_the_lone_vf",
     "version: 1\n"
     "pfs:\n"
     "  - { name: a, match: { pci: \"0000:01:00.0\" }, switch: s1, numvfs: 4 }\n"
     "  - { name: b, match: { pci: \"0000:02:00.0\" }, switch: s2, numvfs: 4 }\n"
     "networks:\n"
     "  - { name: n, vlan: 100, class: vm, pfs: [a, b], mtu: 9000 }\n"
     "vms:\n"
     "  - name: w\n"
     "    nics:\n"
     "      - { network: n, redundant: true, mac: \"52:54:00:00:01:01\", mac-b: "
     "\"52:54:00:00:01:02\" }\n"
     "      - { network: n, mac: \"52:54:00:00:01:03\" }\n",
     "w",
     "{\"network\": {\"version\": 2, \"ethernets\": {"
     "\"nic0\": {\"match\": {\"macaddress\": \"52:54:00:00:01:01\"}}, "
     "\"nic0b\": {\"match\": {\"macaddress\": \"52:54:00:00:01:02\"}}, "
     "\"nic1\": {\"match\": {\"macaddress\": \"52:54:00:00:01:03\"}, \"mtu\": 9000}}, "
     "\"bonds\": {\"bond0\": {\"interfaces\": [\"nic0\", \"nic0b\"], \"parameters\": "
     "{\"mode\": \"active-backup\", \"primary\": \"nic0\", \"mii-monitor-interval\": 100, "
     "\"fail-over-mac-policy\": \"active\"}, \"mtu\": 9000}}}}",
     0},
    {"test_vm_without_nics_gets_an_empty_version_2_document",
     PFS "  - { name: w, passthrough: [ { pci: \"0000:05:00.0\" } ] }\n", "w",
     "{\"network\": {\"version\": 2}}", 1},
};

static void test_case(void **state)
{
	const struct gc_case *c = *state;
	struct policy *p = policy_expect_valid(c->yaml);
	size_t skipped = 99;
	json_error_t e;
	json_t *want = json_loads(c->want, 0, &e), *got;

	if (!want)
		fail_msg("bad expected JSON: %s at %d", e.text, e.column);
	got = guest_config_build(p, 0, &skipped);
	assert_non_null(got);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);
		print_error("expected %s\n  actual %s\n", w, g);
		free(g);
		free(w);
		fail();
	}
	assert_int_equal(skipped, c->skipped);
	json_decref(got);
	json_decref(want);
	policy_free(p);
}

int main(void)
{
	static const struct CMUnitTest others[] = {};

	return RUN_CASES(cases, test_case, others);
}
