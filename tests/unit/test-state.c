/* The state file's JSON: the RSS keys vfmgr generated survive a round trip, and files written
 * before rss_keys existed still load. */
#include "vfmgr/state.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

static void test_rss_key_round_trips(void **state)
{
	struct state s = {0}, back;
	uint8_t key[40];
	char err[200];
	(void)state;

	for (int i = 0; i < 40; i++)
		key[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(state_set_rss_key(&s, "0000:01:00.0", key, 40), 0);
	key[0] = 0x01;
	assert_int_equal(state_set_rss_key(&s, "0000:01:00.0", key, 40), 0);
	assert_int_equal(s.n_keys, 1);
	json_t *j = state_to_json(&s);
	assert_non_null(j);
	assert_int_equal(state_from_json(j, &back, err, sizeof(err)), 0);
	json_decref(j);
	assert_true(state_equal(&s, &back));
	const struct state_rss_key *k = state_find_rss_key(&back, "0000:01:00.0");
	assert_non_null(k);
	assert_int_equal(k->len, 40);
	assert_memory_equal(k->key, key, 40);
	state_free(&s);
	state_free(&back);
}

static void test_file_without_rss_keys_loads(void **state)
{
	json_error_t je;
	json_t *j =
	    json_loads("{\"version\": 1, \"allocations\": [], \"passthrough\": []}", 0, &je);
	struct state s;
	char err[200];
	(void)state;

	assert_int_equal(state_from_json(j, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n_keys, 0);
	/* ... and is written back the same: no empty rss_keys. */
	json_t *out = state_to_json(&s);
	assert_true(json_equal(j, out));
	json_decref(out);
	json_decref(j);
	state_free(&s);
}

static void test_bad_rss_key_is_refused(void **state)
{
	json_error_t je;
	json_t *j =
	    json_loads("{\"version\": 1, \"allocations\": [], \"passthrough\": [], "
	               "\"rss_keys\": [{\"address\": \"0000:01:00.0\", \"key\": \"6d:5\"}]}",
	               0, &je);
	struct state s;
	char err[200];
	(void)state;

	assert_int_equal(state_from_json(j, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "rss_keys 0: bad address or key");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rss_key_round_trips),
	    cmocka_unit_test(test_file_without_rss_keys_loads),
	    cmocka_unit_test(test_bad_rss_key_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
