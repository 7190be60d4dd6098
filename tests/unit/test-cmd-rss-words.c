/* The words of `vfmgr rss set`: each parses into the spec ethtool's word would mean, bad or
 * conflicting words are refused, and the spec turns into the table the device can take. */
#include "vfmgr/cmd-rss-words.h"
#include "rss/ethtool.h"
#include "rss/spec.h"
#include "util/log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

static int parse(struct rss_spec *s, char *const *w)
{
	int n = 0;

	while (w[n])
		n++;
	return rss_words_parse(n, w, s);
}

/* The table of size entries over nqueues queues (local: the NUMA-local ones) that the words
 * give; why gets a refusal. */
static int table_of(char *const *w, uint32_t size, uint32_t nqueues, const uint32_t *local,
                    size_t nlocal, uint32_t *table, char why[128])
{
	struct rss_spec s;

	assert_int_equal(parse(&s, w), 0);
	return rss_spec_table(&s, size, nqueues, local, nlocal, table, why, 128);
}

static void test_no_words_keep_everything(void **state)
{
	char *w[] = {NULL};
	struct rss_spec s;
	(void)state;

	assert_int_equal(parse(&s, w), 0);
	assert_int_equal(s.channels, RSS_KEEP);
	assert_int_equal(s.indir, RSS_INDIR_KEEP);
	assert_int_equal(s.key, RSS_KEY_KEEP);
	assert_false(s.set_hfunc);
	assert_false(s.irq_local);
}

static void test_channels_and_equal_with_start(void **state)
{
	char *w[] = {"channels", "4", "equal", "2", "start", "1", NULL};
	struct rss_spec s;
	(void)state;

	assert_int_equal(parse(&s, w), 0);
	assert_int_equal(s.channels, 4);
	assert_int_equal(s.indir, RSS_INDIR_EQUAL);
	assert_int_equal(s.equal, 2);
	assert_int_equal(s.start, 1);
}

static void test_weight_takes_every_following_number(void **state)
{
	char *w[] = {"weight", "1", "2", "1", "0", "hfunc", "toeplitz", NULL};
	struct rss_spec s;
	(void)state;

	assert_int_equal(parse(&s, w), 0);
	assert_int_equal(s.indir, RSS_INDIR_WEIGHTS);
	assert_int_equal(s.nweights, 4);
	assert_int_equal(s.weights[0], 1);
	assert_int_equal(s.weights[1], 2);
	assert_int_equal(s.weights[2], 1);
	assert_int_equal(s.weights[3], 0);
	assert_true(s.set_hfunc);
	assert_string_equal(rss_hfunc_name(s.hfunc), "toeplitz");
}

static void test_hkey_hex_with_and_without_colons(void **state)
{
	char *a[] = {"hkey", "6d:5a:56:DA", NULL};
	char *b[] = {"hkey", "6d5a56da", NULL};
	char *r[] = {"hkey", "random", "irq-affinity", "local", NULL};
	static const unsigned char want[] = {0x6d, 0x5a, 0x56, 0xda};
	struct rss_spec s;
	(void)state;

	assert_int_equal(parse(&s, a), 0);
	assert_int_equal(s.key, RSS_KEY_BYTES);
	assert_int_equal(s.key_len, 4);
	assert_memory_equal(s.key_bytes, want, 4);
	assert_int_equal(parse(&s, b), 0);
	assert_memory_equal(s.key_bytes, want, 4);
	assert_int_equal(parse(&s, r), 0);
	assert_int_equal(s.key, RSS_KEY_RANDOM);
	assert_true(s.irq_local);
}

static void test_bad_words_are_refused(void **state)
{
	char *unknown[] = {"queues", "4", NULL};
	char *no_value[] = {"channels", NULL};
	char *zero_channels[] = {"channels", "0", NULL};
	char *not_number[] = {"equal", "four", NULL};
	char *no_weights[] = {"weight", "hfunc", "xor", NULL};
	char *odd_hex[] = {"hkey", "6d:5", NULL};
	char *bad_hex[] = {"hkey", "zz", NULL};
	char *bad_hfunc[] = {"hfunc", "md5", NULL};
	char *bad_irq[] = {"irq-affinity", "all", NULL};
	char *const *bad[] = {unknown, no_value, zero_channels, not_number, no_weights,
	                      odd_hex, bad_hex,  bad_hfunc,     bad_irq};
	struct rss_spec s;
	(void)state;

	log_set_level(LOG_CRIT); /* the refusals log; keep the TAP output clean */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(&s, bad[i]) != -EINVAL)
			fail_msg("words starting '%s %s' were accepted, expected -EINVAL",
			         bad[i][0], bad[i][1] ? bad[i][1] : "");
	log_set_level(LOG_NOTICE);
}

