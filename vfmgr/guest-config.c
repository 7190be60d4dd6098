/* The guest's network configuration, built from the policy as netplan's version 2 model. */
#include "vfmgr/guest-config.h"

#include <errno.h>
#include <stdio.h>

/* A leg reaches the VM when its VF goes to vfio-pci: the NIC's own vf-driver, else its PF's. */
static bool leg_in_vm(const struct policy *p, const struct policy_nic *nic, unsigned leg)
{
	int drv = nic->vf_driver.set || nic->pf[leg] == POLICY_NONE
	              ? nic->vf_driver.value
	              : p->pfs[nic->pf[leg]].vf_driver.value;

	return drv == POLICY_VF_DRIVER_VFIO_PCI;
}

/* One leg's entry under ethernets. A migratable leg is three netdevs with one MAC in the
 * guest (net_failover's master, its virtio-net standby and the VF as primary); only the
 * master, whose driver is net_failover, may be configured, so the match names the driver
 * too. netplan matches the permanent MAC, which the master takes from its standby. */
static json_t *leg_entry(const struct policy_vm *vm, size_t n, unsigned leg)
{
	const struct policy_nic *nic = &vm->nics[n];
	char mac[MAC_STR_LEN];
	uint8_t addr[MAC_LEN];
	json_t *match;

	policy_nic_mac(vm, n, leg, addr);
	format_mac(addr, mac);
	match = nic->migratable.value
	            ? json_pack("{s:s, s:s}", "macaddress", mac, "driver", "net_failover")
	            : json_pack("{s:s}", "macaddress", mac);
	return json_pack("{s:o}", "match", match);
}

/* Each VF's MAC is set from the PF side, and with spoof checking on a VF cannot send with
 * another: the bond must not give its slaves its own MAC (fail_over_mac none), it takes the
 * active leg's (active) and announces the change with a gratuitous ARP. */
static json_t *bond_entry(const char *a, const char *b)
{
	return json_pack("{s:[s,s], s:{s:s, s:s, s:i, s:s}}", "interfaces", a, b, "parameters",
	                 "mode", "active-backup", "primary", a, "mii-monitor-interval",
	                 GUEST_BOND_MII_MS, "fail-over-mac-policy", "active");
}

/* The network's mtu, when it has one, on the device the guest configures: a lone leg, or the
 * bond (which gives it to its legs; a net_failover master gives it to its standby and VF). */
static int set_mtu(json_t *dev, const struct policy_network *net)
{
	if (!net->mtu.set)
		return 0;
	return json_object_set_new(dev, "mtu", json_integer(net->mtu.value)) < 0 ? -ENOMEM : 0;
}

static int add_nic(const struct policy *p, const struct policy_vm *vm, size_t n, json_t *eth,
                   json_t *bonds)
{
	const struct policy_nic *nic = &vm->nics[n];
	const struct policy_network *net = &p->networks[nic->network.index];
	unsigned legs = nic->redundant.value ? 2 : 1, in = 0;
	char id[2][32], bond[32];
	json_t *dev = NULL;

	for (unsigned leg = 0; leg < legs; leg++) {
		snprintf(id[leg], sizeof(id[leg]), "nic%zu%s", n, leg ? "b" : "");
		if (!leg_in_vm(p, nic, leg))
			continue;
		dev = leg_entry(vm, n, leg);
		if (json_object_set_new(eth, id[leg], dev) < 0)
			return -ENOMEM;
		in++;
	}
	if (in == 1)
		return set_mtu(dev, net);
	if (in < 2)
		return 0;
	snprintf(bond, sizeof(bond), "bond%zu", n);
	dev = bond_entry(id[0], id[1]);
	if (json_object_set_new(bonds, bond, dev) < 0)
		return -ENOMEM;
	return set_mtu(dev, net);
}

/* A whole PF keeps its own MAC; the policy knows it only when the PF is matched by MAC. */
static int add_passthrough(const struct policy *p, const struct policy_vm *vm, size_t i,
                           json_t *eth, size_t *skipped)
{
	const struct policy_passthrough *pt = &vm->passthrough[i];
	const struct policy_pf *pf =
	    pt->kind == POLICY_PASSTHROUGH_PF && pt->pf.index != POLICY_NONE ? &p->pfs[pt->pf.index]
	                                                                     : NULL;
	char id[32], mac[MAC_STR_LEN];

	if (!pf || !pf->match.mac.set) {
		++*skipped;
		return 0;
	}
	snprintf(id, sizeof(id), "pt%zu", i);
	format_mac(pf->match.mac.addr, mac);
	return json_object_set_new(eth, id, json_pack("{s:{s:s}}", "match", "macaddress", mac)) < 0
	           ? -ENOMEM
	           : 0;
}

json_t *guest_config_build(const struct policy *p, size_t v, size_t *skipped)
{
	const struct policy_vm *vm = &p->vms[v];
	json_t *eth = json_object(), *bonds = json_object(), *net = NULL;
	size_t skip = 0;
	int r = eth && bonds ? 0 : -ENOMEM;

	for (size_t n = 0; r == 0 && n < vm->n_nics; n++)
		r = add_nic(p, vm, n, eth, bonds);
	for (size_t i = 0; r == 0 && i < vm->n_passthrough; i++)
		r = add_passthrough(p, vm, i, eth, &skip);
	if (r == 0)
		net = json_pack("{s:i}", "version", 2);
	if (net && json_object_size(eth) && json_object_set(net, "ethernets", eth) < 0)
		r = -ENOMEM;
	if (net && json_object_size(bonds) && json_object_set(net, "bonds", bonds) < 0)
		r = -ENOMEM;
	json_decref(eth);
	json_decref(bonds);
	if (skipped)
		*skipped = skip;
	if (r < 0 || !net) {
		json_decref(net);
		return NULL;
	}
	return json_pack("{s:o}", "network", net);
}
