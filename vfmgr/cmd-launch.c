/* vfmgr qemu-args VM / vfmgr libvirt-xml VM: how to hand a VM the devices vfmgr prepared for it,
 * from the state file. */
#include "passthrough/launch.h"
#include "vfmgr/cmd.h"
#include "vfmgr/state.h"
#include "util/array.h"
#include "util/log.h"
#include "util/strcopy.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The VM's devices in a stable order: NICs by index and leg, then whole devices. */
static int collect(const struct state *s, const char *vm, struct launch_dev **out, size_t *n)
{
	struct launch_dev *d = NULL;
	size_t cap = 0;

	*n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct state_alloc *a = &s->allocs[i];
		if (strcmp(a->vm, vm) != 0 || !a->vfio)
			continue;
		if (!a->vf_addr[0]) {
			log_error(
			    "vm %s nic %u: its VF on %s has no PCI address yet (run vfmgr prepare "
			    "%s)",
			    vm, a->nic, a->pf_addr, vm);
			free(d);
			return -ENODEV;
		}
		struct launch_dev *x = ARRAY_APPEND(d, *n, cap);
		if (!x) {
			free(d);
			return -ENOMEM;
		}
		x->kind = LAUNCH_NIC;
		str_copy(x->addr, sizeof(x->addr), a->vf_addr);
		memcpy(x->mac, a->want.mac, MAC_LEN);
		x->vlan = a->want.vlan;
		x->migratable = a->migratable;
		snprintf(x->id, sizeof(x->id), "vfmgr-%s-nic%u%s", vm, a->nic, a->leg ? "b" : "");
	}
	for (size_t i = 0; i < s->n_pts; i++) {
		const struct state_pt *t = &s->pts[i];
		if (strcmp(t->vm, vm) != 0)
			continue;
		struct launch_dev *x = ARRAY_APPEND(d, *n, cap);
		if (!x) {
			free(d);
			return -ENOMEM;
		}
		x->kind = LAUNCH_HOSTDEV;
		str_copy(x->addr, sizeof(x->addr), t->addr);
		snprintf(x->id, sizeof(x->id), "vfmgr-%s-pt%u", vm, t->index);
	}
	*out = d;
	return 0;
}

int launch_write(const char *state_file, const char *vm, bool qemu, bool json, FILE *f)
{
	struct launch_dev *devs = NULL;
	struct state s;
	size_t n = 0;
	int r;

	r = state_load(state_file, &s);
	if (r < 0)
		return r;
	r = collect(&s, vm, &devs, &n);
	state_free(&s);
	if (r < 0)
		return r;
	if (n == 0) {
		log_error(
		    "vm %s has no devices from vfmgr (%s names none for it: check the policy, "
		    "then run vfmgr prepare %s or vfmgr apply)",
		    vm, state_file, vm);
		free(devs);
		return -ENOENT;
	}
	r = qemu ? launch_print_qemu(devs, n, json, f) : launch_print_libvirt(devs, n, f);
	free(devs);
	return r;
}

static int run(int argc, char **argv, bool qemu)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"state", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *usage = qemu ? "vfmgr qemu-args VM [--json] [--state FILE]"
	                         : "vfmgr libvirt-xml VM [--state FILE]";
	const char *state_file = NULL;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (!qemu)
				goto usage;
			json = true;
			break;
		case 's':
			state_file = optarg;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return EXIT_OK;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	return launch_write(state_path(state_file), argv[optind], qemu, json, stdout) < 0
	           ? EXIT_FAIL
	           : EXIT_OK;
usage:
	fprintf(stderr, "usage: %s\n", usage);
	return EXIT_USAGE;
}

int cmd_qemu_args(int argc, char **argv)
{
	return run(argc, argv, true);
}

int cmd_libvirt_xml(int argc, char **argv)
{
	return run(argc, argv, false);
}
