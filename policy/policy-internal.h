/* Shared by the policy parser and validator; not for users of the model. */
#ifndef VFMGR_POLICY_INTERNAL_H
#define VFMGR_POLICY_INTERNAL_H

#include "policy/policy.h"

/* Cross-checks a parsed policy, fills the derived fields (name indices) and places each VM
 * NIC on the least loaded PF(s) of its network (nic->pf[], pf->vf_demand), recording every
 * problem in d. Returns 0 or -ENOMEM; errors are counted in d->n_errors. */
int policy_check_and_place(struct policy *p, struct policy_diags *d);

/* MAC claims (nic-mac.c): every leg of every VM NIC, given or derived, needs its own MAC; a
 * second claim on one is an error at the later claim, or at the given one when the other is
 * derived. Also refuses mac-b on a NIC that is not redundant. 0 or -ENOMEM. */
int policy_check_macs(const struct policy *p, struct policy_diags *d);

/* Host selection (hosts.c), between reading and validation: drops the pfs and vms entries
 * sel's host does not select, and pf names they leave dangling in networks' pfs lists, and
 * marks on-demand VMs. sel NULL: this machine, every on-demand VM kept. 0 or -errno. */
int policy_select_host(struct policy *p, const struct policy_select *sel, struct policy_diags *d);
/* What a parse does after reading the document: keep what sel selects, fill in the defaults,
 * check and place. The fleet check runs it on its raw parse when no entry names hosts. */
int policy_finish_as(struct policy *p, const struct policy_select *sel, struct policy_diags *diags);
/* Passed as sel: read only (no selection, no validation), for the fleet check. */
extern const struct policy_select policy_select_raw;
/* Reads a whole policy file (bounded, regular files only); 0, -EINVAL with the reason in d
 * (not a regular file, too large), or -errno. */
int policy_file_read(const char *path, struct policy_diags *d, char **buf, size_t *len);

struct policy_enum_name {
	const char *name;
	int value;
};

/* Value tables, in the order vfmgr-policy(5) lists them. */
extern const struct policy_enum_name policy_class_names[];
extern const struct policy_enum_name policy_vf_driver_names[];
extern const struct policy_enum_name policy_link_state_names[];
extern const struct policy_enum_name policy_proto_names[];
extern const struct policy_enum_name policy_hfunc_names[];
extern const struct policy_enum_name policy_irq_affinity_names[];

const char *policy_enum_lookup_name(const struct policy_enum_name *t, int value);

#endif
