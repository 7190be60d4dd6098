/* What a wait is waiting for, on a terminal only: after half a second, one line on standard
 * error, rewritten in place ("enp1s0: waiting for the carrier: 2.1 s (at most 10 s)") and
 * erased when the wait ends. Nothing when standard error is not a terminal. */
#ifndef VFMGR_UTIL_PROGRESS_H
#define VFMGR_UTIL_PROGRESS_H

#include <stdbool.h>

struct progress {
	char what[160];
	double start, limit, last;
	bool tty, shown;
};

/* limit: the most the wait lasts, in seconds (said on the line). */
void progress_start(struct progress *p, double limit, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Call in the wait's loop: redraws the line at most 10 times a second. */
void progress_tick(struct progress *p);
/* Erases the line, if one was shown. */
void progress_end(struct progress *p);

#endif
