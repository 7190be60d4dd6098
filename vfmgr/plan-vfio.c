/* The vfio-pci part of a plan: which functions go to vfio-pci for VMs, which come back to
 * their host drivers, and the checks that keep passthrough safe. Pure, like plan.c. */
#include "vfmgr/plan.h"
#include "util/array.h"
#include "util/strcopy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define VFIO "vfio-pci"

static const struct policy_vm *find_vm(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_vms; i++)
		if (strcmp(p->vms[i].name.value, name) == 0)
			return &p->vms[i];
	return NULL;
}

static const char *driver_of(const struct host *h, const char *addr)
{
	size_t i = addr[0] ? host_find_nic(h, addr) : NO_INDEX;

	return i == NO_INDEX ? NULL : h->nics[i].driver;
}

static struct plan_action *vfio_action(struct plan *pl, enum plan_kind kind, const char *dev,
                                       const char *driver, const char *vm)
{
	struct plan_action *a = ARRAY_APPEND(pl->actions, pl->n, pl->cap);

	if (!a)
		return NULL;
	a->kind = kind;
	a->bus = NIC_BUS_PCI;
	str_copy(a->dev, sizeof(a->dev), dev);
	str_copy(a->addr, sizeof(a->addr), dev);
	str_copy(a->host_driver, sizeof(a->host_driver), driver);
	str_copy(a->vm, sizeof(a->vm), vm);
	return a;
}

/* A whole device that is not there now keeps its record (PLAN_ALLOW_ABSENT). */
static int keep_absent_pt(const struct state *old, struct state *next, const char *vm, size_t k)
{
	for (size_t i = 0; i < old->n_pts; i++) {
		if (strcmp(old->pts[i].vm, vm) != 0 || old->pts[i].index != k)
			continue;
		struct state_pt *t = ARRAY_APPEND(next->pts, next->n_pts, next->cap_pts);
		if (!t)
			return -ENOMEM;
		*t = old->pts[i];
		t->releasing = false;
	}
	return 0;
}

int plan_passthrough_state(const struct policy *p, const struct host *h, const size_t *pf_nic,
                           const struct state *old, struct state *next, struct policy_diags *d,
                           bool allow_absent)
{
	int r = 0;

	for (size_t v = 0; v < p->n_vms; v++) {
		const struct policy_vm *vm = &p->vms[v];
		for (size_t k = 0; k < vm->n_passthrough; k++) {
			const struct policy_passthrough *pt = &vm->passthrough[k];
			char addr[NIC_ADDR_LEN];
			size_t i;

			if (pt->kind == POLICY_PASSTHROUGH_PCI) {
				format_pci_addr(&pt->pci.addr, addr);
			} else if (pt->pf.index != POLICY_NONE &&
			           pf_nic[pt->pf.index] != NO_INDEX) {
				str_copy(addr, sizeof(addr), h->nics[pf_nic[pt->pf.index]].addr);
			} else {
				/* pfmatch_resolve reported it */
				if (allow_absent &&
				    keep_absent_pt(old, next, vm->name.value, k) < 0)
					return -ENOMEM;
				continue;
			}
			i = host_find_nic(h, addr);
			if (i == NO_INDEX && allow_absent) {
				if (keep_absent_pt(old, next, vm->name.value, k) < 0)
					return -ENOMEM;
				continue;
			}
			if (i == NO_INDEX || h->nics[i].bus != NIC_BUS_PCI) {
				policy_diag_add(
				    d, POLICY_ERROR, pt->mark,
				    "vm %s: %s is not a network PCI function on this host",
				    vm->name.value, addr);
				r = -EINVAL;
				continue;
			}
			const struct nic *n = &h->nics[i];
			/* One device, one owner: a VF of a policy PF is vfmgr's to allocate. */
			size_t owner = POLICY_NONE;
			for (size_t q = 0; n->pf != NO_INDEX && q < p->n_pfs; q++)
				if (pf_nic[q] == n->pf)
					owner = q;
			if (owner != POLICY_NONE) {
				policy_diag_add(
				    d, POLICY_ERROR, pt->mark,
				    "vm %s: %s is VF %d of pf %s (%s), whose VFs vfmgr allocates "
				    "to VM "
				    "NICs; give the VM a NIC on one of its networks instead",
				    vm->name.value, addr, n->vf_index, p->pfs[owner].name.value,
				    h->nics[n->pf].addr);
				r = -EINVAL;
				continue;
			}
			if (n->management) {
				policy_diag_add(
				    d, POLICY_ERROR, pt->mark,
				    "vm %s: %s carries the host's management path (%s); it is "
				    "never passed through",
				    vm->name.value, addr, n->management_why);
				r = -EINVAL;
				continue;
			}
			char who[256] = "";
			for (size_t a = 0; a < next->n; a++)
				if (strcmp(next->allocs[a].pf_addr, addr) == 0 &&
				    !strstr(who, next->allocs[a].vm))
					snprintf(who + strlen(who), sizeof(who) - strlen(who),
					         "%s%s", who[0] ? ", " : "", next->allocs[a].vm);
			if (who[0]) {
				policy_diag_add(
				    d, POLICY_ERROR, pt->mark,
				    "vm %s: %s cannot be passed through while its VFs are "
				    "allocated (to %s)",
				    vm->name.value, addr, who);
				r = -EINVAL;
				continue;
			}
			struct state_pt *s = ARRAY_APPEND(next->pts, next->n_pts, next->cap_pts);
			if (!s)
				return -ENOMEM;
			str_copy(s->vm, sizeof(s->vm), vm->name.value);
			s->index = (unsigned)k;
			str_copy(s->addr, sizeof(s->addr), addr);
			const struct state_pt *o = state_find_pt(old, addr);
			s->driver_known = true;
			str_copy(s->driver_before, sizeof(s->driver_before),
			         o && strcmp(o->vm, s->vm) == 0 && o->driver_known
			             ? o->driver_before
			             : n->driver);
		}
	}
	return r;
}

