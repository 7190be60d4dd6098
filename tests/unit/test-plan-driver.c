/* The driver table at plan time: what a driver cannot take is a plan error at the policy's
 * line, and every step says what it disrupts. Fake hosts as data, no kernel. */
#include "sriov/drivers.h"
#include "vfmgr/plan.h"
#include "case-table.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One test's world: a host with one PF (driver, PCI device id, VFs already there), a policy,
 * the plan made from them and its diagnostics. */
struct fixture {
	struct host h;
	struct policy *p;
	struct plan pl;
	struct policy_diags d;
	struct state old;
	int r;
};

static void fake_pf(struct host *h, const char *driver, uint16_t device, int numvfs)
{
	memset(h, 0, sizeof(*h));
	h->iommu = true;
	h->n_nics = h->cap_nics = 1;
	h->nics = calloc(1, sizeof(*h->nics));
	struct nic *n = &h->nics[0];
	n->bus = NIC_BUS_PCI;
	snprintf(n->addr, sizeof(n->addr), "0000:01:00.0");
	snprintf(n->driver, sizeof(n->driver), "%s", driver);
	n->vendor_id = 0x8086;
	n->device_id = device;
	n->pf = NO_INDEX;
	n->vf_index = -1;
	n->numa_node = 0;
	n->sriov_capable = true;
	n->totalvfs = 256;
	n->numvfs = numvfs;
	n->n_netdevs = n->cap_netdevs = 1;
	n->netdevs = calloc(1, sizeof(*n->netdevs));
	snprintf(n->netdevs[0].name, sizeof(n->netdevs[0].name), "enp1s0");
	n->netdevs[0].ifindex = 2;
	n->netdevs[0].speed = 1000;
	n->vf_settings_err = numvfs ? 0 : -ENOENT;
	n->vf_settings.num_vf = n->vf_settings.n_read = (unsigned)numvfs;
	n->vf_settings.vfs = calloc((size_t)numvfs + 1, sizeof(struct vf_config));
	n->vf_settings.readable = calloc((size_t)numvfs + 1, sizeof(bool));
	for (int v = 0; v < numvfs; v++) {
		struct vf_config *c = &n->vf_settings.vfs[v];
		c->index = (unsigned)v;
		c->proto = VF_PROTO_8021Q;
		c->spoofchk = 1;
		c->mac[5] = (uint8_t)(0x10 + v);
		n->vf_settings.readable[v] = true;
	}
}

static void policy_text(char *buf, size_t size, unsigned want_vfs, unsigned vlan,
                        const char *net_keys, const char *nic_keys)
{
	snprintf(buf, size,
	         "version: 1\n"
	         "pfs:\n"
	         "  - { name: left, match: { pci: \"0000:01:00.0\" }, switch: a, numvfs: %u }\n"
	         "networks:\n"
	         "  - { name: prod, vlan: %u, class: vm, pfs: [left]%s }\n"
	         "vms:\n"
	         "  - name: web01\n"
	         "    nics: [ { network: prod, vf-driver: kernel%s } ]\n",
	         want_vfs, vlan, net_keys, nic_keys);
}

static struct policy *parse(const char *text)
{
	struct policy_diags pd;
	struct policy *p = NULL;

	policy_diags_init(&pd);
	assert_int_equal(policy_parse_buffer("p.yaml", text, strlen(text), &p, &pd), 0);
	policy_diags_free(&pd);
	return p;
}

/* Plans the policy (network keys net_keys, NIC keys nic_keys) on a fresh fake PF. */
static void plan_on(struct fixture *f, const char *driver, uint16_t device, int numvfs,
                    unsigned want_vfs, const char *net_keys, const char *nic_keys)
{
	char text[1024];

	policy_text(text, sizeof(text), want_vfs, 100, net_keys, nic_keys);
	memset(f, 0, sizeof(*f));
	fake_pf(&f->h, driver, device, numvfs);
	f->p = parse(text);
	policy_diags_init(&f->d);
	f->r = plan_build(f->p, &f->h, &f->old, &f->pl, &f->d, 0);
}

/* Makes f's host look applied, then plans text on it with f's plan as the state: *again. */
static void replan(struct fixture *f, const char *text, struct plan *again)
{
	struct policy *p2 = parse(text);

	for (size_t i = 0; i < f->pl.next.n; i++)
		f->h.nics[0].vf_settings.vfs[f->pl.next.allocs[i].vf] = f->pl.next.allocs[i].want;
	assert_int_equal(plan_build(p2, &f->h, &f->pl.next, again, &f->d, 0), 0);
	policy_free(p2);
}

