#include "vfmgr/apply.h"
#include "vfmgr/apply-steps.h"
#include "sriov/numvfs.h"
#include "sriov/pflink.h"
#include "passthrough/iommu.h"
#include "passthrough/vfio.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/strcopy.h"
#include "util/sysfs.h"

#include "util/array.h"
#include "util/cleanup.h"

#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

/* The daemon's apply (apply_plan_partial) collects refused VF settings here; NULL for the
 * CLI, whose apply is all or nothing. */
static struct apply_pending *partial;

volatile sig_atomic_t apply_stop_signal;

static void on_stop_signal(int sig)
{
	apply_stop_signal = sig;
}

void apply_catch_signals(void)
{
	static const int stop[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa = {.sa_handler = on_stop_signal, .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(stop); i++)
		sigaction(stop[i], &sa, NULL);
	/* A reader that went away (`vfmgr release vm | head -1`, a closed ssh session) must not
	 * kill a run half way: writes to it fail with EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
}

/* A stop signal that waits, blocked, for a signalfd (the daemon's SIGTERM, SIGINT, SIGQUIT;
 * its SIGHUP is a reload): 0 when there is none. */
static int stop_waiting(void)
{
	static const int stop[] = {SIGTERM, SIGINT, SIGQUIT};
	sigset_t set;

	if (sigpending(&set) < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(stop); i++)
		if (sigismember(&set, stop[i]) == 1)
			return stop[i];
	return 0;
}

/* What the state file says while a plan runs: the plan's next state, and every record the plan
 * drops kept as being released, so a run killed at any point leaves each device it touched on
 * record for the next run to finish. */
static int record_intent(const char *state_file, const struct state *next, const struct state *old)
{
	_cleanup_state_ struct state intent = {0};
	int r = state_with_releasing(&intent, next, old);

	return r < 0 ? r : state_save(state_file, &intent);
}

int apply_record_state(struct apply_ctx *c)
{
	int r;

	if (!c->state_file || !c->next)
		return 0;
	r = record_intent(c->state_file, c->next, c->old);
	if (r < 0)
		log_error("%s: cannot record what this step learnt of a new VF: %s; not writing it",
		          c->state_file, strerror(-r));
	return r;
}

/* The leaves (sriov/, passthrough/) return -errno and a reason; the failure is logged here,
 * once, with the device it concerns. Returns r. */
static int leaf_failed(const char *dev, int r, const char *why)
{
	if (r < 0)
		log_error("%s: %s", dev, why[0] ? why : strerror(-r));
	return r;
}

/* igb refuses VF rate limits until the PF's link is back after a reset. */
static void wait_link_for_rates(const struct plan_action *a)
{
	if (sriov_wait_link_if_up(a->ifindex) == -ETIMEDOUT)
		log_warn("%s (%s): link still down after %d s; VF rate limits may be refused until "
		         "it is up",
		         a->addr, a->ifname, SRIOV_LINK_WAIT_SECONDS);
}

/* Admin down, or up without carrier (sriov/pflink.h: not operstate, which lags). The PF is
 * read through its ifindex: right after a driver bind udev renames it (eth0 -> enp1s0) and a
 * VF made meanwhile may hold the old name. A PCI PF whose ifindex is gone is found through its
 * device's net/ directory. */
bool apply_link_down(const char *addr, int ifindex)
{
	enum pf_link l = sriov_pf_link(ifindex);
	struct dirent *e;
	DIR *dir, *nd;

	if (l != PF_LINK_UNKNOWN)
		return l == PF_LINK_ADMIN_DOWN || l == PF_LINK_NO_CARRIER;
	dir = sysfs_opendir("/sys/bus/pci/devices/%s/net", addr);
	while (dir && (e = readdir(dir)))
		if (e->d_name[0] != '.' &&
		    (nd = sysfs_opendir("/sys/bus/pci/devices/%s/net/%s", addr, e->d_name))) {
			l = sriov_pf_link_at(dirfd(nd));
			closedir(nd);
			break;
		}
	if (dir)
		closedir(dir);
	return l == PF_LINK_ADMIN_DOWN || l == PF_LINK_NO_CARRIER;
}

/* The interface's name now: the plan took it from the host as it was observed, and udev may
 * have renamed it since (a PF that just got its driver). Steps that go by name (ethtool, the
 * log) use the current one. */
static void refresh_ifname(struct plan_action *a)
{
	char name[IF_NAMESIZE];

	if (a->ifindex <= 0 || !if_indextoname((unsigned)a->ifindex, name) ||
	    strcmp(name, a->ifname) == 0)
		return;
	log_info("%s: %s is called %s now", a->addr, a->ifname, name);
	str_copy(a->ifname, sizeof(a->ifname), name);
}

static void describe_failure(const struct plan_action *a, const struct pf_vfs *back,
                             const struct vf_write *w, size_t n, int err)
{
	for (size_t i = 0; i < n; i++) {
		unsigned idx = w[i].cfg.index;
		if (idx >= back->num_vf || !back->readable[idx])
			continue;
		unsigned bad = vf_config_diff(&back->vfs[idx], &w[i].cfg, w[i].attrs);
		if (!bad)
			continue;
		unsigned attr = vf_attr_first(bad);
		char what[96];
		vf_attr_format(attr, &w[i].cfg, what, sizeof(what));
		log_error("%s (%s) vf %u: %s: %s", a->addr, a->ifname, idx, what, strerror(-err));
		if (attr == VF_ATTR_RATE && w[i].cfg.min_rate > 0 && err == -EINVAL)
			log_error(
			    "%s (%s): driver %s has no minimum TX rate (min_tx_rate); drop the "
			    "rate min / shares for VFs on this PF",
			    a->addr, a->ifname, a->driver);
		else if (attr == VF_ATTR_RATE && err == -EINVAL &&
		         apply_link_down(a->addr, a->ifindex))
			log_error("%s (%s): %s sets TX rates only while the link is up; %s is down",
			          a->addr, a->ifname, a->driver, a->ifname);
		else if (err == -EOPNOTSUPP || err == -EPROTONOSUPPORT)
			log_error("%s (%s): driver %s does not support setting %s", a->addr,
			          a->ifname, a->driver, vf_attr_name(attr));
		return;
	}
	log_error("%s (%s): setting VFs failed: %s (read back, no VF differs)", a->addr, a->ifname,
	          strerror(-err));
}

static bool writes_rates(const struct vf_write *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i].attrs & VF_ATTR_RATE)
			return true;
	return false;
}

