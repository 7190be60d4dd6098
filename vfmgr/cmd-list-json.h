/* The JSON form of `vfmgr list`; its keys are documented in vfmgr(8) and kept stable. */
#ifndef VFMGR_LIST_JSON_H
#define VFMGR_LIST_JSON_H

#include "vfmgr/observe-host.h"

#include <jansson.h>

json_t *list_json(const struct host *h);
/* "pf", "vf" or "nic": the ROLE column and the "role" key. */
const char *list_role(const struct nic *n);

#endif
