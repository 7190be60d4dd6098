/* A PF's rss: block as plan steps: checked against the observed RSS state first, then one step
 * per setting that differs, channels before the table. Pure: the state was read by observe_rss. */
#include "vfmgr/plan.h"
#include "rss/table.h"
#include "util/cleanup.h"
#include "util/strcopy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The policy's hash function names are the ones ethtool prints. */
static const char *const hfunc_names[] = {
    [POLICY_RSS_HFUNC_TOEPLITZ] = "toeplitz",
    [POLICY_RSS_HFUNC_XOR] = "xor",
    [POLICY_RSS_HFUNC_CRC32] = "crc32",
};

/* Everything one PF's steps need, worked out before any is added. */
struct rss_target {
	struct rss_spec spec;
	uint32_t nqueues; /* receive queues once channels are applied */
	uint32_t table[RSS_INDIR_MAX];
	uint32_t key_len;
	struct rss_irqs irqs; /* IRQ: where the queue IRQs go */
	unsigned irqs_moving;
	bool step[PLAN_RSS_IRQ - PLAN_RSS_CHANNELS + 1];
	/* Where a refusal goes: an error at the policy's line (pf, d), or why (rss set). */
	const struct policy_pf *pf;
	struct policy_diags *d;
	char *why;
	size_t why_size;
};

int plan_rss_table(const struct rss_spec *s, const struct rss_state *st, uint32_t nqueues,
                   uint32_t *table, char *why, size_t size)
{
	int r = rss_check_table(st, nqueues, NULL, 0, why, size);

	if (r == -EOPNOTSUPP)
		return r;
	r = rss_spec_table(s, st->indir_size, nqueues, NULL, 0, table, why, size);
	if (r == 0)
		r = rss_check_table(st, nqueues, table, st->indir_size, why, size);
	return r;
}

static int refuse(const struct rss_target *t, struct policy_mark m, const char *why)
{
	if (t->pf && t->d)
		policy_diag_add(t->d, POLICY_ERROR, m, "pf %s: rss: %s", t->pf->name.value, why);
	else if (t->why)
		snprintf(t->why, t->why_size, "%s", why);
	return -EINVAL;
}

/* The policy's request as an rss_spec; the channel count of numa-local is the NIC's local
 * CPUs. */
static int spec_from_policy(const struct policy_pf *pf, const struct nic_rss *rss,
                            struct rss_target *t)
{
	const struct policy_rss *p = &pf->rss;
	struct rss_spec *s = &t->spec;
	char why[256];

	rss_spec_init(s);
	if (p->channels_numa_local) {
		s->channels = (uint32_t)CPU_COUNT(&rss->irqs.local);
		if (s->channels == 0) {
			snprintf(why, sizeof(why),
			         "channels numa-local: %s does not say which CPUs are local to it "
			         "(no local_cpulist)",
			         rss->st.ifname);
			return refuse(t, p->channels.mark, why);
		}
	} else if (p->channels.set) {
		s->channels = p->channels.value;
	}
	switch (p->indirection.value) {
	case POLICY_RSS_INDIR_EQUAL:
		s->indir = RSS_INDIR_EQUAL;
		break;
	case POLICY_RSS_INDIR_WEIGHTS:
		s->indir = RSS_INDIR_WEIGHTS;
		if (p->n_weights > RSS_WEIGHTS_MAX)
			return refuse(t, p->indirection.mark,
			              "more weights than vfmgr handles (256)");
		memcpy(s->weights, p->weights, p->n_weights * sizeof(*p->weights));
		s->nweights = p->n_weights;
		break;
	case POLICY_RSS_INDIR_RANGE:
		s->indir = RSS_INDIR_EQUAL;
		s->start = p->start.value;
		s->equal = p->queues.value;
		break;
	}
	if (p->key.value == POLICY_RSS_KEY_HEX) {
		s->key = RSS_KEY_BYTES;
		memcpy(s->key_bytes, p->key_bytes, p->key_len);
		s->key_len = (uint32_t)p->key_len;
	} else if (p->key.value == POLICY_RSS_KEY_RANDOM) {
		s->key = RSS_KEY_RANDOM;
	}
	if (p->hfunc.set) {
		s->set_hfunc = true;
		rss_hfunc_from_name(hfunc_names[p->hfunc.value], &s->hfunc);
	}
	s->irq_local = p->irq_affinity.set && p->irq_affinity.value == POLICY_IRQ_AFFINITY_LOCAL;
	return 0;
}

