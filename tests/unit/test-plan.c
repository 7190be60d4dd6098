/* plan_build and plan_release as pure functions: fake hosts declared as data, policies from
 * strings, no kernel. */
#include "kept-output.h"
#include "rss/table.h"
#include "vfmgr/cmd-rss-words.h"
#include "vfmgr/observe-mgmt.h"
#include "vfmgr/plan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const lab_policy =
    "version: 1\n"
    "pfs:\n"
    "  - { name: a, match: { pci: \"0000:01:00.0\" }, switch: tor-a, numvfs: 4 }\n"
    "  - { name: b, match: { pci: \"0000:02:00.0\" }, switch: tor-b, numvfs: 4 }\n"
    "networks:\n"
    "  - { name: prod, vlan: 100, class: vm, pfs: [a, b] }\n"
    "  - { name: back, vlan: 200, class: vm, pfs: [a] }\n"
    "vms:\n"
    "  - name: web\n"
    "    nics: [ { network: prod, redundant: true } ]\n"
    "  - name: db\n"
    "    nics: [ { network: back, mac: \"52:54:00:00:02:01\" } ]\n";

static struct policy *parse(const char *text)
{
	struct policy_diags d;
	struct policy *p = NULL;

	policy_diags_init(&d);
	int r = policy_parse_buffer("test.yaml", text, strlen(text), &p, &d);
	for (size_t i = 0; i < d.n; i++)
		print_message("diag %u:%u: %s\n", d.items[i].line, d.items[i].col,
		              d.items[i].message);
	policy_diags_free(&d);
	assert_int_equal(r, 0);
	return p;
}

/* Two igb-like PFs; numvfs VFs each with fresh settings (no VLAN, spoofchk on, trust off). */
/* With VFMGR_JSON_OUT=DIR, a plan's JSON is kept as DIR/NAME.json for tests/plan-schema.sh,
 * which validates these real outputs against doc/schema/plan.schema.json. */
static void keep_json(const struct plan *pl, const char *name)
{
	FILE *f = kept_output("VFMGR_JSON_OUT", name, "json");
	json_t *j;

	if (!f)
		return;
	j = plan_to_json(pl);
	assert_non_null(j);
	assert_int_equal(json_dumpf(j, f, JSON_INDENT(2)), 0);
	assert_int_equal(fclose(f), 0);
	json_decref(j);
}

static void fake_host(struct host *h, int numvfs)
{
	memset(h, 0, sizeof(*h));
	h->iommu = true;
	h->n_nics = h->cap_nics = 2;
	h->nics = calloc(2, sizeof(*h->nics));
	for (int i = 0; i < 2; i++) {
		struct nic *n = &h->nics[i];
		n->bus = NIC_BUS_PCI;
		snprintf(n->addr, sizeof(n->addr), "0000:0%d:00.0", i + 1);
		snprintf(n->driver, sizeof(n->driver), "igb");
		n->vendor_id = 0x8086;
		n->device_id = 0x10c9; /* 82576, what QEMU's igb emulates */
		n->pf = NO_INDEX;
		n->vf_index = -1;
		n->numa_node = i; /* PF a on node 0, PF b on node 1 */
		n->sriov_capable = true;
		n->totalvfs = 7;
		n->numvfs = numvfs;
		n->n_netdevs = n->cap_netdevs = 1;
		n->netdevs = calloc(1, sizeof(*n->netdevs));
		snprintf(n->netdevs[0].name, sizeof(n->netdevs[0].name), "enp%ds0", i + 1);
		n->netdevs[0].ifindex = i + 2;
		n->netdevs[0].speed = 1000;
		n->vf_settings_err = numvfs ? 0 : -ENOENT;
		n->vf_settings.num_vf = (unsigned)numvfs;
		n->vf_settings.n_read = (unsigned)numvfs;
		n->vf_settings.vfs = calloc(8, sizeof(struct vf_config));
		n->vf_settings.readable = calloc(8, sizeof(bool));
		for (int v = 0; v < numvfs; v++) {
			struct vf_config *c = &n->vf_settings.vfs[v];
			c->index = (unsigned)v;
			c->proto = VF_PROTO_8021Q;
			c->spoofchk = 1;
			c->trust = 0;
			c->mac[5] = (uint8_t)(0x10 * (i + 1) + v);
			n->vf_settings.readable[v] = true;
		}
	}
}

static int cmp_nic(const void *a, const void *b)
{
	return host_addr_cmp(((const struct nic *)a)->addr, ((const struct nic *)b)->addr);
}

/* Makes the fake host look as if the plan's state had been applied: settings, and the VFs
 * (added as functions of their own) on vfio-pci. */
static void converge(struct host *h, struct state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		size_t n = host_find_nic(h, s->allocs[i].pf_addr);
		assert_int_not_equal(n, NO_INDEX);
		h->nics[n].vf_settings.vfs[s->allocs[i].vf] = s->allocs[i].want;
		snprintf(s->allocs[i].vf_addr, sizeof(s->allocs[i].vf_addr), "0000:0%zu:10.%u",
		         n + 1, s->allocs[i].vf);
		if (host_find_nic(h, s->allocs[i].vf_addr) != NO_INDEX)
			continue;
		s->allocs[i].driver_known = true;
		strcpy(s->allocs[i].driver_before, "igbvf");
		h->nics = realloc(h->nics, (h->n_nics + 1) * sizeof(*h->nics));
		struct nic *vf = &h->nics[h->n_nics++];
		memset(vf, 0, sizeof(*vf));
		h->cap_nics = h->n_nics;
		strcpy(vf->addr, s->allocs[i].vf_addr);
		strcpy(vf->driver, "vfio-pci");
		vf->pf = n;
		vf->vf_index = (int)s->allocs[i].vf;
		vf->iommu_group = -1;
		struct nic *pf = &h->nics[n];
		pf->vfs = realloc(pf->vfs, (pf->n_vfs + 1) * sizeof(*pf->vfs));
		pf->vfs[pf->n_vfs].index = s->allocs[i].vf;
		strcpy(pf->vfs[pf->n_vfs].addr, s->allocs[i].vf_addr);
		pf->cap_vfs = ++pf->n_vfs;
		/* Keep the snapshot's order (by address), as observe leaves it. */
		qsort(h->nics, h->n_nics, sizeof(*h->nics), cmp_nic);
		host_link_vfs(h);
	}
}

