/* The daemon's pending VF settings: which are left out of the next plan (their reason still
 * holds) and which are tried again. The PF's link state is read from a fake sysfs (through its
 * PCI device: the fake PF has no ifindex). */
#include "fake-root.h"
#include "util/sysfs.h"
#include "vfmgr/daemon.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/vfmgr-pending-XXXXXX";

/* The PF as the kernel shows it: admin up (IFF_UP in flags), with or without carrier. */
static void set_carrier(const char *carrier)
{
	char line[16];

	fake_root_put(root, "sys/bus/pci/devices/0000:01:00.0/net/enp1s0/flags", "0x1003\n");
	snprintf(line, sizeof(line), "%s\n", carrier);
	fake_root_put(root, "sys/bus/pci/devices/0000:01:00.0/net/enp1s0/carrier", line);
}

static int setup(void **unused)
{
	(void)unused;
	fake_root_make(root);
	return 0;
}

static int teardown(void **unused)
{
	(void)unused;
	return fake_root_remove(root);
}

static void one_pf(struct host *h)
{
	memset(h, 0, sizeof(*h));
	h->n_nics = h->cap_nics = 1;
	h->nics = calloc(1, sizeof(*h->nics));
	snprintf(h->nics[0].addr, sizeof(h->nics[0].addr), "0000:01:00.0");
	h->nics[0].pf = NO_INDEX;
	h->nics[0].n_netdevs = 1;
	h->nics[0].netdevs = calloc(1, sizeof(struct netdev));
	snprintf(h->nics[0].netdevs[0].name, IF_NAMESIZE, "enp1s0");
}

static void free_host(struct host *h)
{
	free(h->nics[0].netdevs);
	free(h->nics);
}

/* A plan with one VF step on 0000:01:00.0: VF 0 gets vlan 120 and max rate 300 (attrs), VF 1
 * max rate 300 only. */
static void vf_plan(struct plan *pl, unsigned vf0_attrs)
{
	memset(pl, 0, sizeof(*pl));
	pl->n = pl->cap = 1;
	pl->actions = calloc(1, sizeof(*pl->actions));
	struct plan_action *a = &pl->actions[0];
	a->kind = PLAN_SET_VFS;
	snprintf(a->addr, sizeof(a->addr), "0000:01:00.0");
	a->n_vfs = a->cap_vfs = 2;
	a->vfs = calloc(2, sizeof(*a->vfs));
	for (unsigned i = 0; i < 2; i++) {
		struct plan_vf *v = &a->vfs[i];
		v->have_known = true;
		v->have.index = v->want.cfg.index = i;
		v->want.cfg.max_rate = 300;
		v->want.attrs = VF_ATTR_RATE;
	}
	a->vfs[0].want.cfg.vlan = 120;
	a->vfs[0].want.attrs = vf0_attrs;
}

static void add_pending(struct apply_pending *pend, unsigned vf, int err, bool link, unsigned tries)
{
	struct vf_pending p = {
	    .vf = vf, .attr = VF_ATTR_RATE, .err = err, .link = link, .tries = tries};
	struct apply_pending one = {.items = &p, .n = 1, .cap = 1};

	snprintf(p.pf_addr, sizeof(p.pf_addr), "0000:01:00.0");
	p.want.index = vf;
	p.want.max_rate = 300;
	assert_int_equal(pending_merge(pend, &one), 0);
}

/* What a test works on: the pending settings, the host (one PF) and the plan; the teardown
 * frees them. */
struct fx {
	struct apply_pending pend;
	struct host h;
	struct plan pl;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	one_pf(&f->h);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	plan_free(&f->pl);
	apply_pending_free(&f->pend);
	free_host(&f->h);
	free(f);
	return 0;
}

static void test_link_down_holds(void **state)
{
	struct fx *f = *state;

	set_carrier("0");
	vf_plan(&f->pl, VF_ATTR_VLAN | VF_ATTR_RATE);
	add_pending(&f->pend, 0, -EINVAL, true, 0);
	add_pending(&f->pend, 1, -EINVAL, true, 0);
	assert_int_equal(pending_hold(&f->pend, &f->pl, &f->h), 2);
	/* VF 0 keeps its VLAN change, without the rate (put back to what it has); VF 1, which
	 * had only the rate, is gone from the plan. */
	assert_int_equal(f->pl.n, 1);
	assert_int_equal(f->pl.actions[0].n_vfs, 1);
	assert_int_equal(f->pl.actions[0].vfs[0].want.attrs, VF_ATTR_VLAN);
	assert_int_equal(f->pl.actions[0].vfs[0].want.cfg.max_rate, 0);
	plan_free(&f->pl);

	/* Only the rates pending: the whole step goes, the plan is empty (converged). */
	vf_plan(&f->pl, VF_ATTR_RATE);
	assert_int_equal(pending_hold(&f->pend, &f->pl, &f->h), 2);
	assert_int_equal(f->pl.n, 0);
	plan_free(&f->pl);

	/* The link is up: both are tried again and no longer pending. */
	set_carrier("1");
	vf_plan(&f->pl, VF_ATTR_RATE);
	assert_int_equal(pending_hold(&f->pend, &f->pl, &f->h), 0);
	assert_int_equal(f->pl.n, 1);
	assert_int_equal(f->pl.actions[0].n_vfs, 2);
}

