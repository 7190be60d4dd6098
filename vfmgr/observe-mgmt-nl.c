/* The management path from raw rtnetlink messages: decoding (callable on a recorded buffer,
 * which is how the unit tests feed it) and resolving routes down to the devices under them. */
#include "vfmgr/observe-mgmt.h"
#include "util/array.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mgmt_net_free(struct mgmt_net *net)
{
	free(net->links);
	free(net->routes);
	free(net->nhs);
	free(net->addrs);
	memset(net, 0, sizeof(*net));
}

static void copy_str(char *dst, size_t size, const struct nlattr *a)
{
	size_t n = a ? (size_t)nla_len(a) : 0;
	const char *s = a ? nla_data(a) : "";

	n = strnlen(s, n);
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int decode_link(struct mgmt_net *net, struct nlmsghdr *nlh)
{
	static struct nla_policy pol[IFLA_MAX + 1] = {
	    [IFLA_IFNAME] = {.type = NLA_STRING},   [IFLA_MASTER] = {.type = NLA_U32},
	    [IFLA_LINK] = {.type = NLA_U32},        [IFLA_LINK_NETNSID] = {.type = NLA_S32},
	    [IFLA_LINKINFO] = {.type = NLA_NESTED},
	};
	static struct nla_policy info_pol[IFLA_INFO_MAX + 1] = {
	    [IFLA_INFO_KIND] = {.type = NLA_STRING},
	};
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	const struct ifinfomsg *ifi = nlmsg_data(nlh);
	struct mgmt_link *l;

	if (nlmsg_parse(nlh, sizeof(*ifi), tb, IFLA_MAX, pol) < 0 || !tb[IFLA_IFNAME])
		return -EINVAL;
	if (tb[IFLA_LINKINFO] &&
	    nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], info_pol) < 0)
		return -EINVAL;
	l = ARRAY_APPEND(net->links, net->n_links, net->cap_links);
	if (!l)
		return -ENOMEM;
	l->ifindex = ifi->ifi_index;
	copy_str(l->name, sizeof(l->name), tb[IFLA_IFNAME]);
	l->master = tb[IFLA_MASTER] ? (int)nla_get_u32(tb[IFLA_MASTER]) : 0;
	l->link = tb[IFLA_LINK] ? (int)nla_get_u32(tb[IFLA_LINK]) : 0;
	l->link_other_netns = tb[IFLA_LINK_NETNSID] != NULL;
	if (tb[IFLA_LINKINFO])
		copy_str(l->kind, sizeof(l->kind), info[IFLA_INFO_KIND]);
	return 0;
}

static void route_add_oif(struct mgmt_route *r, int oif)
{
	if (oif > 0 && r->n_oifs < MGMT_MAX_OIFS)
		r->oifs[r->n_oifs++] = oif;
}

static int decode_multipath(struct mgmt_route *r, const struct nlattr *a)
{
	const unsigned char *p = nla_data(a);
	size_t left = (size_t)nla_len(a);

	while (left >= sizeof(struct rtnexthop)) {
		struct rtnexthop nh;
		memcpy(&nh, p, sizeof(nh));
		if (nh.rtnh_len < sizeof(nh) || nh.rtnh_len > left)
			return -EINVAL;
		route_add_oif(r, nh.rtnh_ifindex);
		size_t step = RTNH_ALIGN(nh.rtnh_len);
		if (step >= left)
			break;
		p += step;
		left -= step;
	}
	return 0;
}