static size_t count_kind(const struct plan *pl, enum plan_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < pl->n; i++)
		n += pl->actions[i].kind == k;
	return n;
}

static size_t count_vf_writes(const struct plan *pl)
{
	size_t n = 0;

	for (size_t i = 0; i < pl->n; i++)
		if (pl->actions[i].kind == PLAN_SET_VFS)
			for (size_t v = 0; v < pl->actions[i].n_vfs; v++)
				n += (size_t)__builtin_popcount(pl->actions[i].vfs[v].want.attrs);
	return n;
}

/* What a plan test works on: the policy (and a second one for a change), the fake host, the
 * state before, the plans and the diagnostics. The setup leaves it all empty and the teardown
 * frees whatever a test filled, so a test says only what differs: its policy, its host, its
 * expectations. */
struct fx {
	struct policy *p, *p2;
	struct host h;
	struct state empty, applied;
	struct plan pl, again, rel;
	struct policy_diags d;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	policy_diags_init(&f->d);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	plan_free(&f->pl);
	plan_free(&f->again);
	plan_free(&f->rel);
	state_free(&f->empty);
	state_free(&f->applied);
	policy_diags_free(&f->d);
	host_free(&f->h);
	policy_free(f->p);
	policy_free(f->p2);
	free(f);
	return 0;
}

/* plan_build on the fixture's host, diagnostics into the fixture. */
static int build(struct fx *f, const struct policy *p, const struct state *old, struct plan *out)
{
	return plan_build(p, &f->h, old, out, &f->d, 0);
}

/* f->p from text, on the fake host with numvfs VFs per PF. */
static void given(struct fx *f, const char *text, int numvfs)
{
	f->p = parse(text);
	fake_host(&f->h, numvfs);
}

/* f->pl: the plan of f->p from nothing, which succeeds. */
static void planned(struct fx *f)
{
	assert_int_equal(build(f, f->p, &f->empty, &f->pl), 0);
}

/* The plan of f->p from nothing is refused with exactly one error, message. */
static void refused_with(struct fx *f, const char *message)
{
	assert_int_equal(build(f, f->p, &f->empty, &f->pl), -EINVAL);
	assert_int_equal(f->d.n_errors, 1);
	assert_string_equal(f->d.items[0].message, message);
}

/* The plan of f->p from nothing is refused with one error, which says part. */
static void refused_saying(struct fx *f, const char *part)
{
	assert_int_equal(build(f, f->p, &f->empty, &f->pl), -EINVAL);
	assert_int_equal(f->d.n_errors, 1);
	if (!strstr(f->d.items[0].message, part))
		fail_msg("expected an error saying \"%s\", saw \"%s\"", part,
		         f->d.items[0].message);
}

/* The host converged to f->pl, recorded as f->applied; f->again: p planned from there. */
static void replanned(struct fx *f, const struct policy *p)
{
	converge(&f->h, &f->pl.next);
	assert_int_equal(state_copy(&f->applied, &f->pl.next), 0);
	assert_int_equal(build(f, p, &f->applied, &f->again), 0);
}

/* The lab policy as f->p and, as f->p2, the same with from replaced by to (as long); PFs with 4
 * VFs each; f->pl the plan from nothing. */
static void lab_then(struct fx *f, const char *from, const char *to)
{
	char *text = strdup(lab_policy);

	assert_non_null(text);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(strstr(text, from), to, strlen(to));
	f->p = parse(lab_policy);
	f->p2 = parse(text);
	free(text);
	fake_host(&f->h, 4);
	planned(f);
}

static void test_plan_creates_vfs_on_empty_pfs(void **state)
{
	struct fx *f = *state;

	given(f, lab_policy, 0);
	planned(f);
	/* a: numvfs, VF settings; b: numvfs, VF settings; then the 3 VFs to vfio-pci. */
	assert_int_equal(f->pl.n, 7);
	assert_int_equal(count_kind(&f->pl, PLAN_VFIO_BIND), 3);
	assert_true(f->pl.actions[6].is_vf);
	assert_string_equal(f->pl.actions[6].dev, "");
	assert_int_equal(f->pl.actions[0].kind, PLAN_SET_NUMVFS);
	assert_string_equal(f->pl.actions[0].addr, "0000:01:00.0");
	assert_int_equal(f->pl.actions[0].to, 4);
	assert_int_equal(f->pl.actions[1].kind, PLAN_SET_VFS);
	assert_int_equal(f->pl.actions[1].n_vfs, 2);
	assert_false(f->pl.actions[1].vfs[0].have_known);
	assert_int_equal(f->pl.actions[3].n_vfs, 1);
	assert_int_equal(f->pl.next.n, 3);
	keep_json(&f->pl, "create");
}

static void test_redundant_pair_uses_two_switches(void **state)
{
	struct fx *f = *state;

	given(f, lab_policy, 4);
	planned(f);
	const struct state_alloc *l0 = state_find(&f->pl.next, "web", 0, 0);
	const struct state_alloc *l1 = state_find(&f->pl.next, "web", 0, 1);
	assert_non_null(l0);
	assert_non_null(l1);
	assert_string_not_equal(l0->pf_addr, l1->pf_addr);
	assert_string_not_equal(l0->pf, l1->pf);
}

/* net_failover and bonding in the guest tell the legs apart by MAC: each leg's VF (and so its
 * state record, qemu-args and libvirt-xml) gets its own, the same on every plan. */
static void test_each_leg_of_a_redundant_pair_gets_its_own_mac(void **state)
{
	struct fx *f = *state;
	uint8_t a[MAC_LEN], b[MAC_LEN];

	given(f, lab_policy, 4);
	planned(f);
	const struct state_alloc *l0 = state_find(&f->pl.next, "web", 0, 0);
	const struct state_alloc *l1 = state_find(&f->pl.next, "web", 0, 1);
	assert_non_null(l0);
	assert_non_null(l1);
	policy_mac_derive("web", 0, 0, a);
	policy_mac_derive("web", 0, 1, b);
	assert_memory_equal(l0->want.mac, a, MAC_LEN);
	assert_memory_equal(l1->want.mac, b, MAC_LEN);
	assert_memory_not_equal(l0->want.mac, l1->want.mac, MAC_LEN);
}

