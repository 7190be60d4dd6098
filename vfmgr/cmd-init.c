/* vfmgr init: a starter policy for this host, from what `vfmgr list` sees. Every SR-IOV PF is
 * matched by its PCI address with the VF count it has now, and there are no networks or VMs,
 * so `vfmgr check` accepts it and `vfmgr plan` finds nothing to change until it is edited. */
#include "vfmgr/cmd.h"
#include "vfmgr/observe-host.h"
#include "vfmgr/observe-mgmt.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A policy name for the PF: its interface name when it has one that is a valid policy name,
 * else "pf-" and its PCI address with ':' and '.' as '-' ("pf-0000-01-00-0"). */
static void pf_name(const struct nic *n, char *buf, size_t size)
{
	const struct netdev *nd = nic_pf_netdev(n);
	bool ok = nd && isalnum((unsigned char)nd->name[0]);

	for (const char *s = nd ? nd->name : ""; ok && *s; s++)
		ok = isalnum((unsigned char)*s) || *s == '-' || *s == '_';
	if (ok) {
		snprintf(buf, size, "%s", nd->name);
		return;
	}
	snprintf(buf, size, "pf-%s", n->addr);
	for (char *s = buf; *s; s++)
		if (*s == ':' || *s == '.')
			*s = '-';
}

static void print_pf(const struct nic *n, FILE *f)
{
	const char *c = n->management ? "# " : "";
	char name[NIC_ADDR_LEN + IF_NAMESIZE];

	pf_name(n, name, sizeof(name));
	fprintf(f, "  # %s %04x:%04x %s%s%s", n->addr, n->vendor_id, n->device_id,
	        n->driver[0] ? n->driver : "(no driver)", n->device[0] ? ", " : "", n->device);
	if (n->numa_node >= 0)
		fprintf(f, ", NUMA node %d", n->numa_node);
	if (n->iommu_group >= 0)
		fprintf(f, ", IOMMU group %d", n->iommu_group);
	if (n->totalvfs >= 0)
		fprintf(f, ", up to %d VFs", n->totalvfs);
	fputc('\n', f);
	if (n->management)
		fprintf(f,
		        "  # left out: it carries the host's management path (%s).\n"
		        "  # Uncommented as it stands, vfmgr only guards it (never changes it).\n",
		        n->management_why[0] ? n->management_why : "marked by vfmgr list");
	fprintf(f, "  %s- name: %s\n", c, name);
	fprintf(f, "  %s  match: { pci: \"%s\" }\n", c, n->addr);
	if (n->management)
		fprintf(f, "  %s  management: true\n", c);
	else
		fprintf(f, "  %s  numvfs: %d\n", c, n->numvfs < 0 ? 0 : n->numvfs);
}

int init_policy_write(const struct host *h, const char *hostname, FILE *f)
{
	size_t pfs = 0, other = 0;

	fprintf(f,
	        "# A starter policy for %s, written by `vfmgr init` (see vfmgr-policy(5)).\n"
	        "# Every SR-IOV PF with the VF count it has now, and no networks or VMs: as it\n"
	        "# stands, `vfmgr plan` shows no changes. Give the PFs switches, add networks\n"
	        "# and VMs, then `vfmgr check` and `vfmgr plan` before `vfmgr apply` or the\n"
	        "# service (systemctl enable --now vfmgr).\n"
	        "version: 1\n"
	        "pfs:\n",
	        hostname && *hostname ? hostname : "this host");
	for (size_t i = 0; i < h->n_nics; i++) {
		const struct nic *n = &h->nics[i];

		if (n->pf != NO_INDEX)
			continue;
		if (n->bus != NIC_BUS_PCI || !n->sriov_capable) {
			other++;
			continue;
		}
		print_pf(n, f);
		pfs += !n->management;
	}
	if (!pfs)
		fprintf(f, "  []  # no SR-IOV PF that vfmgr may manage was found\n");
	if (other)
		fprintf(
		    f,
		    "# %zu other network function%s (no SR-IOV, or netdevsim): see vfmgr list;\n"
		    "# a whole device is passed through under a VM's passthrough:.\n",
		    other, other == 1 ? "" : "s");
	fprintf(f, "networks: []\n"
	           "vms: []\n");
	return ferror(f) ? -EIO : 0;
}

int cmd_init(const struct cmd_args *a)
{
	char hostname[256] = "";
	_cleanup_host_ struct host h = {0};
	int r;

	(void)a;
	r = observe_host(&h);
	if (r < 0) {
		log_error("cannot read the host's devices: %s", strerror(-r));
		return EXIT_FAIL;
	}
	r = mgmt_observe(&h);
	if (r < 0) {
		log_error("cannot tell which device carries the management path: %s; no starter "
		          "policy is written without knowing it",
		          strerror(-r));
		return EXIT_FAIL;
	}
	if (gethostname(hostname, sizeof(hostname) - 1) < 0)
		hostname[0] = '\0';
	r = init_policy_write(&h, hostname, stdout);
	if (r < 0 || fflush(stdout) == EOF) {
		log_error("init: cannot write the policy: %s", strerror(r < 0 ? -r : errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
