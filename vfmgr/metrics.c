/* The metrics text and the last-apply record. Values come from the same snapshot `vfmgr
 * status` reads (live VF settings against the state file) and from the plan. */
#include "vfmgr/metrics.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/vf-status.h"
#include "util/cleanup-json.h"
#include "util/file.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* vfmgr_vfs{status}: the states of vf_status_get as the metrics name them. */
enum vf_metric { VF_CONFIGURED, VF_PENDING, VF_DRIFTED, VF_UNVERIFIED, VF_N };
static const char *const vf_metric_name[VF_N] = {"configured", "pending", "drifted", "unverified"};

struct pf_count {
	char addr[NIC_ADDR_LEN];
	char name[STATE_NAME_LEN];
	unsigned long n[VF_N];
};

static void record_path(char *buf, size_t size)
{
	snprintf(buf, size, "%s/last-apply.json", run_dir());
}

int metrics_record_read(struct metrics_record *r)
{
	char path[PATH_MAX];
	json_error_t err;
	_cleanup_json_ json_t *j = NULL;
	json_int_t t = 0, steps = 0, heals = 0;
	int ok = 0;

	memset(r, 0, sizeof(*r));
	record_path(path, sizeof(path));
	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : -errno;
	j = json_load_file(path, 0, &err);
	if (!j || json_unpack(j, "{s:I, s:b, s:I, s:I}", "time", &t, "ok", &ok, "steps", &steps,
	                      "daemon_applies", &heals) < 0) {
		if (j)
			log_error("%s: not a vfmgr apply record (time, ok, steps, daemon_applies); "
			          "remove it, the next apply writes it again",
			          path);
		else
			log_error("%s:%d:%d: %s; remove it, the next apply writes it again", path,
			          err.line, err.column, err.text);
		return -EINVAL;
	}
	*r = (struct metrics_record){.set = true,
	                             .time = t,
	                             .ok = ok,
	                             .steps = (unsigned long)steps,
	                             .daemon_applies = (unsigned long)heals};
	return 0;
}

int metrics_record_apply(bool ok, unsigned long steps, bool daemon)
{
	struct metrics_record old;
	char path[PATH_MAX], why[160];
	_cleanup_close_ int dfd = -1;
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *text = NULL;
	int r;

	if (mkdir(run_dir(), 0755) < 0 && errno != EEXIST)
		return -errno;
	r = metrics_record_read(&old);
	if (r < 0 && r != -EINVAL)
		return r;
	record_path(path, sizeof(path));
	/* Like the state file: a fresh O_EXCL temp file and a rename, in a directory no other
	 * user can plant names in. */
	r = dir_open_trusted(run_dir(), &dfd, why, sizeof(why));
	if (r < 0) {
		log_warn("%s: cannot record the apply: %s", path, why[0] ? why : strerror(-r));
		return r;
	}
	j = json_pack("{s:I, s:b, s:I, s:I}", "time", (json_int_t)time(NULL), "ok", ok, "steps",
	              (json_int_t)steps, "daemon_applies",
	              (json_int_t)(old.daemon_applies + (daemon ? 1 : 0)));
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!text)
		return -ENOMEM;
	r = file_replace_at(dfd, "last-apply.json", text, strlen(text));
	if (r < 0)
		log_warn("%s: cannot record the apply: %s", path, strerror(-r));
	return r;
}

static struct pf_count *pf_slot(struct pf_count **v, size_t *n, size_t *cap, const char *addr,
                                const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].addr, addr) == 0) {
			if (!(*v)[i].name[0] && name)
				snprintf((*v)[i].name, sizeof((*v)[i].name), "%s", name);
			return &(*v)[i];
		}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct pf_count *nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		*v = nv;
		*cap = nc;
	}
	struct pf_count *c = &(*v)[(*n)++];
	memset(c, 0, sizeof(*c));
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	if (name)
		snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

/* Each VF once, under the status `vfmgr status` gives it (vf_status_get): a VF the plan would
 * write is pending unless it already counts as drifted or unverified; a VF only the plan has
 * (not allocated yet) is pending. */
static enum vf_metric alloc_metric(const struct host *h, const struct state_alloc *a, bool planned)
{
	struct vf_status_info info;

	switch (vf_status_get(h, a, NULL, &info)) {
	case VF_STATUS_OK:
		return planned ? VF_PENDING : VF_CONFIGURED;
	case VF_STATUS_PENDING:
	case VF_STATUS_RELEASING: /* its restore is still to be done */
		return VF_PENDING;
	case VF_STATUS_DRIFT:
		return VF_DRIFTED;
	default:
		return VF_UNVERIFIED;
	}
}

/* The plan's VF write for VF vf of PF addr, or NULL. */
static bool in_plan(const struct plan *pl, const char *addr, unsigned vf)
{
	for (size_t i = 0; pl && i < pl->n; i++) {
		const struct plan_action *a = &pl->actions[i];
		if (a->kind != PLAN_SET_VFS || strcmp(a->addr, addr) != 0)
			continue;
		for (size_t k = 0; k < a->n_vfs; k++)
			if (a->vfs[k].want.cfg.index == vf)
				return true;
	}
	return false;
}

static bool in_state(const struct state *st, const char *addr, unsigned vf)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->allocs[i].vf == vf && strcmp(st->allocs[i].pf_addr, addr) == 0)
			return true;
	return false;
}

static int count(const struct host *h, const struct state *st, const struct metrics_plan *mp,
                 struct pf_count **v, size_t *n)
{
	size_t cap = 0;

