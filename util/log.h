/* Logging to stderr; under systemd (JOURNAL_STREAM set) each line gets a <N> priority prefix
 * that journald turns into the message's priority. */
#ifndef VFMGR_UTIL_LOG_H
#define VFMGR_UTIL_LOG_H

#include <stdio.h>
#include <syslog.h>

enum log_target { LOG_TARGET_STDERR, LOG_TARGET_JOURNAL };

void log_set_level(int level);
int log_get_level(void);
void log_set_target(enum log_target t);
/* Picks the journal form when stderr is connected to journald. */
void log_setup_from_env(void);
/* While set, every logged line is also written to f (the daemon returns a request's log lines
 * to the client that asked); NULL stops it. */
void log_set_capture(FILE *f);
/* While set, fn also gets every error (and worse) logged, its text without the prefix: the
 * --json commands hand their errors over as JSON. NULL stops it. */
void log_set_error_sink(void (*fn)(const char *msg, void *arg), void *arg);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...)  log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
