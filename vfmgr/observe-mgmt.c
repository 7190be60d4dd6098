/* The management path on this host: rtnetlink dumps read with libnl's raw message API and
 * decoded by observe-mgmt-nl.c, then the NICs under the interfaces found. */
#include "vfmgr/observe-mgmt.h"
#include "sriov/vfnl.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/sysfs.h"

#include <errno.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One dump request; hdr is the family header of the request (ifinfomsg, rtmsg, ...). No
 * IFLA_EXT_MASK on RTM_GETLINK: without RTEXT_FILTER_VF the kernel leaves out every VF's
 * settings, which is most of a dump on a PF with hundreds of VFs. */
static int dump(struct nl_sock *sk, struct mgmt_net *net, int type, const void *hdr, size_t len)
{
	struct nl_msg *msg = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_DUMP);
	int r;

	if (!msg)
		return -ENOMEM;
	r = nlmsg_append(msg, (void *)hdr, len, NLMSG_ALIGNTO);
	if (r == 0)
		r = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (r < 0)
		return -EIO;
	for (;;) {
		unsigned char *buf = NULL;
		struct sockaddr_nl peer;
		int n = nl_recv(sk, &peer, &buf, NULL);
		if (n <= 0) {
			free(buf);
			/* past the receive timeout; else a libnl error, or the socket closed
			 * mid-dump */
			return n == -NLE_AGAIN ? -ETIMEDOUT : -EIO;
		}
		r = mgmt_decode(net, buf, (size_t)n);
		free(buf);
		if (r != 0)
			return r < 0 ? r : 0;
	}
}

static const char *what(int type)
{
	switch (type) {
	case RTM_GETLINK:
		return "links";
	case RTM_GETROUTE:
		return "routes";
	case RTM_GETNEXTHOP:
		return "nexthop objects";
	default:
		return "addresses";
	}
}

static int read_host(struct nl_sock *sk, struct mgmt_net *net)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct rtmsg rtm = {.rtm_family = AF_UNSPEC};
	struct nhmsg nhm = {.nh_family = AF_UNSPEC};
	struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC};
	const char *env = getenv("SSH_CONNECTION");
	char client[64], server[64];
	int r;

	if ((r = dump(sk, net, RTM_GETLINK, &ifi, sizeof(ifi))) < 0) {
		log_error("reading %s over rtnetlink: %s", what(RTM_GETLINK), strerror(-r));
		return r;
	}
	if ((r = dump(sk, net, RTM_GETROUTE, &rtm, sizeof(rtm))) < 0) {
		log_error("reading %s over rtnetlink: %s", what(RTM_GETROUTE), strerror(-r));
		return r;
	}
	/* Only when some default route needs one: a kernel before 5.3 has no nexthop objects
	 * (and then no route names one). */
	if (mgmt_wants_nexthops(net) &&
	    (r = dump(sk, net, RTM_GETNEXTHOP, &nhm, sizeof(nhm))) < 0) {
		log_error("reading %s over rtnetlink: %s", what(RTM_GETNEXTHOP), strerror(-r));
		return r;
	}
	/* SSH_CONNECTION = "client port server port": the server address is how the admin got
	 * in. */
	if (env && sscanf(env, "%63s %*s %63s", client, server) == 2 &&
	    mgmt_set_server(net, server) == 0 &&
	    (r = dump(sk, net, RTM_GETADDR, &ifa, sizeof(ifa))) < 0) {
		log_error("reading %s over rtnetlink: %s", what(RTM_GETADDR), strerror(-r));
		return r;
	}
	return 0;
}

int mgmt_find_ifaces(struct mgmt_iface **out, size_t *n)
{
	struct mgmt_net net = {0};
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return -ENOMEM;
	nl_socket_enable_msg_peek(sk);
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		log_error("opening rtnetlink to read the management path: %s", nl_geterror(r));
		r = -EIO;
		goto out;
	}
	/* A dump with no answer ends, not waits for ever (sriov/vfnl.h). */
	r = vfnl_set_recv_timeout(sk, VFNL_RECV_TIMEOUT_MS);
	if (r < 0) {
		log_error("rtnetlink: setting a receive timeout: %s", strerror(-r));
		goto out;
	}
	r = read_host(sk, &net);
	if (r < 0)
		goto out;
	r = mgmt_resolve(&net, out, n);
	if (r == 0 && net.unresolved)
		log_warn("%u default route(s) name a nexthop object that is not in the kernel's "
		         "nexthop dump (ip nexthop): their devices are not protected as the "
		         "management path; mark them management: true in the policy",
		         net.unresolved);
out:
	mgmt_net_free(&net);
	nl_socket_free(sk);
	return r;
}

static void mark_nic(struct host *h, size_t i, const char *why)
{
	struct nic *n = &h->nics[i];

	if (n->management)
		return;
	n->management = true;
	snprintf(n->management_why, sizeof(n->management_why), "%s", why);
	if (n->pf != NO_INDEX) {
		char pfwhy[sizeof(n->management_why)];
		snprintf(pfwhy, sizeof(pfwhy), "its VF %s carries the %s", n->addr, why);
		mark_nic(h, n->pf, pfwhy);
	}
}

/* The function that owns an interface, by its netdev or its sysfs device link (a netdev the
 * host snapshot did not attribute). mgmt_resolve already walked down to the ports. */
static void mark_iface(struct host *h, const char *ifname, const char *why)
{
	char name[NIC_ADDR_LEN];
	size_t i;

	i = host_find_netdev(h, ifname);
	if (i != NO_INDEX) {
		mark_nic(h, i, why);
		return;
	}
	if (sysfs_read_link_name(name, sizeof(name), "/sys/class/net/%s/device", ifname) == 0 &&
	    (i = host_find_nic(h, name)) != NO_INDEX) {
		mark_nic(h, i, why);
	}
}

void mgmt_mark(struct host *h, const struct mgmt_iface *ifs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mark_iface(h, ifs[i].name, ifs[i].why);
}

int mgmt_observe(struct host *h)
{
	_cleanup_free_ struct mgmt_iface *ifs = NULL;
	size_t n = 0;
	int r = mgmt_find_ifaces(&ifs, &n);

	if (r < 0)
		return r;
	mgmt_mark(h, ifs, n);
	return 0;
}
