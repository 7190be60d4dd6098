/* What a user or the policy asks of one interface's RSS, before it meets the device: the CLI's
 * words and the policy's rss: block both become a struct rss_spec. */
#ifndef VFMGR_RSS_SPEC_H
#define VFMGR_RSS_SPEC_H

#include "rss/ethtool.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSS_WEIGHTS_MAX 256

enum rss_indir_kind {
	RSS_INDIR_KEEP,    /* table not asked for */
	RSS_INDIR_EQUAL,   /* equal over `equal` queues from `start` (0 = all from start) */
	RSS_INDIR_WEIGHTS, /* weights[i] for queue start+i */
	RSS_INDIR_LOCAL,   /* equal over the queues whose IRQs sit on the NIC's local CPUs */
};

enum rss_key_kind { RSS_KEY_KEEP, RSS_KEY_BYTES, RSS_KEY_RANDOM };

struct rss_spec {
	uint32_t channels; /* combined channels, RSS_KEEP when not asked */
	enum rss_indir_kind indir;
	uint32_t start, equal;
	uint32_t weights[RSS_WEIGHTS_MAX];
	size_t nweights;
	enum rss_key_kind key;
	uint8_t key_bytes[RSS_KEY_MAX];
	uint32_t key_len;
	bool set_hfunc;
	uint32_t hfunc;
	bool irq_local; /* pin queue IRQs over the NIC's local CPUs */
};

void rss_spec_init(struct rss_spec *s);

/* Pure. Fills table[size] as s asks, for a device that will have nqueues receive queues; local
 * lists the NUMA-local queues (RSS_INDIR_LOCAL only). -EINVAL/-ERANGE as rss/table.h, and
 * -ERANGE when a queue past nqueues is asked for, with a sentence in why. */
int rss_spec_table(const struct rss_spec *s, uint32_t size, uint32_t nqueues, const uint32_t *local,
                   size_t nlocal, uint32_t *table, char *why, size_t whysize);

#endif
