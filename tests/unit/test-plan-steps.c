/* The table of step kinds: every kind has every part, and one word of its own. */
#include "vfmgr/plan-steps.h"
#include "rss/table.h"
#include "vfmgr/cmd-rss-words.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static void test_every_kind_has_every_part(void **state)
{
	(void)state;
	for (size_t k = 0; k < PLAN_KIND_COUNT; k++) {
		const struct plan_step_kind *s = &plan_steps[k];
		assert_non_null(s->name);
		assert_non_null(s->run);
		assert_non_null(s->undo);
		assert_non_null(s->describe);
		assert_non_null(s->record);
		assert_non_null(s->text);
		assert_non_null(s->keep);
		assert_non_null(s->impact);
		for (size_t i = 0; i < k; i++)
			assert_string_not_equal(plan_steps[i].name, s->name);
	}
}

/* An igb PF as rss set reads it: 8 combined channels (the maximum), equal 8, toeplitz. */
static void igb_rss(struct nic *n, struct netdev *nd, struct nic_rss *r)
{
	struct rss_state *st = &r->st;

	memset(r, 0, sizeof(*r));
	snprintf(st->ifname, sizeof(st->ifname), "enp1s0");
	snprintf(st->driver, sizeof(st->driver), "igb");
	st->has_channels = true;
	st->max = (struct rss_channels){0, 0, 1, 8};
	st->cur = (struct rss_channels){0, 0, 1, 8};
	st->rx_rings = 8;
	st->has_rss = true;
	st->indir_size = 128;
	rss_table_equal(st->indir, 128, 0, 8);
	st->hfunc = 1; /* toeplitz */
	CPU_SET(0, &r->irqs.local);
	memset(nd, 0, sizeof(*nd));
	snprintf(nd->name, sizeof(nd->name), "enp1s0");
	memset(n, 0, sizeof(*n));
	snprintf(n->addr, sizeof(n->addr), "0000:01:00.0");
	snprintf(n->driver, sizeof(n->driver), "igb");
	n->netdevs = nd;
	n->n_netdevs = 1;
	n->pf = NO_INDEX;
	n->rss = r;
}

/* rss set's words, planned: only what differs, in the table's order, refusals in words. */
static size_t plan_words(const struct nic *n, const char *words, struct plan *pl, int *r, char *why,
                         size_t size)
{
	char buf[256], *argv[16];
	int argc = 0;
	struct rss_spec s;

	snprintf(buf, sizeof(buf), "%s", words);
	for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && argc < 16;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	assert_int_equal(rss_words_parse(argc, argv, &s), 0);
	memset(pl, 0, sizeof(*pl));
	*r = plan_rss_request(&s, n, pl, why, size);
	return pl->n;
}

static void test_rss_set_plans_only_what_differs(void **state)
{
	struct nic_rss *rss = calloc(1, sizeof(*rss));
	struct netdev nd;
	struct nic n;
	struct plan pl;
	char why[256] = "";
	int r;
	(void)state;

	igb_rss(&n, &nd, rss);
	/* Met: nothing to do. */
	assert_int_equal(
	    plan_words(&n, "channels 8 equal 8 hfunc toeplitz", &pl, &r, why, sizeof(why)), 0);
	assert_int_equal(r, 0);
	plan_free(&pl);
	/* Channels, then the table; the steps describe themselves from the table. */
	assert_int_equal(plan_words(&n, "channels 4 equal 4", &pl, &r, why, sizeof(why)), 2);
	assert_int_equal(pl.actions[0].kind, PLAN_RSS_CHANNELS);
	assert_int_equal(pl.actions[1].kind, PLAN_RSS_TABLE);
	plan_step_name(&pl.actions[1], why, sizeof(why));
	assert_string_equal(why, "0000:01:00.0 (enp1s0) rss table");
	plan_free(&pl);
	/* numa-local: the table follows the IRQs after the channel change, worked out at apply. */
	assert_int_equal(plan_words(&n, "numa-local", &pl, &r, why, sizeof(why)), 1);
	assert_true(pl.actions[0].rss->numa_local);
	plan_free(&pl);
	/* Refused before anything is planned, with the driver's maximum. */
	assert_int_equal(plan_words(&n, "channels 9", &pl, &r, why, sizeof(why)), 0);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(why, "at most 8 combined channels"));
	plan_free(&pl);
	assert_int_equal(plan_words(&n, "hkey random", &pl, &r, why, sizeof(why)), 0);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(why, "hash key not supported by igb"));
	plan_free(&pl);
	free(rss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_kind_has_every_part),
	    cmocka_unit_test(test_rss_set_plans_only_what_differs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
