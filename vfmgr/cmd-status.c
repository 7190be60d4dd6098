/* vfmgr status: each VM's VFs as the state file records them, with their live settings and
 * how they drifted from what vfmgr set. */
#include "vfmgr/apply.h"
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/cmd-daemon-client.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/table.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* The live settings of an allocation's VF, or NULL (VF gone, or lost to a truncated list). */
static const struct vf_config *live_vf(const struct host *h, const struct state_alloc *a,
                                       const char **why)
{
	size_t i = host_find_nic(h, a->pf_addr);
	const struct nic *n = i != NO_INDEX ? &h->nics[i] : NULL;

	if (!n) {
		*why = "PF missing";
		return NULL;
	}
	if (a->vf >= (unsigned)n->numvfs) {
		*why = "VF missing";
		return NULL;
	}
	if (n->vf_settings_err < 0 || a->vf >= n->vf_settings.num_vf ||
	    !n->vf_settings.readable[a->vf]) {
		*why = "unverified";
		return NULL;
	}
	return &n->vf_settings.vfs[a->vf];
}

/* The daemon's refused settings of this VF: "pending: max_tx_rate 300 waits for enp1s0's
 * link" appended to buf; returns their groups, which are then not shown as drift. */
static unsigned pending_text(const struct apply_pending *pend, const struct state_alloc *a,
                             char *buf, size_t size)
{
	const struct vf_pending *p;
	unsigned groups = 0;
	size_t from = 0, off = strlen(buf);

	while ((p = apply_pending_find(pend, a->pf_addr, a->vf, &from)) && off < size) {
		groups |= p->attr;
		off += (size_t)snprintf(buf + off, size - off, "%spending: %s", off ? "; " : "",
		                        p->reason);
	}
	return groups;
}

static void drift_text(const struct vf_config *live, const struct vf_config *want,
                       const struct apply_pending *pend, const struct state_alloc *a, char *buf,
                       size_t size)
{
	size_t off = 0;
	unsigned skip;

	buf[0] = '\0';
	skip = pending_text(pend, a, buf, size);
	off = strlen(buf);
	for (unsigned m = vf_config_diff(live, want, VF_ATTR_ALL) & ~skip; m && off < size;
	     m &= m - 1) {
		char got[96], exp[96];
		unsigned attr = vf_attr_first(m);
		vf_attr_format(attr, live, got, sizeof(got));
		vf_attr_format(attr, want, exp, sizeof(exp));
		off += (size_t)snprintf(buf + off, size - off, "%s%s (want %s)", off ? "; " : "",
		                        got, exp);
	}
}

static json_t *alloc_json(const struct host *h, const struct state_alloc *a,
                          const struct apply_pending *pend)
{
	const char *why = NULL;
	const struct vf_config *live = live_vf(h, a, &why);
	char mac[MAC_STR_LEN], drift[512] = "";

	if (live)
		drift_text(live, &a->want, pend, a, drift, sizeof(drift));
	format_mac(live ? live->mac : a->want.mac, mac);
	return json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:i, s:o, s:s, s:o, s:o, s:o, s:o, s:o}",
	                 "vm", a->vm, "nic", a->nic, "leg", a->leg, "network", a->network, "pf",
	                 a->pf, "pf_address", a->pf_addr, "vf", a->vf, "vf_address",
	                 a->vf_addr[0] ? json_string(a->vf_addr) : json_null(), "status",
	                 why                                 ? why
	                 : strncmp(drift, "pending", 7) == 0 ? "pending"
	                 : drift[0]                          ? "drift"
	                                                     : "ok",
	                 "mac", live ? json_string(mac) : json_null(), "vlan",
	                 live ? json_integer(live->vlan) : json_null(), "max_tx_rate",
	                 live ? json_integer(live->max_rate) : json_null(), "min_tx_rate",
	                 live ? json_integer(live->min_rate) : json_null(), "drift",
	                 drift[0] ? json_string(drift) : json_null());
}

static int print_text(const struct host *h, const struct state *s, const struct apply_pending *pend,
                      FILE *f)
{
	static const char *const head[] = {"VM",  "NIC",  "NETWORK", "PF",    "VF",    "VF-ADDR",
	                                   "MAC", "VLAN", "RATE",    "SPOOF", "TRUST", "STATUS"};
	struct table *t = table_new(ARRAY_SIZE(head));
	int r;

	if (!t)
		return -ENOMEM;
	r = table_add_row(t, head);
	for (size_t i = 0; i < s->n && r == 0; i++) {
		const struct state_alloc *a = &s->allocs[i];
		const char *why = NULL;
		const struct vf_config *live = live_vf(h, a, &why);
		char nic[16], vf[16], mac[MAC_STR_LEN] = "", vlan[32] = "", rate[32] = "", st[512];

		snprintf(nic, sizeof(nic), "%u%s", a->nic, a->leg ? "b" : "");
		snprintf(vf, sizeof(vf), "%u", a->vf);
		if (live) {
			format_mac(live->mac, mac);
			snprintf(vlan, sizeof(vlan), "%u", live->vlan);
			snprintf(rate, sizeof(rate), "%u/%u", live->min_rate, live->max_rate);
			drift_text(live, &a->want, pend, a, st, sizeof(st));
			if (!st[0])
				snprintf(st, sizeof(st), "ok");
		} else {
			snprintf(st, sizeof(st), "%s", why);
		}
		const char *row[] = {a->vm,
		                     nic,
		                     a->network,
		                     a->pf_addr,
		                     vf,
		                     a->vf_addr,
		                     mac,
		                     vlan,
		                     rate,
		                     live ? (live->spoofchk > 0 ? "on" : "off") : NULL,
		                     live ? (live->trust > 0 ? "on" : "off") : NULL,
		                     st};
		r = table_add_row(t, row);
	}
	if (r == 0)
		table_print(t, f);
	table_free(t);
	return r;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"state", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *state_file = NULL;
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			state_file = optarg;
			break;
		case 'h':
			printf("usage: vfmgr status [--json] [--state FILE]\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: vfmgr status [--json] [--state FILE]\n");
		return EXIT_USAGE;
	}
	r = ctl_client_forward(&(struct ctl_request){.command = CTL_STATUS, .json = json},
	                       state_file);
	if (r >= 0)
		return r;
	if (context_load(&ctx, NULL, state_file, false) < 0)
		return EXIT_FAIL;
	return status_write(&ctx, json, stdout) < 0 ? EXIT_FAIL : EXIT_OK;
}

int status_write(const struct context *ctx, bool json, FILE *f)
{
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < ctx->state.n; i++)
			json_array_append_new(
			    a, alloc_json(&ctx->host, &ctx->state.allocs[i], ctx->pending));
		json_t *o = json_pack("{s:o}", "allocations", a);
		if (!o)
			return -ENOMEM;
		json_dumpf(o, f, JSON_INDENT(2));
		fputc('\n', f);
		json_decref(o);
		return 0;
	}
	return print_text(&ctx->host, &ctx->state, ctx->pending, f);
}
