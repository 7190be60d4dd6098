/* VF allocation: which VF each VM NIC gets. Stable: an allocation in the state file is kept
 * while it still fits the policy, so a VM finds the same VF after every run and reboot.
 * Linear in the number of NICs: lookups go through sorted indexes, never a scan per NIC. */
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
	unsigned *next_free;    /* per policy PF: no free VF below this one */
	size_t *pf_by_name;     /* policy PF indices sorted by name */
	uint64_t *shares;       /* per policy PF: the sum of the shares of its NICs */
	size_t *leg0_pf;        /* per VM NIC (numbered across VMs): the PF of its first leg */
	size_t *nic_base;       /* per VM: the number of its first NIC in leg0_pf */
	bool allow_absent;      /* keep allocations on PFs that are not there (PLAN_ALLOW_ABSENT) */
};

static const struct policy *sort_policy;

static int cmp_pf_name(const void *a, const void *b)
{
	return strcmp(sort_policy->pfs[*(const size_t *)a].name.value,
	              sort_policy->pfs[*(const size_t *)b].name.value);
}

static size_t pf_lookup(const struct alloc_ctx *c, const char *name)
{
	size_t lo = 0, hi = c->p->n_pfs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int k = strcmp(c->p->pfs[c->pf_by_name[mid]].name.value, name);
		if (k == 0)
			return c->pf_by_name[mid];
		if (k < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return POLICY_NONE;
}

static bool pf_has_network(const struct policy_network *net, size_t pf)
{
	for (size_t i = 0; i < net->n_pfs; i++)
		if (net->pfs[i].index == pf)
			return true;
	return false;
}

static const char *pf_switch(const struct policy *p, size_t pf)
{
	return p->pfs[pf].switch_name.value ? p->pfs[pf].switch_name.value : "";
}

static bool same_switch(const struct policy *p, size_t a, size_t b)
{
	return b != POLICY_NONE && strcmp(pf_switch(p, a), pf_switch(p, b)) == 0;
}

static int free_vf(const struct alloc_ctx *c, size_t pf)
{
	/* VFs are only ever taken while allocating, so the first free one only moves up. */
	while (c->next_free[pf] < c->numvfs[pf] && c->taken[pf][c->next_free[pf]])
		c->next_free[pf]++;
	return c->next_free[pf] < c->numvfs[pf] ? (int)c->next_free[pf] : -1;
}

static bool keep_old(const struct alloc_ctx *c, const struct policy_nic *nic,
                     const struct state_alloc *old, size_t pf, size_t other_pf)
{
	if (pf == POLICY_NONE || c->pf_nic[pf] == NO_INDEX ||
	    strcmp(old->network, nic->network.name) != 0 ||
	    !pf_has_network(&c->p->networks[nic->network.index], pf) ||
	    strcmp(c->h->nics[c->pf_nic[pf]].addr, old->pf_addr) != 0 || old->vf >= c->numvfs[pf] ||
	    c->taken[pf][old->vf])
		return false;
	/* The second leg of a redundant pair must stay behind another switch. */
	return !same_switch(c->p, pf, other_pf);
}

static bool usable(const struct alloc_ctx *c, size_t pf, size_t other_pf)
{
	return pf != POLICY_NONE && c->pf_nic[pf] != NO_INDEX && free_vf(c, pf) >= 0 &&
	       !same_switch(c->p, pf, other_pf);
}

static bool numa_ok(const struct alloc_ctx *c, const struct policy_vm *vm, size_t pf)
{
	return !vm->numa_node.set ||
	       c->h->nics[c->pf_nic[pf]].numa_node == (int)vm->numa_node.value;
}

/* Best PF for a new allocation: the VM's NUMA node first, then the policy's own placement
 * (which balanced the demand), then the network's PFs in order. The policy's placement is
 * taken at once when it suits, so only VMs it does not suit pay for a scan. */
static size_t numa_first_pf(const struct alloc_ctx *c, const struct policy_vm *vm,
                            const struct policy_nic *nic, unsigned leg, size_t other_pf)
{
	const struct policy_network *net = &c->p->networks[nic->network.index];
	size_t best = POLICY_NONE;
	int best_score = -1;

	if (usable(c, nic->pf[leg], other_pf) && numa_ok(c, vm, nic->pf[leg]))
		return nic->pf[leg];
	for (size_t i = 0; i < net->n_pfs; i++) {
		size_t pf = net->pfs[i].index;
		int score;

		if (!usable(c, pf, other_pf))
			continue;
		score = (vm->numa_node.set && numa_ok(c, vm, pf) ? 2 : 0) + (nic->pf[leg] == pf);
		if (score > best_score) {
			best = pf;
			best_score = score;
		}
	}
	return best;
}

static int add_alloc(const struct alloc_ctx *c, struct state *next, size_t vmi, size_t nic,
                     unsigned leg, size_t pf, unsigned vf, const struct state_alloc *old)
{
	const struct policy_vm *vm = &c->p->vms[vmi];
	const struct nic *pfn = &c->h->nics[c->pf_nic[pf]];
	struct state_alloc *a = ARRAY_APPEND(next->allocs, next->n, next->cap);

	if (!a)
		return -ENOMEM;
	str_copy(a->vm, sizeof(a->vm), vm->name.value);
	a->vm_index = vmi;
	a->pf_index = pf;
	a->nic = (unsigned)nic;
	a->leg = leg;
	str_copy(a->network, sizeof(a->network), vm->nics[nic].network.name);
	str_copy(a->pf, sizeof(a->pf), c->p->pfs[pf].name.value);
	str_copy(a->pf_addr, sizeof(a->pf_addr), pfn->addr);
	a->vf = vf;
	for (size_t i = 0; i < pfn->n_vfs; i++)
		if (pfn->vfs[i].index == vf)
			str_copy(a->vf_addr, sizeof(a->vf_addr), pfn->vfs[i].addr);
	a->vfio = (vm->nics[nic].vf_driver.set
	               ? vm->nics[nic].vf_driver.value
	               : c->p->pfs[pf].vf_driver.value) == POLICY_VF_DRIVER_VFIO_PCI;
	a->migratable = vm->nics[nic].migratable.value;
	size_t vfn = a->vf_addr[0] ? host_find_nic(c->h, a->vf_addr) : NO_INDEX;
	if (old) {
		a->driver_known = old->driver_known;
		str_copy(a->driver_before, sizeof(a->driver_before), old->driver_before);
		a->saved_known = old->saved_known;
		a->saved = old->saved;
	} else {
		if (vfn != NO_INDEX) {
			a->driver_known = true;
			str_copy(a->driver_before, sizeof(a->driver_before),
			         c->h->nics[vfn].driver);
		}
		if ((unsigned)pfn->numvfs == c->numvfs[pf] && pfn->vf_settings_err == 0 &&
		    vf < pfn->vf_settings.num_vf && pfn->vf_settings.readable[vf]) {
			/* What the VF looked like before vfmgr took it: release puts it back. */
			a->saved_known = true;
			a->saved = pfn->vf_settings.vfs[vf];
		}
	}
	c->taken[pf][vf] = true;
	if (leg == 0)
		c->leg0_pf[c->nic_base[vmi] + nic] = pf;
	return 0;
}

/* An allocation on a PF that is not there now stays on record as it was. */
static int keep_absent(const struct alloc_ctx *c, struct state *next, size_t vmi, size_t pf,
                       const struct state_alloc *old)
{
	struct state_alloc *a = ARRAY_APPEND(next->allocs, next->n, next->cap);

	if (!a)
		return -ENOMEM;
	*a = *old;
	a->releasing = false;
	a->vm_index = vmi;
	a->pf_index = pf;
	if (a->leg == 0)
		c->leg0_pf[c->nic_base[vmi] + a->nic] = pf;
	return 0;
}

static bool network_has_absent_pf(const struct alloc_ctx *c, const struct policy_nic *nic)
{
	const struct policy_network *net = &c->p->networks[nic->network.index];

	for (size_t i = 0; i < net->n_pfs; i++)
		if (net->pfs[i].index != POLICY_NONE && c->pf_nic[net->pfs[i].index] == NO_INDEX)
			return true;
	return false;
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
		size_t other =
		    pd[i].leg ? c->leg0_pf[c->nic_base[pd[i].vm] + pd[i].nic] : POLICY_NONE;
		size_t pf = numa_first_pf(c, vm, nic, pd[i].leg, other);

		if (pf == POLICY_NONE && c->allow_absent && network_has_absent_pf(c, nic)) {
			policy_diag_add(diags, POLICY_WARNING, nic->mark,
			                "vm %s nic %zu%s: waits for a PF of network %s to appear",
			                vm->name.value, pd[i].nic, pd[i].leg ? " (second leg)" : "",
			                nic->network.name);
			continue;
		}
		if (pf == POLICY_NONE) {
			policy_diag_add(diags, POLICY_ERROR, nic->mark,
			                "vm %s nic %zu%s: no free VF on any PF of network %s",
			                vm->name.value, pd[i].nic, pd[i].leg ? " (second leg)" : "",
			                nic->network.name);
			r = -EINVAL;
			continue;
		}
		int k = add_alloc(c, next, pd[i].vm, pd[i].nic, pd[i].leg, pf,
		                  (unsigned)free_vf(c, pf), NULL);
		if (k < 0)
			return k;
	}
	return r;
}

