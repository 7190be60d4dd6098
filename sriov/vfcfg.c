#include "sriov/vfcfg.h"

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

const char *vf_attr_name(unsigned attr)
{
	switch (attr) {
	case VF_ATTR_MAC:
		return "mac";
	case VF_ATTR_VLAN:
		return "vlan";
	case VF_ATTR_RATE:
		return "tx rate";
	case VF_ATTR_SPOOFCHK:
		return "spoofchk";
	case VF_ATTR_LINK_STATE:
		return "link state";
	case VF_ATTR_TRUST:
		return "trust";
	}
	return "?";
}

const char *vf_link_state_name(unsigned s)
{
	switch (s) {
	case IFLA_VF_LINK_STATE_AUTO:
		return "auto";
	case IFLA_VF_LINK_STATE_ENABLE:
		return "enable";
	case IFLA_VF_LINK_STATE_DISABLE:
		return "disable";
	}
	return "?";
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
