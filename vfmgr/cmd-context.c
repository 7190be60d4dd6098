#include "vfmgr/cmd-context.h"
#include "vfmgr/cmd-diag-json.h"
#include "vfmgr/observe-mgmt.h"
#include "util/cleanup.h"
#include "util/file.h"
#include "util/log.h"
#include "util/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The one place diagnostics are written: bare lines on stderr for a command, or log lines of
 * the diagnostic's own severity for the daemon (a warning is not an error in the journal). */
static void emit_diags(const struct policy_diags *d, bool to_log)
{
	char buf[1024];

	diag_json_add(d);
	diag_json_mute(true); /* the log lines below are these diagnostics again */
	for (size_t i = 0; i < d->n; i++) {
		policy_diag_format(d, &d->items[i], buf, sizeof(buf));
		if (to_log)
			log_msg(d->items[i].severity == POLICY_ERROR ? LOG_ERR : LOG_WARNING, "%s",
			        buf);
		else
			fprintf(stderr, "%s\n", buf);
	}
	diag_json_mute(false);
}

void context_print_diags(const struct policy_diags *d)
{
	emit_diags(d, false);
}

void context_log_diags(const struct policy_diags *d)
{
	emit_diags(d, true);
}

void context_diags_init(const struct context *c, struct policy_diags *d)
{
	policy_diags_init(d);
	if (c->policy && c->policy->file)
		d->file = strdup(c->policy->file);
}

/* The daemon holds the lock for a whole reconcile (well under a second, seconds when it
 * changes VF counts): the CLI waits for it, bounded, instead of failing a VM's start.
 * $VFMGR_LOCK_WAIT (seconds) overrides a non-zero bound. */
static unsigned lock_wait_limit(unsigned wait_ms)
{
	const char *e = getenv("VFMGR_LOCK_WAIT");
	uint32_t s;

	if (wait_ms == 0 || !e || parse_u32(e, 3600, &s) < 0)
		return wait_ms;
	return (unsigned)s * 1000;
}

unsigned lock_wait_bound_ms(void)
{
	return lock_wait_limit(LOCK_WAIT_DEFAULT_MS);
}

/* -1 with errno EWOULDBLOCK when the lock is still held after the bound. */
static int lock_wait(int fd, const char *path, unsigned wait_ms)
{
	int e = errno; /* flock's: lock_wait_limit() may change errno */
	unsigned limit = lock_wait_limit(wait_ms), waited = 0;

	errno = e;
	if (e != EWOULDBLOCK || limit == 0)
		return -1;
	log_notice("%s: another vfmgr is changing the host; waiting up to %u s", path,
	           limit / 1000);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (waited < limit) {
		usleep(20000);
		clock_gettime(CLOCK_MONOTONIC, &t);
		waited =
		    (unsigned)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			log_info("%s: got the lock after %u ms", path, waited);
			return 0;
		}
		if (errno != EWOULDBLOCK)
			return -1;
	}
	errno = EWOULDBLOCK;
	return -1;
}

const char *run_dir(void)
{
	const char *dir = getenv("VFMGR_RUN_DIR");

	return dir ? dir : "/run/vfmgr";
}

int run_file_open(const char *name, int *fd, char *path, size_t size)
{
	const char *dir = run_dir();
	_cleanup_close_ int dfd = -1;
	char why[160];
	int r;

	*fd = -1;
	if (snprintf(path, size, "%s/%s", dir, name) >= (int)size)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		log_error("%s: %s", dir, strerror(-r));
		return r;
	}
	/* Only a directory no other user can plant names in, and never through a symlink. */
	r = dir_open_trusted(dir, &dfd, why, sizeof(why));
	if (r < 0) {
		log_error("%s: refusing this run directory: %s; make it root's, mode 0755", dir,
		          why[0] ? why : strerror(-r));
		return r;
	}
	r = lockfile_open(dfd, name, fd, why, sizeof(why));
	if (r < 0)
		log_error("%s: %s; refusing to use it (remove it)", path,
		          why[0] ? why : strerror(-r));
	return r;
}

