/* Network interfaces, read from sysfs and attributed to the function that owns them. */
#include "vfmgr/observe-host.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/strcopy.h"
#include "util/sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void read_netdev(struct netdev *nd)
{
	long v;

	if (sysfs_read_str(nd->mac, sizeof(nd->mac), "/sys/class/net/%s/address", nd->name) < 0)
		nd->mac[0] = '\0';
	if (sysfs_read_str(nd->operstate, sizeof(nd->operstate), "/sys/class/net/%s/operstate",
	                   nd->name) < 0)
		snprintf(nd->operstate, sizeof(nd->operstate), "unknown");
	/* speed reads EINVAL while the link is down; -1 means "not known". */
	nd->speed = sysfs_read_long(&v, "/sys/class/net/%s/speed", nd->name) == 0 && v > 0 ? v : -1;
	nd->ifindex = sysfs_read_long(&v, "/sys/class/net/%s/ifindex", nd->name) == 0 ? (int)v : 0;
}

/* The device that owns a netdev is the nearest PCI function (or netdevsim device) above it
 * in its sysfs path: ".../0000:00:03.0/virtio0/net/eth0" belongs to 0000:00:03.0. */
static size_t owner_of(const struct host *h, char *devpath)
{
	size_t owner = NO_INDEX;
	char *save = NULL;

	for (char *c = strtok_r(devpath, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		struct pci_addr a;
		size_t i;

		if (parse_pci_addr(c, &a) < 0 && strncmp(c, "netdevsim", 9) != 0)
			continue;
		i = host_find_nic(h, c);
		if (i != NO_INDEX)
			owner = i;
	}
	return owner;
}

static int cmp_netdev(const void *a, const void *b)
{
	return strcmp(((const struct netdev *)a)->name, ((const struct netdev *)b)->name);
}

int observe_netdevs(struct host *h)
{
	_cleanup_closedir_ DIR *d = sysfs_opendir("/sys/class/net");
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char p[PATH_MAX], target[PATH_MAX];
		ssize_t len;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= IF_NAMESIZE)
			continue;
		if (sysfs_path(p, sizeof(p), "/sys/class/net/%s", de->d_name) < 0)
			continue;
		len = readlink(p, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		size_t i = owner_of(h, target);
		if (i == NO_INDEX)
			continue;
		struct nic *nic = &h->nics[i];
		struct netdev *nd = ARRAY_APPEND(nic->netdevs, nic->n_netdevs, nic->cap_netdevs);
		if (!nd)
			return -ENOMEM;
		str_copy(nd->name, sizeof(nd->name), de->d_name);
		read_netdev(nd);
	}
	for (size_t i = 0; i < h->n_nics; i++)
		if (h->nics[i].n_netdevs > 1)
			qsort(h->nics[i].netdevs, h->nics[i].n_netdevs, sizeof(struct netdev),
			      cmp_netdev);
	return 0;
}
