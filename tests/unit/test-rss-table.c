/* Indirection-table math: equal, weighted and listed-queue spreads stay balanced for every table
 * size and queue count drivers use, and give what ethtool would for the lab's igb. */
#include "rss/table.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define MAX_SIZE   512
#define MAX_QUEUES 64

static void test_equal_never_differs_by_more_than_one_entry(void **state)
{
	uint32_t table[MAX_SIZE], counts[MAX_QUEUES + 8];
	(void)state;

	for (size_t size = 1; size <= MAX_SIZE; size++) {
		for (uint32_t n = 1; n <= MAX_QUEUES; n++) {
			uint32_t start = n % 5;
			assert_int_equal(rss_table_equal(table, size, start, n), 0);
			rss_table_count(table, size, counts, start + n);
			uint32_t lo = UINT32_MAX, hi = 0;
			for (uint32_t q = 0; q < start; q++)
				if (counts[q] != 0)
					fail_msg(
					    "size %zu equal %u start %u: queue %u below start has "
					    "%u entries, expected 0",
					    size, n, start, q, counts[q]);
			for (uint32_t q = start; q < start + n; q++) {
				lo = counts[q] < lo ? counts[q] : lo;
				hi = counts[q] > hi ? counts[q] : hi;
			}
			if (hi - lo > 1)
				fail_msg("size %zu equal %u: queue shares range %u..%u, expected a "
				         "spread of at most 1",
				         size, n, lo, hi);
		}
	}
}

static void test_equal_4_on_igb_table_cycles_queues(void **state)
{
	uint32_t table[128];
	(void)state;

	assert_int_equal(rss_table_equal(table, 128, 0, 4), 0);
	for (size_t i = 0; i < 128; i++)
		assert_int_equal(table[i], i % 4);
}

static void test_equal_needs_a_queue(void **state)
{
	uint32_t table[4];
	(void)state;

	assert_int_equal(rss_table_equal(table, 4, 0, 0), -EINVAL);
}

/* Each queue's share must be within one entry of exact, zero weights get nothing, and runs are
 * contiguous and in queue order. */
static void check_weights(const uint32_t *table, size_t size, uint32_t start, const uint32_t *w,
                          size_t nw)
{
	uint32_t counts[MAX_QUEUES + 8];
	uint64_t sum = 0;

	for (size_t q = 0; q < nw; q++)
		sum += w[q];
	rss_table_count(table, size, counts, start + nw);
	for (size_t q = 0; q < nw; q++) {
		/* |count - size*w/sum| < 1  <=>  |count*sum - size*w| < sum */
		int64_t diff = (int64_t)counts[start + q] * (int64_t)sum - (int64_t)(size * w[q]);
		if (diff <= -(int64_t)sum || diff >= (int64_t)sum)
			fail_msg("size %zu: queue %zu weight %u of %llu got %u entries, expected "
			         "within one of %.2f",
			         size, q, w[q], (unsigned long long)sum, counts[start + q],
			         (double)size * w[q] / (double)sum);
		if (w[q] == 0 && counts[start + q] != 0)
			fail_msg("size %zu: queue %zu has weight 0 but %u entries", size, q,
			         counts[start + q]);
	}
	for (size_t i = 1; i < size; i++)
		if (table[i] < table[i - 1])
			fail_msg("size %zu: entry %zu (queue %u) is below entry %zu (queue %u)",
			         size, i, table[i], i - 1, table[i - 1]);
}

static void test_weights_share_within_one_entry_of_exact(void **state)
{
	uint32_t table[MAX_SIZE], w[MAX_QUEUES];
	(void)state;

	srand(6);
	for (size_t size = 1; size <= MAX_SIZE; size++) {
		for (int round = 0; round < 20; round++) {
			size_t nw = 1 + (size_t)rand() % MAX_QUEUES;
			uint64_t sum = 0;
			for (size_t q = 0; q < nw; q++) {
				w[q] = (uint32_t)rand() % 4 == 0 ? 0 : (uint32_t)rand() % 9;
				sum += w[q];
			}
			if (sum == 0)
				w[0] = 1, sum = 1;
			if (sum > size) {
				assert_int_equal(rss_table_weights(table, size, 0, w, nw), -ERANGE);
				continue;
			}
			uint32_t start = (uint32_t)round % 3;
			assert_int_equal(rss_table_weights(table, size, start, w, nw), 0);
			check_weights(table, size, start, w, nw);
		}
	}
}

