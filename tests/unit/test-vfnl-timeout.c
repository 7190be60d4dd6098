/* The rtnetlink socket's receive bound (sriov/vfnl.c): the timeout is set on the socket as asked,
 * a wait for a reply that never comes ends with -ETIMEDOUT near that bound, and a real request
 * still gets its answer. A message without NLM_F_REQUEST stands for a lost reply: the kernel
 * takes it and answers nothing. */
#include "sriov/vfnl.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct nl_sock *route_socket(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	assert_non_null(sk);
	if (nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

static void test_timeout_is_set_on_the_socket(void **st)
{
	struct nl_sock *sk = route_socket();
	struct timeval tv = {0};
	socklen_t len = sizeof(tv);

	(void)st;
	if (!sk)
		skip();
	assert_int_equal(vfnl_set_recv_timeout(sk, 2500), 0);
	assert_int_equal(getsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, &len), 0);
	assert_int_equal(tv.tv_sec, 2);
	assert_int_equal(tv.tv_usec, 500000);
	nl_socket_free(sk);
}

static void test_no_reply_ends_with_etimedout(void **st)
{
	struct nl_sock *sk = route_socket();
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = 1};
	struct nl_msg *msg;

	(void)st;
	if (!sk)
		skip();
	assert_int_equal(vfnl_set_recv_timeout(sk, 300), 0);
	/* Not a request (nl_send, unlike nl_send_auto, adds no NLM_F_REQUEST): the kernel takes it
	 * and sends nothing back. */
	msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
	assert_non_null(msg);
	assert_int_equal(nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
	assert_true(nl_send(sk, msg) >= 0);
	nlmsg_free(msg);
	/* Without the bound the read would wait for ever: end the test instead. */
	alarm(10);
	double t0 = now();
	assert_int_equal(vfnl_recv_reply(sk), -ETIMEDOUT);
	alarm(0);
	double took = now() - t0;
	if (took < 0.25 || took > 3.0)
		fail_msg("waited %.3f s for a 300 ms bound", took);
	nl_socket_free(sk);
}

/* The bound vfnl_open sets does not cut a real answer short: lo's VF list (none) reads. */
static void test_real_request_is_answered(void **st)
{
	struct vfnl *nl = NULL;
	struct pf_vfs vfs;

	(void)st;
	if (vfnl_open(&nl) < 0)
		skip();
	assert_int_equal(vfnl_read(nl, 1, &vfs), 0);
	assert_int_equal(vfs.num_vf, 0);
	pf_vfs_free(&vfs);
	vfnl_close(nl);
}

/* A reply that comes after its request timed out belongs to that request: the next request
 * skips it and waits for its own. Here the late reply is an error (no such device) for one
 * request, then the answer for lo to another; each read must get its own. */
static void test_late_reply_is_not_taken_for_the_next_request(void **st)
{
	struct vfnl *nl = NULL;
	struct pf_vfs vfs;

	(void)st;
	if (vfnl_open(&nl) < 0)
		skip();
	vfnl_test_send_stale(nl, 999999);
	int r = vfnl_read(nl, 1, &vfs);
	if (r != 0)
		fail_msg("reading lo after a late ENODEV: expected 0, got %d (%s)", r,
		         strerror(-r));
	pf_vfs_free(&vfs);
	/* A late answer for lo, then a read of a device that does not exist. */
	vfnl_test_send_stale(nl, 1);
	r = vfnl_read(nl, 999999, &vfs);
	if (r != -ENODEV)
		fail_msg("reading ifindex 999999 after a late reply for lo: expected %d, got %d",
		         -ENODEV, r);
	vfnl_close(nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timeout_is_set_on_the_socket),
	    cmocka_unit_test(test_no_reply_ends_with_etimedout),
	    cmocka_unit_test(test_real_request_is_answered),
	    cmocka_unit_test(test_late_reply_is_not_taken_for_the_next_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
