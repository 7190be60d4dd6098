/* util/progress: a wait's line on a terminal (a pseudo-terminal here), nothing on a pipe. */
#include "util/progress.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs a 0.6 s wait with standard error on fd; returns what was written there (read from
 * rd), NUL-terminated in buf. */
static void wait_on(int fd, int rd, char *buf, size_t size)
{
	struct progress p;
	int saved = dup(STDERR_FILENO);
	size_t len = 0;
	ssize_t n;

	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	progress_start(&p, 10, "%s: waiting for the carrier", "enp1s0");
	for (int i = 0; i < 14; i++) {
		usleep(50000);
		progress_tick(&p);
	}
	progress_end(&p);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	/* A pseudo-terminal hands the bytes over in pieces: read until none is left. */
	fcntl(rd, F_SETFL, fcntl(rd, F_GETFL) | O_NONBLOCK);
	for (int tries = 0; tries < 50 && len < size - 1; tries++) {
		n = read(rd, buf + len, size - 1 - len);
		if (n > 0)
			len += (size_t)n;
		else if (len && tries > 5)
			break;
		else
			usleep(10000);
	}
	buf[len] = '\0';
}

static void test_a_wait_is_shown_on_a_terminal_and_erased(void **state)
{
	char buf[4096];
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;

	(void)state;
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	assert_true(s >= 0);
	wait_on(s, m, buf, sizeof(buf));
	if (!strstr(buf, "\r\033[Kenp1s0: waiting for the carrier: 0.") ||
	    !strstr(buf, " s (at most 10 s)") || strcmp(buf + strlen(buf) - 4, "\r\033[K") != 0)
		fail_msg("expected the wait's line, then its erasure; got %zu bytes \"%s\"",
		         strlen(buf), buf);
	close(s);
	close(m);
}

static void test_nothing_on_a_pipe(void **state)
{
	char buf[256];
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	wait_on(p[1], p[0], buf, sizeof(buf));
	if (buf[0])
		fail_msg("expected nothing on a pipe, got \"%s\"", buf);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_wait_is_shown_on_a_terminal_and_erased),
	    cmocka_unit_test(test_nothing_on_a_pipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
