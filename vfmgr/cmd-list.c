/* vfmgr list: what the host has, as vfmgr sees it. */
#include "vfmgr/cmd.h"
#include "vfmgr/observe-host.h"
#include "vfmgr/cmd-list-json.h"
#include "vfmgr/observe-mgmt.h"
#include "vfmgr/cmd-list-tree.h"
#include "vfmgr/plan.h"
#include "vfmgr/state.h"
#include "policy/policy.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/table.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void join_netdevs(const struct nic *n, char *buf, size_t size, int field)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n->n_netdevs && off < size; i++) {
		const struct netdev *nd = &n->netdevs[i];
		char speed[24];
		const char *v;

		snprintf(speed, sizeof(speed), "%ld", nd->speed);
		v = field == 0      ? nd->name
		    : field == 1    ? nd->mac
		    : field == 2    ? nd->operstate
		    : nd->speed > 0 ? speed
		                    : "-";
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? "," : "", v);
	}
}

static void role_text(const struct host *h, const struct nic *n, char *buf, size_t size)
{
	int off;

	if (n->pf != NO_INDEX)
		off = snprintf(buf, size, "vf %d of %s", n->vf_index, h->nics[n->pf].addr);
	else
		off = snprintf(buf, size, "%s", list_role(n));
	if (n->management && off >= 0 && (size_t)off < size)
		snprintf(buf + off, size - (size_t)off, ",management");
}

static int nic_row(struct table *t, size_t i, const void *arg)
{
	const struct host *h = arg;
	const struct nic *n = &h->nics[i];
	char id[16] = "", nd[128], mac[128], st[64], sp[64], numa[16] = "", grp[16] = "",
	     vfs[32] = "", role[64];

	if (n->bus == NIC_BUS_PCI)
		snprintf(id, sizeof(id), "%04x:%04x", n->vendor_id, n->device_id);
	join_netdevs(n, nd, sizeof(nd), 0);
	join_netdevs(n, mac, sizeof(mac), 1);
	join_netdevs(n, st, sizeof(st), 2);
	join_netdevs(n, sp, sizeof(sp), 3);
	if (n->numa_node >= 0)
		snprintf(numa, sizeof(numa), "%d", n->numa_node);
	if (n->iommu_group >= 0)
		snprintf(grp, sizeof(grp), "%d", n->iommu_group);
	if (n->sriov_capable && n->totalvfs >= 0)
		snprintf(vfs, sizeof(vfs), "%d/%d", n->numvfs, n->totalvfs);
	else if (n->sriov_capable)
		snprintf(vfs, sizeof(vfs), "%d", n->numvfs);
	role_text(h, n, role, sizeof(role));
	const char *row[] = {n->addr, id,   n->driver, nd,  mac,  st,
	                     sp,      numa, grp,       vfs, role, n->device};
	return table_add_row(t, row);
}

static int print_table(const struct host *h)
{
	static const char *const head[] = {"DEVICE", "ID",   "DRIVER", "NETDEV", "MAC",  "STATE",
	                                   "SPEED",  "NUMA", "IOMMU",  "VFS",    "ROLE", "NAME"};

	return table_print_rows(stdout, ARRAY_SIZE(head), head, h->n_nics, nic_row, h);
}

/* The policy's PF names and switches per host device, when the policy can be read; a policy
 * that is there but invalid is a warning: the tree is drawn without them. */
static void policy_marks(const char *file, const struct host *h, const char **names,
                         const char **switches, struct policy **p)
{
	struct policy_diags d;
	_cleanup_free_ size_t *out = NULL;

	if (!file || access(file, F_OK) != 0)
		return;
	policy_diags_init(&d);
	if (policy_parse_file(file, p, &d) < 0) {
		log_warn("%s: invalid policy (vfmgr check %s); PFs shown without names", file,
		         file);
		policy_diags_free(&d);
		return;
	}
	out = calloc((*p)->n_pfs + 1, sizeof(*out));
	if (out && pfmatch_resolve(*p, h, out, &d, true) >= 0) {
		for (size_t i = 0; i < (*p)->n_pfs; i++) {
			if (out[i] == NO_INDEX || out[i] >= h->n_nics)
				continue;
			names[out[i]] = (*p)->pfs[i].name.value;
			switches[out[i]] = (*p)->pfs[i].switch_name.value;
		}
	}
	policy_diags_free(&d);
}

static int print_tree(const struct cmd_args *a, const struct host *h)
{
	_cleanup_free_ const char **names = calloc(h->n_nics + 1, sizeof(*names));
	_cleanup_free_ const char **switches = calloc(h->n_nics + 1, sizeof(*switches));
	struct state st = {0};
	struct policy *p = NULL;
	int r;

	if (!names || !switches)
		return -ENOMEM;
	r = state_load(state_path(a->state_file), &st);
	if (r < 0)
		log_warn("%s: cannot read the state file (%s); no VM is shown",
		         state_path(a->state_file), strerror(-r));
	policy_marks(a->policy, h, names, switches, &p);
	r = tree_write(&(struct tree_view){.host = h,
	                                   .state = &st,
	                                   .pf_name = names,
	                                   .pf_switch = switches,
	                                   .dot = a->dot,
	                                   .colour = !a->dot && tree_colour_for(stdout)},
	               stdout);
	policy_free(p);
	state_free(&st);
	return r;
}

int cmd_list(const struct cmd_args *a)
{
	struct host h;
	int r;

	r = observe_host(&h);
	if (r < 0) {
		log_error("cannot read the host's devices: %s", strerror(-r));
		return EXIT_FAIL;
	}
	r = mgmt_observe(&h);
	if (r < 0)
		log_warn("cannot tell which device carries the management path: %s; none is marked",
		         strerror(-r));
	if ((a->json + a->tree + a->dot) > 1) {
		host_free(&h);
		log_error("list: --json, --tree and --dot are one each (see vfmgr list --help)");
		return EXIT_USAGE;
	}
	r = a->json             ? cmd_json_print(list_json(&h), stdout)
	    : a->tree || a->dot ? print_tree(a, &h)
	                        : print_table(&h);
	host_free(&h);
	if (r < 0) {
		log_error("list: %s", strerror(-r));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
