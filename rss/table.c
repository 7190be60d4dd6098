#include "rss/table.h"

#include <errno.h>

int rss_table_equal(uint32_t *table, size_t size, uint32_t start, uint32_t nqueues)
{
	if (nqueues == 0)
		return -EINVAL;
	for (size_t i = 0; i < size; i++)
		table[i] = start + (uint32_t)(i % nqueues);
	return 0;
}

int rss_table_weights(uint32_t *table, size_t size, uint32_t start, const uint32_t *weights,
                      size_t nweights)
{
	uint64_t sum = 0, partial = 0;
	size_t entry = 0;

	for (size_t q = 0; q < nweights; q++) {
		sum += weights[q];
		if (sum > UINT32_MAX)
			return -ERANGE;
	}
	if (sum == 0)
		return -EINVAL;
	/* Past one entry per unit of weight some non-zero weight would get nothing; ethtool
	 * refuses that too. */
	if (sum > size)
		return -ERANGE;
	/* Queue q ends at floor(size * (w0 + ... + wq) / sum), as `ethtool -X weight` computes it
	 * (so both give the same table): every boundary is within one entry below exact, so each
	 * share is within one entry of exact. */
	for (size_t q = 0; q < nweights; q++) {
		partial += weights[q];
		size_t end = (size_t)((uint64_t)size * partial / sum);
		for (; entry < end; entry++)
			table[entry] = start + (uint32_t)q;
	}
	return 0;
}

int rss_table_queues(uint32_t *table, size_t size, const uint32_t *queues, size_t nqueues)
{
	if (nqueues == 0)
		return -EINVAL;
	for (size_t i = 0; i < size; i++)
		table[i] = queues[i % nqueues];
	return 0;
}

void rss_table_count(const uint32_t *table, size_t size, uint32_t *counts, size_t nqueues)
{
	for (size_t q = 0; q < nqueues; q++)
		counts[q] = 0;
	for (size_t i = 0; i < size; i++)
		if (table[i] < nqueues)
			counts[table[i]]++;
}