/* i40e and ice refuse VF settings while a VF resets (EAGAIN/EBUSY, per the driver table):
 * the write is tried again with a bounded backoff (0.05 + 0.1 + ... + 0.8 s), logged once.
 * The kernel applies a VF list in order, so writing it again is harmless. */
static int write_vfs(const struct plan_action *a, struct vfnl *nl, const struct vf_write *w,
                     size_t n)
{
	const struct sriov_driver *drv = sriov_driver_find(a->driver);
	int r = vfnl_write(nl, a->ifindex, w, n);
	useconds_t delay = 50000;

	for (unsigned k = 0; r < 0 && sriov_transient(drv, r) && k < 5; k++, delay *= 2) {
		if (k == 0)
			log_warn(
			    "%s (%s): %s refused the VF settings for now (%s: a VF is resetting); "
			    "trying again for up to 1.5 s",
			    a->addr, a->ifname, drv->name, strerror(-r));
		usleep(delay);
		r = vfnl_write(nl, a->ifindex, w, n);
	}
	/* The link dropped after the wait that came before this write (a reset begun since, or
	 * the driver's watchdog): the driver refuses rates until it is back. Once more then. */
	if (r == -EINVAL && drv && drv->rate_needs_link && writes_rates(w, n) &&
	    sriov_pf_link(a->ifindex) == PF_LINK_NO_CARRIER) {
		log_info("%s (%s): the link went down while the VFs were being set; setting them "
		         "again once it is back",
		         a->addr, a->ifname);
		if (sriov_wait_link_if_up(a->ifindex) == 0)
			r = vfnl_write(nl, a->ifindex, w, n);
	}
	return r;
}

