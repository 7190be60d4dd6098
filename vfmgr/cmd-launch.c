/* vfmgr qemu-args VM / vfmgr libvirt-xml VM: how to hand a VM the devices vfmgr prepared for it,
 * from the state file. */
#include "passthrough/launch.h"
#include "vfmgr/cmd.h"
#include "vfmgr/state.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strcopy.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends a device of kind at addr; NULL when out of memory. */
static struct launch_dev *add_dev(struct launch_dev **d, size_t *n, size_t *cap,
                                  enum launch_kind kind, const char *addr)
{
	struct launch_dev *x = ARRAY_APPEND(*d, *n, *cap);

	if (x) {
		x->kind = kind;
		str_copy(x->addr, sizeof(x->addr), addr);
	}
	return x;
}

/* The VM's devices in a stable order: NICs by index and leg, then whole devices. */
static int collect(const struct state *s, const char *vm, struct launch_dev **out, size_t *n)
{
	_cleanup_free_ struct launch_dev *d = NULL;
	struct launch_dev *x;
	size_t cap = 0;

	*n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct state_alloc *a = &s->allocs[i];
		/* A VF being released is no longer the VM's to start with. */
		if (strcmp(a->vm, vm) != 0 || !a->vfio || a->releasing)
			continue;
		if (!a->vf_addr[0]) {
			log_error(
			    "vm %s nic %u: its VF on %s has no PCI address yet (run vfmgr prepare "
			    "%s)",
			    vm, a->nic, a->pf_addr, vm);
			return -ENODEV;
		}
		x = add_dev(&d, n, &cap, LAUNCH_NIC, a->vf_addr);
		if (!x)
			return -ENOMEM;
		memcpy(x->mac, a->want.mac, MAC_LEN);
		x->vlan = a->want.vlan;
		x->migratable = a->migratable;
		snprintf(x->id, sizeof(x->id), "vfmgr-%s-nic%u%s", vm, a->nic, a->leg ? "b" : "");
	}
	for (size_t i = 0; i < s->n_pts; i++) {
		const struct state_pt *t = &s->pts[i];
		if (strcmp(t->vm, vm) != 0 || t->releasing)
			continue;
		x = add_dev(&d, n, &cap, LAUNCH_HOSTDEV, t->addr);
		if (!x)
			return -ENOMEM;
		snprintf(x->id, sizeof(x->id), "vfmgr-%s-pt%u", vm, t->index);
	}
	*out = TAKE_PTR(d);
	return 0;
}

/* Where the user meets a missing piece: the standby's netdev (QEMU) or network (libvirt). */
static void note_standbys(const char *vm, const struct launch_dev *d, size_t n,
                          const struct launch_opts *o)
{
	char netdev[128];

	for (size_t i = 0; i < n; i++) {
		if (d[i].kind != LAUNCH_NIC || !d[i].migratable)
			continue;
		launch_standby_netdev(&d[i], netdev, sizeof(netdev));
		if (o->qemu && !o->netdev)
			log_notice(
			    "vm %s: the failover standby %s-standby uses netdev %s, which these "
			    "arguments do not define: add -netdev tap,id=%s,... (or bridge, "
			    "user) before them, or pass --netdev SPEC",
			    vm, d[i].id, netdev, netdev);
		else if (!o->qemu && !o->standby)
			log_notice(
			    "vm %s: the virtio standby ua-%s-standby is on libvirt network "
			    "'default'; choose with --standby network=NAME, bridge=NAME or user",
			    vm, d[i].id);
	}
}

static int print_all(const struct launch_dev *d, size_t n, const struct launch_opts *o, FILE *f)
{
	struct launch_standby sb;
	char why[320] = "";
	int r;

	if (o->qemu) {
		struct launch_qemu_opts q = {.json = o->json, .netdev = o->netdev};
		r = launch_print_qemu(d, n, &q, f, why, sizeof(why));
	} else {
		r = launch_standby_parse(o->standby ? o->standby : "network=default", &sb, why,
		                         sizeof(why));
		if (r == 0)
			r = launch_print_libvirt(d, n, &sb, f, why, sizeof(why));
	}
	if (r < 0)
		log_error("%s", why[0] ? why : strerror(-r));
	return r;
}

/* qemu-args --json: {"args": [...]}, the words of the text form (-device values in QEMU's JSON
 * form); launch_print_qemu refuses whitespace in values, so its lines split into words at
 * the blanks exactly as $(vfmgr qemu-args VM) would split them. */
static int print_args_json(const char *text, size_t len, FILE *f)
{
	json_t *args = json_array(), *o;
	const char *p = text, *end = text + len;

	while (args && p < end) {
		size_t n = strcspn(p, " \n");
		if (n > 0 && json_array_append_new(args, json_stringn(p, n)) < 0)
			break;
		p += n + (p + n < end);
	}
	o = args ? json_pack("{s:o}", "args", args) : NULL;
	return cmd_json_print(o, f);
}

int launch_write(const char *state_file, const char *vm, const struct launch_opts *o, FILE *f)
{
	_cleanup_free_ struct launch_dev *devs = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, len = 0;
	struct state s;
	FILE *mem;
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
		return -ENOENT;
	}
	/* Printed to memory first, so that a device refused half-way leaves no partial
	 * command line or XML behind. */
	mem = open_memstream(&buf, &len);
	if (!mem)
		return -ENOMEM;
	r = print_all(devs, n, o, mem);
	if (fclose(mem) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0)
		return r;
	note_standbys(vm, devs, n, o);
	if (o->qemu && o->json)
		return print_args_json(buf, len, f);
	fwrite(buf, 1, len, f);
	return 0;
}

static int run(const struct cmd_args *a, bool qemu)
{
	struct launch_opts o = {
	    .qemu = qemu, .json = a->json, .netdev = a->netdev, .standby = a->standby};

	return launch_write(state_path(a->state_file), a->argv[0], &o, stdout) < 0 ? EXIT_FAIL
	                                                                           : EXIT_OK;
}

int cmd_qemu_args(const struct cmd_args *a)
{
	return run(a, true);
}

int cmd_libvirt_xml(const struct cmd_args *a)
{
	return run(a, false);
}