static void test_converged_host_plans_nothing(void **state)
{
	struct fx *f = *state;

	given(f, lab_policy, 4);
	planned(f);
	assert_true(f->pl.n > 0);
	replanned(f, f->p);
	assert_int_equal(f->again.n, 0);
	assert_true(state_equal(&f->again.next, &f->applied));
}

static char *plan_text(const struct plan *pl);

static void test_one_vlan_change_plans_one_write(void **state)
{
	struct fx *f = *state;

	lab_then(f, "vlan: 200", "vlan: 201");
	replanned(f, f->p2);
	assert_int_equal(f->again.n, 1);
	assert_int_equal(count_vf_writes(&f->again), 1);
	assert_int_equal(f->again.actions[0].vfs[0].want.attrs, VF_ATTR_VLAN);
	assert_int_equal(f->again.actions[0].vfs[0].want.cfg.vlan, 201);
	assert_int_equal(f->again.actions[0].vfs[0].have.vlan, 200);
	keep_json(&f->again, "vlan");
	/* Text and JSON from the one record: typed settings, the owner as vm and nic. */
	json_t *j = plan_to_json(&f->again);
	json_t *vf = json_array_get(
	    json_object_get(json_array_get(json_object_get(j, "steps"), 0), "vfs"), 0);
	json_t *vlan = json_object_get(json_object_get(vf, "changes"), "vlan");
	assert_int_equal(json_integer_value(json_object_get(vlan, "from")), 200);
	assert_int_equal(json_integer_value(json_object_get(vlan, "to")), 201);
	assert_true(json_is_integer(json_object_get(vf, "nic")));
	char *line = plan_text(&f->again), want[160];
	snprintf(want, sizeof(want), "vf %lld vlan 201 qos 0 (was vlan 200 qos 0)  [%s nic %lld]",
	         json_integer_value(json_object_get(vf, "vf_index")),
	         json_string_value(json_object_get(vf, "vm")),
	         json_integer_value(json_object_get(vf, "nic")));
	assert_non_null(strstr(line, want));
	free(line);
	json_decref(j);
}

static void test_allocation_is_stable_when_a_vm_is_added_in_front(void **state)
{
	struct fx *f = *state;
	char text[2048];
	const char *vms = strstr(lab_policy, "vms:\n") + 5;

	f->p = parse(lab_policy);
	/* A new VM listed first would take VF 0 of PF a if allocation went by order alone. */
	snprintf(text, sizeof(text), "%.*s  - { name: aaa, nics: [ { network: back } ] }\n%s",
	         (int)(vms - lab_policy), lab_policy, vms);
	f->p2 = parse(text);
	fake_host(&f->h, 4);
	planned(f);
	assert_int_equal(build(f, f->p2, &f->pl.next, &f->again), 0);
	for (size_t i = 0; i < f->pl.next.n; i++) {
		const struct state_alloc *o = &f->pl.next.allocs[i];
		const struct state_alloc *n = state_find(&f->again.next, o->vm, o->nic, o->leg);
		assert_non_null(n);
		assert_string_equal(n->pf_addr, o->pf_addr);
		assert_int_equal(n->vf, o->vf);
	}
	assert_non_null(state_find(&f->again.next, "aaa", 0, 0));
}

static void test_management_device_is_refused(void **state)
{
	struct fx *f = *state;

	given(f, lab_policy, 0);
	f->h.nics[1].management = true;
	snprintf(f->h.nics[1].management_why, sizeof(f->h.nics[1].management_why),
	         "default route via enp2s0");
	refused_with(
	    f, "pf b: 0000:02:00.0 carries the host's management path (default route via "
	       "enp2s0); vfmgr will not change it (pick another device, or, if this port carries "
	       "no host traffic, say host-traffic: false on the pf)");
	assert_int_equal(f->d.items[0].line, 4);
}

/* An RA-learned default route on an SR-IOV uplink: the admin knows the port carries no host
 * traffic and says so; vfmgr proceeds, with a warning at the key. */
static void test_management_override_is_explicit_and_logged(void **state)
{
	struct fx *f = *state;
	static const char pol[] =
	    "version: 1\n"
	    "pfs:\n"
	    "  - { name: a, match: { pci: \"0000:01:00.0\" }, switch: tor-a, numvfs: 4 }\n"
	    "  - { name: b, match: { pci: \"0000:02:00.0\" }, switch: tor-b, numvfs: 4,\n"
	    "      host-traffic: false }\n"
	    "networks:\n"
	    "  - { name: prod, vlan: 100, class: vm, pfs: [a, b] }\n"
	    "vms:\n"
	    "  - name: web\n"
	    "    nics: [ { network: prod, redundant: true } ]\n";

	given(f, pol, 0);
	f->h.nics[1].management = true;
	mgmt_route_why(f->h.nics[1].management_why, sizeof(f->h.nics[1].management_why), "enp2s0",
	               254, true);
	planned(f);
	assert_int_equal(f->d.n_errors, 0);
	assert_int_equal(f->d.n_warnings, 1);
	assert_string_equal(f->d.items[0].message,
	                    "pf b: 0000:02:00.0 carries the host's management path (default route "
	                    "via enp2s0, learned from an IPv6 router advertisement; a port that "
	                    "must carry no host traffic wants sysctl "
	                    "net.ipv6.conf.enp2s0.accept_ra=0); changing it anyway, as "
	                    "host-traffic: false says it carries no host traffic");
}

static void test_numvfs_change_refused_while_vms_hold_vfs(void **state)
{
	struct fx *f = *state;

	lab_then(f, "numvfs: 4", "numvfs: 5");
	assert_int_equal(build(f, f->p2, &f->pl.next, &f->again), -EINVAL);
	assert_int_equal(f->d.n_errors, 1);
	assert_non_null(strstr(f->d.items[0].message, "VMs hold VFs there: db, web"));
}

