/* VF allocation: which VF each VM NIC gets. Stable: an allocation in the state file is kept
 * while it still fits the policy, so a VM finds the same VF after every run and reboot. */
#include "vfmgr/macgen.h"
#include "vfmgr/plan.h"
#include "util/array.h"
#include "util/strcopy.h"

#include <errno.h>
#include <linux/if_link.h>
#include <stdlib.h>
#include <string.h>

struct alloc_ctx {
	const struct policy *p;
	const struct host *h;
	const size_t *pf_nic;
	const unsigned *numvfs; /* per policy PF: the VF count after apply */
	bool **taken;           /* per policy PF, numvfs flags */
};

static bool pf_has_network(const struct policy_network *net, size_t pf)
{
	for (size_t i = 0; i < net->n_pfs; i++)
		if (net->pfs[i].index == pf)
			return true;
	return false;
}

static size_t pf_by_name(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_pfs; i++)
		if (strcmp(p->pfs[i].name.value, name) == 0)
			return i;
	return POLICY_NONE;
}

static const char *pf_switch(const struct policy *p, size_t pf)
{
	return p->pfs[pf].switch_name.value ? p->pfs[pf].switch_name.value : "";
}

static bool keep_old(const struct alloc_ctx *c, const struct policy_vm *vm,
		     const struct policy_nic *nic, const struct state_alloc *old, size_t other_pf)
{
	size_t pf = pf_by_name(c->p, old->pf);

	if (pf == POLICY_NONE || c->pf_nic[pf] == NO_INDEX ||
	    strcmp(old->network, nic->network.name) != 0 ||
	    !pf_has_network(&c->p->networks[nic->network.index], pf) ||
	    strcmp(c->h->nics[c->pf_nic[pf]].addr, old->pf_addr) != 0 || old->vf >= c->numvfs[pf] ||
	    c->taken[pf][old->vf])
		return false;
	/* The second leg of a redundant pair must stay behind another switch. */
	if (other_pf != POLICY_NONE && strcmp(pf_switch(c->p, pf), pf_switch(c->p, other_pf)) == 0)
		return false;
	(void)vm;
	return true;
}

static int free_vf(const struct alloc_ctx *c, size_t pf)
{
	for (unsigned v = 0; v < c->numvfs[pf]; v++)
		if (!c->taken[pf][v])
			return (int)v;
	return -1;
}

/* Best PF for a new allocation: the VM's NUMA node first, then the policy's own placement
 * (which balanced the demand), then the network's PFs in order. */
static size_t pick_pf(const struct alloc_ctx *c, const struct policy_vm *vm,
		      const struct policy_nic *nic, unsigned leg, size_t other_pf)
{
	const struct policy_network *net = &c->p->networks[nic->network.index];
	size_t best = POLICY_NONE;
	int best_score = -1;

	for (size_t i = 0; i < net->n_pfs; i++) {
		size_t pf = net->pfs[i].index;
		int score = 0;

		if (pf == POLICY_NONE || c->pf_nic[pf] == NO_INDEX || free_vf(c, pf) < 0)
			continue;
		if (other_pf != POLICY_NONE &&
		    strcmp(pf_switch(c->p, pf), pf_switch(c->p, other_pf)) == 0)
			continue;
		if (vm->numa_node.set && c->h->nics[c->pf_nic[pf]].numa_node == (int)vm->numa_node.value)
			score += 2;
		if (nic->pf[leg] == pf)
			score += 1;
		if (score > best_score) {
			best = pf;
			best_score = score;
		}
	}
	return best;
}

