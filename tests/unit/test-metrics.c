/* vfmgr metrics on a fake host: each VF counted under the status `vfmgr status` would give it,
 * pending VFs from the plan, the last-apply record round trip. With METRICS_SAMPLE set, the
 * text is also written there (tests/promtool.sh checks its format with promtool). */
#include "vfmgr/metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One PF with 3 VFs; VF 2's settings were lost to a truncated list. */
static void fake_host(struct host *h)
{
	memset(h, 0, sizeof(*h));
	h->n_nics = h->cap_nics = 1;
	h->nics = calloc(1, sizeof(*h->nics));
	struct nic *n = &h->nics[0];
	snprintf(n->addr, sizeof(n->addr), "0000:01:00.0");
	n->pf = NO_INDEX;
	n->vf_index = -1;
	n->numvfs = 3;
	n->vf_settings.num_vf = 3;
	n->vf_settings.vfs = calloc(3, sizeof(struct vf_config));
	n->vf_settings.readable = calloc(3, sizeof(bool));
	for (unsigned v = 0; v < 3; v++) {
		n->vf_settings.vfs[v] = (struct vf_config){.index = v, .vlan = 100, .spoofchk = 1};
		n->vf_settings.readable[v] = v != 2;
	}
}

static void add_alloc(struct state *s, const char *vm, unsigned vf, unsigned vlan)
{
	struct state_alloc *a = &s->allocs[s->n++];

	memset(a, 0, sizeof(*a));
	snprintf(a->vm, sizeof(a->vm), "%s", vm);
	snprintf(a->pf, sizeof(a->pf), "up");
	snprintf(a->pf_addr, sizeof(a->pf_addr), "0000:01:00.0");
	a->vf = vf;
	a->want = (struct vf_config){.index = vf, .vlan = (uint16_t)vlan, .spoofchk = 1};
}

static char *metrics_text(const struct host *h, const struct state *s,
                          const struct metrics_plan *mp, const struct metrics_record *rec)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(metrics_write(f, h, s, mp, rec), 0);
	fclose(f);
	const char *sample = getenv("METRICS_SAMPLE");
	if (sample) {
		FILE *o = fopen(sample, "w");
		assert_non_null(o);
		fputs(buf, o);
		fclose(o);
	}
	return buf;
}

static void assert_line(const char *text, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(text, want))
		fail_msg("no line '%s' in:\n%s", line, text);
}

static void test_vfs_are_counted_by_status(void **state)
{
	struct host h;
	struct state s = {.allocs = calloc(4, sizeof(struct state_alloc))};
	/* The plan heals VF 1 (drifted) and sets VF 3, which no VM holds yet. */
	struct plan_vf writes[2] = {{.want.cfg.index = 1}, {.want.cfg.index = 3}};
	struct plan_action acts[2] = {{.kind = PLAN_SET_VFS, .n_vfs = 2, .vfs = writes},
	                              {.kind = PLAN_SET_NUMVFS, .from = 3, .to = 4}};
	struct plan pl = {.actions = acts, .n = 2};
	struct metrics_plan mp = {.pl = &pl, .planned = true, .plan_ok = true};
	struct metrics_record rec = {
	    .set = true, .time = 1700000000, .ok = false, .steps = 3, .daemon_applies = 5};

	(void)state;
	fake_host(&h);
	add_alloc(&s, "a", 0, 100); /* as set */
	add_alloc(&s, "b", 1, 200); /* drifted: live has vlan 100 */
	add_alloc(&s, "c", 2, 100); /* unreadable */
	add_alloc(&s, "d", 5, 100); /* VF gone */
	strcpy(acts[0].addr, "0000:01:00.0");
	strcpy(acts[1].addr, "0000:01:00.0");
	char *t = metrics_text(&h, &s, &mp, &rec);
	assert_line(t, "vfmgr_vfs{pf=\"0000:01:00.0\",pf_name=\"up\",status=\"configured\"} 1");
	assert_line(t, "vfmgr_vfs{pf=\"0000:01:00.0\",pf_name=\"up\",status=\"pending\"} 1");
	assert_line(t, "vfmgr_vfs{pf=\"0000:01:00.0\",pf_name=\"up\",status=\"drifted\"} 1");
	assert_line(t, "vfmgr_vfs{pf=\"0000:01:00.0\",pf_name=\"up\",status=\"unverified\"} 2");
	assert_line(t, "vfmgr_pf_numvfs{pf=\"0000:01:00.0\",pf_name=\"up\"} 3");
	assert_line(t, "vfmgr_plan_ok 1");
	assert_line(t, "vfmgr_pending_steps 2");
	assert_line(t, "vfmgr_last_apply_success 0");
	assert_line(t, "vfmgr_last_apply_timestamp_seconds 1700000000");
	assert_line(t, "vfmgr_last_apply_steps 3");
	assert_line(t, "vfmgr_daemon_heals_total 5");
	free(t);
	free(s.allocs);
	host_free(&h);
}

