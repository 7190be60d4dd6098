/* P5: the planner on generated input. N VMs with one VM NIC each (every 4th redundant), spread
 * over N/5 PFs on two switches (7 VFs each, as on an 82576); the host is a fake snapshot with every
 * VF present and fresh. Prints plan_build time per size and the growth ratio (10x more VMs
 * should cost about 10x: linear). */
#include "policy/policy.h"
#include "bench/generate.h"
#include "vfmgr/plan.h"

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

/* igb (the fake PFs' driver) makes at most 7 VFs: the driver table refuses a plan for more. */
#define VFS_PER_PF 7

static char *policy_text(size_t vms, size_t pfs)
{
	char *text;
	size_t len = 0;
	FILE *f = text_open(&text, &len);

	fprintf(f, "version: 1\npfs:\n");
	for (size_t i = 0; i < pfs; i++)
		fprintf(f,
		        "  - { name: pf%zu, match: { pci: \"%04zx:%02zx:00.0\" }, switch: sw%zu, "
		        "numvfs: %d }\n",
		        i, i / 256, i % 256, i % 2, VFS_PER_PF);
	fprintf(f, "networks:\n  - { name: prod, vlan: 100, class: vm, pfs: [");
	for (size_t i = 0; i < pfs; i++)
		fprintf(f, "%spf%zu", i ? ", " : "", i);
	fprintf(f, "] }\nvms:\n");
	for (size_t i = 0; i < vms; i++)
		fprintf(f,
		        "  - { name: vm%zu, nics: [ { network: prod, rate: { max: 1000 }%s } ] }\n",
		        i, i % 4 == 0 ? ", redundant: true" : "");
	text_close(f);
	return text;
}

static void fake_host(struct host *h, size_t pfs)
{
	fake_host_init(h, pfs);
	for (size_t i = 0; i < pfs; i++) {
		char addr[32], ifname[16];
		snprintf(addr, sizeof(addr), "%04zx:%02zx:00.0", i / 256, i % 256);
		snprintf(ifname, sizeof(ifname), "pf%u", (unsigned)(i % 100000));
		fake_pf(&h->nics[i], addr, ifname, (int)i + 2, 64, VFS_PER_PF);
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
		size_t vms = sizes[s], pfs = vms / 5; /* 1.25 legs a VM: 6.25 of 7 VFs */
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
			char growth[16] = "";
			if (prev > 0)
				snprintf(growth, sizeof(growth), "%.1fx", ms / prev);
			printf("%8zu %6zu %10zu %10.1f %12.2f %8s\n", vms, pfs, pl.n, ms,
			       ms * 1000 / (double)vms, growth);
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
