/* The settings of one VF as rtnetlink carries them, and which of them a write touches. */
#ifndef SRIOV_VFCFG_H
#define SRIOV_VFCFG_H

#include "util/parse.h"

#include <stdbool.h>
#include <stdint.h>

#define VF_PROTO_8021Q  0x8100
#define VF_PROTO_8021AD 0x88a8

/* Attribute groups, in the order the kernel applies them within one VF (do_setvfinfo). */
enum vf_attr {
	VF_ATTR_MAC = 1u << 0,
	VF_ATTR_VLAN = 1u << 1, /* vlan, qos and proto travel together */
	VF_ATTR_RATE = 1u << 2, /* min and max travel together (IFLA_VF_RATE) */
	VF_ATTR_SPOOFCHK = 1u << 3,
	VF_ATTR_LINK_STATE = 1u << 4,
	VF_ATTR_TRUST = 1u << 5,
	VF_ATTR_ALL = (1u << 6) - 1,
};

struct vf_config {
	unsigned index;
	uint8_t mac[MAC_LEN];
	uint16_t vlan;
	uint8_t qos;
	uint16_t proto;
	uint32_t min_rate, max_rate; /* Mbit/s, 0 = no limit */
	int8_t spoofchk, trust;      /* -1 when the driver does not report it */
	uint8_t link_state;          /* IFLA_VF_LINK_STATE_{AUTO,ENABLE,DISABLE} */
};

/* The groups in which a and b differ. A group the driver does not report in `have`
 * (spoofchk/trust -1) counts as different, so it is written rather than assumed. */
unsigned vf_config_diff(const struct vf_config *have, const struct vf_config *want,
                        unsigned groups);
/* The first group (in kernel order) set in mask; 0 when mask is empty. */
unsigned vf_attr_first(unsigned mask);
const char *vf_attr_name(unsigned attr);
/* Human form of one group's value in c, e.g. "vlan 100 qos 3" or "max_tx_rate 500". */
void vf_attr_format(unsigned attr, const struct vf_config *c, char *buf, size_t size);
const char *vf_link_state_name(unsigned s);

#endif
