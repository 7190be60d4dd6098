/* VF settings the driver refused in the device's current state (a PF whose link is down after a
 * reset, a VF that is resetting): the daemon keeps them between reconciles, leaves them out of
 * its plans while the reason holds (so it does not apply the same refused change over and
 * over), retries them when it is gone, and `vfmgr status` shows them. */
#include "vfmgr/daemon.h"
#include "util/array.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The one group attr of from, copied into to. */
static void copy_group(struct vf_config *to, const struct vf_config *from, unsigned attr)
{
	switch (attr) {
	case VF_ATTR_MAC:
		memcpy(to->mac, from->mac, sizeof(to->mac));
		break;
	case VF_ATTR_VLAN:
		to->vlan = from->vlan;
		to->qos = from->qos;
		to->proto = from->proto;
		break;
	case VF_ATTR_RATE:
		to->min_rate = from->min_rate;
		to->max_rate = from->max_rate;
		break;
	case VF_ATTR_SPOOFCHK:
		to->spoofchk = from->spoofchk;
		break;
	case VF_ATTR_LINK_STATE:
		to->link_state = from->link_state;
		break;
	case VF_ATTR_TRUST:
		to->trust = from->trust;
		break;
	}
}

/* Still refused for the same reason? A link-down refusal holds while the link is down; EAGAIN
 * and EBUSY (a VF resetting) are retried at once; anything else is tried once more at the next
 * pass (igb may refuse a rate for a moment its carrier does not show: its watchdog reads the
 * link later than the hardware register igb checks), then waits for the PF's own hotplug or
 * rebind, a reload or `vfmgr apply` (which forget them). */
static bool still_held(const struct vf_pending *p, const struct host *h)
{
	size_t i = host_find_nic(h, p->pf_addr);
	const struct netdev *nd = i != NO_INDEX ? nic_pf_netdev(&h->nics[i]) : NULL;

	if (!nd)
		return false;
	if (p->link)
		return apply_link_down(p->pf_addr, nd->ifindex);
	return p->err != -EAGAIN && p->err != -EBUSY && p->tries > 0;
}

static struct plan_vf *find_vf(struct plan *pl, const struct vf_pending *p, size_t *act)
{
	for (size_t i = 0; i < pl->n; i++) {
		struct plan_action *a = &pl->actions[i];
		if (a->kind != PLAN_SET_VFS || strcmp(a->addr, p->pf_addr) != 0)
			continue;
		for (size_t k = 0; k < a->n_vfs; k++)
			if (a->vfs[k].want.cfg.index == p->vf) {
				*act = i;
				return &a->vfs[k];
			}
	}
	return NULL;
}

/* Drops VFs left with nothing to write, and VF steps left with no VF. */
static void compact(struct plan *pl)
{
	size_t out = 0;

	for (size_t i = 0; i < pl->n; i++) {
		struct plan_action *a = &pl->actions[i];
		if (a->kind == PLAN_SET_VFS) {
			size_t m = 0;
			for (size_t k = 0; k < a->n_vfs; k++)
				if (a->vfs[k].want.attrs)
					a->vfs[m++] = a->vfs[k];
			a->n_vfs = m;
			if (m == 0) {
				free(a->vfs);
				free(a->rss);
				continue;
			}
		}
		pl->actions[out++] = *a;
	}
	pl->n = out;
}

size_t pending_hold(struct apply_pending *pend, struct plan *pl, const struct host *h)
{
	size_t kept = 0;

	for (size_t i = 0; i < pend->n; i++) {
		struct vf_pending *p = &pend->items[i];
		size_t act;
		struct plan_vf *v = find_vf(pl, p, &act);

		/* Gone from the plan (it holds now, or the policy wants another value): done. */
		if (!v || !(v->want.attrs & p->attr) || !v->have_known ||
		    vf_config_diff(&p->want, &v->want.cfg, p->attr) != 0 || !still_held(p, h))
			continue;
		v->want.attrs &= ~p->attr;
		copy_group(&v->want.cfg, &v->have, p->attr);
		pend->items[kept++] = *p;
	}
	pend->n = kept;
	compact(pl);
	return kept;
}

void pending_forget(struct apply_pending *pend, const char *pf)
{
	size_t kept = 0;

	for (size_t i = 0; i < pend->n; i++)
		if (pf && strcmp(pend->items[i].pf_addr, pf) != 0)
			pend->items[kept++] = pend->items[i];
	pend->n = kept;
}

int pending_merge(struct apply_pending *into, const struct apply_pending *from)
{
	for (size_t i = 0; i < from->n; i++) {
		struct vf_pending *p = ARRAY_APPEND(into->items, into->n, into->cap);
		if (!p)
			return -ENOMEM;
		*p = from->items[i];
	}
	return 0;
}

void pending_count_tries(struct apply_pending *fresh, const struct apply_pending *before)
{
	for (size_t i = 0; i < fresh->n; i++) {
		struct vf_pending *p = &fresh->items[i];
		for (size_t k = 0; k < before->n; k++) {
			const struct vf_pending *b = &before->items[k];
			if (strcmp(b->pf_addr, p->pf_addr) == 0 && b->vf == p->vf &&
			    b->attr == p->attr && b->err == p->err)
				p->tries = b->tries + 1;
		}
	}
}
