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

/* udev renames an interface right after its driver binds (eth0 -> enp4s0), and a VF made
 * meanwhile may take the old name for a moment: read by name, one netdev's attributes could
 * be half another's, or its ifindex lost. So everything is read from its directory, opened
 * once, and its name is the one its own uevent gives now. */
static void read_netdev(int dfd, struct netdev *nd)
{
	char ue[512];
	long v;

	if (sysfs_read_str_at(dfd, "address", nd->mac, sizeof(nd->mac)) < 0)
		nd->mac[0] = '\0';
	if (sysfs_read_str_at(dfd, "operstate", nd->operstate, sizeof(nd->operstate)) < 0)
		snprintf(nd->operstate, sizeof(nd->operstate), "unknown");
	/* speed reads EINVAL while the link is down; -1 means "not known". */
	nd->speed = sysfs_read_long_at(dfd, "speed", &v) == 0 && v > 0 ? v : -1;
	nd->ifindex = sysfs_read_long_at(dfd, "ifindex", &v) == 0 ? (int)v : 0;
	if (sysfs_read_str_at(dfd, "uevent", ue, sizeof(ue)) == 0)
		for (char *line = ue, *next; line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			if (strncmp(line, "INTERFACE=", 10) == 0 && strlen(line + 10) < IF_NAMESIZE)
				str_copy(nd->name, sizeof(nd->name), line + 10);
		}
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
		_cleanup_closedir_ DIR *nd_dir = NULL;
		ssize_t len;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= IF_NAMESIZE)
			continue;
		nd_dir = sysfs_opendir("/sys/class/net/%s", de->d_name);
		if (!nd_dir) /* gone, or renamed since the listing: its own event follows */
			continue;
		int dfd = dirfd(nd_dir);
		/* The owner is where the opened directory is, not where the name points now. */
		snprintf(p, sizeof(p), "/proc/self/fd/%d", dfd);
		len = readlink(p, target, sizeof(target) - 1);
		if (len < 0)
			return -errno;
		target[len] = '\0';
		size_t i = owner_of(h, target);
		if (i == NO_INDEX)
			continue;
		struct nic *nic = &h->nics[i];
		struct netdev *nd = ARRAY_APPEND(nic->netdevs, nic->n_netdevs, nic->cap_netdevs);
		if (!nd)
			return -ENOMEM;
		str_copy(nd->name, sizeof(nd->name), de->d_name);
		read_netdev(dfd, nd);
	}
	for (size_t i = 0; i < h->n_nics; i++)
		if (h->nics[i].n_netdevs > 1)
			qsort(h->nics[i].netdevs, h->nics[i].n_netdevs, sizeof(struct netdev),
			      cmp_netdev);
	return 0;
}
