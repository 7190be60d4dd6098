/* The host's management path: the NICs it must never lose. */
#ifndef VFMGR_MGMT_H
#define VFMGR_MGMT_H

#include "vfmgr/observe-host.h"

#include <stdbool.h>
#include <stdint.h>

struct mgmt_iface {
	char name[IF_NAMESIZE];
	char why[200];
};

/* Why a default route makes ifname the management path: its table when not main, and for
 * one learned from a router advertisement, where it came from and how to stop it. */
void mgmt_route_why(char *buf, size_t size, const char *ifname, uint32_t table, bool ra);

/* Interfaces with a default route in any table (main, policy routing, VRFs), the ports of
 * the OVS datapath under such an interface, and the one holding the local address of the SSH
 * session this process runs in (SSH_CONNECTION). Read through rtnetlink. */
int mgmt_find_ifaces(struct mgmt_iface **out, size_t *n);
/* Marks the NICs under those interfaces, following bridges, bonds and VLANs down to their
 * ports; a VF on the path marks its PF too, since resetting the PF would take the VF away. */
void mgmt_mark(struct host *h, const struct mgmt_iface *ifs, size_t n);
/* Both of the above. */
int mgmt_observe(struct host *h);

#endif