/* shares become guaranteed (min) rates in proportion to all shares on the same PF. */
static void sum_shares(const struct alloc_ctx *c)
{
	for (size_t v = 0; v < c->p->n_vms; v++)
		for (size_t n = 0; n < c->p->vms[v].n_nics; n++) {
			const struct policy_nic *o = &c->p->vms[v].nics[n];
			for (unsigned leg = 0; o->shares.set && leg < 2; leg++)
				if (o->pf[leg] != POLICY_NONE)
					c->shares[o->pf[leg]] += o->shares.value;
		}
}

static const uint8_t link_states[] = {
    [POLICY_LINK_AUTO] = IFLA_VF_LINK_STATE_AUTO,
    [POLICY_LINK_ENABLE] = IFLA_VF_LINK_STATE_ENABLE,
    [POLICY_LINK_DISABLE] = IFLA_VF_LINK_STATE_DISABLE,
};

/* The settings the policy asks for on one VM NIC's VF. */
static void want_of(const struct alloc_ctx *c, const struct state_alloc *a, struct vf_config *w)
{
	const struct policy_nic *nic = &c->p->vms[a->vm_index].nics[a->nic];
	const struct policy_network *net = &c->p->networks[nic->network.index];

	memset(w, 0, sizeof(*w));
	w->index = a->vf;
	policy_nic_mac(&c->p->vms[a->vm_index], a->nic, a->leg, w->mac);
	w->vlan = (uint16_t)net->vlan.value;
	w->qos = net->qos.set ? (uint8_t)net->qos.value : 0;
	w->proto = net->proto.set && net->proto.value == POLICY_PROTO_8021AD ? VF_PROTO_8021AD
	                                                                     : VF_PROTO_8021Q;
	w->min_rate = nic->rate.min.set ? nic->rate.min.value : 0;
	if (!nic->rate.min.set && nic->shares.set) {
		/* 0 when the link speed is unknown; plan_build reports that. */
		const struct netdev *nd = nic_pf_netdev(&c->h->nics[c->pf_nic[a->pf_index]]);
		if (nd && nd->speed > 0 && c->shares[a->pf_index])
			w->min_rate = (uint32_t)((uint64_t)nd->speed * nic->shares.value /
			                         c->shares[a->pf_index]);
	}
	w->max_rate = nic->rate.max.set ? nic->rate.max.value : 0;
	w->spoofchk = nic->spoofchk.value ? 1 : 0;
	w->trust = nic->trust.value ? 1 : 0;
	w->link_state = link_states[nic->link_state.value];
}

