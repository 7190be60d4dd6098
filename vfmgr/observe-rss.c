/* RSS state of the policy's PFs, read before planning so the planner stays free of I/O. */
#include "vfmgr/plan.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void read_one(struct nic *n)
{
	const struct netdev *nd = nic_pf_netdev(n);
	struct nic_rss *rss = n->rss;

	if (!nd) {
		rss->err = -ENODEV;
		return;
	}
	rss->err = rss_read_state(nd->name, &rss->st);
	if (rss->err == 0)
		rss->err = rss_irq_read(nd->name, &rss->irqs);
	if (rss->err < 0)
		log_debug("%s (%s): cannot read RSS state: %s", n->addr, nd->name,
		          strerror(-rss->err));
}

int observe_rss(struct host *h, const struct policy *p)
{
	size_t *pf_nic;
	struct policy_diags ignored;

	if (!p)
		return 0;
	pf_nic = calloc(p->n_pfs ? p->n_pfs : 1, sizeof(*pf_nic));
	if (!pf_nic)
		return -ENOMEM;
	/* Unmatched PFs are reported by plan_build, which resolves again. */
	policy_diags_init(&ignored);
	pfmatch_resolve(p, h, pf_nic, &ignored, true);
	policy_diags_free(&ignored);
	for (size_t i = 0; i < p->n_pfs; i++) {
		struct nic *n;

		if (!p->pfs[i].rss.set || pf_nic[i] == NO_INDEX)
			continue;
		n = &h->nics[pf_nic[i]];
		if (n->rss)
			continue;
		n->rss = calloc(1, sizeof(*n->rss));
		if (!n->rss) {
			free(pf_nic);
			return -ENOMEM;
		}
		read_one(n);
	}
	free(pf_nic);
	return 0;
}
