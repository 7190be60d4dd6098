/* Policy reading: the schema of each mapping, value syntax and ranges, YAML-level problems,
 * defaults, and the model the full example turns into. Each test breaks one rule and expects
 * the exact message vfmgr check prints. */
#include "policy-expect.h"

/* ---- the model ---- */

/* A pf a whose rss: mapping follows, indented by 6 (lines 1-5). */
#define RSS_OF_A                                                                                   \
	"version: 1\n"                                                                             \
	"pfs:\n"                                                                                   \
	"  - name: a\n"                                                                            \
	"    match: { driver: igb }\n"                                                             \
	"    rss:\n"

static void test_full_example_parses_to_model(void **state)
{
	struct policy_diags d;
	struct policy *p = NULL;
	const struct policy_pf *pf;
	const struct policy_network *net;
	const struct policy_vm *vm;
	const struct policy_nic *nic;

	(void)state;
	policy_diags_init(&d);
	assert_int_equal(policy_parse_file("examples/full.yaml", &p, &d), 0);
	assert_int_equal(d.n, 0);
	policy_diags_free(&d);

	assert_int_equal(p->version.value, 1);
	assert_false(p->defaults.trust.value);
	assert_int_equal(p->n_pfs, 5);
	pf = &p->pfs[0];
	assert_string_equal(pf->name.value, "uplink-a");
	assert_int_equal(pf->name.mark.line, 11);
	assert_int_equal(pf->name.mark.col, 11);
	assert_true(pf->match.pci.set);
	assert_int_equal(pf->match.pci.addr.bus, 0x3b);
	assert_int_equal(pf->match.vendor.value, 0x8086);
	assert_int_equal(pf->match.device.value, 0x1572);
	assert_string_equal(pf->match.driver.value, "i40e");
	assert_string_equal(pf->switch_name.value, "tor-a");
	assert_int_equal(pf->numvfs.value, 8);
	assert_int_equal(pf->vf_driver.value, POLICY_VF_DRIVER_VFIO_PCI);
	assert_true(pf->rss.set);
	assert_int_equal(pf->rss.channels.value, 8);
	assert_int_equal(pf->rss.indirection.value, POLICY_RSS_INDIR_EQUAL);
	assert_int_equal(pf->rss.key.value, POLICY_RSS_KEY_RANDOM);
	assert_int_equal(pf->rss.hfunc.value, POLICY_RSS_HFUNC_TOEPLITZ);
	assert_int_equal(pf->rss.irq_affinity.value, POLICY_IRQ_AFFINITY_LOCAL);

	pf = &p->pfs[1];
	assert_string_equal(pf->match.interface.value, "ens2f1");
	assert_true(pf->match.mac.set);
	assert_true(pf->rss.channels_numa_local);
	assert_int_equal(pf->rss.indirection.value, POLICY_RSS_INDIR_RANGE);
	assert_int_equal(pf->rss.start.value, 0);
	assert_int_equal(pf->rss.queues.value, 4);
	assert_int_equal(pf->rss.key.value, POLICY_RSS_KEY_HEX);
	assert_int_equal(pf->rss.key_len, 16);
	assert_int_equal(pf->rss.key_bytes[0], 0x6d);
	assert_int_equal(pf->rss.key_bytes[15], 0xb0);
	assert_int_equal(pf->rss.hfunc.value, POLICY_RSS_HFUNC_XOR);
	assert_int_equal(pf->rss.irq_affinity.value, POLICY_IRQ_AFFINITY_NONE);

	pf = &p->pfs[2];
	assert_int_equal(pf->rss.indirection.value, POLICY_RSS_INDIR_WEIGHTS);
	assert_int_equal(pf->rss.n_weights, 4);
	assert_int_equal(pf->rss.weights[0], 2);
	assert_int_equal(pf->rss.weights[3], 0);
	assert_false(pf->numvfs.set);
	assert_int_equal(pf->numvfs.value, 0);
	assert_int_equal(p->pfs[3].passthrough_vm, 1);
	assert_true(p->pfs[4].management.value);

	assert_int_equal(p->n_networks, 3);
	net = &p->networks[0];
	assert_string_equal(net->name.value, "prod");
	assert_int_equal(net->vlan.value, 100);
	assert_int_equal(net->qos.value, 3);
	assert_true(net->proto.set);
	assert_int_equal(net->proto.value, POLICY_PROTO_8021Q);
	assert_int_equal(net->class.value, POLICY_CLASS_VM);
	assert_int_equal(net->n_pfs, 2);
	assert_int_equal(net->pfs[0].index, 0);
	assert_int_equal(net->pfs[1].index, 1);
	assert_int_equal(p->networks[2].class.value, POLICY_CLASS_MANAGEMENT);
	assert_int_equal(p->networks[2].pfs[0].index, 4);

	assert_int_equal(p->n_vms, 2);
	vm = &p->vms[0];
	assert_string_equal(vm->name.value, "db01");
	assert_true(vm->numa_node.set);
	assert_int_equal(vm->numa_node.value, 0);
	assert_int_equal(vm->n_nics, 1);
	nic = &vm->nics[0];
	assert_int_equal(nic->network.index, 0);
	assert_true(nic->mac.set);
	assert_int_equal(nic->mac.addr[5], 0x56);
	assert_int_equal(nic->rate.min.value, 100);
	assert_int_equal(nic->rate.max.value, 1000);
	assert_int_equal(nic->shares.value, 2000);
	assert_true(nic->spoofchk.set);
	assert_true(nic->redundant.value);
	assert_true(nic->migratable.value);
	assert_true(nic->vf_driver.set);
	/* A redundant NIC is placed on both prod pfs, one per switch. */
	assert_int_equal(nic->pf[0], 0);
	assert_int_equal(nic->pf[1], 1);
	assert_int_equal(vm->n_passthrough, 1);
	assert_int_equal(vm->passthrough[0].kind, POLICY_PASSTHROUGH_PCI);
	assert_int_equal(vm->passthrough[0].pci.addr.bus, 0xaf);

	vm = &p->vms[1];
	nic = &vm->nics[0];
	assert_false(nic->rate.min.set);
	assert_true(nic->rate.max.set);
	assert_false(nic->mac.set);
	assert_false(nic->redundant.value);
	assert_int_equal(nic->pf[1], POLICY_NONE);
	assert_int_equal(vm->passthrough[0].kind, POLICY_PASSTHROUGH_PF);
	assert_int_equal(vm->passthrough[0].pf.index, 3);
	policy_free(p);
}

