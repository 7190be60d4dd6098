#include "vfmgr/observe-mgmt.h"
#include "sriov/vfnl.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/sysfs.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct iface_list {
	struct mgmt_iface *v;
	size_t n, cap;
	struct nl_cache *links;
	unsigned unresolved; /* default routes through nexthop objects */
};

static void add_iface(struct iface_list *l, int ifindex, const char *fmt, const char *arg)
{
	char name[IF_NAMESIZE];

	if (!rtnl_link_i2name(l->links, ifindex, name, sizeof(name)))
		return;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return;
	struct mgmt_iface *m = ARRAY_APPEND(l->v, l->n, l->cap);
	if (!m)
		return;
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->why, sizeof(m->why), fmt, arg, name);
}

void mgmt_route_why(char *buf, size_t size, const char *ifname, uint32_t table, bool ra)
{
	char tbl[32] = "";

	if (table != RT_TABLE_MAIN)
		snprintf(tbl, sizeof(tbl), " (table %u)", table);
	if (ra)
		snprintf(
		    buf, size,
		    "default route%s via %s, learned from an IPv6 router advertisement; a port "
		    "that must carry no host traffic wants sysctl net.ipv6.conf.%s.accept_ra=0",
		    tbl, ifname, ifname);
	else
		snprintf(buf, size, "default route%s via %s", tbl, ifname);
}

struct route_ctx {
	struct iface_list *l;
	uint32_t table;
	bool ra;
};

static void add_nexthop(struct rtnl_nexthop *nh, void *arg)
{
	struct route_ctx *c = arg;
	char name[IF_NAMESIZE], why[sizeof(((struct mgmt_iface *)0)->why)];

	if (!rtnl_link_i2name(c->l->links, rtnl_route_nh_get_ifindex(nh), name, sizeof(name)))
		return;
	mgmt_route_why(why, sizeof(why), name, c->table, c->ra);
	add_iface(c->l, rtnl_route_nh_get_ifindex(nh), "%s", why);
}

/* Default routes of every table, not only main: policy routing and VRFs carry host traffic
 * through their own tables. */
static void add_default_route(struct nl_object *obj, void *arg)
{
	struct rtnl_route *rt = (struct rtnl_route *)obj;
	struct nl_addr *dst = rtnl_route_get_dst(rt);
	struct route_ctx c = {.l = arg, .table = rtnl_route_get_table(rt)};

	if (c.table == RT_TABLE_LOCAL || rtnl_route_get_type(rt) != RTN_UNICAST)
		return;
	if (dst && nl_addr_get_prefixlen(dst) != 0)
		return;
	c.ra = rtnl_route_get_family(rt) == AF_INET6 && rtnl_route_get_protocol(rt) == RTPROT_RA;
	if (rtnl_route_get_nnexthops(rt) == 0) {
		/* A nexthop object (nhid): libnl 3.7 does not resolve them, and guessing would
		 * be a silent hole in the one check that must not have one. */
		c.l->unresolved++;
		return;
	}
	rtnl_route_foreach_nexthop(rt, add_nexthop, &c);
}

/* An Open vSwitch bridge's own interface has no lower_ or brif links; its ports hang off the
 * datapath device (ovs-system) instead. Which bridge a port belongs to is only in ovsdb, so
 * every datapath port is taken: on the management path, none of them is vfmgr's to touch. */
static void add_ovs_ports(struct iface_list *l)
{
	int dp = rtnl_link_name2i(l->links, "ovs-system");
	size_t n = l->n;

	if (dp <= 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct rtnl_link *link = rtnl_link_get_by_name(l->links, l->v[i].name);
		const char *type = link ? rtnl_link_get_type(link) : NULL;
		if (type && strcmp(type, "openvswitch") == 0) {
			char why[sizeof(l->v[i].why)];
			snprintf(why, sizeof(why), "%s", l->v[i].why);
			for (struct nl_object *o = nl_cache_get_first(l->links); o;
			     o = nl_cache_get_next(o)) {
				struct rtnl_link *port = (struct rtnl_link *)o;
				if (rtnl_link_get_master(port) == dp)
					add_iface(l, rtnl_link_get_ifindex(port),
					          "%s (a port of its OVS datapath)", why);
			}
		}
		if (link)
			rtnl_link_put(link);
	}
}

