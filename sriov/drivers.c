#include "sriov/drivers.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

_Static_assert(VF_ATTR_MAC == 1u << SRIOV_SLOT_MAC && VF_ATTR_VLAN == 1u << SRIOV_SLOT_VLAN &&
                   VF_ATTR_RATE == 1u << SRIOV_SLOT_RATE &&
                   VF_ATTR_SPOOFCHK == 1u << SRIOV_SLOT_SPOOFCHK &&
                   VF_ATTR_LINK_STATE == 1u << SRIOV_SLOT_LINK_STATE &&
                   VF_ATTR_TRUST == 1u << SRIOV_SLOT_TRUST,
               "SRIOV_SLOT_* are the bit positions of enum vf_attr");

/* igb_ndo_set_vf_bw returns EOPNOTSUPP unless the MAC is an 82576 (e1000_hw.h device IDs). */
static const uint16_t igb_82576[] = {0x10c9, 0x10e6, 0x10e7, 0x10e8, 0x150a,
                                     0x150d, 0x1518, 0x1526, 0};

/* igb, ixgbe and i40e close and reopen the PF to change its VF count (igb_sriov_reinit) or its
 * queues (igb_reinit_queues): the PF's link drops. */
#define PF_RESET_FOR_VFS_AND_QUEUES                                                                \
	.numvfs_change = SRIOV_IMPACT_PF_RESET, .channels_change = SRIOV_IMPACT_PF_RESET

/* i40e and ice reset the VF to give it a new MAC, port VLAN or trust setting. */
#define VF_RESET_FOR_MAC_VLAN_TRUST                                                                \
	{                                                                                          \
		[SRIOV_SLOT_MAC] = SRIOV_IMPACT_VF_RESET,                                          \
		[SRIOV_SLOT_VLAN] = SRIOV_IMPACT_VF_RESET,                                         \
		[SRIOV_SLOT_TRUST] = SRIOV_IMPACT_VF_RESET                                         \
	}

/* Only what the driver sources show is here; anything not listed is left to the kernel (tried,
 * then read back), so the table can only turn a certain refusal into an earlier one. */
static const struct sriov_driver drivers[] = {
    {
        .name = "igb",
        /* no ndo_set_vf_link_state */
        .settable = VF_ATTR_ALL & ~VF_ATTR_LINK_STATE,
        .rate_devices = igb_82576,
        .rate_needs_link = true, /* E1000_STATUS_LU */
        .rate_le_link = true,
        .max_vfs = 7,
        /* igb_ndo_set_vf_mac: "Reload the VF driver to make this change effective" */
        .attr_impact = {[SRIOV_SLOT_MAC] = SRIOV_IMPACT_VF_RESET},
        PF_RESET_FOR_VFS_AND_QUEUES,
        .note = "802.1Q only; max TX rate on the 82576 only, while the link is up; no "
                "minimum rate; no VF link state",
    },
    {
        .name = "ixgbe",
        .settable = VF_ATTR_ALL,
        .rate_needs_link = true,
        .rate_le_link = true,
        .rate_above = 10, /* ixgbe_ndo_set_vf_bw: tx_rate <= 10 is EINVAL */
        .max_vfs = 63,
        .attr_impact =
            {[SRIOV_SLOT_MAC] = SRIOV_IMPACT_VF_RESET, [SRIOV_SLOT_TRUST] = SRIOV_IMPACT_VF_RESET},
        PF_RESET_FOR_VFS_AND_QUEUES,
        .note = "802.1Q only; max TX rate above 10 Mbit/s, only with the link up at 10G (a "
                "speed change clears it); no minimum rate; spoof check covers MAC and VLAN",
    },
    {
        .name = "i40e",
        .settable = VF_ATTR_ALL,
        .rate_le_link = true,
        .rate_step = 50, /* I40E_BW_CREDIT_DIVISOR */
        .attr_impact = VF_RESET_FOR_MAC_VLAN_TRUST,
        PF_RESET_FOR_VFS_AND_QUEUES,
        .transient = {-EAGAIN}, /* "VF %d still in reset. Try again." */
        .note = "802.1Q only; max TX rate in steps of 50 Mbit/s; no minimum rate; a MAC, "
                "port VLAN or trust change resets the VF",
    },
    {
        .name = "ice",
        .settable = VF_ATTR_ALL,
        .vlan_8021ad = true, /* in double VLAN mode */
        .min_rate = true,
        .max_vfs = 256,
        .attr_impact = VF_RESET_FOR_MAC_VLAN_TRUST,
        .transient = {-EAGAIN, -EBUSY}, /* a VF still resetting after ~0.8 s */
        .note = "802.1Q and 802.1ad; minimum rates summed may not exceed the link speed; a "
                "MAC, port VLAN or trust change resets the VF; switchdev before VFs exist",
    },
    {
        .name = "mlx5_core",
        .settable = VF_ATTR_ALL,
        .vlan_8021ad = true,
        .min_rate = true,
        .note = "802.1Q and 802.1ad; in switchdev mode VF VLAN and spoof check are refused; "
                "the firmware caps the VF count (changing it needs a reboot)",
    },
    {
        .name = "bnxt_en",
        .settable = VF_ATTR_ALL,
        .vlan_8021ad = true, /* with firmware that has BNXT_FW_CAP_DFLT_VLAN_TPID_PCP */
        .min_rate = true,
        .rate_le_link = true,
        .settings_need_up = true, /* bnxt_vf_ndo_prep: "vf ndo called though PF is down" */
        .note = "every VF setting is refused while the PF is down; max rate at most the "
                "link speed, min not above max",
    },
};

