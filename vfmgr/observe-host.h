/* The observed host: network functions (PFs, VFs, plain NICs), their drivers and netdevs.
 * Filled by observe, read by list, plan and status; never modified after observation. */
#ifndef VFMGR_HOST_H
#define VFMGR_HOST_H

#include "rss/ethtool.h"
#include "rss/irq.h"
#include "util/cleanup.h"
#include "util/parse.h"
#include "sriov/numvfs.h"
#include "sriov/vfnl.h"

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NIC_ADDR_LEN 32
#define DRIVER_LEN   64
#define NO_INDEX     ((size_t)-1)

struct netdev {
	char name[IF_NAMESIZE];
	char mac[MAC_STR_LEN];
	char operstate[16];
	long speed; /* Mbit/s; -1 when the link is down or the driver does not say */
	int ifindex;
};

struct vf_ref {
	unsigned index;
	char addr[NIC_ADDR_LEN]; /* PCI address of the VF, "" for netdevsim */
	size_t nic; /* the VF's own entry in host->nics, NO_INDEX when it has none (netdevsim) */
};

struct group_peer {
	char addr[NIC_ADDR_LEN];
	char driver[DRIVER_LEN]; /* "" when none */
	bool bridge;             /* a PCI bridge never blocks passthrough of its group */
};

/* RSS of a PF's interface, read only for PFs whose policy has an rss: block (observe_rss). */
struct nic_rss {
	int err; /* < 0: could not be read; the planner reports it if RSS has to change */
	struct rss_state st;
	struct rss_irqs irqs;
};

struct nic {
	enum nic_bus bus;
	char addr[NIC_ADDR_LEN]; /* "0000:01:00.0" or "netdevsim1" */
	uint16_t vendor_id, device_id;
	char vendor[96], device[128]; /* pci.ids names, "" when unknown */
	char driver[DRIVER_LEN];      /* "" when no driver is bound */
	struct netdev *netdevs;
	size_t n_netdevs, cap_netdevs;
	int numa_node;                  /* -1 when the platform does not say */
	int iommu_group;                /* -1 when there is no IOMMU group */
	struct group_peer *group_peers; /* other devices in the same IOMMU group */
	size_t n_group_peers, cap_group_peers;
	bool sriov_capable;
	int totalvfs, numvfs;
	struct vf_ref *vfs; /* sorted by VF index */
	size_t n_vfs, cap_vfs;
	size_t pf;    /* for a VF: its PF's entry in host->nics; NO_INDEX otherwise */
	int vf_index; /* for a VF: its index on the PF; -1 otherwise */
	char pf_addr[NIC_ADDR_LEN];
	bool management;
	char management_why[256];
	/* VF settings from rtnetlink (observe_vf_settings); vf_settings_err < 0 when unread. */
	struct pf_vfs vf_settings;
	int vf_settings_err;
	struct nic_rss *rss; /* NULL when not read */
};

struct host {
	struct nic *nics; /* PCI functions sorted by address, then netdevsim devices */
	size_t n_nics, cap_nics;
	bool iommu; /* the kernel has an IOMMU: vfio passthrough is possible */
};

void host_free(struct host *h);
#define _cleanup_host_ _cleanup_(host_free) /* on a host initialized {0} */
/* The order of host->nics: PCI addresses (fixed-width hex, so strcmp is numeric) before
 * netdevsim names in numeric order. host_find_nic relies on it (binary search). */
int host_addr_cmp(const char *a, const char *b);
size_t host_find_nic(const struct host *h, const char *addr);
size_t host_find_netdev(const struct host *h, const char *ifname);

/* Reads the VF settings of every PF that has VFs and a netdev (one RTM_GETLINK each). */
int observe_vf_settings(struct host *h, struct vfnl *nl);
/* The interface through which a PF's VFs are configured, or NULL. */
const struct netdev *nic_pf_netdev(const struct nic *n);

struct policy;
/* Reads channels, RSS table, key, hash function and queue IRQs of the PFs the policy gives an
 * rss: block (ethtool ioctls), so `vfmgr list` and status pay nothing for them. */
int observe_rss(struct host *h, const struct policy *p);

/* Fills *h from libpci and sysfs (under util/sysfs's root). */
int observe_host(struct host *h);
/* The same, but with pci (an earlier observe_host's result; NULL: scan) its PCI functions (ids,
 * drivers, SR-IOV counts, VF links, IOMMU groups) copied instead of scanned again; netdevsim
 * devices and every netdev are read now. For the daemon's passes after link drift, when no PCI
 * event came since pci was read (host_vf_counts_match checks the copy against the kernel's VF
 * counts). */
int observe_host_reusing(struct host *h, const struct host *pci);
/* Copies the PCI functions of src into *dst as observe_pci found them: no netdevs, VF
 * settings, RSS or management marks. 0 or -ENOMEM (dst then empty). */
int host_copy_pci(struct host *dst, const struct host *src);
/* After observe_vf_settings: false when a PCI PF's VF count from rtnetlink (IFLA_NUM_VF) is
 * not the one its sysfs scan had, so the scan is older than the kernel's VFs. */
bool host_vf_counts_match(const struct host *h);
int observe_pci(struct host *h);
/* Off: leave vendor and device names empty (they cost a pci.ids parse per scan). */
void observe_pci_set_names(bool on);
int observe_netdevsim(struct host *h);
/* Attributes every interface in /sys/class/net to the function that owns it. */
int observe_netdevs(struct host *h);
/* Resolves each PF's VF addresses to entries and points the VFs back at their PF. */
void host_link_vfs(struct host *h);

#endif