/* replan with the policy of vlan and nic_keys: one step, web01's VF, changing attrs at impact. */
static void replan_one_vf(struct fixture *f, unsigned vlan, const char *nic_keys, unsigned attrs,
                          enum sriov_impact impact, struct plan *again)
{
	char text[1024];

	policy_text(text, sizeof(text), 2, vlan, "", nic_keys);
	replan(f, text, again);
	assert_int_equal(again->n, 1);
	assert_int_equal(again->actions[0].vfs[0].want.attrs, attrs);
	assert_int_equal(again->actions[0].impact, impact);
	assert_string_equal(again->actions[0].vms, "web01");
}

static void fixture_free(struct fixture *f)
{
	if (f->r == 0)
		plan_free(&f->pl);
	policy_diags_free(&f->d);
	host_free(&f->h);
	policy_free(f->p);
	state_free(&f->old);
}

/* The one error the plan gave, at line:col, containing want. */
static void assert_one_error(const struct fixture *f, unsigned line, const char *want)
{
	assert_int_equal(f->r, -EINVAL);
	assert_int_equal(f->d.n_errors, 1);
	for (size_t i = 0; i < f->d.n; i++) {
		if (f->d.items[i].severity != POLICY_ERROR)
			continue;
		if (!strstr(f->d.items[i].message, want) || f->d.items[i].line != line)
			fail_msg("expected at line %u: \"%s\"\n     saw at line %u: \"%s\"", line,
			         want, f->d.items[i].line, f->d.items[i].message);
	}
}

/* What a driver takes and refuses, as the plan of one policy on one PF says it: a refusal is
 * the one error, at the policy's line (line 0: the plan succeeds). */
struct driver_case {
	const char *name, *driver;
	uint16_t device;
	unsigned want_vfs;
	const char *net_keys, *nic_keys;
	unsigned line;
	const char *error;
};

#define MIN_RATE ", rate: { min: 50, max: 500 }"

static const struct driver_case driver_cases[] = {
    {"test_igb_has_no_8021ad_and_says_so_at_the_network", "igb", 0x10c9, 2, ", proto: 802.1ad", "",
     5, "igb has no 802.1ad VLAN protocol; use proto: 802.1Q on pf left"},
    {"test_ice_takes_8021ad_and_min_rates", "ice", 0x1592, 2, ", proto: 802.1ad", MIN_RATE, 0,
     NULL},
    {"test_mlx5_takes_8021ad_and_min_rates", "mlx5_core", 0x1592, 2, ", proto: 802.1ad", MIN_RATE,
     0, NULL},
    {"test_igb_has_no_min_rate", "igb", 0x10c9, 2, "", MIN_RATE, 8, "igb has no minimum TX rate"},
    {"test_ixgbe_has_no_min_rate", "ixgbe", 0x10c9, 2, "", MIN_RATE, 8,
     "ixgbe has no minimum TX rate"},
    {"test_i40e_has_no_min_rate", "i40e", 0x10c9, 2, "", MIN_RATE, 8,
     "i40e has no minimum TX rate"},
    {"test_igb_sets_no_rates_on_the_i350", "igb", 0x1521, 2, "", ", rate: { max: 300 }", 8,
     "is not one; drop rate: max on this PF"},
    {"test_igb_sets_rates_on_the_82576", "igb", 0x10c9, 2, "", ", rate: { max: 300 }", 0, NULL},
    {"test_ixgbe_takes_max_rates_above_10_only", "ixgbe", 0x10fb, 2, "", ", rate: { max: 10 }", 8,
     "ixgbe takes a max TX rate above 10 Mbit/s only"},
    {"test_i40e_takes_max_rates_in_steps_of_50", "i40e", 0x1572, 2, "", ", rate: { max: 120 }", 8,
     "steps of 50 Mbit/s (pf left, 0000:01:00.0); 120 would not read back as set: use 100 or "
     "150"},
    {"test_i40e_takes_a_step_of_50", "i40e", 0x1572, 2, "", ", rate: { max: 150 }", 0, NULL},
    {"test_max_rate_above_the_link_speed_is_refused", "igb", 0x10c9, 2, "", ", rate: { max: 2000 }",
     8, "max TX rate 2000 is above the link speed of enp1s0 (1000"},
    {"test_too_many_vfs_for_the_driver", "ixgbe", 0x10fb, 64, "", "", 3,
     "ixgbe takes at most 63 VFs, not 64"},
    {"test_igb_has_no_vf_link_state", "igb", 0x10c9, 2, "", ", link-state: enable", 8,
     "igb has no VF link state setting"},
    {"test_igb_takes_link_state_auto", "igb", 0x10c9, 2, "", ", link-state: auto", 0, NULL},
};

