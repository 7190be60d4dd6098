/* vfmgr list: what the host has, as vfmgr sees it. */
#include "vfmgr/cmd.h"
#include "vfmgr/observe-host.h"
#include "vfmgr/cmd-list-json.h"
#include "vfmgr/observe-mgmt.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/table.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static void join_netdevs(const struct nic *n, char *buf, size_t size, int field)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n->n_netdevs && off < size; i++) {
		const struct netdev *nd = &n->netdevs[i];
		char speed[24];
		const char *v;

		snprintf(speed, sizeof(speed), "%ld", nd->speed);
		v = field == 0      ? nd->name
		    : field == 1    ? nd->mac
		    : field == 2    ? nd->operstate
		    : nd->speed > 0 ? speed
		                    : "-";
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? "," : "", v);
	}
}

static void role_text(const struct host *h, const struct nic *n, char *buf, size_t size)
{
	int off;

	if (n->pf != NO_INDEX)
		off = snprintf(buf, size, "vf %d of %s", n->vf_index, h->nics[n->pf].addr);
	else
		off = snprintf(buf, size, "%s", list_role(n));
	if (n->management && off >= 0 && (size_t)off < size)
		snprintf(buf + off, size - (size_t)off, ",management");
}

static int nic_row(struct table *t, size_t i, const void *arg)
{
	const struct host *h = arg;
	const struct nic *n = &h->nics[i];
	char id[16] = "", nd[128], mac[128], st[64], sp[64], numa[16] = "", grp[16] = "",
	     vfs[32] = "", role[64];

	if (n->bus == NIC_BUS_PCI)
		snprintf(id, sizeof(id), "%04x:%04x", n->vendor_id, n->device_id);
	join_netdevs(n, nd, sizeof(nd), 0);
	join_netdevs(n, mac, sizeof(mac), 1);
	join_netdevs(n, st, sizeof(st), 2);
	join_netdevs(n, sp, sizeof(sp), 3);
	if (n->numa_node >= 0)
		snprintf(numa, sizeof(numa), "%d", n->numa_node);
	if (n->iommu_group >= 0)
		snprintf(grp, sizeof(grp), "%d", n->iommu_group);
	if (n->sriov_capable && n->totalvfs >= 0)
		snprintf(vfs, sizeof(vfs), "%d/%d", n->numvfs, n->totalvfs);
	else if (n->sriov_capable)
		snprintf(vfs, sizeof(vfs), "%d", n->numvfs);
	role_text(h, n, role, sizeof(role));
	const char *row[] = {n->addr, id,   n->driver, nd,  mac,  st,
	                     sp,      numa, grp,       vfs, role, n->device};
	return table_add_row(t, row);
}

static int print_table(const struct host *h)
{
	static const char *const head[] = {"DEVICE", "ID",   "DRIVER", "NETDEV", "MAC",  "STATE",
	                                   "SPEED",  "NUMA", "IOMMU",  "VFS",    "ROLE", "NAME"};

	return table_print_rows(stdout, ARRAY_SIZE(head), head, h->n_nics, nic_row, h);
}

int cmd_list(const struct cmd_args *a)
{
	struct host h;
	int r;

	r = observe_host(&h);
	if (r < 0) {
		log_error("cannot read the host's devices: %s", strerror(-r));
		return EXIT_FAIL;
	}
	r = mgmt_observe(&h);
	if (r < 0)
		log_warn("cannot tell which device carries the management path: %s; none is marked",
		         strerror(-r));
	r = a->json ? cmd_json_print(list_json(&h), stdout) : print_table(&h);
	host_free(&h);
	if (r < 0) {
		log_error("list: %s", strerror(-r));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
