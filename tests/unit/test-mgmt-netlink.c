/* The management path from rtnetlink replies: each test builds the dump the kernel sends for
 * one host layout (RTM_NEWLINK, RTM_NEWROUTE, RTM_NEWNEXTHOP messages made with libnl's
 * message builders, in the kernel's wire format, NLM_F_MULTI and NLMSG_DONE included), feeds
 * the bytes to mgmt_decode, and checks that the PF enp1s0f0 (ifindex 2) is what the host must
 * not lose. */
#include "vfmgr/observe-mgmt.h"
#include "case-table.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdlib.h>
#include <string.h>

#define PF     2
#define PFNAME "enp1s0f0"

struct dump {
	unsigned char buf[16384];
	size_t len;
};

static void put(struct dump *d, struct nl_msg *m)
{
	struct nlmsghdr *h = nlmsg_hdr(m);

	assert_true(d->len + NLMSG_ALIGN(h->nlmsg_len) <= sizeof(d->buf));
	memcpy(d->buf + d->len, h, h->nlmsg_len);
	d->len += NLMSG_ALIGN(h->nlmsg_len);
	nlmsg_free(m);
}

static struct nl_msg *start(int type, const void *hdr, size_t len)
{
	struct nl_msg *m = nlmsg_alloc_simple(type, NLM_F_MULTI);

	assert_non_null(m);
	assert_int_equal(nlmsg_append(m, (void *)hdr, len, NLMSG_ALIGNTO), 0);
	return m;
}

/* kind NULL: a plain device; link: IFLA_LINK (0: none). */
static void link_msg(struct dump *d, int ifindex, const char *name, const char *kind, int master,
                     int link)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	struct nl_msg *m = start(RTM_NEWLINK, &ifi, sizeof(ifi));

	assert_int_equal(nla_put_string(m, IFLA_IFNAME, name), 0);
	assert_int_equal(nla_put_u32(m, IFLA_MTU, 1500), 0);
	if (master)
		assert_int_equal(nla_put_u32(m, IFLA_MASTER, (uint32_t)master), 0);
	assert_int_equal(nla_put_u32(m, IFLA_LINK, (uint32_t)(link ? link : ifindex)), 0);
	if (kind) {
		struct nlattr *info = nla_nest_start(m, IFLA_LINKINFO);
		assert_non_null(info);
		assert_int_equal(nla_put_string(m, IFLA_INFO_KIND, kind), 0);
		nla_nest_end(m, info);
	}
	put(d, m);
}

/* The loopback and the PF, present in every layout. */
static void base_links(struct dump *d, int pf_master)
{
	link_msg(d, 1, "lo", NULL, 0, 0);
	link_msg(d, PF, PFNAME, NULL, pf_master, 0);
}

static void route_msg(struct dump *d, int family, uint32_t table, int dst_len, int oif,
                      uint32_t nh_id)
{
	struct rtmsg rtm = {.rtm_family = (unsigned char)family,
	                    .rtm_dst_len = (unsigned char)dst_len,
	                    .rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_COMPAT,
	                    .rtm_protocol = RTPROT_BOOT,
	                    .rtm_scope = RT_SCOPE_UNIVERSE,
	                    .rtm_type = RTN_UNICAST};
	struct nl_msg *m = start(RTM_NEWROUTE, &rtm, sizeof(rtm));

	assert_int_equal(nla_put_u32(m, RTA_TABLE, table), 0);
	if (dst_len) {
		uint8_t dst[4] = {10, 1, 0, 0};
		assert_int_equal(nla_put(m, RTA_DST, sizeof(dst), dst), 0);
	}
	if (family == AF_INET) {
		uint8_t gw[4] = {192, 0, 2, 1};
		assert_int_equal(nla_put(m, RTA_GATEWAY, sizeof(gw), gw), 0);
	}
	if (oif)
		assert_int_equal(nla_put_u32(m, RTA_OIF, (uint32_t)oif), 0);
	if (nh_id)
		assert_int_equal(nla_put_u32(m, RTA_NH_ID, nh_id), 0);
	put(d, m);
}

static void nexthop_msg(struct dump *d, uint32_t id, int oif, const uint32_t *group, size_t n)
{
	struct nhmsg nhm = {.nh_family = n ? AF_UNSPEC : AF_INET, .nh_protocol = RTPROT_BOOT};
	struct nl_msg *m = start(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));

	assert_int_equal(nla_put_u32(m, NHA_ID, id), 0);
	if (oif) {
		uint8_t gw[4] = {192, 0, 2, 1};
		assert_int_equal(nla_put_u32(m, NHA_OIF, (uint32_t)oif), 0);
		assert_int_equal(nla_put(m, NHA_GATEWAY, sizeof(gw), gw), 0);
	}
	if (n) {
		struct nexthop_grp g[4] = {{0}};
		assert_true(n <= 4);
		for (size_t i = 0; i < n; i++)
			g[i].id = group[i];
		assert_int_equal(nla_put(m, NHA_GROUP, (int)(n * sizeof(g[0])), g), 0);
	}
	put(d, m);
}

