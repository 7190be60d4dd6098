/* vfmgr rss show|set: one interface's channels, RSS table, key, hash function and queue IRQs. */
#include "vfmgr/apply.h"
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-rss-words.h"
#include "rss/ethtool.h"
#include "rss/irq.h"
#include "rss/spec.h"
#include "rss/table.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/sysfs.h"
#include "util/table.h"

#include <errno.h>
#include <jansson.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything `rss show` prints and `rss set` plans from. */
struct rss_view {
	struct rss_state st;
	struct rss_irqs irqs;
};

static int read_view(const char *ifname, struct rss_state *st, struct rss_irqs *irqs)
{
	int r = rss_read_state(ifname, st);

	if (r < 0) {
		log_error("%s: cannot read channels and RSS settings (ethtool ioctl): %s", ifname,
		          strerror(-r));
		return r;
	}
	r = rss_irq_read(ifname, irqs);
	if (r < 0) {
		log_error("%s: cannot read queue IRQs (/proc/interrupts, msi_irqs): %s", ifname,
		          strerror(-r));
		return r;
	}
	return 0;
}

/* The table entries pointing at queue q. */
static uint32_t entries_of(const struct rss_state *st, uint32_t q)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < st->indir_size; i++)
		n += st->indir[i] == q;
	return n;
}

static json_t *channels_json(const struct rss_state *st)
{
	const struct {
		const char *name;
		uint32_t cur, max;
	} f[] = {
	    {"combined", st->cur.combined, st->max.combined},
	    {"rx", st->cur.rx, st->max.rx},
	    {"tx", st->cur.tx, st->max.tx},
	    {"other", st->cur.other, st->max.other},
	};
	json_t *o = json_object();

	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		json_object_set_new(o, f[i].name,
		                    json_pack("{s:I,s:I}", "count", (json_int_t)f[i].cur, "max",
		                              (json_int_t)f[i].max));
	return o;
}

static json_t *queues_json(const struct rss_view *v)
{
	json_t *a = json_array();
	uint32_t nq = v->st.rx_rings;

	for (uint32_t q = 0; q < nq; q++) {
		json_t *irqs = json_array();
		for (size_t i = 0; i < v->irqs.n; i++) {
			const struct rss_irq *e = &v->irqs.irq[i];
			char cpus[256];
			if (e->queue != q)
				continue;
			rss_cpulist_format(&e->cpus, cpus, sizeof(cpus));
			json_array_append_new(irqs,
			                      json_pack("{s:I,s:s,s:s}", "irq", (json_int_t)e->irq,
			                                "kind", e->kind, "cpus", cpus));
		}
		json_array_append_new(
		    a, json_pack("{s:I,s:I,s:o}", "queue", (json_int_t)q, "table_entries",
		                 (json_int_t)entries_of(&v->st, q), "irqs", irqs));
	}
	return a;
}

static int show_json(const struct rss_view *v)
{
	const struct rss_state *st = &v->st;
	json_t *table = json_array(), *o;
	char key[3 * RSS_KEY_MAX + 1], local[256];

	for (uint32_t i = 0; i < st->indir_size; i++)
		json_array_append_new(table, json_integer(st->indir[i]));
	format_hex_bytes(st->key, st->key_size, key, sizeof(key));
	rss_cpulist_format(&v->irqs.local, local, sizeof(local));
	o = json_pack(
	    "{s:s,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "ifname", st->ifname, "driver",
	    st->driver_known ? json_string(st->driver) : json_null(), "channels",
	    st->has_channels ? channels_json(st) : json_null(), "rx_rings",
	    (json_int_t)st->rx_rings, "hfunc",
	    rss_hfunc_name(st->hfunc) ? json_string(rss_hfunc_name(st->hfunc)) : json_null(), "key",
	    st->key_size ? json_string(key) : json_null(), "indirection", table, "queues",
	    queues_json(v), "numa_node",
	    v->irqs.numa_node >= 0 ? json_integer(v->irqs.numa_node) : json_null(), "local_cpus",
	    local[0] ? json_string(local) : json_null(), "irqbalance", rss_irqbalance_running());
	return cmd_json_print(o, stdout);
}

static void show_queues(const struct rss_view *v)
{
	static const char *const head[] = {"QUEUE", "ENTRIES", "IRQ", "KIND", "CPUS"};
	_cleanup_table_ struct table *t = table_new(ARRAY_SIZE(head), head);

	if (!t)
		return;
	for (uint32_t q = 0; q < v->st.rx_rings; q++) {
		char qs[16], es[16], irq[16] = "", cpus[256] = "";
		const char *kind = NULL;
		bool any = false;

		snprintf(qs, sizeof(qs), "%u", q);
		snprintf(es, sizeof(es), "%u", entries_of(&v->st, q));
		for (size_t i = 0; i < v->irqs.n; i++) {
			const struct rss_irq *e = &v->irqs.irq[i];
			if (e->queue != q)
				continue;
			snprintf(irq, sizeof(irq), "%u", e->irq);
			rss_cpulist_format(&e->cpus, cpus, sizeof(cpus));
			kind = e->kind;
			const char *row[] = {qs, es, irq, kind, cpus};
			table_add_row(t, row);
			any = true;
		}
		if (!any) {
			const char *row[] = {qs, es, NULL, NULL, NULL};
			table_add_row(t, row);
		}
	}
	table_print(t, stdout);
}