static void test_two_tables_conflict(void **state)
{
	char *a[] = {"equal", "4", "weight", "1", "1", NULL};
	char *b[] = {"numa-local", "start", "1", NULL};
	char *c[] = {"weight", "1", "numa-local", NULL};
	struct rss_spec s;
	(void)state;

	log_set_level(LOG_CRIT);
	assert_int_equal(parse(&s, a), -EINVAL);
	assert_int_equal(parse(&s, b), -EINVAL);
	assert_int_equal(parse(&s, c), -EINVAL);
	log_set_level(LOG_NOTICE);
}

static void test_start_combines_with_weight_in_any_order(void **state)
{
	char *a[] = {"start", "1", "weight", "1", "2", NULL};
	char *b[] = {"weight", "1", "2", "start", "1", NULL};
	struct rss_spec s;
	(void)state;

	assert_int_equal(parse(&s, a), 0);
	assert_int_equal(s.indir, RSS_INDIR_WEIGHTS);
	assert_int_equal(s.start, 1);
	assert_int_equal(s.nweights, 2);
	assert_int_equal(parse(&s, b), 0);
	assert_int_equal(s.indir, RSS_INDIR_WEIGHTS);
	assert_int_equal(s.start, 1);
}

static void test_start_alone_spreads_over_the_rest(void **state)
{
	char *w[] = {"start", "2", NULL};
	uint32_t table[8];
	char why[128];
	(void)state;

	assert_int_equal(table_of(w, 8, 4, NULL, 0, table, why), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(table[i], 2 + i % 2);
}

static void test_spec_refuses_queues_past_the_channel_count(void **state)
{
	char *eq[] = {"equal", "4", NULL};
	char *wt[] = {"weight", "1", "1", "1", NULL};
	char *wt0[] = {"weight", "1", "1", "0", "0", NULL};
	uint32_t table[128];
	char why[128];
	(void)state;

	assert_int_equal(table_of(eq, 128, 2, NULL, 0, table, why), -ERANGE);
	assert_non_null(strstr(why, "there will be 2"));
	assert_int_equal(table_of(wt, 128, 2, NULL, 0, table, why), -ERANGE);
	/* Trailing zero weights may name queues that do not exist, like ethtool allows. */
	assert_int_equal(table_of(wt0, 128, 2, NULL, 0, table, why), 0);
}

static void test_numa_local_uses_the_listed_queues(void **state)
{
	char *w[] = {"numa-local", NULL};
	static const uint32_t local[] = {1, 3};
	uint32_t table[16];
	char why[128];
	(void)state;

	assert_int_equal(table_of(w, 16, 4, local, 2, table, why), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(table[i], i % 2 ? 3 : 1);
	assert_int_equal(table_of(w, 16, 4, local, 0, table, why), -EINVAL);
}

/* The checks a planner runs before writing: igb's limits as the lab shows them. */
static void test_checks_name_driver_limits(void **state)
{
	static struct rss_state st;
	struct rss_channels four = {RSS_KEEP, RSS_KEEP, RSS_KEEP, 4};
	struct rss_channels two = {RSS_KEEP, RSS_KEEP, RSS_KEEP, 2};
	uint32_t table[128] = {0};
	char why[160];
	(void)state;

	strcpy(st.ifname, "enp1s0");
	strcpy(st.driver, "igb");
	st.has_channels = st.has_rss = true;
	st.max.combined = 2;
	st.max.other = 1;
	st.indir_size = 128;
	assert_int_equal(rss_check_channels(&st, &four, why, sizeof(why)), -ERANGE);
	assert_string_equal(why, "igb on enp1s0 allows at most 2 combined channels, asked for 4");
	assert_int_equal(rss_check_channels(&st, &two, why, sizeof(why)), 0);
	assert_int_equal(rss_check_key(&st, 40, why, sizeof(why)), -EOPNOTSUPP);
	assert_string_equal(why, "hash key not supported by igb on enp1s0 (the driver does not "
	                         "expose it)");
	assert_int_equal(rss_check_table(&st, 2, table, 128, why, sizeof(why)), 0);
	table[127] = 2;
	assert_int_equal(rss_check_table(&st, 2, table, 128, why, sizeof(why)), -EINVAL);
	assert_int_equal(rss_check_table(&st, 2, table, 64, why, sizeof(why)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_words_keep_everything),
	    cmocka_unit_test(test_channels_and_equal_with_start),
	    cmocka_unit_test(test_weight_takes_every_following_number),
	    cmocka_unit_test(test_hkey_hex_with_and_without_colons),
	    cmocka_unit_test(test_bad_words_are_refused),
	    cmocka_unit_test(test_two_tables_conflict),
	    cmocka_unit_test(test_start_combines_with_weight_in_any_order),
	    cmocka_unit_test(test_start_alone_spreads_over_the_rest),
	    cmocka_unit_test(test_spec_refuses_queues_past_the_channel_count),
	    cmocka_unit_test(test_numa_local_uses_the_listed_queues),
	    cmocka_unit_test(test_checks_name_driver_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
