/* One policy file for a fleet: hosts: selectors on pfs and vms entries, evaluated as one host
 * between reading and validation, so the validator and the planner only ever see one host's
 * policy; and the fleet-wide check, which validates the file once per host group it names. */
#include "policy/policy-internal.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOST_MAX         256
#define FLEET_GROUPS_MAX 1024 /* distinct globs the fleet check evaluates */

const struct policy_select policy_select_raw;

int policy_this_host(char *buf, size_t size)
{
	if (gethostname(buf, size) < 0)
		return -errno;
	buf[size - 1] = '\0';
	return 0;
}

bool policy_hosts_select(const struct policy_hosts *h, const char *host)
{
	if (!h->set)
		return true;
	for (size_t i = 0; i < h->n; i++)
		if (fnmatch(h->globs[i].value, host, FNM_CASEFOLD) == 0)
			return true;
	return false;
}

/* Several hosts may run it: it is placed where it starts, not reserved on each of them. */
static bool hosts_name_several(const struct policy_hosts *h)
{
	if (!h->set)
		return false;
	return h->n > 1 || (h->n == 1 && strpbrk(h->globs[0].value, "*?["));
}

static bool pf_name_kept(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_pfs; i++)
		if (strcmp(p->pfs[i].name.value, name) == 0)
			return true;
	return false;
}

/* A network lists the pfs it is on across the fleet; on one host only the pfs there count. A
 * name no entry in the file defines stays, so the validator still reports it. */
static void drop_absent_network_pfs(struct policy *p, const char **dropped, size_t n_dropped)
{
	for (size_t ni = 0; ni < p->n_networks; ni++) {
		struct policy_network *net = &p->networks[ni];
		size_t k = 0;

		for (size_t j = 0; j < net->n_pfs; j++) {
			bool gone = false;

			for (size_t d = 0; d < n_dropped && !gone; d++)
				gone = strcmp(dropped[d], net->pfs[j].name) == 0;
			if (!gone || pf_name_kept(p, net->pfs[j].name))
				net->pfs[k++] = net->pfs[j];
		}
		net->n_pfs = k;
	}
}

int policy_select_host(struct policy *p, const struct policy_select *sel, struct policy_diags *d)
{
	_cleanup_free_ const char **dropped = NULL;
	char this_host[HOST_MAX];
	const char *host = sel ? sel->host : NULL;
	size_t k = 0, n_dropped = 0;
	int r;

	(void)d;
	if (!host) {
		r = policy_this_host(this_host, sizeof(this_host));
		if (r < 0)
			return r;
		host = this_host;
	}
	dropped = calloc(p->n_pfs + 1, sizeof(*dropped));
	if (!dropped)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_pfs; i++) {
		if (policy_hosts_select(&p->pfs[i].hosts, host))
			p->pfs[k++] = p->pfs[i];
		else
			dropped[n_dropped++] = p->pfs[i].name.value;
	}
	p->n_pfs = k;
	drop_absent_network_pfs(p, dropped, n_dropped);
	k = 0;
	for (size_t i = 0; i < p->n_vms; i++) {
		struct policy_vm *vm = &p->vms[i];

		if (!policy_hosts_select(&vm->hosts, host))
			continue;
		vm->on_demand = hosts_name_several(&vm->hosts);
		/* Kept on purpose (it runs here, or is being prepared): planned like any VM. */
		if (vm->on_demand && sel && sel->keep_vm) {
			if (!sel->keep_vm(vm->name.value, sel->arg))
				continue;
			vm->on_demand = false;
		}
		p->vms[k++] = *vm;
	}
	p->n_vms = k;
	return 0;
}

/* A hostname the glob matches: '*' empty, '?' and a negated class a letter outside it, a
 * class its first member. false (no room, or no such name) when the glob is too long to build one.
 */
static bool sample_host(const char *glob, char *out, size_t size)
{
	size_t o = 0;

	for (const char *g = glob; *g; g++) {
		char ch;

		if (o + 2 > size)
			return false;
		if (*g == '*')
			continue;
		if (*g == '?') {
			ch = 'x';
		} else if (*g == '[') {
			const char *end = strchr(g + 1 + (g[1] == ']'), ']');
			bool neg = g[1] == '!' || g[1] == '^';

			if (!end) {
				ch = '[';
			} else if (neg) {
				static const char try[] = "xyzqw0123456789";
				char cls[HOST_MAX + 3];

				ch = 0;
				snprintf(cls, sizeof(cls), "%.*s", (int)(end - g + 1), g);
				for (const char *t = try; *t && !ch; t++) {
					char one[2] = {*t, 0};
					if (fnmatch(cls, one, 0) == 0)
						ch = *t;
				}
				if (!ch)
					return false;
				g = end;
			} else {
				ch = g[1];
				g = end;
			}
		} else {
			ch = *g;
		}
		out[o++] = ch;
	}
	out[o] = '\0';
	return o > 0 && fnmatch(glob, out, FNM_CASEFOLD) == 0;
}

