/* RSS steps against the device: each re-reads the interface, keeps what it found as its undo,
 * and writes what differs from that read through the rss_set_* setters (no second read). */
#include "vfmgr/apply-steps.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int apply_rss_restore(const char *ifname, const struct rss_state *st)
{
	bool changed;
	int r = 0, k;

	if (st->has_channels) {
		struct rss_channels ch = st->cur;
		r = rss_apply_channels(ifname, &ch, &changed);
	}
	/* Setting channels may have rebuilt the default table: the saved one goes back after. */
	if (st->has_rss && st->indir_size &&
	    (k = rss_apply_table(ifname, st->indir, st->indir_size, &changed)) < 0 && r == 0)
		r = k;
	return r;
}

static int refused(const struct plan_action *a, int r, const char *why)
{
	log_error("%s (%s): rss: %s", a->addr, a->ifname, why);
	return r;
}

static int run_channels(const struct plan_action *a, struct rss_undo *u)
{
	struct rss_channels want = {RSS_KEEP, RSS_KEEP, RSS_KEEP, a->rss->spec.channels};
	char why[256];
	int r;

	/* The maxima may have changed since planning (a numvfs step: igb allows 2 with VFs). */
	r = rss_check_channels(&u->now, &want, why, sizeof(why));
	if (r < 0)
		return refused(a, r, why);
	r = rss_set_channels(&u->now, &want, &u->did);
	if (r == 0 && u->did)
		log_notice("%s (%s): rss channels combined %u (was %u)", a->addr, a->ifname,
		           want.combined, u->now.cur.combined);
	return r;
}

static int table_numa_local(const struct plan_action *a, const struct rss_state *now,
                            uint32_t *table, char *why, size_t size)
{
	struct rss_irqs *irqs = malloc(sizeof(*irqs));
	uint32_t local[RSS_IRQS_MAX];
	size_t n, k = 0;
	int r;

	if (!irqs)
		return -ENOMEM;
	r = rss_irq_read(a->ifname, irqs);
	if (r < 0) {
		snprintf(why, size, "numa-local: cannot read the queue IRQs: %s", strerror(-r));
		free(irqs);
		return r;
	}
	n = rss_irq_local_queues(irqs, local, RSS_IRQS_MAX);
	for (size_t i = 0; i < n; i++)
		if (local[i] < now->rx_rings)
			local[k++] = local[i];
	r = rss_spec_table(&a->rss->spec, now->indir_size, now->rx_rings, local, k, table, why,
	                   size);
	free(irqs);
	return r;
}

static int run_table(const struct plan_action *a, struct rss_undo *u)
{
	uint32_t *table = a->rss->table, fresh[RSS_INDIR_MAX];
	char why[256];
	int r;

	/* numa-local: the queues whose IRQs sit on local CPUs, as they are after the channel
	 * change. */
	if (a->rss->numa_local) {
		r = table_numa_local(a, &u->now, fresh, why, sizeof(why));
		if (r < 0)
			return refused(a, r, why);
		table = fresh;
	}
	/* After a numvfs change the queues are what the driver made them; the request is the
	 * same, the table follows the queues there are now. */
	else if (a->rss->recheck) {
		r = plan_rss_table(&a->rss->spec, &u->now, u->now.rx_rings, fresh, why,
		                   sizeof(why));
		if (r < 0)
			return refused(a, r, why);
		table = fresh;
	}
	r = rss_set_table(&u->now, table, u->now.indir_size, &u->did);
	if (r == 0 && u->did)
		log_notice("%s (%s): rss table %s (%u entries)", a->addr, a->ifname, a->rss->want,
		           u->now.indir_size);
	return r;
}

static int run_key(const struct plan_action *a, struct rss_undo *u, struct state *next,
                   bool *state_changed)
{
	const struct rss_spec *s = &a->rss->spec;
	const struct state_rss_key *rec = next ? state_find_rss_key(next, a->addr) : NULL;
	uint8_t key[RSS_KEY_MAX];
	uint32_t len = s->key == RSS_KEY_BYTES ? s->key_len : u->now.key_size;
	char why[256];
	int r = rss_check_key(&u->now, len, why, sizeof(why));

	if (r < 0)
		return refused(a, r, why);
	if (s->key == RSS_KEY_BYTES) {
		memcpy(key, s->key_bytes, len);
	} else if (rec && rec->len == len && memcmp(rec->key, u->now.key, len) == 0) {
		return 0; /* still the key vfmgr generated */
	} else if (getrandom(key, len, 0) != (ssize_t)len) {
		return refused(a, -EIO, "cannot get random bytes for the key");
	}
	r = rss_set_key(&u->now, key, len, &u->did);
	if (r == 0 && s->key == RSS_KEY_RANDOM && next) {
		r = state_set_rss_key(next, a->addr, key, len);
		*state_changed = true;
	}
	if (r == 0 && u->did)
		log_notice("%s (%s): rss key set (%u bytes%s)", a->addr, a->ifname, len,
		           s->key == RSS_KEY_RANDOM ? ", random" : "");
	return r;
}