static void test_examples_small_and_lab_are_valid(void **state)
{
	static const char *const files[] = {"examples/small.yaml", "examples/lab.yaml"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct policy_diags d;
		struct policy *p = NULL;

		policy_diags_init(&d);
		assert_int_equal(policy_parse_file(files[i], &p, &d), 0);
		assert_int_equal(d.n, 0);
		policy_diags_free(&d);
		policy_free(p);
	}
}

static void test_unreadable_file_returns_errno(void **state)
{
	struct policy_diags d;
	struct policy *p = NULL;

	(void)state;
	policy_diags_init(&d);
	assert_int_equal(policy_parse_file("examples/does-not-exist.yaml", &p, &d), -ENOENT);
	assert_null(p);
	assert_int_equal(d.n, 0);
	policy_diags_free(&d);
}

#define MIN_VM_POLICY                                                                              \
	"version: 1\n"                                                                             \
	"pfs:\n"                                                                                   \
	"  - { name: a, match: { pci: \"0000:01:00.0\" }, numvfs: 2 }\n"                           \
	"networks:\n"                                                                              \
	"  - { name: prod, vlan: 100, class: vm, pfs: [a] }\n"

static void test_nic_defaults_are_safe(void **state)
{
	struct policy *p = policy_expect_valid(MIN_VM_POLICY "vms:\n"
	                                                     "  - name: v\n"
	                                                     "    nics: [ { network: prod } ]\n");
	const struct policy_nic *nic = &p->vms[0].nics[0];

	(void)state;
	assert_true(nic->spoofchk.value);
	assert_false(nic->spoofchk.set);
	assert_false(nic->trust.value);
	assert_int_equal(nic->link_state.value, POLICY_LINK_AUTO);
	assert_int_equal(nic->vf_driver.value, POLICY_VF_DRIVER_VFIO_PCI);
	assert_false(nic->vf_driver.set);
	assert_false(nic->mac.set);
	assert_false(nic->rate.min.set);
	assert_false(nic->rate.max.set);
	assert_false(p->networks[0].qos.set);
	assert_false(p->networks[0].proto.set);
	assert_false(p->vms[0].numa_node.set);
	assert_false(p->pfs[0].rss.set);
	assert_int_equal(nic->pf[0], 0);
	policy_free(p);
}

