/* `vfmgr daemon`: the observe -> plan -> apply loop driven by events. Shared between the loop
 * (daemon.c), its event sources (daemon-events.c) and its control socket (daemon-ctl.c). */
#ifndef VFMGR_DAEMON_H
#define VFMGR_DAEMON_H

#include "policy/policy.h"
#include "vfmgr/apply.h"
#include "vfmgr/apply-gate.h"
#include "vfmgr/daemon-proto.h"
#include "vfmgr/observe-host.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Bursts of uevents come when VFs are created: wait for this much quiet before acting... */
#define DAEMON_QUIET_MS 150
/* ...but never longer than this after the first event of a burst. */
#define DAEMON_MAX_WAIT_MS 1000
/* Times the same changes are applied in a row (they do not hold, or keep failing) before the
 * daemon stops reacting to link events (which its own writes cause) and waits for a hotplug,
 * a reload or `vfmgr apply`. */
#define DAEMON_MAX_STREAK 3

/* A device the daemon cares about: a policy PF or one of its VFs, by address and ifindex. */
struct watch {
	char addr[NIC_ADDR_LEN];
	char pf[NIC_ADDR_LEN];
	int ifindex; /* the PF's netdev, 0 for VFs */
};

struct daemon;

/* One epoll source: its fd and what to do when it is readable. ready_src, when set, is called
 * instead, with the source itself (control-socket clients, many of one kind). */
struct source {
	int fd;
	void (*ready)(struct daemon *d);
	void (*ready_src)(struct daemon *d, struct source *s);
};

struct ctl_server;

/* Backing off while another vfmgr holds the lock: retried after the quiet time, then twice as
 * long each time, at most this far apart. */
#define DAEMON_LOCK_BACKOFF_MAX_MS 5000

/* How one reconcile runs, the daemon's own healing or a request forwarded over the control
 * socket: the one value that carries the caller's choices down the load -> plan -> apply path. */
struct reconcile_opts {
	FILE *out;               /* the client's stdout (plan lines, or the summary), or NULL */
	bool json;               /* out gets apply --json's summary instead of plan lines */
	enum sriov_impact allow; /* the most a step may disrupt (DAEMON_HEAL_ALLOW when healing) */
	const char *policy_name; /* the policy as the client named it, for the refusal; or NULL */
	unsigned lock_wait_ms;   /* 0: a busy lock is retried later, backing off */
	/* Called with a bound, in seconds, on what is left (a wait for the lock, the steps), so
	 * the client knows how long to wait; may be NULL. */
	void (*progress)(void *arg, unsigned seconds);
	void *progress_arg;
};
/* The daemon's own pass: heal with its threshold, retry a busy lock later. */
#define RECONCILE_HEAL ((struct reconcile_opts){.allow = DAEMON_HEAL_ALLOW})

struct daemon {
	char policy_file[PATH_MAX]; /* absolute, as the CLI sends it */
	char state_file[PATH_MAX];
	struct policy *policy;
	int epfd, lock_fd;
	struct source sig, timer, udev, rtnl, ctl;
	struct ctl_server *ctls; /* the control socket's clients (daemon-ctl.c) */
	struct udev *udevctx;
	struct udev_monitor *mon;
	struct nl_sock *nls;
	struct watch *watch;
	size_t n_watch, cap_watch;
	bool plan_ok; /* false: the last plan failed, so any network device event may fix it */
	bool pending; /* the quiet-time timer is armed */
	bool stop;
	uint64_t first_event_ns;
	unsigned streak;
	char *last_plan; /* the text of the last applied plan, for streak */
	unsigned long n_reconciles, n_applies, n_events;
	/* Policy PFs not on the host, or without their driver, at the last reconcile. */
	size_t n_pfs_absent;
	bool waiting_pfs; /* --wait-pfs: plan failures are expected until the PFs are there */
	char last_error[512];
	struct apply_pending pend; /* VF settings refused in the device's state, retried later */
	uint64_t last_event_ns;    /* the last event or reconcile: what "a quiet period" means */
	bool immediate;            /* the timer is armed to fire at once (first drift event) */
	bool urgent; /* ...and stays so until it fires: a policy PF got its driver back */
	/* The PCI functions of the last whole read of the host (daemon_reconcile): a pass after
	 * link drift alone plans from them instead of scanning PCI again. */
	struct host pci_scan;
	bool pci_scan_ok;
	unsigned lock_backoff_ms; /* 0, or the wait before the next try for a busy lock */
	time_t loaded_at;         /* when the running policy was loaded (wall clock) */
	char reload_error[512];   /* why the last reload was refused ("" after one that took) */
};

