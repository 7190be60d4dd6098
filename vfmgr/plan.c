/* plan_build: a pure function from (policy, host, state) to ordered actions. No I/O. */
#include "vfmgr/plan.h"
#include "vfmgr/plan-steps.h"
#include "util/array.h"
#include "util/strcopy.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plan_free(struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		free(pl->actions[i].vfs);
		free(pl->actions[i].rss);
	}
	free(pl->actions);
	free(pl->pf_match);
	state_free(&pl->next);
	memset(pl, 0, sizeof(*pl));
}

struct plan_action *plan_new_action(struct plan *pl, enum plan_kind kind, const struct nic *n)
{
	struct plan_action *a = ARRAY_APPEND(pl->actions, pl->n, pl->cap);
	const struct netdev *nd = nic_pf_netdev(n);

	if (!a)
		return NULL;
	a->kind = kind;
	a->bus = n->bus;
	str_copy(a->addr, sizeof(a->addr), n->addr);
	str_copy(a->driver, sizeof(a->driver), n->driver);
	if (nd) {
		str_copy(a->ifname, sizeof(a->ifname), nd->name);
		a->ifindex = nd->ifindex;
	}
	return a;
}

/* What the snapshot knows of VF vf on PF n, if the VF survives the plan's numvfs change. */
static const struct vf_config *known_vf(const struct nic *n, unsigned vf, bool numvfs_changes,
                                        bool *unverified)
{
	*unverified = false;
	if (numvfs_changes || vf >= (unsigned)n->numvfs)
		return NULL;
	if (n->vf_settings_err < 0 || vf >= n->vf_settings.num_vf || !n->vf_settings.readable[vf]) {
		*unverified = true;
		return NULL;
	}
	return &n->vf_settings.vfs[vf];
}

/* al: the allocation the VF is written for; released: back to its saved settings. */
static int add_vf_write(struct plan_action *act, const struct nic *n, bool numvfs_changes,
                        const struct vf_config *want, const struct state_alloc *al, bool released)
{
	bool unverified;
	const struct vf_config *have = known_vf(n, want->index, numvfs_changes, &unverified);
	unsigned attrs = have ? vf_config_diff(have, want, VF_ATTR_ALL) : VF_ATTR_ALL;

	if (attrs == 0)
		return 0;
	struct plan_vf *v = ARRAY_APPEND(act->vfs, act->n_vfs, act->cap_vfs);
	if (!v)
		return -ENOMEM;
	v->want.cfg = *want;
	v->want.attrs = attrs;
	v->have_known = have != NULL;
	if (have)
		v->have = *have;
	v->unverified = unverified;
	str_copy(v->vm, sizeof(v->vm), al->vm);
	v->released = released;
	v->nic = al->nic;
	v->leg = al->leg;
	return 0;
}

static int cmp_plan_vf(const void *a, const void *b)
{
	const struct plan_vf *x = a, *y = b;

	return (x->want.cfg.index > y->want.cfg.index) - (x->want.cfg.index < y->want.cfg.index);
}

/* Allocations grouped by PF, so per-PF work costs the PF's allocations, not all of them. */
struct by_pf {
	const struct state_alloc **v;
	size_t n;
};

static int cmp_by_pf(const void *a, const void *b)
{
	const struct state_alloc *x = *(const struct state_alloc *const *)a;
	const struct state_alloc *y = *(const struct state_alloc *const *)b;
	int c = host_addr_cmp(x->pf_addr, y->pf_addr);

	return c ? c : (x->vf > y->vf) - (x->vf < y->vf);
}

static int by_pf_init(struct by_pf *b, const struct state *s)
{
	b->n = s->n;
	b->v = calloc(s->n + 1, sizeof(*b->v));
	if (!b->v)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		b->v[i] = &s->allocs[i];
	if (s->n > 1)
		qsort(b->v, s->n, sizeof(*b->v), cmp_by_pf);
	return 0;
}