static int decode_route(struct mgmt_net *net, struct nlmsghdr *nlh)
{
	static struct nla_policy pol[RTA_MAX + 1] = {
	    [RTA_TABLE] = {.type = NLA_U32},
	    [RTA_OIF] = {.type = NLA_U32},
	    [RTA_NH_ID] = {.type = NLA_U32},
	    [RTA_MULTIPATH] = {.type = NLA_UNSPEC},
	};
	struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm = nlmsg_data(nlh);
	struct mgmt_route *r;

	if (nlmsg_parse(nlh, sizeof(*rtm), tb, RTA_MAX, pol) < 0)
		return -EINVAL;
	/* Only default routes matter; the rest is not kept. */
	if (rtm->rtm_dst_len != 0 || (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return 0;
	r = ARRAY_APPEND(net->routes, net->n_routes, net->cap_routes);
	if (!r)
		return -ENOMEM;
	r->family = rtm->rtm_family;
	r->type = rtm->rtm_type;
	r->protocol = rtm->rtm_protocol;
	r->dst_len = rtm->rtm_dst_len;
	r->table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	r->nh_id = tb[RTA_NH_ID] ? nla_get_u32(tb[RTA_NH_ID]) : 0;
	if (tb[RTA_OIF])
		route_add_oif(r, (int)nla_get_u32(tb[RTA_OIF]));
	if (tb[RTA_MULTIPATH])
		return decode_multipath(r, tb[RTA_MULTIPATH]);
	return 0;
}

static int decode_nexthop(struct mgmt_net *net, struct nlmsghdr *nlh)
{
	static struct nla_policy pol[NHA_MAX + 1] = {
	    [NHA_ID] = {.type = NLA_U32},
	    [NHA_OIF] = {.type = NLA_U32},
	    [NHA_BLACKHOLE] = {.type = NLA_FLAG},
	    [NHA_GROUP] = {.type = NLA_UNSPEC},
	};
	struct nlattr *tb[NHA_MAX + 1];
	struct mgmt_nexthop *nh;

	if (nlmsg_parse(nlh, sizeof(struct nhmsg), tb, NHA_MAX, pol) < 0 || !tb[NHA_ID])
		return -EINVAL;
	nh = ARRAY_APPEND(net->nhs, net->n_nhs, net->cap_nhs);
	if (!nh)
		return -ENOMEM;
	nh->id = nla_get_u32(tb[NHA_ID]);
	nh->oif = tb[NHA_OIF] ? (int)nla_get_u32(tb[NHA_OIF]) : 0;
	nh->blackhole = tb[NHA_BLACKHOLE] != NULL;
	if (tb[NHA_GROUP]) {
		const unsigned char *p = nla_data(tb[NHA_GROUP]);
		size_t len = (size_t)nla_len(tb[NHA_GROUP]);
		if (len % sizeof(struct nexthop_grp) != 0)
			return -EINVAL;
		for (size_t off = 0; off < len && nh->n_group < MGMT_MAX_GROUP;
		     off += sizeof(struct nexthop_grp)) {
			struct nexthop_grp g;
			memcpy(&g, p + off, sizeof(g));
			nh->group[nh->n_group++] = g.id;
		}
	}
	return 0;
}

static int decode_addr(struct mgmt_net *net, struct nlmsghdr *nlh)
{
	static struct nla_policy pol[IFA_MAX + 1] = {
	    [IFA_LOCAL] = {.type = NLA_UNSPEC},
	    [IFA_ADDRESS] = {.type = NLA_UNSPEC},
	};
	struct nlattr *tb[IFA_MAX + 1];
	const struct ifaddrmsg *ifa = nlmsg_data(nlh);
	const struct nlattr *a;
	struct mgmt_addr *m;
	size_t want;

	/* nlmsg_parse checks that the message holds a whole ifaddrmsg: read it only after. */
	if (nlmsg_parse(nlh, sizeof(*ifa), tb, IFA_MAX, pol) < 0)
		return -EINVAL;
	want = ifa->ifa_family == AF_INET ? 4 : ifa->ifa_family == AF_INET6 ? 16 : 0;
	/* IFA_LOCAL is the local end; IFA_ADDRESS is it too except on point-to-point links. */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!want || !a)
		return 0;
	if ((size_t)nla_len(a) != want)
		return -EINVAL;
	m = ARRAY_APPEND(net->addrs, net->n_addrs, net->cap_addrs);
	if (!m)
		return -ENOMEM;
	m->ifindex = (int)ifa->ifa_index;
	m->family = ifa->ifa_family;
	memcpy(m->addr, nla_data(a), want);
	return 0;
}

int mgmt_decode(struct mgmt_net *net, const void *buf, size_t len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int left = len > (size_t)INT32_MAX ? INT32_MAX : (int)len;

	for (; nlmsg_ok(nlh, left); nlh = nlmsg_next(nlh, &left)) {
		int r = 0;

		switch (nlh->nlmsg_type) {
		case NLMSG_DONE:
			return 1;
		case NLMSG_ERROR: {
			const struct nlmsgerr *e = nlmsg_data(nlh);
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EINVAL;
			if (e->error < 0)
				return e->error;
			continue;
		}
		case RTM_NEWLINK:
			r = decode_link(net, nlh);
			break;
		case RTM_NEWROUTE:
			r = decode_route(net, nlh);
			break;
		case RTM_NEWNEXTHOP:
			r = decode_nexthop(net, nlh);
			break;
		case RTM_NEWADDR:
			r = decode_addr(net, nlh);
			break;
		default:
			break;
		}
		if (r < 0)
			return r;
		if (!(nlh->nlmsg_flags & NLM_F_MULTI))
			return 1;
	}
	return left == 0 ? 0 : -EINVAL;
}

int mgmt_set_server(struct mgmt_net *net, const char *text)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, text, &a4) == 1) {
		net->server_family = AF_INET;
		memcpy(net->server, &a4, 4);
	} else if (inet_pton(AF_INET6, text, &a6) == 1) {
		/* sshd on a dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d. */
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(a6.s6_addr, mapped, sizeof(mapped)) == 0) {
			net->server_family = AF_INET;
			memcpy(net->server, a6.s6_addr + 12, 4);
		} else {
			net->server_family = AF_INET6;
			memcpy(net->server, a6.s6_addr, 16);
		}
	} else {
		return -EINVAL;
	}
	net->have_server = true;
	snprintf(net->server_text, sizeof(net->server_text), "%s", text);
	return 0;
}

