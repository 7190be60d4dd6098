/* vfmgr daemon: one epoll loop over udev, rtnetlink, signals, the control socket and a
 * quiet-time timer. Idle means asleep in epoll_wait: no timer is armed without an event. */
#include "vfmgr/apply.h"
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/cmd-daemon-client.h"
#include "vfmgr/daemon.h"
#include "vfmgr/metrics.h"
#include "vfmgr/plan.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/strcopy.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The sd_notify protocol is one datagram to $NOTIFY_SOCKET; systemd documents it as stable,
 * so no libsystemd is linked for it. */
static void notify_systemd(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	size_t len;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
		return;
	len = strlen(path);
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	                     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		log_warn("sd_notify %s: %s", path, strerror(errno));
}

static void arm_timer(struct daemon *d, uint64_t at_ns)
{
	struct itimerspec its = {
	    .it_value = {.tv_sec = (time_t)(at_ns / 1000000000u),
	                 .tv_nsec = (long)(at_ns % 1000000000u)},
	};

	if (d->timer.fd < 0) /* not open yet: the first pass runs right after start */
		return;
	if (timerfd_settime(d->timer.fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_error("timerfd: %s", strerror(errno));
}

void daemon_schedule_reconcile(struct daemon *d, const char *subject, bool external,
                               const char *why)
{
	uint64_t now = now_ns(), at;

	d->n_events++;
	d->last_event_ns = now;
	if (external)
		d->streak = 0;
	else if (d->streak >= DAEMON_MAX_STREAK)
		return; /* held: see DAEMON_MAX_STREAK */
	log_info("%s: %s", subject, why);
	if (d->urgent)
		return;       /* the timer fires at once already: see daemon_schedule_now */
	d->immediate = false; /* a burst: coalesce it */
	if (!d->pending) {
		d->pending = true;
		d->first_event_ns = now;
	}
	at = now + DAEMON_QUIET_MS * 1000000ull;
	if (at > d->first_event_ns + DAEMON_MAX_WAIT_MS * 1000000ull)
		at = d->first_event_ns + DAEMON_MAX_WAIT_MS * 1000000ull;
	arm_timer(d, at);
}

/* Arms the timer to fire at once; hold keeps it so against the events that follow. */
static void fire_now(struct daemon *d, uint64_t now, bool hold)
{
	d->n_events++;
	d->last_event_ns = now;
	if (!d->pending) {
		d->pending = true;
		d->first_event_ns = now;
	}
	d->immediate = true;
	d->urgent = d->urgent || hold;
	arm_timer(d, now);
}

void daemon_mark_drift(struct daemon *d, const char *pf, const char *why)
{
	uint64_t now = now_ns();
	bool quiet = now - d->last_event_ns >= DAEMON_QUIET_MS * 1000000ull;

	if (!(d->immediate || (!d->pending && quiet)) || d->streak >= DAEMON_MAX_STREAK) {
		daemon_schedule_reconcile(d, pf, false, why);
		return;
	}
	/* One hand-made change sends one notification: heal it now, not after the quiet time.
	 * A burst that starts like this is coalesced by the events that follow. */
	log_info("%s: %s (first event after quiet: at once)", pf, why);
	fire_now(d, now, false);
}

void daemon_schedule_now(struct daemon *d, const char *subject, const char *why)
{
	d->streak = 0;
	log_info("%s: %s (a policy PF is back: at once)", subject, why);
	fire_now(d, now_ns(), true);
}

const char *daemon_watched_pf(const struct daemon *d, const char *addr)
{
	for (size_t i = 0; i < d->n_watch; i++)
		if (strcmp(d->watch[i].addr, addr) == 0)
			return d->watch[i].pf;
	return NULL;
}

const char *daemon_watched_pf_by_ifindex(const struct daemon *d, int ifindex)
{
	for (size_t i = 0; i < d->n_watch; i++)
		if (ifindex > 0 && d->watch[i].ifindex == ifindex)
			return d->watch[i].pf;
	return NULL;
}

static int watch_add(struct daemon *d, const char *addr, const char *pf, int ifindex)
{
	struct watch *w = ARRAY_APPEND(d->watch, d->n_watch, d->cap_watch);

	if (!w)
		return -ENOMEM;
	str_copy(w->addr, sizeof(w->addr), addr);
	str_copy(w->pf, sizeof(w->pf), pf);
	w->ifindex = ifindex;
	return 0;
}

/* Remembers the policy PFs as observed, their netdevs and VFs, to map events to PFs. match is
 * the pass's plan's (NULL when it failed: matched here then). */
static void watch_update(struct daemon *d, const struct host *h, const size_t *match)
{
	size_t *own = NULL;
	const size_t *pf_nic = match;
	struct policy_diags scratch;

	d->n_watch = 0;
	d->n_pfs_absent = d->policy->n_pfs;
	if (!pf_nic) {
		own = calloc(d->policy->n_pfs ? d->policy->n_pfs : 1, sizeof(*own));
		if (!own)
			return;
		policy_diags_init(&scratch);
		pfmatch_resolve(d->policy, h, own, &scratch, true);
		policy_diags_free(&scratch);
		pf_nic = own;
	}
	for (size_t i = 0; i < d->policy->n_pfs; i++) {
		if (pf_nic[i] == NO_INDEX)
			continue;
		const struct nic *n = &h->nics[pf_nic[i]];
		if (n->driver[0])
			d->n_pfs_absent--;
		for (size_t k = 0; k < n->n_netdevs; k++)
			watch_add(d, n->addr, n->addr, n->netdevs[k].ifindex);
		if (n->n_netdevs == 0)
			watch_add(d, n->addr, n->addr, 0);
		for (size_t k = 0; k < n->n_vfs; k++)
			if (n->vfs[k].addr[0])
				watch_add(d, n->vfs[k].addr, n->addr, 0);
	}
	free(own);
}

void daemon_diags_init(const struct daemon *d, struct policy_diags *diags)
{
	policy_diags_init(diags);
	diags->file = strdup(d->policy->file);
}

/* Plan errors are logged when they change, so a PF that stays absent is reported once. */
static void log_plan_failure(struct daemon *d, const struct policy_diags *diags, int r)
{
	char first[512] = "";

	if (diags->n > 0)
		policy_diag_format(diags, &diags->items[0], first, sizeof(first));
	else
		snprintf(first, sizeof(first), "%s", strerror(-r));
	if (strcmp(first, d->last_error) == 0 || d->waiting_pfs) {
		log_debug("still cannot plan: %s", first);
		return;
	}
	str_copy(d->last_error, sizeof(d->last_error), first);
	context_log_diags(diags);
	log_warn("%s: cannot plan; nothing changed, waiting for the next device event",
	         d->policy_file);
}

/* One log line per change, as `vfmgr plan` prints it (the PF's address names the device).
 * Returns the plan's text (malloc'd) or NULL. */
static char *log_plan(const struct plan *pl, FILE *out)
{
	char *text = NULL, *copy, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	plan_print(pl, f);
	fclose(f);
	if (out)
		fputs(text, out);
	copy = strdup(text);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_notice("change: %s", line);
	free(copy);
	return text;
}

/* The same changes planned again right after they were applied did not stick (or keep
 * failing); new drift plans different changes and starts the count again. */
static void count_streak(struct daemon *d, char *text)
{
	d->streak = text && d->last_plan && strcmp(text, d->last_plan) == 0 ? d->streak + 1 : 1;
	free(d->last_plan);
	d->last_plan = text;
	if (d->streak == DAEMON_MAX_STREAK)
		log_error("the same changes were applied %u times in a row and did not hold; "
		          "ignoring link events until a hotplug, 'systemctl reload vfmgr' or "
		          "'vfmgr apply'",
		          d->streak);
}

/* With json (vfmgr apply --json through the daemon), out gets apply's summary instead of the
 * plan's lines, under the allow in force: the same object a local apply prints. */
static void print_summary(const struct reconcile_opts *o, const struct plan *pl, int r,
                          size_t refused, const struct apply_report *rep)
{
	if (o->out && o->json &&
	    cmd_json_print(apply_summary_json(pl, o->allow, r == 0, refused, rep), o->out) < 0)
		log_error("out of memory writing the apply summary");
}

/* An upper bound, in seconds, on applying pl: each step's own bounds (a sysfs write a driver
 * can block in: sriov_numvfs 60 s, unbind and drivers_probe 10 s each; the wait for a PF's
 * carrier before TX rates: 10 s) and some slack for the reads around them. */
static unsigned plan_time_bound_s(const struct plan *pl)
{
	static const unsigned step_s[PLAN_KIND_COUNT] = {
	    [PLAN_SET_NUMVFS] = 75,   [PLAN_SET_VFS] = 15,     [PLAN_VFIO_BIND] = 25,
	    [PLAN_VFIO_RESTORE] = 25, [PLAN_RSS_CHANNELS] = 5, [PLAN_RSS_TABLE] = 5,
	    [PLAN_RSS_KEY] = 5,       [PLAN_RSS_HFUNC] = 5,    [PLAN_RSS_IRQ] = 5,
	};
	unsigned s = 10;

	for (size_t i = 0; i < pl->n; i++)
		s += (unsigned)pl->actions[i].kind < PLAN_KIND_COUNT ? step_s[pl->actions[i].kind]
		                                                     : 60;
	/* A failure undoes every step done, which takes as long again. */
	return 2 * s;
}

/* Nothing but VF settings (one RTM_SETLINK per PF, written against a fresh read of its VFs):
 * with the same allocations, nothing on the PCI bus changes, nor does any decision rest on what
 * only the PCI scan says (drivers, IOMMU groups, which VFs a VM may take). */
static bool plan_only_vf_settings(const struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->actions[i].kind != PLAN_SET_VFS)
			return false;
	return true;
}

/* reused: ctx->host's PCI functions came from d->pci_scan. A plan from them that needs more
 * than VF settings returns -ESTALE before anything is done or logged, to be made again from a
 * whole read. *scan_ok: the PCI functions are still as ctx->host has them afterwards. */
static int plan_and_apply(struct daemon *d, struct context *ctx, const struct reconcile_opts *o,
                          bool reused, bool *scan_ok)
{
	FILE *out = o->out;
	bool json = o->json;
	struct apply_report rep = {0};
	struct policy_diags diags;
	_cleanup_plan_ struct plan pl = {0};
	uint64_t t0 = now_ns();
	int r;

	*scan_ok = false;
	daemon_diags_init(d, &diags);
	r = plan_build(d->policy, &ctx->host, &ctx->state, &pl, &diags,
	               PLAN_ALLOW_ABSENT | PLAN_DRIVER_WARN);
	/* pending_hold below takes steps out of pl, never changes pl.next. */
	bool same_state = r == 0 && state_equal(&pl.next, &ctx->state);
	bool vf_only = same_state && plan_only_vf_settings(&pl);
	if (reused && !vf_only) {
		policy_diags_free(&diags);
		return -ESTALE;
	}
	watch_update(d, &ctx->host, r == 0 ? pl.pf_match : NULL);
	d->plan_ok = r == 0;
	if (r < 0) {
		log_plan_failure(d, &diags, r);
		if (out && !json)
			fprintf(out, "cannot plan: %s\n", d->last_error);
		policy_diags_free(&diags);
		return r;
	}
	/* Warnings (a policy PF that is absent) are logged when they change, like errors. */
	if (diags.n > 0) {
		char first[512];
		policy_diag_format(&diags, &diags.items[0], first, sizeof(first));
		if (strcmp(first, d->last_error) != 0)
			context_log_diags(&diags);
		str_copy(d->last_error, sizeof(d->last_error), first);
	} else {
		d->last_error[0] = '\0';
	}
	policy_diags_free(&diags);
	/* Settings the driver refused in a state that has not changed are not tried again. */
	struct apply_pending before = {0};
	pending_merge(&before, &d->pend); /* what was pending, to count repeated refusals */
	size_t held = pending_hold(&d->pend, &pl, &ctx->host);
	if (pl.n == 0 && same_state) {
		log_debug("converged: nothing to change%s", held ? " (settings pending)" : "");
		d->streak = 0;
		free(d->last_plan);
		d->last_plan = NULL;
		apply_pending_free(&before);
		print_summary(o, &pl, 0, pl.n, &rep);
		*scan_ok = vf_only;
		return 0;
	}
	/* A limit the client set binds here as in its own apply: nothing is written. */
	size_t refused = pl.n;
	if (plan_first_above(&pl, o->allow) < pl.n) {
		if (out && !json)
			plan_print(&pl, out);
		apply_gate(&pl, o->allow, o->policy_name ? o->policy_name : d->policy_file,
		           &refused);
		print_summary(o, &pl, -EPERM, refused, &rep);
		metrics_record_apply(false, pl.n, false); /* a client's apply, not a heal */
		apply_pending_free(&before);
		return -EPERM;
	}
	if (o->progress)
		o->progress(o->progress_arg, plan_time_bound_s(&pl));
	if (pl.n > 0)
		count_streak(d, log_plan(&pl, json ? NULL : out));
	else
		log_info(
		    "the state file differs from the plan's; rewriting it (no device changes)");
	d->n_applies++;
	struct apply_pending fresh = {0};
	r = apply_plan_partial(&pl, ctx->nl, ctx->state_file, &ctx->state, &fresh, &rep);
	print_summary(o, &pl, r, pl.n, &rep);
	/* vfmgr_daemon_heals_total counts the daemon's own passes; a forwarded apply is the
	 * client's, as it would be run locally. */
	metrics_record_apply(r == 0, pl.n, !o->out);
	pending_count_tries(&fresh, &before);
	apply_pending_free(&before);
	if (r == 0 && pending_merge(&d->pend, &fresh) < 0)
		log_error("out of memory: settings pending on this host are not listed");
	if (r == 0)
		log_notice("applied %zu step%s in %llu ms (%llu ms after the first event)%s", pl.n,
		           pl.n == 1 ? "" : "s", (unsigned long long)((now_ns() - t0) / 1000000),
		           (unsigned long long)((now_ns() - d->first_event_ns) / 1000000),
		           fresh.n ? "; some VF settings pending (vfmgr status)" : "");
	apply_pending_free(&fresh);
	/* The link notifications of our own writes are queued now: drop them, and check the
	 * result once more after the quiet time instead (that pass is read-only if it held). */
	events_drain_rtnl(d);
	for (size_t i = 0; i < d->n_watch; i++)
		if (strcmp(d->watch[i].addr, d->watch[i].pf) == 0)
			daemon_schedule_reconcile(d, d->watch[i].pf, false, "verify the apply");
	*scan_ok = vf_only && r == 0;
	return r;
}

void daemon_forget_pci_scan(struct daemon *d)
{
	host_free(&d->pci_scan);
	d->pci_scan_ok = false;
}

/* One observe -> plan -> apply pass; reused as plan_and_apply takes it. */
static int reconcile_once(struct daemon *d, struct context *ctx, const struct reconcile_opts *o,
                          bool reuse)
{
	struct load_opts lo = {.state_file = d->state_file,
	                       .lock = true,
	                       .lock_wait_ms = o->lock_wait_ms,
	                       .pci = reuse ? &d->pci_scan : NULL};
	bool scan_ok = false;
	int r;

	if (!reuse) /* this pass's whole read replaces it */
		daemon_forget_pci_scan(d);
	uint64_t t0 = now_ns();
	r = context_open(ctx, &lo);
	log_debug("observed the host in %llu ms%s", (unsigned long long)((now_ns() - t0) / 1000000),
	          reuse ? " (PCI functions from the last scan)" : "");
	if (r < 0)
		return r;
	/* VFs made or removed since the scan, their udev events not here yet. */
	if (reuse && !host_vf_counts_match(&ctx->host))
		return -ESTALE;
	r = plan_and_apply(d, ctx, o, reuse, &scan_ok);
	if (r == -ESTALE)
		return r;
	if (!reuse && scan_ok)
		d->pci_scan_ok = host_copy_pci(&d->pci_scan, &ctx->host) == 0;
	else if (reuse && !scan_ok)
		daemon_forget_pci_scan(d);
	return r;
}

/* The lock is the CLI's too: while a CLI applies, try again after the quiet time, then twice
 * as long each time up to DAEMON_LOCK_BACKOFF_MAX_MS; said once, not at every try. */
static void retry_lock_later(struct daemon *d)
{
	uint64_t now = now_ns();

	if (d->lock_backoff_ms == 0)
		log_notice("another vfmgr holds the lock (%s/lock); retrying when it is done (at "
		           "most %u s apart)",
		           run_dir(), DAEMON_LOCK_BACKOFF_MAX_MS / 1000);
	d->lock_backoff_ms = d->lock_backoff_ms ? d->lock_backoff_ms * 2 : DAEMON_QUIET_MS;
	if (d->lock_backoff_ms > DAEMON_LOCK_BACKOFF_MAX_MS)
		d->lock_backoff_ms = DAEMON_LOCK_BACKOFF_MAX_MS;
	log_debug("lock busy: next try in %u ms", d->lock_backoff_ms);
	if (!d->pending) {
		d->pending = true;
		d->first_event_ns = now;
	}
	d->immediate = false;
	arm_timer(d, now + d->lock_backoff_ms * 1000000ull);
}

int daemon_reconcile(struct daemon *d, const struct reconcile_opts *o)
{
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	int r;

	d->n_reconciles++;
	/* A pass after link drift alone reuses the last PCI scan: any pci uevent since forgets it
	 * (daemon_forget_pci_scan), and so does a plan that needs more than VF settings. An
	 * apply asked for through the socket (out) reads everything. */
	r = reconcile_once(d, &ctx, o, d->pci_scan_ok && !o->out);
	if (r == -ESTALE) {
		log_debug("the last PCI scan does not do for this pass: reading the whole host");
		context_free(&ctx);
		r = reconcile_once(d, &ctx, o, false);
	}
	if (r == -EWOULDBLOCK && o->lock_wait_ms == 0) {
		retry_lock_later(d);
		return r;
	}
	if (d->lock_backoff_ms && r != -EWOULDBLOCK) {
		log_notice("got the lock again");
		d->lock_backoff_ms = 0;
	}
	if (ctx.nl)
		metrics_daemon_update(d->policy, &ctx.host, &ctx.state); /* --metrics-file */
	return r;
}

int daemon_parse_policy(struct daemon *d, struct policy **p)
{
	struct policy_diags diags;
	int r;

	*p = NULL;
	policy_diags_init(&diags);
	r = policy_parse_file(d->policy_file, p, &diags);
	context_log_diags(&diags);
	if (r < 0) {
		char first[400] = "";
		size_t k = 0;
		while (k < diags.n && diags.items[k].severity != POLICY_ERROR)
			k++;
		if (k < diags.n)
			policy_diag_format(&diags, &diags.items[k], first, sizeof(first));
		else
			snprintf(first, sizeof(first), "%.300s: %.90s", d->policy_file,
			         strerror(-r));
		snprintf(d->reload_error, sizeof(d->reload_error), "%s", first);
		if (r != -EINVAL)
			log_error("%s: %s", d->policy_file, strerror(-r));
	}
	policy_diags_free(&diags);
	return r;
}

void daemon_adopt_policy(struct daemon *d, struct policy *p)
{
	policy_free(d->policy);
	d->policy = p;
	d->loaded_at = time(NULL);
	d->reload_error[0] = '\0';
	d->last_error[0] = '\0';
	pending_forget(&d->pend, NULL); /* a reload (or `vfmgr apply`) tries them all again */
	daemon_forget_pci_scan(d);
	log_notice("%s: policy loaded", d->policy_file);
}

int daemon_reload(struct daemon *d)
{
	struct policy *p = NULL;
	int r = daemon_parse_policy(d, &p);

	if (r < 0) {
		if (d->policy)
			log_error("%s: not reloaded; still running the policy loaded before",
			          d->policy_file);
		daemon_notify_status(d, "");
		return r;
	}
	daemon_adopt_policy(d, p);
	daemon_schedule_reconcile(d, "policy", true, "loaded");
	daemon_notify_status(d, "");
	return 0;
}

/* systemctl status shows this line: what the daemon keeps, which policy since when, what it
 * waits for and a reload it refused. */
void daemon_notify_status(struct daemon *d, const char *prefix)
{
	char msg[1400], since[64] = "?";
	struct tm tm;

	if (!d->policy)
		return;
	if (d->loaded_at && localtime_r(&d->loaded_at, &tm))
		strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S %Z", &tm);
	snprintf(msg, sizeof(msg),
	         "%sSTATUS=%zu of %zu policy PFs present; policy %.300s since %s%s%s%s%s", prefix,
	         d->policy->n_pfs - d->n_pfs_absent, d->policy->n_pfs, d->policy_file, since,
	         d->reload_error[0] ? "; reload refused: " : "", d->reload_error,
	         d->last_error[0] ? "; " : "", d->last_error);
	notify_systemd(msg);
}

static void on_timer(struct daemon *d)
{
	uint64_t expirations;

	if (read(d->timer.fd, &expirations, sizeof(expirations)) < 0)
		return;
	d->pending = false;
	d->immediate = false;
	d->urgent = false;
	daemon_reconcile(d, &RECONCILE_HEAL);
	d->last_event_ns = now_ns();
	daemon_notify_status(d, "");
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig.fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_notice("SIGHUP: reloading %s", d->policy_file);
			daemon_reload(d);
		} else {
			log_notice("%s: stopping", strsignal((int)si.ssi_signo));
			d->stop = true;
		}
	}
}

