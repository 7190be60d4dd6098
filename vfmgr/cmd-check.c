/* vfmgr check: parse and validate a policy without touching the host. */
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "policy/policy.h"
#include "util/log.h"
#include "util/plural.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* {"valid", "errors", "warnings", "diagnostics": [...]}: the same diagnostics and counts the
 * text form prints. */
static int print_json(const struct policy_diags *d, const char *path, bool valid)
{
	json_t *list = json_array(), *top;

	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < d->n; i++) {
		const struct policy_diag *diag = &d->items[i];
		json_t *o =
		    json_pack("{s:s, s:I, s:I, s:s, s:s}", "file", d->file ? d->file : path, "line",
		              (json_int_t)diag->line, "column", (json_int_t)diag->col, "severity",
		              policy_severity_name(diag->severity), "message", diag->message);

		if (!o || json_array_append_new(list, o) < 0) {
			json_decref(list);
			return -ENOMEM;
		}
	}
	top = json_pack("{s:b, s:I, s:I, s:o}", "valid", valid, "errors", (json_int_t)d->n_errors,
	                "warnings", (json_int_t)d->n_warnings, "diagnostics", list);
	return cmd_json_print(top, stdout);
}

static void print_summary(const struct policy *p, const struct policy_diags *d, const char *path,
                          const char *host, size_t groups)
{
	if (p) {
		printf("%s: valid", path);
		if (host)
			printf(" as host %s", host);
		printf(" (%zu %s, %zu %s, %zu %s, %zu %s", p->n_pfs, plural(p->n_pfs, "PF", "PFs"),
		       p->n_networks, plural(p->n_networks, "network", "networks"), p->n_vms,
		       plural(p->n_vms, "VM", "VMs"), d->n_warnings,
		       plural(d->n_warnings, "warning", "warnings"));
		if (!host)
			printf("; %zu %s", groups, plural(groups, "host group", "host groups"));
		printf(")\n");
	} else {
		fprintf(stderr, "%s: invalid (%zu %s, %zu %s)\n", path, d->n_errors,
		        plural(d->n_errors, "error", "errors"), d->n_warnings,
		        plural(d->n_warnings, "warning", "warnings"));
	}
}

int cmd_check(const struct cmd_args *a)
{
	const char *path = a->argv[0], *host = a->hostname;
	struct policy_diags diags;
	struct policy *p = NULL;
	size_t groups = 0;
	int r;

	policy_diags_init(&diags);
	/* Without --hostname the whole fleet file; with it, the policy that host would get. */
	if (host)
		r = policy_parse_file_as(path, &(struct policy_select){.host = host}, &p, &diags);
	else
		r = policy_check_fleet_file(path, &p, &diags, &groups);
	if (r < 0 && r != -EINVAL) {
		/* I/O and memory failures have no place in the file; report them like a
		 * diagnostic so --json readers see them too. */
		if (policy_diag_add(&diags, POLICY_ERROR, (struct policy_mark){0},
		                    "cannot read policy: %s", strerror(-r)) < 0) {
			log_error("%s: %s", path, strerror(-r));
			policy_diags_free(&diags);
			return EXIT_FAIL;
		}
	}
	if (a->json) {
		if (print_json(&diags, path, r == 0) < 0)
			log_error("%s: cannot format diagnostics as JSON", path);
	} else {
		context_print_diags(&diags);
		if (r == 0 || r == -EINVAL)
			print_summary(p, &diags, path, host, groups);
	}
	policy_diags_free(&diags);
	policy_free(p);
	return r == 0 ? EXIT_OK : EXIT_FAIL;
}

int cmd_complete_vms(const struct cmd_args *a)
{
	struct policy_diags diags;
	struct policy *p = NULL;

	/* Quiet: a completion has nowhere to show diagnostics. */
	policy_diags_init(&diags);
	if (policy_parse_file_as(a->policy, &(struct policy_select){0}, &p, &diags) == 0)
		for (size_t i = 0; i < p->n_vms; i++)
			printf("%s\n", p->vms[i].name.value);
	policy_diags_free(&diags);
	policy_free(p);
	return EXIT_OK;
}
