/* sriov_numvfs: the kernel's only knob for VF creation. */
#ifndef SRIOV_NUMVFS_H
#define SRIOV_NUMVFS_H

#include <stdbool.h>
#include <stddef.h>

/* Where a PF's sriov_numvfs lives. */
enum nic_bus {
	NIC_BUS_PCI,
	NIC_BUS_NETDEVSIM, /* software PFs for scale tests; no PCI address, no vfio */
};

/* Sets the VF count and waits (bounded) until the VFs exist and, if the PF's link (its
 * ifindex, 0 for none) was up, until it is up again. The kernel only goes N->0->M, so a change
 * between two non-zero counts passes through 0. */
/* Each write is bounded (a driver blocked in it gives -ETIMEDOUT). When the second write of
 * N->0->M fails, the N VFs are made again; *dirty says the PF is left with a VF count that is
 * neither from nor to (or a write never returned). On a failure why says what happened, to
 * follow the PF's address ("set sriov_numvfs 4: ...; numvfs back to 2"). */
int sriov_set_numvfs(enum nic_bus bus, const char *addr, int ifindex, unsigned from, unsigned to,
                     bool *dirty, char *why, size_t whysize);
/* When the PF (by ifindex: its name may change under us) is administratively up but has no
 * carrier (igb after a reset), waits for the carrier, at most SRIOV_LINK_WAIT_SECONDS: igb
 * refuses VF rate limits until the link is back (sriov/pflink.h says why not operstate).
 * -ETIMEDOUT when there is still none then. */
#define SRIOV_LINK_WAIT_SECONDS 10
int sriov_wait_link_if_up(int ifindex);
int sriov_read_numvfs(enum nic_bus bus, const char *addr, unsigned *out);

#endif