/* Writes only what differs from the VFs' settings now, keeping those settings as the undo. */
/* A VF made by an earlier step had no settings to save at plan time: save them now. */
static bool save_fresh(struct state *next, const char *addr, const struct pf_vfs *now)
{
	bool changed = false;

	if (!next)
		return false;
	for (size_t i = 0; i < next->n; i++) {
		struct state_alloc *al = &next->allocs[i];
		if (al->releasing || al->saved_known || strcmp(al->pf_addr, addr) != 0 ||
		    al->vf >= now->num_vf || !now->readable[al->vf])
			continue;
		al->saved = now->vfs[al->vf];
		al->saved_known = true;
		sysfs_read_link_name(al->vf_addr, sizeof(al->vf_addr),
		                     "/sys/bus/pci/devices/%s/virtfn%u", addr, al->vf);
		changed = true;
	}
	return changed;
}

static void pending_add(const struct plan_action *a, const struct vf_config *c, unsigned attr,
                        int err)
{
	struct vf_pending *p = ARRAY_APPEND(partial->items, partial->n, partial->cap);
	char what[96];

	if (!p)
		return;
	vf_attr_format(attr, c, what, sizeof(what));
	if (attr == VF_ATTR_RATE && c->min_rate == 0) /* the limit that waits, not "min 0" */
		snprintf(what, sizeof(what), "max_tx_rate %u", c->max_rate);
	str_copy(p->pf_addr, sizeof(p->pf_addr), a->addr);
	str_copy(p->ifname, sizeof(p->ifname), a->ifname);
	p->vf = c->index;
	p->attr = attr;
	p->want = *c;
	p->err = err;
	p->link = apply_link_down(a->addr, a->ifindex);
	if (attr == VF_ATTR_RATE && c->min_rate > 0 && err == -EINVAL)
		snprintf(p->reason, sizeof(p->reason), "%s: %s has no minimum TX rate", what,
		         a->driver);
	else if (p->link)
		snprintf(p->reason, sizeof(p->reason), "%s waits for %s's link", what, a->ifname);
	else
		snprintf(p->reason, sizeof(p->reason), "%s refused by %s: %s", what, a->driver,
		         strerror(-err));
	log_warn("%s (%s) vf %u: %s; pending, the other settings are applied", a->addr, a->ifname,
	         c->index, p->reason);
}

/* What drivers answer for a setting they do not take in the device's current state (or at
 * all). Anything else (the device gone, a lost message) fails the step. */
static bool is_refusal(int err)
{
	return err == -EINVAL || err == -EOPNOTSUPP || err == -EPROTONOSUPPORT || err == -EAGAIN ||
	       err == -EBUSY || err == -EPERM || err == -ENETDOWN || err == -ERANGE ||
	       err == -EADDRNOTAVAIL;
}

/* The kernel applies a multi-VF RTM_SETLINK in order and stops at the first refusal: the
 * first written VF that still differs from what was sent is where it stopped. Sets *at (index
 * into w), *attr (the refused group) and *rest (the groups of that VF not yet applied). */
static int find_refused(const struct plan_action *a, struct vfnl *nl, const struct vf_write *w,
                        size_t n, size_t *at, unsigned *attr, unsigned *rest)
{
	struct pf_vfs back;
	int r = vfnl_read(nl, a->ifindex, &back);

	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < n && r == -ENOENT; i++) {
		unsigned idx = w[i].cfg.index, bad;
		if (idx >= back.num_vf || !back.readable[idx]) {
			r = -EIO;
			break;
		}
		bad = vf_config_diff(&back.vfs[idx], &w[i].cfg, w[i].attrs);
		if (bad) {
			*at = i;
			*attr = vf_attr_first(bad);
			*rest = bad & ~*attr;
			r = 0;
		}
	}
	pf_vfs_free(&back);
	return r;
}

/* The daemon's write: isolation (VLAN, spoof check, MAC, trust, link state) for every VF
 * first, then rates, so a rate the driver refuses never leaves a VF without its VLAN. A
 * refused setting becomes pending and the rest is sent again; the step fails only when the
 * refusal cannot be pinned to one VF and setting. */
