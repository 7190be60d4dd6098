/* The floor for setting N VFs: one process that sends one RTM_GETLINK (the VFs as they are,
 * as any tool that writes only what differs must read them) and one RTM_SETLINK carrying
 * every VF's MAC, VLAN+QoS, min/max rate, spoof check and trust. No policy, no state file, no
 * library beyond libc: what is left of vfmgr apply's time above this is vfmgr's own.
 *   usage: vf-floor IFNAME NUMVFS VLAN   (VF i gets MAC 02:00:00:00:ii:ii, max rate 100+i) */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (1u << 20)

static char buf[BUF_SIZE];

static struct rtattr *put(struct nlmsghdr *n, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (data)
		memcpy(RTA_DATA(a), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void nest_end(struct nlmsghdr *n, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)n + n->nlmsg_len - (char *)nest);
}

/* Sends n and reads until the kernel's answer ends: 0, or the kernel's -errno. */
static int talk(int fd, struct nlmsghdr *n)
{
	if (send(fd, n, n->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == NLMSG_DONE || !(h->nlmsg_flags & NLM_F_MULTI))
				return 0;
		}
	}
}

int main(int argc, char **argv)
{
	static char req[BUF_SIZE];
	struct nlmsghdr *n = (struct nlmsghdr *)req;
	unsigned ifindex, nvfs, vlan;
	int fd, r;

	if (argc != 4 || !(ifindex = if_nametoindex(argv[1]))) {
		fprintf(stderr, "usage: vf-floor IFNAME NUMVFS VLAN\n");
		return 2;
	}
	nvfs = (unsigned)strtoul(argv[2], NULL, 10);
	vlan = (unsigned)strtoul(argv[3], NULL, 10);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return 1;

	/* One RTM_GETLINK of the PF with its VF list, statistics left out. */
	memset(req, 0, sizeof(struct nlmsghdr) + sizeof(struct ifinfomsg));
	n->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	n->nlmsg_type = RTM_GETLINK;
	n->nlmsg_flags = NLM_F_REQUEST;
	((struct ifinfomsg *)NLMSG_DATA(n))->ifi_index = (int)ifindex;
	unsigned mask = RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS;
	put(n, IFLA_EXT_MASK, &mask, sizeof(mask));
	r = talk(fd, n);
	if (r < 0) {
		fprintf(stderr, "vf-floor: RTM_GETLINK %s: %s\n", argv[1], strerror(-r));
		return 1;
	}

	/* One RTM_SETLINK with every VF. */
	memset(req, 0, sizeof(struct nlmsghdr) + sizeof(struct ifinfomsg));
	n->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	n->nlmsg_type = RTM_SETLINK;
	n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	((struct ifinfomsg *)NLMSG_DATA(n))->ifi_index = (int)ifindex;
	struct rtattr *list = put(n, IFLA_VFINFO_LIST | NLA_F_NESTED, NULL, 0);
	for (unsigned i = 0; i < nvfs; i++) {
		struct rtattr *info = put(n, IFLA_VF_INFO | NLA_F_NESTED, NULL, 0);
		struct ifla_vf_mac mac = {
		    .vf = i,
		    .mac = {2, 0, 0, 0, (unsigned char)(i / 256), (unsigned char)(i % 256)}};
		struct ifla_vf_vlan vl = {.vf = i, .vlan = vlan, .qos = 2};
		struct ifla_vf_rate rate = {.vf = i, .min_tx_rate = 10, .max_tx_rate = 100 + i};
		struct ifla_vf_spoofchk sc = {.vf = i, .setting = 1};
		struct ifla_vf_trust tr = {.vf = i, .setting = 1};
		put(n, IFLA_VF_MAC, &mac, sizeof(mac));
		put(n, IFLA_VF_VLAN, &vl, sizeof(vl));
		put(n, IFLA_VF_RATE, &rate, sizeof(rate));
		put(n, IFLA_VF_SPOOFCHK, &sc, sizeof(sc));
		put(n, IFLA_VF_TRUST, &tr, sizeof(tr));
		nest_end(n, info);
	}
	nest_end(n, list);
	r = talk(fd, n);
	if (r < 0) {
		fprintf(stderr, "vf-floor: RTM_SETLINK %s (%u VFs): %s\n", argv[1], nvfs,
		        strerror(-r));
		return 1;
	}
	close(fd);
	return 0;
}