static void test_release_restores_saved_settings(void **state)
{
	struct fx *f = *state;

	given(f, lab_policy, 4);
	planned(f);
	const struct state_alloc *db = state_find(&f->pl.next, "db", 0, 0);
	struct vf_config before = f->h.nics[0].vf_settings.vfs[db->vf];
	assert_true(db->saved_known);
	assert_memory_equal(db->saved.mac, before.mac, MAC_LEN);
	converge(&f->h, &f->pl.next);
	assert_int_equal(plan_release(&f->h, &f->pl.next, "db", &f->rel), 0);
	/* The VF leaves vfio-pci for the driver it had, then gets its settings back. */
	assert_int_equal(f->rel.n, 2);
	assert_int_equal(f->rel.actions[0].kind, PLAN_VFIO_RESTORE);
	assert_string_equal(f->rel.actions[0].host_driver, "igbvf");
	assert_int_equal(f->rel.actions[1].n_vfs, 1);
	const struct plan_vf *v = &f->rel.actions[1].vfs[0];
	assert_int_equal(v->want.cfg.index, db->vf);
	assert_memory_equal(v->want.cfg.mac, before.mac, MAC_LEN);
	assert_int_equal(v->want.cfg.vlan, 0);
	assert_int_equal(v->want.attrs, VF_ATTR_MAC | VF_ATTR_VLAN);
	assert_null(state_find(&f->rel.next, "db", 0, 0));
	assert_non_null(state_find(&f->rel.next, "web", 0, 0));
	keep_json(&f->rel, "release");
}

/* Every VF a release writes is one of the released VM's: another VM's setting that waits (on
 * the lab's igb, a rate while the PF's link is down) is not sent with it, so the driver's
 * refusal of it cannot roll this release back. */
static void test_release_writes_only_its_own_vms_vfs(void **state)
{
	struct fx *f = *state;

	given(f, lab_policy, 4);
	planned(f);
	converge(&f->h, &f->pl.next);
	const struct state_alloc *web = state_find(&f->pl.next, "web", 0, 0);
	const struct state_alloc *db = state_find(&f->pl.next, "db", 0, 0);
	assert_string_equal(web->pf_addr, db->pf_addr); /* both on PF a */
	/* web's VLAN waits: the host does not have it yet. */
	f->h.nics[host_find_nic(&f->h, web->pf_addr)].vf_settings.vfs[web->vf].vlan = 0;
	assert_int_equal(plan_release(&f->h, &f->pl.next, "db", &f->rel), 0);
	size_t writes = 0;
	for (size_t i = 0; i < f->rel.n; i++)
		for (size_t v = 0; v < f->rel.actions[i].n_vfs; v++, writes++) {
			const struct plan_vf *w = &f->rel.actions[i].vfs[v];
			if (strcmp(w->vm, "db") != 0 || !w->released)
				fail_msg("release db writes vf %u of vm %s (released %d)",
				         w->want.cfg.index, w->vm, w->released);
		}
	assert_int_equal(writes, 1);
	/* web keeps its record, want and all, for its own next run. */
	assert_non_null(state_find(&f->rel.next, "web", 0, 0));
}

/* The policy without vm db (the lab policy up to its last VM). */
static struct policy *lab_without_db(void)
{
	char *text = strdup(lab_policy);
	struct policy *p;

	assert_non_null(text);
	*strstr(text, "  - name: db") = '\0';
	p = parse(text);
	free(text);
	return p;
}

/* A release killed after it wrote its state and before its first restore: the state still
 * records db's VF, as being released, and whichever command runs next restores it. */
static void test_killed_release_is_finished_by_the_next_run(void **state)
{
	struct fx *f = *state;
	struct state intent = {0}, back = {0};
	struct plan rel2 = {0}, ap = {0}, prep = {0};
	char err[200];

	given(f, lab_policy, 4);
	planned(f);
	converge(&f->h, &f->pl.next);
	struct state_alloc saved_db = *state_find(&f->pl.next, "db", 0, 0);
	assert_int_equal(plan_release(&f->h, &f->pl.next, "db", &f->rel), 0);
	assert_int_equal(state_with_releasing(&intent, &f->rel.next, &f->pl.next), 0);
	const struct state_alloc *r = state_find_releasing(&intent, "db", 0, 0);
	assert_non_null(r);
	assert_null(state_find(&intent, "db", 0, 0));
	assert_false(state_holds_vm(&intent, "db"));
	assert_true(state_holds_vm(&intent, "web"));
	assert_int_equal(intent.n, f->pl.next.n);
	/* The file says so, and reads back the same. */
	json_t *j = state_to_json(&intent);
	assert_non_null(j);
	assert_int_equal(state_from_json(j, &back, err, sizeof(err)), 0);
	json_decref(j);
	assert_true(state_equal(&intent, &back));

	/* release db again: the same restore and write, and db leaves the file. */
	assert_int_equal(plan_release(&f->h, &intent, "db", &rel2), 0);
	assert_int_equal(rel2.n, f->rel.n);
	assert_int_equal(rel2.actions[0].kind, PLAN_VFIO_RESTORE);
	assert_false(state_has_releasing(&rel2.next));
	assert_null(state_find(&rel2.next, "db", 0, 0));

	/* apply of a policy without db: db's VF is restored as well. */
	f->p2 = lab_without_db();
	assert_int_equal(build(f, f->p2, &intent, &ap), 0);
	assert_int_equal(count_kind(&ap, PLAN_VFIO_RESTORE), 1);
	assert_false(state_has_releasing(&ap.next));

	/* apply or prepare of a policy that still wants db: db keeps that VF and the settings
	 * saved when vfmgr first took it, not the ones it has now (db's own). */
	assert_int_equal(build(f, f->p, &intent, &prep), 0);
	const struct state_alloc *again = state_find(&prep.next, "db", 0, 0);
	assert_non_null(again);
	assert_int_equal(again->vf, saved_db.vf);
	assert_false(again->releasing);
	assert_memory_equal(&again->saved, &saved_db.saved, sizeof(again->saved));
	assert_false(state_has_releasing(&prep.next));

	plan_free(&rel2);
	plan_free(&ap);
	plan_free(&prep);
	state_free(&intent);
	state_free(&back);
}

/* Killed after its last restore, before the state's final write: the next release has nothing
 * left to do on the host and only drops the records. */
