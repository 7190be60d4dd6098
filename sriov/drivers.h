/* What each PF driver does with VF settings: what it takes, what it refuses, and what a change
 * disrupts. Facts from the kernel drivers (drivers/net/ethernet/...), checked on igb in the lab.
 * A driver that is not here is driven by trying and reading back. */
#ifndef SRIOV_DRIVERS_H
#define SRIOV_DRIVERS_H

#include "sriov/vfcfg.h"

#include <stdbool.h>
#include <stdint.h>

/* What a change disrupts, mildest first; apply compares against a threshold in this order. */
enum sriov_impact {
	SRIOV_IMPACT_NONE,       /* applied live */
	SRIOV_IMPACT_VF_RESET,   /* the VF resets: its guest sees a reset or reloads its driver */
	SRIOV_IMPACT_VF_DESTROY, /* VFs destroyed and made again */
	SRIOV_IMPACT_PF_RESET,   /* the PF resets: the host's link on that port drops, VFs reset */
	SRIOV_IMPACT_COUNT,
};

/* Bit positions of the enum vf_attr groups, to index per-group tables. */
enum {
	SRIOV_SLOT_MAC,
	SRIOV_SLOT_VLAN,
	SRIOV_SLOT_RATE,
	SRIOV_SLOT_SPOOFCHK,
	SRIOV_SLOT_LINK_STATE,
	SRIOV_SLOT_TRUST,
	SRIOV_SLOTS,
};

struct sriov_driver {
	const char *name;
	unsigned settable; /* VF_ATTR_* groups the driver implements at all */
	bool vlan_8021ad;  /* 802.1ad accepted as the VF VLAN protocol */
	bool min_rate;     /* a minimum TX rate (IFLA_VF_RATE min_tx_rate) */
	/* Max TX rates only on these PCI device IDs (0-terminated; NULL: every device). */
	const uint16_t *rate_devices;
	bool rate_needs_link;  /* rates refused while the PF's link is down */
	bool rate_le_link;     /* a max rate above the link speed is refused */
	uint32_t rate_above;   /* max rates must be above this (ixgbe: 10), 0 = any */
	uint32_t rate_step;    /* max rates in steps of this many Mbit/s, 0 = any */
	unsigned max_vfs;      /* 0: sriov_totalvfs says */
	bool settings_need_up; /* every VF setting refused while the PF is down (bnxt_en) */
	/* Impact of a change of each group, indexed by the group's bit (SRIOV_SLOT_*), of
	 * enabling or disabling VFs, and of changing the PF's channel count. */
	enum sriov_impact attr_impact[SRIOV_SLOTS];
	enum sriov_impact numvfs_change;
	enum sriov_impact channels_change;
	int transient[3]; /* -errno values worth a bounded retry (a VF in reset), 0-terminated */
	const char *note; /* one line for the man page and `plan` */
};

/* The table entry for a kernel driver name, or NULL (unknown: try and read back). */
const struct sriov_driver *sriov_driver_find(const char *name);
/* Every entry, for the man page's table and the unit tests; *n gets the count. */
const struct sriov_driver *sriov_drivers(unsigned *n);
/* The impact of changing the groups in attrs on this driver (NONE for an unknown driver). */
enum sriov_impact sriov_attrs_impact(const struct sriov_driver *d, unsigned attrs);
/* Whether err is a refusal the driver gives while a VF resets, worth retrying. */
bool sriov_transient(const struct sriov_driver *d, int err);
/* Whether the driver sets max TX rates on PCI device id. */
bool sriov_rate_on_device(const struct sriov_driver *d, uint16_t device);

/* "none", "vf-reset", "vf-destroy", "pf-reset". */
const char *sriov_impact_name(enum sriov_impact i);
/* 0 with *out set, or -EINVAL for a word that is not an impact. */
int sriov_impact_parse(const char *s, enum sriov_impact *out);

#endif
