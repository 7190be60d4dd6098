#include "vfmgr/observe-host.h"

#include "passthrough/vfio.h"
#include "util/array.h"
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

int host_copy_pci(struct host *dst, const struct host *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n_nics; i++) {
		const struct nic *s = &src->nics[i];
		if (s->bus != NIC_BUS_PCI)
			continue;
		struct nic *n = ARRAY_APPEND(dst->nics, dst->n_nics, dst->cap_nics);
		if (!n)
			goto fail;
		*n = *s;
		/* What every pass reads again, not the scan. */
		n->netdevs = NULL;
		n->n_netdevs = n->cap_netdevs = 0;
		n->management = false;
		n->management_why[0] = '\0';
		n->vf_settings = (struct pf_vfs){0};
		n->vf_settings_err = -ENOENT; /* unread, as observe_vf_settings starts */
		n->rss = NULL;
		/* Arrays of its own (src's are never freed through dst, even half copied). */
		n->group_peers = NULL;
		n->vfs = NULL;
		n->cap_group_peers = n->n_group_peers;
		n->cap_vfs = n->n_vfs;
		if (array_dup(&n->group_peers, s->group_peers, s->n_group_peers,
		              sizeof(*s->group_peers)) < 0 ||
		    array_dup(&n->vfs, s->vfs, s->n_vfs, sizeof(*s->vfs)) < 0)
			goto fail;
	}
	return 0;
fail:
	host_free(dst);
	return -ENOMEM;
}

bool host_vf_counts_match(const struct host *h)
{
	for (size_t i = 0; i < h->n_nics; i++) {
		const struct nic *n = &h->nics[i];
		if (n->bus == NIC_BUS_PCI && n->sriov_capable && n->vf_settings_err == 0 &&
		    n->vf_settings.num_vf != (unsigned)n->numvfs)
			return false;
	}
	return true;
}

int observe_host_reusing(struct host *h, const struct host *pci)
{
	int r;

	memset(h, 0, sizeof(*h));
	r = pci ? host_copy_pci(h, pci) : observe_pci(h);
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

int observe_host(struct host *h)
{
	return observe_host_reusing(h, NULL);
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
