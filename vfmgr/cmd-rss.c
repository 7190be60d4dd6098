/* vfmgr rss show|set: one interface's channels, RSS table, key, hash function and queue IRQs. */
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-rss-words.h"
#include "rss/ethtool.h"
#include "rss/irq.h"
#include "rss/spec.h"
#include "rss/table.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/table.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Everything `rss show` prints and `rss set` starts from; the state before a change is also what
 * a failed change rolls back to. */
struct rss_view {
	struct rss_state st;
	struct rss_irqs irqs;
};

static int read_view(const char *ifname, struct rss_view *v)
{
	int r = rss_read_state(ifname, &v->st);

	if (r < 0) {
		log_error("%s: cannot read channels and RSS settings (ethtool ioctl): %s", ifname,
		          strerror(-r));
		return r;
	}
	r = rss_irq_read(ifname, &v->irqs);
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
	    "{s:s,s:s,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:s,s:b}", "ifname", st->ifname, "driver",
	    st->driver, "channels", st->has_channels ? channels_json(st) : json_null(), "rx_rings",
	    (json_int_t)st->rx_rings, "hfunc",
	    rss_hfunc_name(st->hfunc) ? json_string(rss_hfunc_name(st->hfunc)) : json_null(), "key",
	    st->key_size ? json_string(key) : json_null(), "indirection", table, "queues",
	    queues_json(v), "numa_node",
	    v->irqs.numa_node >= 0 ? json_integer(v->irqs.numa_node) : json_null(), "local_cpus",
	    local, "irqbalance", rss_irqbalance_running());
	return cmd_json_print(o, stdout);
}

static void show_queues(const struct rss_view *v)
{
	static const char *const head[] = {"QUEUE", "ENTRIES", "IRQ", "KIND", "CPUS"};
	struct table *t = table_new(ARRAY_SIZE(head));

	if (!t)
		return;
	table_add_row(t, head);
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
	table_free(t);
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
	if (read_view(a->argv[0], v) < 0)
		return EXIT_FAIL;
	if (a->json)
		return show_json(v) < 0 ? EXIT_FAIL : EXIT_OK;
	show_text(v);
	return EXIT_OK;
}

/* What `rss set` will write, computed and checked against the device before the first write, so
 * a refused request changes nothing. */
struct rss_change {
	const char *ifname;
	struct rss_spec spec;
	struct rss_channels channels;
	uint32_t nqueues; /* receive queues once channels are applied */
	uint32_t table[RSS_INDIR_MAX];
	uint8_t key[RSS_KEY_MAX];
	struct rss_irqs irqs; /* scratch for the IRQ steps */
	struct rss_irqs want_irqs;
};

static int refuse(const char *ifname, const char *why)
{
	log_error("rss set %s: %s; nothing changed", ifname, why);
	return -EINVAL;
}

static int prepare(const struct rss_view *v, struct rss_change *c)
{
	const struct rss_state *st = &v->st;
	const struct rss_spec *s = &c->spec;
	char why[256];
	int r;

	c->channels = (struct rss_channels){RSS_KEEP, RSS_KEEP, RSS_KEEP, s->channels};
	if (s->channels != RSS_KEEP && rss_check_channels(st, &c->channels, why, sizeof(why)) < 0)
		return refuse(c->ifname, why);
	c->nqueues = s->channels != RSS_KEEP ? s->channels + st->cur.rx : st->rx_rings;
	if (s->indir == RSS_INDIR_EQUAL || s->indir == RSS_INDIR_WEIGHTS) {
		if (rss_check_table(st, c->nqueues, NULL, 0, why, sizeof(why)) == -EOPNOTSUPP)
			return refuse(c->ifname, why);
		r = rss_spec_table(s, st->indir_size, c->nqueues, NULL, 0, c->table, why,
		                   sizeof(why));
		if (r == 0)
			r = rss_check_table(st, c->nqueues, c->table, st->indir_size, why,
			                    sizeof(why));
		if (r < 0)
			return refuse(c->ifname, why);
	}
	if (s->key != RSS_KEY_KEEP) {
		uint32_t len = s->key == RSS_KEY_BYTES ? s->key_len : st->key_size;
		if (rss_check_key(st, len, why, sizeof(why)) < 0)
			return refuse(c->ifname, why);
		if (s->key == RSS_KEY_BYTES)
			memcpy(c->key, s->key_bytes, len);
		else if (getrandom(c->key, len, 0) != (ssize_t)len)
			return refuse(c->ifname, "cannot get random bytes for the key");
	}
	if (s->set_hfunc && !st->has_rss) {
		snprintf(why, sizeof(why), "hash function not supported by %s on %s", st->driver,
		         c->ifname);
		return refuse(c->ifname, why);
	}
	if (s->irq_local && CPU_COUNT(&v->irqs.local) == 0) {
		snprintf(why, sizeof(why),
		         "%s does not say which CPUs are local to it (no "
		         "local_cpulist)",
		         c->ifname);
		return refuse(c->ifname, why);
	}
	return 0;
}

/* numa-local needs the queues' IRQs as they are after the channel change. */
static int table_numa_local(struct rss_change *c, uint32_t size)
{
	uint32_t local[RSS_IRQS_MAX];
	size_t n, k = 0;
	char why[256];
	int r = rss_irq_read(c->ifname, &c->irqs);

	if (r < 0)
		return r;
	n = rss_irq_local_queues(&c->irqs, local, ARRAY_SIZE(local));
	for (size_t i = 0; i < n; i++)
		if (local[i] < c->nqueues)
			local[k++] = local[i];
	r = rss_spec_table(&c->spec, size, c->nqueues, local, k, c->table, why, sizeof(why));
	if (r < 0)
		log_error("rss set %s: numa-local: %s", c->ifname, why);
	return r;
}