static void test_defaults_section_applies_to_nics_without_own_value(void **state)
{
	struct policy *p =
	    policy_expect_valid("version: 1\n"
	                        "defaults: { spoofchk: false, trust: true, "
	                        "link-state: disable, vf-driver: kernel }\n"
	                        "pfs:\n"
	                        "  - { name: a, match: { pci: \"0000:01:00.0\" }, numvfs: 2 }\n"
	                        "networks:\n"
	                        "  - { name: prod, class: vm, pfs: [a] }\n"
	                        "vms:\n"
	                        "  - name: v\n"
	                        "    nics:\n"
	                        "      - { network: prod }\n"
	                        "      - { network: prod, spoofchk: true, link-state: enable }\n");
	const struct policy_nic *n0 = &p->vms[0].nics[0], *n1 = &p->vms[0].nics[1];

	(void)state;
	assert_false(n0->spoofchk.value);
	assert_true(n0->trust.value);
	assert_int_equal(n0->link_state.value, POLICY_LINK_DISABLE);
	assert_int_equal(n0->vf_driver.value, POLICY_VF_DRIVER_KERNEL);
	assert_int_equal(p->pfs[0].vf_driver.value, POLICY_VF_DRIVER_KERNEL);
	assert_true(n1->spoofchk.value);
	assert_true(n1->spoofchk.set);
	assert_int_equal(n1->link_state.value, POLICY_LINK_ENABLE);
	assert_int_equal(p->networks[0].vlan.value, 0);
	policy_free(p);
}

/* ---- keys ---- */

static void test_unknown_key_is_error(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "pfs:\n"
	                          "  - name: a\n"
	                          "    match: { pci: \"0000:01:00.0\" }\n"
	                          "    numfvs: 4\n",
	                          "t.yaml:5:5: unknown key 'numfvs' in pf", NULL));
}

static void test_duplicate_key_is_error(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "networks:\n"
	                          "  - name: a\n"
	                          "    class: vm\n"
	                          "    vlan: 10\n"
	                          "    vlan: 20\n",
	                          "t.yaml:6:5: duplicate key 'vlan' in network (first at 5:5)",
	                          NULL));
}

static void test_missing_required_key_is_error(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "networks:\n"
	                          "  - { name: a, vlan: 10 }\n",
	                          "t.yaml:3:5: missing required key 'class' in network", NULL));
	assert_null(policy_expect("pfs: []\n",
	                          "t.yaml:1:1: missing required key 'version' in policy", NULL));
}

static void test_keys_must_be_scalars(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "? [a]\n"
	                          ": 1\n",
	                          "t.yaml:2:3: keys in policy must be words, not a sequence",
	                          NULL));
}

/* ---- value types and ranges ---- */