static int ctx_init(struct alloc_ctx *c)
{
	const struct policy *p = c->p;
	size_t nics = 0;

	c->taken = calloc(p->n_pfs + 1, sizeof(*c->taken));
	c->next_free = calloc(p->n_pfs + 1, sizeof(*c->next_free));
	c->pf_by_name = calloc(p->n_pfs + 1, sizeof(*c->pf_by_name));
	c->shares = calloc(p->n_pfs + 1, sizeof(*c->shares));
	c->nic_base = calloc(p->n_vms + 1, sizeof(*c->nic_base));
	if (!c->taken || !c->next_free || !c->pf_by_name || !c->shares || !c->nic_base)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_pfs; i++) {
		c->taken[i] = calloc(c->numvfs[i] + 1, sizeof(bool));
		if (!c->taken[i])
			return -ENOMEM;
		c->pf_by_name[i] = i;
	}
	sort_policy = p;
	if (p->n_pfs > 1)
		qsort(c->pf_by_name, p->n_pfs, sizeof(*c->pf_by_name), cmp_pf_name);
	for (size_t v = 0; v < p->n_vms; v++) {
		c->nic_base[v] = nics;
		nics += p->vms[v].n_nics;
	}
	c->leg0_pf = calloc(nics + 1, sizeof(*c->leg0_pf));
	if (!c->leg0_pf)
		return -ENOMEM;
	for (size_t i = 0; i < nics; i++)
		c->leg0_pf[i] = POLICY_NONE;
	sum_shares(c);
	return 0;
}

