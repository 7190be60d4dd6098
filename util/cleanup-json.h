/* Scope-bound release of jansson values (json_decref). */
#ifndef VFMGR_UTIL_CLEANUP_JSON_H
#define VFMGR_UTIL_CLEANUP_JSON_H

#include "util/cleanup.h"

#include <jansson.h>

/* json_decref is a static inline in jansson.h: the wrapper gives it a name to take. */
static inline void cleanup_json_decref(json_t *j)
{
	json_decref(j);
}
DEFINE_POINTER_CLEANUP(json_t, cleanup_json_decref)
#define _cleanup_json_ _cleanup_(cleanup_json_decrefp)

#endif