static void test_wrong_type_is_error(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "pfs:\n"
	                          "  - name: a\n"
	                          "    match: \"0000:01:00.0\"\n"
	                          "    numvfs: { n: 4 }\n",
	                          "t.yaml:4:12: 'match' must be a mapping, not a scalar",
	                          "t.yaml:5:13: 'numvfs' must be an integer, not a mapping", NULL));
	assert_null(policy_expect("version: 1\n"
	                          "vms: { name: a }\n",
	                          "t.yaml:2:6: 'vms' must be a sequence, not a mapping", NULL));
	assert_null(policy_expect("version: 1\n"
	                          "vms: [ a ]\n",
	                          "t.yaml:2:8: each entry of 'vms' must be a mapping, not a scalar",
	                          NULL));
}

static void test_integer_out_of_range_is_error(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "networks:\n"
	                          "  - { name: a, class: vm, vlan: 4096, qos: 8 }\n",
	                          "t.yaml:3:33: 'vlan' must be an integer in 0-4094, got '4096'",
	                          "t.yaml:3:44: 'qos' must be an integer in 0-7, got '8'", NULL));
	assert_null(policy_expect("version: 1\n"
	                          "networks:\n"
	                          "  - { name: a, class: vm, mtu: 67 }\n"
	                          "  - { name: b, class: vm, mtu: 9217 }\n",
	                          "t.yaml:3:32: 'mtu' must be an integer in 68-9216, got '67'",
	                          "t.yaml:4:32: 'mtu' must be an integer in 68-9216, got '9217'",
	                          NULL));
}

static void test_integer_rejects_signs_and_words(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "pfs:\n"
	                          "  - { name: a, match: { driver: igb }, numvfs: -1 }\n"
	                          "  - { name: b, match: { driver: igb }, numvfs: four }\n",
	                          "t.yaml:3:48: 'numvfs' must be an integer in 0-65535, got '-1'",
	                          "t.yaml:4:48: 'numvfs' must be an integer in 0-65535, got 'four'",
	                          NULL));
}

static void test_bool_rejects_other_words(void **state)
{
	(void)state;
	assert_null(policy_expect(MIN_VM_POLICY "vms:\n"
	                                        "  - name: v\n"
	                                        "    nics: [ { network: prod, trust: maybe } ]\n",
	                          "t.yaml:8:37: 'trust' must be true or false, got 'maybe'", NULL));
}

static void test_enum_lists_allowed_values(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "networks:\n"
	                          "  - { name: a, class: vmotion }\n",
	                          "t.yaml:3:23: 'class' must be one of vm, management, migration, "
	                          "storage, fault-tolerance, replication, backup; got 'vmotion'",
	                          NULL));
}

static void test_name_must_be_plain(void **state)
{
	(void)state;
	assert_null(
	    policy_expect("version: 1\n"
	                  "vms:\n"
	                  "  - name: \"web 01\"\n",
	                  "t.yaml:3:11: 'name' must be 1-64 letters, digits, '-', '_' or '.' "
	                  "(not . or ..), got 'web 01'",
	                  NULL));
}

/* A name would reach command lines (the libvirt hook runs vfmgr prepare NAME): never an
 * option. */
static void test_name_cannot_begin_with_a_dash(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "vms:\n"
	                          "  - name: -web\n"
	                          "  - name: --help\n"
	                          "  - name: web-01\n",
	                          "t.yaml:3:11: 'name' must not begin with '-' (a command would "
	                          "read it as an option), got '-web'",
	                          "t.yaml:4:11: 'name' must not begin with '-' (a command would "
	                          "read it as an option), got '--help'",
	                          NULL));
}

static void test_pci_address_syntax(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "vms:\n"
	                          "  - name: v\n"
	                          "    passthrough: [ { pci: \"3b:00\" } ]\n",
	                          "t.yaml:4:27: 'pci' must be a PCI address like 0000:3b:00.0, got "
	                          "'3b:00'",
	                          NULL));
}

