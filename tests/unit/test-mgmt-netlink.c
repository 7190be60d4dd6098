/* The management path from rtnetlink replies: each test builds the dump the kernel sends for
 * one host layout (RTM_NEWLINK, RTM_NEWROUTE, RTM_NEWNEXTHOP messages made with libnl's
 * message builders, in the kernel's wire format, NLM_F_MULTI and NLMSG_DONE included), feeds
 * the bytes to mgmt_decode, and checks that the PF enp1s0f0 (ifindex 2) is what the host must
 * not lose. */
#include "vfmgr/observe-mgmt.h"

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

/* Decodes the dumps (each ends in NLMSG_DONE) and resolves; *why gets the PF's reason, or
 * stays "" if the PF is not on the management path. Returns the number of interfaces. */
static size_t resolve(struct mgmt_net *net, struct dump *d, size_t nd, char *why, size_t wsize)
{
	struct mgmt_iface *ifs = NULL;
	size_t n = 0;

	for (size_t i = 0; i < nd; i++)
		assert_int_equal(mgmt_decode(net, d[i].buf, d[i].len), 1);
	assert_int_equal(mgmt_resolve(net, &ifs, &n), 0);
	why[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (strcmp(ifs[i].name, PFNAME) == 0)
			snprintf(why, wsize, "%s", ifs[i].why);
	free(ifs);
	return n;
}

static void test_plain_default_route(void **state)
{
	struct dump d[2] = {0};
	struct mgmt_net net = {0};
	char why[200];
	(void)state;

	base_links(&d[0], 0);
	link_msg(&d[0], 3, "enp1s0f1", NULL, 0, 0);
	done_msg(&d[0]);
	route_msg(&d[1], AF_INET, RT_TABLE_MAIN, 24, 3, 0); /* not a default route */
	route_msg(&d[1], AF_INET, RT_TABLE_MAIN, 0, PF, 0);
	done_msg(&d[1]);
	assert_int_equal(resolve(&net, d, 2, why, sizeof(why)), 1);
	assert_string_equal(why, "default route via " PFNAME);
	assert_false(mgmt_wants_nexthops(&net));
	mgmt_net_free(&net);
}

static void test_vrf_table_route(void **state)
{
	struct dump d[2] = {0};
	struct mgmt_net net = {0};
	char why[200];
	(void)state;

	/* ip link add blue type vrf table 1001; ip link set enp1s0f0 master blue */
	base_links(&d[0], 4);
	link_msg(&d[0], 4, "blue", "vrf", 0, 0);
	done_msg(&d[0]);
	route_msg(&d[1], AF_INET, 1001, 0, PF, 0);
	done_msg(&d[1]);
	assert_int_equal(resolve(&net, d, 2, why, sizeof(why)), 1);
	assert_string_equal(why, "default route (table 1001) via " PFNAME);
	mgmt_net_free(&net);
}

static void test_vrf_device_route_reaches_its_members(void **state)
{
	struct dump d[2] = {0};
	struct mgmt_net net = {0};
	char why[200];
	(void)state;

	base_links(&d[0], 4);
	link_msg(&d[0], 4, "blue", "vrf", 0, 0);
	done_msg(&d[0]);
	route_msg(&d[1], AF_INET6, 1001, 0, 4, 0);
	done_msg(&d[1]);
	assert_int_equal(resolve(&net, d, 2, why, sizeof(why)), 2);
	assert_string_equal(why, "default route (table 1001) via blue (" PFNAME " is in VRF blue)");
	mgmt_net_free(&net);
}

static void test_linux_bridge_port(void **state)
{
	struct dump d[2] = {0};
	struct mgmt_net net = {0};
	char why[200];
	(void)state;

	base_links(&d[0], 5);
	link_msg(&d[0], 5, "br0", "bridge", 0, 0);
	link_msg(&d[0], 6, "vnet0", "tun", 5, 0);
	done_msg(&d[0]);
	route_msg(&d[1], AF_INET, RT_TABLE_MAIN, 0, 5, 0);
	done_msg(&d[1]);
	assert_int_equal(resolve(&net, d, 2, why, sizeof(why)), 3);
	assert_string_equal(why, "default route via br0 (" PFNAME " is a port of br0)");
	mgmt_net_free(&net);
}

static void test_ovs_bridge_datapath_port(void **state)
{
	struct dump d[2] = {0};
	struct mgmt_net net = {0};
	char why[200];
	(void)state;

	/* ovs-vsctl add-br br-ex; add-port br-ex enp1s0f0: the bridge's own interface and the
	 * PF are both ports of the datapath device, not of each other. */
	base_links(&d[0], 7);
	link_msg(&d[0], 7, "ovs-system", "openvswitch", 0, 0);
	link_msg(&d[0], 8, "br-ex", "openvswitch", 7, 0);
	done_msg(&d[0]);
	route_msg(&d[1], AF_INET, RT_TABLE_MAIN, 0, 8, 0);
	done_msg(&d[1]);
	resolve(&net, d, 2, why, sizeof(why));
	assert_string_equal(why,
	                    "default route via br-ex (" PFNAME " is a port of its OVS datapath)");
	mgmt_net_free(&net);
}

static void test_bond_and_team_over_the_pf(void **state)
{
	const char *kinds[] = {"bond", "team"};

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct dump d[2] = {0};
		struct mgmt_net net = {0};
		char why[200], want[200];

		base_links(&d[0], 9);
		link_msg(&d[0], 9, kinds[k], kinds[k], 0, 0);
		done_msg(&d[0]);
		route_msg(&d[1], AF_INET6, RT_TABLE_MAIN, 0, 9, 0);
		done_msg(&d[1]);
		assert_int_equal(resolve(&net, d, 2, why, sizeof(why)), 2);
		snprintf(want, sizeof(want), "default route via %s (" PFNAME " is a port of %s)",
		         kinds[k], kinds[k]);
		assert_string_equal(why, want);
		mgmt_net_free(&net);
	}
}

