/* How a plan reads: like a diff, one line per change, and the same as JSON. Each step becomes
 * one record (its kind's record function, plan-steps.h); the text lines are printed from that
 * record, so the two forms cannot disagree. */
#include "vfmgr/plan-steps.h"
#include "util/parse.h"

#include <stdio.h>
#include <string.h>

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static const char *get_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static long long get_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* {"from": X, "to": Y} */
static json_t *change(json_t *from, json_t *to)
{
	return json_pack("{s:o, s:o}", "from", from ? from : json_null(), "to",
	                 to ? to : json_null());
}

/* After each line, in words, what the change disrupts. */
static void print_impact(const char *impact, const char *why, const json_t *vms, FILE *f)
{
	size_t i;
	json_t *v;

	fprintf(f, "  impact: %s", impact);
	if (why && why[0] && (strcmp(impact, "none") != 0 || strstr(why, "table")))
		fprintf(f, " (%s)", why);
	json_array_foreach(vms, i, v)
	    fprintf(f, "%s%s", i ? ", " : "; vms: ", json_string_value(v));
	fputc('\n', f);
}

void plan_text_impact(const json_t *rec, bool vms, FILE *f)
{
	print_impact(get_str(rec, "impact"), get_str(rec, "impact_reason"),
	             vms ? json_object_get(rec, "vms") : NULL, f);
}

/* set-numvfs */

void plan_describe_numvfs(const struct plan_action *a, char *buf, size_t size)
{
	snprintf(buf, size, "%s numvfs %u -> %u", a->addr, a->from, a->to);
}

json_t *plan_record_numvfs(const struct plan_action *a)
{
	return json_pack("{s:s, s:o, s:{s:o}, s:b}", "pf_address", a->addr, "pf_ifname",
	                 str_or_null(a->ifname), "changes", "numvfs",
	                 change(json_integer(a->from), json_integer(a->to)), "destructive",
	                 a->from != 0);
}

void plan_text_numvfs(const json_t *rec, FILE *f)
{
	const json_t *c = json_object_get(json_object_get(rec, "changes"), "numvfs");
	long long from = get_int(c, "from"), to = get_int(c, "to");

	if (from == 0)
		fprintf(f, "+ %s numvfs %lld (was 0)", get_str(rec, "pf_address"), to);
	else
		fprintf(f, "! %s numvfs %lld (was %lld; goes through 0, destroying every VF)",
		        get_str(rec, "pf_address"), to, from);
	plan_text_impact(rec, true, f);
}

/* set-vfs: the kernel's settings, typed, in the groups the kernel writes together. */

const struct plan_vf_group plan_vf_groups[PLAN_VF_GROUPS] = {
    {VF_ATTR_MAC, {"mac"}},
    {VF_ATTR_VLAN, {"vlan", "qos", "vlan_protocol"}},
    {VF_ATTR_RATE, {"min_tx_rate", "max_tx_rate"}},
    {VF_ATTR_SPOOFCHK, {"spoofchk"}},
    {VF_ATTR_LINK_STATE, {"link_state"}},
    {VF_ATTR_TRUST, {"trust"}},
};

