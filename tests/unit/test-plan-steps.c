/* The table of step kinds: every kind has every part, and one word of its own. */
#include "vfmgr/plan-steps.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_kind_has_every_part),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