static int write_partial(const struct plan_action *a, struct vfnl *nl, const struct vf_write *w,
                         size_t n)
{
	static const unsigned phases[] = {VF_ATTR_ALL & ~VF_ATTR_RATE, VF_ATTR_RATE};
	struct vf_write *p = calloc(n ? n : 1, sizeof(*p));
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (size_t ph = 0; ph < ARRAY_SIZE(phases) && r == 0; ph++) {
		size_t m = 0, off = 0;
		for (size_t i = 0; i < n; i++)
			if (w[i].attrs & phases[ph]) {
				p[m] = w[i];
				p[m++].attrs &= phases[ph];
			}
		/* As for the CLI: an admin-up PF reset by a VF count change gets its link back in
		 * a second or two; an admin-down one is not waited for (its rates are pending). */
		if (m && phases[ph] == VF_ATTR_RATE)
			wait_link_for_rates(a);
		while (off < m) {
			size_t at;
			unsigned attr, rest;
			int e = vfnl_write(nl, a->ifindex, p + off, m - off);
			if (e == 0)
				break;
			if (!is_refusal(e) ||
			    find_refused(a, nl, p + off, m - off, &at, &attr, &rest) < 0) {
				log_error("%s (%s): setting VFs failed: %s (not pinned to one VF "
				          "and setting)",
				          a->addr, a->ifname, strerror(-e));
				r = e;
				break;
			}
			pending_add(a, &p[off + at].cfg, attr, e);
			off += at;
			p[off].attrs = rest;
			if (!rest)
				off++;
		}
	}
	free(p);
	return r;
}

/* old's record of VF vf of PF addr when this plan gives it back (next holds it no more). */
static const struct state_alloc *restored_alloc(const struct apply_ctx *c, const char *addr,
                                                unsigned vf)
{
	const struct state_alloc *o = NULL;

	for (size_t i = 0; c->old && i < c->old->n && !o; i++)
		if (strcmp(c->old->allocs[i].pf_addr, addr) == 0 && c->old->allocs[i].vf == vf)
			o = &c->old->allocs[i];
	for (size_t i = 0; o && c->next && i < c->next->n; i++) {
		const struct state_alloc *al = &c->next->allocs[i];
		if (!al->releasing && strcmp(al->pf_addr, addr) == 0 && al->vf == vf)
			return NULL;
	}
	return o;
}

/* A restore's rate that the driver cannot take now (igb refuses every rate, 0 too, while the
 * PF's link is down) must not fail the release: the VF goes back without it and its record
 * stays, releasing, until a later run (the daemon once the link is back, or any command) sets
 * it. Returns attrs without the rate when it waits; the record is kept in c. *down caches
 * whether the PF's link is down for the step. */
static unsigned defer_restore_rate(const struct plan_action *a, struct apply_ctx *c,
                                   const struct vf_config *want, unsigned attrs, int *down)
{
	const struct sriov_driver *drv = sriov_driver_find(a->driver);
	const struct state_alloc *o;
	struct state_alloc *k;

	if (!(attrs & VF_ATTR_RATE) || !drv || !drv->rate_needs_link || !c->next ||
	    !(o = restored_alloc(c, a->addr, want->index)))
		return attrs;
	/* Once per step (*down: -1 not read yet): a PF reset just now has its link back within
	 * seconds, and the wait is not repeated for each VF. */
	if (*down < 0) {
		wait_link_for_rates(a);
		*down = apply_link_down(a->addr, a->ifindex);
	}
	if (!*down)
		return attrs;
	for (size_t i = 0; i < c->n_kept; i++)
		if (strcmp(c->kept[i].pf_addr, a->addr) == 0 && c->kept[i].vf == want->index)
			return attrs & ~VF_ATTR_RATE;
	k = ARRAY_APPEND(c->kept, c->n_kept, c->cap_kept);
	if (!k)
		return attrs; /* then the write fails as before and the release rolls back */
	*k = *o;
	k->releasing = true;
	log_warn("%s (%s) vf %u: max_tx_rate %u waits for %s's link (%s refuses rates while it is "
	         "down); the VF's record stays as releasing, and the daemon or the next vfmgr "
	         "command sets it",
	         a->addr, a->ifname, want->index, want->max_rate, a->ifname, drv->name);
	return attrs & ~VF_ATTR_RATE;
}

