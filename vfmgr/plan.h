/* The plan: what apply will do, in order, each step with what it undoes to. Built by a pure
 * function of (policy, host snapshot, state); printed by `vfmgr plan`, run by `vfmgr apply`. */
#ifndef VFMGR_PLAN_H
#define VFMGR_PLAN_H

#include "policy/policy.h"
#include "rss/spec.h"
#include "vfmgr/observe-host.h"
#include "vfmgr/state.h"
#include "sriov/drivers.h"
#include "sriov/vfnl.h"
#include "util/cleanup.h"

#include <jansson.h>

enum plan_kind {
	PLAN_SET_NUMVFS,
	PLAN_SET_VFS,
	PLAN_VFIO_BIND,    /* a VF or whole device to vfio-pci */
	PLAN_VFIO_RESTORE, /* back to the driver it had before vfmgr bound it */
	/* RSS of a PF's interface, in this order, after the PF's VF steps: */
	PLAN_RSS_CHANNELS, /* combined channels (may reset the table: before it) */
	PLAN_RSS_TABLE,    /* indirection table */
	PLAN_RSS_KEY,      /* hash key */
	PLAN_RSS_HFUNC,    /* hash function */
	PLAN_RSS_IRQ,      /* queue IRQs over the NIC's local CPUs */
	PLAN_KIND_COUNT,
};

/* PLAN_RSS_*: what one step sets, and what the snapshot had. */
struct plan_rss {
	/* The PF's numvfs changes earlier in the plan: drivers rebuild their queues then, with
	 * other maxima (igb: 8 combined channels without VFs, 2 with), so apply re-reads the
	 * interface, re-checks the request and recomputes the table before writing. */
	bool recheck;
	bool numa_local;      /* TABLE: over the queues whose IRQs are local, worked out at apply */
	struct rss_spec spec; /* the request; spec.channels is the resolved count */
	uint32_t table[RSS_INDIR_MAX]; /* TABLE: for the queues there will be */
	char want[96], was[96];        /* TABLE: "equal 4", "weights 1 2 1 0" */
	uint32_t key_len;              /* KEY: bytes in spec.key_bytes, or the driver's size */
	unsigned irqs_moving;          /* IRQ: queue IRQs not yet on their CPU */
	/* The snapshot. Undoing channels puts back its channel counts and then its table, which
	 * the channel change may have reset; undoing a numvfs change does the same, since drivers
	 * rebuild RSS when VFs come and go. */
	struct rss_state before;
};

struct plan_vf {
	struct vf_write want; /* want.attrs: the groups to write */
	struct vf_config have;
	bool have_known; /* false: made by an earlier step (apply reads it then) */
	bool unverified; /* the kernel's VF list was cut short: written unconditionally */
	char vm[STATE_NAME_LEN];
	bool released;            /* back to its saved settings: vm gives it up */
	unsigned nic, leg;        /* else: the policy's NIC index of vm, and the bond leg */
	enum sriov_impact impact; /* of writing want.attrs (plan_impact) */
};

struct plan_action {
	enum plan_kind kind;
	enum nic_bus bus;
	char addr[NIC_ADDR_LEN];
	char ifname[IF_NAMESIZE];
	char driver[DRIVER_LEN];
	int ifindex;
	unsigned from, to;   /* PLAN_SET_NUMVFS */
	struct plan_vf *vfs; /* PLAN_SET_VFS, by ascending VF index */
	size_t n_vfs, cap_vfs;
	/* PLAN_VFIO_*: the device; a VF made earlier in the plan has no address yet and is
	 * found as VF vf of the PF addr. */
	char dev[NIC_ADDR_LEN];
	bool is_vf;
	unsigned vf;
	char host_driver[DRIVER_LEN]; /* BIND: driver now ("" none); RESTORE: driver to return to */
	char vm[STATE_NAME_LEN];
	/* PLAN_RSS_*; PLAN_SET_NUMVFS of a PF with an rss: block (its undo restores RSS). */
	struct plan_rss *rss;
	/* What the step disrupts, in words, and the VMs it touches ("a, b"; "" none), from the
	 * driver table (plan_impact). driver_known false: tried, then read back. */
	enum sriov_impact impact;
	char impact_why[192];
	char vms[256];
	bool driver_known;
};

struct plan {
	struct plan_action *actions;
	size_t n, cap;
	struct state next; /* the state file after a successful apply */
	/* Each policy PF's device (an index into the host's nics, NO_INDEX: none), as plan_build
	 * matched them, once: a caller that needs them too (the daemon's event map) reads them
	 * here instead of matching again. */
	size_t *pf_match;
};

/* A new action on device n (its first netdev), or NULL when out of memory. */
struct plan_action *plan_new_action(struct plan *pl, enum plan_kind kind, const struct nic *n);

/* Resolves each policy PF to the one host device its match selects; NO_INDEX entries get an
 * error in diags (no device, or several). out has p->n_pfs entries. */
int pfmatch_resolve(const struct policy *p, const struct host *h, size_t *out,
                    struct policy_diags *diags, bool allow_absent);

/* Decides which VF each VM NIC gets: kept from the old state where still valid, else the
 * lowest free VF on the best PF (the VM's NUMA node first). */
int alloc_assign(const struct policy *p, const struct host *h, const size_t *pf_nic,
                 const unsigned *numvfs, const struct state *old, struct state *next,
                 struct policy_diags *diags, bool allow_absent);

/* Functions leaving their VM go back to the driver they had (first in a plan). */
int plan_vfio_restores(const struct host *h, const struct state *old, struct plan *pl);
/* Functions going to VMs are bound to vfio-pci (last in a plan), with the checks that keep
 * it safe: an IOMMU, and whole IOMMU groups. */
