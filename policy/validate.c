/* Rules that span more than one mapping: names and references, isolation, redundancy, VF
 * demand, and claims on MACs and devices. Lookups and duplicate checks sort once
 * (O(n log n)) so a policy of 100k VMs validates in about the time it takes to parse. */
#include "policy/policy-internal.h"
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

static uint64_t mac_key(const uint8_t mac[MAC_LEN])
{
	uint64_t k = 0;

	for (int i = 0; i < MAC_LEN; i++)
		k = k << 8 | mac[i];
	return k;
}

static void mac_from_key(uint64_t key, char buf[MAC_STR_LEN])
{
	uint8_t mac[MAC_LEN];

	for (int i = MAC_LEN - 1; i >= 0; i--, key >>= 8)
		mac[i] = (uint8_t)key;
	format_mac(mac, buf);
}

/* Two pfs must not select the same PCI device. */
static int check_pf_pci(struct vctx *c)
{
	const struct policy *p = c->p;
	_cleanup_free_ struct claim *v = calloc(p->n_pfs + 1, sizeof(*v));
	size_t n = 0;
	int r;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_pfs; i++) {
		const struct policy_pci *pci = &p->pfs[i].match.pci;
		if (pci->set)
			v[n++] = (struct claim){pci_key(&pci->addr), i, i, pci->mark};
	}
	qsort(v, n, sizeof(*v), claim_cmp);
	for (size_t i = 1; i < n; i++) {
		size_t first = i - 1;
		char buf[PCI_ADDR_STR_LEN];

		if (v[i].key != v[first].key)
			continue;
		while (first > 0 && v[first - 1].key == v[i].key)
			first--;
		format_pci_addr(&p->pfs[v[i].owner].match.pci.addr, buf);
		r = verr(c, v[i].mark, "pf '%s' matches pci %s like pf '%s' (at %u:%u)",
		         p->pfs[v[i].owner].name.value, buf, p->pfs[v[first].owner].name.value,
		         v[first].mark.line, v[first].mark.col);
		if (r < 0)
			return r;
	}
	return 0;
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

struct vlan_use {
	size_t pf, net, ref;
	uint32_t vlan;
};

static int vlan_use_cmp(const void *a, const void *b)
{
	const struct vlan_use *x = a, *y = b;

	if (x->pf != y->pf)
		return x->pf < y->pf ? -1 : 1;
	if (x->vlan != y->vlan)
		return x->vlan < y->vlan ? -1 : 1;
	return x->net < y->net ? -1 : x->net > y->net;
}

static int check_vlan_isolation(struct vctx *c)
{
	const struct policy *p = c->p;
	_cleanup_free_ struct vlan_use *v = NULL;
	size_t n = 0, total = 0;
	int r;

	for (size_t ni = 0; ni < p->n_networks; ni++)
		total += p->networks[ni].n_pfs;
	v = calloc(total + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t ni = 0; ni < p->n_networks; ni++) {
		const struct policy_network *net = &p->networks[ni];
		for (size_t j = 0; j < net->n_pfs; j++)
			if (net->pfs[j].index != POLICY_NONE)
				v[n++] =
				    (struct vlan_use){net->pfs[j].index, ni, j, net->vlan.value};
	}
	qsort(v, n, sizeof(*v), vlan_use_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		const struct policy_network *a, *b;

		if (v[i].pf != v[first].pf || v[i].vlan != v[first].vlan) {
			first = i;
			continue;
		}
		a = &p->networks[v[first].net];
		b = &p->networks[v[i].net];
		if (a->class.value == b->class.value)
			continue;
		r = verr(c, b->pfs[v[i].ref].mark,
		         "network '%s' (class %s) shares vlan %u with network '%s' (class %s) on "
		         "pf '%s'; different traffic classes need different VLANs",
		         b->name.value, policy_class_name(b->class.value), v[i].vlan, a->name.value,
		         policy_class_name(a->class.value), p->pfs[v[i].pf].name.value);
		if (r < 0)
			return r;
	}
	return 0;
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
static int collect_passthrough(struct vctx *c, struct claim *pf_pci, size_t n_pf_pci,
                               struct claim *v, size_t *n)
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
				pfi = pf_by_pci(pf_pci, n_pf_pci, key);
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
			v[*n] = (struct claim){key, vmi, *n, pt->mark};
			(*n)++;
		}
	}
	return 0;
}

static int check_passthrough(struct vctx *c)
{
	const struct policy *p = c->p;
	_cleanup_free_ struct claim *pf_pci = calloc(p->n_pfs + 1, sizeof(*pf_pci));
	_cleanup_free_ struct claim *v = NULL;
	size_t n_pf_pci = 0, n = 0, total = 0;
	int r;

	if (!pf_pci)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_pfs; i++)
		if (p->pfs[i].match.pci.set)
			pf_pci[n_pf_pci++] =
			    (struct claim){pci_key(&p->pfs[i].match.pci.addr), i, i, {0, 0}};
	qsort(pf_pci, n_pf_pci, sizeof(*pf_pci), claim_cmp);
	for (size_t i = 0; i < p->n_vms; i++)
		total += p->vms[i].n_passthrough;
	v = calloc(total + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	r = collect_passthrough(c, pf_pci, n_pf_pci, v, &n);
	if (r < 0)
		return r;
	qsort(v, n, sizeof(*v), claim_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (v[i].key != v[first].key) {
			first = i;
			continue;
		}
		r = verr(c, v[i].mark,
		         "vm '%s' claims a device that vm '%s' already takes (at %u:%u)",
		         p->vms[v[i].owner].name.value, p->vms[v[first].owner].name.value,
		         v[first].mark.line, v[first].mark.col);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- MACs ---- */

static int check_macs(struct vctx *c)
{
	const struct policy *p = c->p;
	_cleanup_free_ struct claim *v = NULL;
	size_t n = 0, total = 0;
	int r;

	for (size_t i = 0; i < p->n_vms; i++)
		total += p->vms[i].n_nics;
	v = calloc(total + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t vmi = 0; vmi < p->n_vms; vmi++) {
		const struct policy_vm *vm = &p->vms[vmi];
		for (size_t i = 0; i < vm->n_nics; i++) {
			const struct policy_mac *mac = &vm->nics[i].mac;
			if (mac->set) {
				v[n] = (struct claim){mac_key(mac->addr), vmi, n, mac->mark};
				n++;
			}
		}
	}
	qsort(v, n, sizeof(*v), claim_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		char buf[MAC_STR_LEN];

		if (v[i].key != v[first].key) {
			first = i;
			continue;
		}
		mac_from_key(v[i].key, buf);
		r = verr(c, v[i].mark, "vm '%s' uses mac %s, which vm '%s' already uses (at %u:%u)",
		         p->vms[v[i].owner].name.value, buf, p->vms[v[first].owner].name.value,
		         v[first].mark.line, v[first].mark.col);
		if (r < 0)
			return r;
	}
	return 0;
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
		r = check_macs(&c);
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
