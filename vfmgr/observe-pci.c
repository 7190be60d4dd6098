/* Network PCI functions (class 02xx) from libpci, completed with what only sysfs tells:
 * driver, netdevs, IOMMU group members, SR-IOV counts and PF/VF links. */
#include "vfmgr/observe-host.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strcopy.h"
#include "util/sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCI_CLASS_NETWORK    0x02
#define PCI_CLASS_BRIDGE_PCI 0x0604

static void read_sriov(struct nic *n, const char *dev)
{
	long v;

	if (sysfs_read_long(&v, "%s/sriov_totalvfs", dev) < 0)
		return;
	n->sriov_capable = true;
	n->totalvfs = (int)v;
	n->numvfs = sysfs_read_long(&v, "%s/sriov_numvfs", dev) == 0 ? (int)v : 0;
}

/* virtfnN links name the VFs; physfn names the PF. */
static int read_vf_links(struct nic *n, const char *dev)
{
	char name[NIC_ADDR_LEN];
	_cleanup_closedir_ DIR *d = sysfs_opendir("%s", dev);
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		unsigned idx;

		if (sscanf(de->d_name, "virtfn%u", &idx) != 1)
			continue;
		if (sysfs_read_link_name(name, sizeof(name), "%s/%s", dev, de->d_name) < 0)
			continue;
		struct vf_ref *vf = ARRAY_APPEND(n->vfs, n->n_vfs, n->cap_vfs);
		if (!vf)
			return -ENOMEM;
		vf->index = idx;
		snprintf(vf->addr, sizeof(vf->addr), "%s", name);
	}
	if (sysfs_read_link_name(name, sizeof(name), "%s/physfn", dev) == 0)
		snprintf(n->pf_addr, sizeof(n->pf_addr), "%s", name);
	return 0;
}

static int cmp_peer(const void *a, const void *b)
{
	return strcmp(((const struct group_peer *)a)->addr, ((const struct group_peer *)b)->addr);
}

static int read_iommu_group(struct nic *n, const char *dev)
{
	char name[32];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	n->iommu_group = -1;
	if (sysfs_read_link_name(name, sizeof(name), "%s/iommu_group", dev) < 0)
		return 0;
	n->iommu_group = atoi(name);
	d = sysfs_opendir("/sys/kernel/iommu_groups/%s/devices", name);
	if (!d)
		return 0; /* recorded trees may lack the group directory */
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, n->addr) == 0)
			continue;
		struct group_peer *peer =
		    ARRAY_APPEND(n->group_peers, n->n_group_peers, n->cap_group_peers);
		long cls;
		if (!peer)
			return -ENOMEM;
		str_copy(peer->addr, sizeof(peer->addr), de->d_name);
		if (sysfs_read_link_name(peer->driver, sizeof(peer->driver),
		                         "/sys/bus/pci/devices/%s/driver", de->d_name) < 0)
			peer->driver[0] = '\0';
		peer->bridge =
		    sysfs_read_long(&cls, "/sys/bus/pci/devices/%s/class", de->d_name) == 0 &&
		    (cls >> 8) == PCI_CLASS_BRIDGE_PCI;
	}
	if (n->n_group_peers > 1)
		qsort(n->group_peers, n->n_group_peers, sizeof(*n->group_peers), cmp_peer);
	return 0;
}

/* Names come from pci.ids, which takes longer to parse than the rest of a scan; the daemon
 * never shows them, and reads the host on every event. */
static bool lookup_names = true;

void observe_pci_set_names(bool on)
{
	lookup_names = on;
}

static int fill_nic(struct pci_access *pacc, struct pci_dev *pd, struct nic *n)
{
	char dev[PATH_MAX];
	int r;

	n->bus = NIC_BUS_PCI;
	n->pf = NO_INDEX;
	n->vf_index = -1;
	/* The full 32-bit domain: masked to 16 bits, VMD's 10000:... would alias 0000:... */
	snprintf(n->addr, sizeof(n->addr), "%04x:%02x:%02x.%x", (unsigned)pd->domain, pd->bus,
	         pd->dev, pd->func);
	n->vendor_id = pd->vendor_id;
	n->device_id = pd->device_id;
	n->numa_node = pd->numa_node;
	if (!lookup_names ||
	    !pci_lookup_name(pacc, n->vendor, sizeof(n->vendor),
	                     PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS, pd->vendor_id))
		n->vendor[0] = '\0';
	if (!lookup_names || !pci_lookup_name(pacc, n->device, sizeof(n->device),
	                                      PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
	                                      pd->vendor_id, pd->device_id))
		n->device[0] = '\0';

	snprintf(dev, sizeof(dev), "/sys/bus/pci/devices/%s", n->addr);
	if (sysfs_read_link_name(n->driver, sizeof(n->driver), "%s/driver", dev) < 0)
		n->driver[0] = '\0';
	read_sriov(n, dev);
	r = read_vf_links(n, dev);
	if (r < 0)
		return r;
	return read_iommu_group(n, dev);
}

static int cmp_nic(const void *a, const void *b)
{
	/* The order host_find_nic searches in. */
	return host_addr_cmp(((const struct nic *)a)->addr, ((const struct nic *)b)->addr);
}

/* libpci's error hook must not return (its default calls exit()); jump back to observe_pci,
 * which reports the failure instead of ending the process. */
static jmp_buf pci_failed;

static void __attribute__((noreturn)) pci_error(char *msg, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, msg);
	vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	log_error("libpci: %s", buf);
	longjmp(pci_failed, 1);
}

static void pci_quiet(char *msg, ...)
{
	(void)msg;
}

int observe_pci(struct host *h)
{
	struct pci_access *volatile pacc = pci_alloc();
	char sysbus[PATH_MAX];
	volatile int r = 0;

	if (!pacc)
		return -ENOMEM;
	if (setjmp(pci_failed)) {
		r = -EIO;
		goto out;
	}
	pacc->error = pci_error;
	pacc->warning = pci_quiet;
	pacc->debug = pci_quiet;
	pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	r = sysfs_path(sysbus, sizeof(sysbus), "/sys/bus/pci");
	if (r < 0)
		goto out;
	pci_set_param(pacc, "sysfs.path", sysbus);
	pci_init(pacc);
	pci_scan_bus(pacc);
	for (struct pci_dev *pd = pacc->devices; pd; pd = pd->next) {
		/* libpci reads a sysfs file per field asked for: the class alone of the functions
		 * that are not NICs (bridges, storage, ...), the rest only of NICs. */
		pci_fill_info(pd, PCI_FILL_CLASS);
		if ((pd->device_class >> 8) != PCI_CLASS_NETWORK)
			continue;
		pci_fill_info(pd, PCI_FILL_IDENT | PCI_FILL_NUMA_NODE);
		struct nic *n = ARRAY_APPEND(h->nics, h->n_nics, h->cap_nics);
		if (!n) {
			r = -ENOMEM;
			goto out;
		}
		r = fill_nic(pacc, pd, n);
		if (r < 0) {
			log_error("%s: reading sysfs: %s", n->addr, strerror(-r));
			goto out;
		}
	}
	if (h->n_nics > 1)
		qsort(h->nics, h->n_nics, sizeof(*h->nics), cmp_nic);
out:
	pci_cleanup(pacc);
	return r;
}