int plan_vfio_binds(const struct policy *p, const struct host *h, struct plan *pl,
                    struct policy_diags *d);
/* The devices a VM's passthrough list names, recorded in next (driver_before from h). */
int plan_passthrough_state(const struct policy *p, const struct host *h, const size_t *pf_nic,
                           const struct state *old, struct state *next, struct policy_diags *d,
                           bool allow_absent);

/* The RSS steps one PF's rss: block needs (none when converged), checked against the snapshot
 * before anything is planned: a request the driver cannot take is an error in d at the
 * policy's line. numvfs_changes: an earlier step changes the PF's VF count. With pl NULL it only
 * checks. The management device is refused like any other change to it. */
int plan_rss_pf(const struct policy_pf *pf, const struct nic *n, bool numvfs_changes,
                const struct state *old, struct plan *pl, struct policy_diags *d);
/* `vfmgr rss set`: the steps a request for one interface needs (n: the device with its RSS
 * state read; none when it is met), checked first; -EINVAL with the reason in why. */
int plan_rss_request(const struct rss_spec *s, const struct nic *n, struct plan *pl, char *why,
                     size_t size);
/* The table a request gives for a device that will have nqueues receive queues: the same
 * function at plan time and, for a rechecked step, at apply time. why gets the reason. */
int plan_rss_table(const struct rss_spec *s, const struct rss_state *st, uint32_t nqueues,
                   uint32_t *table, char *why, size_t size);

/* The requests the PF drivers' table says the driver refuses (802.1ad on igb, a minimum rate
 * where there is none, a rate the device cannot take, too many VFs): errors in d at the
 * policy's lines, so nothing is written; warnings only with warn_only (PLAN_DRIVER_WARN). */
int plan_check_drivers(const struct policy *p, const struct host *h, const size_t *pf_nic,
                       const unsigned *numvfs, const struct state *next, bool warn_only,
                       struct policy_diags *d);
/* Fills each step's impact, reason and VMs (old: who holds VFs before the plan). */
void plan_impact(struct plan *pl, const struct host *h, const struct state *old);
/* The first step whose impact is above allow, or pl->n when there is none. */
size_t plan_first_above(const struct plan *pl, enum sriov_impact allow);
/* What apply accepts unless told otherwise: anything short of resetting a PF, whose host link
 * would drop (vfmgr apply --allow pf-reset). */
#define PLAN_ALLOW_DEFAULT SRIOV_IMPACT_VF_DESTROY

/* A policy PF that matches no device is a warning, not an error: the plan covers the PFs
 * that are there and keeps the absent ones' allocations as they are (the daemon, while a NIC
 * is dead or not plugged in yet). The CLI plans strictly: a missing NIC is an error. */
#define PLAN_ALLOW_ABSENT 1u
/* The daemon heals what it can: a setting the driver table says the driver refuses is a
 * warning, the write goes ahead, the kernel refuses that one setting and it stays pending,
 * while every other setting of every VF is put back. A plan error would stop all healing. */
#define PLAN_DRIVER_WARN 2u

/* The policy as planned on this host (plan-hosts.c): *filtered when on-demand VMs that hold
 * nothing in old were left out of *here (a shallow copy; plan_policy_here_free()). */
int plan_policy_here(const struct policy *p, const struct state *old, struct policy *here,
                     bool *filtered);
void plan_policy_here_free(struct policy *here, bool filtered);

/* 0 with the plan, -EINVAL with errors in diags (nothing to apply then), -ENOMEM. */
int plan_build(const struct policy *p, const struct host *h, const struct state *old,
               struct plan *out, struct policy_diags *diags, unsigned flags);
/* Gives one VM's VFs back: their saved settings restored, their allocations dropped. */
int plan_release(const struct host *h, const struct state *old, const char *vm, struct plan *out);
/* Keeps only what concerns one VM (its VFs, their PFs' VF counts, its devices); the next
 * state keeps every other VM's entries as they were in old. */
int plan_restrict_to_vm(struct plan *pl, const struct state *old, const char *vm);
void plan_free(struct plan *pl);
#define _cleanup_plan_ _cleanup_(plan_free) /* on a plan initialized {0} */

/* `vfmgr plan` output: one line per change, "+ ADDR vf N vlan 100 qos 0 (was vlan 0 qos 0)",
 * printed from the same records as plan_to_json's. */
void plan_print(const struct plan *pl, FILE *f);
/* plan_print for a plan made from old: an empty plan that still rewrites the state file (a
 * release cut short, records that changed) says so instead of "no changes". */
void plan_print_from(const struct plan *pl, const struct state *old, FILE *f);
/* {"steps": [one record per step]} (doc/schema/plan.schema.json); NULL when out of memory. */
json_t *plan_to_json(const struct plan *pl);
/* The VF settings by their kernel names, in the groups of enum vf_attr the kernel writes
 * together: the JSON vocabulary of plan, apply and status (vfmgr(8)). */
#define PLAN_VF_GROUPS 6
struct plan_vf_group {
	unsigned attr;
	const char *settings[3];
};
extern const struct plan_vf_group plan_vf_groups[PLAN_VF_GROUPS];
/* One setting of c (a name of plan_vf_groups) as its typed JSON value. */
json_t *plan_vf_setting_json(const char *name, const struct vf_config *c);
/* The records of steps [from, to) as a JSON array. */
json_t *plan_steps_json(const struct plan *pl, size_t from, size_t to);
/* A step in a few words for messages: "0000:01:00.0 numvfs 0 -> 2". */
void plan_step_name(const struct plan_action *a, char *buf, size_t size);
#endif