static void done_msg(struct dump *d)
{
	int zero = 0;
	struct nl_msg *m = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);

	assert_non_null(m);
	assert_int_equal(nlmsg_append(m, &zero, sizeof(zero), NLMSG_ALIGNTO), 0);
	put(d, m);
}

/* One host layout as the kernel's dumps describe it: lo and the PF (whose IFLA_MASTER is
 * pf_master) and the other links, terminated by ifindex 0; the routes (family 0 ends them); the
 * nexthop objects (id 0 ends them), in a third dump when there are any; the PF's addresses, in
 * the link dump. */
struct link_rec {
	int ifindex;
	const char *name, *kind;
	int master, link;
};
struct route_rec {
	int family;
	uint32_t table;
	int dst_len, oif;
	uint32_t nh_id;
};
struct nexthop_rec {
	uint32_t id;
	int oif;
	uint32_t group[4];
	size_t n;
};
struct layout {
	int pf_master;
	struct link_rec links[3];
	struct route_rec routes[3];
	struct nexthop_rec nexthops[4];
	uint8_t pf_addr[4]; /* 0.0.0.0: none */
};

static void addr_msg(struct dump *d, int ifindex, const uint8_t a[4])
{
	struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 24, .ifa_index = ifindex};
	struct nl_msg *m = start(RTM_NEWADDR, &ifa, sizeof(ifa));

	assert_int_equal(nla_put(m, IFA_LOCAL, 4, a), 0);
	assert_int_equal(nla_put(m, IFA_ADDRESS, 4, a), 0);
	put(d, m);
}

/* Records the layout's dumps in d[0..2]; returns how many there are. */
static size_t record(const struct layout *l, struct dump d[3])
{
	memset(d, 0, 3 * sizeof(*d));
	base_links(&d[0], l->pf_master);
	for (const struct link_rec *k = l->links; k->ifindex; k++)
		link_msg(&d[0], k->ifindex, k->name, k->kind, k->master, k->link);
	if (l->pf_addr[0])
		addr_msg(&d[0], PF, l->pf_addr);
	done_msg(&d[0]);
	for (const struct route_rec *r = l->routes; r->family; r++)
		route_msg(&d[1], r->family, r->table, r->dst_len, r->oif, r->nh_id);
	done_msg(&d[1]);
	if (!l->nexthops[0].id)
		return 2;
	for (const struct nexthop_rec *nh = l->nexthops; nh->id; nh++)
		nexthop_msg(&d[2], nh->id, nh->oif, nh->group, nh->n);
	done_msg(&d[2]);
	return 3;
}

/* Decodes the layout's dumps: a route by nexthop id asks for the nexthop dump. */
static void decode(struct mgmt_net *net, const struct layout *l)
{
	struct dump d[3];
	size_t nd = record(l, d);

	for (size_t i = 0; i < nd; i++) {
		assert_int_equal(mgmt_decode(net, d[i].buf, d[i].len), 1);
		if (i == 1)
			assert_int_equal(mgmt_wants_nexthops(net), nd == 3);
	}
}

struct layout_case {
	const char *name;
	size_t n_ifaces; /* on the management path */
	const char *why; /* the PF's reason; "" when the PF is not on the path */
	struct layout l;
	const char *server; /* the SSH session's address, or NULL */
	unsigned unresolved;
};

/* The records of a layout by what they are: a plain device; a bridge, bond, team, VRF or OVS
 * device; a port of master; a VLAN on lower; a default route (v4, v6, by nexthop id); a
 * nexthop on a device; a group of two nexthops. One a line, so clang-format leaves them. */
/* clang-format off */
#define DEV(i, name)                {i, name, NULL, 0, 0}
#define UPPER(i, name, kind)        {i, name, kind, 0, 0}
#define PORT(i, name, kind, master) {i, name, kind, master, 0}
#define VLAN(i, name, lower)        {i, name, "vlan", 0, lower}
#define ROUTE4(table, oif)          {AF_INET, table, 0, oif, 0}
#define ROUTE6(table, oif)          {AF_INET6, table, 0, oif, 0}
#define ROUTE_NH(id)                {AF_INET, RT_TABLE_MAIN, 0, 0, id}
#define NH(id, oif)                 {id, oif, {0}, 0}
#define NH_GROUP(id, a, b)          {id, 0, {a, b}, 2}
/* clang-format on */

