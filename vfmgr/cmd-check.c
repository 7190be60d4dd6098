/* vfmgr check: parse and validate a policy without touching the host. */
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/cmd-diag-json.h"
#include "policy/policy.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/sysfs.h"

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
		json_t *o = diag_json_object(d, &d->items[i], path);

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
	if (p && host)
		printf("%s: valid as host %s (%zu pfs, %zu networks, %zu vms, %zu warnings)\n",
		       path, host, p->n_pfs, p->n_networks, p->n_vms, d->n_warnings);
	else if (p)
		printf("%s: valid (%zu pfs, %zu networks, %zu vms, %zu warnings; %zu host "
		       "group%s)\n",
		       path, p->n_pfs, p->n_networks, p->n_vms, d->n_warnings, groups,
		       groups == 1 ? "" : "s");
	else
		fprintf(stderr, "%s: invalid (%zu errors, %zu warnings)\n", path, d->n_errors,
		        d->n_warnings);
}

/* One device, one owner: a pci: passthrough that this host's sysfs says is a VF (its physfn
 * link) of a PF the policy matches by address is vfmgr's to allocate. A device this host
 * does not have is left to plan, which sees the host whole. Errors at the passthrough's line;
 * -EINVAL when there was one. */
static int check_passthrough_owners(const struct policy *p, struct policy_diags *d)
{
	int r = 0;

	for (size_t v = 0; v < p->n_vms; v++)
		for (size_t k = 0; k < p->vms[v].n_passthrough; k++) {
			const struct policy_passthrough *pt = &p->vms[v].passthrough[k];
			char addr[PCI_ADDR_STR_LEN], pf[PCI_ADDR_STR_LEN], want[PCI_ADDR_STR_LEN];

			if (pt->kind != POLICY_PASSTHROUGH_PCI)
				continue;
			format_pci_addr(&pt->pci.addr, addr);
			if (sysfs_read_link_name(pf, sizeof(pf), "/sys/bus/pci/devices/%s/physfn",
			                         addr) < 0)
				continue;
			for (size_t i = 0; i < p->n_pfs; i++) {
				if (!p->pfs[i].match.pci.set)
					continue;
				format_pci_addr(&p->pfs[i].match.pci.addr, want);
				if (strcmp(want, pf) != 0)
					continue;
				policy_diag_add(
				    d, POLICY_ERROR, pt->mark,
				    "vm %s: %s is a VF of pf %s (%s), whose VFs vfmgr "
				    "allocates to VM NICs; give the VM a NIC on one of its "
				    "networks instead",
				    p->vms[v].name.value, addr, p->pfs[i].name.value, pf);
				r = -EINVAL;
			}
		}
	return r;
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
	/* A read that failed with EINVAL itself (some /proc and /sys files) left no diagnostic:
	 * it is a read error too, not "invalid (0 errors)". */
	if (r == 0 && check_passthrough_owners(p, &diags) < 0) {
		policy_free(p);
		p = NULL;
		r = -EINVAL;
	}
	bool read_err = r < 0 && (r != -EINVAL || diags.n_errors == 0);
	if (read_err) {
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
		if (!read_err && (r == 0 || r == -EINVAL))
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
