/* Issue 15: one fleet policy for N simulated hosts. Every host reads the same file as itself
 * (hosts: selectors) and plans against its own generated device tree: 2 igb-like PFs, 7 VFs
 * each. The file grows with the fleet (2 pinned VMs per host, plus VMs that may start on any
 * host of the group), so reading it costs O(file) per host; selection and planning must add
 * nothing that grows faster: 4x the hosts may cost at most 6x per host (linear in the file:
 * 4x), and the plan alone stays flat. Prints ms per host. */
#include "policy/policy.h"
#include "bench/generate.h"
#include "vfmgr/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VFS_PER_PF      7
#define PINNED_PER_HOST 2
#define ROAMING         50

static double now(void)
{
	struct timespec ts;

	/* CPU time: the bench machine may be shared, and wall time would measure the others. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Compute hosts compute-0000.. have their uplinks at 01/02:00.0; every 10th host is a storage
 * host with one uplink at 3b:00.0 under the same PF name. */
static char *fleet_text(size_t hosts)
{
	char *text;
	size_t len = 0;
	FILE *f = text_open(&text, &len);

	fprintf(f,
	        "version: 1\npfs:\n"
	        "  - { name: up-a, hosts: [\"compute-*\"], match: { pci: \"0000:01:00.0\" }, "
	        "switch: tor-a, numvfs: %d }\n"
	        "  - { name: up-b, hosts: [\"compute-*\"], match: { pci: \"0000:02:00.0\" }, "
	        "switch: tor-b, numvfs: %d }\n"
	        "  - { name: up-a, hosts: [\"storage-*\"], match: { pci: \"0000:3b:00.0\" }, "
	        "switch: tor-a, numvfs: %d }\n"
	        "networks:\n"
	        "  - { name: prod, vlan: 100, class: vm, pfs: [up-a, up-b] }\n"
	        "  - { name: backup, vlan: 300, class: vm, pfs: [up-a] }\nvms:\n",
	        VFS_PER_PF, VFS_PER_PF, VFS_PER_PF);
	for (size_t h = 0; h < hosts; h++) {
		bool storage = h % 10 == 9;
		for (int v = 0; v < PINNED_PER_HOST; v++)
			fprintf(
			    f,
			    "  - { name: vm%zu-%d, hosts: [%s-%04zu], nics: [ { network: %s%s } ] "
			    "}\n",
			    h, v, storage ? "storage" : "compute", h, storage ? "backup" : "prod",
			    !storage && v == 0 ? ", redundant: true" : "");
	}
	for (int v = 0; v < ROAMING; v++)
		fprintf(f,
		        "  - { name: roam%d, hosts: [\"compute-*\"], nics: [ { network: prod, "
		        "migratable: true } ] }\n",
		        v);
	text_close(f);
	return text;
}

static void fake_host(struct host *h, bool storage)
{
	static const char *const compute[] = {"0000:01:00.0", "0000:02:00.0"};
	static const char *const store[] = {"0000:3b:00.0"};
	size_t n_pfs = storage ? 1 : 2;

	fake_host_init(h, n_pfs);
	for (size_t i = 0; i < n_pfs; i++) {
		struct nic *n = &h->nics[i];
		char ifname[16];
		snprintf(ifname, sizeof(ifname), "enp%zus0", i + 1);
		fake_pf(n, storage ? store[i] : compute[i], ifname, (int)i + 2, 7, VFS_PER_PF);
		n->vendor_id = 0x8086;
		n->device_id = 0x10c9;
	}
}

struct result {
	double read_ms, plan_ms; /* per host */
	size_t actions;
};

static int run_fleet(size_t hosts, struct result *res)
{
	char *text = fleet_text(hosts);
	size_t len = strlen(text);
	double read_s = 0, plan_s = 0;

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < hosts; i++) {
		bool storage = i % 10 == 9;
		char name[32];
		struct policy_diags d;
		struct policy *p = NULL;
		struct state empty = {0};
		struct host h;
		struct plan pl;

		snprintf(name, sizeof(name), "%s-%04zu", storage ? "storage" : "compute", i);
		policy_diags_init(&d);
		double t0 = now();
		int r = policy_parse_buffer_as("fleet.yaml", text, len,
		                               &(struct policy_select){.host = name}, &p, &d);
		double t1 = now();
		if (r < 0) {
			fprintf(stderr, "fleet policy invalid as %s: %s\n", name,
			        d.n ? d.items[0].message : "?");
			free(text);
			return -1;
		}
		fake_host(&h, storage);
		double t2 = now();
		r = plan_build(p, &h, &empty, &pl, &d, 0);
		plan_s += now() - t2;
		read_s += t1 - t0;
		if (r < 0) {
			fprintf(stderr, "plan failed on %s: %s\n", name,
			        d.n ? d.items[0].message : "?");
			free(text);
			return -1;
		}
		res->actions += pl.n;
		plan_free(&pl);
		host_free(&h);
		policy_free(p);
		policy_diags_free(&d);
	}
	free(text);
	res->read_ms = read_s * 1000 / (double)hosts;
	res->plan_ms = plan_s * 1000 / (double)hosts;
	return 0;
}

int main(void)
{
	static const size_t sizes[] = {250, 1000};
	struct result prev = {0};
	int rc = 0;

	printf("%6s %8s %14s %14s %10s %8s\n", "hosts", "VMs", "read ms/host", "plan ms/host",
	       "actions", "growth");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct result r;
		if (run_fleet(sizes[s], &r) < 0)
			return 1;
		double total = r.read_ms + r.plan_ms;
		printf("%6zu %8zu %14.3f %14.3f %10zu", sizes[s],
		       sizes[s] * PINNED_PER_HOST + ROAMING, r.read_ms, r.plan_ms, r.actions);
		if (s > 0) {
			double g = total / (prev.read_ms + prev.plan_ms);
			double gp = r.plan_ms / prev.plan_ms;
			printf(" %7.1fx\n", g);
			/* The file is 4x larger: reading it is 4x per host; more is not linear. */
			if (g > 6.0 || gp > 2.0) {
				printf("bench fleet-plan: per-host time grew %.1fx (plan %.1fx) "
				       "for 4x "
				       "the hosts: not linear\n",
				       g, gp);
				rc = 1;
			}
		} else {
			printf("\n");
		}
		prev = r;
	}
	return rc;
}
