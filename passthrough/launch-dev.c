/* Checks shared by the QEMU and libvirt emitters: what they print must be what it claims to
 * be, whatever a state file held. */
#include "passthrough/launch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ID_ALPHA "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* QEMU's id_wellformed() rule; libvirt's aliasName pattern is a superset of it. */
bool launch_id_valid(const char *id)
{
	size_t len = strlen(id);

	return len > 0 && strchr(ID_ALPHA, id[0]) && strspn(id, ID_ALPHA "0123456789-._") == len;
}

int launch_dev_check(const struct launch_dev *d, char *why, size_t whysize)
{
	struct pci_addr a;

	if (!launch_id_valid(d->id)) {
		snprintf(why, whysize,
		         "device id '%s' is not a QEMU or libvirt identifier (a letter, then "
		         "letters, digits, '-', '.' or '_'): check the VM's name in the state file",
		         d->id);
		return -EINVAL;
	}
	if (parse_pci_addr(d->addr, &a) < 0) {
		snprintf(why, whysize,
		         "%s: '%s' is not a PCI address (dddd:bb:dd.f): check the state file",
		         d->id, d->addr);
		return -EINVAL;
	}
	return 0;
}

int launch_devs_check_macs(const struct launch_dev *d, size_t n, char *why, size_t whysize)
{
	char mac[MAC_STR_LEN];

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; d[i].kind == LAUNCH_NIC && j < n; j++) {
			if (d[j].kind != LAUNCH_NIC || memcmp(d[i].mac, d[j].mac, MAC_LEN) != 0)
				continue;
			format_mac(d[i].mac, mac);
			snprintf(
			    why, whysize,
			    "%s and %s have one MAC, %s: the guest's net_failover and bonding "
			    "tell NICs apart by MAC; run vfmgr apply (or vfmgr prepare), which "
			    "gives each leg its own (vfmgr-policy(5), mac-b)",
			    d[i].id, d[j].id, mac);
			return -EINVAL;
		}
	return 0;
}

void launch_standby_netdev(const struct launch_dev *d, char *buf, size_t size)
{
	snprintf(buf, size, "%s-net", d->id);
}