static void test_pci_id_syntax(void **state)
{
	(void)state;
	assert_null(policy_expect(
	    "version: 1\n"
	    "pfs:\n"
	    "  - { name: a, match: { id: \"8086-10c9\" } }\n",
	    "t.yaml:3:29: 'id' must be a PCI id like 8086:10c9, got '8086-10c9'", NULL));
}

static void test_interface_name_rules(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "pfs:\n"
	                          "  - { name: a, match: { interface: enp59s0f0np0-too-long } }\n",
	                          "t.yaml:3:36: 'interface' must be a network interface name (1-15 "
	                          "characters, no '/', ':' or spaces), got 'enp59s0f0np0-too-long'",
	                          NULL));
}

static void test_mac_syntax(void **state)
{
	(void)state;
	assert_null(
	    policy_expect(MIN_VM_POLICY "vms:\n"
	                                "  - name: v\n"
	                                "    nics: [ { network: prod, mac: 52:54:00:12:34 } ]\n",
	                  "t.yaml:8:35: 'mac' must be a MAC address like 52:54:00:12:34:56, got "
	                  "'52:54:00:12:34'",
	                  NULL));
}

static void test_mac_must_be_unicast(void **state)
{
	(void)state;
	assert_null(policy_expect(
	    MIN_VM_POLICY "vms:\n"
	                  "  - name: v\n"
	                  "    nics: [ { network: prod, mac: \"01:00:5e:00:00:01\" } ]\n",
	    "t.yaml:8:35: 'mac' 01:00:5e:00:00:01 is a multicast address; a NIC "
	    "needs a unicast one",
	    NULL));
}

static void test_mac_not_locally_administered_warns(void **state)
{
	struct policy *p;

	(void)state;
	p = policy_expect(
	    MIN_VM_POLICY "vms:\n"
	                  "  - name: v\n"
	                  "    nics: [ { network: prod, mac: \"00:1b:21:aa:bb:cc\" } ]\n",
	    "t.yaml:8:35: warning: 'mac' 00:1b:21:aa:bb:cc is not locally administered "
	    "and may clash with a vendor's address (e.g. use 52:54:00:xx:xx:xx)",
	    NULL);
	assert_non_null(p);
	policy_free(p);
}

static void test_rate_min_greater_than_max_is_error(void **state)
{
	(void)state;
	assert_null(policy_expect(
	    MIN_VM_POLICY "vms:\n"
	                  "  - name: v\n"
	                  "    nics: [ { network: prod, rate: { min: 2000, max: 1000 } } ]\n",
	    "t.yaml:8:43: rate min 2000 is greater than max 1000", NULL));
}

static void test_match_needs_a_selector(void **state)
{
	(void)state;
	assert_null(
	    policy_expect("version: 1\n"
	                  "pfs:\n"
	                  "  - { name: a, match: {} }\n",
	                  "t.yaml:3:23: 'match' needs at least one of pci, interface, driver, id, "
	                  "mac",
	                  NULL));
}

static void test_passthrough_takes_pci_or_pf(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "vms:\n"
	                          "  - name: v\n"
	                          "    passthrough:\n"
	                          "      - { pci: \"0000:01:00.0\", pf: a }\n"
	                          "      - {}\n",
	                          "t.yaml:5:9: passthrough takes 'pci' or 'pf', not both",
	                          "t.yaml:6:9: passthrough needs 'pci' or 'pf'", NULL));
}

/* ---- rss ---- */

static void test_rss_channels_is_count_or_numa_local(void **state)
{
	(void)state;
	assert_null(
	    policy_expect("version: 1\n"
	                  "pfs:\n"
	                  "  - { name: a, match: { driver: igb }, rss: { channels: 0 } }\n"
	                  "  - { name: b, match: { driver: igb }, rss: { channels: local } }\n",
	                  "t.yaml:3:57: 'channels' must be an integer in 1-1024 or numa-local, "
	                  "got '0'",
	                  "t.yaml:4:57: 'channels' must be an integer in 1-1024 or numa-local, "
	                  "got 'local'",
	                  NULL));
}