static int run_hfunc(const struct plan_action *a, struct rss_undo *u)
{
	int r = rss_set_hfunc(&u->now, a->rss->spec.hfunc, &u->did);

	if (r == 0 && u->did)
		log_notice("%s (%s): rss hfunc %s", a->addr, a->ifname,
		           rss_hfunc_name(a->rss->spec.hfunc));
	else if (r == -EOPNOTSUPP || r == -EINVAL)
		log_error("%s (%s): rss: %s does not support hash function %s", a->addr, a->ifname,
		          u->now.driver, rss_hfunc_name(a->rss->spec.hfunc));
	return r;
}

static int run_irqs(const struct plan_action *a, struct rss_undo *u)
{
	struct rss_irqs *want = malloc(sizeof(*want));
	int r;

	if (!want)
		return -ENOMEM;
	/* Read now: a channel change gives the queues new IRQs. */
	r = rss_irq_read(a->ifname, &u->irqs);
	if (r == 0)
		r = rss_irq_spread_local(&u->irqs, want);
	if (r == 0)
		r = rss_irq_apply(want, &u->did);
	if (r == 0 && u->did)
		log_notice("%s (%s): rss queue IRQs spread over local CPUs", a->addr, a->ifname);
	if (r == 0 && u->irqs.n == 0)
		log_warn("%s (%s): rss: no queue IRQs found (is the interface up?)", a->addr,
		         a->ifname);
	if (r == 0 && rss_irqbalance_running())
		log_warn("%s (%s): irqbalance is running and will move the queue IRQs again; stop "
		         "it or ban these IRQs",
		         a->addr, a->ifname);
	free(want);
	return r;
}

/* Every RSS step: the interface as it is now is the undo; a step that fails puts back what it
 * changed (lowering channels may have reset the table before the failing write). */
static int rss_step(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *au,
                    int (*run)(const struct plan_action *a, struct rss_undo *u,
                               struct apply_ctx *c))
{
	struct rss_undo *u = calloc(1, sizeof(*u));
	int r;

	au->rss = u;
	if (!u)
		return -ENOMEM;
	r = rss_read_state(a->ifname, &u->now);
	if (r < 0) {
		log_error("%s (%s): cannot read RSS state: %s", a->addr, a->ifname, strerror(-r));
		return r;
	}
	r = run(a, u, c);
	if (r < 0 && u->did && plan_step_kind(a)->undo(a, c, au) < 0)
		log_error("%s (%s): cannot put back RSS after the failed step", a->addr, a->ifname);
	return r;
}

static int channels(const struct plan_action *a, struct rss_undo *u, struct apply_ctx *c)
{
	(void)c;
	return run_channels(a, u);
}

static int table(const struct plan_action *a, struct rss_undo *u, struct apply_ctx *c)
{
	(void)c;
	return run_table(a, u);
}

static int key(const struct plan_action *a, struct rss_undo *u, struct apply_ctx *c)
{
	return run_key(a, u, c->next, &c->state_changed);
}

static int hfunc(const struct plan_action *a, struct rss_undo *u, struct apply_ctx *c)
{
	(void)c;
	return run_hfunc(a, u);
}

static int irqs(const struct plan_action *a, struct rss_undo *u, struct apply_ctx *c)
{
	(void)c;
	return run_irqs(a, u);
}

int apply_run_rss_channels(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u)
{
	return rss_step(a, c, u, channels);
}

int apply_run_rss_table(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u)
{
	return rss_step(a, c, u, table);
}

int apply_run_rss_key(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u)
{
	return rss_step(a, c, u, key);
}

int apply_run_rss_hfunc(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u)
{
	return rss_step(a, c, u, hfunc);
}

int apply_run_rss_irq(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u)
{
	return rss_step(a, c, u, irqs);
}

/* Each undo puts back what its step found, when it changed anything. */
static const struct rss_undo *done(const struct apply_undo *u)
{
	return u->rss && u->rss->did ? u->rss : NULL;
}

int apply_undo_rss_channels(const struct plan_action *a, struct apply_ctx *c,
                            const struct apply_undo *u)
{
	(void)c;
	return done(u) ? apply_rss_restore(a->ifname, &u->rss->now) : 0;
}

int apply_undo_rss_table(const struct plan_action *a, struct apply_ctx *c,
                         const struct apply_undo *u)
{
	bool changed;

	(void)c;
	return done(u)
	           ? rss_apply_table(a->ifname, u->rss->now.indir, u->rss->now.indir_size, &changed)
	           : 0;
}

int apply_undo_rss_key(const struct plan_action *a, struct apply_ctx *c, const struct apply_undo *u)
{
	bool changed;

	(void)c;
	return done(u) ? rss_apply_key(a->ifname, u->rss->now.key, u->rss->now.key_size, &changed)
	               : 0;
}

int apply_undo_rss_hfunc(const struct plan_action *a, struct apply_ctx *c,
                         const struct apply_undo *u)
{
	bool changed;

	(void)c;
	return done(u) ? rss_apply_hfunc(a->ifname, u->rss->now.hfunc, &changed) : 0;
}

int apply_undo_rss_irq(const struct plan_action *a, struct apply_ctx *c, const struct apply_undo *u)
{
	bool changed;

	(void)a;
	(void)c;
	return done(u) ? rss_irq_apply(&u->rss->irqs, &changed) : 0;
}
