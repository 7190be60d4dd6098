#include "vfmgr/plan-macgen.h"

#include <stdio.h>

/* FNV-1a: stable across versions and platforms, which is all a MAC seed needs. */
static uint64_t fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void macgen_for_nic(const char *vm, unsigned nic, uint8_t mac[MAC_LEN])
{
	char idx[16];
	uint64_t h = fnv1a("vfmgr:", 0xcbf29ce484222325ULL);

	snprintf(idx, sizeof(idx), "/%u", nic);
	h = fnv1a(idx, fnv1a(vm, h));
	for (int i = 0; i < MAC_LEN; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02); /* unicast, locally administered */
}
