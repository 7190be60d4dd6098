/* vfmgr status: what vfmgr holds, from the state file: each VM NIC's VF with its live settings
 * and how they drifted from what vfmgr set, and each whole device passed through. The rows are
 * built once (struct status_model) and printed as a table or as JSON from them, so the two
 * forms cannot say different things. */
#include "vfmgr/apply.h"
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/cmd-daemon-client.h"
#include "vfmgr/vf-status.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct status_vf {
	const struct state_alloc *a;
	const struct vf_config *live; /* NULL: the VF is gone or the kernel did not report it */
	const char *pf_ifname;        /* NULL when the PF has no interface */
	const char *status;           /* ok, drift, pending, pf-missing, vf-missing, unverified */
	unsigned drift;               /* groups that differ from what vfmgr set, pending ones not */
};

struct status_dev {
	const struct state_pt *t;
	const char *driver; /* bound now; NULL for none */
	const char *status; /* ok (on vfio-pci), not-on-vfio, missing */
};

struct status_model {
	struct status_vf *vfs;
	size_t n_vfs;
	struct status_dev *devs;
	size_t n_devs;
	const struct apply_pending *pending;
	const char *daemon_policy; /* answered by the daemon: its policy, and its healing limit */
	enum sriov_impact heal_allow;
};

static void model_free(struct status_model *m)
{
	free(m->vfs);
	free(m->devs);
}

static void build_vf(const struct host *h, const struct state_alloc *a,
                     const struct apply_pending *pend, struct status_vf *v)
{
	struct vf_status_info info;

	v->a = a;
	v->status = vf_status_name(vf_status_get(h, a, pend, &info));
	v->live = info.live;
	v->pf_ifname = info.pf_ifname;
	v->drift = info.drift;
}

static void build_dev(const struct host *h, const struct state_pt *t, struct status_dev *d)
{
	size_t i = host_find_nic(h, t->addr);
	const struct nic *n = i != NO_INDEX ? &h->nics[i] : NULL;

	d->t = t;
	d->driver = n && n->driver[0] ? n->driver : NULL;
	d->status = t->releasing                                      ? "releasing"
	            : !n                                              ? "missing"
	            : d->driver && strcmp(d->driver, "vfio-pci") == 0 ? "ok"
	                                                              : "not-on-vfio";
}

static int model_build(const struct context *ctx, struct status_model *m)
{
	const struct state *s = &ctx->state;

	memset(m, 0, sizeof(*m));
	m->pending = ctx->pending;
	m->daemon_policy = ctx->daemon_policy;
	m->heal_allow = ctx->heal_allow;
	m->vfs = calloc(s->n ? s->n : 1, sizeof(*m->vfs));
	m->devs = calloc(s->n_pts ? s->n_pts : 1, sizeof(*m->devs));
	if (!m->vfs || !m->devs) {
		model_free(m);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n; i++)
		build_vf(&ctx->host, &s->allocs[i], m->pending, &m->vfs[m->n_vfs++]);
	for (size_t i = 0; i < s->n_pts; i++)
		build_dev(&ctx->host, &s->pts[i], &m->devs[m->n_devs++]);
	return 0;
}

/* The STATUS column: "ok", the pending reasons, then each drifted group as "got (want exp)". */
static void status_text(const struct status_model *m, const struct status_vf *v, char *buf,
                        size_t size)
{
	const struct vf_pending *p;
	size_t from = 0, off = 0;

	buf[0] = '\0';
	if (!v->live) {
		snprintf(buf, size, "%s",
		         strcmp(v->status, "releasing") == 0
		             ? "being released (vfmgr release finishes it)"
		         : strcmp(v->status, "pf-missing") == 0 ? "PF missing"
		         : strcmp(v->status, "vf-missing") == 0 ? "VF missing"
		                                                : v->status);
		return;
	}
	while ((p = apply_pending_find(m->pending, v->a->pf_addr, v->a->vf, &from)) && off < size)
		off += (size_t)snprintf(buf + off, size - off, "%spending: %s", off ? "; " : "",
		                        p->reason);
	for (unsigned g = v->drift; g && off < size; g &= g - 1) {
		char got[96], exp[96];
		unsigned attr = vf_attr_first(g);

		vf_attr_format(attr, v->live, got, sizeof(got));
		vf_attr_format(attr, &v->a->want, exp, sizeof(exp));
		off += (size_t)snprintf(buf + off, size - off, "%s%s (want %s)", off ? "; " : "",
		                        got, exp);
	}
	if (!buf[0])
		snprintf(buf, size, "ok");
}

