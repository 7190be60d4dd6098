/* Handing PCI functions to vfio-pci and back, the way the kernel wants it: driver_override,
 * unbind, drivers_probe; and back: clear the override, unbind, reprobe. */
#ifndef VFMGR_PASSTHROUGH_VFIO_H
#define VFMGR_PASSTHROUGH_VFIO_H

#include <stdbool.h>
#include <stddef.h>

#define VFIO_DRIVER "vfio-pci"

/* The driver bound to a PCI function ("" when none). */
int vfio_current_driver(const char *addr, char *buf, size_t size);
/* The function's IOMMU group number, -ENOENT when it has none (no IOMMU). */
int vfio_group(const char *addr);
/* True when the kernel has an IOMMU (/sys/class/iommu has an entry). */
bool vfio_iommu_present(void);

/* Binds addr to vfio-pci and checks the driver link and /dev/vfio/GROUP (bounded wait). Every
 * write the driver can block in is bounded (-ETIMEDOUT, naming the device). On a failure after
 * the unbind the device goes back to its driver; *dirty says it could not be put back (or a
 * write never returned), so the device is neither as it was nor on vfio-pci. */
int vfio_bind(const char *addr, bool *dirty);
/* Takes addr off vfio-pci and gives it back to driver (or leaves it driverless when driver
 * is ""), checking the result. *dirty: it failed after the unbind, addr is on no driver. */
int vfio_restore(const char *addr, const char *driver, bool *dirty);

#endif
