/* RSS indirection-table math: pure functions that fill a table of queue numbers. */
#ifndef VFMGR_RSS_TABLE_H
#define VFMGR_RSS_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* Spreads entries over queues start..start+nqueues-1 in turn (like `ethtool -X equal N start S`):
 * no queue holds more than one entry more than another. -EINVAL when nqueues is 0. */
int rss_table_equal(uint32_t *table, size_t size, uint32_t start, uint32_t nqueues);

/* Gives queue start+i a share of the entries proportional to weights[i] (like `ethtool -X
 * weight`), in contiguous runs; each share is within one entry of size * w[i] / sum(w). A zero
 * weight gets no entry. -EINVAL when there are no weights or they sum to 0, -ERANGE when they
 * sum to more than size (some queue with a weight would get no entry). */
int rss_table_weights(uint32_t *table, size_t size, uint32_t start, const uint32_t *weights,
                      size_t nweights);

/* Spreads entries over the listed queues in turn (the NUMA-local ones, say). -EINVAL when the list
 * is empty. */
int rss_table_queues(uint32_t *table, size_t size, const uint32_t *queues, size_t nqueues);

/* Counts how many entries point at each of the queues 0..nqueues-1 (entries past nqueues are
 * ignored); used to show and test the spread. */
void rss_table_count(const uint32_t *table, size_t size, uint32_t *counts, size_t nqueues);

#endif
