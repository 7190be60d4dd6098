/* vfmgr list --tree and --dot: each PF with its VFs, and who holds each VF (a VM, from the
 * state file, or the driver it is bound to), with the switch and PF name from the policy,
 * NUMA node and IOMMU group. --dot is the same picture for Graphviz. */
#include "vfmgr/cmd-list-tree.h"
#include "vfmgr/plan.h"
#include "util/plural.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SGR_RED   "\033[31m"
#define SGR_GREEN "\033[32m"
#define SGR_OFF   "\033[0m"

bool tree_colour_for(FILE *f)
{
	const char *term = getenv("TERM");

	return isatty(fileno(f)) && !getenv("NO_COLOR") && !(term && strcmp(term, "dumb") == 0);
}

static const struct state_alloc *holder(const struct state *st, const char *pf, unsigned vf)
{
	for (size_t i = 0; st && i < st->n; i++)
		if (strcmp(st->allocs[i].pf_addr, pf) == 0 && st->allocs[i].vf == vf)
			return &st->allocs[i];
	return NULL;
}

static const char *first_netdev(const struct nic *n)
{
	return n->n_netdevs ? n->netdevs[0].name : "";
}

/* "NUMA node 0, IOMMU group 7" (what the device says), into buf. */
static const char *placement(const struct nic *n, char *buf, size_t size)
{
	int off = 0;

	buf[0] = '\0';
	if (n->numa_node >= 0)
		off = snprintf(buf, size, "NUMA node %d", n->numa_node);
	if (n->iommu_group >= 0 && off >= 0 && (size_t)off < size)
		snprintf(buf + off, size - (size_t)off, "%sIOMMU group %d", off ? ", " : "",
		         n->iommu_group);
	return buf;
}

static void text_pf(const struct tree_view *v, size_t i, FILE *f)
{
	const struct nic *n = &v->host->nics[i];
	char where[64];

	fprintf(f, "%s %s %s", n->addr, n->driver[0] ? n->driver : "(no driver)", first_netdev(n));
	if (v->pf_name && v->pf_name[i])
		fprintf(f, " pf %s", v->pf_name[i]);
	if (v->pf_switch && v->pf_switch[i])
		fprintf(f, " switch %s", v->pf_switch[i]);
	placement(n, where, sizeof(where));
	if (where[0])
		fprintf(f, ", %s", where);
	if (n->sriov_capable)
		fprintf(f, ", %d/%d VFs", n->numvfs, n->totalvfs);
	else
		fprintf(f, ", no SR-IOV");
	if (n->management)
		fprintf(f, " %s[management: %s]%s", v->colour ? SGR_RED : "", n->management_why,
		        v->colour ? SGR_OFF : "");
	fputc('\n', f);
}

static void text_vf(const struct tree_view *v, const struct nic *pf, size_t j, FILE *f)
{
	const struct vf_ref *r = &pf->vfs[j];
	const struct nic *vf = r->nic != NO_INDEX ? &v->host->nics[r->nic] : NULL;
	const struct state_alloc *a = holder(v->state, pf->addr, r->index);
	char where[64] = "";

	fprintf(f, "%s vf %u", j + 1 == pf->n_vfs ? "`--" : "|--", r->index);
	if (r->addr[0])
		fprintf(f, " %s", r->addr);
	if (vf) {
		fprintf(f, " %s", vf->driver[0] ? vf->driver : "(no driver)");
		if (vf->n_netdevs)
			fprintf(f, " %s", first_netdev(vf));
		placement(vf, where, sizeof(where));
		if (where[0])
			fprintf(f, ", %s", where);
	}
	if (a)
		fprintf(f, " -> %svm %s nic %u%s%s", v->colour ? SGR_GREEN : "", a->vm, a->nic,
		        a->leg ? " (second leg)" : "", v->colour ? SGR_OFF : "");
	else
		fprintf(f, " -> host (%s)", vf && vf->driver[0] ? vf->driver : "no driver");
	fputc('\n', f);
}

/* A Graphviz ID: the text in double quotes, with " and \ escaped. */
static void dot_id(const char *s, FILE *f)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void dot_write(const struct tree_view *v, FILE *f)
{
	const struct host *h = v->host;

	fprintf(f, "digraph vfmgr {\n  rankdir=LR;\n  node [shape=box, fontname=monospace];\n");
	for (size_t i = 0; i < h->n_nics; i++) {
		const struct nic *n = &h->nics[i];
		char label[512], where[64];

		if (n->pf != NO_INDEX)
			continue;
		snprintf(label, sizeof(label), "%s\n%s %s%s%s%s%s\n%s%s", n->addr, n->driver,
		         first_netdev(n), v->pf_name && v->pf_name[i] ? "\npf " : "",
		         v->pf_name && v->pf_name[i] ? v->pf_name[i] : "",
		         v->pf_switch && v->pf_switch[i] ? ", switch " : "",
		         v->pf_switch && v->pf_switch[i] ? v->pf_switch[i] : "",
		         placement(n, where, sizeof(where)), n->management ? "\nmanagement" : "");
		fputs("  ", f);
		dot_id(n->addr, f);
		fputs(" [label=", f);
		dot_id(label, f);
		fputs(n->management ? ", color=red];\n" : "];\n", f);
		for (size_t j = 0; j < n->n_vfs; j++) {
			const struct vf_ref *r = &n->vfs[j];
			const struct nic *vf = r->nic != NO_INDEX ? &h->nics[r->nic] : NULL;
			const struct state_alloc *a = holder(v->state, n->addr, r->index);
			char id[NIC_ADDR_LEN + 16], holder_id[STATE_NAME_LEN + 8];

			snprintf(id, sizeof(id), "%s vf %u", n->addr, r->index);
			snprintf(label, sizeof(label), "vf %u %s\n%s\n%s", r->index, r->addr,
			         vf ? vf->driver : "",
			         vf ? placement(vf, where, sizeof(where)) : "");
			fputs("  ", f);
			dot_id(id, f);
			fputs(" [label=", f);
			dot_id(label, f);
			fputs("];\n  ", f);
			dot_id(n->addr, f);
			fputs(" -> ", f);
			dot_id(id, f);
			fputs(";\n", f);
			if (!a)
				continue;
			snprintf(holder_id, sizeof(holder_id), "vm %s", a->vm);
			fputs("  ", f);
			dot_id(holder_id, f);
			fputs(" [shape=ellipse];\n  ", f);
			dot_id(id, f);
			fputs(" -> ", f);
			dot_id(holder_id, f);
			fprintf(f, " [label=\"nic %u\"];\n", a->nic);
		}
	}
	fputs("}\n", f);
}

int tree_write(const struct tree_view *v, FILE *f)
{
	const struct host *h = v->host;
	size_t pfs = 0, vfs = 0;

	if (v->dot) {
		dot_write(v, f);
		return ferror(f) ? -EIO : 0;
	}
	for (size_t i = 0; i < h->n_nics; i++) {
		const struct nic *n = &h->nics[i];

		if (n->pf != NO_INDEX)
			continue;
		text_pf(v, i, f);
		for (size_t j = 0; j < n->n_vfs; j++)
			text_vf(v, n, j, f);
		pfs += n->sriov_capable;
		vfs += n->n_vfs;
	}
	fprintf(f, "%zu SR-IOV %s, %zu %s\n", pfs, plural(pfs, "PF", "PFs"), vfs,
	        plural(vfs, "VF", "VFs"));
	return ferror(f) ? -EIO : 0;
}