static const char *onoff(int8_t v)
{
	return v < 0 ? NULL : v ? "on" : "off";
}

static int vf_row(struct table *t, size_t i, const void *arg)
{
	const struct status_model *m = arg;
	const struct status_vf *v = &m->vfs[i];
	const struct state_alloc *a = v->a;
	const struct vf_config *live = v->live;
	char nic[16], vf[16], mac[MAC_STR_LEN] = "", vlan[32] = "", rate[32] = "", st[512];

	snprintf(nic, sizeof(nic), "%u%s", a->nic, a->leg ? "b" : "");
	snprintf(vf, sizeof(vf), "%u", a->vf);
	if (live) {
		format_mac(live->mac, mac);
		snprintf(vlan, sizeof(vlan), "%u", live->vlan);
		snprintf(rate, sizeof(rate), "%u/%u", live->min_rate, live->max_rate);
	}
	status_text(m, v, st, sizeof(st));
	const char *row[] = {a->vm,
	                     nic,
	                     a->network,
	                     a->pf_addr,
	                     vf,
	                     a->vf_addr,
	                     mac,
	                     vlan,
	                     rate,
	                     live ? onoff(live->spoofchk) : NULL,
	                     live ? onoff(live->trust) : NULL,
	                     st};
	return table_add_row(t, row);
}

static int print_vfs(const struct status_model *m, FILE *f)
{
	static const char *const head[] = {"VM",  "NIC",  "NETWORK", "PF",    "VF",    "VF-ADDR",
	                                   "MAC", "VLAN", "RATE",    "SPOOF", "TRUST", "STATUS"};

	return table_print_rows(f, ARRAY_SIZE(head), head, m->n_vfs, vf_row, m);
}

static int dev_row(struct table *t, size_t i, const void *arg)
{
	const struct status_model *m = arg;
	const struct status_dev *d = &m->devs[i];
	char idx[24];

	snprintf(idx, sizeof(idx), "pt%u", d->t->index);
	const char *row[] = {d->t->vm, idx, d->t->addr, d->driver, d->status};
	return table_add_row(t, row);
}

/* Whole devices, as a second table when there are any. */
static int print_devs(const struct status_model *m, FILE *f)
{
	static const char *const head[] = {"VM", "DEVICE", "ADDRESS", "DRIVER", "STATUS"};

	if (m->n_devs == 0)
		return 0;
	fputc('\n', f);
	return table_print_rows(f, ARRAY_SIZE(head), head, m->n_devs, dev_row, m);
}

/* Adds the live settings to o, or null for each when the VF cannot be read. */
static void live_json(json_t *o, const struct vf_config *live)
{
	for (size_t g = 0; g < PLAN_VF_GROUPS; g++)
		for (size_t k = 0; k < 3 && plan_vf_groups[g].settings[k]; k++)
			json_object_set_new(
			    o, plan_vf_groups[g].settings[k],
			    live ? plan_vf_setting_json(plan_vf_groups[g].settings[k], live)
			         : json_null());
}

/* {"vlan": {"from": 0, "to": 100}, ...} for each setting in attrs that differs. */
static json_t *changes_json(unsigned attrs, const struct vf_config *from,
                            const struct vf_config *to)
{
	json_t *o = json_object();

	for (size_t g = 0; o && g < PLAN_VF_GROUPS; g++) {
		if (!(attrs & plan_vf_groups[g].attr))
			continue;
		for (size_t k = 0; k < 3 && plan_vf_groups[g].settings[k]; k++) {
			json_t *x = plan_vf_setting_json(plan_vf_groups[g].settings[k], from);
			json_t *y = plan_vf_setting_json(plan_vf_groups[g].settings[k], to);
			if (!json_equal(x, y))
				json_object_set_new(o, plan_vf_groups[g].settings[k],
				                    json_pack("{s:O, s:O}", "from", x, "to", y));
			json_decref(x);
			json_decref(y);
		}
	}
	return o;
}