/* Something changed: reconcile after the quiet time. The reconcile reads the host (all of it
 * but for link drift alone, see pci_scan), so subject only names the cause in the log line (a PF's
 * address, or "lock", "policy", "host"). external events (hotplug, driver bind) also lift the hold
 * that repeated failed applies put on link events. */
void daemon_schedule_reconcile(struct daemon *d, const char *subject, bool external,
                               const char *why);
/* A policy PF got its driver back (hotplug, or a reset: unbind and bind): its VFs are gone and
 * the VMs on them wait, so reconcile at once, and let the events that follow (udev's rename,
 * the VFs this creates) wait for the pass after it instead of delaying this one. */
void daemon_schedule_now(struct daemon *d, const char *subject, const char *why);
/* Something on the PCI bus may have changed (any pci uevent, lost events, a reload): the next
 * pass reads every PCI function again. */
void daemon_forget_pci_scan(struct daemon *d);
/* Observes, plans and, if the host differs from the policy, applies, as o says: a step above
 * o->allow refuses the apply (-EPERM, nothing written), as `vfmgr apply` does. 0 when converged
 * or applied, -errno otherwise. */
int daemon_reconcile(struct daemon *d, const struct reconcile_opts *o);
/* Re-reads the policy file; keeps the old policy when the new one does not validate (and says
 * why in STATUS=). */
int daemon_reload(struct daemon *d);
/* Reads the policy file into *p without adopting it, logging its diagnostics; 0 or -errno. */
int daemon_parse_policy(struct daemon *d, struct policy **p);
/* Makes p (from daemon_parse_policy) the running policy; the old one is freed. */
void daemon_adopt_policy(struct daemon *d, struct policy *p);
/* Tells systemd (STATUS=) which policy runs, since when, and what is wrong. */
void daemon_notify_status(struct daemon *d, const char *prefix);
/* The PF that addr (a PF or VF address) belongs to, or NULL. */
const char *daemon_watched_pf(const struct daemon *d, const char *addr);
/* The PF that the netdev with ifindex belongs to (its PCI address), or NULL. */
const char *daemon_watched_pf_by_ifindex(const struct daemon *d, int ifindex);

/* Diagnostics that name the policy file (the planner's own carry no file name). */
void daemon_diags_init(const struct daemon *d, struct policy_diags *diags);

/* Takes out of pl the pending settings whose reason still holds (the PF's link is still down,
 * say), so the plan does not apply them again, and drops from pend the rest (held no more, or
 * no longer in the plan: retried or resolved). Returns the items kept. */
size_t pending_hold(struct apply_pending *pend, struct plan *pl, const struct host *h);
/* Forgets the pending settings of PF pf (all with NULL): retried at the next reconcile. */
void pending_forget(struct apply_pending *pend, const char *pf);
int pending_merge(struct apply_pending *into, const struct apply_pending *from);
/* Each fresh refusal that before (the pending list the plan started from) already had counts
 * one try more. */
void pending_count_tries(struct apply_pending *fresh, const struct apply_pending *before);

/* A link notification for a watched PF: hand-made drift heals at once when it is the first
 * event of a quiet period; what follows is coalesced as daemon_schedule_reconcile does. */
void daemon_mark_drift(struct daemon *d, const char *pf, const char *why);

int events_open(struct daemon *d);
void events_close(struct daemon *d);
/* udevd still has events queued or running (at boot: drivers being loaded). */
bool events_udev_busy(struct daemon *d);
/* Reads and drops pending link notifications: those that our own apply caused. */
void events_drain_rtnl(struct daemon *d);

/* The options a forwarded `vfmgr apply` runs with: the client's --allow, its name for the
 * policy, and the lock wait of a local apply (no progress callback yet). policy_name points
 * into req (or is daemon_policy): both must outlive the options. */
struct reconcile_opts ctl_apply_opts(const struct ctl_request *req, const char *daemon_policy,
                                     FILE *out);
int ctl_listen(struct daemon *d);
void ctl_close(struct daemon *d);

#endif