	for (size_t i = 0; i < st->n; i++) {
		const struct state_alloc *a = &st->allocs[i];
		struct pf_count *c = pf_slot(v, n, &cap, a->pf_addr, a->pf);
		if (!c)
			return -ENOMEM;
		c->n[alloc_metric(h, a, in_plan(mp->pl, a->pf_addr, a->vf))]++;
	}
	for (size_t i = 0; mp->pl && i < mp->pl->n; i++) {
		const struct plan_action *a = &mp->pl->actions[i];
		if (a->kind != PLAN_SET_VFS && a->kind != PLAN_SET_NUMVFS)
			continue;
		struct pf_count *c = pf_slot(v, n, &cap, a->addr, NULL);
		if (!c)
			return -ENOMEM;
		for (size_t k = 0; a->kind == PLAN_SET_VFS && k < a->n_vfs; k++)
			if (!in_state(st, a->addr, a->vfs[k].want.cfg.index))
				c->n[VF_PENDING]++;
	}
	return 0;
}

static void labels(FILE *f, const struct pf_count *c)
{
	fprintf(f, "pf=\"%s\",pf_name=\"%s\"", c->addr, c->name);
}

int metrics_write(FILE *f, const struct host *h, const struct state *st,
                  const struct metrics_plan *mp, const struct metrics_record *rec)
{
	_cleanup_free_ struct pf_count *v = NULL;
	size_t n = 0;
	int r = count(h, st, mp, &v, &n);

	if (r < 0)
		return r;
	fputs("# HELP vfmgr_vfs VFs per PF: configured (live settings are what vfmgr set), pending "
	      "(settings the plan would still write), drifted (live differs), unverified (the "
	      "kernel did not report the VF).\n# TYPE vfmgr_vfs gauge\n",
	      f);
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < VF_N; s++) {
			fputs("vfmgr_vfs{", f);
			labels(f, &v[i]);
			fprintf(f, ",status=\"%s\"} %lu\n", vf_metric_name[s], v[i].n[s]);
		}
	fputs("# HELP vfmgr_pf_numvfs The PF's VF count (sriov_numvfs).\n"
	      "# TYPE vfmgr_pf_numvfs gauge\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		size_t k = host_find_nic(h, v[i].addr);
		fputs("vfmgr_pf_numvfs{", f);
		labels(f, &v[i]);
		fprintf(f, "} %d\n", k != NO_INDEX ? h->nics[k].numvfs : 0);
	}
	if (mp->planned) {
		fprintf(f,
		        "# HELP vfmgr_plan_ok 1 when the policy planned on this host, 0 when it "
		        "failed (vfmgr plan says why).\n# TYPE vfmgr_plan_ok gauge\nvfmgr_plan_ok "
		        "%d\n",
		        mp->plan_ok);
		fprintf(f,
		        "# HELP vfmgr_pending_steps Steps vfmgr apply would run (0: the host "
		        "matches the policy).\n# TYPE vfmgr_pending_steps gauge\n"
		        "vfmgr_pending_steps %zu\n",
		        mp->pl ? mp->pl->n : 0);
	}
	if (rec->set) {
		fprintf(f,
		        "# HELP vfmgr_last_apply_success 1 when the last apply succeeded.\n"
		        "# TYPE vfmgr_last_apply_success gauge\nvfmgr_last_apply_success %d\n"
		        "# HELP vfmgr_last_apply_timestamp_seconds When the last apply ran.\n"
		        "# TYPE vfmgr_last_apply_timestamp_seconds gauge\n"
		        "vfmgr_last_apply_timestamp_seconds %lld\n"
		        "# HELP vfmgr_last_apply_steps Steps of the last apply.\n"
		        "# TYPE vfmgr_last_apply_steps gauge\nvfmgr_last_apply_steps %lu\n",
		        rec->ok, rec->time, rec->steps);
	}
	fprintf(f,
	        "# HELP vfmgr_daemon_heals_total Applies the daemon made to put the host back "
	        "as the policy says.\n# TYPE vfmgr_daemon_heals_total counter\n"
	        "vfmgr_daemon_heals_total %lu\n",
	        rec->daemon_applies);
	return ferror(f) ? -EIO : 0;
}

int metrics_write_file(const char *path, const struct host *h, const struct state *st,
                       const struct metrics_plan *mp, const struct metrics_record *rec)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	/* node-exporter runs as its own user: the file is for it to read. */
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	r = metrics_write(f, h, st, mp, rec);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		r = r < 0 ? r : -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static const char *daemon_file;
static int daemon_last_err; /* the last write's result, to log a failure once */

void metrics_daemon_set_file(const char *path)
{
	daemon_file = path;
}

void metrics_daemon_update(const struct policy *p, const struct host *h, const struct state *st)
{
	struct metrics_record rec;
	struct policy_diags d;
	struct plan pl;
	struct metrics_plan mp = {.planned = p != NULL};
	int r;

	if (!daemon_file)
		return;
	if (metrics_record_read(&rec) < 0)
		memset(&rec, 0, sizeof(rec));
	policy_diags_init(&d);
	if (p) {
		r = plan_build(p, h, st, &pl, &d, PLAN_ALLOW_ABSENT);
		mp.plan_ok = r == 0;
		mp.pl = r == 0 ? &pl : NULL;
	}
	policy_diags_free(&d);
	r = metrics_write_file(daemon_file, h, st, &mp, &rec);
	/* Said once per cause (a read-only directory fails every pass), and once when it heals. */
	if (r < 0 && r != daemon_last_err)
		log_warn("%s: cannot write the metrics: %s (said once; see vfmgr(8), METRICS)",
		         daemon_file, strerror(-r));
	else if (r == 0 && daemon_last_err < 0)
		log_notice("%s: metrics written again", daemon_file);
	daemon_last_err = r;
	if (mp.pl)
		plan_free(&pl);
}