static void test_driver_case(void **state)
{
	const struct driver_case *c = *state;
	struct fixture f;

	plan_on(&f, c->driver, c->device, 0, c->want_vfs, c->net_keys, c->nic_keys);
	if (c->line) {
		assert_one_error(&f, c->line, c->error);
	} else {
		assert_int_equal(f.r, 0);
		assert_int_equal(f.d.n_errors, 0);
	}
	fixture_free(&f);
}

/* The daemon heals the rest: the refusal is a warning, the write is planned (the kernel then
 * refuses that one setting, which stays pending). */
static void test_daemon_plans_past_a_driver_refusal_with_a_warning(void **state)
{
	struct fixture f;
	(void)state;

	plan_on(&f, "igb", 0x10c9, 0, 2, "", ", rate: { min: 50, max: 500 }");
	assert_int_equal(f.r, -EINVAL);
	fixture_free(&f);
	plan_on(&f, "igb", 0x10c9, 0, 2, "", ", rate: { min: 50, max: 500 }");
	if (f.r == 0)
		plan_free(&f.pl);
	policy_diags_free(&f.d);
	policy_diags_init(&f.d);
	f.r = plan_build(f.p, &f.h, &f.old, &f.pl, &f.d, PLAN_ALLOW_ABSENT | PLAN_DRIVER_WARN);
	assert_int_equal(f.r, 0);
	assert_int_equal(f.d.n_errors, 0);
	assert_int_equal(f.d.n_warnings, 1);
	assert_non_null(strstr(f.d.items[0].message, "igb has no minimum TX rate"));
	assert_int_equal(f.pl.actions[1].kind, PLAN_SET_VFS);
	assert_int_equal(f.pl.actions[1].vfs[0].want.cfg.min_rate, 50);
	fixture_free(&f);
}

static void test_an_unknown_driver_is_planned_and_said_to_be_unknown(void **state)
{
	struct fixture f;
	(void)state;

	/* netdevsim takes everything: the table does not know it, so nothing is refused. */
	plan_on(&f, "netdevsim", 0, 0, 2, ", proto: 802.1ad", ", rate: { min: 50, max: 500 }");
	assert_int_equal(f.r, 0);
	assert_true(f.pl.n >= 2);
	for (size_t i = 0; i < f.pl.n; i++) {
		assert_false(f.pl.actions[i].driver_known);
		assert_non_null(strstr(f.pl.actions[i].impact_why, "not in vfmgr's table"));
	}
	assert_int_equal(f.pl.actions[0].impact, SRIOV_IMPACT_NONE);
	fixture_free(&f);
}

/* A plan on a driver outside the table says so once, after its steps, not on every VF line. */
static void test_the_unknown_driver_note_is_printed_once(void **state)
{
	struct fixture f;
	char *text = NULL;
	size_t len = 0, notes = 0;
	FILE *out;
	(void)state;

	plan_on(&f, "netdevsim", 0, 0, 2, "", "");
	assert_int_equal(f.r, 0);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	plan_print(&f.pl, out);
	assert_int_equal(fclose(out), 0);
	for (const char *p = text; (p = strstr(p, "not in vfmgr's table")); p++)
		notes++;
	if (notes != 1 || !strstr(text, "\nnote: driver netdevsim is not in vfmgr's table: tried, "
	                                "then read back ("))
		fail_msg("expected the driver note once, on a last 'note:' line; got %zu in:\n%s",
		         notes, text);
	free(text);
	fixture_free(&f);
}

