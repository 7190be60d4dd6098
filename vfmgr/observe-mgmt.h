/* The host's management path: the NICs it must never lose. */
#ifndef VFMGR_MGMT_H
#define VFMGR_MGMT_H

#include "vfmgr/observe-host.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mgmt_iface {
	char name[IF_NAMESIZE];
	char why[200];
};

/* What the management path is computed from: rtnetlink's link, route, nexthop and address
 * dumps, decoded from their raw messages (libnl 3.7 knows no nexthop objects, and its link
 * cache asks the kernel for every VF's settings, which a PF with hundreds of VFs makes slow). */
struct mgmt_link {
	int ifindex;
	int master; /* IFLA_MASTER: bridge, bond, team, VRF, OVS datapath */
	int link;   /* IFLA_LINK: the device under a VLAN, macvlan or tunnel */
	bool link_other_netns;
	char name[IF_NAMESIZE];
	char kind[16]; /* IFLA_INFO_KIND, "" for a plain device */
};

#define MGMT_MAX_OIFS 16

struct mgmt_route {
	uint32_t table;
	uint32_t nh_id; /* RTA_NH_ID, 0 if none */
	uint8_t family, type, protocol, dst_len;
	size_t n_oifs;
	int oifs[MGMT_MAX_OIFS]; /* RTA_OIF and RTA_MULTIPATH's devices */
};

#define MGMT_MAX_GROUP 32

struct mgmt_nexthop {
	uint32_t id;
	int oif;
	bool blackhole;
	size_t n_group;
	uint32_t group[MGMT_MAX_GROUP];
};

struct mgmt_addr {
	int ifindex;
	uint8_t family;
	uint8_t addr[16];
};

struct mgmt_net {
	struct mgmt_link *links;
	size_t n_links, cap_links;
	struct mgmt_route *routes;
	size_t n_routes, cap_routes;
	struct mgmt_nexthop *nhs;
	size_t n_nhs, cap_nhs;
	struct mgmt_addr *addrs;
	size_t n_addrs, cap_addrs;
	/* The SSH session's server address (SSH_CONNECTION), if any. */
	bool have_server;
	uint8_t server_family;
	uint8_t server[16];
	char server_text[64];
	/* Default routes whose nexthop object was not in the nexthop dump. */
	unsigned unresolved;
};

void mgmt_net_free(struct mgmt_net *net);
/* Decodes every message in buf (a recv()'s worth of rtnetlink: RTM_NEWLINK, RTM_NEWROUTE,
 * RTM_NEWNEXTHOP, RTM_NEWADDR; others are skipped) into net. Returns 1 after NLMSG_DONE, 0 if
 * more is to come, -EINVAL for a malformed message, the error of an NLMSG_ERROR, -ENOMEM. */
int mgmt_decode(struct mgmt_net *net, const void *buf, size_t len);
/* Parses a server address ("192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1") into net. */
int mgmt_set_server(struct mgmt_net *net, const char *text);
/* True if some default route names a nexthop object (so a nexthop dump is needed). */
bool mgmt_wants_nexthops(const struct mgmt_net *net);
/* The interfaces on the management path: those with a default route in any table (main,
 * policy routing, VRFs; through nexthop objects and groups too), the one holding the SSH
 * session's local address, and everything under them (bridge, bond, team and VRF ports, the
 * ports of the OVS datapath under an OVS bridge, the device under a VLAN or tunnel). */
int mgmt_resolve(struct mgmt_net *net, struct mgmt_iface **out, size_t *n);

/* Why a default route makes ifname the management path: its table when not main, and for
 * one learned from a router advertisement, where it came from and how to stop it. */
void mgmt_route_why(char *buf, size_t size, const char *ifname, uint32_t table, bool ra);

/* mgmt_resolve on this host's rtnetlink dumps and SSH_CONNECTION. */
int mgmt_find_ifaces(struct mgmt_iface **out, size_t *n);
/* Marks the NICs that own those interfaces; a VF on the path marks its PF too, since resetting
 * the PF would take the VF away. */
void mgmt_mark(struct host *h, const struct mgmt_iface *ifs, size_t n);
/* Both of the above. */
int mgmt_observe(struct host *h);

#endif
