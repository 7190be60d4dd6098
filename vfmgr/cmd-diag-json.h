/* A --json command that fails prints its diagnostics on standard output as JSON (schema:
 * doc/schema/diagnostics.schema.json): the policy's, as `check --json` prints each, and every
 * error it logged, so automation reads the same objects whatever failed. Text still goes to
 * standard error. */
#ifndef VFMGR_CMD_DIAG_JSON_H
#define VFMGR_CMD_DIAG_JSON_H

#include "policy/policy.h"

#include <jansson.h>

/* Starts collecting (the CLI's --json command, or one --json request in the daemon). */
void diag_json_begin(void);
/* Adds d's diagnostics; a no-op when not collecting. context_print_diags and
 * context_log_diags call it, so every command's policy diagnostics are here. */
void diag_json_add(const struct policy_diags *d);
/* While muted, logged errors are not collected (the lines that repeat a diagnostic added). */
void diag_json_mute(bool mute);
/* Stops collecting: {"ok": false, "diagnostics": [...]} (NULL when out of memory or not
 * collecting). */
json_t *diag_json_end(void);
/* One diagnostic as `check --json` prints it ({file, line, column, severity, message}). */
json_t *diag_json_object(const struct policy_diags *d, const struct policy_diag *diag,
                         const char *file);

#endif
