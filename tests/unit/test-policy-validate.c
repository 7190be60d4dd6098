/* Policy rules that span mappings: names and references, isolation, redundancy, VF demand and
 * claims. Each test breaks one rule and expects the exact message vfmgr check prints. */
#include "case-table.h"
#include "policy-expect.h"

/* Two pfs on two switches, each with 2 VFs. Lines 1-5. */
#define TWO_PFS                                                                                    \
	"version: 1\n"                                                                             \
	"pfs:\n"                                                                                   \
	"  - { name: a, match: { pci: \"0000:01:00.0\" }, switch: s1, numvfs: 2 }\n"               \
	"  - { name: b, match: { pci: \"0000:02:00.0\" }, switch: s2, numvfs: 2 }\n"               \
	"  - { name: m, match: { interface: eno1 }, management: true }\n"
/* ... and a vm network n on a and b; the vms follow. */
#define TWO_PFS_ON_N                                                                               \
	TWO_PFS "networks:\n"                                                                      \
	        "  - { name: n, class: vm, pfs: [a, b] }\n"                                        \
	        "vms:\n"

static void test_redundant_pair_uses_two_switches(void **state)
{
	struct policy *p;

	(void)state;
	p = policy_expect_valid("version: 1\n"
	                        "pfs:\n"
	                        "  - { name: a, match: { pci: \"0000:01:00.0\" }, switch: s1, "
	                        "numvfs: 3 }\n"
	                        "  - { name: b, match: { pci: \"0000:02:00.0\" }, switch: s2, "
	                        "numvfs: 3 }\n"
	                        "networks:\n"
	                        "  - { name: n, class: vm, pfs: [a, b] }\n"
	                        "vms:\n"
	                        "  - { name: v, nics: [ { network: n, redundant: true } ] }\n");
	assert_int_equal(p->vms[0].nics[0].pf[0], 0);
	assert_int_equal(p->vms[0].nics[0].pf[1], 1);
	assert_int_equal(p->pfs[0].vf_demand, 1);
	assert_int_equal(p->pfs[1].vf_demand, 1);
	policy_free(p);
}

static void test_plain_nics_spread_over_the_least_loaded_pf(void **state)
{
	struct policy *p;

	(void)state;
	/* 4 plain NICs on a network of two 2-VF pfs fit only if they alternate. */
	p = policy_expect_valid(TWO_PFS_ON_N
	                        "  - name: v\n"
	                        "    nics: [ { network: n }, { network: n }, { network: n }, "
	                        "{ network: n } ]\n");
	assert_int_equal(p->vms[0].nics[0].pf[0], 0);
	assert_int_equal(p->vms[0].nics[1].pf[0], 1);
	assert_int_equal(p->vms[0].nics[2].pf[0], 0);
	assert_int_equal(p->vms[0].nics[3].pf[0], 1);
	policy_free(p);
}

/* A policy that breaks one rule and every line vfmgr check prints for it, in order; or, with
 * no line, one that keeps the rules. */
struct rule_case {
	const char *name, *yaml;
	const char *diags[3];
};