static json_t *pending_json(const struct status_model *m, const struct status_vf *v)
{
	const struct vf_pending *p;
	json_t *a = json_array();
	size_t from = 0;

	while (a && (p = apply_pending_find(m->pending, v->a->pf_addr, v->a->vf, &from))) {
		json_t *o = changes_json(p->attr, v->live, &p->want);
		json_array_append_new(a,
		                      json_pack("{s:o, s:s}", "changes", o, "reason", p->reason));
	}
	return a;
}

static json_t *vf_json(const struct status_model *m, const struct status_vf *v)
{
	const struct state_alloc *a = v->a;
	json_t *o = json_pack(
	    "{s:s, s:i, s:i, s:s, s:s, s:s, s:o, s:i, s:o, s:b, s:s}", "vm", a->vm, "nic", a->nic,
	    "leg", a->leg, "network", a->network, "pf", a->pf, "pf_address", a->pf_addr,
	    "pf_ifname", v->pf_ifname ? json_string(v->pf_ifname) : json_null(), "vf_index", a->vf,
	    "vf_address", a->vf_addr[0] ? json_string(a->vf_addr) : json_null(), "vfio", a->vfio,
	    "status", v->status);

	if (!o)
		return NULL;
	live_json(o, v->live);
	json_object_set_new(o, "drift",
	                    v->live ? changes_json(v->drift, v->live, &a->want) : json_object());
	json_object_set_new(o, "pending", v->live ? pending_json(m, v) : json_array());
	return o;
}

static json_t *dev_json(const struct status_dev *d)
{
	return json_pack("{s:s, s:i, s:s, s:o, s:o, s:s}", "vm", d->t->vm, "index", d->t->index,
	                 "address", d->t->addr, "driver",
	                 d->driver ? json_string(d->driver) : json_null(), "driver_before",
	                 d->t->driver_known ? json_string(d->t->driver_before) : json_null(),
	                 "status", d->status);
}

static int print_json(const struct status_model *m, FILE *f)
{
	json_t *vfs = json_array(), *devs = json_array(), *o;

	for (size_t i = 0; vfs && i < m->n_vfs; i++)
		json_array_append_new(vfs, vf_json(m, &m->vfs[i]));
	for (size_t i = 0; devs && i < m->n_devs; i++)
		json_array_append_new(devs, dev_json(&m->devs[i]));
	o = json_pack("{s:o, s:o}", "vfs", vfs, "devices", devs);
	if (o && m->daemon_policy)
		json_object_set_new(o, "daemon",
		                    json_pack("{s:s, s:s}", "policy", m->daemon_policy,
		                              "heal_allow", sriov_impact_name(m->heal_allow)));
	return cmd_json_print(o, f);
}

int status_write(const struct context *ctx, bool json, FILE *f)
{
	struct status_model m;
	int r = model_build(ctx, &m);

	if (r < 0)
		return r;
	if (json)
		r = print_json(&m, f);
	else if ((r = print_vfs(&m, f)) == 0 && (r = print_devs(&m, f)) == 0 && ctx->daemon_policy)
		fprintf(f,
		        "daemon: runs %s; its own healing applies steps up to %s (a forwarded "
		        "'vfmgr apply' keeps its --allow)\n",
		        ctx->daemon_policy, sriov_impact_name(ctx->heal_allow));
	model_free(&m);
	return r;
}

int cmd_status(const struct cmd_args *a)
{
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	int r;

	r = ctl_client_forward(&(struct ctl_request){.command = CTL_STATUS, .json = a->json},
	                       a->state_file);
	if (r >= 0)
		return r;
	if (context_load(&ctx, NULL, a->state_file, false) < 0)
		return EXIT_FAIL;
	return status_write(&ctx, a->json, stdout) < 0 ? EXIT_FAIL : EXIT_OK;
}
