/* Tests declared as a table of cases, each struct with a name: cmocka runs fn once per case,
 * with the case as its state and the case's name as the test's. Header-only, like
 * policy-expect.h. */
#ifndef VFMGR_TESTS_CASE_TABLE_H
#define VFMGR_TESTS_CASE_TABLE_H

#include "util/cleanup.h"

/* Fills tests[0 .. ARRAY_SIZE(cases) - 1]; the tests after them are the file's others. */
#define CASE_TESTS(tests, cases, fn)                                                               \
	do {                                                                                       \
		for (size_t i_ = 0; i_ < ARRAY_SIZE(cases); i_++)                                  \
			(tests)[i_] = (struct CMUnitTest){.name = (cases)[i_].name,                \
			                                  .test_func = (fn),                       \
			                                  .initial_state = (void *)&(cases)[i_]};  \
	} while (0)

#endif