/* Everything the driver has to be able to take, before anything is planned. */
static int check(const struct nic_rss *rss, bool numvfs_changes, struct rss_target *t)
{
	static const struct policy_rss none;
	const struct policy_rss *p = t->pf ? &t->pf->rss : &none;
	const struct rss_state *st = &rss->st;
	const struct rss_spec *s = &t->spec;
	char why[256];

	if (s->channels != RSS_KEEP) {
		struct rss_channels want = {RSS_KEEP, RSS_KEEP, RSS_KEEP, s->channels};
		int r = rss_check_channels(st, &want, why, sizeof(why));
		/* After a numvfs change the driver's maxima are not those observed now (igb: 8
		 * combined channels without VFs, 2 with): apply checks them once the VFs exist. */
		if (r == -EOPNOTSUPP || (r < 0 && !numvfs_changes))
			return refuse(t, p->channels.mark, why);
	}
	t->nqueues = s->channels != RSS_KEEP ? s->channels + st->cur.rx : st->rx_rings;
	/* numa-local follows the queue IRQs as they are after the channel change: apply
	 * computes that table. */
	if (s->indir == RSS_INDIR_LOCAL &&
	    rss_check_table(st, t->nqueues, NULL, 0, why, sizeof(why)) == -EOPNOTSUPP)
		return refuse(t, p->indirection.mark, why);
	if (s->indir != RSS_INDIR_KEEP && s->indir != RSS_INDIR_LOCAL &&
	    plan_rss_table(s, st, t->nqueues, t->table, why, sizeof(why)) < 0)
		return refuse(t, p->indirection.mark, why);
	if (s->key != RSS_KEY_KEEP) {
		t->key_len = s->key == RSS_KEY_BYTES ? s->key_len : st->key_size;
		if (rss_check_key(st, t->key_len, why, sizeof(why)) < 0)
			return refuse(t, p->key.mark, why);
	}
	if (s->set_hfunc && !st->has_rss) {
		snprintf(why, sizeof(why), "hash function not supported by %s on %s", st->driver,
		         st->ifname);
		return refuse(t, p->hfunc.mark, why);
	}
	if (s->irq_local && rss_irq_spread_local(&rss->irqs, &t->irqs) < 0) {
		snprintf(why, sizeof(why),
		         "irq-affinity local: %s does not say which CPUs are local to it (no "
		         "local_cpulist)",
		         st->ifname);
		return refuse(t, p->irq_affinity.mark, why);
	}
	return 0;
}

/* key: random is met by the key vfmgr generated last time, as long as the PF still has it. */
static bool key_differs(const struct rss_target *t, const struct nic *n, const struct state *old)
{
	const struct rss_state *st = &n->rss->st;
	const struct state_rss_key *rec;

	if (t->spec.key == RSS_KEY_BYTES)
		return memcmp(st->key, t->spec.key_bytes, t->key_len) != 0;
	rec = state_find_rss_key(old, n->addr);
	return !rec || rec->len != st->key_size || memcmp(rec->key, st->key, rec->len) != 0;
}

static unsigned irqs_moving(const struct rss_irqs *now, const struct rss_irqs *want)
{
	unsigned k = 0;

	for (size_t i = 0; i < want->n; i++)
		k += !CPU_EQUAL(&now->irq[i].cpus, &want->irq[i].cpus);
	return k;
}

/* Which steps differ. After a numvfs change every asked-for step runs: the driver rebuilds
 * its queues then, and apply writes only what differs by then. A channel change resets the
 * table and gives the queues new IRQs, so those steps follow it too. */