static void show_text(const struct rss_view *v)
{
	const struct rss_state *st = &v->st;
	const char *hf = rss_hfunc_name(st->hfunc);
	char key[3 * RSS_KEY_MAX + 1], local[256];

	printf("interface:  %s (%s)\n", st->ifname, st->driver);
	if (st->has_channels)
		printf("channels:   combined %u (max %u), rx %u (max %u), tx %u (max %u), other %u "
		       "(max %u)\n",
		       st->cur.combined, st->max.combined, st->cur.rx, st->max.rx, st->cur.tx,
		       st->max.tx, st->cur.other, st->max.other);
	else
		printf("channels:   not supported by %s\n", st->driver);
	printf("rx rings:   %u\n", st->rx_rings);
	printf("hfunc:      %s\n", hf ? hf : st->has_rss ? "unknown" : "-");
	format_hex_bytes(st->key, st->key_size, key, sizeof(key));
	printf("key:        %s%s\n", st->key_size ? key : "not exposed by ",
	       st->key_size ? "" : st->driver);
	rss_cpulist_format(&v->irqs.local, local, sizeof(local));
	printf("numa node:  %d, local cpus %s\n", v->irqs.numa_node, *local ? local : "unknown");
	printf("irqbalance: %s\n",
	       rss_irqbalance_running() ? "running (it moves IRQs on its own)" : "not running");
	if (!st->has_rss || st->indir_size == 0) {
		printf("table:      not supported by %s\n", st->driver);
	} else {
		printf("table:      %u entries\n", st->indir_size);
		/* Rows of eight with the first entry's index, as `ethtool -x` prints them. */
		for (uint32_t i = 0; i < st->indir_size; i++) {
			if (i % 8 == 0)
				printf("%5u:", i);
			printf(" %5u%s", st->indir[i],
			       i % 8 == 7 || i + 1 == st->indir_size ? "\n" : "");
		}
	}
	if (v->irqs.n == 0)
		printf("queue IRQs: none found (drivers request them when the interface is up)\n");
	show_queues(v);
}

int cmd_rss_show(const struct cmd_args *a)
{
	_cleanup_free_ struct rss_view *v = NULL;

	v = calloc(1, sizeof(*v));
	if (!v)
		return EXIT_FAIL;
	if (read_view(a->argv[0], &v->st, &v->irqs) < 0)
		return EXIT_FAIL;
	if (a->json)
		return show_json(v) < 0 ? EXIT_FAIL : EXIT_OK;
	show_text(v);
	return EXIT_OK;
}

/* The interface as a device for the planner: its PCI address when it has one (messages name
 * it), else its name. */
static void rss_device(const char *ifname, struct nic_rss *rss, struct netdev *nd, struct nic *n)
{
	memset(n, 0, sizeof(*n));
	n->bus = NIC_BUS_PCI;
	n->pf = NO_INDEX;
	n->vf_index = -1;
	if (sysfs_read_link_name(n->addr, sizeof(n->addr), "/sys/class/net/%s/device", ifname) < 0)
		snprintf(n->addr, sizeof(n->addr), "%s", ifname);
	snprintf(n->driver, sizeof(n->driver), "%s", rss->st.driver);
	memset(nd, 0, sizeof(*nd));
	snprintf(nd->name, sizeof(nd->name), "%s", ifname);
	nd->ifindex = (int)if_nametoindex(ifname);
	n->netdevs = nd;
	n->n_netdevs = 1;
	n->rss = rss;
}

/* rss set is a plan of RSS steps (checked against the interface before the first write, so a
 * refused request changes nothing), run by the same applier as `vfmgr apply`: the same undo and
 * rollback, and no state file (one interface, outside any policy). */
int cmd_rss_set(const struct cmd_args *a)
{
	_cleanup_free_ struct nic_rss *rss = NULL;
	struct rss_spec spec;
	struct netdev nd;
	struct nic n;
	struct plan pl = {0};
	const struct host none = {0};
	const char *ifname;
	char why[512];
	int r;

	ifname = a->argv[0];
	if (rss_words_parse(a->argc - 1, a->argv + 1, &spec) < 0)
		return EXIT_USAGE;
	rss = calloc(1, sizeof(*rss));
	if (!rss)
		return EXIT_FAIL;
	if (read_view(ifname, &rss->st, &rss->irqs) < 0)
		return EXIT_FAIL;
	rss_device(ifname, rss, &nd, &n);
	r = plan_rss_request(&spec, &n, &pl, why, sizeof(why));
	if (r == -EINVAL)
		log_error("rss set %s: %s; nothing changed", ifname, why);
	if (r < 0) {
		plan_free(&pl);
		return EXIT_FAIL;
	}
	if (pl.n == 0) {
		printf("%s: no change\n", ifname);
		plan_free(&pl);
		return EXIT_OK;
	}
	plan_impact(&pl, &none, &pl.next);
	plan_print(&pl, stdout);
	fflush(stdout);
	apply_catch_signals();
	r = apply_plan(&pl, NULL, NULL, NULL);
	plan_free(&pl);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
