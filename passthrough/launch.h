/* What a VM needs on its command line (QEMU) or in its domain XML (libvirt) to get its
 * devices. */
#ifndef VFMGR_PASSTHROUGH_LAUNCH_H
#define VFMGR_PASSTHROUGH_LAUNCH_H

#include "util/parse.h"

#include <stdbool.h>
#include <stdio.h>

enum launch_kind {
	LAUNCH_NIC,     /* a VF carrying a VM NIC: MAC and VLAN set on the PF side */
	LAUNCH_HOSTDEV, /* a whole device */
};

struct launch_dev {
	enum launch_kind kind;
	char addr[PCI_ADDR_STR_LEN];
	uint8_t mac[MAC_LEN];
	unsigned vlan;
	/* A NIC that must survive live migration gets a virtio-net standby twin (QEMU failover):
	 * the guest bonds them, and QEMU unplugs the VF before migrating. */
	bool migratable;
	char id[96];
};

/* One "-device ..." per line, ready for `qemu-system-x86_64 ... $(vfmgr qemu-args VM)`.
 * With json, the -device values are QEMU's JSON form. A migratable NIC's standby refers to
 * netdev "<id>-net", which the caller provides (-netdev tap,id=<id>-net,...). */
int launch_print_qemu(const struct launch_dev *d, size_t n, bool json, FILE *f);
/* <interface type='hostdev'> for NICs, <hostdev> for whole devices, managed='no' (vfmgr has
 * already bound them). */
int launch_print_libvirt(const struct launch_dev *d, size_t n, FILE *f);

#endif