/* A VF that drifted is in the plan too (the plan puts it back): one VF, one count, under the
 * status `vfmgr status` gives it. */
static void test_one_drifted_vf_is_counted_once(void **state)
{
	struct host h;
	struct state s = {.allocs = calloc(2, sizeof(struct state_alloc))};
	struct plan_vf writes[1] = {{.want.cfg.index = 1}};
	struct plan_action acts[1] = {{.kind = PLAN_SET_VFS, .n_vfs = 1, .vfs = writes}};
	struct plan pl = {.actions = acts, .n = 1};
	struct metrics_plan mp = {.pl = &pl, .planned = true, .plan_ok = true};
	struct metrics_record rec = {0};
	static const char *const want[] = {
	    "vfmgr_vfs{pf=\"0000:01:00.0\",pf_name=\"up\",status=\"configured\"} 1",
	    "vfmgr_vfs{pf=\"0000:01:00.0\",pf_name=\"up\",status=\"pending\"} 0",
	    "vfmgr_vfs{pf=\"0000:01:00.0\",pf_name=\"up\",status=\"drifted\"} 1",
	    "vfmgr_vfs{pf=\"0000:01:00.0\",pf_name=\"up\",status=\"unverified\"} 0",
	};

	(void)state;
	fake_host(&h);
	add_alloc(&s, "a", 0, 100); /* as set */
	add_alloc(&s, "b", 1, 200); /* drifted: live has vlan 100, and the plan heals it */
	strcpy(acts[0].addr, "0000:01:00.0");
	char *t = metrics_text(&h, &s, &mp, &rec);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_line(t, want[i]);
	free(t);
	free(s.allocs);
	host_free(&h);
}

static void test_apply_record_round_trip(void **state)
{
	char dir[] = "/tmp/vfmgr-test-metrics-XXXXXX", path[64];
	struct metrics_record r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("VFMGR_RUN_DIR", dir, 1);
	assert_int_equal(metrics_record_read(&r), 0);
	assert_false(r.set);
	assert_int_equal(metrics_record_apply(true, 4, true), 0);
	assert_int_equal(metrics_record_apply(false, 2, false), 0);
	assert_int_equal(metrics_record_read(&r), 0);
	assert_true(r.set);
	assert_false(r.ok);
	assert_int_equal(r.steps, 2);
	assert_int_equal(r.daemon_applies, 1); /* the CLI apply kept the daemon's count */
	snprintf(path, sizeof(path), "%s/last-apply.json", dir);
	FILE *f = fopen(path, "w");
	fputs("{\"time\": 1}", f);
	fclose(f);
	assert_int_equal(metrics_record_read(&r), -EINVAL);
	unlink(path);
	rmdir(dir);
	unsetenv("VFMGR_RUN_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vfs_are_counted_by_status),
	    cmocka_unit_test(test_one_drifted_vf_is_counted_once),
	    cmocka_unit_test(test_apply_record_round_trip),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