static const struct layout_case cases[] = {
    {"test_plain_default_route", 1, "default route via " PFNAME,
     .l = {.links = {DEV(3, "enp1s0f1")},
           .routes = {{AF_INET, RT_TABLE_MAIN, 24, 3, 0} /* not a default route */,
                      ROUTE4(RT_TABLE_MAIN, PF)}}},
    /* ip link add blue type vrf table 1001; ip link set enp1s0f0 master blue */
    {"test_vrf_table_route", 1, "default route (table 1001) via " PFNAME,
     .l = {.pf_master = 4, .links = {UPPER(4, "blue", "vrf")}, .routes = {ROUTE4(1001, PF)}}},
    {"test_vrf_device_route_reaches_its_members", 2,
     "default route (table 1001) via blue (" PFNAME " is in VRF blue)",
     .l = {.pf_master = 4, .links = {UPPER(4, "blue", "vrf")}, .routes = {ROUTE6(1001, 4)}}},
    {"test_linux_bridge_port", 3, "default route via br0 (" PFNAME " is a port of br0)",
     .l = {.pf_master = 5,
           .links = {UPPER(5, "br0", "bridge"), PORT(6, "vnet0", "tun", 5)},
           .routes = {ROUTE4(RT_TABLE_MAIN, 5)}}},
    /* ovs-vsctl add-br br-ex; add-port br-ex enp1s0f0: the bridge's own interface and the PF
     * are both ports of the datapath device, not of each other. */
    {"test_ovs_bridge_datapath_port", 2,
     "default route via br-ex (" PFNAME " is a port of its OVS datapath)",
     .l = {.pf_master = 7,
           .links = {UPPER(7, "ovs-system", "openvswitch"), PORT(8, "br-ex", "openvswitch", 7)},
           .routes = {ROUTE4(RT_TABLE_MAIN, 8)}}},
    {"test_bond_over_the_pf", 2, "default route via bond (" PFNAME " is a port of bond)",
     .l = {.pf_master = 9,
           .links = {UPPER(9, "bond", "bond")},
           .routes = {ROUTE6(RT_TABLE_MAIN, 9)}}},
    {"test_team_over_the_pf", 2, "default route via team (" PFNAME " is a port of team)",
     .l = {.pf_master = 9,
           .links = {UPPER(9, "team", "team")},
           .routes = {ROUTE6(RT_TABLE_MAIN, 9)}}},
    {"test_vlan_on_the_pf", 2,
     "default route via " PFNAME ".100 (" PFNAME " is under " PFNAME ".100)",
     .l = {.links = {VLAN(10, PFNAME ".100", PF)}, .routes = {ROUTE4(RT_TABLE_MAIN, 10)}}},
    {"test_vlan_on_a_bond_on_the_pf", 3,
     "default route via bond0.100 (bond0 is under bond0.100) (" PFNAME " is a port of bond0)",
     .l = {.pf_master = 9,
           .links = {UPPER(9, "bond0", "bond"), VLAN(10, "bond0.100", 9)},
           .routes = {ROUTE4(RT_TABLE_MAIN, 10)}}},
    /* With net.ipv4.nexthop_compat_mode=0 the route carries only RTA_NH_ID: the device is in
     * the nexthop dump alone. */
    {"test_nexthop_object", 1, "default route via " PFNAME,
     .l = {.routes = {ROUTE_NH(17)}, .nexthops = {NH(17, PF)}}},
    {"test_nexthop_group", 2, "default route via " PFNAME,
     .l = {.links = {DEV(3, "enp1s0f1")},
           .routes = {ROUTE_NH(20)},
           .nexthops = {NH(21, 3), NH_GROUP(20, 21, 22), NH(22, PF)}}},
    /* The nexthop object, not the compat copy of its device, is what counts; one missing from
     * the dump is counted as unresolved (and warned about) rather than guessed. */
    {"test_nexthop_missing_is_unresolved", 0, "",
     .l = {.routes = {ROUTE_NH(30)}, .nexthops = {NH(31, PF)}}, .unresolved = 1},
    {"test_ssh_session_address", 1, "ssh session to ::ffff:198.51.100.7 on " PFNAME,
     .l = {.pf_addr = {198, 51, 100, 7}}, .server = "::ffff:198.51.100.7"},
};