static int add_source(struct daemon *d, struct source *s)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0 ? -errno : 0;
}

static int take_daemon_lock(struct daemon *d)
{
	char path[PATH_MAX];

	/* Makes $VFMGR_RUN_DIR, waiting (bounded) for a CLI that holds the lock; released at
	 * once. */
	if (lock_take(&d->lock_fd, LOCK_WAIT_DEFAULT_MS) < 0)
		return -EBUSY;
	close(d->lock_fd);
	if (run_file_open("daemon.lock", &d->lock_fd, path, sizeof(path)) < 0)
		return -EBUSY;
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		log_error("%s: %s", path,
		          errno == EWOULDBLOCK ? "another vfmgr daemon runs" : strerror(errno));
		return -EBUSY;
	}
	return 0;
}

static int daemon_open(struct daemon *d)
{
	sigset_t mask;
	int r;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGQUIT); /* as SIGTERM: no core dump half way through a step */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig = (struct source){.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK),
	                         .ready = on_signal};
	d->timer = (struct source){
	    .fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), .ready = on_timer};
	if (d->epfd < 0 || d->sig.fd < 0 || d->timer.fd < 0) {
		log_error("epoll/signalfd/timerfd: %s", strerror(errno));
		return -errno;
	}
	r = take_daemon_lock(d);
	if (r == 0)
		r = events_open(d);
	if (r == 0)
		r = ctl_listen(d);
	if (r == 0)
		r = add_source(d, &d->sig);
	if (r == 0)
		r = add_source(d, &d->timer);
	if (r == 0)
		r = add_source(d, &d->udev);
	if (r == 0)
		r = add_source(d, &d->rtnl);
	if (r == 0)
		r = add_source(d, &d->ctl);
	return r;
}

