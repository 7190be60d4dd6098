/* The diagnostics of a failed --json command, collected as it runs. */
#include "vfmgr/cmd-diag-json.h"
#include "util/log.h"

#include <stdbool.h>

static json_t *collected; /* the array while collecting, else NULL */
static bool muted;

json_t *diag_json_object(const struct policy_diags *d, const struct policy_diag *diag,
                         const char *file)
{
	return json_pack("{s:s, s:I, s:I, s:s, s:s}", "file", d->file ? d->file : file, "line",
	                 (json_int_t)diag->line, "column", (json_int_t)diag->col, "severity",
	                 policy_severity_name(diag->severity), "message", diag->message);
}

/* An error with no place in a file (the host, the lock, the daemon): line and column 0. */
static void on_error(const char *msg, void *arg)
{
	(void)arg;
	if (!collected || muted)
		return;
	json_array_append_new(collected,
	                      json_pack("{s:s, s:i, s:i, s:s, s:s}", "file", "", "line", 0,
	                                "column", 0, "severity", "error", "message", msg));
}

void diag_json_begin(void)
{
	json_decref(collected);
	collected = json_array();
	muted = false;
	log_set_error_sink(on_error, NULL);
}

void diag_json_add(const struct policy_diags *d)
{
	for (size_t i = 0; collected && i < d->n; i++)
		json_array_append_new(collected, diag_json_object(d, &d->items[i], ""));
}

void diag_json_mute(bool mute)
{
	muted = mute;
}

json_t *diag_json_end(void)
{
	json_t *list = collected;

	collected = NULL;
	log_set_error_sink(NULL, NULL);
	if (!list)
		return NULL;
	return json_pack("{s:b, s:o}", "ok", false, "diagnostics", list);
}
