/* A PF's link as its driver has it at this moment. operstate is not that: the kernel derives
 * it from the carrier in its linkwatch work, which runs up to a second later and waits for the
 * RTNL (held while VFs are being probed). Right after igb resets the PF for a VF count change,
 * operstate can still say "up" while igb already refuses VF rate limits (E1000_STATUS_LU), and
 * say "down" after the link is back. carrier is netif_carrier_ok() itself, which the driver sets
 * off in its close and on when its watchdog sees the link. */
#ifndef SRIOV_PFLINK_H
#define SRIOV_PFLINK_H

enum pf_link {
	PF_LINK_UNKNOWN,    /* no such interface, or unreadable: never waited for */
	PF_LINK_ADMIN_DOWN, /* not IFF_UP: no link will come, nobody waits for one */
	PF_LINK_NO_CARRIER, /* up without carrier: a reset in progress, or no cable */
	PF_LINK_UP,         /* carrier (drivers that never report one, netdevsim, say so too) */
};

/* The interface with this ifindex, looked up now: right after a driver bind udev renames the
 * PF while its VFs are made, and a VF's netdev may hold the PF's old name for a moment. */
enum pf_link sriov_pf_link(int ifindex);
/* The interface under a sysfs directory (/sys/class/net/X, /sys/bus/pci/devices/A/net/X). */
enum pf_link sriov_pf_link_at(int dfd);
/* For messages and the unit tests: "admin-down", "no-carrier", "up", "unknown". */
const char *sriov_pf_link_name(enum pf_link l);

#endif