/* The allocations on PF addr: *count of them from the returned position. */
static const struct state_alloc *const *by_pf_range(const struct by_pf *b, const char *addr,
                                                    size_t *count)
{
	size_t lo = 0, hi = b->n, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (host_addr_cmp(b->v[mid]->pf_addr, addr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < b->n && strcmp(b->v[end]->pf_addr, addr) == 0; end++)
		;
	*count = end - lo;
	return b->v + lo;
}

/* VFs that leave the state (VM or NIC gone from the policy) get their saved settings back. */
static bool released(const struct state *next, const struct state_alloc *o)
{
	const struct state_alloc *n = state_find(next, o->vm, o->nic, o->leg);

	return !n || strcmp(n->pf_addr, o->pf_addr) != 0 || n->vf != o->vf;
}

static int plan_pf_vfs(struct plan *pl, const struct nic *n, bool numvfs_changes,
                       const struct by_pf *old, const struct by_pf *next)
{
	struct plan_action *act = plan_new_action(pl, PLAN_SET_VFS, n);
	size_t n_old, n_next;
	const struct state_alloc *const *olds = by_pf_range(old, n->addr, &n_old);
	const struct state_alloc *const *nexts = by_pf_range(next, n->addr, &n_next);
	int r = 0;

	if (!act)
		return -ENOMEM;
	for (size_t i = 0; i < n_old && r == 0; i++) {
		const struct state_alloc *o = olds[i];
		if (!released(&pl->next, o) || !o->saved_known || numvfs_changes)
			continue;
		struct vf_config back = o->saved;
		back.index = o->vf;
		r = add_vf_write(act, n, false, &back, o, true);
	}
	for (size_t i = 0; i < n_next && r == 0; i++)
		r = add_vf_write(act, n, numvfs_changes, &nexts[i]->want, nexts[i], false);
	if (r < 0)
		return r;
	if (act->n_vfs == 0) {
		free(act->vfs);
		pl->n--;
		return 0;
	}
	qsort(act->vfs, act->n_vfs, sizeof(*act->vfs), cmp_plan_vf);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether VMs hold VFs of a PF; their names, sorted, go into buf for the refusal. */
static bool holders(const struct by_pf *b, const char *addr, char *buf, size_t size)
{
	size_t n, off = 0;
	const struct state_alloc *const *v = by_pf_range(b, addr, &n);
	const char **names = calloc(n + 1, sizeof(*names));

	buf[0] = '\0';
	for (size_t i = 0; names && i < n; i++)
		names[i] = v[i]->vm;
	if (names && n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; names && i < n; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		off += (size_t)snprintf(buf + off, off < size ? size - off : 0, "%s%s",
		                        off ? ", " : "", names[i]);
	}
	free(names);
	return n > 0;
}

static int check_pf(const struct policy_pf *pf, const struct nic *n, unsigned want_numvfs,
                    const struct by_pf *old, const struct by_pf *next, struct policy_diags *d)
{
	char who[256];
	bool touched =
	    want_numvfs != (unsigned)n->numvfs || holders(next, n->addr, who, sizeof(who));

	if (touched && n->management && pf->host_traffic.set && !pf->host_traffic.value) {
		/* The admin's word, logged each time: the detection is not silently off. */
		policy_diag_add(d, POLICY_WARNING, pf->host_traffic.mark,
		                "pf %s: %s carries the host's management path (%s); changing it "
		                "anyway, as host-traffic: false says it carries no host traffic",
		                pf->name.value, n->addr, n->management_why);
	} else if (touched && n->management) {
		policy_diag_add(d, POLICY_ERROR, pf->mark,
		                "pf %s: %s carries the host's management path (%s); vfmgr will not "
		                "change it (pick another device, or, if this port carries no host "
		                "traffic, say host-traffic: false on the pf)",
		                pf->name.value, n->addr, n->management_why);
		return -EINVAL;
	}
	if (!n->sriov_capable && want_numvfs > 0) {
		policy_diag_add(d, POLICY_ERROR, pf->numvfs.mark,
		                "pf %s: %s has no SR-IOV capability", pf->name.value, n->addr);
		return -EINVAL;
	}
	if (n->totalvfs >= 0 && want_numvfs > (unsigned)n->totalvfs) {
		policy_diag_add(d, POLICY_ERROR, pf->numvfs.mark,
		                "pf %s: numvfs %u is more than %s supports (sriov_totalvfs %d)",
		                pf->name.value, want_numvfs, n->addr, n->totalvfs);
		return -EINVAL;
	}
	/* numvfs only goes N->0->M: every VF is destroyed, so no VM may hold one. */
	if (n->numvfs > 0 && want_numvfs != (unsigned)n->numvfs &&
	    holders(old, n->addr, who, sizeof(who))) {
		policy_diag_add(
		    d, POLICY_ERROR, pf->numvfs.mark,
		    "pf %s: changing numvfs %d -> %u on %s destroys every VF, and VMs hold "
		    "VFs there: %s; release them first (vfmgr release VM)",
		    pf->name.value, n->numvfs, want_numvfs, n->addr, who);
		return -EINVAL;
	}
	if ((want_numvfs > 0 || touched) && !nic_pf_netdev(n)) {
		policy_diag_add(
		    d, POLICY_ERROR, pf->mark,
		    "pf %s: %s has no network interface (driver %s) to configure VFs through",
		    pf->name.value, n->addr, n->driver[0] ? n->driver : "none");
		return -EINVAL;
	}
	return 0;
}

static int check_shares(const struct policy *p, const struct host *h, const size_t *pf_nic,
                        const struct state *next, struct policy_diags *d)
{
	int r = 0;

	for (size_t i = 0; i < next->n; i++) {
		const struct state_alloc *a = &next->allocs[i];
		const struct policy_nic *nic = &p->vms[a->vm_index].nics[a->nic];

		if (!nic->shares.set || nic->rate.min.set || a->want.min_rate > 0 ||
		    pf_nic[a->pf_index] == NO_INDEX)
			continue;
		const struct netdev *nd = nic_pf_netdev(&h->nics[pf_nic[a->pf_index]]);
		policy_diag_add(
		    d, POLICY_ERROR, nic->shares.mark,
		    "vm %s nic %u: shares need the link speed of %s (%s), which is unknown "
		    "(link down?)",
		    a->vm, a->nic, a->pf_addr, nd ? nd->name : "no interface");
		r = -EINVAL;
	}
	return r;
}

static const size_t *pf_order_nic;

static int cmp_pf_order(const void *a, const void *b)
{
	size_t x = pf_order_nic[*(const size_t *)a], y = pf_order_nic[*(const size_t *)b];

	return (x > y) - (x < y);
}

int plan_build(const struct policy *p, const struct host *h, const struct state *old,
               struct plan *out, struct policy_diags *d, unsigned flags)
{
	bool absent_ok = flags & PLAN_ALLOW_ABSENT;
	size_t *pf_nic = calloc(p->n_pfs ? p->n_pfs : 1, sizeof(*pf_nic));
	size_t *order = calloc(p->n_pfs ? p->n_pfs : 1, sizeof(*order));
	unsigned *numvfs = calloc(p->n_pfs ? p->n_pfs : 1, sizeof(*numvfs));
	struct by_pf old_by = {0}, next_by = {0};
	struct policy here;
	bool filtered = false;
	int r, bad = 0;

	memset(out, 0, sizeof(*out));
	if (!pf_nic || !numvfs || !order) {
		r = -ENOMEM;
		goto out;
	}
	r = plan_policy_here(p, old, &here, &filtered);
	if (r < 0)
		goto out;
	if (filtered)
		p = &here;
	for (size_t i = 0; i < p->n_pfs; i++)
		order[i] = i;
	r = pfmatch_resolve(p, h, pf_nic, d, absent_ok);
	if (r == -ENOMEM)
		goto out;
	bad |= r;
	for (size_t i = 0; i < p->n_pfs; i++)
		if (pf_nic[i] != NO_INDEX)
			numvfs[i] = p->pfs[i].numvfs.set ? p->pfs[i].numvfs.value
			                                 : (unsigned)h->nics[pf_nic[i]].numvfs;
	/* A PF passed through whole has no VFs: the kernel destroys them when it leaves igb. */
	for (size_t v = 0; v < p->n_vms; v++)
		for (size_t k = 0; k < p->vms[v].n_passthrough; k++) {
			const struct policy_passthrough *pt = &p->vms[v].passthrough[k];
			if (pt->kind == POLICY_PASSTHROUGH_PF && pt->pf.index != POLICY_NONE)
				numvfs[pt->pf.index] = 0;
		}
	r = alloc_assign(p, h, pf_nic, numvfs, old, &out->next, d, absent_ok);
	if (r == -ENOMEM)
		goto out;
	bad |= r;
	r = plan_passthrough_state(p, h, pf_nic, old, &out->next, d, absent_ok);
	if (r == -ENOMEM)
		goto out;
	bad |= r;
	bad |= check_shares(p, h, pf_nic, &out->next, d);
	r = plan_check_drivers(p, h, pf_nic, numvfs, &out->next, flags & PLAN_DRIVER_WARN, d);
	if (r == -ENOMEM)
		goto out;
	bad |= r;
	r = 0;
	if (by_pf_init(&old_by, old) < 0 || by_pf_init(&next_by, &out->next) < 0) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->n_pfs; i++) {
		if (pf_nic[i] == NO_INDEX || p->pfs[i].management.value)
			continue;
		bad |= check_pf(&p->pfs[i], &h->nics[pf_nic[i]], numvfs[i], &old_by, &next_by, d);
		bad |= plan_rss_pf(&p->pfs[i], &h->nics[pf_nic[i]],
		                   numvfs[i] != (unsigned)h->nics[pf_nic[i]].numvfs, old, NULL, d);
	}
	if (bad) {
		r = -EINVAL;
		goto out;
	}
	/* Drivers go back first: a device leaving a VM is the host's again before anything else. */
	r = plan_vfio_restores(h, old, out);
	if (r < 0)
		goto out;
	/* Per PF in address order: its VF count first, then all its VF settings in one step, then
	 * its RSS. */
	if (p->n_pfs > 1) {
		pf_order_nic = pf_nic;
		qsort(order, p->n_pfs, sizeof(*order), cmp_pf_order);
	}
	for (size_t k = 0; k < p->n_pfs && r == 0; k++) {
		size_t i = order[k];
		const struct nic *n = pf_nic[i] != NO_INDEX ? &h->nics[pf_nic[i]] : NULL;
		bool changes = n && numvfs[i] != (unsigned)n->numvfs;
		if (!n || p->pfs[i].management.value)
			continue;
		if (changes) {
			struct plan_action *a = plan_new_action(out, PLAN_SET_NUMVFS, n);
			if (!a || (n->rss && n->rss->err == 0 &&
			           !(a->rss = calloc(1, sizeof(*a->rss))))) {
				r = -ENOMEM;
				break;
			}
			a->from = (unsigned)n->numvfs;
			a->to = numvfs[i];
			if (a->rss)
				a->rss->before = n->rss->st;
		}
		r = plan_pf_vfs(out, n, changes, &old_by, &next_by);
		/* RSS last: a numvfs change makes drivers rebuild the PF's queues. */
		if (r == 0)
			r = plan_rss_pf(&p->pfs[i], n, changes, old, out, NULL);
	}
	if (r == 0)
		r = plan_vfio_binds(p, h, out, d);
	if (r == 0)
		plan_impact(out, h, old);
out:
	plan_policy_here_free(&here, filtered);
	if (r == 0) {
		out->pf_match = pf_nic;
		pf_nic = NULL;
	}
	free(pf_nic);
	free(numvfs);
	free(order);
	free(old_by.v);
	free(next_by.v);
	if (r < 0)
		plan_free(out);
	return r;
}

_Static_assert(offsetof(struct state_alloc, vm) == 0 && offsetof(struct state_pt, vm) == 0,
               "copy_records reads the VM's name first");

/* Appends to the array *to (*to_n of *to_cap) the n records of from, elsize bytes each, that
 * belong to vm (mine) or to other VMs (!mine); 0 or -ENOMEM. */
static int copy_records(void *to, size_t *to_n, size_t *to_cap, const void *from, size_t n,
                        size_t elsize, const char *vm, bool mine)
{
	for (size_t i = 0; i < n; i++) {
		const char *rec = (const char *)from + i * elsize;
		void *x;

		if ((strcmp(rec, vm) == 0) != mine)
			continue;
		x = array_append(to, to_n, to_cap, elsize);
		if (!x)
			return -ENOMEM;
		memcpy(x, rec, elsize);
	}
	return 0;
}

/* Appends from's allocations and passthrough records of vm (mine) or of the other VMs to to. */
static int copy_vm_records(struct state *to, const struct state *from, const char *vm, bool mine)
{
	if (copy_records(&to->allocs, &to->n, &to->cap, from->allocs, from->n,
	                 sizeof(*from->allocs), vm, mine) < 0 ||
	    copy_records(&to->pts, &to->n_pts, &to->cap_pts, from->pts, from->n_pts,
	                 sizeof(*from->pts), vm, mine) < 0)
		return -ENOMEM;
	return 0;
}

int plan_release(const struct host *h, const struct state *old, const char *vm, struct plan *out)
{
	int r = 0;

	memset(out, 0, sizeof(*out));
	/* The other VMs keep their records. */
	if (copy_vm_records(&out->next, old, vm, false) < 0) {
		plan_free(out);
		return -ENOMEM;
	}
	/* RSS keys are the host's, not the VM's: kept as they were. */
	for (size_t i = 0; i < old->n_keys && r == 0; i++)
		r = state_set_rss_key(&out->next, old->keys[i].addr, old->keys[i].key,
		                      old->keys[i].len);
	if (r == 0)
		r = plan_vfio_restores(h, old, out);
	struct by_pf old_by = {0}, next_by = {0};
	if (r == 0 && (by_pf_init(&old_by, old) < 0 || by_pf_init(&next_by, &out->next) < 0))
		r = -ENOMEM;
	for (size_t hn = 0; hn < h->n_nics && r == 0; hn++) {
		bool mine = false;
		size_t n;
		const struct state_alloc *const *v = by_pf_range(&old_by, h->nics[hn].addr, &n);
		for (size_t i = 0; i < n; i++)
			mine |= strcmp(v[i]->vm, vm) == 0;
		if (!mine)
			continue;
		size_t before = out->n;
		r = plan_pf_vfs(out, &h->nics[hn], false, &old_by, &next_by);
		/* Only this VM's VFs are written: another VM's setting that waits (a rate while
		 * the link is down) stays its own, and cannot fail this release. */
		if (r == 0 && out->n > before &&
		    !plan_keep_vfs(&out->actions[out->n - 1], &out->next, vm)) {
			free(out->actions[--out->n].vfs);
		}
	}
	free(old_by.v);
	free(next_by.v);
	if (r < 0)
		plan_free(out);
	else
		plan_impact(out, h, old);
	return r;
}

static bool vm_uses_pf(const struct state *s, const char *vm, const char *addr)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->allocs[i].vm, vm) == 0 && strcmp(s->allocs[i].pf_addr, addr) == 0)
			return true;
	for (size_t i = 0; i < s->n_pts; i++)
		if (strcmp(s->pts[i].vm, vm) == 0 && strcmp(s->pts[i].addr, addr) == 0)
			return true;
	return false;
}