static void diff(struct rss_target *t, const struct nic *n, bool numvfs_changes,
                 const struct state *old)
{
	const struct rss_state *st = &n->rss->st;
	const struct rss_spec *s = &t->spec;
	bool *step = t->step;
	bool all = numvfs_changes;

	step[0] = s->channels != RSS_KEEP && (all || st->cur.combined != s->channels);
	all |= step[0];
	step[1] = s->indir == RSS_INDIR_LOCAL ||
	          (s->indir != RSS_INDIR_KEEP &&
	           (all || memcmp(st->indir, t->table, st->indir_size * sizeof(*t->table)) != 0));
	step[2] = s->key != RSS_KEY_KEEP && (numvfs_changes || key_differs(t, n, old));
	step[3] = s->set_hfunc && (numvfs_changes || st->hfunc != s->hfunc);
	if (s->irq_local)
		t->irqs_moving = irqs_moving(&n->rss->irqs, &t->irqs);
	step[4] = s->irq_local && (all || t->irqs_moving > 0);
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* How a table reads: "equal 4" when it is what `ethtool -X equal 4` gives, "weights 1 2 1 0"
 * when `ethtool -X weight` gives it (drivers' default tables in contiguous runs, like igb's, are
 * weights 1 1 ...), else each queue's entry count. */
static void describe_table(const uint32_t *table, uint32_t size, uint32_t nqueues, char *buf,
                           size_t bufsize)
{
	_cleanup_free_ uint32_t *gen = calloc(RSS_INDIR_MAX, sizeof(*gen));
	_cleanup_free_ uint32_t *counts = calloc(RSS_INDIR_MAX, sizeof(*counts));
	_cleanup_free_ uint32_t *w = calloc(RSS_INDIR_MAX, sizeof(*w));
	uint32_t g = 0, last = 0;
	size_t off;

	if (!gen || !counts || !w || size == 0) {
		snprintf(buf, bufsize, "%u entries", size);
		return;
	}
	for (uint32_t q = 1; q <= nqueues; q++)
		if (rss_table_equal(gen, size, 0, q) == 0 &&
		    memcmp(gen, table, size * sizeof(*gen)) == 0) {
			snprintf(buf, bufsize, "equal %u", q);
			return;
		}
	if (nqueues > RSS_INDIR_MAX)
		nqueues = RSS_INDIR_MAX;
	rss_table_count(table, size, counts, nqueues);
	for (uint32_t q = 0; q < nqueues; q++) {
		g = gcd(g, counts[q]);
		if (counts[q])
			last = q + 1;
	}
	for (uint32_t q = 0; g && q < last; q++)
		w[q] = counts[q] / g;
	if (g && rss_table_weights(gen, size, 0, w, last) == 0 &&
	    memcmp(gen, table, size * sizeof(*gen)) == 0) {
		off = (size_t)snprintf(buf, bufsize, "weights");
		for (uint32_t q = 0; q < last && off < bufsize; q++)
			off += (size_t)snprintf(buf + off, bufsize - off, " %u", w[q]);
		return;
	}
	off = (size_t)snprintf(buf, bufsize, "entries");
	for (uint32_t q = 0; q < nqueues && off < bufsize; q++)
		off += (size_t)snprintf(buf + off, bufsize - off, " %u", counts[q]);
}

static void describe_want(const struct rss_spec *s, uint32_t nqueues, char *buf, size_t size)
{
	size_t off;

	if (s->indir == RSS_INDIR_LOCAL) {
		snprintf(buf, size, "numa-local");
	} else if (s->indir == RSS_INDIR_WEIGHTS) {
		off = (size_t)snprintf(buf, size, "weights");
		for (size_t i = 0; i < s->nweights && off < size; i++)
			off += (size_t)snprintf(buf + off, size - off, " %u", s->weights[i]);
	} else if (s->start) {
		snprintf(buf, size, "equal %u from queue %u", s->equal, s->start);
	} else {
		snprintf(buf, size, "equal %u", s->equal ? s->equal : nqueues);
	}
}

static int add_steps(struct plan *pl, const struct nic *n, bool numvfs_changes,
                     const struct rss_target *t, const struct state *old)
{
	const struct rss_state *st = &n->rss->st;

	for (unsigned k = 0; k < ARRAY_SIZE(t->step); k++) {
		struct plan_action *a;

		if (!t->step[k])
			continue;
		a = plan_new_action(pl, (enum plan_kind)(PLAN_RSS_CHANNELS + k), n);
		if (!a || !(a->rss = calloc(1, sizeof(*a->rss))))
			return -ENOMEM;
		a->rss->recheck = numvfs_changes;
		/* apply works the numa-local table out from the queue IRQs then */
		a->rss->numa_local = t->spec.indir == RSS_INDIR_LOCAL;
		a->rss->spec = t->spec;
		a->rss->before = *st;
		a->rss->key_len = t->key_len;
		a->rss->irqs_moving = t->irqs_moving;
		if (a->kind == PLAN_RSS_TABLE) {
			memcpy(a->rss->table, t->table, st->indir_size * sizeof(*t->table));
			describe_want(&t->spec, t->nqueues, a->rss->want, sizeof(a->rss->want));
			describe_table(st->indir, st->indir_size, st->rx_rings, a->rss->was,
			               sizeof(a->rss->was));
		}
	}
	/* Apply updates the record when it writes a new random key. */
	if (t->spec.key == RSS_KEY_RANDOM) {
		const struct state_rss_key *rec = state_find_rss_key(old, n->addr);
		if (rec && state_set_rss_key(&pl->next, rec->addr, rec->key, rec->len) < 0)
			return -ENOMEM;
	}
	return 0;
}

static bool any_step(const struct rss_target *t)
{
	for (size_t k = 0; k < ARRAY_SIZE(t->step); k++)
		if (t->step[k])
			return true;
	return false;
}

int plan_rss_pf(const struct policy_pf *pf, const struct nic *n, bool numvfs_changes,
                const struct state *old, struct plan *pl, struct policy_diags *d)
{
	_cleanup_free_ struct rss_target *t = NULL;
	const struct netdev *nd = nic_pf_netdev(n);
	char why[512];
	int r;

	if (!pf->rss.set)
		return 0;
	if (!nd || !n->rss || n->rss->err < 0) {
		snprintf(why, sizeof(why), "cannot read the RSS state of %s (%s): %s", n->addr,
		         nd ? nd->name : "no interface",
		         strerror(nd && n->rss ? -n->rss->err : ENODEV));
		if (d)
			policy_diag_add(d, POLICY_ERROR, pf->rss.mark, "pf %s: rss: %s",
			                pf->name.value, why);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pf = pf;
	t->d = d;
	r = spec_from_policy(pf, n->rss, t);
	if (r == 0)
		r = check(n->rss, numvfs_changes, t);
	if (r < 0)
		return r;
	diff(t, n, numvfs_changes, old);
	if (any_step(t) && n->management) {
		snprintf(why, sizeof(why),
		         "%s (%s) carries the host's management path (%s); vfmgr will not change "
		         "its RSS (drop the rss block, or pick another device)",
		         n->addr, nd->name, n->management_why);
		return refuse(t, pf->rss.mark, why);
	}
	return pl ? add_steps(pl, n, numvfs_changes, t, old) : 0;
}

int plan_rss_request(const struct rss_spec *s, const struct nic *n, struct plan *pl, char *why,
                     size_t size)
{
	_cleanup_free_ struct rss_target *t = calloc(1, sizeof(*t));
	static const struct state none;
	int r;

	if (!t)
		return -ENOMEM;
	t->spec = *s;
	t->why = why;
	t->why_size = size;
	r = check(n->rss, false, t);
	if (r < 0)
		return r;
	diff(t, n, false, &none);
	return add_steps(pl, n, false, t, &none);
}
