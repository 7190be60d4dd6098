#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int log_level = LOG_NOTICE;
static enum log_target log_target = LOG_TARGET_STDERR;
static FILE *log_capture;
static void (*log_error_sink)(const char *msg, void *arg);
static void *log_error_sink_arg;

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

void log_set_error_sink(void (*fn)(const char *msg, void *arg), void *arg)
{
	log_error_sink = fn;
	log_error_sink_arg = arg;
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

/* What a message echoes (a name from a file, an interface) may hold escape sequences or
 * newlines: shown raw they would rewrite the terminal or forge journal lines. */
static void put_escaped(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

void log_msg(int prio, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int r;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		msg = NULL;
	if (log_target == LOG_TARGET_JOURNAL)
		fprintf(stderr, "<%d>", prio);
	else
		fprintf(stderr, "vfmgr: %s", prio_word(prio));
	put_escaped(stderr, msg ? msg : fmt);
	fputc('\n', stderr);
	if (log_capture) {
		fprintf(log_capture, "vfmgr: %s", prio_word(prio));
		put_escaped(log_capture, msg ? msg : fmt);
		fputc('\n', log_capture);
	}
	if (log_error_sink && prio <= LOG_ERR)
		log_error_sink(msg ? msg : fmt, log_error_sink_arg);
	free(msg);
}
