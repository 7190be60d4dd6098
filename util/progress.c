#include "util/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_start(struct progress *p, double limit, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
	p->start = p->last = mono();
	p->limit = limit;
	p->tty = isatty(STDERR_FILENO);
	p->shown = false;
}

void progress_tick(struct progress *p)
{
	double now;

	if (!p->tty)
		return;
	now = mono();
	if (now - p->start < 0.5 || (p->shown && now - p->last < 0.1))
		return;
	fprintf(stderr, "\r\033[K%s: %.1f s (at most %.0f s)", p->what, now - p->start, p->limit);
	fflush(stderr);
	p->shown = true;
	p->last = now;
}

void progress_end(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}
