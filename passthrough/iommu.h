/* IOMMU group viability: a group goes to a VM whole or not at all. */
#ifndef VFMGR_PASSTHROUGH_IOMMU_H
#define VFMGR_PASSTHROUGH_IOMMU_H

#include <stdbool.h>
#include <stddef.h>

/* Checks that once the functions in `binding` are on vfio-pci, every other member of addr's
 * group is on vfio-pci, driverless, or a PCI bridge. On refusal writes the offending member
 * and its driver into why. 0, -EBUSY (not viable), or another -errno. */
int iommu_group_viable(const char *addr, const char *const *binding, size_t n, char *why,
                       size_t whysize);

#endif
