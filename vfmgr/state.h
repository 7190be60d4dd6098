/* The state file: which VM NIC holds which VF, what the VF looked like before vfmgr took it
 * (restored on release) and what vfmgr set (for drift reports). Written atomically, so after
 * a crash at any point it holds either the old or the new content. */
#ifndef VFMGR_STATE_H
#define VFMGR_STATE_H

#include "rss/ethtool.h"
#include "vfmgr/observe-host.h"
#include "sriov/vfcfg.h"
#include "util/cleanup.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define STATE_DEFAULT_PATH "/var/lib/vfmgr/state.json"
#define STATE_NAME_LEN     65

struct state_alloc {
	char vm[STATE_NAME_LEN];
	unsigned nic, leg; /* NIC index in the VM, leg 0/1 of a redundant pair */
	char network[STATE_NAME_LEN];
	char pf[STATE_NAME_LEN]; /* policy name of the PF */
	char pf_addr[NIC_ADDR_LEN];
	unsigned vf;
	char vf_addr[NIC_ADDR_LEN]; /* "" for netdevsim */
	bool saved_known;           /* false: the VF did not exist before vfmgr made it */
	struct vf_config saved;
	struct vf_config want;
	bool vfio;       /* the VF goes to vfio-pci for the VM (vf-driver vfio-pci) */
	bool migratable; /* gets a virtio-net standby twin in qemu-args */
	bool driver_known;
	char driver_before[DRIVER_LEN]; /* the VF's driver before vfmgr bound it ("" = none) */
	/* Being given back: written before the first restore step and dropped after the last,
	 * so a run that is killed half way leaves the VF on record and the next run (release,
	 * apply, prepare, the daemon) restores it. The VM no longer holds it. */
	bool releasing;
	/* While planning only (not in the file): the policy's VM and PF, or POLICY_NONE. */
	size_t vm_index, pf_index;
};

/* A whole device passed through to a VM. */
struct state_pt {
	char vm[STATE_NAME_LEN];
	unsigned index; /* position in the VM's passthrough list */
	char addr[NIC_ADDR_LEN];
	bool driver_known;
	char driver_before[DRIVER_LEN];
	bool releasing; /* being given back, as state_alloc.releasing */
};

/* The hash key vfmgr generated for a PF whose policy says `key: random`. While the PF still
 * has this key the policy is met; any other key (never set by vfmgr, or reset by the driver)
 * is replaced by a fresh random one. */
struct state_rss_key {
	char addr[NIC_ADDR_LEN];
	uint32_t len;
	uint8_t key[RSS_KEY_MAX];
};

struct state {
	struct state_alloc *allocs;
	size_t n, cap;
	struct state_pt *pts;
	size_t n_pts, cap_pts;
	struct state_rss_key *keys;
	size_t n_keys, cap_keys;
};

void state_free(struct state *s);
#define _cleanup_state_ _cleanup_(state_free) /* on a state initialized {0} */
int state_copy(struct state *dst, const struct state *src);
/* A missing file is an empty state. Errors name the file (and line:col for bad JSON). */
int state_load(const char *path, struct state *s);
int state_save(const char *path, const struct state *s);
json_t *state_to_json(const struct state *s);
bool state_equal(const struct state *a, const struct state *b);
/* Fills s from parsed JSON; on error writes a message into err. */
int state_from_json(json_t *j, struct state *s, char *err, size_t errsize);
/* Checks the state against the host before anything acts on it: each VF address must be the
 * VF of its PF that the kernel's virtfn links name. 0, or -EINVAL with err filled. */
int state_check_host(const struct state *s, const struct host *h, char *err, size_t errsize);
/* The state path: $VFMGR_STATE or the default. */
const char *state_path(const char *override);

/* Allocations are kept sorted by (vm, nic, leg, releasing): state_find is a binary search. A
 * NIC may have two records while its VF moves: the one it holds and the one being released. */
void state_sort(struct state *s);
int state_alloc_cmp(const struct state_alloc *a, const struct state_alloc *b);
/* The NIC's record it holds (never one being released). */
struct state_alloc *state_find(const struct state *s, const char *vm, unsigned nic, unsigned leg);
/* The NIC's record being released, or NULL. */
struct state_alloc *state_find_releasing(const struct state *s, const char *vm, unsigned nic,
                                         unsigned leg);
/* The device's record held by a VM, else the one being released, else NULL. */
struct state_pt *state_find_pt(const struct state *s, const char *addr);
/* Whether vm holds any VF or whole device in s (records being released do not count). */
bool state_holds_vm(const struct state *s, const char *vm);
/* Whether s records anything being released. */
bool state_has_releasing(const struct state *s);
/* What apply writes before its first step: next, plus every record of old that next drops,
 * marked releasing (kept until the restores are done). 0 or -ENOMEM. */
int state_with_releasing(struct state *dst, const struct state *next, const struct state *old);
struct state_rss_key *state_find_rss_key(const struct state *s, const char *addr);
/* Records key as the one vfmgr generated for addr (replacing an older record); 0 or -ENOMEM. */
int state_set_rss_key(struct state *s, const char *addr, const uint8_t *key, uint32_t len);

#endif
