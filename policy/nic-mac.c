/* The MAC each leg of a VM NIC gets, and the rule that no two legs share one. */
#include "policy/policy-internal.h"
#include "util/array.h"
#include "util/cleanup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a: stable across versions and platforms, which is all a MAC seed needs. */
static uint64_t fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void policy_mac_derive(const char *vm, size_t nic, unsigned leg, uint8_t mac[MAC_LEN])
{
	char idx[32];
	uint64_t h = fnv1a("vfmgr:", 0xcbf29ce484222325ULL);

	/* Leg a's seed is the one vfmgr used before legs had MACs of their own, so a NIC that
	 * had a derived MAC keeps it. */
	snprintf(idx, sizeof(idx), "/%zu%s", nic, leg ? "/b" : "");
	h = fnv1a(idx, fnv1a(vm, h));
	for (int i = 0; i < MAC_LEN; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02); /* unicast, locally administered */
}

void policy_nic_mac(const struct policy_vm *vm, size_t nic, unsigned leg, uint8_t mac[MAC_LEN])
{
	const struct policy_mac *given = leg ? &vm->nics[nic].mac_b : &vm->nics[nic].mac;

	if (given->set)
		memcpy(mac, given->addr, MAC_LEN);
	else
		policy_mac_derive(vm->name.value, nic, leg, mac);
}

/* One leg's claim on a MAC. */
struct mac_claim {
	uint64_t key;
	uint8_t mac[MAC_LEN];
	size_t vm, nic, seq;
	unsigned leg;
	bool given; /* mac: or mac-b: in the file; else derived */
	struct policy_mark mark;
};

static int mac_claim_cmp(const void *a, const void *b)
{
	const struct mac_claim *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* "vm 'web01' nic 1 leg b (derived mac-b)": the leg only for a redundant NIC. */
static void claim_name(const struct policy *p, const struct mac_claim *m, char *buf, size_t size)
{
	const struct policy_vm *vm = &p->vms[m->vm];
	const char *how = m->given ? "" : m->leg ? " (derived mac-b)" : " (derived mac)";

	if (vm->nics[m->nic].redundant.value)
		snprintf(buf, size, "vm '%s' nic %zu leg %c%s", vm->name.value, m->nic + 1,
		         m->leg ? 'b' : 'a', how);
	else
		snprintf(buf, size, "vm '%s' nic %zu%s", vm->name.value, m->nic + 1, how);
}

static int mac_collide(const struct policy *p, struct policy_diags *d, const struct mac_claim *dup,
                       const struct mac_claim *first)
{
	char mac[MAC_STR_LEN], a[160], b[160];
	bool swap = !dup->given && first->given;

	/* The error goes where the admin can change something: a given MAC, not a derived one. */
	if (swap) {
		const struct mac_claim *t = dup;
		dup = first;
		first = t;
	}
	format_mac(dup->mac, mac);
	claim_name(p, dup, a, sizeof(a));
	claim_name(p, first, b, sizeof(b));
	return policy_diag_add(d, POLICY_ERROR, dup->mark,
	                       "%s uses mac %s, which %s %s (at %u:%u); every leg of every NIC "
	                       "needs its own MAC",
	                       a, mac, b, swap ? "also gets" : "already uses", first->mark.line,
	                       first->mark.col);
}

static int claim_leg(const struct policy *p, size_t v, size_t n, unsigned leg, struct mac_claim **l,
                     size_t *len, size_t *cap)
{
	const struct policy_nic *nic = &p->vms[v].nics[n];
	const struct policy_mac *given = leg ? &nic->mac_b : &nic->mac;
	struct mac_claim *x = ARRAY_APPEND(*l, *len, *cap);

	if (!x)
		return -ENOMEM;
	*x =
	    (struct mac_claim){.vm = v, .nic = n, .leg = leg, .seq = *len - 1, .given = given->set};
	policy_nic_mac(&p->vms[v], n, leg, x->mac);
	for (int i = 0; i < MAC_LEN; i++)
		x->key = x->key << 8 | x->mac[i];
	/* A derived MAC has no line of its own: the NIC's (leg a) or its redundant: (leg b). */
	x->mark = given->set                  ? given->mark
	          : leg && nic->redundant.set ? nic->redundant.mark
	                                      : nic->mark;
	return 0;
}

int policy_check_macs(const struct policy *p, struct policy_diags *d)
{
	_cleanup_free_ struct mac_claim *l = NULL;
	size_t n = 0, cap = 0;
	int r;

	for (size_t v = 0; v < p->n_vms; v++) {
		const struct policy_vm *vm = &p->vms[v];

		for (size_t i = 0; i < vm->n_nics; i++) {
			const struct policy_nic *nic = &vm->nics[i];

			if (nic->mac_b.set && !nic->redundant.value) {
				r = policy_diag_add(
				    d, POLICY_ERROR, nic->mac_b.mark,
				    "vm '%s' nic %zu has mac-b, the MAC of a redundant "
				    "NIC's second leg, but is not redundant: drop mac-b "
				    "or add redundant: true",
				    vm->name.value, i + 1);
				if (r < 0)
					return r;
			}
			r = claim_leg(p, v, i, 0, &l, &n, &cap);
			if (r == 0 && nic->redundant.value)
				r = claim_leg(p, v, i, 1, &l, &n, &cap);
			if (r < 0)
				return r;
		}
	}
	if (n > 1)
		qsort(l, n, sizeof(*l), mac_claim_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (l[i].key != l[first].key) {
			first = i;
			continue;
		}
		r = mac_collide(p, d, &l[i], &l[first]);
		if (r < 0)
			return r;
	}
	return 0;
}
