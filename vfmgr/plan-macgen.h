/* MACs for VM NICs the policy leaves without one. */
#ifndef VFMGR_MACGEN_H
#define VFMGR_MACGEN_H

#include "util/parse.h"

/* A locally administered unicast MAC that depends only on the VM name and NIC index, so the
 * same NIC gets the same MAC on every host and after every reboot. */
void macgen_for_nic(const char *vm, unsigned nic, uint8_t mac[MAC_LEN]);

#endif