static void test_killed_release_after_restores_only_drops_records(void **state)
{
	struct fx *f = *state;
	struct state intent = {0};
	struct plan rel2 = {0};

	given(f, lab_policy, 4);
	planned(f);
	converge(&f->h, &f->pl.next);
	const struct state_alloc *db = state_find(&f->pl.next, "db", 0, 0);
	assert_int_equal(plan_release(&f->h, &f->pl.next, "db", &f->rel), 0);
	assert_int_equal(state_with_releasing(&intent, &f->rel.next, &f->pl.next), 0);
	/* The host as the release left it: the VF on igbvf with its saved settings. */
	size_t vfn = host_find_nic(&f->h, db->vf_addr), pfn = host_find_nic(&f->h, db->pf_addr);
	strcpy(f->h.nics[vfn].driver, "igbvf");
	f->h.nics[pfn].vf_settings.vfs[db->vf] = db->saved;
	f->h.nics[pfn].vf_settings.vfs[db->vf].index = db->vf;
	assert_int_equal(plan_release(&f->h, &intent, "db", &rel2), 0);
	assert_int_equal(rel2.n, 0);
	assert_false(state_equal(&rel2.next, &intent));
	assert_false(state_has_releasing(&rel2.next));
	assert_int_equal(rel2.next.n, f->rel.next.n);
	plan_free(&rel2);
	state_free(&intent);
}

/* One device, one owner: a VF of a policy PF (here the very VF db holds) cannot also be a
 * VM's whole device; the plan says so at the passthrough's line. */
static void test_vf_of_a_policy_pf_is_no_passthrough(void **state)
{
	struct fx *f = *state;
	char text[2048], vf[NIC_ADDR_LEN];

	given(f, lab_policy, 4);
	planned(f);
	converge(&f->h, &f->pl.next);
	strcpy(vf, state_find(&f->pl.next, "db", 0, 0)->vf_addr);
	snprintf(text, sizeof(text), "%s  - name: x\n    passthrough: [ { pci: \"%s\" } ]\n",
	         lab_policy, vf);
	f->p2 = parse(text);
	assert_int_equal(build(f, f->p2, &f->pl.next, &f->again), -EINVAL);
	assert_int_equal(f->d.n_errors, 1);
	char want[300];
	snprintf(want, sizeof(want),
	         "vm x: %s is VF %u of pf a (0000:01:00.0), whose VFs vfmgr allocates to VM NICs; "
	         "give the VM a NIC on one of its networks instead",
	         vf, state_find(&f->pl.next, "db", 0, 0)->vf);
	assert_string_equal(f->d.items[0].message, want);
	assert_int_equal(f->d.items[0].line, 14);
}

static void test_generated_mac_is_stable_local_unicast(void **state)
{
	uint8_t a[MAC_LEN], b[MAC_LEN], c[MAC_LEN], legb[MAC_LEN];
	(void)state;

	policy_mac_derive("web01", 0, 0, a);
	policy_mac_derive("web01", 0, 0, b);
	policy_mac_derive("web01", 1, 0, c);
	policy_mac_derive("web01", 0, 1, legb);
	assert_memory_equal(a, b, MAC_LEN);
	assert_memory_not_equal(a, c, MAC_LEN);
	assert_memory_not_equal(a, legb, MAC_LEN);
	for (const uint8_t *m = a; m; m = m == a ? legb : NULL) {
		assert_true(mac_is_local(m));
		assert_false(mac_is_multicast(m));
	}
}

static void test_vm_numa_node_prefers_local_pf(void **state)
{
	struct fx *f = *state;
	static const char *const text =
	    "version: 1\n"
	    "pfs:\n"
	    "  - { name: a, match: { pci: \"0000:01:00.0\" }, numvfs: 4 }\n"
	    "  - { name: b, match: { pci: \"0000:02:00.0\" }, numvfs: 4 }\n"
	    "networks:\n"
	    "  - { name: prod, vlan: 100, class: vm, pfs: [a, b] }\n"
	    "vms:\n"
	    "  - { name: n1, numa-node: 1, nics: [ { network: prod } ] }\n"
	    "  - { name: n0, numa-node: 0, nics: [ { network: prod } ] }\n";

	given(f, text, 4);
	planned(f);
	assert_string_equal(state_find(&f->pl.next, "n1", 0, 0)->pf_addr, "0000:02:00.0");
	assert_string_equal(state_find(&f->pl.next, "n0", 0, 0)->pf_addr, "0000:01:00.0");
}

static void test_no_iommu_refuses_passthrough(void **state)
{
	struct fx *f = *state;

	given(f, lab_policy, 4);
	f->h.iommu = false;
	refused_saying(f, "boot with intel_iommu=on (Intel) or amd_iommu=on (AMD)");
}

static void test_kernel_vf_driver_needs_no_iommu(void **state)
{
	struct fx *f = *state;
	static const char *const text =
	    "version: 1\n"
	    "defaults: { vf-driver: kernel }\n"
	    "pfs:\n"
	    "  - { name: a, match: { pci: \"0000:01:00.0\" }, numvfs: 2 }\n"
	    "networks:\n"
	    "  - { name: prod, vlan: 100, class: vm, pfs: [a] }\n"
	    "vms:\n"
	    "  - { name: k, nics: [ { network: prod } ] }\n";

	given(f, text, 2);
	f->h.iommu = false;
	planned(f);
	assert_int_equal(count_kind(&f->pl, PLAN_VFIO_BIND), 0);
}

static const char *const pt_policy =
    "version: 1\n"
    "pfs:\n"
    "  - { name: a, match: { pci: \"0000:01:00.0\" }, numvfs: 2 }\n"
    "  - { name: b, match: { pci: \"0000:02:00.0\" } }\n"
    "networks:\n"
    "  - { name: prod, vlan: 100, class: vm, pfs: [a] }\n"
    "vms:\n"
    "  - { name: vm1, nics: [ { network: prod } ] }\n"
    "  - { name: vm2, passthrough: [ { pf: b } ] }\n";

static void test_whole_pf_passthrough_destroys_its_vfs_first(void **state)
{
	struct fx *f = *state;

	given(f, pt_policy, 2);
	planned(f);
	/* b: numvfs 2 -> 0, then the PF to vfio-pci. */
	const struct plan_action *last = &f->pl.actions[f->pl.n - 1];
	assert_int_equal(last->kind, PLAN_VFIO_BIND);
	assert_string_equal(last->dev, "0000:02:00.0");
	assert_string_equal(last->host_driver, "igb");
	assert_string_equal(last->vm, "vm2");
	int zero = -1;
	for (size_t i = 0; i < f->pl.n; i++)
		if (f->pl.actions[i].kind == PLAN_SET_NUMVFS &&
		    !strcmp(f->pl.actions[i].addr, "0000:02:00.0"))
			zero = (int)f->pl.actions[i].to;
	assert_int_equal(zero, 0);
	assert_int_equal(f->pl.next.n_pts, 1);
	assert_string_equal(f->pl.next.pts[0].driver_before, "igb");
	keep_json(&f->pl, "whole-pf");
}