/* A VF that leaves its VM (or stops wanting vfio-pci) goes back to its host driver. */
static int plan_restores(const struct host *h, const struct state *old, struct plan *pl)
{
	for (size_t i = 0; i < old->n; i++) {
		const struct state_alloc *o = &old->allocs[i];
		const struct state_alloc *n = state_find(&pl->next, o->vm, o->nic, o->leg);
		const char *drv = driver_of(h, o->vf_addr);

		if (!o->vfio || !o->driver_known || !drv || strcmp(drv, VFIO) != 0)
			continue;
		if (n && n->vfio && strcmp(n->pf_addr, o->pf_addr) == 0 && n->vf == o->vf)
			continue;
		if (!vfio_action(pl, PLAN_VFIO_RESTORE, o->vf_addr, o->driver_before, o->vm))
			return -ENOMEM;
	}
	for (size_t i = 0; i < old->n_pts; i++) {
		const struct state_pt *o = &old->pts[i];
		const struct state_pt *n = state_find_pt(&pl->next, o->addr);
		const char *drv = driver_of(h, o->addr);

		if (!o->driver_known || !drv || strcmp(drv, VFIO) != 0 ||
		    (n && strcmp(n->vm, o->vm) == 0))
			continue;
		if (!vfio_action(pl, PLAN_VFIO_RESTORE, o->addr, o->driver_before, o->vm))
			return -ENOMEM;
	}
	return 0;
}

/* Which host devices the plan renumbers (their VFs are made anew), by host index. */
static bool *renumbered(const struct host *h, const struct plan *pl)
{
	bool *r = calloc(h->n_nics + 1, sizeof(*r));

	for (size_t i = 0; r && i < pl->n; i++) {
		size_t n = pl->actions[i].kind == PLAN_SET_NUMVFS
		               ? host_find_nic(h, pl->actions[i].addr)
		               : NO_INDEX;
		if (n != NO_INDEX)
			r[n] = true;
	}
	return r;
}

static bool bound_in_plan(const struct plan *pl, const char *addr)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->actions[i].kind == PLAN_VFIO_BIND && strcmp(pl->actions[i].dev, addr) == 0)
			return true;
	return false;
}

static int plan_binds(const struct host *h, struct plan *pl)
{
	bool *renum = renumbered(h, pl);

	if (!renum)
		return -ENOMEM;
	for (size_t i = 0; i < pl->next.n; i++) {
		const struct state_alloc *a = &pl->next.allocs[i];
		size_t pf = host_find_nic(h, a->pf_addr);
		if (pf == NO_INDEX)
			continue; /* an absent PF (PLAN_ALLOW_ABSENT): nothing to bind now */
		bool fresh =
		    renum[pf] || !a->vf_addr[0] || host_find_nic(h, a->vf_addr) == NO_INDEX;
		const char *drv = fresh ? NULL : driver_of(h, a->vf_addr);

		if (!a->vfio || (drv && strcmp(drv, VFIO) == 0))
			continue;
		struct plan_action *b =
		    vfio_action(pl, PLAN_VFIO_BIND, fresh ? "" : a->vf_addr, drv ? drv : "", a->vm);
		if (!b) {
			free(renum);
			return -ENOMEM;
		}
		str_copy(b->addr, sizeof(b->addr), a->pf_addr);
		b->is_vf = true;
		b->vf = a->vf;
	}
	for (size_t i = 0; i < pl->next.n_pts; i++) {
		const struct state_pt *t = &pl->next.pts[i];
		size_t n = host_find_nic(h, t->addr);
		if (n == NO_INDEX)
			continue;
		const struct nic *dev = &h->nics[n];

		if (strcmp(dev->driver, VFIO) == 0)
			continue;
		/* Leaving its driver destroys a PF's VFs: say so in the plan rather than let it
		 * happen behind the admin's back. */
		if (dev->numvfs > 0 && !renum[n]) {
			struct plan_action *z =
			    vfio_action(pl, PLAN_SET_NUMVFS, t->addr, "", t->vm);
			if (!z)
				break;
			z->kind = PLAN_SET_NUMVFS;
			z->from = (unsigned)dev->numvfs;
			z->to = 0;
		}
		if (!vfio_action(pl, PLAN_VFIO_BIND, t->addr, dev->driver, t->vm))
			break;
	}
	free(renum);
	return 0;
}

