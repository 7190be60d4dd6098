/* P5: the planner on generated input. N VMs with one VM NIC each (every 4th redundant), spread
 * over N/8 PFs on two switches with VFs in proportion; the host is a fake snapshot with every
 * VF present and fresh. Prints plan_build time per size and the growth ratio (10x more VMs
 * should cost about 10x: linear). */
#include "policy/policy.h"
#include "vfmgr/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct buf {
	char *p;
	size_t n, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	for (;;) {
		va_start(ap, fmt);
		int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if ((size_t)k < b->cap - b->n) {
			b->n += (size_t)k;
			return;
		}
		b->cap = b->cap * 2 + 4096;
		b->p = realloc(b->p, b->cap);
	}
}

#define VFS_PER_PF 12

static char *policy_text(size_t vms, size_t pfs)
{
	struct buf b = {0};

	put(&b, "version: 1\npfs:\n");
	for (size_t i = 0; i < pfs; i++)
		put(&b,
		    "  - { name: pf%zu, match: { pci: \"%04zx:%02zx:00.0\" }, switch: sw%zu, "
		    "numvfs: %d }\n",
		    i, i / 256, i % 256, i % 2, VFS_PER_PF);
	put(&b, "networks:\n  - { name: prod, vlan: 100, class: vm, pfs: [");
	for (size_t i = 0; i < pfs; i++)
		put(&b, "%spf%zu", i ? ", " : "", i);
	put(&b, "] }\nvms:\n");
	for (size_t i = 0; i < vms; i++)
		put(&b, "  - { name: vm%zu, nics: [ { network: prod, rate: { max: 1000 }%s } ] }\n",
		    i, i % 4 == 0 ? ", redundant: true" : "");
	return b.p;
}

static void fake_host(struct host *h, size_t pfs)
{
	memset(h, 0, sizeof(*h));
	h->iommu = true;
	h->nics = calloc(pfs, sizeof(*h->nics));
	h->n_nics = h->cap_nics = pfs;
	for (size_t i = 0; i < pfs; i++) {
		struct nic *n = &h->nics[i];
		snprintf(n->addr, sizeof(n->addr), "%04zx:%02zx:00.0", i / 256, i % 256);
		snprintf(n->driver, sizeof(n->driver), "igb");
		n->pf = NO_INDEX;
		n->vf_index = -1;
		n->numa_node = -1;
		n->iommu_group = -1;
		n->sriov_capable = true;
		n->totalvfs = 64;
		n->numvfs = VFS_PER_PF;
		n->netdevs = calloc(1, sizeof(*n->netdevs));
		n->n_netdevs = n->cap_netdevs = 1;
		snprintf(n->netdevs[0].name, sizeof(n->netdevs[0].name), "pf%u",
		         (unsigned)(i % 100000));
		n->netdevs[0].ifindex = (int)i + 2;
		n->vf_settings.num_vf = n->vf_settings.n_read = VFS_PER_PF;
		n->vf_settings.vfs = calloc(VFS_PER_PF, sizeof(struct vf_config));
		n->vf_settings.readable = calloc(VFS_PER_PF, sizeof(bool));
		for (unsigned v = 0; v < VFS_PER_PF; v++) {
			n->vf_settings.vfs[v].index = v;
			n->vf_settings.vfs[v].spoofchk = 1;
			n->vf_settings.readable[v] = true;
		}
	}
	/* Sorted by address, as observe leaves it. */
}

static int cmp_nic(const void *a, const void *b)
{
	return strcmp(((const struct nic *)a)->addr, ((const struct nic *)b)->addr);
}

int main(void)
{
	static const size_t sizes[] = {1000, 10000, 100000};
	double prev = 0;
	int rc = 0;

	printf("%8s %6s %10s %10s %12s %8s\n", "VMs", "PFs", "actions", "plan ms", "ms/1k VMs",
	       "growth");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t vms = sizes[s], pfs = vms / 8;
		char *text = policy_text(vms, pfs);
		struct policy_diags d;
		struct policy *p = NULL;
		struct state empty = {0};
		struct host h;
		struct plan pl;

		policy_diags_init(&d);
		if (policy_parse_buffer("bench", text, strlen(text), &p, &d) < 0) {
			fprintf(stderr, "bench policy invalid: %s\n",
			        d.n ? d.items[0].message : "?");
			return 1;
		}
		fake_host(&h, pfs);
		qsort(h.nics, h.n_nics, sizeof(*h.nics), cmp_nic);
		double t0 = now();
		int r = plan_build(p, &h, &empty, &pl, &d, 0);
		double ms = (now() - t0) * 1000;
		if (r < 0) {
			fprintf(stderr, "plan failed: %s\n", d.n ? d.items[0].message : "?");
			rc = 1;
		} else {
			printf("%8zu %6zu %10zu %10.1f %12.2f %8s\n", vms, pfs, pl.n, ms,
			       ms * 1000 / (double)vms, "");
			if (prev > 0)
				printf("%48s%.1fx\n", "", ms / prev);
			plan_free(&pl);
		}
		prev = ms;
		host_free(&h);
		policy_free(p);
		policy_diags_free(&d);
		free(text);
	}
	return rc;
}
