/* Helpers for the policy tests: parse a YAML string and compare every diagnostic, formatted as
 * vfmgr check prints it, with the expected lines. Header-only so it is not linked into the
 * other modules' tests. */
#ifndef VFMGR_TESTS_POLICY_EXPECT_H
#define VFMGR_TESTS_POLICY_EXPECT_H

#include "policy/policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define POLICY_TEST_FILE "t.yaml"

/* Parses yaml; returns the policy (NULL when invalid) and checks the diagnostics against the
 * NULL-terminated list of "t.yaml:L:C: message" lines, in order. */
static inline struct policy *policy_expect(const char *yaml, ...)
{
	struct policy_diags d;
	struct policy *p = NULL;
	const char *want;
	size_t i = 0;
	va_list ap;
	int r;

	policy_diags_init(&d);
	r = policy_parse_buffer(POLICY_TEST_FILE, yaml, strlen(yaml), &p, &d);
	va_start(ap, yaml);
	while ((want = va_arg(ap, const char *))) {
		char got[1024] = "(no further diagnostic)";
		if (i < d.n)
			policy_diag_format(&d, &d.items[i], got, sizeof(got));
		assert_string_equal(got, want);
		i++;
	}
	va_end(ap);
	if (i < d.n) {
		char extra[1024];
		policy_diag_format(&d, &d.items[i], extra, sizeof(extra));
		fail_msg("unexpected diagnostic: %s", extra);
	}
	if (d.n_errors)
		assert_int_equal(r, -EINVAL);
	else
		assert_int_equal(r, 0);
	policy_diags_free(&d);
	return p;
}

/* The policy must be valid with no diagnostics at all. */
static inline struct policy *policy_expect_valid(const char *yaml)
{
	struct policy *p = policy_expect(yaml, NULL);

	assert_non_null(p);
	return p;
}

#endif
