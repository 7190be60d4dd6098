#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int log_level = LOG_NOTICE;
static enum log_target log_target = LOG_TARGET_STDERR;
static FILE *log_capture;

void log_set_level(int level)
{
	log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

void log_set_target(enum log_target t)
{
	log_target = t;
}

void log_set_capture(FILE *f)
{
	log_capture = f;
}

void log_setup_from_env(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	/* JOURNAL_STREAM=dev:ino is only trustworthy if stderr is still that stream. */
	if (js && sscanf(js, "%lu:%lu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
	    st.st_dev == dev && st.st_ino == ino)
		log_target = LOG_TARGET_JOURNAL;
}

static const char *prio_word(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	default:
		return "";
	}
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio > log_level)
		return;
	if (log_target == LOG_TARGET_JOURNAL)
		fprintf(stderr, "<%d>", prio);
	else
		fprintf(stderr, "vfmgr: %s", prio_word(prio));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (log_capture) {
		fprintf(log_capture, "vfmgr: %s", prio_word(prio));
		va_start(ap, fmt);
		vfprintf(log_capture, fmt, ap);
		va_end(ap);
		fputc('\n', log_capture);
	}
}