static void test_vlan_on_the_pf(void **state)
{
	struct dump d[2] = {0};
	struct mgmt_net net = {0};
	char why[200];
	(void)state;

	base_links(&d[0], 0);
	link_msg(&d[0], 10, PFNAME ".100", "vlan", 0, PF);
	done_msg(&d[0]);
	route_msg(&d[1], AF_INET, RT_TABLE_MAIN, 0, 10, 0);
	done_msg(&d[1]);
	assert_int_equal(resolve(&net, d, 2, why, sizeof(why)), 2);
	assert_string_equal(why, "default route via " PFNAME ".100 (" PFNAME " is under " PFNAME
	                         ".100)");
	mgmt_net_free(&net);
}

static void test_vlan_on_a_bond_on_the_pf(void **state)
{
	struct dump d[2] = {0};
	struct mgmt_net net = {0};
	char why[200];
	(void)state;

	base_links(&d[0], 9);
	link_msg(&d[0], 9, "bond0", "bond", 0, 0);
	link_msg(&d[0], 10, "bond0.100", "vlan", 0, 9);
	done_msg(&d[0]);
	route_msg(&d[1], AF_INET, RT_TABLE_MAIN, 0, 10, 0);
	done_msg(&d[1]);
	assert_int_equal(resolve(&net, d, 2, why, sizeof(why)), 3);
	assert_string_equal(why, "default route via bond0.100 (bond0 is under bond0.100) (" PFNAME
	                         " is a port of bond0)");
	mgmt_net_free(&net);
}

/* With net.ipv4.nexthop_compat_mode=0 the route carries only RTA_NH_ID: the device is in the
 * nexthop dump alone. */
static void test_nexthop_object(void **state)
{
	struct dump d[3] = {0};
	struct mgmt_net net = {0};
	char why[200];
	(void)state;

	base_links(&d[0], 0);
	done_msg(&d[0]);
	route_msg(&d[1], AF_INET, RT_TABLE_MAIN, 0, 0, 17);
	done_msg(&d[1]);
	nexthop_msg(&d[2], 17, PF, NULL, 0);
	done_msg(&d[2]);
	assert_int_equal(mgmt_decode(&net, d[0].buf, d[0].len), 1);
	assert_int_equal(mgmt_decode(&net, d[1].buf, d[1].len), 1);
	assert_true(mgmt_wants_nexthops(&net));
	mgmt_net_free(&net);
	assert_int_equal(resolve(&net, d, 3, why, sizeof(why)), 1);
	assert_string_equal(why, "default route via " PFNAME);
	assert_int_equal(net.unresolved, 0);
	mgmt_net_free(&net);
}

