/* How a plan reads: like a diff, one line per change, and the same as JSON. */
#include "vfmgr/plan.h"

#include <stdio.h>
#include <string.h>

/* After each line, in words, what the change disrupts. */
static void print_impact(enum sriov_impact impact, const char *why, const char *vms, FILE *f)
{
	fprintf(f, "  impact: %s", sriov_impact_name(impact));
	if (why && why[0] && (impact != SRIOV_IMPACT_NONE || strstr(why, "table")))
		fprintf(f, " (%s)", why);
	if (vms && vms[0])
		fprintf(f, "; vms: %s", vms);
	fputc('\n', f);
}

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
	fprintf(f, "+ %s vf %u %s (%s)  [%s]", a->addr, v->want.cfg.index, all,
	        v->unverified ? "unverified: the kernel's VF list was cut short" : "new VF",
	        v->owner);
	print_impact(v->impact, v->impact == a->impact ? a->impact_why : NULL, NULL, f);
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
		fprintf(f, "+ %s vf %u %s (was %s)  [%s]", a->addr, v->want.cfg.index, want, was,
		        v->owner);
		enum sriov_impact one = sriov_attrs_impact(sriov_driver_find(a->driver), attr);
		print_impact(one, one == a->impact ? a->impact_why : NULL, NULL, f);
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
			print_impact(a->impact, a->impact_why, a->vms, f);
			continue;
		}
		if (a->kind == PLAN_VFIO_BIND) {
			if (a->dev[0])
				fprintf(f, "+ %s driver vfio-pci (was %s)  [%s]", a->dev,
				        a->host_driver[0] ? a->host_driver : "none", a->vm);
			else
				fprintf(f, "+ %s vf %u driver vfio-pci (new VF)  [%s]", a->addr,
				        a->vf, a->vm);
			print_impact(a->impact, a->impact_why, NULL, f);
			continue;
		}
		if (a->kind == PLAN_VFIO_RESTORE) {
			fprintf(f, "- %s driver %s (was vfio-pci)  [released from %s]", a->dev,
			        a->host_driver[0] ? a->host_driver : "none", a->vm);
			print_impact(a->impact, a->impact_why, NULL, f);
			continue;
		}
		if (a->kind == PLAN_SET_NUMVFS) {
			if (a->from == 0)
				fprintf(f, "+ %s numvfs %u (was 0)", a->addr, a->to);
			else
				fprintf(
				    f,
				    "! %s numvfs %u (was %u; goes through 0, destroying every VF)",
				    a->addr, a->to, a->from);
			print_impact(a->impact, a->impact_why, a->vms, f);
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
	return json_pack("{s:i, s:s, s:b, s:o, s:s}", "vf", (int)v->want.cfg.index, "for", v->owner,
	                 "unverified", v->unverified, "changes", changes ? changes : json_null(),
	                 "impact", sriov_impact_name(v->impact));
}

/* Every step says what it disrupts: impact, why, and the VMs it touches (an array). */
static int add_impact(json_t *o, const struct plan_action *a)
{
	json_t *vms = json_array();
	char names[sizeof(a->vms)];

	if (!vms)
		return -1;
	snprintf(names, sizeof(names), "%s", a->vms);
	for (char *save = NULL, *t = strtok_r(names, ", ", &save); t;
	     t = strtok_r(NULL, ", ", &save))
		json_array_append_new(vms, json_string(t));
	json_object_set_new(o, "impact", json_string(sriov_impact_name(a->impact)));
	json_object_set_new(o, "impact_reason", json_string(a->impact_why));
	json_object_set_new(o, "driver_known", json_boolean(a->driver_known));
	return json_object_set_new(o, "vms", vms);
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
		if (o && add_impact(o, a) < 0) {
			json_decref(o);
			o = NULL;
		}
		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

void plan_step_name(const struct plan_action *a, char *buf, size_t size)
{
	static const char *const rss[] = {"channels", "table", "key", "hfunc", "irq-affinity"};

	if (a->kind == PLAN_SET_NUMVFS)
		snprintf(buf, size, "%s numvfs %u -> %u", a->addr, a->from, a->to);
	else if (a->kind == PLAN_VFIO_BIND && a->dev[0])
		snprintf(buf, size, "%s to vfio-pci for vm %s", a->dev, a->vm);
	else if (a->kind == PLAN_VFIO_BIND)
		snprintf(buf, size, "%s vf %u to vfio-pci for vm %s", a->addr, a->vf, a->vm);
	else if (a->kind == PLAN_VFIO_RESTORE)
		snprintf(buf, size, "%s back to %s", a->dev,
		         a->host_driver[0] ? a->host_driver : "no driver");
	else if (plan_kind_is_rss(a->kind))
		snprintf(buf, size, "%s (%s) rss %s", a->addr, a->ifname,
		         rss[a->kind - PLAN_RSS_CHANNELS]);
	else
		snprintf(buf, size, "%s: settings of %zu VF%s", a->addr, a->n_vfs,
		         a->n_vfs == 1 ? "" : "s");
}
