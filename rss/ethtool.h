/* Channels, RSS indirection table, hash key and hash function through the kernel's SIOCETHTOOL
 * ioctl. Readers fill a struct rss_state; each setter reads first and writes only what differs,
 * so applying the same value twice writes nothing. A planner keeps the state read before a
 * change as that change's undo. All functions return 0 or -errno; callers add the context. */
#ifndef VFMGR_RSS_ETHTOOL_H
#define VFMGR_RSS_ETHTOOL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fixed bounds keep struct rss_state a plain value an undo can copy. Larger tables or keys than
 * these are refused with -E2BIG rather than cut. */
#define RSS_INDIR_MAX 2048
#define RSS_KEY_MAX   256
/* In a wanted struct rss_channels: leave this count as the driver has it. */
#define RSS_KEEP UINT32_MAX

struct rss_channels {
	uint32_t rx, tx, other, combined;
};

struct rss_state {
	char ifname[IFNAMSIZ];
	char driver[32];         /* ETHTOOL_GDRVINFO, for messages ("igb") */
	bool driver_known;       /* false: ETHTOOL_GDRVINFO failed and driver reads "its driver" */
	bool has_channels;       /* the driver answers ETHTOOL_GCHANNELS */
	struct rss_channels max; /* the driver's limits */
	struct rss_channels cur; /* what is set now */
	uint32_t rx_rings;       /* ETHTOOL_GRXRINGS: the table may point at 0..rx_rings-1 */
	bool has_rss;            /* the driver answers ETHTOOL_GRSSH */
	uint32_t indir_size;     /* entries in the indirection table, 0 when it has none */
	uint32_t indir[RSS_INDIR_MAX];
	uint32_t key_size; /* bytes of hash key; 0 when the driver does not expose it */
	uint8_t key[RSS_KEY_MAX];
	uint32_t hfunc; /* ETH_RSS_HASH_* bit of the active hash function, 0 unknown */
};

/* Reads everything above. A driver without channel or RSS support is not an error: has_channels
 * and has_rss say so. -ENODEV when the interface does not exist. */
int rss_read_state(const char *ifname, struct rss_state *st);

/* Pure checks against a state read before, so a planner can refuse a request before touching
 * anything. On failure they return -errno and put a sentence for the user in why:
 *   -ERANGE      a count above the driver's maximum ("igb on enp1s0 allows at most 2 combined
 *                channels, asked for 4")
 *   -EOPNOTSUPP  the driver has no such setting ("hash key not supported by igb on enp1s0")
 *   -EINVAL      a table of the wrong size, or an entry past the queues there will be */
int rss_check_channels(const struct rss_state *st, const struct rss_channels *want, char *why,
                       size_t size);
/* nqueues: the receive queues there will be once channels are applied. */
int rss_check_table(const struct rss_state *st, uint32_t nqueues, const uint32_t *table, uint32_t n,
                    char *why, size_t size);
int rss_check_key(const struct rss_state *st, uint32_t key_size, char *why, size_t size);

/* Setters against a state read just before (now; its ifname names the device), so a caller
 * that keeps that read as its undo does not read again. *changed (may be NULL) says whether
 * anything was written. The rss_apply_* forms read the state first. Apply channels before the
 * table: drivers rebuild their default table when the queue count changes (igb does).
 *
 * Channels: fields set to RSS_KEEP stay; -ERANGE above the driver's maximum, nothing written.
 * When fewer receive queues are asked than the current user-set table points at, the kernel
 * refuses the change; the table is first reset to the driver's default, which the following
 * table action then replaces. */
int rss_set_channels(const struct rss_state *now, const struct rss_channels *want, bool *changed);
int rss_apply_channels(const char *ifname, const struct rss_channels *want, bool *changed);
/* n must be the driver's table size and every entry below its current receive ring count. */
int rss_set_table(const struct rss_state *now, const uint32_t *table, uint32_t n, bool *changed);
int rss_apply_table(const char *ifname, const uint32_t *table, uint32_t n, bool *changed);
/* -EOPNOTSUPP when the driver hides its key (key size 0), -EINVAL when the size differs. */
int rss_set_key(const struct rss_state *now, const uint8_t *key, uint32_t n, bool *changed);
int rss_apply_key(const char *ifname, const uint8_t *key, uint32_t n, bool *changed);
/* hfunc as rss_hfunc_from_name gives it; drivers refuse functions they lack with -EOPNOTSUPP. */
int rss_set_hfunc(const struct rss_state *now, uint32_t hfunc, bool *changed);
int rss_apply_hfunc(const char *ifname, uint32_t hfunc, bool *changed);

/* Hash function names as ethtool prints them ("toeplitz", "xor", "crc32"). */
const char *rss_hfunc_name(uint32_t hfunc);
int rss_hfunc_from_name(const char *name, uint32_t *hfunc);

/* SCHANNELS and SRSSH calls made so far: tests show a converged run makes none. */
unsigned long rss_write_count(void);

#endif