struct ssh_match {
	struct iface_list *l;
	struct nl_addr *server;
	const char *text;
};

static void add_ssh_addr(struct nl_object *obj, void *arg)
{
	struct ssh_match *m = arg;
	struct nl_addr *local = rtnl_addr_get_local((struct rtnl_addr *)obj);

	if (!local || nl_addr_get_family(local) != nl_addr_get_family(m->server) ||
	    nl_addr_get_len(local) != nl_addr_get_len(m->server) ||
	    memcmp(nl_addr_get_binary_addr(local), nl_addr_get_binary_addr(m->server),
	           nl_addr_get_len(local)) != 0)
		return;
	add_iface(m->l, rtnl_addr_get_ifindex((struct rtnl_addr *)obj), "%s on %s", m->text);
}

/* SSH_CONNECTION = "client port server port": the server address is how the admin got in. */
static void find_ssh_iface(struct nl_sock *sk, struct iface_list *l)
{
	const char *env = getenv("SSH_CONNECTION");
	char client[64], server[64], text[96];
	struct nl_cache *addrs = NULL;
	struct ssh_match m = {.l = l, .text = text};

	if (!env || sscanf(env, "%63s %*s %63s", client, server) != 2)
		return;
	if (nl_addr_parse(server, AF_UNSPEC, &m.server) < 0)
		return;
	snprintf(text, sizeof(text), "ssh session to %s", server);
	if (rtnl_addr_alloc_cache(sk, &addrs) == 0) {
		nl_cache_foreach(addrs, add_ssh_addr, &m);
		nl_cache_free(addrs);
	}
	nl_addr_put(m.server);
}

int mgmt_find_ifaces(struct mgmt_iface **out, size_t *n)
{
	struct iface_list l = {0};
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *routes = NULL;
	int r;

	if (!sk)
		return -ENOMEM;
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0)
		goto out;
	/* A dump with no answer ends ("Try again"), not waits for ever (sriov/vfnl.h). */
	if (vfnl_set_recv_timeout(sk, VFNL_RECV_TIMEOUT_MS) < 0) {
		r = -NLE_FAILURE;
		goto out;
	}
	r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &l.links);
	if (r < 0)
		goto out;
	r = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &routes);
	if (r < 0)
		goto out;
	nl_cache_foreach(routes, add_default_route, &l);
	find_ssh_iface(sk, &l);
	add_ovs_ports(&l);
	if (l.unresolved)
		log_warn("%u default route(s) use nexthop objects (ip nexthop), which vfmgr cannot "
		         "follow yet: their devices are not protected as the management path; "
		         "mark them management: true in the policy",
		         l.unresolved);
	*out = l.v;
	*n = l.n;
	l.v = NULL;
out:
	if (r < 0)
		log_error("reading routes over rtnetlink: %s", nl_geterror(r));
	free(l.v);
	if (routes)
		nl_cache_free(routes);
	if (l.links)
		nl_cache_free(l.links);
	nl_socket_free(sk);
	return r < 0 ? -EIO : 0;
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

/* Follows an interface down to the PCI functions under it (bridge ports, bond slaves, the
 * parent of a VLAN) and marks them. */
static void mark_iface(struct host *h, const char *ifname, const char *why, int depth)
{
	char name[NIC_ADDR_LEN];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	size_t i;

	if (depth > 8)
		return;
	i = host_find_netdev(h, ifname);
	if (i != NO_INDEX) {
		mark_nic(h, i, why);
		return;
	}
	if (sysfs_read_link_name(name, sizeof(name), "/sys/class/net/%s/device", ifname) == 0 &&
	    (i = host_find_nic(h, name)) != NO_INDEX) {
		mark_nic(h, i, why);
		return;
	}
	d = sysfs_opendir("/sys/class/net/%s", ifname);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "lower_", 6) == 0)
			mark_iface(h, de->d_name + 6, why, depth + 1);
	}
	closedir(d);
	d = NULL;
	d = sysfs_opendir("/sys/class/net/%s/brif", ifname);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] != '.')
			mark_iface(h, de->d_name, why, depth + 1);
	}
}

void mgmt_mark(struct host *h, const struct mgmt_iface *ifs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mark_iface(h, ifs[i].name, ifs[i].why, 0);
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