static void test_nexthop_group(void **state)
{
	struct dump d[3] = {0};
	struct mgmt_net net = {0};
	const uint32_t members[] = {21, 22};
	char why[200];
	(void)state;

	base_links(&d[0], 0);
	link_msg(&d[0], 3, "enp1s0f1", NULL, 0, 0);
	done_msg(&d[0]);
	route_msg(&d[1], AF_INET, RT_TABLE_MAIN, 0, 0, 20);
	done_msg(&d[1]);
	nexthop_msg(&d[2], 21, 3, NULL, 0);
	nexthop_msg(&d[2], 20, 0, members, 2);
	nexthop_msg(&d[2], 22, PF, NULL, 0);
	done_msg(&d[2]);
	assert_int_equal(resolve(&net, d, 3, why, sizeof(why)), 2);
	assert_string_equal(why, "default route via " PFNAME);
	mgmt_net_free(&net);
}

/* The nexthop object, not the compat copy of its device, is what counts; one missing from the
 * dump is counted as unresolved (and warned about) rather than guessed. */
static void test_nexthop_missing_is_unresolved(void **state)
{
	struct dump d[3] = {0};
	struct mgmt_net net = {0};
	char why[200];
	(void)state;

	base_links(&d[0], 0);
	done_msg(&d[0]);
	route_msg(&d[1], AF_INET, RT_TABLE_MAIN, 0, 0, 30);
	done_msg(&d[1]);
	nexthop_msg(&d[2], 31, PF, NULL, 0);
	done_msg(&d[2]);
	assert_int_equal(resolve(&net, d, 3, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(net.unresolved, 1);
	mgmt_net_free(&net);
}

static void test_ssh_session_address(void **state)
{
	struct dump d[1] = {0};
	struct mgmt_net net = {0};
	struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 24, .ifa_index = PF};
	uint8_t a[4] = {198, 51, 100, 7};
	struct nl_msg *m;
	char why[200];
	(void)state;

	base_links(&d[0], 0);
	m = start(RTM_NEWADDR, &ifa, sizeof(ifa));
	assert_int_equal(nla_put(m, IFA_LOCAL, sizeof(a), a), 0);
	assert_int_equal(nla_put(m, IFA_ADDRESS, sizeof(a), a), 0);
	put(&d[0], m);
	done_msg(&d[0]);
	assert_int_equal(mgmt_set_server(&net, "::ffff:198.51.100.7"), 0);
	assert_int_equal(resolve(&net, d, 1, why, sizeof(why)), 1);
	assert_string_equal(why, "ssh session to ::ffff:198.51.100.7 on " PFNAME);
	mgmt_net_free(&net);
	assert_int_equal(mgmt_set_server(&net, "not-an-address"), -EINVAL);
}

/* The names reach a real host snapshot: the PF's function is marked, not its neighbour. */
static void test_resolved_names_mark_the_pf(void **state)
{
	struct dump d[2] = {0};
	struct mgmt_net net = {0};
	struct mgmt_iface *ifs = NULL;
	struct netdev nd[2] = {{.name = PFNAME, .ifindex = PF}, {.name = "enp1s0f1"}};
	struct nic nics[2] = {{.addr = "0000:01:00.0", .netdevs = &nd[0], .n_netdevs = 1},
	                      {.addr = "0000:01:00.1", .netdevs = &nd[1], .n_netdevs = 1}};
	struct host h = {.nics = nics, .n_nics = 2};
	size_t n = 0;
	(void)state;

	nics[0].pf = nics[1].pf = NO_INDEX;
	base_links(&d[0], 5);
	link_msg(&d[0], 5, "br0", "bridge", 0, 0);
	done_msg(&d[0]);
	route_msg(&d[1], AF_INET, RT_TABLE_MAIN, 0, 5, 0);
	done_msg(&d[1]);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(mgmt_decode(&net, d[i].buf, d[i].len), 1);
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
	mgmt_net_free(&net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_default_route),
	    cmocka_unit_test(test_vrf_table_route),
	    cmocka_unit_test(test_vrf_device_route_reaches_its_members),
	    cmocka_unit_test(test_linux_bridge_port),
	    cmocka_unit_test(test_ovs_bridge_datapath_port),
	    cmocka_unit_test(test_bond_and_team_over_the_pf),
	    cmocka_unit_test(test_vlan_on_the_pf),
	    cmocka_unit_test(test_vlan_on_a_bond_on_the_pf),
	    cmocka_unit_test(test_nexthop_object),
	    cmocka_unit_test(test_nexthop_group),
	    cmocka_unit_test(test_nexthop_missing_is_unresolved),
	    cmocka_unit_test(test_ssh_session_address),
	    cmocka_unit_test(test_resolved_names_mark_the_pf),
	    cmocka_unit_test(test_bad_replies_are_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
