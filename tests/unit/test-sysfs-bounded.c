/* Bounded sysfs writes (util/sysfs.c): the value arrives, errors come back as -errno, and a write
 * the kernel does not finish ends the wait with -ETIMEDOUT and the blocked child's PID, while
 * the caller's descriptors are not held by that child. A FIFO nobody reads stands in for an
 * attribute whose driver blocks: opening it for writing waits for a reader. */
#include "fake-root.h"
#include "util/sysfs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char root[] = "/tmp/vfmgr-test-sysfs-bounded.XXXXXX";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(void **st)
{
	char p[256];

	(void)st;
	fake_root_make(root);
	fake_root_put(root, "attr", "");
	snprintf(p, sizeof(p), "%s/blocks", root);
	assert_int_equal(mkfifo(p, 0600), 0);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	return fake_root_remove(root);
}

static void test_value_written_and_counted(void **st)
{
	char buf[32];
	pid_t stuck = -1;
	unsigned long before = sysfs_write_count();

	(void)st;
	assert_int_equal(sysfs_write_bounded("0000:01:10.0", 5000, &stuck, "/attr"), 0);
	assert_int_equal(stuck, 0);
	assert_int_equal(sysfs_read_str(buf, sizeof(buf), "/attr"), 0);
	assert_string_equal(buf, "0000:01:10.0");
	assert_int_equal(sysfs_write_count(), before + 1);
}

static void test_errno_comes_back(void **st)
{
	pid_t stuck = -1;

	(void)st;
	assert_int_equal(sysfs_write_bounded("1", 5000, &stuck, "/no/such/attr"), -ENOENT);
	assert_int_equal(stuck, 0);
}

static void test_blocked_write_times_out_and_holds_nothing_of_ours(void **st)
{
	char p[256], buf[32] = "";
	int out[2], status;
	pid_t stuck = 0;

	(void)st;
	/* Stands for the pipe a shell reads our output from: inheritable, like stdout. */
	assert_int_equal(pipe(out), 0);
	double t0 = now();
	assert_int_equal(sysfs_write_bounded("4", 300, &stuck, "/blocks"), -ETIMEDOUT);
	double took = now() - t0;
	assert_true(stuck > 0);
	if (took < 0.3 || took > 3.0)
		fail_msg("waited %.3f s for a 300 ms bound", took);
	/* The blocked child keeps no copy of the pipe: closing ours gives the reader EOF. */
	close(out[1]);
	struct pollfd pf = {.fd = out[0], .events = POLLIN};
	assert_int_equal(poll(&pf, 1, 2000), 1);
	assert_int_equal(read(out[0], buf, sizeof(buf)), 0);
	close(out[0]);
	/* A reader lets the child finish: it wrote the value and exits 0. */
	snprintf(p, sizeof(p), "%s/blocks", root);
	int r = open(p, O_RDONLY);
	assert_true(r >= 0);
	assert_int_equal(waitpid(stuck, &status, 0), stuck);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(read(r, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], '4');
	close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_value_written_and_counted),
	    cmocka_unit_test(test_errno_comes_back),
	    cmocka_unit_test(test_blocked_write_times_out_and_holds_nothing_of_ours),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