bool plan_keep_pf(struct plan_action *a, const struct state *next, const char *vm)
{
	return vm_uses_pf(next, vm, a->addr);
}

bool plan_keep_vfs(struct plan_action *a, const struct state *next, const char *vm)
{
	size_t k = 0;

	(void)next;
	for (size_t i = 0; i < a->n_vfs; i++)
		if (strcmp(a->vfs[i].vm, vm) == 0)
			a->vfs[k++] = a->vfs[i];
	a->n_vfs = k;
	return k > 0;
}

bool plan_keep_vm(struct plan_action *a, const struct state *next, const char *vm)
{
	(void)next;
	return strcmp(a->vm, vm) == 0;
}

bool plan_keep_none(struct plan_action *a, const struct state *next, const char *vm)
{
	(void)a;
	(void)next;
	(void)vm;
	return false;
}

int plan_restrict_to_vm(struct plan *pl, const struct state *old, const char *vm)
{
	struct state next = {0};
	size_t k = 0;

	for (size_t i = 0; i < pl->n; i++) {
		if (plan_step_kind(&pl->actions[i])->keep(&pl->actions[i], &pl->next, vm)) {
			pl->actions[k++] = pl->actions[i];
		} else {
			free(pl->actions[i].vfs);
			free(pl->actions[i].rss);
		}
	}
	pl->n = k;
	/* Other VMs keep what they had; this one gets what the full plan gives it. */
	for (int pass = 0; pass < 2; pass++) {
		if (copy_vm_records(&next, pass ? &pl->next : old, vm, pass) < 0)
			goto nomem;
	}
	/* No RSS step is kept, so the RSS keys on record stay those of old. */
	for (size_t i = 0; i < old->n_keys; i++)
		if (state_set_rss_key(&next, old->keys[i].addr, old->keys[i].key,
		                      old->keys[i].len) < 0)
			goto nomem;
	state_sort(&next);
	state_free(&pl->next);
	pl->next = next;
	return 0;
nomem:
	state_free(&next);
	return -ENOMEM;
}