static int add_alloc(const struct alloc_ctx *c, struct state *next, const struct policy_vm *vm,
		     size_t nic, unsigned leg, size_t pf, unsigned vf, const struct state_alloc *old)
{
	const struct nic *pfn = &c->h->nics[c->pf_nic[pf]];
	struct state_alloc *a = ARRAY_APPEND(next->allocs, next->n, next->cap);

	if (!a)
		return -ENOMEM;
	str_copy(a->vm, sizeof(a->vm), vm->name.value);
	a->nic = (unsigned)nic;
	a->leg = leg;
	str_copy(a->network, sizeof(a->network), vm->nics[nic].network.name);
	str_copy(a->pf, sizeof(a->pf), c->p->pfs[pf].name.value);
	str_copy(a->pf_addr, sizeof(a->pf_addr), pfn->addr);
	a->vf = vf;
	for (size_t i = 0; i < pfn->n_vfs; i++)
		if (pfn->vfs[i].index == vf)
			str_copy(a->vf_addr, sizeof(a->vf_addr), pfn->vfs[i].addr);
	a->vfio = (vm->nics[nic].vf_driver.set ? vm->nics[nic].vf_driver.value
						: c->p->pfs[pf].vf_driver.value) == POLICY_VF_DRIVER_VFIO_PCI;
	a->migratable = vm->nics[nic].migratable.value;
	if (old) {
		a->driver_known = old->driver_known;
		str_copy(a->driver_before, sizeof(a->driver_before), old->driver_before);
	} else if (a->vf_addr[0] && host_find_nic(c->h, a->vf_addr) != NO_INDEX) {
		a->driver_known = true;
		str_copy(a->driver_before, sizeof(a->driver_before),
			 c->h->nics[host_find_nic(c->h, a->vf_addr)].driver);
	}
	if (old) {
		a->saved_known = old->saved_known;
		a->saved = old->saved;
	} else if ((unsigned)pfn->numvfs == c->numvfs[pf] && pfn->vf_settings_err == 0 &&
		   vf < pfn->vf_settings.num_vf && pfn->vf_settings.readable[vf]) {
		/* What the VF looked like before vfmgr took it: release puts it back. */
		a->saved_known = true;
		a->saved = pfn->vf_settings.vfs[vf];
	}
	c->taken[pf][vf] = true;
	return 0;
}

struct pending {
	size_t vm, nic;
	unsigned leg;
};

static int place_pending(const struct alloc_ctx *c, struct state *next, const struct pending *pd,
			 size_t n, struct policy_diags *diags)
{
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		const struct policy_vm *vm = &c->p->vms[pd[i].vm];
		const struct policy_nic *nic = &vm->nics[pd[i].nic];
		size_t other = POLICY_NONE;

		if (pd[i].leg == 1) {
			const struct state_alloc *l0 = state_find(next, vm->name.value, (unsigned)pd[i].nic, 0);
			other = l0 ? pf_by_name(c->p, l0->pf) : POLICY_NONE;
		}
		size_t pf = pick_pf(c, vm, nic, pd[i].leg, other);
		if (pf == POLICY_NONE) {
			policy_diag_add(diags, POLICY_ERROR, nic->mark,
					"vm %s nic %zu%s: no free VF on any PF of network %s", vm->name.value,
					pd[i].nic, pd[i].leg ? " (second leg)" : "", nic->network.name);
			r = -EINVAL;
			continue;
		}
		int k = add_alloc(c, next, vm, pd[i].nic, pd[i].leg, pf, (unsigned)free_vf(c, pf), NULL);
		if (k < 0)
			return k;
	}
	return r;
}

static int cmp_alloc(const void *a, const void *b)
{
	const struct state_alloc *x = a, *y = b;
	int c = strcmp(x->vm, y->vm);

	if (c)
		return c;
	if (x->nic != y->nic)
		return x->nic < y->nic ? -1 : 1;
	return (int)x->leg - (int)y->leg;
}

int alloc_assign(const struct policy *p, const struct host *h, const size_t *pf_nic,
		 const unsigned *numvfs, const struct state *old, struct state *next,
		 struct policy_diags *diags)
{
	struct alloc_ctx c = {.p = p, .h = h, .pf_nic = pf_nic, .numvfs = numvfs};
	struct pending *pd = NULL;
	size_t npd = 0, cappd = 0;
	int r = 0;