static int run_set_vfs(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u)
{
	struct vfnl *nl = c->nl;
	struct state *next = c->next;
	bool *state_changed = &c->state_changed;
	int link_down = -1;
	struct pf_vfs now, back;
	struct vf_write *w = calloc(a->n_vfs ? a->n_vfs : 1, sizeof(*w));
	size_t n = 0;
	int r;

	u->writes = calloc(a->n_vfs ? a->n_vfs : 1, sizeof(*u->writes));
	if (!w || !u->writes) {
		free(w);
		return -ENOMEM;
	}
	r = vfnl_read(nl, a->ifindex, &now);
	if (r < 0) {
		log_error("%s (%s): read VF settings: %s", a->addr, a->ifname, strerror(-r));
		free(w);
		return r;
	}
	if (save_fresh(next, a->addr, &now)) {
		*state_changed = true;
		r = apply_record_state(c);
		if (r < 0) {
			pf_vfs_free(&now);
			free(w);
			return r;
		}
	}
	for (size_t i = 0; i < a->n_vfs; i++) {
		const struct plan_vf *v = &a->vfs[i];
		unsigned idx = v->want.cfg.index, attrs = v->want.attrs;
		bool readable = idx < now.num_vf && now.readable[idx];

		if (readable)
			attrs = vf_config_diff(&now.vfs[idx], &v->want.cfg, VF_ATTR_ALL);
		attrs = defer_restore_rate(a, c, &v->want.cfg, attrs, &link_down);
		if (!attrs)
			continue;
		w[n].cfg = v->want.cfg;
		w[n].attrs = attrs;
		if (readable) {
			u->writes[u->n].cfg = now.vfs[idx];
			/* The kernel takes min and max together: the undo keeps both. */
			u->writes[u->n].attrs = attrs;
			u->n++;
		}
		n++;
	}
	/* A VF count changed by an earlier (possibly interrupted) run resets igb, whose link is
	 * then down for a second; rate limits are refused until it is back. */
	for (size_t i = 0; i < n && !partial; i++)
		if (w[i].attrs & VF_ATTR_RATE) {
			wait_link_for_rates(a);
			break;
		}
	if (partial)
		r = n ? write_partial(a, nl, w, n) : 0;
	else
		r = n ? write_vfs(a, nl, w, n) : 0;
	if (r < 0 && !partial && vfnl_read(nl, a->ifindex, &back) == 0) {
		/* The kernel stopped at the first failing VF attribute: find it. */
		describe_failure(a, &back, w, n, r);
		pf_vfs_free(&back);
	}
	if (r < 0) {
		/* Undo what got through before the refusal. */
		int k = u->n ? write_vfs(a, nl, u->writes, u->n) : 0;
		if (k < 0)
			log_error("%s (%s): putting back the VFs of the failed step: %s", a->addr,
			          a->ifname, strerror(-k));
		u->dirty = k < 0;
		u->n = 0;
	} else if (n) {
		log_info("%s (%s): set %zu VF%s in one message", a->addr, a->ifname, n,
		         n == 1 ? "" : "s");
	}
	pf_vfs_free(&now);
	free(w);
	return r;
}

/* A VF made by this apply gets its address and first driver recorded now. */
static bool record_vf_driver(struct state *next, const struct plan_action *a, const char *dev,
                             const char *driver)
{
	bool changed = false;

	if (!next)
		return false;
	for (size_t i = 0; i < next->n; i++) {
		struct state_alloc *al = &next->allocs[i];
		if (al->releasing || strcmp(al->pf_addr, a->addr) != 0 || al->vf != a->vf)
			continue;
		if (strcmp(al->vf_addr, dev) != 0) {
			str_copy(al->vf_addr, sizeof(al->vf_addr), dev);
			changed = true;
		}
		if (!al->driver_known) {
			al->driver_known = true;
			str_copy(al->driver_before, sizeof(al->driver_before), driver);
			changed = true;
		}
	}
	return changed;
}

