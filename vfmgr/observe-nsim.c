/* netdevsim devices: software NICs with SR-IOV VF bookkeeping but no PCI function behind them.
 * They stand in for PFs in scale tests; a real host has none. */
#include "vfmgr/observe-host.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fill_nsim(struct nic *n, const char *name)
{
	char dev[PATH_MAX];
	long v;

	n->bus = NIC_BUS_NETDEVSIM;
	n->pf = NO_INDEX;
	n->vf_index = -1;
	n->numa_node = -1;
	n->iommu_group = -1;
	snprintf(n->addr, sizeof(n->addr), "%s", name);
	snprintf(n->driver, sizeof(n->driver), "netdevsim");
	snprintf(dev, sizeof(dev), "/sys/bus/netdevsim/devices/%s", name);
	if (sysfs_read_long(&v, "%s/sriov_numvfs", dev) == 0) {
		n->sriov_capable = true;
		n->numvfs = (int)v;
		/* netdevsim keeps its VF limit in debugfs only; -1 when debugfs is not mounted. */
		n->totalvfs =
		    sysfs_read_long(&v, "/sys/kernel/debug/netdevsim/%s/max_vfs", name) == 0
		        ? (int)v
		        : -1;
		for (int i = 0; i < n->numvfs; i++) {
			struct vf_ref *vf = ARRAY_APPEND(n->vfs, n->n_vfs, n->cap_vfs);
			if (!vf)
				return -ENOMEM;
			vf->index = (unsigned)i;
			vf->nic = NO_INDEX;
		}
	}
	return 0;
}

static int cmp_nsim(const void *a, const void *b)
{
	/* Numeric order: netdevsim2 before netdevsim10. */
	return strverscmp(((const struct nic *)a)->addr, ((const struct nic *)b)->addr);
}

int observe_netdevsim(struct host *h)
{
	_cleanup_closedir_ DIR *d = sysfs_opendir("/sys/bus/netdevsim/devices");
	struct dirent *de;
	size_t first = h->n_nics;
	int r;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "netdevsim", 9) != 0)
			continue;
		struct nic *n = ARRAY_APPEND(h->nics, h->n_nics, h->cap_nics);
		if (!n)
			return -ENOMEM;
		r = fill_nsim(n, de->d_name);
		if (r < 0)
			return r;
	}
	if (h->n_nics - first > 1)
		qsort(h->nics + first, h->n_nics - first, sizeof(*h->nics), cmp_nsim);
	return 0;
}