int lock_take(int *fd, unsigned wait_ms)
{
	char path[PATH_MAX];
	int r = run_file_open("lock", fd, path, sizeof(path));

	if (r < 0)
		return r;
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0 && lock_wait(*fd, path, wait_ms) < 0) {
		int e = errno;
		if (e == EWOULDBLOCK && wait_ms == 0)
			log_debug("%s: another vfmgr holds the lock",
			          path); /* the caller retries */
		else if (e == EWOULDBLOCK)
			log_error(
			    "%s: another vfmgr is changing the host; try again when it is done",
			    path);
		else
			log_error("%s: %s", path, strerror(e));
		close(*fd);
		*fd = -1;
		return -e;
	}
	return 0;
}

/* An on-demand VM (hosts: for several hosts) is in this host's plan once it started here (it
 * holds VFs or devices in the state) or while it is being prepared. */
struct keep_arg {
	const struct state *state;
	const char *keep_vm;
};

static bool keep_on_demand(const char *vm, void *arg)
{
	const struct keep_arg *k = arg;

	return (k->keep_vm && strcmp(k->keep_vm, vm) == 0) || state_holds_vm(k->state, vm);
}

static int load_policy(struct context *c, const struct load_opts *o)
{
	const char *file = o->policy_file;
	struct keep_arg keep = {.state = &c->state, .keep_vm = o->keep_vm};
	struct policy_select sel = {.host = o->hostname, .keep_vm = keep_on_demand, .arg = &keep};
	struct policy_diags d;
	int r;

	policy_diags_init(&d);
	r = policy_parse_file_as(file, &sel, &c->policy, &d);
	if (r == -EINVAL || d.n > 0)
		context_print_diags(&d);
	if (r < 0 && r != -EINVAL)
		log_error("%s: %s", file, strerror(-r));
	else if (r == -EINVAL)
		log_error("%s: invalid policy (%zu errors); nothing was changed", file, d.n_errors);
	policy_diags_free(&d);
	return r;
}

int context_open(struct context *c, const struct load_opts *o)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->lock_fd = -1;
	c->state_file = state_path(o->state_file);
	if (o->lock) {
		r = lock_take(&c->lock_fd, o->lock_wait_ms);
		if (r < 0)
			return r;
	}
	/* The state first: which on-demand VMs run here decides what the policy keeps. */
	r = state_load(c->state_file, &c->state);
	if (r < 0)
		return r;
	if (o->policy_file) {
		r = load_policy(c, o);
		if (r < 0)
			return r;
	}
	/* pci.ids names are for `list`; looking them up costs more than the rest of observe. */
	observe_pci_set_names(false);
	r = observe_host_reusing(&c->host, o->pci);
	if (r < 0) {
		log_error("cannot read the host's devices: %s", strerror(-r));
		return r;
	}
	{
		char err[300];
		r = state_check_host(&c->state, &c->host, err, sizeof(err));
		if (r < 0) {
			log_error(
			    "%s: %s; nothing was changed (see vfmgr(8), STATE FILE, to rebuild "
			    "it)",
			    c->state_file, err);
			return r;
		}
	}
	r = mgmt_observe(&c->host);
	if (r < 0) {
		log_error("cannot tell which device carries the management path: %s; refusing to "
		          "change anything",
		          strerror(-r));
		return r;
	}
	/* Only the PFs with an rss: block, and only when a policy is loaded. */
	r = observe_rss(&c->host, c->policy);
	if (r < 0)
		return r;
	r = vfnl_open(&c->nl);
	if (r < 0) {
		log_error("rtnetlink: cannot open a socket to read the VF settings: %s",
		          strerror(-r));
		return r;
	}
	return observe_vf_settings(&c->host, c->nl);
}

int context_load(struct context *c, const char *policy_file, const char *state_file, bool lock)
{
	struct load_opts o = {.policy_file = policy_file,
	                      .state_file = state_file,
	                      .lock = lock,
	                      .lock_wait_ms = LOCK_WAIT_DEFAULT_MS};

	return context_open(c, &o);
}

void context_free(struct context *c)
{
	policy_free(c->policy);
	host_free(&c->host);
	state_free(&c->state);
	vfnl_close(c->nl);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	memset(c, 0, sizeof(*c));
	c->lock_fd = -1;
}
