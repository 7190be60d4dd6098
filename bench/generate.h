/* What the benches generate: policy text in memory, and the planner benches' fake host (PFs
 * as observe leaves them: igb, SR-IOV capable, one interface, every VF present with fresh
 * settings). */
#ifndef VFMGR_BENCH_GENERATE_H
#define VFMGR_BENCH_GENERATE_H

#include "vfmgr/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A stream that writes into *text (NUL-terminated, *len bytes once closed); abort() on ENOMEM
 * (a bench has no way on without its input). */
static inline FILE *text_open(char **text, size_t *len)
{
	FILE *f;

	*text = NULL;
	f = open_memstream(text, len);
	if (!f)
		abort();
	return f;
}

static inline void text_close(FILE *f)
{
	if (fclose(f) != 0)
		abort();
}

/* h with room for n_pfs PFs, an IOMMU, nothing else. */
static inline void fake_host_init(struct host *h, size_t n_pfs)
{
	memset(h, 0, sizeof(*h));
	h->iommu = true;
	h->nics = calloc(n_pfs, sizeof(*h->nics));
	h->n_nics = h->cap_nics = n_pfs;
}

/* n: an igb PF at addr with interface ifname (ifindex) and numvfs of totalvfs VFs enabled. */
static inline void fake_pf(struct nic *n, const char *addr, const char *ifname, int ifindex,
                           int totalvfs, unsigned numvfs)
{
	snprintf(n->addr, sizeof(n->addr), "%s", addr);
	snprintf(n->driver, sizeof(n->driver), "igb");
	/* An 82576: the driver table lets igb set VF TX rates only on it. */
	n->vendor_id = 0x8086;
	n->device_id = 0x10c9;
	n->pf = NO_INDEX;
	n->vf_index = -1;
	n->numa_node = -1;
	n->iommu_group = -1;
	n->sriov_capable = true;
	n->totalvfs = totalvfs;
	n->numvfs = (int)numvfs;
	n->netdevs = calloc(1, sizeof(*n->netdevs));
	n->n_netdevs = n->cap_netdevs = 1;
	snprintf(n->netdevs[0].name, sizeof(n->netdevs[0].name), "%s", ifname);
	n->netdevs[0].ifindex = ifindex;
	n->vf_settings.num_vf = n->vf_settings.n_read = numvfs;
	n->vf_settings.vfs = calloc(numvfs, sizeof(struct vf_config));
	n->vf_settings.readable = calloc(numvfs, sizeof(bool));
	for (unsigned v = 0; v < numvfs; v++) {
		n->vf_settings.vfs[v].index = v;
		n->vf_settings.vfs[v].spoofchk = 1;
		n->vf_settings.readable[v] = true;
	}
}

#endif