static bool is_default(const struct mgmt_route *r)
{
	return r->dst_len == 0 && r->table != RT_TABLE_LOCAL && r->type == RTN_UNICAST;
}

bool mgmt_wants_nexthops(const struct mgmt_net *net)
{
	for (size_t i = 0; i < net->n_routes; i++)
		if (is_default(&net->routes[i]) && net->routes[i].nh_id)
			return true;
	return false;
}

static const struct mgmt_link *link_by_index(const struct mgmt_net *net, int ifindex)
{
	for (size_t i = 0; i < net->n_links; i++)
		if (net->links[i].ifindex == ifindex)
			return &net->links[i];
	return NULL;
}

static const struct mgmt_nexthop *nh_by_id(const struct mgmt_net *net, uint32_t id)
{
	for (size_t i = 0; i < net->n_nhs; i++)
		if (net->nhs[i].id == id)
			return &net->nhs[i];
	return NULL;
}

struct out_list {
	struct mgmt_iface *v;
	size_t n, cap;
	int *ifindex; /* parallel to v, for walking down */
	size_t n_idx, cap_idx;
};

static int add_iface(struct out_list *o, const struct mgmt_link *l, const char *why)
{
	struct mgmt_iface *m;
	int *idx;

	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->v[i].name, l->name) == 0)
			return 0;
	m = ARRAY_APPEND(o->v, o->n, o->cap);
	if (!m)
		return -ENOMEM;
	idx = ARRAY_APPEND(o->ifindex, o->n_idx, o->cap_idx);
	if (!idx) {
		o->n--;
		return -ENOMEM;
	}
	*idx = l->ifindex;
	snprintf(m->name, sizeof(m->name), "%s", l->name);
	snprintf(m->why, sizeof(m->why), "%s", why);
	return 0;
}

static int add_route_dev(const struct mgmt_net *net, struct out_list *o, const struct mgmt_route *r,
                         int oif)
{
	const struct mgmt_link *l = link_by_index(net, oif);
	char why[sizeof(o->v->why)];

	if (!l)
		return 0;
	mgmt_route_why(why, sizeof(why), l->name, r->table,
	               r->family == AF_INET6 && r->protocol == RTPROT_RA);
	return add_iface(o, l, why);
}

/* A route through a nexthop object: its device, or the devices of the group's members (a
 * group cannot contain groups, but a tampered or newer kernel is not trusted on that). */
static int add_nexthop(struct mgmt_net *net, struct out_list *o, const struct mgmt_route *r,
                       uint32_t id, int depth)
{
	const struct mgmt_nexthop *nh = nh_by_id(net, id);
	int ret = 0;

	if (!nh || depth > 2) {
		net->unresolved++;
		return 0;
	}
	if (nh->blackhole)
		return 0;
	if (nh->oif)
		return add_route_dev(net, o, r, nh->oif);
	for (size_t g = 0; g < nh->n_group && ret == 0; g++)
		ret = add_nexthop(net, o, r, nh->group[g], depth + 1);
	return ret;
}

/* why = base + " (" + relation + ")", cut at the buffer's end: a deep stack of devices
 * makes a long reason, and its start is what matters. */
