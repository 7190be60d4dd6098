/* What a VM's own OS must configure for the devices vfmgr gives it, as netplan / cloud-init
 * network-config version 2: each VF matched by its MAC, a redundant NIC's legs as an
 * active-backup bond, a migratable NIC's net_failover master (vfmgr guest-config). */
#ifndef VFMGR_GUEST_CONFIG_H
#define VFMGR_GUEST_CONFIG_H

#include "policy/policy.h"

#include <jansson.h>

/* The bond's link monitoring: a VF's link follows its PF's carrier (link-state auto). */
#define GUEST_BOND_MII_MS 100

/* {"network": {"version": 2, "ethernets": {...}, "bonds": {...}}} for vm (an index into
 * p->vms), from the policy alone: the MACs are policy_nic_mac's, the ones apply and prepare
 * set on the VFs. NULL when out of memory. Whole devices whose MAC the policy does not know
 * are left out; *skipped (may be NULL) gets their count. */
json_t *guest_config_build(const struct policy *p, size_t vm, size_t *skipped);

#endif