static void test_group_shared_with_host_driver_is_refused(void **state)
{
	struct fx *f = *state;

	given(f, pt_policy, 0);
	f->h.nics[1].iommu_group = 8;
	f->h.nics[1].n_group_peers = f->h.nics[1].cap_group_peers = 1;
	f->h.nics[1].group_peers = calloc(1, sizeof(struct group_peer));
	strcpy(f->h.nics[1].group_peers[0].addr, "0000:02:00.1");
	strcpy(f->h.nics[1].group_peers[0].driver, "ahci");
	refused_with(f, "vm vm2: 0000:02:00.0 shares IOMMU group 8 with 0000:02:00.1, which stays "
	                "bound to ahci on the host; a group goes to a VM whole or not at all");
	/* A bridge in the group, or a driverless member, is fine. */
	f->h.nics[1].group_peers[0].bridge = true;
	policy_diags_free(&f->d);
	policy_diags_init(&f->d);
	planned(f);
}

static void test_management_device_is_never_passed_through(void **state)
{
	struct fx *f = *state;

	given(f, pt_policy, 0);
	f->h.nics[1].management = true;
	strcpy(f->h.nics[1].management_why, "ssh session to 192.0.2.10 on enp2s0");
	refused_saying(f, "vm vm2: 0000:02:00.0 carries the host's management "
	                  "path (ssh session to 192.0.2.10 on enp2s0); it is "
	                  "never passed through");
}

static void test_prepare_keeps_only_one_vms_steps(void **state)
{
	struct fx *f = *state;

	given(f, lab_policy, 4);
	planned(f);
	assert_int_equal(plan_restrict_to_vm(&f->pl, &f->empty, "db"), 0);
	/* db's VF settings and its bind; nothing of web. */
	assert_int_equal(f->pl.n, 2);
	assert_int_equal(f->pl.actions[0].n_vfs, 1);
	assert_string_equal(f->pl.actions[0].vfs[0].vm, "db");
	assert_string_equal(f->pl.actions[1].vm, "db");
	assert_int_equal(f->pl.next.n, 1);
	assert_string_equal(f->pl.next.allocs[0].vm, "db");
}

/* ---- RSS ---- */

/* PF a's interface as igb shows it without VFs: 8 combined channels of 8, table equal 8, no key
 * exposed, toeplitz; its queue IRQs on CPU 0 of local CPUs 0-1. */
static void fake_rss(struct host *h)
{
	struct nic_rss *r = calloc(1, sizeof(*r));
	struct rss_state *st = &r->st;

	snprintf(st->ifname, sizeof(st->ifname), "enp1s0");
	snprintf(st->driver, sizeof(st->driver), "igb");
	st->has_channels = true;
	st->max = (struct rss_channels){0, 0, 1, 8};
	st->cur = (struct rss_channels){0, 0, 1, 8};
	st->rx_rings = 8;
	st->has_rss = true;
	st->indir_size = 128;
	rss_table_equal(st->indir, 128, 0, 8);
	st->hfunc = 1; /* toeplitz */
	r->irqs.numa_node = 0;
	CPU_SET(0, &r->irqs.local);
	CPU_SET(1, &r->irqs.local);
	r->irqs.n = 8;
	for (unsigned q = 0; q < 8; q++) {
		r->irqs.irq[q].irq = 40 + q;
		r->irqs.irq[q].queue = q;
		strcpy(r->irqs.irq[q].kind, "TxRx");
		CPU_SET(0, &r->irqs.irq[q].cpus);
	}
	h->nics[0].rss = r;
}

static struct policy *rss_policy(const char *rss)
{
	char text[1024];

	snprintf(text, sizeof(text),
	         "version: 1\n"
	         "pfs:\n"
	         "  - name: a\n"
	         "    match: { pci: \"0000:01:00.0\" }\n"
	         "    rss: %s\n",
	         rss);
	return parse(text);
}

static char *plan_text(const struct plan *pl)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	plan_print(pl, f);
	fclose(f);
	return buf;
}

/* f->p: the RSS policy for pf a (rss_policy), on a host of two PFs without VFs and with RSS. */
static void rss_lab(struct fx *f, const char *rss)
{
	f->p = rss_policy(rss);
	fake_host(&f->h, 0);
	fake_rss(&f->h);
}

static void test_rss_plan_sets_channels_before_table(void **state)
{
	struct fx *f = *state;
	uint32_t counts[4];

	rss_lab(f, "{ channels: 4, indirection: { weights: [1, 2, 1, 0] } }");
	planned(f);
	assert_int_equal(f->pl.n, 2);
	assert_int_equal(f->pl.actions[0].kind, PLAN_RSS_CHANNELS);
	assert_int_equal(f->pl.actions[0].rss->spec.channels, 4);
	assert_int_equal(f->pl.actions[1].kind, PLAN_RSS_TABLE);
	rss_table_count(f->pl.actions[1].rss->table, 128, counts, 4);
	assert_int_equal(counts[0], 32);
	assert_int_equal(counts[1], 64);
	assert_int_equal(counts[2], 32);
	assert_int_equal(counts[3], 0);
	/* The undo's snapshot. */
	assert_int_equal(f->pl.actions[0].rss->before.cur.combined, 8);
	keep_json(&f->pl, "rss");
	char *text = plan_text(&f->pl);
	assert_string_equal(text,
	                    "+ 0000:01:00.0 rss channels combined 4 (was 8)  impact: pf-reset "
	                    "(igb rebuilds its queues for a channel change: enp1s0's link "
	                    "drops and its VFs reset)\n"
	                    "+ 0000:01:00.0 rss table weights 1 2 1 0 (was equal 8)  impact: "
	                    "none\n");
	free(text);
	json_t *j = plan_to_json(&f->pl);
	json_t *steps = json_object_get(j, "steps");
	assert_string_equal(json_string_value(json_object_get(json_array_get(steps, 0), "action")),
	                    "rss-channels");
	/* Typed: the channel count is a number. */
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(json_object_get(json_array_get(steps, 0), "changes"),
	                                     "combined_channels"),
	                     "to")),
	                 4);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(json_array_get(steps, 1), "changes"), "table"),
	        "from")),
	    "equal 8");
	json_decref(j);
	plan_free(&f->pl);
	/* igb's own default table runs in contiguous blocks: what weight 1 1 ... gives. */
	for (unsigned i = 0; i < 128; i++)
		f->h.nics[0].rss->st.indir[i] = i * 8 / 128;
	planned(f);
	assert_string_equal(f->pl.actions[1].rss->was, "weights 1 1 1 1 1 1 1 1");
	plan_free(&f->pl);
	/* Anything else: the entries of each queue. */
	f->h.nics[0].rss->st.indir[0] = 7;
	planned(f);
	assert_string_equal(f->pl.actions[1].rss->was, "entries 15 16 16 16 16 16 16 17");
}

