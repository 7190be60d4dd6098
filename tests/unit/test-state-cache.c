/* The memo of the state file: a load of the text vfmgr wrote gives what parsing it gives, the
 * memo serves only that exact text, and a state file changed by anyone else is parsed again. */
#include "vfmgr/state-cache.h"
#include "vfmgr/state.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256], state_file[300], memo[300];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/vfmgr-test-cache-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(state_file, sizeof(state_file), "%s/state.json", dir);
	snprintf(memo, sizeof(memo), "%s/state.cache", dir);
	state_cache_at(dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	state_cache_at(NULL);
	unlink(state_file);
	unlink(memo);
	rmdir(dir);
	return 0;
}

/* Two VMs' VFs (given out of order: the file is read back sorted) and an RSS key. */
static void sample(struct state *s, unsigned vlan)
{
	static const uint8_t key[4] = {1, 2, 3, 4};

	memset(s, 0, sizeof(*s));
	s->allocs = calloc(2, sizeof(*s->allocs));
	assert_non_null(s->allocs);
	s->n = s->cap = 2;
	for (unsigned i = 0; i < 2; i++) {
		struct state_alloc *a = &s->allocs[i];
		snprintf(a->vm, sizeof(a->vm), "vm%u", 2 - i);
		snprintf(a->network, sizeof(a->network), "prod");
		snprintf(a->pf, sizeof(a->pf), "uplink-a");
		snprintf(a->pf_addr, sizeof(a->pf_addr), "0000:01:00.0");
		snprintf(a->vf_addr, sizeof(a->vf_addr), "0000:01:10.%u", i);
		a->vf = i;
		a->want.vlan = (uint16_t)vlan;
		a->want.max_rate = 100 + i;
		a->want.spoofchk = 1;
		a->saved_known = i == 0;
		a->driver_known = true;
		snprintf(a->driver_before, sizeof(a->driver_before), "igbvf");
	}
	assert_int_equal(state_set_rss_key(s, "0000:01:00.0", key, sizeof(key)), 0);
}

/* The sample saved with VLAN vlan (through the memo when it is on): the file's text. */
static char *save_sample(unsigned vlan, size_t *len)
{
	static char buf[1 << 16];
	struct state s;
	FILE *f;

	sample(&s, vlan);
	assert_int_equal(state_save(state_file, &s), 0);
	state_free(&s);
	f = fopen(state_file, "r");
	assert_non_null(f);
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

static void test_memo_gives_what_the_file_parses_to(void **state)
{
	struct state parsed, memoed;
	size_t len;
	(void)state;

	char *text = save_sample(100, &len);
	assert_int_equal(state_cache_take(text, len, &memoed), 0);
	state_cache_at(NULL);
	assert_int_equal(state_load(state_file, &parsed), 0);
	state_cache_at(dir);
	assert_true(state_equal(&parsed, &memoed));
	assert_int_equal(memoed.n, 2);
	assert_string_equal(memoed.allocs[0].vm, "vm1");
	assert_int_equal(memoed.allocs[0].vm_index, parsed.allocs[0].vm_index);
	assert_int_equal(memoed.allocs[0].want.index, parsed.allocs[0].want.index);
	/* Written as "802.1Q", read back as the protocol number, not as it was in memory. */
	assert_int_equal(memoed.allocs[0].want.proto, parsed.allocs[0].want.proto);
	state_free(&parsed);
	state_free(&memoed);
}

static void test_memo_serves_only_the_exact_text(void **state)
{
	struct state got;
	size_t len;
	(void)state;

	char *text = save_sample(100, &len);
	assert_int_equal(state_cache_take(text, len, &got), 0);
	state_free(&got);
	text[len - 2] = ' '; /* one byte of layout */
	assert_int_equal(state_cache_take(text, len, &got), -ENOENT);
	assert_int_equal(state_cache_take(text, len - 1, &got), -ENOENT);
}

static void test_file_changed_by_another_writer_is_parsed(void **state)
{
	struct state got;
	size_t len;
	(void)state;

	save_sample(100, &len);
	/* Written without the memo (as an older vfmgr or a hand edit would): the memo still
	 * holds VLAN 100, the file says 200. */
	state_cache_at(NULL);
	save_sample(200, &len);
	state_cache_at(dir);
	assert_int_equal(state_load(state_file, &got), 0);
	assert_int_equal(got.allocs[0].want.vlan, 200);
	state_free(&got);
}

static void test_damaged_memo_is_not_used(void **state)
{
	struct state got;
	size_t len;
	(void)state;

	char *text = save_sample(100, &len);
	assert_int_equal(truncate(memo, 40), 0);
	assert_int_equal(state_cache_take(text, len, &got), -ENOENT);
	assert_int_equal(state_load(state_file, &got), 0);
	assert_int_equal(got.n, 2);
	state_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_memo_gives_what_the_file_parses_to, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_memo_serves_only_the_exact_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_changed_by_another_writer_is_parsed, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_damaged_memo_is_not_used, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
