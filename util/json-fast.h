/* A JSON reader and writer for the file vfmgr reads on every run (the state file): it builds the
 * same jansson values as json_loadb(JSON_REJECT_DUPLICATES) and accepts and rejects the same texts,
 * at about a third of the cost. jansson reads a character at a time through a callback; a
 * state file with 256 VFs cost 19 million instructions to read that way, most of an apply
 * with nothing to do under the lab's emulated CPU. */
#ifndef VFMGR_UTIL_JSON_FAST_H
#define VFMGR_UTIL_JSON_FAST_H

#include <jansson.h>
#include <stddef.h>

/* An object or array at the top (like json_loadb without JSON_DECODE_ANY), RFC 8259 text,
 * UTF-8 strings without NUL, no duplicate keys, at most 2048 levels deep. On failure NULL,
 * with err->text, line, column (bytes, 1-based) and position set. */
json_t *json_fast_load(const char *text, size_t len, json_error_t *err);

/* The text json_dumps(j, JSON_INDENT(2)) makes, byte for byte, without its per-character
 * callback; malloc'd, NUL-terminated, *len (if given) its length. NULL when out of memory. */
char *json_fast_dump(const json_t *j, size_t *len);

#endif
