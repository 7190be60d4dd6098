/* Heal latency over rtnetlink, independent of vfmgr's code: sets VF vf of IFACE to DRIFT_VLAN
 * (qos 0) the way `ip link set IFACE vf N vlan V` does, then reads the VF back after each link
 * notification until it carries WANT_VLAN again. Prints the milliseconds from the kernel's ack
 * of the drift to the first read-back that shows WANT_VLAN. Exit 0 when healed in time.
 * With --wait, reads VF vf of the PF at PCI address PF every 10 ms (a PF that is down sends no
 * notifications; its interface may be renamed meanwhile) and prints the milliseconds from its
 * start until the VF has WANT_VLAN.
 *   usage: heal-latency IFACE VF DRIFT_VLAN WANT_VLAN [TIMEOUT_MS]
 *          heal-latency --wait PF VF WANT_VLAN [TIMEOUT_MS] */
#include <dirent.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 17];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct rtattr *put(struct nlmsghdr *h, unsigned type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (data)
		memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void end_nest(struct nlmsghdr *h, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)nest);
}

/* Sends h and waits for its ack (or error). */
static int talk(int fd, struct nlmsghdr *h)
{
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};

	if (sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&k, sizeof(k)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *r = (struct nlmsghdr *)buf; NLMSG_OK(r, (size_t)n);
		     r = NLMSG_NEXT(r, n))
			if (r->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(r))->error;
	}
}

static int set_vlan(int fd, int ifindex, unsigned vf, unsigned vlan)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		char attrs[256];
	} req = {
	    .h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
	          .nlmsg_type = RTM_SETLINK,
	          .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK},
	    .i = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex},
	};
	struct ifla_vf_vlan v = {.vf = vf, .vlan = vlan, .qos = 0};
	struct rtattr *list = put(&req.h, IFLA_VFINFO_LIST | NLA_F_NESTED, NULL, 0);
	struct rtattr *info = put(&req.h, IFLA_VF_INFO | NLA_F_NESTED, NULL, 0);

	put(&req.h, IFLA_VF_VLAN, &v, sizeof(v));
	end_nest(&req.h, info);
	end_nest(&req.h, list);
	return talk(fd, &req.h);
}

/* The VLAN of VF vf as RTM_GETLINK reports it, or -1. */
static int read_vlan(int fd, int ifindex, unsigned vf)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		char attrs[64];
	} req = {
	    .h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
	          .nlmsg_type = RTM_GETLINK,
	          .nlmsg_flags = NLM_F_REQUEST},
	    .i = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex},
	};
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	__u32 mask = RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS;
	ssize_t n;

	put(&req.h, IFLA_EXT_MASK, &mask, sizeof(mask));
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof(k)) < 0)
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n <= 0)
		return -1;
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != RTM_NEWLINK)
		return -1;
	int len = (int)IFLA_PAYLOAD(h);
	for (struct rtattr *a = IFLA_RTA(NLMSG_DATA(h)); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if ((a->rta_type & NLA_TYPE_MASK) != IFLA_VFINFO_LIST)
			continue;
		int l1 = (int)RTA_PAYLOAD(a);
		for (struct rtattr *i = RTA_DATA(a); RTA_OK(i, l1); i = RTA_NEXT(i, l1)) {
			int l2 = (int)RTA_PAYLOAD(i);
			for (struct rtattr *t = RTA_DATA(i); RTA_OK(t, l2); t = RTA_NEXT(t, l2)) {
				const struct ifla_vf_vlan *v = RTA_DATA(t);
				if ((t->rta_type & NLA_TYPE_MASK) == IFLA_VF_VLAN && v->vf == vf)
					return (int)v->vlan;
			}
		}
	}
	return -1;
}

/* The ifindex of the PCI device's interface now, or 0. */
static int pci_ifindex(const char *addr)
{
	char path[256];
	struct dirent *e;
	DIR *d;
	int idx = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/net", addr);
	d = opendir(path);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			idx = (int)if_nametoindex(e->d_name);
			break;
		}
	if (d)
		closedir(d);
	return idx;
}

static int wait_mode(int argc, char **argv)
{
	unsigned vf, want;
	double timeout, t0 = now_ms();
	int req = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: %s --wait PF VF WANT_VLAN [TIMEOUT_MS]\n", argv[0]);
		return 2;
	}
	vf = (unsigned)atoi(argv[3]);
	want = (unsigned)atoi(argv[4]);
	timeout = argc == 6 ? atof(argv[5]) : 5000;
	while (now_ms() - t0 < timeout) {
		int idx = pci_ifindex(argv[2]);
		if (idx && read_vlan(req, idx, vf) == (int)want) {
			printf("%.0f\n", now_ms() - t0);
			return 0;
		}
		usleep(10000);
	}
	fprintf(stderr, "%s vf %u: vlan %u not there within %.0f ms\n", argv[2], vf, want, timeout);
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl grp = {.nl_family = AF_NETLINK, .nl_groups = 1u << (RTNLGRP_LINK - 1)};
	int ifindex, req, mon, r;
	unsigned vf, drift, want;
	double timeout, t0, t1;

	if (argc > 1 && strcmp(argv[1], "--wait") == 0)
		return wait_mode(argc, argv);
	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: %s IFACE VF DRIFT_VLAN WANT_VLAN [TIMEOUT_MS]\n", argv[0]);
		return 2;
	}
	ifindex = (int)if_nametoindex(argv[1]);
	vf = (unsigned)atoi(argv[2]);
	drift = (unsigned)atoi(argv[3]);
	want = (unsigned)atoi(argv[4]);
	timeout = argc == 6 ? atof(argv[5]) : 5000;
	if (!ifindex) {
		fprintf(stderr, "%s: no such interface\n", argv[1]);
		return 2;
	}
	req = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	mon = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (req < 0 || mon < 0 || bind(mon, (struct sockaddr *)&grp, sizeof(grp)) < 0) {
		perror("netlink");
		return 1;
	}
	r = set_vlan(req, ifindex, vf, drift);
	t0 = now_ms();
	if (r < 0) {
		fprintf(stderr, "%s vf %u vlan %u: %s\n", argv[1], vf, drift, strerror(-r));
		return 1;
	}
	for (;;) {
		struct pollfd p = {.fd = mon, .events = POLLIN};
		double left = t0 + timeout - now_ms();
		if (left <= 0 || poll(&p, 1, (int)left + 1) < 0)
			break;
		while (recv(mon, buf, sizeof(buf), 0) > 0)
			; /* every notification means "read it again" */
		if (read_vlan(req, ifindex, vf) == (int)want) {
			t1 = now_ms();
			printf("%.1f\n", t1 - t0);
			return 0;
		}
	}
	fprintf(stderr, "%s vf %u: vlan %u not back within %.0f ms\n", argv[1], vf, want, timeout);
	return 1;
}