static int run_vfio_bind(const struct plan_action *a, struct apply_undo *u, struct apply_ctx *c)
{
	char why[320];
	int r;

	if (a->dev[0])
		str_copy(u->dev, sizeof(u->dev), a->dev);
	else if ((r = sysfs_read_link_name(u->dev, sizeof(u->dev),
	                                   "/sys/bus/pci/devices/%s/virtfn%u", a->addr, a->vf)) <
	         0) {
		log_error("%s: VF %u not found: %s", a->addr, a->vf, strerror(-r));
		return r;
	}
	r = vfio_current_driver(u->dev, u->driver, sizeof(u->driver));
	if (r < 0)
		return r;
	if (a->is_vf &&
	    record_vf_driver(c->next, a, u->dev, strcmp(u->driver, VFIO_DRIVER) ? u->driver : "")) {
		c->state_changed = true;
		r = apply_record_state(c);
		if (r < 0)
			return r;
	}
	if (strcmp(u->driver, VFIO_DRIVER) == 0)
		return 0;
	/* A VF made by this apply could not be checked at plan time. */
	if (!a->dev[0] && iommu_group_viable(u->dev, NULL, 0, why, sizeof(why)) == -EBUSY) {
		log_error("%s: %s", u->dev, why);
		return -EBUSY;
	}
	r = vfio_load_driver(why, sizeof(why));
	if (r > 0)
		log_notice("%s: loaded the vfio-pci driver (modprobe vfio-pci)", u->dev);
	if (r >= 0)
		r = vfio_bind(u->dev, &u->dirty, why, sizeof(why));
	if (r < 0)
		return leaf_failed(u->dev, r, why);
	u->did = true;
	log_notice("%s: bound to vfio-pci for vm %s (was %s)", u->dev, a->vm,
	           u->driver[0] ? u->driver : "driverless");
	return 0;
}

static int run_vfio_restore(const struct plan_action *a, struct apply_undo *u)
{
	char why[320], again[320];
	int r = vfio_restore(a->dev, a->host_driver, &u->dirty, why, sizeof(why));

	if (r < 0)
		leaf_failed(a->dev, r, why);
	/* Off vfio-pci but not on its driver: back to vfio-pci, where the VM can have it. */
	if (r < 0 && u->dirty && r != -ETIMEDOUT) {
		bool still;
		int e = vfio_bind(a->dev, &still, again, sizeof(again));
		if (e == 0 || !still)
			u->dirty = false;
		if (e < 0)
			leaf_failed(a->dev, e, again);
	}
	if (r < 0)
		return r;
	str_copy(u->dev, sizeof(u->dev), a->dev);
	u->did = true;
	log_notice("%s: back from vm %s to %s", a->dev, a->vm,
	           a->host_driver[0] ? a->host_driver : "no driver");
	return 0;
}

int apply_run_numvfs(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u)
{
	char why[320];
	int r = sriov_set_numvfs(a->bus, a->addr, a->ifindex, a->from, a->to, &u->dirty, why,
	                         sizeof(why));

	(void)c;
	if (r == 0) {
		log_notice("%s: numvfs %u (was %u)", a->addr, a->to, a->from);
		return 0;
	}
	leaf_failed(a->addr, r, why);
	/* Half way and back to the old count: the reset rebuilt RSS, put it back too. */
	if (!u->dirty && a->from && a->to && a->rss &&
	    apply_rss_restore(a->ifname, &a->rss->before) < 0)
		u->dirty = true;
	return r;
}

/* Drivers rebuild RSS when VFs come and go (igb resets channels and table): after the VF
 * count is back, so is the RSS the snapshot had. */
int apply_undo_numvfs(const struct plan_action *a, struct apply_ctx *c, const struct apply_undo *u)
{
	char why[320];
	bool dirty;
	int r =
	    sriov_set_numvfs(a->bus, a->addr, a->ifindex, a->to, a->from, &dirty, why, sizeof(why));

	(void)c;
	(void)u;
	if (r < 0)
		return leaf_failed(a->addr, r, why);
	if (a->rss)
		r = apply_rss_restore(a->ifname, &a->rss->before);
	return r;
}

int apply_run_vfs(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u)
{
	return run_set_vfs(a, c, u);
}

int apply_undo_vfs(const struct plan_action *a, struct apply_ctx *c, const struct apply_undo *u)
{
	return u->n ? write_vfs(a, c->nl, u->writes, u->n) : 0;
}

