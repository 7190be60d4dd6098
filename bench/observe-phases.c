/* Where an apply's reading of the host goes: each observe stage timed in-process (best of 5),
 * on whatever host this runs on (the build machine in `make bench`, the lab guest with
 * netdevsim VFs in bench/lab/vf-settings.sh). The last row is what the management path cost
 * before it decoded raw messages: libnl's link cache, which asks for every VF's settings.
 * usage: observe-phases [POLICY]   (VFMGR_STATE names the state file to time, if any) */
#include "policy/policy.h"
#include "sriov/vfnl.h"
#include "vfmgr/observe-host.h"
#include "vfmgr/observe-mgmt.h"
#include "vfmgr/state.h"

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUNS 5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { P_POLICY, P_STATE, P_SAVE, P_PCI, P_NSIM, P_NETDEVS, P_MGMT, P_VFNL, P_OLDLINKS, P_N };
static const char *names[P_N] = {"policy parse",
                                 "state load",
                                 "state save (to $TMPDIR, fsync)",
                                 "PCI scan (libpci, no names)",
                                 "netdevsim devices",
                                 "netdevs (sysfs)",
                                 "management path (raw dumps)",
                                 "VF settings (RTM_GETLINK per PF)",
                                 "old: libnl link cache with VFs"};

static double best[P_N];

static void record(int p, double t0)
{
	double t = now() - t0;

	if (best[p] == 0 || t < best[p])
		best[p] = t;
}

/* libnl's link cache as the management path read it before: one dump with RTEXT_FILTER_VF. */
static int old_link_cache(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *links = NULL;
	int r = -1;

	if (sk && nl_connect(sk, NETLINK_ROUTE) == 0 && rtnl_link_alloc_cache(sk, 0, &links) == 0)
		r = 0;
	if (links)
		nl_cache_free(links);
	nl_socket_free(sk);
	return r;
}

static int run_once(const char *policy, const char *state_file)
{
	struct mgmt_iface *ifs = NULL;
	struct vfnl *nl = NULL;
	struct host h = {0};
	size_t n = 0;
	double t0;

	if (policy) {
		struct policy *p = NULL;
		struct policy_diags d;
		policy_diags_init(&d);
		t0 = now();
		if (policy_parse_file_as(policy, &(struct policy_select){0}, &p, &d) < 0) {
			fprintf(stderr, "observe-phases: %s does not parse\n", policy);
			policy_diags_free(&d);
			return -1;
		}
		record(P_POLICY, t0);
		policy_free(p);
		policy_diags_free(&d);
	}
	if (state_file) {
		struct state s;
		t0 = now();
		if (state_load(state_file, &s) < 0)
			return -1;
		record(P_STATE, t0);
		char out[4096];
		snprintf(out, sizeof(out), "%s/observe-phases-state.json",
		         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		t0 = now();
		if (state_save(out, &s) < 0) {
			state_free(&s);
			return -1;
		}
		record(P_SAVE, t0);
		unlink(out);
		state_free(&s);
	}
	t0 = now();
	if (observe_pci(&h) < 0)
		goto fail;
	record(P_PCI, t0);
	t0 = now();
	if (observe_netdevsim(&h) < 0)
		goto fail;
	record(P_NSIM, t0);
	t0 = now();
	if (observe_netdevs(&h) < 0)
		goto fail;
	record(P_NETDEVS, t0);
	host_link_vfs(&h);
	t0 = now();
	if (mgmt_find_ifaces(&ifs, &n) < 0)
		goto fail;
	mgmt_mark(&h, ifs, n);
	free(ifs);
	record(P_MGMT, t0);
	t0 = now();
	if (vfnl_open(&nl) < 0 || observe_vf_settings(&h, nl) < 0)
		goto fail;
	record(P_VFNL, t0);
	vfnl_close(nl);
	t0 = now();
	if (old_link_cache() < 0)
		goto fail;
	record(P_OLDLINKS, t0);
	host_free(&h);
	return 0;
fail:
	fprintf(stderr, "observe-phases: reading the host failed\n");
	vfnl_close(nl);
	host_free(&h);
	return -1;
}

int main(int argc, char **argv)
{
	const char *policy = argc > 1 ? argv[1] : NULL;
	const char *state_file = getenv("VFMGR_STATE");
	size_t nics = 0, vfs = 0;
	struct host h;

	observe_pci_set_names(false);
	if (observe_host(&h) == 0) {
		nics = h.n_nics;
		for (size_t i = 0; i < h.n_nics; i++)
			vfs += (size_t)(h.nics[i].numvfs > 0 ? h.nics[i].numvfs : 0);
		host_free(&h);
	}
	for (int i = 0; i < RUNS; i++)
		if (run_once(policy, state_file) < 0)
			return 1;
	printf("observe phases, best of %d, %zu devices, %zu VFs:\n", RUNS, nics, vfs);
	for (int p = 0; p < P_N; p++)
		if (best[p] > 0)
			printf("  %-36s %8.2f ms\n", names[p], best[p] * 1e3);
	return 0;
}