static void daemon_close(struct daemon *d)
{
	int *fds[] = {&d->sig.fd, &d->timer.fd, &d->epfd, &d->lock_fd};

	ctl_close(d);
	events_close(d);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	policy_free(d->policy);
	free(d->last_plan);
	apply_pending_free(&d->pend);
	free(d->watch);
	daemon_forget_pci_scan(d);
}

/* Runs the loop until stopped, or with until_ns set, until every policy PF is present (at
 * boot udev may still be loading their drivers), until udev has nothing left to do twice in a
 * row 250 ms apart (the PFs still absent are not coming), or until until_ns. */
static int run_loop(struct daemon *d, uint64_t until_ns)
{
	struct epoll_event evs[8];
	int idle = 0;

	while (!d->stop) {
		int ms = -1;
		if (until_ns) {
			uint64_t now = now_ns();
			idle = !d->pending && !events_udev_busy(d) ? idle + 1 : 0;
			if (d->n_pfs_absent == 0 || now >= until_ns || idle >= 2)
				return 0;
			ms = (int)((until_ns - now) / 1000000u) + 1;
			if (ms > 250)
				ms = 250;
		}
		int n = epoll_wait(d->epfd, evs, ARRAY_SIZE(evs), ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n && !d->stop; i++) {
			struct source *s = evs[i].data.ptr;
			if (s->ready_src)
				s->ready_src(d, s);
			else
				s->ready(d);
		}
	}
	return 0;
}