static void test_rss_weights_must_fit_channels(void **state)
{
	(void)state;
	assert_null(policy_expect(RSS_OF_A "      channels: 2\n"
	                                   "      indirection: { weights: [1, 1, 1] }\n",
	                          "t.yaml:7:20: 'weights' lists 3 channels but 'channels' is 2",
	                          NULL));
}

static void test_rss_weights_not_all_zero(void **state)
{
	(void)state;
	assert_null(
	    policy_expect("version: 1\n"
	                  "pfs:\n"
	                  "  - { name: a, match: { driver: igb }, rss: { indirection: { weights: "
	                  "[0, 0] } } }\n",
	                  "t.yaml:3:71: 'weights' must not all be 0", NULL));
}

static void test_rss_queue_range_must_fit_channels(void **state)
{
	(void)state;
	assert_null(policy_expect(RSS_OF_A "      channels: 4\n"
	                                   "      indirection: { start: 2, queues: 4 }\n",
	                          "t.yaml:7:20: 'start' + 'queues' is 6 but 'channels' is only 4",
	                          NULL));
}

static void test_rss_indirection_takes_one_form(void **state)
{
	(void)state;
	assert_null(
	    policy_expect(RSS_OF_A "      indirection: { weights: [1], queues: 2 }\n"
	                           "  - name: b\n"
	                           "    match: { driver: igb }\n"
	                           "    rss: { indirection: spread }\n",
	                  "t.yaml:6:20: 'indirection' takes either weights or start and queues, "
	                  "not both",
	                  "t.yaml:9:25: 'indirection' must be equal or a mapping with weights or "
	                  "start and queues, got a scalar",
	                  NULL));
}

static void test_rss_key_is_random_or_hex(void **state)
{
	(void)state;
	assert_null(
	    policy_expect("version: 1\n"
	                  "pfs:\n"
	                  "  - { name: a, match: { driver: igb }, rss: { key: \"6d:5a:5\" } }\n",
	                  "t.yaml:3:52: 'key' must be random or 1-256 hex bytes like "
	                  "6d:5a:56:da, got '6d:5a:5'",
	                  NULL));
}

/* ---- the document ---- */

static void test_version_must_be_1(void **state)
{
	(void)state;
	assert_null(policy_expect(
	    "version: 2\n", "t.yaml:1:10: unsupported policy version 2; this vfmgr reads version 1",
	    NULL));
}

static void test_top_level_hosts_is_refused(void **state)
{
	(void)state;
	assert_null(
	    policy_expect("version: 1\n"
	                  "hosts: [ \"rack1-*\" ]\n",
	                  "t.yaml:2:8: 'hosts' is not a top-level key; put 'hosts:' on the pfs and "
	                  "vms entries it selects",
	                  NULL));
}

static void test_yaml_syntax_error_has_position(void **state)
{
	(void)state;
	assert_null(
	    policy_expect("version: 1\n"
	                  "pfs: [ { name: a }\n",
	                  "t.yaml:3:1: invalid YAML: did not find expected ',' or ']' while "
	                  "parsing a flow sequence",
	                  NULL));
}

static void test_aliases_are_rejected(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "networks:\n"
	                          "  - &n { name: a, class: vm }\n"
	                          "  - *n\n",
	                          "t.yaml:4:5: YAML aliases are not supported in a policy", NULL));
}

static void test_second_document_is_rejected(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "---\n"
	                          "version: 1\n",
	                          "t.yaml:2:1: a policy is one YAML document, found a second one",
	                          NULL));
}