static bool glob_seen(const char **seen, size_t n, const char *g)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(seen[i], g) == 0)
			return true;
	return false;
}

static int add_glob(const char ***seen, size_t *n, size_t *cap, const char *g)
{
	if (glob_seen(*seen, *n, g))
		return 0;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		const char **ns = realloc(*seen, nc * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		*seen = ns;
		*cap = nc;
	}
	(*seen)[(*n)++] = g;
	return 0;
}

static bool diag_known(const struct policy_diags *d, const struct policy_diag *x)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].line == x->line && d->items[i].col == x->col &&
		    d->items[i].severity == x->severity && !strcmp(d->items[i].message, x->message))
			return true;
	return false;
}

/* One evaluation as host; its diagnostics join out, each once. */
static int evaluate_as(const char *path, const char *buf, size_t len, const char *host,
                       struct policy_diags *out)
{
	struct policy_select sel = {.host = host};
	struct policy_diags d;
	struct policy *p = NULL;
	int r;

	policy_diags_init(&d);
	r = policy_parse_buffer_as(path, buf, len, &sel, &p, &d);
	policy_free(p);
	for (size_t i = 0; r != -ENOMEM && i < d.n; i++) {
		const struct policy_diag *x = &d.items[i];
		struct policy_mark m = {x->line, x->col};

		if (!diag_known(out, x) &&
		    policy_diag_add(out, x->severity, m, "%s", x->message) < 0)
			r = -ENOMEM;
	}
	policy_diags_free(&d);
	return r == -ENOMEM ? r : 0;
}

static int collect_globs(const struct policy *p, const char ***seen, size_t *n, size_t *cap)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < p->n_pfs; i++)
		for (size_t j = 0; r == 0 && j < p->pfs[i].hosts.n; j++)
			r = add_glob(seen, n, cap, p->pfs[i].hosts.globs[j].value);
	for (size_t i = 0; r == 0 && i < p->n_vms; i++)
		for (size_t j = 0; r == 0 && j < p->vms[i].hosts.n; j++)
			r = add_glob(seen, n, cap, p->vms[i].hosts.globs[j].value);
	return r;
}

int policy_check_fleet_file(const char *path, struct policy **ret, struct policy_diags *diags,
                            size_t *groups)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ const char **globs = NULL;
	static const char *outside[] = {"vfmgr-host-in-no-group", "h0", "localhost"};
	struct policy *raw = NULL;
	size_t len = 0, n = 0, cap = 0;
	bool any_outside = false;
	int r;

	*groups = 0;
	*ret = NULL;
	if (!diags->file && !(diags->file = strdup(path)))
		return -ENOMEM;
	r = policy_file_read(path, diags, &buf, &len);
	if (r < 0)
		return r;
	r = policy_parse_buffer_as(path, buf, len, &policy_select_raw, &raw, diags);
	if (r < 0)
		return r;
	r = collect_globs(raw, &globs, &n, &cap);
	if (r == 0 && n > FLEET_GROUPS_MAX)
		r = policy_diag_add(diags, POLICY_ERROR, (struct policy_mark){0},
		                    "the policy names %zu distinct host globs; the fleet check "
		                    "evaluates at most %d (check one host with --hostname)",
		                    n, FLEET_GROUPS_MAX);
	for (size_t i = 0; r == 0 && n <= FLEET_GROUPS_MAX && i < n; i++) {
		char host[HOST_MAX];

		if (!sample_host(globs[i], host, sizeof(host))) {
			r = policy_diag_add(diags, POLICY_WARNING, (struct policy_mark){0},
			                    "no hostname built to match glob '%s'; check a host of "
			                    "that group with --hostname",
			                    globs[i]);
			continue;
		}
		r = evaluate_as(path, buf, len, host, diags);
		++*groups;
	}
	/* And a host that no glob selects: it gets only the entries without hosts:. */
	for (size_t i = 0; r == 0 && !any_outside && i < sizeof(outside) / sizeof(*outside); i++) {
		bool hit = false;

		for (size_t j = 0; j < n && !hit; j++)
			hit = fnmatch(globs[j], outside[i], FNM_CASEFOLD) == 0;
		if (!hit) {
			any_outside = true;
			/* No entry names hosts: every host gets the raw parse, so finish that one
			 * instead of reading the file a second time (half of check's time). */
			if (n == 0)
				r = policy_finish_as(
				    raw, &(struct policy_select){.host = outside[i]}, diags);
			else
				r = evaluate_as(path, buf, len, outside[i], diags);
			++*groups;
		}
	}
	policy_diags_sort(diags);
	if (r == 0 && diags->n_errors)
		r = -EINVAL;
	if (r < 0) {
		policy_free(raw);
		return r;
	}
	*ret = raw;
	return 0;
}