int apply_run_vfio_bind(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u)
{
	return run_vfio_bind(a, u, c);
}

/* Undoes a bind or a restore that was done: the device goes back to vfio-pci (to_vfio) or to
 * the driver it had. */
static int undo_vfio(const struct apply_undo *u, bool to_vfio)
{
	char why[320];
	bool dirty;
	int r;

	if (!u->did)
		return 0;
	r = to_vfio ? vfio_bind(u->dev, &dirty, why, sizeof(why))
	            : vfio_restore(u->dev, u->driver, &dirty, why, sizeof(why));
	return leaf_failed(u->dev, r, why);
}

int apply_undo_vfio_bind(const struct plan_action *a, struct apply_ctx *c,
                         const struct apply_undo *u)
{
	(void)a;
	(void)c;
	return undo_vfio(u, false);
}

int apply_run_vfio_restore(const struct plan_action *a, struct apply_ctx *c, struct apply_undo *u)
{
	(void)c;
	return run_vfio_restore(a, u);
}

int apply_undo_vfio_restore(const struct plan_action *a, struct apply_ctx *c,
                            const struct apply_undo *u)
{
	(void)a;
	(void)c;
	return undo_vfio(u, true);
}

static void describe_step(const struct plan_action *a, size_t k, const char *what)
{
	char step[160];

	plan_step_name(a, step, sizeof(step));
	log_error("step %zu (%s) %s", k + 1, step, what);
}

/* The state file: put back as it was (had: there was one), or rewritten with the plan's. */
static int state_put_back(const char *state_file, bool had, const struct state *old)
{
	int e = had ? state_save(state_file, old) : (unlink(state_file) < 0 ? -errno : 0);

	if (e < 0)
		log_error("%s: cannot put back the state file: %s", state_file, strerror(-e));
	return e;
}

/* The state after the last step: next, and the records whose restore still waits. */
static int save_final(const char *state_file, const struct state *next, const struct apply_ctx *c)
{
	_cleanup_state_ struct state s = {0};
	int r;

	if (!c->n_kept)
		return state_save(state_file, next);
	r = state_copy(&s, next);
	for (size_t i = 0; r == 0 && i < c->n_kept; i++) {
		struct state_alloc *a = ARRAY_APPEND(s.allocs, s.n, s.cap);
		if (!a)
			r = -ENOMEM;
		else
			*a = c->kept[i];
	}
	return r < 0 ? r : state_save(state_file, &s);
}

