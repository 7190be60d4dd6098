/* Rules that span more than one mapping: names and references, isolation, redundancy, VF
 * demand, and claims on MACs and devices. Lookups and duplicate checks sort once
 * (O(n log n)) so a policy of 100k VMs validates in about the time it takes to parse. */
#include "policy/policy-internal.h"
#include "util/array.h"
#include "util/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct vctx {
	struct policy *p;
	struct policy_diags *d;
	size_t *pf_first_net; /* first network that lists each pf, or POLICY_NONE */
	int8_t *net_switches; /* per network: two pfs on different switches? -1 unknown */
};

#define verr(c, m, ...) policy_diag_add((c)->d, POLICY_ERROR, (m), __VA_ARGS__)

/* ---- names ---- */

struct name_entry {
	const char *name;
	size_t index;
	struct policy_mark mark;
};

static int name_cmp(const void *a, const void *b)
{
	const struct name_entry *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	return x->index < y->index ? -1 : x->index > y->index;
}

struct name_index {
	struct name_entry *v;
	size_t n;
};

/* Sorts the names of one section and reports duplicates; the first definition wins. */
static int name_index_build(struct vctx *c, struct name_index *idx, const char *what,
                            const struct policy_str *(*name_of)(const struct policy *p, size_t i),
                            size_t n)
{
	int r;

	idx->v = calloc(n ? n : 1, sizeof(*idx->v));
	if (!idx->v)
		return -ENOMEM;
	idx->n = 0;
	for (size_t i = 0; i < n; i++) {
		const struct policy_str *s = name_of(c->p, i);
		if (s->value)
			idx->v[idx->n++] = (struct name_entry){s->value, i, s->mark};
	}
	qsort(idx->v, idx->n, sizeof(*idx->v), name_cmp);
	for (size_t i = 1, first = 0; i < idx->n; i++) {
		if (strcmp(idx->v[i].name, idx->v[first].name) != 0) {
			first = i;
			continue;
		}
		r = verr(c, idx->v[i].mark, "duplicate %s name '%s' (first at %u:%u)", what,
		         idx->v[i].name, idx->v[first].mark.line, idx->v[first].mark.col);
		if (r < 0)
			return r;
	}
	return 0;
}

static size_t name_index_find(const struct name_index *idx, const char *name)
{
	size_t lo = 0, hi = idx->n;

	/* Lower bound, so a duplicated name resolves to its first definition. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(idx->v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < idx->n && strcmp(idx->v[lo].name, name) == 0)
		return idx->v[lo].index;
	return POLICY_NONE;
}

static const struct policy_str *pf_name(const struct policy *p, size_t i)
{
	return &p->pfs[i].name;
}

static const struct policy_str *network_name(const struct policy *p, size_t i)
{
	return &p->networks[i].name;
}

static const struct policy_str *vm_name(const struct policy *p, size_t i)
{
	return &p->vms[i].name;
}

/* ---- keyed claims (MACs, PCI addresses): sort, then neighbours collide ---- */

struct claim {
	uint64_t key;
	size_t owner; /* vm or pf index */
	size_t seq;   /* order of appearance, so the first claim wins */
	struct policy_mark mark;
};

static int claim_cmp(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static uint64_t pci_key(const struct pci_addr *a)
{
	return (uint64_t)a->domain << 16 | (uint64_t)a->bus << 8 |
	       (uint64_t)(a->dev << 3 | a->func);
}

/* A growing list of claims; seq is the order of appearance. */
struct claims {
	struct claim *v;
	size_t n, cap;
};

static int claim_add(struct claims *l, uint64_t key, size_t owner, struct policy_mark mark)
{
	struct claim *x = ARRAY_APPEND(l->v, l->n, l->cap);

	if (!x)
		return -ENOMEM;
	*x = (struct claim){key, owner, l->n - 1, mark};
	return 0;
}

static void claims_free(struct claims *l)
{
	free(l->v);
}

typedef int claim_collide_fn(struct vctx *c, const struct claim *dup, const struct claim *first);

/* Sorts the claims and calls collide for each one whose key an earlier claim has (first: the
 * earliest of those); stops at an error. */
static void claims_sort(struct claims *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), claim_cmp);
}

