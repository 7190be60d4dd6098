#include "vfmgr/cmd-context.h"
#include "vfmgr/observe-mgmt.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void context_print_diags(const struct policy_diags *d)
{
	char buf[1024];

	for (size_t i = 0; i < d->n; i++) {
		policy_diag_format(d, &d->items[i], buf, sizeof(buf));
		fprintf(stderr, "%s\n", buf);
	}
}

void context_diags_init(const struct context *c, struct policy_diags *d)
{
	policy_diags_init(d);
	if (c->policy && c->policy->file)
		d->file = strdup(c->policy->file);
}

int lock_take(int *fd)
{
	const char *dir = getenv("VFMGR_RUN_DIR") ? getenv("VFMGR_RUN_DIR") : "/run/vfmgr";
	char path[PATH_MAX];

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_error("%s: %s", dir, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/lock", dir);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0) {
		log_error("%s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (e == EWOULDBLOCK)
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

static const char *select_host, *select_vm;

void context_select(const char *hostname, const char *prepare_vm)
{
	select_host = hostname;
	select_vm = prepare_vm;
}

/* An on-demand VM (hosts: for several hosts) is in this host's plan once it started here (it
 * holds VFs or devices in the state) or while it is being prepared. */
static bool keep_on_demand(const char *vm, void *arg)
{
	const struct state *st = arg;

	if (select_vm && strcmp(select_vm, vm) == 0)
		return true;
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->allocs[i].vm, vm) == 0)
			return true;
	for (size_t i = 0; i < st->n_pts; i++)
		if (strcmp(st->pts[i].vm, vm) == 0)
			return true;
	return false;
}

static int load_policy(struct context *c, const char *file)
{
	struct policy_select sel = {
	    .host = select_host, .keep_vm = keep_on_demand, .arg = &c->state};
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

int context_load(struct context *c, const char *policy_file, const char *state_file, bool lock)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->lock_fd = -1;
	c->state_file = state_path(state_file);
	if (lock) {
		r = lock_take(&c->lock_fd);
		if (r < 0)
			return r;
	}
	/* The state first: which on-demand VMs run here decides what the policy keeps. */
	r = state_load(c->state_file, &c->state);
	if (r < 0)
		return r;
	if (policy_file) {
		r = load_policy(c, policy_file);
		if (r < 0)
			return r;
	}
	/* pci.ids names are for `list`; looking them up costs more than the rest of observe. */
	observe_pci_set_names(false);
	r = observe_host(&c->host);
	if (r < 0) {
		log_error("cannot read the host's devices: %s", strerror(-r));
		return r;
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
	if (r < 0)
		return r;
	return observe_vf_settings(&c->host, c->nl);
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