const struct sriov_driver *sriov_drivers(unsigned *n)
{
	*n = sizeof(drivers) / sizeof(drivers[0]);
	return drivers;
}

const struct sriov_driver *sriov_driver_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (strcmp(drivers[i].name, name) == 0)
			return &drivers[i];
	return NULL;
}

enum sriov_impact sriov_attrs_impact(const struct sriov_driver *d, unsigned attrs)
{
	enum sriov_impact worst = SRIOV_IMPACT_NONE;

	for (unsigned slot = 0; d && slot < SRIOV_SLOTS; slot++)
		if ((attrs & (1u << slot)) && d->attr_impact[slot] > worst)
			worst = d->attr_impact[slot];
	return worst;
}

bool sriov_transient(const struct sriov_driver *d, int err)
{
	for (size_t i = 0; d && i < sizeof(d->transient) / sizeof(d->transient[0]); i++)
		if (d->transient[i] != 0 && d->transient[i] == err)
			return true;
	return false;
}

bool sriov_rate_on_device(const struct sriov_driver *d, uint16_t device)
{
	if (!d || !d->rate_devices)
		return true;
	for (const uint16_t *id = d->rate_devices; *id; id++)
		if (*id == device)
			return true;
	return false;
}

static const char *const impact_names[SRIOV_IMPACT_COUNT] = {
    [SRIOV_IMPACT_NONE] = "none",
    [SRIOV_IMPACT_VF_RESET] = "vf-reset",
    [SRIOV_IMPACT_VF_DESTROY] = "vf-destroy",
    [SRIOV_IMPACT_PF_RESET] = "pf-reset",
};

const char *sriov_impact_name(enum sriov_impact i)
{
	return (unsigned)i < SRIOV_IMPACT_COUNT ? impact_names[i] : "?";
}

int sriov_impact_parse(const char *s, enum sriov_impact *out)
{
	for (unsigned i = 0; s && i < SRIOV_IMPACT_COUNT; i++)
		if (strcmp(s, impact_names[i]) == 0) {
			*out = (enum sriov_impact)i;
			return 0;
		}
	return -EINVAL;
}
