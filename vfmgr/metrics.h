/* vfmgr metrics: the host's VF state in the Prometheus text format, for node-exporter's
 * textfile collector (vfmgr metrics > FILE, or vfmgr daemon --metrics-file FILE). */
#ifndef VFMGR_METRICS_H
#define VFMGR_METRICS_H

#include "vfmgr/observe-host.h"
#include "vfmgr/plan.h"
#include "vfmgr/state.h"

#include <stdbool.h>
#include <stdio.h>

/* The last apply, CLI or daemon, as recorded in $VFMGR_RUN_DIR/last-apply.json. */
struct metrics_record {
	bool set;
	long long time; /* seconds since the epoch */
	bool ok;
	unsigned long steps;
	unsigned long daemon_applies; /* applies the daemon made to heal the host, in all */
};

/* Reads the record; an absent file leaves r->set false. 0 or -errno. */
int metrics_record_read(struct metrics_record *r);
/* Records an apply's outcome (under the apply lock). daemon: counts as a daemon apply. */
int metrics_record_apply(bool ok, unsigned long steps, bool daemon);

/* What the plan said: pl NULL when no policy was given; plan_ok false when it failed. */
struct metrics_plan {
	const struct plan *pl;
	bool planned, plan_ok;
};

/* The metrics text. 0 or -errno (of writing f). */
int metrics_write(FILE *f, const struct host *h, const struct state *st,
                  const struct metrics_plan *mp, const struct metrics_record *rec);
/* The same into path, atomically (a temporary file renamed over it), so the collector never
 * reads half a file. 0 or -errno. */
int metrics_write_file(const char *path, const struct host *h, const struct state *st,
                       const struct metrics_plan *mp, const struct metrics_record *rec);

/* The daemon's side: --metrics-file sets the path (NULL: none); after each reconcile it
 * re-plans read-only and rewrites the file. */
void metrics_daemon_set_file(const char *path);
void metrics_daemon_update(const struct policy *p, const struct host *h, const struct state *st);

#endif