/* Decodes the case's dumps and resolves: the PF's reason and the counts are the case's. */
static void test_layout(void **state)
{
	const struct layout_case *c = *state;
	struct mgmt_net net = {0};
	struct mgmt_iface *ifs = NULL;
	const char *why = "";
	size_t n = 0;

	if (c->server)
		assert_int_equal(mgmt_set_server(&net, c->server), 0);
	decode(&net, &c->l);
	assert_int_equal(mgmt_resolve(&net, &ifs, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(ifs[i].name, PFNAME) == 0)
			why = ifs[i].why;
	assert_int_equal(n, c->n_ifaces);
	assert_string_equal(why, c->why);
	assert_int_equal(net.unresolved, c->unresolved);
	free(ifs);
	mgmt_net_free(&net);
}

static void test_server_must_be_an_address(void **state)
{
	struct mgmt_net net = {0};
	(void)state;

	assert_int_equal(mgmt_set_server(&net, "not-an-address"), -EINVAL);
	mgmt_net_free(&net);
}

/* The names reach a real host snapshot: the PF's function is marked, not its neighbour. */
static void test_resolved_names_mark_the_pf(void **state)
{
	static const struct layout bridge = {.pf_master = 5,
	                                     .links = {UPPER(5, "br0", "bridge")},
	                                     .routes = {ROUTE4(RT_TABLE_MAIN, 5)}};
	struct mgmt_net net = {0};
	struct mgmt_iface *ifs = NULL;
	struct netdev nd[2] = {{.name = PFNAME, .ifindex = PF}, {.name = "enp1s0f1"}};
	struct nic nics[2] = {{.addr = "0000:01:00.0", .netdevs = &nd[0], .n_netdevs = 1},
	                      {.addr = "0000:01:00.1", .netdevs = &nd[1], .n_netdevs = 1}};
	struct host h = {.nics = nics, .n_nics = 2};
	size_t n = 0;
	(void)state;

	nics[0].pf = nics[1].pf = NO_INDEX;
	decode(&net, &bridge);
	assert_int_equal(mgmt_resolve(&net, &ifs, &n), 0);
	mgmt_mark(&h, ifs, n);
	assert_true(nics[0].management);
	assert_string_equal(nics[0].management_why,
	                    "default route via br0 (" PFNAME " is a port of br0)");
	assert_false(nics[1].management);
	free(ifs);
	mgmt_net_free(&net);
}

static void test_bad_replies_are_errors(void **state)
{
	struct dump d = {0};
	struct mgmt_net net = {0};
	struct nlmsghdr *h;
	(void)state;

	/* A truncated message: its length runs past the buffer. */
	link_msg(&d, PF, PFNAME, NULL, 0, 0);
	assert_int_equal(mgmt_decode(&net, d.buf, d.len - 4), -EINVAL);
	/* A link without a name. */
	h = (struct nlmsghdr *)d.buf;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	assert_int_equal(mgmt_decode(&net, d.buf, NLMSG_ALIGN(h->nlmsg_len)), -EINVAL);
	/* The kernel's error for the dump. */
	memset(&d, 0, sizeof(d));
	struct nl_msg *m = nlmsg_alloc_simple(NLMSG_ERROR, 0);
	struct nlmsgerr e = {.error = -EOPNOTSUPP};
	assert_int_equal(nlmsg_append(m, &e, sizeof(e), NLMSG_ALIGNTO), 0);
	put(&d, m);
	assert_int_equal(mgmt_decode(&net, d.buf, d.len), -EOPNOTSUPP);
	/* A group whose size is not whole entries. */
	memset(&d, 0, sizeof(d));
	struct nhmsg nhm = {0};
	m = start(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	assert_int_equal(nla_put_u32(m, NHA_ID, 5), 0);
	assert_int_equal(nla_put(m, NHA_GROUP, 6, "abcdef"), 0);
	put(&d, m);
	assert_int_equal(mgmt_decode(&net, d.buf, d.len), -EINVAL);
	/* Each message type with no room for its fixed header, in a buffer of exactly its 16
	 * bytes (under ASan an over-read of the header is an error). */
	static const int types[] = {RTM_NEWLINK, RTM_NEWROUTE, RTM_NEWNEXTHOP, RTM_NEWADDR};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct nlmsghdr *bare = calloc(1, NLMSG_HDRLEN);
		assert_non_null(bare);
		bare->nlmsg_len = NLMSG_HDRLEN;
		bare->nlmsg_type = (unsigned short)types[i];
		int r = mgmt_decode(&net, bare, NLMSG_HDRLEN);
		if (r != -EINVAL)
			fail_msg("a bare message of type %d: expected %d, got %d", types[i],
			         -EINVAL, r);
		free(bare);
	}
	mgmt_net_free(&net);
}

int main(void)
{
	static const struct CMUnitTest others[] = {
	    cmocka_unit_test(test_server_must_be_an_address),
	    cmocka_unit_test(test_resolved_names_mark_the_pf),
	    cmocka_unit_test(test_bad_replies_are_errors),
	};

	return RUN_CASES(cases, test_layout, others);
}
