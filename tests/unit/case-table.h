/* Tests declared as a table of cases, each struct with a name: cmocka runs fn once per case,
 * with the case as its state and the case's name as the test's. Header-only, like
 * policy-expect.h. */
#ifndef VFMGR_TESTS_CASE_TABLE_H
#define VFMGR_TESTS_CASE_TABLE_H

#include "util/cleanup.h"

#include <string.h>

/* Runs one test per case (fn, with the case as its state and the case's name), then the tests
 * in others; cmocka_run_group_tests's result. */
#define RUN_CASES(cases, fn, others)                                                               \
	({                                                                                         \
		struct CMUnitTest tests[ARRAY_SIZE(cases) + ARRAY_SIZE(others)];                   \
		for (size_t i_ = 0; i_ < ARRAY_SIZE(cases); i_++)                                  \
			tests[i_] = (struct CMUnitTest){.name = (cases)[i_].name,                  \
			                                .test_func = (fn),                         \
			                                .initial_state = (void *)&(cases)[i_]};    \
		memcpy(tests + ARRAY_SIZE(cases), (others), sizeof(others));                       \
		cmocka_run_group_tests(tests, NULL, NULL);                                         \
	})

#endif
