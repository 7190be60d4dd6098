#include "passthrough/iommu.h"
#include "passthrough/vfio.h"
#include "util/cleanup.h"
#include "util/sysfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PCI_CLASS_BRIDGE_PCI 0x0604

static bool listed(const char *addr, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], addr) == 0)
			return true;
	return false;
}

int iommu_group_viable(const char *addr, const char *const *binding, size_t n, char *why,
                       size_t whysize)
{
	int g = vfio_group(addr);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (g < 0)
		return g;
	d = sysfs_opendir("/sys/kernel/iommu_groups/%d/devices", g);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char drv[64];
		long cls;

		if (de->d_name[0] == '.' || strcmp(de->d_name, addr) == 0 ||
		    listed(de->d_name, binding, n))
			continue;
		if (vfio_current_driver(de->d_name, drv, sizeof(drv)) < 0)
			continue;
		if (!drv[0] || strcmp(drv, VFIO_DRIVER) == 0)
			continue;
		if (sysfs_read_long(&cls, "/sys/bus/pci/devices/%s/class", de->d_name) == 0 &&
		    (cls >> 8) == PCI_CLASS_BRIDGE_PCI)
			continue;
		snprintf(why, whysize,
		         "IOMMU group %d also holds %s, which is bound to %s on the host; pass the "
		         "whole group through or none of it",
		         g, de->d_name, drv);
		return -EBUSY;
	}
	return 0;
}
