/* The plan: what apply will do, in order, each step with what it undoes to. Built by a pure
 * function of (policy, host snapshot, state); printed by `vfmgr plan`, run by `vfmgr apply`. */
#ifndef VFMGR_PLAN_H
#define VFMGR_PLAN_H

#include "policy/policy.h"
#include "vfmgr/host.h"
#include "vfmgr/state.h"
#include "vfmgr/vfnl.h"

#include <jansson.h>

enum plan_kind {
	PLAN_SET_NUMVFS,
	PLAN_SET_VFS,
	PLAN_VFIO_BIND,    /* a VF or whole device to vfio-pci */
	PLAN_VFIO_RESTORE, /* back to the driver it had before vfmgr bound it */
};

struct plan_vf {
	struct vf_write want; /* want.attrs: the groups to write */
	struct vf_config have;
	bool have_known;      /* false: made by an earlier step (apply reads it then) */
	bool unverified;      /* the kernel's VF list was cut short: written unconditionally */
	char owner[STATE_NAME_LEN + 16]; /* "web01 nic 0" or "released from web01" */
	char vm[STATE_NAME_LEN];
};

struct plan_action {
	enum plan_kind kind;
	enum nic_bus bus;
	char addr[NIC_ADDR_LEN];
	char ifname[IF_NAMESIZE];
	char driver[DRIVER_LEN];
	int ifindex;
	unsigned from, to; /* PLAN_SET_NUMVFS */
	struct plan_vf *vfs; /* PLAN_SET_VFS, by ascending VF index */
	size_t n_vfs, cap_vfs;
	/* PLAN_VFIO_*: the device; a VF made earlier in the plan has no address yet and is
	 * found as VF vf of the PF addr. */
	char dev[NIC_ADDR_LEN];
	bool is_vf;
	unsigned vf;
	char host_driver[DRIVER_LEN]; /* BIND: driver now ("" none); RESTORE: driver to return to */
	char vm[STATE_NAME_LEN];
};

struct plan {
	struct plan_action *actions;
	size_t n, cap;
	struct state next; /* the state file after a successful apply */
};

/* Resolves each policy PF to the one host device its match selects; NO_INDEX entries get an
 * error in diags (no device, or several). out has p->n_pfs entries. */
int pfmatch_resolve(const struct policy *p, const struct host *h, size_t *out,
		    struct policy_diags *diags);

/* Decides which VF each VM NIC gets: kept from the old state where still valid, else the
 * lowest free VF on the best PF (the VM's NUMA node first). */
int alloc_assign(const struct policy *p, const struct host *h, const size_t *pf_nic,
		 const unsigned *numvfs, const struct state *old, struct state *next,
		 struct policy_diags *diags);

/* Functions leaving their VM go back to the driver they had (first in a plan). */
int plan_vfio_restores(const struct host *h, const struct state *old, struct plan *pl);
/* Functions going to VMs are bound to vfio-pci (last in a plan), with the checks that keep
 * it safe: an IOMMU, and whole IOMMU groups. */
int plan_vfio_binds(const struct policy *p, const struct host *h, struct plan *pl,
		    struct policy_diags *d);
/* The devices a VM's passthrough list names, recorded in next (driver_before from h). */
int plan_passthrough_state(const struct policy *p, const struct host *h, const size_t *pf_nic,
			   const struct state *old, struct state *next, struct policy_diags *d);

/* 0 with the plan, -EINVAL with errors in diags (nothing to apply then), -ENOMEM. */
int plan_build(const struct policy *p, const struct host *h, const struct state *old,
	       struct plan *out, struct policy_diags *diags);
/* Gives one VM's VFs back: their saved settings restored, their allocations dropped. */
int plan_release(const struct host *h, const struct state *old, const char *vm, struct plan *out);
/* Keeps only what concerns one VM (its VFs, their PFs' VF counts, its devices); the next
 * state keeps every other VM's entries as they were in old. */
int plan_restrict_to_vm(struct plan *pl, const struct state *old, const char *vm);
void plan_free(struct plan *pl);

/* `vfmgr plan` output: one line per change, "+ ADDR vf N vlan 100 qos 0 (was vlan 0 qos 0)". */
void plan_print(const struct plan *pl, FILE *f);
json_t *plan_to_json(const struct plan *pl);

#endif
