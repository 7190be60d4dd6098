/* A memo of the state file vfmgr last wrote: its exact text beside the struct state that text
 * parses to, kept in the run directory. A load of the same text takes the parsed state from it
 * instead of lexing the JSON again, which at 256 VFs is most of what a converged apply costs.
 * The JSON file stays the only record: the memo is used only for byte-identical text and only
 * by the binary that wrote it; a missing, older or different memo is not used. */
#ifndef VFMGR_STATE_CACHE_H
#define VFMGR_STATE_CACHE_H

#include "vfmgr/state.h"

#include <stdbool.h>
#include <stddef.h>

/* Keeps the memo in dir (a trusted directory, as the run directory is); NULL, the default,
 * keeps none. */
void state_cache_at(const char *dir);
bool state_cache_enabled(void);
/* Fills s from the memo when it holds exactly text (len bytes): 0, or -ENOENT when it does not
 * apply (s untouched then). */
int state_cache_take(const char *text, size_t len, struct state *s);
/* Records text (len bytes) and s, which must be what text parses to. Best effort: a memo
 * that cannot be written is only not there next time. */
void state_cache_put(const char *text, size_t len, const struct state *s);

#endif