	memset(next, 0, sizeof(*next));
	c.taken = calloc(p->n_pfs ? p->n_pfs : 1, sizeof(*c.taken));
	if (!c.taken)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_pfs; i++) {
		c.taken[i] = calloc(numvfs[i] ? numvfs[i] : 1, sizeof(bool));
		if (!c.taken[i]) {
			r = -ENOMEM;
			goto out;
		}
	}
	/* Pass 1 keeps what still fits, so new VMs cannot push existing ones off their VFs. */
	for (size_t v = 0; v < p->n_vms; v++) {
		const struct policy_vm *vm = &p->vms[v];
		for (size_t n = 0; n < vm->n_nics; n++) {
			const struct policy_nic *nic = &vm->nics[n];
			unsigned legs = nic->redundant.value ? 2 : 1;
			for (unsigned leg = 0; leg < legs; leg++) {
				const struct state_alloc *o = state_find(old, vm->name.value, (unsigned)n, leg);
				const struct state_alloc *l0 =
					leg ? state_find(next, vm->name.value, (unsigned)n, 0) : NULL;
				size_t other = l0 ? pf_by_name(p, l0->pf) : POLICY_NONE;
				if (o && nic->network.index != POLICY_NONE && keep_old(&c, vm, nic, o, other)) {
					r = add_alloc(&c, next, vm, n, leg, pf_by_name(p, o->pf), o->vf, o);
				} else {
					struct pending *x = ARRAY_APPEND(pd, npd, cappd);
					if (!x)
						r = -ENOMEM;
					else
						*x = (struct pending){v, n, leg};
				}
				if (r < 0)
					goto out;
			}
		}
	}
	r = place_pending(&c, next, pd, npd, diags);
	if (next->n > 1)
		qsort(next->allocs, next->n, sizeof(*next->allocs), cmp_alloc);
	for (size_t i = 0; i < next->n; i++)
		alloc_want(p, h, pf_nic, &next->allocs[i], &next->allocs[i].want);
out:
	for (size_t i = 0; i < p->n_pfs; i++)
		free(c.taken[i]);
	free(c.taken);
	free(pd);
	if (r < 0)
		state_free(next);
	return r;
}

static const struct policy_vm *find_vm(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_vms; i++)
		if (strcmp(p->vms[i].name.value, name) == 0)
			return &p->vms[i];
	return NULL;
}

static const uint8_t link_states[] = {
	[POLICY_LINK_AUTO] = IFLA_VF_LINK_STATE_AUTO,
	[POLICY_LINK_ENABLE] = IFLA_VF_LINK_STATE_ENABLE,
	[POLICY_LINK_DISABLE] = IFLA_VF_LINK_STATE_DISABLE,
};

/* shares: a guaranteed (min) rate in proportion to the shares of all NICs on the same PF,
 * out of the PF's link speed. 0 when the speed is unknown (plan_build reports that). */
static uint32_t shares_rate(const struct policy *p, const struct host *h, const size_t *pf_nic,
			    const struct state_alloc *a, const struct policy_nic *nic)
{
	size_t pf = pf_by_name(p, a->pf);
	const struct netdev *nd = pf != POLICY_NONE && pf_nic[pf] != NO_INDEX
					  ? nic_pf_netdev(&h->nics[pf_nic[pf]])
					  : NULL;
	uint64_t total = 0;

	if (!nd || nd->speed <= 0)
		return 0;
	for (size_t v = 0; v < p->n_vms; v++)
		for (size_t n = 0; n < p->vms[v].n_nics; n++) {
			const struct policy_nic *o = &p->vms[v].nics[n];
			if (!o->shares.set)
				continue;
			for (unsigned leg = 0; leg < 2; leg++)
				if (o->pf[leg] != POLICY_NONE && o->pf[leg] == pf)
					total += o->shares.value;
		}
	if (total == 0)
		return 0;
	return (uint32_t)((uint64_t)nd->speed * nic->shares.value / total);
}

void alloc_want(const struct policy *p, const struct host *h, const size_t *pf_nic,
		const struct state_alloc *a, struct vf_config *w)
{
	const struct policy_vm *vm = find_vm(p, a->vm);
	const struct policy_nic *nic = &vm->nics[a->nic];
	const struct policy_network *net = &p->networks[nic->network.index];

	memset(w, 0, sizeof(*w));
	w->index = a->vf;
	if (nic->mac.set)
		memcpy(w->mac, nic->mac.addr, MAC_LEN);
	else
		macgen_for_nic(a->vm, a->nic, w->mac);
	w->vlan = (uint16_t)net->vlan.value;
	w->qos = net->qos.set ? (uint8_t)net->qos.value : 0;
	w->proto = net->proto.set && net->proto.value == POLICY_PROTO_8021AD ? VF_PROTO_8021AD
									     : VF_PROTO_8021Q;
	w->min_rate = nic->rate.min.set ? nic->rate.min.value : 0;
	if (!nic->rate.min.set && nic->shares.set)
		w->min_rate = shares_rate(p, h, pf_nic, a, nic);
	w->max_rate = nic->rate.max.set ? nic->rate.max.value : 0;
	w->spoofchk = nic->spoofchk.value ? 1 : 0;
	w->trust = nic->trust.value ? 1 : 0;
	w->link_state = link_states[nic->link_state.value];
}