/* Plans 2 VFs on a PF of driver with numvfs VFs now: the first step sets numvfs, at impact. */
static void plan_numvfs(struct fixture *f, const char *driver, uint16_t device, int numvfs,
                        enum sriov_impact impact)
{
	plan_on(f, driver, device, numvfs, 2, "", "");
	assert_int_equal(f->r, 0);
	assert_int_equal(f->pl.actions[0].kind, PLAN_SET_NUMVFS);
	assert_int_equal(f->pl.actions[0].impact, impact);
}

static void test_enabling_vfs_on_igb_resets_the_pf(void **state)
{
	struct fixture f;
	(void)state;

	plan_numvfs(&f, "igb", 0x10c9, 0, SRIOV_IMPACT_PF_RESET);
	assert_non_null(strstr(f.pl.actions[0].impact_why, "enp1s0's link drops"));
	assert_int_equal(plan_first_above(&f.pl, PLAN_ALLOW_DEFAULT), 0);
	assert_int_equal(plan_first_above(&f.pl, SRIOV_IMPACT_PF_RESET), f.pl.n);
	fixture_free(&f);
	/* ice makes VFs without resetting the PF. */
	plan_numvfs(&f, "ice", 0x1592, 0, SRIOV_IMPACT_NONE);
	assert_int_equal(plan_first_above(&f.pl, PLAN_ALLOW_DEFAULT), f.pl.n);
	fixture_free(&f);
}

static void test_changing_the_vf_count_destroys_vfs(void **state)
{
	struct fixture f;
	(void)state;

	plan_numvfs(&f, "ice", 0x1592, 4, SRIOV_IMPACT_VF_DESTROY);
	fixture_free(&f);
}

static void test_a_vlan_change_is_live_and_a_mac_change_resets_the_vf(void **state)
{
	struct fixture f;
	struct plan again;
	(void)state;

	plan_on(&f, "igb", 0x10c9, 2, 2, "", "");
	assert_int_equal(f.r, 0);
	replan_one_vf(&f, 101, "", VF_ATTR_VLAN, SRIOV_IMPACT_NONE, &again);
	plan_free(&again);

	/* igb applies a VF MAC only when the VF driver reloads */
	replan_one_vf(&f, 100, ", mac: \"52:54:00:00:00:01\"", VF_ATTR_MAC, SRIOV_IMPACT_VF_RESET,
	              &again);
	assert_int_equal(plan_first_above(&again, PLAN_ALLOW_DEFAULT), again.n);
	plan_free(&again);
	fixture_free(&f);
}

static void test_the_table_is_complete_and_impacts_parse(void **state)
{
	unsigned n;
	const struct sriov_driver *d = sriov_drivers(&n);
	(void)state;

	assert_true(n >= 6);
	for (unsigned i = 0; i < n; i++) {
		assert_non_null(d[i].name);
		assert_non_null(d[i].note);
		assert_ptr_equal(sriov_driver_find(d[i].name), &d[i]);
		assert_true(d[i].settable & VF_ATTR_VLAN);
	}
	assert_null(sriov_driver_find("netdevsim"));
	for (unsigned k = 0; k < SRIOV_IMPACT_COUNT; k++) {
		enum sriov_impact back;
		assert_int_equal(sriov_impact_parse(sriov_impact_name(k), &back), 0);
		assert_int_equal(back, k);
	}
	enum sriov_impact x;
	assert_int_equal(sriov_impact_parse("pf-rest", &x), -EINVAL);
	assert_true(sriov_transient(sriov_driver_find("i40e"), -EAGAIN));
	assert_false(sriov_transient(sriov_driver_find("igb"), -EAGAIN));
	assert_false(sriov_transient(sriov_driver_find("i40e"), -EINVAL));
}

int main(void)
{
	static const struct CMUnitTest others[] = {
	    cmocka_unit_test(test_daemon_plans_past_a_driver_refusal_with_a_warning),
	    cmocka_unit_test(test_an_unknown_driver_is_planned_and_said_to_be_unknown),
	    cmocka_unit_test(test_the_unknown_driver_note_is_printed_once),
	    cmocka_unit_test(test_enabling_vfs_on_igb_resets_the_pf),
	    cmocka_unit_test(test_changing_the_vf_count_destroys_vfs),
	    cmocka_unit_test(test_a_vlan_change_is_live_and_a_mac_change_resets_the_vf),
	    cmocka_unit_test(test_the_table_is_complete_and_impacts_parse),
	};

	return RUN_CASES(driver_cases, test_driver_case, others);
}