static void test_rss_converged_plans_nothing(void **state)
{
	struct fx *f = *state;
	static const uint32_t w[] = {1, 2, 1, 0};

	rss_lab(f, "{ channels: 4, indirection: { weights: [1, 2, 1, 0] }, "
	           "hfunc: toeplitz, irq-affinity: local }");
	struct nic_rss *r = f->h.nics[0].rss;
	r->st.cur.combined = r->st.rx_rings = 4;
	rss_table_weights(r->st.indir, 128, 0, w, 4);
	/* Queue q on the (q mod 2)-th local CPU. */
	r->irqs.n = 4;
	for (unsigned q = 0; q < 4; q++) {
		CPU_ZERO(&r->irqs.irq[q].cpus);
		CPU_SET(q % 2, &r->irqs.irq[q].cpus);
	}
	planned(f);
	assert_int_equal(f->pl.n, 0);
	/* One IRQ elsewhere: one step, for the IRQs only. */
	CPU_SET(1, &r->irqs.irq[0].cpus);
	plan_free(&f->pl);
	planned(f);
	assert_int_equal(f->pl.n, 1);
	assert_int_equal(f->pl.actions[0].kind, PLAN_RSS_IRQ);
	assert_int_equal(f->pl.actions[0].rss->irqs_moving, 1);
}

static void test_rss_channels_over_driver_maximum_refused(void **state)
{
	struct fx *f = *state;

	rss_lab(f, "{ channels: 9, indirection: equal }");
	refused_with(f, "pf a: rss: igb on enp1s0 allows at most 8 combined channels, asked for 9");
	assert_int_equal(f->d.items[0].line, 5);
	assert_int_equal(f->d.items[0].col, 22); /* the 9 */
}

static void test_rss_key_refused_when_driver_hides_it(void **state)
{
	struct fx *f = *state;

	rss_lab(f, "{ channels: 4, key: random }");
	refused_with(f, "pf a: rss: hash key not supported by igb on enp1s0 "
	                "(the driver does not expose it)");
	assert_int_equal(f->d.items[0].line, 5);
}

static void test_rss_random_key_is_kept_while_the_pf_has_it(void **state)
{
	struct fx *f = *state;
	struct state old = {0};
	uint8_t key[40];

	rss_lab(f, "{ key: random }");
	f->h.nics[0].rss->st.key_size = 40;
	for (int i = 0; i < 40; i++)
		key[i] = f->h.nics[0].rss->st.key[i] = (uint8_t)(i * 7);
	/* Not generated by vfmgr: replaced. */
	assert_int_equal(build(f, f->p, &old, &f->pl), 0);
	assert_int_equal(f->pl.n, 1);
	assert_int_equal(f->pl.actions[0].kind, PLAN_RSS_KEY);
	plan_free(&f->pl);
	/* The key vfmgr generated and recorded: nothing to do, and the record stays. */
	assert_int_equal(state_set_rss_key(&old, "0000:01:00.0", key, 40), 0);
	assert_int_equal(build(f, f->p, &old, &f->pl), 0);
	assert_int_equal(f->pl.n, 0);
	assert_true(state_equal(&f->pl.next, &old));
	plan_free(&f->pl);
	/* Reset by the driver since: a new one. */
	f->h.nics[0].rss->st.key[0] ^= 1;
	assert_int_equal(build(f, f->p, &old, &f->pl), 0);
	assert_int_equal(f->pl.n, 1);
	plan_free(&f->pl);
	state_free(&old);
}

static void test_rss_on_management_device_refused_unless_converged(void **state)
{
	struct fx *f = *state;

	rss_lab(f, "{ channels: 4 }");
	f->h.nics[0].management = true;
	strcpy(f->h.nics[0].management_why, "default route via enp1s0");
	refused_saying(f, "carries the host's management path (default "
	                  "route via enp1s0); vfmgr will not change its RSS");
	f->h.nics[0].rss->st.cur.combined = 4;
	planned(f);
	assert_int_equal(f->pl.n, 0);
}

/* igb allows 8 combined channels without VFs and 2 with: after a numvfs change the observed
 * maximum does not hold, so the steps are planned for apply to check, after the numvfs step,
 * whose undo puts RSS back as the snapshot had it. */
static void test_rss_after_numvfs_change_is_rechecked_at_apply(void **state)
{
	struct fx *f = *state;
	static const char *const text = "version: 1\n"
	                                "pfs:\n"
	                                "  - name: a\n"
	                                "    match: { pci: \"0000:01:00.0\" }\n"
	                                "    numvfs: 2\n"
	                                "    rss: { channels: 4, indirection: equal }\n";

	given(f, text, 0);
	fake_rss(&f->h);
	f->h.nics[0].rss->st.cur.combined = 4;
	planned(f);
	assert_int_equal(f->pl.n, 3);
	assert_int_equal(f->pl.actions[0].kind, PLAN_SET_NUMVFS);
	assert_non_null(f->pl.actions[0].rss);
	assert_int_equal(f->pl.actions[0].rss->before.cur.combined, 4);
	assert_int_equal(f->pl.actions[1].kind, PLAN_RSS_CHANNELS);
	assert_true(f->pl.actions[1].rss->recheck);
	assert_int_equal(f->pl.actions[2].kind, PLAN_RSS_TABLE);
	keep_json(&f->pl, "rss-after-numvfs");
}

