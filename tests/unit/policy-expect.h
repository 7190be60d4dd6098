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
static inline struct policy *policy_expect_lines(const char *yaml, const char *const *want)
{
	struct policy_diags d;
	struct policy *p = NULL;
	size_t i = 0;
	int r;

	policy_diags_init(&d);
	r = policy_parse_buffer(POLICY_TEST_FILE, yaml, strlen(yaml), &p, &d);
	for (; want[i]; i++) {
		char got[1024] = "(no further diagnostic)";
		if (i < d.n)
			policy_diag_format(&d, &d.items[i], got, sizeof(got));
		assert_string_equal(got, want[i]);
	}
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

/* policy_expect_lines with the lines as arguments, NULL last (at most 15). */
static inline struct policy *policy_expect(const char *yaml, ...)
{
	const char *want[16];
	size_t n = 0;
	va_list ap;

	va_start(ap, yaml);
	while ((want[n] = va_arg(ap, const char *)))
		if (++n == 15)
			fail_msg("policy_expect: more than 15 expected lines");
	va_end(ap);
	return policy_expect_lines(yaml, want);
}

/* The policy must be valid with no diagnostics at all. */
static inline struct policy *policy_expect_valid(const char *yaml)
{
	struct policy *p = policy_expect(yaml, NULL);

	assert_non_null(p);
	return p;
}

#endif
