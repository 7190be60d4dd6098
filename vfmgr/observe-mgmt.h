/* The host's management path: the NICs it must never lose. */
#ifndef VFMGR_MGMT_H
#define VFMGR_MGMT_H

#include "vfmgr/observe-host.h"

struct mgmt_iface {
	char name[IF_NAMESIZE];
	char why[96];
};

/* Interfaces with a default route and the one holding the local address of the SSH session
 * this process runs in (SSH_CONNECTION). Read through rtnetlink. */
int mgmt_find_ifaces(struct mgmt_iface **out, size_t *n);
/* Marks the NICs under those interfaces, following bridges, bonds and VLANs down to their
 * ports; a VF on the path marks its PF too, since resetting the PF would take the VF away. */
void mgmt_mark(struct host *h, const struct mgmt_iface *ifs, size_t n);
/* Both of the above. */
int mgmt_observe(struct host *h);

#endif
