/* A scratch directory that util/sysfs reads as / (sysfs_set_root): a test makes it, puts the
 * files it needs (sysfs attributes, /proc entries) and removes it with all it holds.
 * Header-only, like policy-expect.h, so it is not linked into the tests that need none. */
#ifndef VFMGR_TESTS_FAKE_ROOT_H
#define VFMGR_TESTS_FAKE_ROOT_H

#include "util/sysfs.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

/* Makes root (a mkdtemp template, filled in) and reads sysfs through it. */
static inline void fake_root_make(char *root)
{
	assert_non_null(mkdtemp(root));
	sysfs_set_root(root);
}

/* Writes root/rel with content, making the directories on the way. */
static inline void fake_root_put(const char *root, const char *rel, const char *content)
{
	char p[PATH_MAX], dir[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(s - p), p);
		mkdir(dir, 0755);
	}
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

/* Back to the real / and root removed; 0, or -1 when rm failed. */
static inline int fake_root_remove(const char *root)
{
	char cmd[PATH_MAX + 16];

	sysfs_set_root("");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