static json_t *tristate(int8_t v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

json_t *plan_vf_setting_json(const char *name, const struct vf_config *c)
{
	char mac[MAC_STR_LEN];

	if (strcmp(name, "mac") == 0) {
		format_mac(c->mac, mac);
		return json_string(mac);
	}
	if (strcmp(name, "vlan") == 0)
		return json_integer(c->vlan);
	if (strcmp(name, "qos") == 0)
		return json_integer(c->qos);
	if (strcmp(name, "vlan_protocol") == 0)
		return json_string(c->proto == VF_PROTO_8021AD ? "802.1ad" : "802.1Q");
	if (strcmp(name, "min_tx_rate") == 0)
		return json_integer(c->min_rate);
	if (strcmp(name, "max_tx_rate") == 0)
		return json_integer(c->max_rate);
	if (strcmp(name, "spoofchk") == 0)
		return tristate(c->spoofchk);
	if (strcmp(name, "trust") == 0)
		return tristate(c->trust);
	return json_string(vf_link_state_name(c->link_state));
}

static json_t *vf_record(const struct plan_action *a, const struct plan_vf *v)
{
	const struct sriov_driver *drv = sriov_driver_find(a->driver);
	json_t *changes = json_object(), *o;

	for (size_t g = 0; changes && g < PLAN_VF_GROUPS; g++) {
		if (!(v->want.attrs & plan_vf_groups[g].attr))
			continue;
		const char *impact =
		    sriov_impact_name(sriov_attrs_impact(drv, plan_vf_groups[g].attr));
		for (size_t s = 0; s < 3 && plan_vf_groups[g].settings[s]; s++) {
			const char *name = plan_vf_groups[g].settings[s];
			json_t *c =
			    change(v->have_known ? plan_vf_setting_json(name, &v->have) : NULL,
			           plan_vf_setting_json(name, &v->want.cfg));
			json_object_set_new(c, "impact", json_string(impact));
			json_object_set_new(changes, name, c);
		}
	}
	o = json_pack("{s:i, s:b, s:b, s:o, s:s}", "vf_index", (int)v->want.cfg.index, "new_vf",
	              !v->have_known, "unverified", v->unverified, "changes",
	              changes ? changes : json_null(), "impact", sriov_impact_name(v->impact));
	if (o && v->released)
		json_object_set_new(o, "released_from", json_string(v->vm));
	else if (o)
		json_object_update_new(o, json_pack("{s:s, s:i, s:i}", "vm", v->vm, "nic",
		                                    (int)v->nic, "leg", (int)v->leg));
	return o;
}

void plan_describe_vfs(const struct plan_action *a, char *buf, size_t size)
{
	snprintf(buf, size, "%s: settings of %zu VF%s", a->addr, a->n_vfs,
	         a->n_vfs == 1 ? "" : "s");
}

json_t *plan_record_vfs(const struct plan_action *a)
{
	json_t *vfs = json_array();

	for (size_t v = 0; vfs && v < a->n_vfs; v++)
		json_array_append_new(vfs, vf_record(a, &a->vfs[v]));
	return json_pack("{s:s, s:o, s:o}", "pf_address", a->addr, "pf_ifname",
	                 str_or_null(a->ifname), "vfs", vfs ? vfs : json_null());
}

/* One group of settings as the kernel's words: "vlan 100 qos 0", from the from or to side. */
static int group_text(const json_t *changes, size_t g, const char *side, char *buf, size_t size)
{
	size_t off = 0;
	bool any = false;

	buf[0] = '\0';
	for (size_t s = 0; s < 3 && plan_vf_groups[g].settings[s]; s++) {
		const char *name = plan_vf_groups[g].settings[s];
		const json_t *v = json_object_get(json_object_get(changes, name), side);
		char val[32];

		if (!json_object_get(changes, name))
			continue;
		any = true;
		if (strcmp(name, "vlan_protocol") == 0) {
			/* 802.1Q is the default the kernel's words leave out */
			if (json_is_string(v) && strcmp(json_string_value(v), "802.1ad") == 0)
				off += (size_t)snprintf(buf + off, size - off, " proto 802.1ad");
			continue;
		}
		if (json_is_integer(v))
			snprintf(val, sizeof(val), "%lld", json_integer_value(v));
		else if (json_is_boolean(v))
			snprintf(val, sizeof(val), "%s", json_is_true(v) ? "on" : "off");
		else if (json_is_string(v))
			snprintf(val, sizeof(val), "%s", json_string_value(v));
		else
			snprintf(val, sizeof(val), "unknown");
		off += (size_t)snprintf(buf + off, off < size ? size - off : 0, "%s%s %s",
		                        off ? " " : "",
		                        strcmp(name, "link_state") == 0 ? "state" : name, val);
		if (off >= size)
			break;
	}
	return any;
}

static void owner_text(const json_t *vf, char *buf, size_t size)
{
	if (json_object_get(vf, "released_from"))
		snprintf(buf, size, "released from %s", get_str(vf, "released_from"));
	else
		snprintf(buf, size, "%s nic %lld%s", get_str(vf, "vm"), get_int(vf, "nic"),
		         get_int(vf, "leg") ? " leg 1" : "");
}

static void vf_text(const json_t *rec, const json_t *vf, FILE *f)
{
	const json_t *changes = json_object_get(vf, "changes");
	const char *step_impact = get_str(rec, "impact");
	char owner[128], want[128], was[128];

	owner_text(vf, owner, sizeof(owner));
	if (json_is_true(json_object_get(vf, "new_vf"))) {
		/* Nothing to compare against: one line with everything the VF will be set to. */
		char all[512] = "";
		size_t off = 0;
		for (size_t g = 0; g < PLAN_VF_GROUPS; g++)
			if (group_text(changes, g, "to", want, sizeof(want)) && off < sizeof(all))
				off += (size_t)snprintf(all + off, sizeof(all) - off, "%s%s",
				                        off ? ", " : "", want);
		fprintf(f, "+ %s vf %lld %s (%s)  [%s]", get_str(rec, "pf_address"),
		        get_int(vf, "vf_index"), all,
		        json_is_true(json_object_get(vf, "unverified"))
		            ? "unverified: the kernel's VF list was cut short"
		            : "new VF",
		        owner);
		const char *impact = get_str(vf, "impact");
		print_impact(
		    impact, strcmp(impact, step_impact) == 0 ? get_str(rec, "impact_reason") : NULL,
		    NULL, f);
		return;
	}
	for (size_t g = 0; g < PLAN_VF_GROUPS; g++) {
		if (!group_text(changes, g, "to", want, sizeof(want)))
			continue;
		group_text(changes, g, "from", was, sizeof(was));
		fprintf(f, "+ %s vf %lld %s (was %s)  [%s]", get_str(rec, "pf_address"),
		        get_int(vf, "vf_index"), want, was, owner);
		const char *impact =
		    get_str(json_object_get(changes, plan_vf_groups[g].settings[0]), "impact");
		print_impact(
		    impact, strcmp(impact, step_impact) == 0 ? get_str(rec, "impact_reason") : NULL,
		    NULL, f);
	}
}

void plan_text_vfs(const json_t *rec, FILE *f)
{
	size_t i;
	json_t *vf;

	json_array_foreach(json_object_get(rec, "vfs"), i, vf) vf_text(rec, vf, f);
}

/* vfio-bind, vfio-restore */

void plan_describe_vfio(const struct plan_action *a, char *buf, size_t size)
{
	if (a->kind == PLAN_VFIO_BIND && a->dev[0])
		snprintf(buf, size, "%s to vfio-pci for vm %s", a->dev, a->vm);
	else if (a->kind == PLAN_VFIO_BIND)
		snprintf(buf, size, "%s vf %u to vfio-pci for vm %s", a->addr, a->vf, a->vm);
	else
		snprintf(buf, size, "%s back to %s", a->dev,
		         a->host_driver[0] ? a->host_driver : "no driver");
}

json_t *plan_record_vfio(const struct plan_action *a)
{
	bool bind = a->kind == PLAN_VFIO_BIND;
	json_t *o = json_pack("{s:{s:o}}", "changes", "driver",
	                      bind ? change(str_or_null(a->host_driver), json_string("vfio-pci"))
	                           : change(json_string("vfio-pci"), str_or_null(a->host_driver)));

	if (!o)
		return NULL;
	if (a->is_vf)
		json_object_update_new(o, json_pack("{s:s, s:i, s:o}", "pf_address", a->addr,
		                                    "vf_index", (int)a->vf, "vf_address",
		                                    str_or_null(a->dev)));
	else
		json_object_set_new(o, "address", json_string(a->dev));
	json_object_set_new(o, bind ? "vm" : "released_from", json_string(a->vm));
	return o;
}

void plan_text_vfio(const json_t *rec, FILE *f)
{
	const json_t *c = json_object_get(json_object_get(rec, "changes"), "driver");
	const char *from = get_str(c, "from"), *to = get_str(c, "to");
	const char *dev =
	    get_str(rec, json_object_get(rec, "vf_address") ? "vf_address" : "address");

	if (json_object_get(rec, "released_from"))
		fprintf(f, "- %s driver %s (was vfio-pci)  [released from %s]", dev,
		        to[0] ? to : "none", get_str(rec, "released_from"));
	else if (dev[0])
		fprintf(f, "+ %s driver vfio-pci (was %s)  [%s]", dev, from[0] ? from : "none",
		        get_str(rec, "vm"));
	else
		fprintf(f, "+ %s vf %lld driver vfio-pci (new VF)  [%s]",
		        get_str(rec, "pf_address"), get_int(rec, "vf_index"), get_str(rec, "vm"));
	plan_text_impact(rec, false, f);
}

/* The whole plan */

json_t *plan_step_record(const struct plan_action *a)
{
	const struct plan_step_kind *k = plan_step_kind(a);
	json_t *o = json_pack("{s:s}", "action", k->name), *vms = json_array();
	char names[sizeof(a->vms)];

	/* The action first, for people reading it. */
	if (!o || !vms || json_object_update_new(o, k->record(a)) < 0) {
		json_decref(o);
		json_decref(vms);
		return NULL;
	}
	snprintf(names, sizeof(names), "%s", a->vms);
	for (char *save = NULL, *t = strtok_r(names, ", ", &save); t;
	     t = strtok_r(NULL, ", ", &save))
		json_array_append_new(vms, json_string(t));
	json_object_set_new(o, "impact", json_string(sriov_impact_name(a->impact)));
	json_object_set_new(o, "impact_reason", json_string(a->impact_why));
	json_object_set_new(o, "driver_known", json_boolean(a->driver_known));
	json_object_set_new(o, "vms", vms);
	return o;
}

void plan_step_text(const json_t *rec, FILE *f)
{
	const char *action = get_str(rec, "action");

	for (size_t k = 0; k < PLAN_KIND_COUNT; k++)
		if (strcmp(plan_steps[k].name, action) == 0) {
			plan_steps[k].text(rec, f);
			return;
		}
}

json_t *plan_steps_json(const struct plan *pl, size_t from, size_t to)
{
	json_t *arr = json_array();

	for (size_t i = from; arr && i < to && i < pl->n; i++)
		if (json_array_append_new(arr, plan_step_record(&pl->actions[i])) < 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

json_t *plan_to_json(const struct plan *pl)
{
	json_t *steps = plan_steps_json(pl, 0, pl->n);

	return steps ? json_pack("{s:o}", "steps", steps) : NULL;
}

void plan_print(const struct plan *pl, FILE *f)
{
	if (pl->n == 0) {
		fprintf(f, "no changes: the host matches the policy\n");
		return;
	}
	for (size_t i = 0; i < pl->n; i++) {
		json_t *rec = plan_step_record(&pl->actions[i]);
		char what[160];

		if (rec) {
			plan_step_text(rec, f);
		} else { /* out of memory: still say what the step is */
			plan_step_name(&pl->actions[i], what, sizeof(what));
			fprintf(f, "+ %s\n", what);
		}
		json_decref(rec);
	}
}

void plan_print_from(const struct plan *pl, const struct state *old, FILE *f)
{
	if (pl->n > 0 || !old || state_equal(&pl->next, old)) {
		plan_print(pl, f);
		return;
	}
	fprintf(f, "no changes to the host; the state file's records change%s\n",
	        state_has_releasing(old) ? " (a release that was cut short is finished)" : "");
}

void plan_step_name(const struct plan_action *a, char *buf, size_t size)
{
	plan_step_kind(a)->describe(a, buf, size);
}
