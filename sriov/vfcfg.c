#include "sriov/vfcfg.h"
#include "util/cleanup.h"

#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>

unsigned vf_config_diff(const struct vf_config *have, const struct vf_config *want, unsigned groups)
{
	unsigned d = 0;

	if (memcmp(have->mac, want->mac, MAC_LEN) != 0)
		d |= VF_ATTR_MAC;
	if (have->vlan != want->vlan || have->qos != want->qos ||
	    (want->vlan && have->proto != want->proto))
		d |= VF_ATTR_VLAN;
	if (have->min_rate != want->min_rate || have->max_rate != want->max_rate)
		d |= VF_ATTR_RATE;
	if (have->spoofchk < 0 || have->spoofchk != want->spoofchk)
		d |= VF_ATTR_SPOOFCHK;
	if (have->link_state != want->link_state)
		d |= VF_ATTR_LINK_STATE;
	if (have->trust < 0 || have->trust != want->trust)
		d |= VF_ATTR_TRUST;
	return d & groups;
}

unsigned vf_attr_first(unsigned mask)
{
	return mask & -mask;
}

/* By bit position: VF_ATTR_MAC is bit 0. */
static const char *const attr_names[] = {"mac",      "vlan",       "tx rate",
                                         "spoofchk", "link state", "trust"};
_Static_assert(ARRAY_SIZE(attr_names) == 6 && VF_ATTR_ALL == (1u << 6) - 1,
               "a name for each VF_ATTR_* bit");

const char *vf_attr_name(unsigned attr)
{
	if (!attr || (attr & (attr - 1)) || (attr & ~VF_ATTR_ALL))
		return "?";
	return attr_names[__builtin_ctz(attr)];
}

static const char *const link_state_names[] = {
    [IFLA_VF_LINK_STATE_AUTO] = "auto",
    [IFLA_VF_LINK_STATE_ENABLE] = "enable",
    [IFLA_VF_LINK_STATE_DISABLE] = "disable",
};

const char *vf_link_state_name(unsigned s)
{
	return s < ARRAY_SIZE(link_state_names) ? link_state_names[s] : "?";
}

static const char *onoff(int v)
{
	return v < 0 ? "unknown" : v ? "on" : "off";
}

void vf_attr_format(unsigned attr, const struct vf_config *c, char *buf, size_t size)
{
	char mac[MAC_STR_LEN];

	switch (attr) {
	case VF_ATTR_MAC:
		format_mac(c->mac, mac);
		snprintf(buf, size, "mac %s", mac);
		break;
	case VF_ATTR_VLAN:
		if (c->proto == VF_PROTO_8021AD)
			snprintf(buf, size, "vlan %u qos %u proto 802.1ad", c->vlan, c->qos);
		else
			snprintf(buf, size, "vlan %u qos %u", c->vlan, c->qos);
		break;
	case VF_ATTR_RATE:
		snprintf(buf, size, "min_tx_rate %u max_tx_rate %u", c->min_rate, c->max_rate);
		break;
	case VF_ATTR_SPOOFCHK:
		snprintf(buf, size, "spoofchk %s", onoff(c->spoofchk));
		break;
	case VF_ATTR_LINK_STATE:
		snprintf(buf, size, "state %s", vf_link_state_name(c->link_state));
		break;
	case VF_ATTR_TRUST:
		snprintf(buf, size, "trust %s", onoff(c->trust));
		break;
	default:
		snprintf(buf, size, "?");
	}
}