/* What the kernel shows right after igb's reset: operstate (linkwatch, later) still "up", the
 * carrier already off. The carrier decides. An admin-down PF (IFF_UP clear in flags) holds
 * whatever its carrier file says. */
static void test_carrier_not_operstate(void **state)
{
	struct fx *f = *state;

	fake_root_put(root, "sys/bus/pci/devices/0000:01:00.0/net/enp1s0/operstate", "up\n");
	set_carrier("0");
	add_pending(&f->pend, 1, -EINVAL, true, 0);
	vf_plan(&f->pl, VF_ATTR_RATE);
	assert_int_equal(pending_hold(&f->pend, &f->pl, &f->h), 1);
	assert_int_equal(f->pl.actions[0].n_vfs, 1);
	plan_free(&f->pl);

	set_carrier("1");
	fake_root_put(root, "sys/bus/pci/devices/0000:01:00.0/net/enp1s0/flags", "0x1002\n");
	vf_plan(&f->pl, VF_ATTR_RATE);
	assert_int_equal(pending_hold(&f->pend, &f->pl, &f->h), 1);
	plan_free(&f->pl);

	set_carrier("1");
	vf_plan(&f->pl, VF_ATTR_RATE);
	assert_int_equal(pending_hold(&f->pend, &f->pl, &f->h), 0);
	assert_int_equal(f->pl.actions[0].n_vfs, 2);
}

static void test_other_refusals(void **state)
{
	struct fx *f = *state;

	set_carrier("1");
	vf_plan(&f->pl, VF_ATTR_RATE);
	/* A first refusal is tried once more at the next pass. */
	add_pending(&f->pend, 0, -EINVAL, false, 0);
	assert_int_equal(pending_hold(&f->pend, &f->pl, &f->h), 0);
	assert_int_equal(f->pl.actions[0].n_vfs, 2);
	struct apply_pending fresh = {0}, before = {0};
	add_pending(&before, 0, -EINVAL, false, 0);
	add_pending(&fresh, 0, -EINVAL, false, 0);
	add_pending(&fresh, 1, -EINVAL, false, 0);
	pending_count_tries(&fresh, &before);
	assert_int_equal(fresh.items[0].tries, 1); /* refused again */
	assert_int_equal(fresh.items[1].tries, 0); /* a new one */
	apply_pending_free(&fresh);
	apply_pending_free(&before);
	plan_free(&f->pl);

	vf_plan(&f->pl, VF_ATTR_RATE);
	add_pending(&f->pend, 0, -EINVAL, false,
	            1); /* refused twice: held until the PF comes back */
	add_pending(&f->pend, 1, -EBUSY, false, 1); /* a VF resetting: tried again at once */
	assert_int_equal(pending_hold(&f->pend, &f->pl, &f->h), 1);
	assert_int_equal(f->pend.items[0].vf, 0);
	assert_int_equal(f->pl.actions[0].n_vfs, 1);
	assert_int_equal(f->pl.actions[0].vfs[0].want.cfg.index, 1);
	plan_free(&f->pl);

	/* The policy now wants another rate for VF 0: that is a new change, tried. */
	vf_plan(&f->pl, VF_ATTR_RATE);
	f->pl.actions[0].vfs[0].want.cfg.max_rate = 200;
	assert_int_equal(pending_hold(&f->pend, &f->pl, &f->h), 0);
	assert_int_equal(f->pl.actions[0].n_vfs, 2);
	plan_free(&f->pl);

	/* pending_forget: a PF's own hotplug or rebind tries them again. */
	add_pending(&f->pend, 0, -EINVAL, false, 1);
	pending_forget(&f->pend, "0000:02:00.0");
	assert_int_equal(f->pend.n, 1);
	pending_forget(&f->pend, "0000:01:00.0");
	assert_int_equal(f->pend.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_link_down_holds, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_carrier_not_operstate, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_other_refusals, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