static struct policy_mark vm_mark(const struct policy *p, const char *vm)
{
	const struct policy_vm *v = find_vm(p, vm);

	return v ? v->mark : (struct policy_mark){0, 0};
}

/* Every other member of a device's IOMMU group must be on vfio-pci, driverless, a bridge,
 * or bound to vfio-pci by this same plan; else the group would be split between host and VM. */
static int check_groups(const struct policy *p, const struct host *h, const struct plan *pl,
                        struct policy_diags *d)
{
	int r = 0;

	for (size_t i = 0; i < pl->n; i++) {
		const struct plan_action *a = &pl->actions[i];
		size_t n =
		    a->kind == PLAN_VFIO_BIND && a->dev[0] ? host_find_nic(h, a->dev) : NO_INDEX;

		if (n == NO_INDEX)
			continue;
		for (size_t g = 0; g < h->nics[n].n_group_peers; g++) {
			const struct group_peer *peer = &h->nics[n].group_peers[g];
			if (!peer->driver[0] || peer->bridge || strcmp(peer->driver, VFIO) == 0 ||
			    bound_in_plan(pl, peer->addr))
				continue;
			policy_diag_add(
			    d, POLICY_ERROR, vm_mark(p, a->vm),
			    "vm %s: %s shares IOMMU group %d with %s, which stays bound to "
			    "%s on the host; a group goes to a VM whole or not at all",
			    a->vm, a->dev, h->nics[n].iommu_group, peer->addr, peer->driver);
			r = -EINVAL;
		}
	}
	return r;
}

static int check_iommu(const struct policy *p, const struct host *h, const struct plan *pl,
                       struct policy_diags *d)
{
	for (size_t i = 0; i < pl->n; i++) {
		if (pl->actions[i].kind != PLAN_VFIO_BIND || h->iommu)
			continue;
		policy_diag_add(d, POLICY_ERROR, vm_mark(p, pl->actions[i].vm),
		                "vm %s: passthrough needs an IOMMU, and this host has none enabled "
		                "(/sys/class/iommu is empty): boot with intel_iommu=on (Intel) or "
		                "amd_iommu=on (AMD), and enable VT-d / AMD-Vi in the firmware",
		                pl->actions[i].vm);
		return -EINVAL;
	}
	return 0;
}

int plan_vfio_restores(const struct host *h, const struct state *old, struct plan *pl)
{
	return plan_restores(h, old, pl);
}

/* netdevsim VFs are bookkeeping, not PCI functions: nothing to hand to vfio-pci. */
static int check_bindable(const struct policy *p, const struct host *h, const struct plan *pl,
                          struct policy_diags *d)
{
	int r = 0;

	for (size_t i = 0; i < pl->next.n; i++) {
		const struct state_alloc *a = &pl->next.allocs[i];
		size_t pf = host_find_nic(h, a->pf_addr);

		if (!a->vfio || pf == NO_INDEX || h->nics[pf].bus == NIC_BUS_PCI)
			continue;
		policy_diag_add(
		    d, POLICY_ERROR, p->vms[a->vm_index].nics[a->nic].mark,
		    "vm %s nic %u: the VFs of %s are not PCI functions and cannot go to "
		    "vfio-pci; set vf-driver: kernel for this NIC or its pf",
		    a->vm, a->nic, a->pf_addr);
		r = -EINVAL;
	}
	return r;
}

int plan_vfio_binds(const struct policy *p, const struct host *h, struct plan *pl,
                    struct policy_diags *d)
{
	int r = check_bindable(p, h, pl, d);

	if (r == 0)
		r = plan_binds(h, pl);

	if (r < 0)
		return r;
	r = check_iommu(p, h, pl, d);
	if (r == 0)
		r = check_groups(p, h, pl, d);
	return r;
}