static const struct rule_case rule_cases[] = {
    /* ---- names and references ---- */
    {"test_pf_names_are_unique",
     TWO_PFS "  - { name: a, match: { driver: igb } }\n",
     {"t.yaml:6:13: duplicate pf name 'a' (first at 3:13)"}},
    {"test_network_names_are_unique",
     TWO_PFS "networks:\n"
             "  - { name: n, class: vm }\n"
             "  - { name: n, class: storage }\n",
     {"t.yaml:8:13: duplicate network name 'n' (first at 7:13)"}},
    {"test_vm_names_are_unique",
     "version: 1\n"
     "vms:\n"
     "  - name: v\n"
     "  - name: v\n",
     {"t.yaml:4:11: duplicate vm name 'v' (first at 3:11)"}},
    {"test_network_rejects_unknown_pf",
     TWO_PFS "networks:\n"
             "  - { name: n, class: vm, pfs: [a, c] }\n",
     {"t.yaml:7:36: network 'n' refers to unknown pf 'c'"}},
    {"test_network_lists_a_pf_once",
     TWO_PFS "networks:\n"
             "  - { name: n, class: vm, pfs: [a, a] }\n",
     {"t.yaml:7:36: pf 'a' is listed twice in network 'n'"}},
    {"test_vm_nic_rejects_unknown_network",
     TWO_PFS "vms:\n"
             "  - { name: v, nics: [ { network: prod } ] }\n",
     {"t.yaml:7:35: vm 'v' nic 1 refers to unknown network 'prod'"}},
    {"test_passthrough_rejects_unknown_pf",
     TWO_PFS "vms:\n"
             "  - { name: v, passthrough: [ { pf: z } ] }\n",
     {"t.yaml:7:37: vm 'v' passes through unknown pf 'z'"}},
    {"test_two_pfs_cannot_match_the_same_pci_device",
     TWO_PFS "  - { name: c, match: { pci: \"01:00.0\" } }\n",
     {"t.yaml:6:30: pf 'c' matches pci 0000:01:00.0 like pf 'a' (at 3:30)"}},
    /* ---- isolation ---- */
    {"test_vm_nic_rejects_non_vm_network",
     TWO_PFS "networks:\n"
             "  - { name: vmotion, vlan: 30, class: migration, pfs: [a] }\n"
             "vms:\n"
             "  - { name: v, nics: [ { network: vmotion } ] }\n",
     {"t.yaml:9:35: vm 'v' nic 1 cannot join network 'vmotion' of class "
      "migration; VM NICs need class vm"}},
    {"test_networks_of_different_class_cannot_share_vlan_on_a_pf",
     TWO_PFS "networks:\n"
             "  - { name: prod, vlan: 100, class: vm, pfs: [a, b] }\n"
             "  - { name: nfs, vlan: 100, class: storage, pfs: [b] }\n",
     {"t.yaml:8:51: network 'nfs' (class storage) shares vlan 100 with "
      "network 'prod' (class vm) on pf 'b'; different traffic classes need "
      "different VLANs"}},
    {"test_untagged_networks_of_different_class_conflict_too",
     TWO_PFS "networks:\n"
             "  - { name: prod, class: vm, pfs: [a] }\n"
             "  - { name: bk, class: backup, pfs: [a] }\n",
     {"t.yaml:8:38: network 'bk' (class backup) shares vlan 0 with network "
      "'prod' (class vm) on pf 'a'; different traffic classes need different "
      "VLANs"}},
    {"test_vm_network_cannot_use_management_pf",
     TWO_PFS "networks:\n"
             "  - { name: n, class: vm, pfs: [a, m] }\n",
     {"t.yaml:7:36: network 'n' of class vm cannot use management pf 'm': it "
      "would carry VFs for VMs"}},
    {"test_management_pf_is_never_touched",
     "version: 1\n"
     "pfs:\n"
     "  - name: m\n"
     "    match: { interface: eno1 }\n"
     "    management: true\n"
     "    numvfs: 2\n"
     "    rss: { channels: 2 }\n",
     {"t.yaml:6:13: pf 'm' is a management pf, which vfmgr never touches; it "
      "cannot have numvfs",
      "t.yaml:7:10: pf 'm' is a management pf, which vfmgr never touches; it "
      "cannot have rss"}},
    {"test_management_pf_cannot_be_passed_through",
     TWO_PFS "vms:\n"
             "  - name: v\n"
             "    passthrough: [ { pf: m }, { pci: \"0000:01:00.0\" } ]\n",
     {"t.yaml:8:20: vm 'v' cannot take management pf 'm'",
      "t.yaml:8:31: vm 'v' takes pf 'a' whole, but the pf has numvfs 2"}},
    {"test_passed_through_pf_carries_no_network",
     "version: 1\n"
     "pfs:\n"
     "  - { name: d, match: { pci: \"0000:05:00.0\" } }\n"
     "networks:\n"
     "  - { name: n, class: storage, pfs: [d] }\n"
     "vms:\n"
     "  - { name: v, passthrough: [ { pf: d } ] }\n",
     {"t.yaml:7:31: vm 'v' takes pf 'd' whole, but network 'n' uses it"}},
    {"test_same_vlan_is_fine_for_same_class_or_other_pf",
     TWO_PFS "networks:\n"
             "  - { name: p1, vlan: 100, class: vm, pfs: [a] }\n"
             "  - { name: p2, vlan: 100, class: vm, pfs: [a] }\n"
             "  - { name: s, vlan: 100, class: storage, pfs: [b] }\n",
     {NULL}},
    /* ---- redundancy and VF demand ---- */
    {"test_redundant_nic_needs_two_switches",
     "version: 1\n"
     "pfs:\n"
     "  - { name: a, match: { driver: igb }, switch: s1, numvfs: 2 }\n"
     "  - { name: b, match: { interface: x }, switch: s1, numvfs: 2 }\n"
     "networks:\n"
     "  - { name: n, class: vm, pfs: [a, b] }\n"
     "vms:\n"
     "  - { name: v, nics: [ { network: n, redundant: true } ] }\n",
     {"t.yaml:8:49: vm 'v' nic 1 is redundant, but network 'n' is not on two "
      "pfs with different switches"}},
    /* 2 redundant NICs take 2 VFs on each pf; the third NIC has no room left. */
    {"test_vf_demand_must_fit_numvfs",
     TWO_PFS_ON_N "  - name: v\n"
                  "    nics:\n"
                  "      - { network: n, redundant: true }\n"
                  "      - { network: n, redundant: true }\n"
                  "      - { network: n }\n",
     {"t.yaml:3:68: pf 'a' needs 3 VFs for VM NICs but numvfs is 2"}},
    {"test_vf_demand_counts_pfs_without_numvfs_as_zero",
     "version: 1\n"
     "pfs:\n"
     "  - { name: a, match: { driver: igb } }\n"
     "networks:\n"
     "  - { name: n, class: vm, pfs: [a] }\n"
     "vms:\n"
     "  - { name: v, nics: [ { network: n } ] }\n",
     {"t.yaml:3:13: pf 'a' needs 1 VFs for VM NICs but numvfs is 0"}},
    {"test_network_without_pfs_gives_no_vf",
     TWO_PFS "networks:\n"
             "  - { name: n, class: vm }\n"
             "vms:\n"
             "  - { name: v, nics: [ { network: n } ] }\n",
     {"t.yaml:9:35: vm 'v' nic 1: network 'n' has no pf that can give it a VF"}},
    /* ---- claims ---- */
    {"test_two_vms_cannot_share_a_mac",
     TWO_PFS_ON_N "  - { name: v1, nics: [ { network: n, mac: \"52:54:00:00:00:01\" } ] }\n"
                  "  - { name: v2, nics: [ { network: n, mac: \"52:54:00:00:00:01\" } ] }\n",
     {"t.yaml:10:44: vm 'v2' nic 1 uses mac 52:54:00:00:00:01, which vm 'v1' nic 1 already "
      "uses (at 9:44); every leg of every NIC needs its own MAC"}},
    {"test_two_nics_of_one_vm_cannot_share_a_mac",
     TWO_PFS_ON_N "  - name: v\n"
                  "    nics:\n"
                  "      - { network: n, mac: \"52:54:00:00:00:01\" }\n"
                  "      - { network: n, mac: \"52:54:00:00:00:01\" }\n",
     {"t.yaml:12:28: vm 'v' nic 2 uses mac 52:54:00:00:00:01, which vm 'v' nic 1 already "
      "uses (at 11:28); every leg of every NIC needs its own MAC"}},
    /* Linux's net_failover pairs a standby with its VF by MAC: one MAC on both legs would
     * leave the second pair without a master. */
    {"test_redundant_legs_cannot_share_a_mac",
     TWO_PFS_ON_N "  - name: v\n"
                  "    nics:\n"
                  "      - network: n\n"
                  "        redundant: true\n"
                  "        migratable: true\n"
                  "        mac: \"52:54:00:00:00:01\"\n"
                  "        mac-b: \"52:54:00:00:00:01\"\n",
     {"t.yaml:15:16: vm 'v' nic 1 leg b uses mac 52:54:00:00:00:01, which vm 'v' nic 1 "
      "leg a already uses (at 14:14); every leg of every NIC needs its own MAC"}},
    {"test_a_given_mac_cannot_take_a_derived_leg_b_mac",
     TWO_PFS_ON_N "  - { name: v, nics: [ { network: n, redundant: true } ] }\n"
                  "  - { name: w, nics: [ { network: n, mac: \"82:08:99:0d:73:d5\" } ] }\n",
     {"t.yaml:10:43: vm 'w' nic 1 uses mac 82:08:99:0d:73:d5, which vm 'v' nic 1 leg b "
      "(derived mac-b) already uses (at 9:49); every leg of every NIC needs its own MAC"}},
    /* The error stays on the line the admin wrote, even when the derived MAC comes later. */
    {"test_a_derived_mac_taken_earlier_is_reported_at_the_given_one",
     TWO_PFS_ON_N "  - { name: w, nics: [ { network: n, mac: \"8e:ac:e8:0e:0f:ff\" } ] }\n"
                  "  - { name: v, nics: [ { network: n } ] }\n",
     {"t.yaml:9:43: vm 'w' nic 1 uses mac 8e:ac:e8:0e:0f:ff, which vm 'v' nic 1 (derived "
      "mac) also gets (at 10:24); every leg of every NIC needs its own MAC"}},
    {"test_redundant_nic_with_link_state_enable_is_warned",
     TWO_PFS_ON_N
     "  - { name: v, nics: [ { network: n, redundant: true, link-state: enable } ] }\n",
     {"t.yaml:9:67: warning: vm 'v' nic 1 is redundant, but link-state enable keeps each leg's "
      "link up when its uplink dies, so the guest's bond never fails over; use link-state auto "
      "(the default)"}},
    {"test_redundant_nic_inherits_link_state_enable_from_defaults_with_a_warning",
     "version: 1\n"
     "defaults: { link-state: enable }\n"
     "pfs:\n"
     "  - { name: a, match: { pci: \"0000:01:00.0\" }, switch: s1, numvfs: 2 }\n"
     "  - { name: b, match: { pci: \"0000:02:00.0\" }, switch: s2, numvfs: 2 }\n"
     "networks:\n"
     "  - { name: n, class: vm, pfs: [a, b] }\n"
     "vms:\n"
     "  - { name: v, nics: [ { network: n, redundant: true }, { network: n } ] }\n",
     {"t.yaml:2:25: warning: vm 'v' nic 1 is redundant, but link-state enable keeps each leg's "
      "link up when its uplink dies, so the guest's bond never fails over; use link-state auto "
      "(the default)"}},
    {"test_redundant_nic_with_link_state_auto_is_fine",
     TWO_PFS_ON_N "  - { name: v, nics: [ { network: n, redundant: true, link-state: auto } ] }\n",
     {NULL}},
    {"test_mac_b_needs_a_redundant_nic",
     TWO_PFS_ON_N "  - { name: v, nics: [ { network: n, mac-b: \"52:54:00:00:00:02\" } ] }\n",
     {"t.yaml:9:45: vm 'v' nic 1 has mac-b, the MAC of a redundant NIC's second leg, but is "
      "not redundant: drop mac-b or add redundant: true"}},
    {"test_two_vms_cannot_claim_one_device",
     "version: 1\n"
     "vms:\n"
     "  - { name: v1, passthrough: [ { pci: \"0000:af:00.0\" } ] }\n"
     "  - { name: v2, passthrough: [ { pci: \"af:00.0\" } ] }\n",
     {"t.yaml:4:32: vm 'v2' claims a device that vm 'v1' already takes (at "
      "3:32)"}},
    {"test_pci_passthrough_of_a_pf_is_a_claim_on_that_pf",
     "version: 1\n"
     "pfs:\n"
     "  - { name: d, match: { pci: \"0000:05:00.0\" } }\n"
     "vms:\n"
     "  - { name: v1, passthrough: [ { pf: d } ] }\n"
     "  - { name: v2, passthrough: [ { pci: \"0000:05:00.0\" } ] }\n",
     {"t.yaml:6:32: vm 'v2' claims a device that vm 'v1' already takes (at "
      "5:32)"}},
};