int apply_plan_report(struct plan *pl, struct vfnl *nl, const char *state_file,
                      const struct state *old, struct apply_report *rep)
{
	struct apply_undo *undos = calloc(pl->n ? pl->n : 1, sizeof(*undos));
	struct apply_ctx c = {
	    .nl = nl, .next = state_file ? &pl->next : NULL, .state_file = state_file, .old = old};
	size_t done = 0;
	bool had_state = false, releases = false, stopped = false;
	int r = 0, rb = 0;

	if (rep)
		*rep = (struct apply_report){.failed = pl->n};
	if (!undos)
		return -ENOMEM;
	/* Converged: not even the state file is rewritten. */
	if (pl->n == 0 && (!state_file || state_equal(&pl->next, old))) {
		free(undos);
		return 0;
	}
	/* A rollback puts back exactly what was there, including no file at all. */
	if (state_file) {
		had_state = access(state_file, F_OK) == 0;
		_cleanup_state_ struct state intent = {0};
		r = state_with_releasing(&intent, &pl->next, old);
		releases = r == 0 && (intent.n != pl->next.n || intent.n_pts != pl->next.n_pts);
		if (r == 0)
			r = state_save(state_file, &intent);
	}
	if (r < 0) {
		log_error("%s: cannot write the state file: %s; nothing was changed", state_file,
		          strerror(-r));
		free(undos);
		return r;
	}
	for (; done < pl->n; done++) {
		struct plan_action *a = &pl->actions[done];
		refresh_ifname(a);
		r = fault_before_step(done);
		if (r == 0)
			r = plan_step_kind(a)->run(a, &c, &undos[done]);
		if (r < 0) {
			describe_step(a, done,
			              undos[done].dirty ? "failed half way and could not put back "
			                                  "what it had changed"
			                                : "failed");
			free(undos[done].writes);
			free(undos[done].rss);
			break;
		}
		if (apply_stop_signal) { /* finish the running step, then undo them all */
			log_error("%s during step %zu of %zu: rolling back",
			          strsignal(apply_stop_signal), done + 1, pl->n);
			done++;
			r = -EINTR;
			break;
		}
		int sig = done + 1 < pl->n ? stop_waiting() : 0;
		if (sig) {
			/* The daemon is being stopped: it stops between steps, within the unit's
			 * stop timeout, and leaves the rest on record for the next run. */
			log_warn("%s: stopping after step %zu of %zu; the state file records the "
			         "rest, which the next run does",
			         strsignal(sig), done + 1, pl->n);
			stopped = true;
			done++;
			break;
		}
	}
	/* The test build can stop here too: every step done, the releases not yet dropped. */
	if (r == 0 && !stopped)
		r = fault_before_step(pl->n);
	if (rep)
		rep->failed = r < 0 ? done : pl->n;
	if (r < 0) {
		/* Reverse order: settings before the VF counts they depend on. */
		for (size_t k = done; k-- > 0;) {
			struct plan_action *a = &pl->actions[k];
			refresh_ifname(a);
			int e = plan_step_kind(a)->undo(a, &c, &undos[k]);
			if (e < 0) {
				describe_step(a, k, "could not be undone");
				rb = e;
			} else if (r == -EINTR) {
				describe_step(a, k, "undone");
			}
		}
		int e = state_file ? state_put_back(state_file, had_state, old) : 0;
		/* Each step puts back its own partial changes before it returns its error;
		 * dirty says it could not. After a signal every step ran whole (and done may be
		 * pl->n). */
		bool dirty = r != -EINTR && done < pl->n && undos[done].dirty;
		if (rep)
			rep->rolled_back = rb == 0 && e == 0 && !dirty;
		if (rb == 0 && e == 0 && r == -EINTR)
			log_error("rolled back: %zu step%s undone; the host is as it was before",
			          done, done == 1 ? "" : "s");
		else if (rb == 0 && e == 0 && !dirty)
			log_error(
			    "rolled back: the failed step left nothing changed and %zu earlier "
			    "step%s undone; the host is as it was before",
			    done, done == 1 ? "" : "s");
		else
			log_error("rollback incomplete: compare `vfmgr status` with the policy");
	}
	if (stopped) {
		r = -EINTR;
		if (rep)
			rep->failed = done;
	}
	/* Only now, every restore done, do the released records leave the file. */
	if (r == 0 && (c.state_changed || releases || c.n_kept) && state_file) {
		r = save_final(state_file, &pl->next, &c);
		if (r < 0)
			log_error(
			    "%s: cannot write the state file after the last step: %s; the next "
			    "run finishes what it records",
			    state_file, strerror(-r));
	}
	for (size_t k = 0; k < done; k++) {
		free(undos[k].writes);
		free(undos[k].rss);
	}
	free(undos);
	free(c.kept);
	return r;
}

int apply_plan(struct plan *pl, struct vfnl *nl, const char *state_file, const struct state *old)
{
	return apply_plan_report(pl, nl, state_file, old, NULL);
}

int apply_plan_partial(struct plan *pl, struct vfnl *nl, const char *state_file,
                       const struct state *old, struct apply_pending *pend,
                       struct apply_report *rep)
{
	int r;

	partial = pend;
	r = apply_plan_report(pl, nl, state_file, old, rep);
	partial = NULL;
	return r;
}

void apply_pending_free(struct apply_pending *p)
{
	free(p->items);
	memset(p, 0, sizeof(*p));
}

const struct vf_pending *apply_pending_find(const struct apply_pending *pend, const char *pf,
                                            unsigned vf, size_t *from)
{
	for (size_t i = from ? *from : 0; pend && i < pend->n; i++)
		if (strcmp(pend->items[i].pf_addr, pf) == 0 && pend->items[i].vf == vf) {
			if (from)
				*from = i + 1;
			return &pend->items[i];
		}
	return NULL;
}
