#include "vfmgr/cmd-list-json.h"

#include <stdio.h>

const char *list_role(const struct nic *n)
{
	return n->pf != NO_INDEX ? "vf" : n->sriov_capable ? "pf" : "nic";
}

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *int_or_null(long v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *netdevs_json(const struct nic *n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n->n_netdevs; i++) {
		const struct netdev *nd = &n->netdevs[i];
		json_array_append_new(a, json_pack("{s:s, s:o, s:s, s:o}", "ifname", nd->name,
		                                   "mac", str_or_null(nd->mac), "operstate",
		                                   nd->operstate, "speed", int_or_null(nd->speed)));
	}
	return a;
}

static json_t *vf_json(const struct host *h, const struct vf_ref *vf)
{
	const struct nic *v = vf->nic != NO_INDEX ? &h->nics[vf->nic] : NULL;

	return json_pack("{s:i, s:o, s:o, s:o}", "vf_index", (int)vf->index, "vf_address",
	                 str_or_null(vf->addr), "driver", str_or_null(v ? v->driver : NULL),
	                 "ifname", str_or_null(v && v->n_netdevs ? v->netdevs[0].name : NULL));
}

static json_t *sriov_json(const struct host *h, const struct nic *n)
{
	json_t *vfs;

	if (!n->sriov_capable)
		return json_null();
	vfs = json_array();
	for (size_t i = 0; vfs && i < n->n_vfs; i++)
		json_array_append_new(vfs, vf_json(h, &n->vfs[i]));
	return json_pack("{s:o, s:i, s:o}", "totalvfs", int_or_null(n->totalvfs), "numvfs",
	                 n->numvfs, "vfs", vfs ? vfs : json_null());
}

/* A VF's PF: its address and first interface. */
static json_t *pf_ifname(const struct host *h, const struct nic *n)
{
	const struct nic *pf = n->pf != NO_INDEX ? &h->nics[n->pf] : NULL;

	return str_or_null(pf && pf->n_netdevs ? pf->netdevs[0].name : NULL);
}

static json_t *peers_json(const struct nic *n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n->n_group_peers; i++)
		json_array_append_new(a, json_string(n->group_peers[i].addr));
	return a;
}

static json_t *nic_json(const struct host *h, const struct nic *n)
{
	char vid[8] = "", did[8] = "";

	if (n->bus == NIC_BUS_PCI) {
		snprintf(vid, sizeof(vid), "%04x", n->vendor_id);
		snprintf(did, sizeof(did), "%04x", n->device_id);
	}
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	                 "s:o, s:o, s:b, s:o}",
	                 "address", n->addr, "role", list_role(n), "bus",
	                 n->bus == NIC_BUS_PCI ? "pci" : "netdevsim", "vendor_id", str_or_null(vid),
	                 "device_id", str_or_null(did), "vendor", str_or_null(n->vendor), "device",
	                 str_or_null(n->device), "driver", str_or_null(n->driver), "numa_node",
	                 int_or_null(n->numa_node), "iommu_group", int_or_null(n->iommu_group),
	                 "iommu_group_peers", n->iommu_group >= 0 ? peers_json(n) : json_null(),
	                 "netdevs", netdevs_json(n), "sriov", sriov_json(h, n), "pf_address",
	                 n->pf != NO_INDEX ? json_string(h->nics[n->pf].addr) : json_null(),
	                 "pf_ifname", pf_ifname(h, n), "vf_index",
	                 n->pf != NO_INDEX ? json_integer(n->vf_index) : json_null(), "management",
	                 n->management, "management_reason",
	                 str_or_null(n->management ? n->management_why : NULL));
}

json_t *list_json(const struct host *h)
{
	json_t *devs = json_array();

	for (size_t i = 0; devs && i < h->n_nics; i++) {
		json_t *d = nic_json(h, &h->nics[i]);
		if (!d || json_array_append_new(devs, d) < 0) {
			json_decref(devs);
			return NULL;
		}
	}
	return devs ? json_pack("{s:o}", "devices", devs) : NULL;
}
