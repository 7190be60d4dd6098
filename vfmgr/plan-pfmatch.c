/* Which host device each policy PF means. */
#include "vfmgr/plan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool has_netdev(const struct nic *n, const char *name, const uint8_t *mac)
{
	for (size_t i = 0; i < n->n_netdevs; i++) {
		uint8_t m[MAC_LEN];

		if (name && strcmp(n->netdevs[i].name, name) == 0)
			return true;
		if (mac && parse_mac(n->netdevs[i].mac, m) == 0 && memcmp(m, mac, MAC_LEN) == 0)
			return true;
	}
	return false;
}

static bool matches(const struct policy_match *m, const struct nic *n)
{
	if (n->pf != NO_INDEX) /* a VF is never a policy PF */
		return false;
	if (m->pci.set) {
		char a[PCI_ADDR_STR_LEN];
		format_pci_addr(&m->pci.addr, a);
		if (n->bus != NIC_BUS_PCI || strcmp(a, n->addr) != 0)
			return false;
	}
	if (m->interface.value && !has_netdev(n, m->interface.value, NULL))
		return false;
	if (m->driver.value && strcmp(m->driver.value, n->driver) != 0)
		return false;
	if (m->vendor.set && (n->bus != NIC_BUS_PCI || n->vendor_id != m->vendor.value ||
	                      n->device_id != m->device.value))
		return false;
	if (m->mac.set && !has_netdev(n, NULL, m->mac.addr))
		return false;
	return true;
}

int pfmatch_resolve(const struct policy *p, const struct host *h, size_t *out,
                    struct policy_diags *diags, bool allow_absent)
{
	int r = 0;

	for (size_t i = 0; i < p->n_pfs; i++) {
		const struct policy_pf *pf = &p->pfs[i];
		char others[256] = "";
		size_t found = NO_INDEX, count = 0;

		/* A PCI address selects at most one device: look it up instead of scanning. */
		size_t first = 0, end = h->n_nics;
		if (pf->match.pci.set) {
			char a[PCI_ADDR_STR_LEN];
			format_pci_addr(&pf->match.pci.addr, a);
			first = host_find_nic(h, a);
			end = first == NO_INDEX ? 0 : first + 1;
			first = first == NO_INDEX ? 0 : first;
		}
		for (size_t j = first; j < end; j++) {
			if (!matches(&pf->match, &h->nics[j]))
				continue;
			if (count++ == 0)
				found = j;
			size_t l = strlen(others);
			snprintf(others + l, sizeof(others) - l, "%s%s", l ? ", " : "",
			         h->nics[j].addr);
		}
		out[i] = count == 1 ? found : NO_INDEX;
		if (count == 0 && allow_absent) {
			policy_diag_add(
			    diags, POLICY_WARNING, pf->match.mark,
			    "pf %s: no device on this host matches; its VFs are left as they "
			    "are until it appears",
			    pf->name.value);
			continue;
		}
		if (count == 0)
			policy_diag_add(diags, POLICY_ERROR, pf->match.mark,
			                "pf %s: no device on this host matches", pf->name.value);
		else if (count > 1)
			policy_diag_add(
			    diags, POLICY_ERROR, pf->match.mark,
			    "pf %s: the match selects %zu devices (%s); it must select one",
			    pf->name.value, count, others);
		if (count != 1)
			r = -EINVAL;
	}
	return r;
}
