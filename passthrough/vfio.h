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

/* Every function taking why, whysize fills it on a failure with what went wrong, to follow the
 * device's address ("unbind from igbvf: Device or resource busy; back on igbvf"); the caller
 * logs it. */

/* Like libvirt, loads vfio-pci when it is first needed rather than make the admin do it: 1
 * when this call loaded it, 0 when it was there. */
int vfio_load_driver(char *why, size_t whysize);
/* Binds addr to vfio-pci (loading it first) and checks the driver link and /dev/vfio/GROUP (bounded
 * wait). Every write the driver can block in is bounded (-ETIMEDOUT, naming the device). On a
 * failure after the unbind the device goes back to its driver; *dirty says it could not be put back
 * (or a write never returned), so the device is neither as it was nor on vfio-pci. */
int vfio_bind(const char *addr, bool *dirty, char *why, size_t whysize);
/* Takes addr off vfio-pci and gives it back to driver (or leaves it driverless when driver
 * is ""), checking the result. *dirty: it failed after the unbind, addr is on no driver. */
int vfio_restore(const char *addr, const char *driver, bool *dirty, char *why, size_t whysize);

#endif
