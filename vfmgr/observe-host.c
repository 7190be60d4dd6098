#include "vfmgr/observe-host.h"

#include "passthrough/vfio.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void host_free(struct host *h)
{
	for (size_t i = 0; i < h->n_nics; i++) {
		free(h->nics[i].netdevs);
		free(h->nics[i].group_peers);
		free(h->nics[i].vfs);
		pf_vfs_free(&h->nics[i].vf_settings);
		free(h->nics[i].rss);
	}
	free(h->nics);
	memset(h, 0, sizeof(*h));
}

int host_addr_cmp(const char *a, const char *b)
{
	/* Not by the first character: domain ffff starts with a letter. */
	bool na = strncmp(a, "netdevsim", 9) == 0, nb = strncmp(b, "netdevsim", 9) == 0;
	size_t la, lb;

	if (na != nb)
		return na ? 1 : -1;
	if (na)
		return strverscmp(a, b);
	/* Canonical PCI addresses differ in length only in the domain (4 to 8 digits). */
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

size_t host_find_nic(const struct host *h, const char *addr)
{
	size_t lo = 0, hi = h->n_nics;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = host_addr_cmp(h->nics[mid].addr, addr);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NO_INDEX;
}

size_t host_find_netdev(const struct host *h, const char *ifname)
{
	for (size_t i = 0; i < h->n_nics; i++)
		for (size_t j = 0; j < h->nics[i].n_netdevs; j++)
			if (strcmp(h->nics[i].netdevs[j].name, ifname) == 0)
				return i;
	return NO_INDEX;
}

static int cmp_vf(const void *a, const void *b)
{
	const struct vf_ref *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

void host_link_vfs(struct host *h)
{
	for (size_t i = 0; i < h->n_nics; i++) {
		struct nic *n = &h->nics[i];

		for (size_t v = 0; v < n->n_vfs; v++) {
			struct vf_ref *vf = &n->vfs[v];

			vf->nic = vf->addr[0] ? host_find_nic(h, vf->addr) : NO_INDEX;
			if (vf->nic == NO_INDEX)
				continue;
			h->nics[vf->nic].pf = i;
			h->nics[vf->nic].vf_index = (int)vf->index;
		}
		if (n->n_vfs > 1)
			qsort(n->vfs, n->n_vfs, sizeof(*n->vfs), cmp_vf);
	}
}

int observe_host(struct host *h)
{
	int r;

	memset(h, 0, sizeof(*h));
	r = observe_pci(h);
	if (r < 0)
		goto fail;
	r = observe_netdevsim(h);
	if (r < 0)
		goto fail;
	r = observe_netdevs(h);
	if (r < 0)
		goto fail;
	h->iommu = vfio_iommu_present();
	host_link_vfs(h);
	return 0;
fail:
	host_free(h);
	return r;
}

const struct netdev *nic_pf_netdev(const struct nic *n)
{
	return n->n_netdevs ? &n->netdevs[0] : NULL;
}

int observe_vf_settings(struct host *h, struct vfnl *nl)
{
	for (size_t i = 0; i < h->n_nics; i++) {
		struct nic *n = &h->nics[i];
		const struct netdev *nd = nic_pf_netdev(n);

		n->vf_settings_err = -ENOENT;
		if (!n->sriov_capable || n->numvfs == 0 || !nd)
			continue;
		n->vf_settings_err = vfnl_read(nl, nd->ifindex, &n->vf_settings);
		if (n->vf_settings_err < 0)
			log_warn("%s (%s): cannot read VF settings: %s", n->addr, nd->name,
			         strerror(-n->vf_settings_err));
		else if (n->vf_settings.n_read < n->vf_settings.num_vf)
			log_notice(
			    "%s (%s): the kernel reported %u of %u VFs (its VF list overflowed); "
			    "the rest are written unverified",
			    n->addr, nd->name, n->vf_settings.n_read, n->vf_settings.num_vf);
	}
	return 0;
}