static void ctx_free(struct alloc_ctx *c)
{
	for (size_t i = 0; c->taken && i < c->p->n_pfs; i++)
		free(c->taken[i]);
	free(c->taken);
	free(c->next_free);
	free(c->pf_by_name);
	free(c->shares);
	free(c->leg0_pf);
	free(c->nic_base);
}

int alloc_assign(const struct policy *p, const struct host *h, const size_t *pf_nic,
                 const unsigned *numvfs, const struct state *old, struct state *next,
                 struct policy_diags *diags, bool allow_absent)
{
	struct alloc_ctx c = {
	    .p = p, .h = h, .pf_nic = pf_nic, .numvfs = numvfs, .allow_absent = allow_absent};
	struct pending *pd = NULL;
	size_t npd = 0, cappd = 0;
	int r;

	memset(next, 0, sizeof(*next));
	r = ctx_init(&c);
	/* Pass 1 keeps what still fits, so new VMs cannot push existing ones off their VFs. */
	for (size_t v = 0; r == 0 && v < p->n_vms; v++) {
		const struct policy_vm *vm = &p->vms[v];
		for (size_t n = 0; r == 0 && n < vm->n_nics; n++) {
			const struct policy_nic *nic = &vm->nics[n];
			unsigned legs = nic->redundant.value ? 2 : 1;
			for (unsigned leg = 0; r == 0 && leg < legs; leg++) {
				const struct state_alloc *o =
				    state_find(old, vm->name.value, (unsigned)n, leg);
				/* A release that was cut short and the VM is wanted again: it
				 * keeps that VF, and the settings saved when it was first taken. */
				if (!o)
					o = state_find_releasing(old, vm->name.value, (unsigned)n,
					                         leg);
				size_t other = leg ? c.leg0_pf[c.nic_base[v] + n] : POLICY_NONE;
				size_t opf = o ? pf_lookup(&c, o->pf) : POLICY_NONE;
				if (o && allow_absent && opf != POLICY_NONE &&
				    pf_nic[opf] == NO_INDEX) {
					r = keep_absent(&c, next, v, opf, o);
				} else if (o && nic->network.index != POLICY_NONE &&
				           keep_old(&c, nic, o, opf, other)) {
					r = add_alloc(&c, next, v, n, leg, opf, o->vf, o);
				} else {
					struct pending *x = ARRAY_APPEND(pd, npd, cappd);
					if (!x)
						r = -ENOMEM;
					else
						*x = (struct pending){v, n, leg};
				}
			}
		}
	}
	if (r == 0)
		r = place_pending(&c, next, pd, npd, diags);
	state_sort(next);
	for (size_t i = 0; r != -ENOMEM && i < next->n; i++)
		if (pf_nic[next->allocs[i].pf_index] != NO_INDEX)
			want_of(&c, &next->allocs[i], &next->allocs[i].want);
	ctx_free(&c);
	free(pd);
	if (r == -ENOMEM)
		state_free(next);
	return r;
}