__attribute__((format(printf, 4, 5))) static void why_under(char *why, size_t size,
                                                            const char *base, const char *fmt, ...)
{
	size_t n = (size_t)snprintf(why, size, "%s (", base);
	va_list ap;

	if (n + 2 >= size)
		return;
	va_start(ap, fmt);
	n += (size_t)vsnprintf(why + n, size - n, fmt, ap);
	va_end(ap);
	if (n + 2 <= size)
		strcpy(why + n, ")");
}

static bool is_kind(const struct mgmt_link *l, const char *kind)
{
	return strcmp(l->kind, kind) == 0;
}

/* Adds what lies under o->v[i]: its ports (bridge, bond, team, VRF), the OVS datapath's ports
 * under an OVS bridge (which bridge a port belongs to is only in ovsdb, so every datapath port
 * is taken), and the device a VLAN, macvlan or tunnel sits on. */
static int add_lower(const struct mgmt_net *net, struct out_list *o, size_t i)
{
	const struct mgmt_link *u = link_by_index(net, o->ifindex[i]);
	char why[sizeof(o->v->why)], uwhy[sizeof(o->v->why)], uname[IF_NAMESIZE];
	int master, r;

	if (!u)
		return 0;
	snprintf(uwhy, sizeof(uwhy), "%s", o->v[i].why);
	snprintf(uname, sizeof(uname), "%s", u->name);
	master = u->ifindex;
	if (is_kind(u, "openvswitch") && strcmp(u->name, "ovs-system") != 0) {
		for (size_t k = 0; k < net->n_links; k++)
			if (strcmp(net->links[k].name, "ovs-system") == 0)
				master = net->links[k].ifindex;
	}
	for (size_t k = 0; k < net->n_links; k++) {
		const struct mgmt_link *l = &net->links[k];
		if (l->master != master || l->ifindex == u->ifindex)
			continue;
		if (master != u->ifindex)
			why_under(why, sizeof(why), uwhy, "%s is a port of its OVS datapath",
			          l->name);
		else if (is_kind(u, "vrf"))
			why_under(why, sizeof(why), uwhy, "%s is in VRF %s", l->name, uname);
		else
			why_under(why, sizeof(why), uwhy, "%s is a port of %s", l->name, uname);
		r = add_iface(o, l, why);
		if (r < 0)
			return r;
	}
	/* A veth's link is its peer, not a device under it. */
	if (u->link > 0 && u->link != u->ifindex && !u->link_other_netns && !is_kind(u, "veth")) {
		const struct mgmt_link *l = link_by_index(net, u->link);
		if (l) {
			why_under(why, sizeof(why), uwhy, "%s is under %s", l->name, uname);
			return add_iface(o, l, why);
		}
	}
	return 0;
}

static bool addr_is_server(const struct mgmt_net *net, const struct mgmt_addr *a)
{
	return a->family == net->server_family &&
	       memcmp(a->addr, net->server, a->family == AF_INET ? 4 : 16) == 0;
}

int mgmt_resolve(struct mgmt_net *net, struct mgmt_iface **out, size_t *n)
{
	struct out_list o = {0};
	int r = 0;

	for (size_t i = 0; i < net->n_routes && r == 0; i++) {
		const struct mgmt_route *rt = &net->routes[i];
		if (!is_default(rt))
			continue;
		/* The nexthop object is what the kernel forwards by; the devices listed beside it
		 * (nexthop_compat_mode) are a copy that a sysctl can turn off. */
		if (rt->nh_id) {
			r = add_nexthop(net, &o, rt, rt->nh_id, 0);
			continue;
		}
		for (size_t k = 0; k < rt->n_oifs && r == 0; k++)
			r = add_route_dev(net, &o, rt, rt->oifs[k]);
	}
	for (size_t i = 0; net->have_server && i < net->n_addrs && r == 0; i++) {
		const struct mgmt_link *l = link_by_index(net, net->addrs[i].ifindex);
		char why[sizeof(o.v->why)];
		if (!l || !addr_is_server(net, &net->addrs[i]))
			continue;
		snprintf(why, sizeof(why), "ssh session to %s on %s", net->server_text, l->name);
		r = add_iface(&o, l, why);
	}
	/* o grows while walked: each added device is walked in turn, down to the bottom. The
	 * names are unique, so a loop in the links cannot make this run forever. */
	for (size_t i = 0; i < o.n && r == 0; i++)
		r = add_lower(net, &o, i);
	free(o.ifindex);
	if (r < 0) {
		free(o.v);
		return r;
	}
	*out = o.v;
	*n = o.n;
	return 0;
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
