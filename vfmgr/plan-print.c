/* How a plan reads: like a diff, one line per change, and the same as JSON. */
#include "vfmgr/plan.h"

#include <stdio.h>

/* A VF with nothing to compare against gets one line with everything it will be set to. */
static void print_new_vf(const struct plan_action *a, const struct plan_vf *v, FILE *f)
{
	char all[512] = "";
	size_t off = 0;

	for (unsigned m = v->want.attrs; m && off < sizeof(all); m &= m - 1) {
		char one[96];
		vf_attr_format(vf_attr_first(m), &v->want.cfg, one, sizeof(one));
		off += (size_t)snprintf(all + off, sizeof(all) - off, "%s%s", off ? ", " : "", one);
	}
	fprintf(f, "+ %s vf %u %s (%s)  [%s]\n", a->addr, v->want.cfg.index, all,
	        v->unverified ? "unverified: the kernel's VF list was cut short" : "new VF",
	        v->owner);
}

static void print_vf(const struct plan_action *a, const struct plan_vf *v, FILE *f)
{
	if (!v->have_known) {
		print_new_vf(a, v, f);
		return;
	}
	for (unsigned m = v->want.attrs; m; m &= m - 1) {
		unsigned attr = vf_attr_first(m);
		char want[96], was[96];

		vf_attr_format(attr, &v->want.cfg, want, sizeof(want));
		vf_attr_format(attr, &v->have, was, sizeof(was));
		fprintf(f, "+ %s vf %u %s (was %s)  [%s]\n", a->addr, v->want.cfg.index, want, was,
		        v->owner);
	}
}

void plan_print(const struct plan *pl, FILE *f)
{
	if (pl->n == 0) {
		fprintf(f, "no changes: the host matches the policy\n");
		return;
	}
	for (size_t i = 0; i < pl->n; i++) {
		const struct plan_action *a = &pl->actions[i];

		if (plan_kind_is_rss(a->kind)) {
			plan_print_rss(a, f);
			continue;
		}
		if (a->kind == PLAN_VFIO_BIND) {
			if (a->dev[0])
				fprintf(f, "+ %s driver vfio-pci (was %s)  [%s]\n", a->dev,
				        a->host_driver[0] ? a->host_driver : "none", a->vm);
			else
				fprintf(f, "+ %s vf %u driver vfio-pci (new VF)  [%s]\n", a->addr,
				        a->vf, a->vm);
			continue;
		}
		if (a->kind == PLAN_VFIO_RESTORE) {
			fprintf(f, "- %s driver %s (was vfio-pci)  [released from %s]\n", a->dev,
			        a->host_driver[0] ? a->host_driver : "none", a->vm);
			continue;
		}
		if (a->kind == PLAN_SET_NUMVFS) {
			if (a->from == 0)
				fprintf(f, "+ %s numvfs %u (was 0)\n", a->addr, a->to);
			else
				fprintf(f,
				        "! %s numvfs %u (was %u; goes through 0, destroying every "
				        "VF)\n",
				        a->addr, a->to, a->from);
			continue;
		}
		for (size_t v = 0; v < a->n_vfs; v++)
			print_vf(a, &a->vfs[v], f);
	}
}

static json_t *vf_json(const struct plan_vf *v)
{
	json_t *changes = json_array();

	for (unsigned m = v->want.attrs; changes && m; m &= m - 1) {
		unsigned attr = vf_attr_first(m);
		char want[96], have[96];

		vf_attr_format(attr, &v->want.cfg, want, sizeof(want));
		vf_attr_format(attr, &v->have, have, sizeof(have));
		json_array_append_new(
		    changes, json_pack("{s:s, s:s, s:o}", "setting", vf_attr_name(attr), "to", want,
		                       "from", v->have_known ? json_string(have) : json_null()));
	}
	return json_pack("{s:i, s:s, s:b, s:o}", "vf", (int)v->want.cfg.index, "for", v->owner,
	                 "unverified", v->unverified, "changes", changes ? changes : json_null());
}

json_t *plan_to_json(const struct plan *pl)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < pl->n; i++) {
		const struct plan_action *a = &pl->actions[i];
		json_t *o;

		if (plan_kind_is_rss(a->kind)) {
			o = plan_rss_to_json(a);
		} else if (a->kind == PLAN_VFIO_BIND || a->kind == PLAN_VFIO_RESTORE) {
			o = json_pack(
			    "{s:s, s:s, s:o, s:o, s:s, s:s}", "action",
			    a->kind == PLAN_VFIO_BIND ? "vfio-bind" : "vfio-restore", "device",
			    a->dev[0] ? a->dev : a->addr, "vf",
			    a->dev[0] ? json_null() : json_integer(a->vf), "driver",
			    json_string(a->kind == PLAN_VFIO_BIND ? "vfio-pci" : a->host_driver),
			    "was", a->kind == PLAN_VFIO_BIND ? a->host_driver : "vfio-pci", "vm",
			    a->vm);
		} else if (a->kind == PLAN_SET_NUMVFS) {
			o = json_pack("{s:s, s:s, s:i, s:i, s:b}", "action", "set-numvfs", "device",
			              a->addr, "from", (int)a->from, "to", (int)a->to,
			              "destructive", a->from != 0);
		} else {
			json_t *vfs = json_array();
			for (size_t v = 0; vfs && v < a->n_vfs; v++)
				json_array_append_new(vfs, vf_json(&a->vfs[v]));
			o = json_pack("{s:s, s:s, s:s, s:o}", "action", "set-vfs", "device",
			              a->addr, "interface", a->ifname, "vfs",
			              vfs ? vfs : json_null());
		}
		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}