/* rss set's words, planned: only what differs, in the table's order, refusals in words. */
static size_t plan_words(const struct nic *n, const char *words, struct plan *pl, int *r, char *why,
                         size_t size)
{
	char buf[256], *argv[16];
	int argc = 0;
	struct rss_spec s;

	snprintf(buf, sizeof(buf), "%s", words);
	for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && argc < 16;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	assert_int_equal(rss_words_parse(argc, argv, &s), 0);
	memset(pl, 0, sizeof(*pl));
	*r = plan_rss_request(&s, n, pl, why, size);
	return pl->n;
}

static void test_rss_set_plans_only_what_differs(void **state)
{
	struct fx *f = *state;
	char why[256] = "";
	int r;

	fake_host(&f->h, 0);
	fake_rss(&f->h);
	const struct nic *n = &f->h.nics[0];
	/* Met: nothing to do. */
	assert_int_equal(
	    plan_words(n, "channels 8 equal 8 hfunc toeplitz", &f->pl, &r, why, sizeof(why)), 0);
	assert_int_equal(r, 0);
	plan_free(&f->pl);
	/* Channels, then the table; the steps describe themselves from the table. */
	assert_int_equal(plan_words(n, "channels 4 equal 4", &f->pl, &r, why, sizeof(why)), 2);
	assert_int_equal(f->pl.actions[0].kind, PLAN_RSS_CHANNELS);
	assert_int_equal(f->pl.actions[1].kind, PLAN_RSS_TABLE);
	plan_step_name(&f->pl.actions[1], why, sizeof(why));
	assert_string_equal(why, "0000:01:00.0 (enp1s0) rss table");
	plan_free(&f->pl);
	/* numa-local: the table follows the IRQs after the channel change, worked out at apply. */
	assert_int_equal(plan_words(n, "numa-local", &f->pl, &r, why, sizeof(why)), 1);
	assert_true(f->pl.actions[0].rss->numa_local);
	plan_free(&f->pl);
	/* Refused before anything is planned, with the driver's maximum. */
	assert_int_equal(plan_words(n, "channels 9", &f->pl, &r, why, sizeof(why)), 0);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(why, "at most 8 combined channels"));
	plan_free(&f->pl);
	assert_int_equal(plan_words(n, "hkey random", &f->pl, &r, why, sizeof(why)), 0);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(why, "hash key not supported by igb"));
}

static void test_absent_pf_blocks_cli_but_not_daemon_plans(void **state)
{
	struct fx *f = *state;
	struct plan part;

	given(f, lab_policy, 4);
	planned(f);
	converge(&f->h, &f->pl.next);
	/* PF b dies: drop it and its VFs from the snapshot. */
	size_t k = 0;
	for (size_t i = 0; i < f->h.n_nics; i++) {
		if (strncmp(f->h.nics[i].addr, "0000:02:", 8) == 0) {
			free(f->h.nics[i].netdevs);
			free(f->h.nics[i].vfs);
			free(f->h.nics[i].group_peers);
			pf_vfs_free(&f->h.nics[i].vf_settings);
			continue;
		}
		f->h.nics[k++] = f->h.nics[i];
	}
	f->h.n_nics = k;
	host_link_vfs(&f->h);
	/* Strict (CLI): an error. */
	assert_int_equal(build(f, f->p, &f->pl.next, &part), -EINVAL);
	policy_diags_free(&f->d);
	policy_diags_init(&f->d);
	/* Daemon: PF a is still managed, PF b's allocation stays on record. */
	f->h.nics[0].vf_settings.vfs[state_find(&f->pl.next, "db", 0, 0)->vf].vlan = 999;
	assert_int_equal(plan_build(f->p, &f->h, &f->pl.next, &part, &f->d, PLAN_ALLOW_ABSENT), 0);
	assert_int_equal(f->d.n_errors, 0);
	assert_int_equal(f->d.n_warnings, 1);
	assert_int_equal(count_vf_writes(&part), 1);
	assert_int_equal(part.actions[0].vfs[0].want.cfg.vlan, 200);
	const struct state_alloc *kept = state_find(&part.next, "web", 0, 1);
	assert_non_null(kept);
	assert_string_equal(kept->pf_addr, "0000:02:00.0");
	assert_int_equal(part.next.n, f->pl.next.n);
	plan_free(&part);
}

#define fx_test(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    fx_test(test_plan_creates_vfs_on_empty_pfs),
	    fx_test(test_redundant_pair_uses_two_switches),
	    fx_test(test_each_leg_of_a_redundant_pair_gets_its_own_mac),
	    fx_test(test_converged_host_plans_nothing),
	    fx_test(test_one_vlan_change_plans_one_write),
	    fx_test(test_allocation_is_stable_when_a_vm_is_added_in_front),
	    fx_test(test_management_device_is_refused),
	    fx_test(test_management_override_is_explicit_and_logged),
	    fx_test(test_numvfs_change_refused_while_vms_hold_vfs),
	    fx_test(test_release_restores_saved_settings),
	    fx_test(test_release_writes_only_its_own_vms_vfs),
	    fx_test(test_killed_release_is_finished_by_the_next_run),
	    fx_test(test_killed_release_after_restores_only_drops_records),
	    fx_test(test_vf_of_a_policy_pf_is_no_passthrough),
	    cmocka_unit_test(test_generated_mac_is_stable_local_unicast),
	    fx_test(test_vm_numa_node_prefers_local_pf),
	    fx_test(test_no_iommu_refuses_passthrough),
	    fx_test(test_kernel_vf_driver_needs_no_iommu),
	    fx_test(test_whole_pf_passthrough_destroys_its_vfs_first),
	    fx_test(test_group_shared_with_host_driver_is_refused),
	    fx_test(test_management_device_is_never_passed_through),
	    fx_test(test_prepare_keeps_only_one_vms_steps),
	    fx_test(test_absent_pf_blocks_cli_but_not_daemon_plans),
	    fx_test(test_rss_plan_sets_channels_before_table),
	    fx_test(test_rss_converged_plans_nothing),
	    fx_test(test_rss_channels_over_driver_maximum_refused),
	    fx_test(test_rss_key_refused_when_driver_hides_it),
	    fx_test(test_rss_random_key_is_kept_while_the_pf_has_it),
	    fx_test(test_rss_on_management_device_refused_unless_converged),
	    fx_test(test_rss_after_numvfs_change_is_rechecked_at_apply),
	    fx_test(test_rss_set_plans_only_what_differs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