/* Weights w on igb's 128-entry table give queue q want[q] entries. */
static void weights_give(uint32_t table[128], const uint32_t *w, size_t n, const uint32_t *want)
{
	uint32_t counts[8];

	assert_true(n <= 8);
	assert_int_equal(rss_table_weights(table, 128, 0, w, n), 0);
	rss_table_count(table, 128, counts, n);
	for (size_t q = 0; q < n; q++)
		if (counts[q] != want[q])
			fail_msg("queue %zu: expected %u entries, saw %u", q, want[q], counts[q]);
}

static void test_weights_1_2_1_0_on_igb_table(void **state)
{
	static const uint32_t w[] = {1, 2, 1, 0}, want[] = {32, 64, 32, 0};
	uint32_t table[128];
	(void)state;

	weights_give(table, w, 4, want);
	assert_int_equal(table[31], 0);
	assert_int_equal(table[32], 1);
	assert_int_equal(table[96], 2);
	assert_int_equal(table[127], 2);
}

/* ethtool computes `weight 1 1 1` on 128 entries as 42 43 43 (boundaries floor(128*k/3)). */
static void test_weights_match_ethtool_rounding(void **state)
{
	static const uint32_t w[] = {1, 1, 1}, want[] = {42, 43, 43};
	uint32_t table[128];
	(void)state;

	weights_give(table, w, 3, want);
}

static void test_weights_refuse_zero_sum_and_oversized_sum(void **state)
{
	static const uint32_t zero[] = {0, 0};
	static const uint32_t big[] = {3, 3};
	uint32_t table[4];
	(void)state;

	assert_int_equal(rss_table_weights(table, 4, 0, zero, 2), -EINVAL);
	assert_int_equal(rss_table_weights(table, 4, 0, zero, 0), -EINVAL);
	assert_int_equal(rss_table_weights(table, 4, 0, big, 2), -ERANGE);
}

static void test_listed_queues_get_balanced_shares_and_others_none(void **state)
{
	uint32_t table[MAX_SIZE], queues[MAX_QUEUES], counts[2 * MAX_QUEUES + 1];
	(void)state;

	for (size_t size = 1; size <= MAX_SIZE; size += 7) {
		for (size_t nq = 1; nq <= MAX_QUEUES; nq++) {
			/* Every other queue is "local": 1, 3, 5, ... */
			for (size_t i = 0; i < nq; i++)
				queues[i] = (uint32_t)(2 * i + 1);
			assert_int_equal(rss_table_queues(table, size, queues, nq), 0);
			rss_table_count(table, size, counts, 2 * nq + 1);
			uint32_t lo = UINT32_MAX, hi = 0;
			for (size_t q = 0; q <= 2 * nq; q++) {
				if (q % 2 == 0) {
					if (counts[q] != 0)
						fail_msg(
						    "size %zu: queue %zu is not listed but has %u "
						    "entries",
						    size, q, counts[q]);
					continue;
				}
				lo = counts[q] < lo ? counts[q] : lo;
				hi = counts[q] > hi ? counts[q] : hi;
			}
			if (hi - lo > 1)
				fail_msg("size %zu, %zu listed queues: shares range %u..%u", size,
				         nq, lo, hi);
		}
	}
	assert_int_equal(rss_table_queues(table, 4, queues, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_equal_never_differs_by_more_than_one_entry),
	    cmocka_unit_test(test_equal_4_on_igb_table_cycles_queues),
	    cmocka_unit_test(test_equal_needs_a_queue),
	    cmocka_unit_test(test_weights_share_within_one_entry_of_exact),
	    cmocka_unit_test(test_weights_1_2_1_0_on_igb_table),
	    cmocka_unit_test(test_weights_match_ethtool_rounding),
	    cmocka_unit_test(test_weights_refuse_zero_sum_and_oversized_sum),
	    cmocka_unit_test(test_listed_queues_get_balanced_shares_and_others_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