int cmd_daemon(const struct cmd_args *a)
{
	const char *policy = a->policy, *state = a->state_file;
	struct daemon d = {.epfd = -1, .lock_fd = -1};
	uint32_t wait_pfs = a->wait_pfs;
	int r;

	if (a->metrics_file)
		metrics_daemon_set_file(a->metrics_file);
	d.sig.fd = d.timer.fd = d.udev.fd = d.rtnl.fd = d.ctl.fd = -1;
	if (abs_path(policy, d.policy_file, sizeof(d.policy_file)) < 0 ||
	    abs_path(state_path(state), d.state_file, sizeof(d.state_file)) < 0) {
		log_error("%s: path too long", policy);
		return EXIT_USAGE;
	}
	observe_pci_set_names(false);
	r = daemon_reload(&d);
	if (r == 0)
		r = daemon_open(&d); /* waits, bounded, for a CLI that holds the lock */
	if (r == 0) {
		log_notice("watching devices; policy %s, state %s", d.policy_file, d.state_file);
		d.pending = false;
		d.waiting_pfs = wait_pfs > 0;
		daemon_reconcile(&d, &RECONCILE_HEAL);
		if (d.n_pfs_absent > 0 && wait_pfs > 0) {
			log_notice("waiting up to %u s for %zu policy PF%s to appear with a driver",
			           wait_pfs, d.n_pfs_absent, d.n_pfs_absent == 1 ? "" : "s");
			daemon_notify_status(&d, "");
			r = run_loop(&d, now_ns() + wait_pfs * 1000000000ull);
			if (r == 0 && d.n_pfs_absent > 0)
				log_warn(
				    "%zu policy PF%s still absent (udev is idle, or %u s "
				    "passed); ready without, they are configured when they appear",
				    d.n_pfs_absent, d.n_pfs_absent == 1 ? "" : "s", wait_pfs);
		}
		/* What still cannot be planned is an error from now on: log it once. */
		if (r == 0 && d.waiting_pfs && !d.plan_ok) {
			d.waiting_pfs = false;
			daemon_reconcile(&d, &RECONCILE_HEAL);
		}
		d.waiting_pfs = false;
		daemon_notify_status(&d, "READY=1\n");
		if (r == 0)
			r = run_loop(&d, 0);
		notify_systemd("STOPPING=1");
		log_notice("stopped after %lu events, %lu reconciles, %lu applies", d.n_events,
		           d.n_reconciles, d.n_applies);
	}
	daemon_close(&d);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