static void test_empty_policy_is_error(void **state)
{
	(void)state;
	assert_null(policy_expect("# nothing\n", "t.yaml: the policy is empty", NULL));
	assert_null(policy_expect(
	    "- version: 1\n", "t.yaml:1:1: the policy must be a mapping, not a sequence", NULL));
	/* Found by fuzzing: an empty container closed before any node had a parent. */
	assert_null(policy_expect(
	    " [\n ]", "t.yaml:1:2: the policy must be a mapping, not a sequence", NULL));
}

static void test_nul_byte_in_scalar_is_error(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "vms: [ { name: \"a\\0b\" } ]\n",
	                          "t.yaml:2:16: a NUL byte (\\0) in a scalar", NULL));
}

static void test_all_errors_are_reported_in_file_order(void **state)
{
	(void)state;
	assert_null(policy_expect("version: 1\n"
	                          "networks:\n"
	                          "  - { name: a, class: vm, vlan: 5000 }\n"
	                          "  - { name: b, colour: red }\n",
	                          "t.yaml:3:33: 'vlan' must be an integer in 0-4094, got '5000'",
	                          "t.yaml:4:5: missing required key 'class' in network",
	                          "t.yaml:4:16: unknown key 'colour' in network", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_example_parses_to_model),
	    cmocka_unit_test(test_examples_small_and_lab_are_valid),
	    cmocka_unit_test(test_unreadable_file_returns_errno),
	    cmocka_unit_test(test_nic_defaults_are_safe),
	    cmocka_unit_test(test_defaults_section_applies_to_nics_without_own_value),
	    cmocka_unit_test(test_unknown_key_is_error),
	    cmocka_unit_test(test_duplicate_key_is_error),
	    cmocka_unit_test(test_missing_required_key_is_error),
	    cmocka_unit_test(test_keys_must_be_scalars),
	    cmocka_unit_test(test_wrong_type_is_error),
	    cmocka_unit_test(test_integer_out_of_range_is_error),
	    cmocka_unit_test(test_integer_rejects_signs_and_words),
	    cmocka_unit_test(test_bool_rejects_other_words),
	    cmocka_unit_test(test_enum_lists_allowed_values),
	    cmocka_unit_test(test_name_must_be_plain),
	    cmocka_unit_test(test_name_cannot_begin_with_a_dash),
	    cmocka_unit_test(test_pci_address_syntax),
	    cmocka_unit_test(test_pci_id_syntax),
	    cmocka_unit_test(test_interface_name_rules),
	    cmocka_unit_test(test_mac_syntax),
	    cmocka_unit_test(test_mac_must_be_unicast),
	    cmocka_unit_test(test_mac_not_locally_administered_warns),
	    cmocka_unit_test(test_rate_min_greater_than_max_is_error),
	    cmocka_unit_test(test_match_needs_a_selector),
	    cmocka_unit_test(test_passthrough_takes_pci_or_pf),
	    cmocka_unit_test(test_rss_channels_is_count_or_numa_local),
	    cmocka_unit_test(test_rss_weights_must_fit_channels),
	    cmocka_unit_test(test_rss_weights_not_all_zero),
	    cmocka_unit_test(test_rss_queue_range_must_fit_channels),
	    cmocka_unit_test(test_rss_indirection_takes_one_form),
	    cmocka_unit_test(test_rss_key_is_random_or_hex),
	    cmocka_unit_test(test_version_must_be_1),
	    cmocka_unit_test(test_top_level_hosts_is_refused),
	    cmocka_unit_test(test_yaml_syntax_error_has_position),
	    cmocka_unit_test(test_aliases_are_rejected),
	    cmocka_unit_test(test_second_document_is_rejected),
	    cmocka_unit_test(test_empty_policy_is_error),
	    cmocka_unit_test(test_nul_byte_in_scalar_is_error),
	    cmocka_unit_test(test_all_errors_are_reported_in_file_order),
	};

	return cmocka_run_group_tests_name("policy-parse", tests, NULL, NULL);
}
