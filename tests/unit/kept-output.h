/* What a test produced, kept for a checker that runs after it (tests/plan-schema.sh validates
 * plan JSON, tests/unit/libvirt-schema.sh libvirt's domain XML): with the environment variable
 * env naming a directory, the test writes name.ext there. Header-only, like policy-expect.h. */
#ifndef VFMGR_TESTS_KEPT_OUTPUT_H
#define VFMGR_TESTS_KEPT_OUTPUT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

/* The file to write, or NULL when env is not set (nothing is kept). */
static inline FILE *kept_output(const char *env, const char *name, const char *ext)
{
	const char *dir = getenv(env);
	char path[PATH_MAX];
	FILE *f;

	if (!dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	f = fopen(path, "w");
	assert_non_null(f);
	return f;
}

#endif