static void test_rule_case(void **state)
{
	const struct rule_case *c = *state;
	struct policy *p = policy_expect_lines(c->yaml, c->diags);
	bool error = false;

	/* Only errors make a policy invalid; a case of warnings alone keeps it. */
	for (size_t i = 0; i < 3 && c->diags[i]; i++)
		error |= !strstr(c->diags[i], ": warning: ");
	if (error)
		assert_null(p);
	else
		assert_non_null(p);
	policy_free(p);
}

/* Leg a has the policy's mac:, leg b its mac-b: or, without one, a MAC derived from the VM
 * name and NIC index (pinned here: a changed derivation would change running VMs' MACs). */
static void test_each_leg_of_a_redundant_nic_has_its_own_mac(void **state)
{
	uint8_t a[MAC_LEN], b[MAC_LEN];
	char sa[MAC_STR_LEN], sb[MAC_STR_LEN];
	struct policy *p;

	(void)state;
	p = policy_expect_valid(
	    "version: 1\n"
	    "pfs:\n"
	    "  - { name: a, match: { pci: \"0000:01:00.0\" }, switch: s1, "
	    "numvfs: 3 }\n"
	    "  - { name: b, match: { pci: \"0000:02:00.0\" }, switch: s2, "
	    "numvfs: 3 }\n"
	    "networks:\n"
	    "  - { name: n, class: vm, pfs: [a, b] }\n"
	    "vms:\n"
	    "  - { name: v, nics: [ { network: n, redundant: true } ] }\n"
	    "  - name: w\n"
	    "    nics:\n"
	    "      - { network: n, redundant: true, mac: \"52:54:00:00:00:01\" }\n"
	    "      - { network: n, redundant: true, mac: \"52:54:00:00:00:02\",\n"
	    "          mac-b: \"52:54:00:00:00:03\" }\n");
	const char *const want[][2] = {{"8e:ac:e8:0e:0f:ff", "82:08:99:0d:73:d5"},
	                               {"52:54:00:00:00:01", "62:fd:f0:f7:6d:d5"},
	                               {"52:54:00:00:00:02", "52:54:00:00:00:03"}};
	const struct {
		size_t vm, nic;
	} at[] = {{0, 0}, {1, 0}, {1, 1}};
	for (size_t i = 0; i < 3; i++) {
		policy_nic_mac(&p->vms[at[i].vm], at[i].nic, 0, a);
		policy_nic_mac(&p->vms[at[i].vm], at[i].nic, 1, b);
		format_mac(a, sa);
		format_mac(b, sb);
		assert_string_equal(sa, want[i][0]);
		assert_string_equal(sb, want[i][1]);
	}
	policy_free(p);
}

int main(void)
{
	static const struct CMUnitTest others[] = {
	    cmocka_unit_test(test_redundant_pair_uses_two_switches),
	    cmocka_unit_test(test_plain_nics_spread_over_the_least_loaded_pf),
	    cmocka_unit_test(test_each_leg_of_a_redundant_nic_has_its_own_mac),
	};

	return RUN_CASES(rule_cases, test_rule_case, others);
}
