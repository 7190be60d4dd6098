/* What each step disrupts, from the driver table: shown by `vfmgr plan` and checked by apply
 * against a threshold, so a routine apply never drops a host link by surprise. Pure. */
#include "vfmgr/plan.h"
#include "vfmgr/plan-steps.h"
#include "util/strcopy.h"

#include <stdio.h>
#include <string.h>

/* Adds vm to the ", "-joined list in buf unless it is there already. */
static void add_vm(char *buf, size_t size, const char *vm)
{
	size_t len = strlen(vm), off = strlen(buf);

	if (!vm[0])
		return;
	for (const char *p = buf; (p = strstr(p, vm)) != NULL; p += len)
		if ((p == buf || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0'))
			return;
	snprintf(buf + off, size - off, "%s%s", off ? ", " : "", vm);
}

static void add_holders(char *buf, size_t size, const struct state *s, const char *pf)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->allocs[i].pf_addr, pf) == 0)
			add_vm(buf, size, s->allocs[i].vm);
}

static const char *ifname_or(const struct plan_action *a)
{
	return a->ifname[0] ? a->ifname : "its interface";
}

void plan_impact_numvfs(struct plan_action *a, const struct impact_in *in)
{
	const struct sriov_driver *drv = in->drv;

	a->impact = drv ? drv->numvfs_change : SRIOV_IMPACT_NONE;
	if (a->impact == SRIOV_IMPACT_PF_RESET)
		snprintf(a->impact_why, sizeof(a->impact_why),
		         "%s resets the PF when VFs are enabled or disabled: %s's link drops for "
		         "about a second%s",
		         drv->name, ifname_or(a), a->from ? ", and every VF is destroyed" : "");
	else if (a->from > 0)
		snprintf(a->impact_why, sizeof(a->impact_why), "every VF of %s is destroyed%s",
		         a->addr, a->to ? " and made again" : "");
	else
		snprintf(a->impact_why, sizeof(a->impact_why), "new VFs; %s stays up",
		         ifname_or(a));
	if (a->from > 0 && a->impact < SRIOV_IMPACT_VF_DESTROY)
		a->impact = SRIOV_IMPACT_VF_DESTROY;
	add_holders(a->vms, sizeof(a->vms), in->old, a->addr);
}

void plan_impact_vfs(struct plan_action *a, const struct impact_in *in)
{
	const struct sriov_driver *drv = in->drv;
	unsigned worst_attrs = 0;

	a->impact = SRIOV_IMPACT_NONE;
	for (size_t i = 0; i < a->n_vfs; i++) {
		struct plan_vf *v = &a->vfs[i];
		/* A VF this plan makes has no guest and nothing to reset yet. */
		v->impact = v->have_known || v->unverified ? sriov_attrs_impact(drv, v->want.attrs)
		                                           : SRIOV_IMPACT_NONE;
		if (v->impact > a->impact) {
			a->impact = v->impact;
			worst_attrs = v->want.attrs;
		}
		add_vm(a->vms, sizeof(a->vms), v->vm);
	}
	if (a->impact == SRIOV_IMPACT_NONE) {
		str_copy(a->impact_why, sizeof(a->impact_why), "applied live");
		return;
	}
	/* Name the first group that costs the reset. */
	for (unsigned slot = 0; slot < SRIOV_SLOTS; slot++)
		if ((worst_attrs & (1u << slot)) && drv->attr_impact[slot] == a->impact) {
			snprintf(
			    a->impact_why, sizeof(a->impact_why),
			    slot == SRIOV_SLOT_MAC
			        ? "%s applies a VF's %s when the VF's driver is reloaded or reset"
			        : "%s resets the VF to apply its %s",
			    drv->name, vf_attr_name(1u << slot));
			break;
		}
}

void plan_impact_vfio(struct plan_action *a, const struct impact_in *in)
{
	bool whole = !(a->is_vf || (in->nic != NO_INDEX && in->h->nics[in->nic].pf != NO_INDEX));

	a->impact = whole ? SRIOV_IMPACT_PF_RESET : SRIOV_IMPACT_VF_RESET;
	if (a->kind == PLAN_VFIO_BIND)
		snprintf(
		    a->impact_why, sizeof(a->impact_why),
		    whole ? "the whole device leaves the host (driver %s): its interfaces go away"
		          : "the VF leaves %s for vfio-pci, which resets it when the VM opens it",
		    a->host_driver[0] ? a->host_driver
		    : whole           ? "none"
		                      : "its driver");
	else
		snprintf(a->impact_why, sizeof(a->impact_why),
		         whole ? "the whole device comes back to %s: its link comes up again"
		               : "the VF goes back to %s, which resets it",
		         a->host_driver[0] ? a->host_driver : "no driver");
	add_vm(a->vms, sizeof(a->vms), a->vm);
}

void plan_impact_rss(struct plan_action *a, const struct impact_in *in)
{
	const struct sriov_driver *drv = in->drv;

	a->impact = SRIOV_IMPACT_NONE;
	str_copy(a->impact_why, sizeof(a->impact_why), "applied live");
	if (a->kind != PLAN_RSS_CHANNELS || !drv || drv->channels_change == SRIOV_IMPACT_NONE)
		return;
	a->impact = drv->channels_change;
	snprintf(a->impact_why, sizeof(a->impact_why),
	         "%s rebuilds its queues for a channel change: %s's link drops and its VFs reset",
	         drv->name, ifname_or(a));
	add_holders(a->vms, sizeof(a->vms), in->next, a->addr);
}

void plan_impact(struct plan *pl, const struct host *h, const struct state *old)
{
	for (size_t i = 0; i < pl->n; i++) {
		struct plan_action *a = &pl->actions[i];
		size_t n = host_find_nic(h, a->addr);
		const char *driver = n != NO_INDEX ? h->nics[n].driver : a->driver;
		const struct sriov_driver *drv = sriov_driver_find(driver);

		const struct plan_step_kind *k = plan_step_kind(a);
		struct impact_in in = {h, n, drv, old, &pl->next};

		a->vms[0] = '\0';
		a->driver_known = drv != NULL;
		k->impact(a, &in);
		if (!drv && k->pf_driver) {
			size_t off = strlen(a->impact_why);
			snprintf(a->impact_why + off, sizeof(a->impact_why) - off,
			         "; driver %s " PLAN_DRIVER_NOTE, driver[0] ? driver : "(none)");
		}
	}
}

size_t plan_first_above(const struct plan *pl, enum sriov_impact allow)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->actions[i].impact > allow)
			return i;
	return pl->n;
}
