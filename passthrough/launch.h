/* What a VM needs on its command line (QEMU) or in its domain XML (libvirt) to get its
 * devices. Every value is checked or quoted before it is printed: a device's address is
 * re-formatted from its parsed form, ids must be plain identifiers, QEMU option values have
 * their commas doubled and XML attribute values are escaped, so nothing read from a state file
 * can add options, arguments or elements. */
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

/* An id QEMU and libvirt both take: a letter, then letters, digits, '-', '.' or '_'. */
bool launch_id_valid(const char *id);
/* Every function taking why, whysize fills it on a failure with what was refused and why,
 * naming the device or option; the caller logs it. */

/* 0, or -EINVAL (why names the device) when its address or id cannot be printed. */
int launch_dev_check(const struct launch_dev *d, char *why, size_t whysize);

/* 0, or -EINVAL (why names both) when two NICs have one MAC: a state written before each leg
 * of a redundant NIC had its own MAC. */
int launch_devs_check_macs(const struct launch_dev *d, size_t n, char *why, size_t whysize);

/* s as a QEMU key=value option value: each ',' doubled, so it cannot end the value. */
void launch_qemu_print_value(const char *s, FILE *f);
/* s as an XML attribute value (between either quote): &, <, >, ' and " escaped; -EINVAL
 * (nothing printed) for control characters, which XML 1.0 cannot carry. */
int launch_xml_print_attr(const char *s, FILE *f, char *why, size_t whysize);

/* The netdev a failover standby uses: "<id>-net". */
void launch_standby_netdev(const struct launch_dev *d, char *buf, size_t size);

struct launch_qemu_opts {
	bool json; /* the -device values in QEMU's JSON form */
	/* When set, "-netdev <netdev>,id=<id>-net" is printed before each failover standby (e.g.
	 * "bridge,br=br0" or "tap,vhost=on"); when NULL the caller defines those netdevs. */
	const char *netdev;
};

/* One "-device ..." per line, ready for `qemu-system-x86_64 ... $(vfmgr qemu-args VM)`. */
int launch_print_qemu(const struct launch_dev *d, size_t n, const struct launch_qemu_opts *o,
                      FILE *f, char *why, size_t whysize);

/* Where the virtio standby of a migratable NIC connects in libvirt: <interface type=...>. */
enum launch_standby_type {
	LAUNCH_STANDBY_NETWORK, /* <source network='NAME'/> */
	LAUNCH_STANDBY_BRIDGE,  /* <source bridge='NAME'/> */
	LAUNCH_STANDBY_USER,    /* user-mode networking, no source */
};

struct launch_standby {
	enum launch_standby_type type;
	char source[64];
};

/* "network=NAME", "bridge=NAME" or "user"; 0 or -EINVAL. */
int launch_standby_parse(const char *s, struct launch_standby *out, char *why, size_t whysize);

/* <hostdev mode='subsystem' type='pci' managed='no'> per VF and per whole device (vfmgr has
 * already bound them and set the VFs' MAC, VLAN, QoS and spoof check on the PF side, which
 * libvirt leaves alone for a plain <hostdev>). A migratable NIC's VF gets <teaming
 * type='transient'> and a virtio <interface> with <teaming type='persistent'/> on standby. */
int launch_print_libvirt(const struct launch_dev *d, size_t n, const struct launch_standby *sb,
                         FILE *f, char *why, size_t whysize);

#endif