static int claims_check(struct vctx *c, struct claims *l, claim_collide_fn *collide)
{
	const struct claim *v = l->v;

	claims_sort(l);
	for (size_t i = 1, first = 0; i < l->n; i++) {
		int r;

		if (v[i].key != v[first].key) {
			first = i;
			continue;
		}
		r = collide(c, &v[i], &v[first]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int pf_pci_collide(struct vctx *c, const struct claim *dup, const struct claim *first)
{
	const struct policy *p = c->p;
	char buf[PCI_ADDR_STR_LEN];

	format_pci_addr(&p->pfs[dup->owner].match.pci.addr, buf);
	return verr(c, dup->mark, "pf '%s' matches pci %s like pf '%s' (at %u:%u)",
	            p->pfs[dup->owner].name.value, buf, p->pfs[first->owner].name.value,
	            first->mark.line, first->mark.col);
}

/* The pfs that select a PCI device, keyed on its address. */
static int pf_pci_claims(const struct policy *p, struct claims *l)
{
	for (size_t i = 0; i < p->n_pfs; i++) {
		const struct policy_pci *pci = &p->pfs[i].match.pci;
		if (pci->set && claim_add(l, pci_key(&pci->addr), i, pci->mark) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Two pfs must not select the same PCI device. */
static int check_pf_pci(struct vctx *c)
{
	_cleanup_(claims_free) struct claims l = {0};
	int r = pf_pci_claims(c->p, &l);

	return r < 0 ? r : claims_check(c, &l, pf_pci_collide);
}

/* ---- references ---- */

static int resolve_network_pfs(struct vctx *c, const struct name_index *pfs)
{
	struct policy *p = c->p;
	_cleanup_free_ size_t *stamp = calloc(p->n_pfs + 1, sizeof(*stamp));
	int r;

	if (!stamp)
		return -ENOMEM;
	for (size_t ni = 0; ni < p->n_networks; ni++) {
		struct policy_network *net = &p->networks[ni];

		for (size_t j = 0; j < net->n_pfs; j++) {
			struct policy_ref *ref = &net->pfs[j];
			size_t pf = name_index_find(pfs, ref->name);

			ref->index = pf;
			if (pf == POLICY_NONE) {
				r = verr(c, ref->mark, "network '%s' refers to unknown pf '%s'",
				         net->name.value, ref->name);
			} else if (stamp[pf] == ni + 1) {
				ref->index = POLICY_NONE;
				r = verr(c, ref->mark, "pf '%s' is listed twice in network '%s'",
				         ref->name, net->name.value);
			} else {
				stamp[pf] = ni + 1;
				if (c->pf_first_net[pf] == POLICY_NONE)
					c->pf_first_net[pf] = ni;
				r = 0;
			}
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int resolve_vm_refs(struct vctx *c, const struct name_index *pfs,
                           const struct name_index *nets)
{
	struct policy *p = c->p;
	int r = 0;

	for (size_t v = 0; v < p->n_vms; v++) {
		struct policy_vm *vm = &p->vms[v];

		for (size_t i = 0; i < vm->n_nics; i++) {
			struct policy_ref *ref = &vm->nics[i].network;

			ref->index = name_index_find(nets, ref->name);
			if (ref->index == POLICY_NONE)
				r = verr(c, ref->mark,
				         "vm '%s' nic %zu refers to unknown network '%s'",
				         vm->name.value, i + 1, ref->name);
			if (r < 0)
				return r;
		}
		for (size_t i = 0; i < vm->n_passthrough; i++) {
			struct policy_ref *ref = &vm->passthrough[i].pf;

			if (vm->passthrough[i].kind != POLICY_PASSTHROUGH_PF)
				continue;
			ref->index = name_index_find(pfs, ref->name);
			if (ref->index == POLICY_NONE)
				r = verr(c, ref->mark, "vm '%s' passes through unknown pf '%s'",
				         vm->name.value, ref->name);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- pfs ---- */

/* management: true means vfmgr never touches the PF, so nothing may ask it to. */
static int check_management_pfs(struct vctx *c)
{
	const struct policy *p = c->p;
	int r = 0;

	for (size_t i = 0; i < p->n_pfs; i++) {
		const struct policy_pf *pf = &p->pfs[i];

		if (!pf->management.value)
			continue;
		if (pf->numvfs.value > 0)
			r = verr(c, pf->numvfs.mark,
			         "pf '%s' is a management pf, which vfmgr never touches; it cannot "
			         "have numvfs",
			         pf->name.value);
		if (r == 0 && pf->rss.set)
			r = verr(c, pf->rss.mark,
			         "pf '%s' is a management pf, which vfmgr never touches; it cannot "
			         "have rss",
			         pf->name.value);
		if (r == 0 && pf->host_traffic.set && !pf->host_traffic.value)
			r = verr(c, pf->host_traffic.mark,
			         "pf '%s' is a management pf; it cannot also say host-traffic: "
			         "false",
			         pf->name.value);
		if (r < 0)
			return r;
	}
	for (size_t ni = 0; ni < p->n_networks; ni++) {
		const struct policy_network *net = &p->networks[ni];

		if (net->class.value != POLICY_CLASS_VM)
			continue;
		for (size_t j = 0; j < net->n_pfs; j++) {
			size_t pf = net->pfs[j].index;
			if (pf == POLICY_NONE || !p->pfs[pf].management.value)
				continue;
			r = verr(c, net->pfs[j].mark,
			         "network '%s' of class vm cannot use management pf '%s': it would "
			         "carry VFs for VMs",
			         net->name.value, p->pfs[pf].name.value);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- isolation: one VLAN on one PF carries one traffic class ---- */

/* Claims key on (pf, vlan), owned by the network: networks of different classes collide. */
static int vlan_collide(struct vctx *c, const struct claim *dup, const struct claim *first)
{
	const struct policy *p = c->p;
	const struct policy_network *a = &p->networks[first->owner], *b = &p->networks[dup->owner];

	if (a->class.value == b->class.value)
		return 0;
	return verr(c, dup->mark,
	            "network '%s' (class %s) shares vlan %u with network '%s' (class %s) on "
	            "pf '%s'; different traffic classes need different VLANs",
	            b->name.value, policy_class_name(b->class.value),
	            (unsigned)(dup->key & 0xffffffff), a->name.value,
	            policy_class_name(a->class.value), p->pfs[dup->key >> 32].name.value);
}

static int check_vlan_isolation(struct vctx *c)
{
	const struct policy *p = c->p;
	_cleanup_(claims_free) struct claims l = {0};

	for (size_t ni = 0; ni < p->n_networks; ni++) {
		const struct policy_network *net = &p->networks[ni];
		for (size_t j = 0; j < net->n_pfs; j++) {
			const struct policy_ref *pf = &net->pfs[j];
			if (pf->index != POLICY_NONE &&
			    claim_add(&l, (uint64_t)pf->index << 32 | net->vlan.value, ni,
			              pf->mark) < 0)
				return -ENOMEM;
		}
	}
	return claims_check(c, &l, vlan_collide);
}

/* ---- passthrough ---- */

/* A passthrough by pci of a device some pf selects is a passthrough of that pf. */
static size_t pf_by_pci(const struct claim *pfs, size_t n, uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pfs[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && pfs[lo].key == key ? pfs[lo].owner : POLICY_NONE;
}

static int check_passthrough_pf(struct vctx *c, size_t vmi, const struct policy_passthrough *pt,
                                size_t pfi)
{
	struct policy *p = c->p;
	struct policy_pf *pf = &p->pfs[pfi];
	const char *vm = p->vms[vmi].name.value;

	if (pf->management.value)
		return verr(c, pt->mark, "vm '%s' cannot take management pf '%s'", vm,
		            pf->name.value);
	if (pf->numvfs.value > 0)
		return verr(c, pt->mark, "vm '%s' takes pf '%s' whole, but the pf has numvfs %u",
		            vm, pf->name.value, pf->numvfs.value);
	if (pf->rss.set)
		return verr(c, pt->mark, "vm '%s' takes pf '%s' whole, but the pf has rss", vm,
		            pf->name.value);
	if (c->pf_first_net[pfi] != POLICY_NONE)
		return verr(c, pt->mark, "vm '%s' takes pf '%s' whole, but network '%s' uses it",
		            vm, pf->name.value, p->networks[c->pf_first_net[pfi]].name.value);
	if (pf->passthrough_vm == POLICY_NONE)
		pf->passthrough_vm = vmi;
	return 0;
}

/* Claims key on the PCI address; a pf without a pci selector gets a key of its own above the
 * 32-bit address space. */
static int collect_passthrough(struct vctx *c, const struct claims *pf_pci, struct claims *l)
{
	struct policy *p = c->p;
	int r;

	for (size_t vmi = 0; vmi < p->n_vms; vmi++) {
		const struct policy_vm *vm = &p->vms[vmi];

		for (size_t i = 0; i < vm->n_passthrough; i++) {
			const struct policy_passthrough *pt = &vm->passthrough[i];
			size_t pfi = pt->pf.index;
			uint64_t key;

			if (pt->kind == POLICY_PASSTHROUGH_PCI) {
				key = pci_key(&pt->pci.addr);
				pfi = pf_by_pci(pf_pci->v, pf_pci->n, key);
			} else if (pfi == POLICY_NONE) {
				continue;
			} else if (p->pfs[pfi].match.pci.set) {
				key = pci_key(&p->pfs[pfi].match.pci.addr);
			} else {
				key = (1ull << 32) + pfi;
			}
			if (pfi != POLICY_NONE) {
				r = check_passthrough_pf(c, vmi, pt, pfi);
				if (r < 0)
					return r;
			}
			if (claim_add(l, key, vmi, pt->mark) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static int passthrough_collide(struct vctx *c, const struct claim *dup, const struct claim *first)
{
	const struct policy *p = c->p;

	return verr(c, dup->mark, "vm '%s' claims a device that vm '%s' already takes (at %u:%u)",
	            p->vms[dup->owner].name.value, p->vms[first->owner].name.value,
	            first->mark.line, first->mark.col);
}

static int check_passthrough(struct vctx *c)
{
	_cleanup_(claims_free) struct claims pf_pci = {0}, l = {0};
	int r = pf_pci_claims(c->p, &pf_pci);

	if (r < 0)
		return r;
	claims_sort(&pf_pci);
	r = collect_passthrough(c, &pf_pci, &l);
	return r < 0 ? r : claims_check(c, &l, passthrough_collide);
}

/* ---- VM NICs: class, redundancy, VF placement ---- */

static bool pf_can_host_vfs(const struct policy *p, size_t pf)
{
	return pf != POLICY_NONE && !p->pfs[pf].management.value &&
	       p->pfs[pf].passthrough_vm == POLICY_NONE;
}

/* Whether the network reaches two different switches through pfs that can host VFs. */
static bool network_has_two_switches(struct vctx *c, size_t ni)
{
	const struct policy *p = c->p;
	const struct policy_network *net = &p->networks[ni];
	const char *first = NULL;

	if (c->net_switches[ni] >= 0)
		return c->net_switches[ni];
	c->net_switches[ni] = 0;
	for (size_t j = 0; j < net->n_pfs; j++) {
		size_t pf = net->pfs[j].index;
		const char *sw;

		if (!pf_can_host_vfs(p, pf) || !(sw = p->pfs[pf].switch_name.value))
			continue;
		if (!first) {
			first = sw;
		} else if (strcmp(first, sw) != 0) {
			c->net_switches[ni] = 1;
			break;
		}
	}
	return c->net_switches[ni];
}

/* The least loaded pf of the network (most VFs left), skipping one switch if asked; the first
 * listed wins ties, so the placement is deterministic. */
static size_t least_loaded_pf(const struct policy *p, const struct policy_network *net,
                              const char *avoid_switch)
{
	size_t best = POLICY_NONE;
	int64_t best_free = 0;

	for (size_t j = 0; j < net->n_pfs; j++) {
		size_t pf = net->pfs[j].index;
		const struct policy_pf *f;
		int64_t free_vfs;

		if (!pf_can_host_vfs(p, pf))
			continue;
		f = &p->pfs[pf];
		if (avoid_switch &&
		    (!f->switch_name.value || strcmp(f->switch_name.value, avoid_switch) == 0))
			continue;
		free_vfs = (int64_t)f->numvfs.value - f->vf_demand;
		if (best == POLICY_NONE || free_vfs > best_free) {
			best = pf;
			best_free = free_vfs;
		}
	}
	return best;
}

static int place_nic(struct vctx *c, const struct policy_vm *vm, size_t i)
{
	struct policy_nic *nic = &vm->nics[i];
	struct policy *p = c->p;
	const struct policy_network *net = &p->networks[nic->network.index];
	bool two = nic->redundant.value && network_has_two_switches(c, nic->network.index);

	nic->pf[0] = least_loaded_pf(p, net, NULL);
	if (nic->pf[0] == POLICY_NONE)
		return verr(c, nic->network.mark,
		            "vm '%s' nic %zu: network '%s' has no pf that can give it a VF",
		            vm->name.value, i + 1, net->name.value);
	/* An on-demand VM holds VFs only where it runs: how many run on one host at once is
	 * known when they start, so prepare, not this count, refuses one that does not fit. */
	if (!vm->on_demand)
		p->pfs[nic->pf[0]].vf_demand++;
	if (nic->redundant.value && !two)
		return verr(c, nic->redundant.mark,
		            "vm '%s' nic %zu is redundant, but network '%s' is not on two pfs with "
		            "different switches",
		            vm->name.value, i + 1, net->name.value);
	if (two) {
		nic->pf[1] = least_loaded_pf(p, net, p->pfs[nic->pf[0]].switch_name.value);
		if (nic->pf[1] != POLICY_NONE && !vm->on_demand)
			p->pfs[nic->pf[1]].vf_demand++;
	}
	/* link-state enable keeps a VF's link up whatever its PF's carrier, so the guest's bond
	 * would keep sending into a dead switch; auto lets the VF's link follow its uplink. */
	if (nic->redundant.value && nic->link_state.value == POLICY_LINK_ENABLE)
		return policy_diag_add(
		    c->d, POLICY_WARNING,
		    nic->link_state.set ? nic->link_state.mark : p->defaults.link_state.mark,
		    "vm '%s' nic %zu is redundant, but link-state enable keeps each leg's link up "
		    "when its uplink dies, so the guest's bond never fails over; use link-state "
		    "auto (the default)",
		    vm->name.value, i + 1);
	return 0;
}

static int place_nics(struct vctx *c)
{
	struct policy *p = c->p;
	int r;

	for (size_t vmi = 0; vmi < p->n_vms; vmi++) {
		const struct policy_vm *vm = &p->vms[vmi];

		for (size_t i = 0; i < vm->n_nics; i++) {
			struct policy_nic *nic = &vm->nics[i];
			const struct policy_network *net;

			if (nic->network.index == POLICY_NONE)
				continue;
			net = &p->networks[nic->network.index];
			if (net->class.value != POLICY_CLASS_VM)
				r = verr(
				    c, nic->network.mark,
				    "vm '%s' nic %zu cannot join network '%s' of class %s; VM NICs "
				    "need class vm",
				    vm->name.value, i + 1, net->name.value,
				    policy_class_name(net->class.value));
			else
				r = place_nic(c, vm, i);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < p->n_pfs; i++) {
		const struct policy_pf *pf = &p->pfs[i];

		if (pf->vf_demand <= pf->numvfs.value)
			continue;
		r = verr(c, pf->numvfs.set ? pf->numvfs.mark : pf->name.mark,
		         "pf '%s' needs %u VFs for VM NICs but numvfs is %u", pf->name.value,
		         pf->vf_demand, pf->numvfs.value);
		if (r < 0)
			return r;
	}
	return 0;
}

int policy_check_and_place(struct policy *p, struct policy_diags *d)
{
	struct name_index pfs = {0}, nets = {0}, vms = {0};
	struct vctx c = {.p = p, .d = d};
	int r;

	c.pf_first_net = malloc((p->n_pfs + 1) * sizeof(*c.pf_first_net));
	c.net_switches = malloc(p->n_networks + 1);
	if (!c.pf_first_net || !c.net_switches) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->n_pfs; i++)
		c.pf_first_net[i] = POLICY_NONE;
	memset(c.net_switches, -1, p->n_networks + 1);

	r = name_index_build(&c, &pfs, "pf", pf_name, p->n_pfs);
	if (r == 0)
		r = name_index_build(&c, &nets, "network", network_name, p->n_networks);
	if (r == 0)
		r = name_index_build(&c, &vms, "vm", vm_name, p->n_vms);
	if (r == 0)
		r = check_pf_pci(&c);
	if (r == 0)
		r = resolve_network_pfs(&c, &pfs);
	if (r == 0)
		r = resolve_vm_refs(&c, &pfs, &nets);
	if (r == 0)
		r = check_management_pfs(&c);
	if (r == 0)
		r = check_vlan_isolation(&c);
	/* Passthrough first: a pf taken whole cannot host VFs in the placement below. */
	if (r == 0)
		r = check_passthrough(&c);
	if (r == 0)
		r = policy_check_macs(p, d);
	if (r == 0)
		r = place_nics(&c);
out:
	free(pfs.v);
	free(nets.v);
	free(vms.v);
	free(c.pf_first_net);
	free(c.net_switches);
	return r;
}
