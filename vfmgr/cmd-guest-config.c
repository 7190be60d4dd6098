/* vfmgr guest-config VM: the network configuration the VM's OS needs for what vfmgr gives it,
 * as netplan / cloud-init network-config version 2 (YAML, or the same model as JSON). */
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/guest-config.h"
#include "util/cleanup.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *keep_name;

/* An on-demand VM (hosts: for several hosts) is kept: its configuration is the same wherever
 * it starts. */
static bool keep_vm(const char *vm, void *arg)
{
	(void)arg;
	return strcmp(vm, keep_name) == 0;
}

/* A scalar as YAML reads it: strings double-quoted with JSON's escapes (a subset of YAML's),
 * so a MAC is never read as a sexagesimal number and nothing can start a new node. */
static int print_scalar(const json_t *v, FILE *f)
{
	_cleanup_free_ char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	if (!s)
		return -ENOMEM;
	fputs(s, f);
	return 0;
}

/* Block YAML for the model: mappings and sequences nested by indentation; anything inside a
 * sequence that is not a scalar, and empty containers, in JSON's flow form (valid YAML). */
static int print_yaml(const json_t *v, int indent, FILE *f)
{
	const char *key;
	json_t *x;
	size_t i;
	int r = 0;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x)
		{
			bool block = (json_is_object(x) && json_object_size(x)) ||
			             (json_is_array(x) && json_array_size(x));

			fprintf(f, "%*s%s:%s", indent, "", key, block ? "\n" : " ");
			r = block ? print_yaml(x, indent + 2, f) : print_scalar(x, f);
			if (r < 0)
				return r;
			if (!block)
				fputc('\n', f);
		}
	} else {
		json_array_foreach(v, i, x)
		{
			fprintf(f, "%*s- ", indent, "");
			if (print_scalar(x, f) < 0)
				return -ENOMEM;
			fputc('\n', f);
		}
	}
	return r;
}

static size_t find_vm(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_vms; i++)
		if (strcmp(p->vms[i].name.value, name) == 0)
			return i;
	return POLICY_NONE;
}

int cmd_guest_config(const struct cmd_args *a)
{
	const char *vm = a->argv[0];
	struct policy_select sel = {.host = a->hostname, .keep_vm = keep_vm};
	_cleanup_policy_ struct policy *p = NULL;
	struct policy_diags d;
	size_t v, skipped = 0;
	json_t *doc;
	int r;

	keep_name = vm;
	policy_diags_init(&d);
	r = policy_parse_file_as(a->policy, &sel, &p, &d);
	if (r == -EINVAL || d.n > 0)
		context_print_diags(&d);
	policy_diags_free(&d);
	if (r < 0) {
		if (r == -EINVAL)
			log_error("%s: invalid (see above); nothing printed", a->policy);
		else
			log_error("%s: %s", a->policy, strerror(-r));
		return EXIT_FAIL;
	}
	v = find_vm(p, vm);
	if (v == POLICY_NONE) {
		log_error("%s: no vm named %s%s%s (a vm whose hosts: leave this host out needs "
		          "--hostname)",
		          a->policy, vm, a->hostname ? " for host " : "",
		          a->hostname ? a->hostname : "");
		return EXIT_FAIL;
	}
	doc = guest_config_build(p, v, &skipped);
	if (!doc) {
		log_error("vm %s: out of memory", vm);
		return EXIT_FAIL;
	}
	if (skipped)
		log_notice("vm %s: %zu whole device%s left out: the policy does not know %s MAC "
		           "(match the pf by mac: to include it)",
		           vm, skipped, skipped == 1 ? "" : "s", skipped == 1 ? "its" : "their");
	if (a->json)
		return cmd_json_print(doc, stdout) < 0 ? EXIT_FAIL : EXIT_OK;
	printf(
	    "# vfmgr guest-config %s: netplan / cloud-init network-config version 2.\n"
	    "# Devices are matched by the MACs vfmgr sets; addresses are yours to add (a netplan\n"
	    "# file of your own can name these ids: netplan merges them).\n",
	    vm);
	r = print_yaml(doc, 0, stdout);
	json_decref(doc);
	return r < 0 || fflush(stdout) != 0 ? EXIT_FAIL : EXIT_OK;
}