static int step_channels(struct rss_change *c, const struct rss_view *v, bool *changed)
{
	int r;

	if (c->spec.channels == RSS_KEEP)
		return 0;
	r = rss_apply_channels(c->ifname, &c->channels, changed);
	if (r == 0 && *changed)
		printf("%s: channels combined %u -> %u\n", c->ifname, v->st.cur.combined,
		       c->spec.channels);
	return r;
}

static int step_table(struct rss_change *c, const struct rss_view *v, bool *changed)
{
	int r;

	if (c->spec.indir == RSS_INDIR_KEEP)
		return 0;
	if (c->spec.indir == RSS_INDIR_LOCAL) {
		r = table_numa_local(c, v->st.indir_size);
		if (r < 0)
			return r;
	}
	r = rss_apply_table(c->ifname, c->table, v->st.indir_size, changed);
	if (r == 0 && *changed)
		printf("%s: indirection table set (%u entries)\n", c->ifname, v->st.indir_size);
	return r;
}

static int step_key(struct rss_change *c, const struct rss_view *v, bool *changed)
{
	int r;

	if (c->spec.key == RSS_KEY_KEEP)
		return 0;
	r = rss_apply_key(c->ifname, c->key, v->st.key_size, changed);
	if (r == 0 && *changed)
		printf("%s: hash key set (%u bytes)\n", c->ifname, v->st.key_size);
	return r;
}

static int step_hfunc(struct rss_change *c, const struct rss_view *v, bool *changed)
{
	const char *old = rss_hfunc_name(v->st.hfunc);
	int r;

	if (!c->spec.set_hfunc)
		return 0;
	r = rss_apply_hfunc(c->ifname, c->spec.hfunc, changed);
	if (r == 0 && *changed)
		printf("%s: hash function %s -> %s\n", c->ifname, old ? old : "unknown",
		       rss_hfunc_name(c->spec.hfunc));
	return r;
}

static int step_irqs(struct rss_change *c, const struct rss_view *v, bool *changed)
{
	int r;

	(void)v;
	if (!c->spec.irq_local)
		return 0;
	/* Re-read: a channel change gives the queues new IRQs. */
	r = rss_irq_read(c->ifname, &c->irqs);
	if (r == 0)
		r = rss_irq_spread_local(&c->irqs, &c->want_irqs);
	if (r == 0)
		r = rss_irq_apply(&c->want_irqs, changed);
	if (r == 0 && *changed)
		printf("%s: queue IRQs spread over local CPUs\n", c->ifname);
	if (r == 0 && c->irqs.n == 0)
		log_warn("rss set %s: no queue IRQs found (is the interface up?)", c->ifname);
	return r;
}

/* Channels before the table: drivers rebuild their default table when the queue count changes. */
static const struct {
	const char *what;
	int (*apply)(struct rss_change *c, const struct rss_view *v, bool *changed);
} steps[] = {
    {"channels (ETHTOOL_SCHANNELS)", step_channels},
    {"indirection table (ETHTOOL_SRSSH)", step_table},
    {"hash key (ETHTOOL_SRSSH)", step_key},
    {"hash function (ETHTOOL_SRSSH)", step_hfunc},
    {"IRQ affinity (/proc/irq/N/smp_affinity_list)", step_irqs},
};

/* Puts back what was read before: channels first, then the table they may have reset. */
static int rollback(const struct rss_view *v, unsigned done)
{
	const char *ifname = v->st.ifname;
	bool changed;
	int r = 0, k;

	if (done & 1u << 4)
		r = rss_irq_apply(&v->irqs, &changed);
	if ((done & 1u << 3) && (k = rss_apply_hfunc(ifname, v->st.hfunc, &changed)) < 0)
		r = k;
	if ((done & 1u << 2) &&
	    (k = rss_apply_key(ifname, v->st.key, v->st.key_size, &changed)) < 0)
		r = k;
	if ((done & 1u << 0) && (k = rss_apply_channels(ifname, &v->st.cur, &changed)) < 0)
		r = k;
	if ((done & (1u << 0 | 1u << 1)) &&
	    (k = rss_apply_table(ifname, v->st.indir, v->st.indir_size, &changed)) < 0)
		r = k;
	return r;
}

int cmd_rss_set(const struct cmd_args *a)
{
	_cleanup_free_ struct rss_view *v = NULL;
	_cleanup_free_ struct rss_change *c = NULL;
	unsigned done = 0;

	v = calloc(1, sizeof(*v));
	c = calloc(1, sizeof(*c));
	if (!v || !c)
		return EXIT_FAIL;
	c->ifname = a->argv[0];
	if (rss_words_parse(a->argc - 1, a->argv + 1, &c->spec) < 0)
		return EXIT_USAGE;
	if (read_view(c->ifname, v) < 0)
		return EXIT_FAIL;
	if (prepare(v, c) < 0)
		return EXIT_FAIL;
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		bool changed = false;
		int r = steps[i].apply(c, v, &changed);

		if (changed)
			done |= 1u << i;
		if (r < 0) {
			log_error("rss set %s: %s: %s", c->ifname, steps[i].what, strerror(-r));
			int k = done ? rollback(v, done) : 0;
			if (done)
				log_error("rss set %s: rollback to the settings before: %s",
				          c->ifname, k < 0 ? strerror(-k) : "done");
			return EXIT_FAIL;
		}
	}
	if (!done)
		printf("%s: no change\n", c->ifname);
	if (c->spec.irq_local && rss_irqbalance_running())
		log_warn("rss set %s: irqbalance is running and will move the queue IRQs again; "
		         "stop it or ban these IRQs",
		         c->ifname);
	return EXIT_OK;
}
