/* The control socket's protocol: one JSON request per connection, one JSON reply. Kept pure
 * (no I/O, no daemon state) so it can be unit-tested and fuzzed on its own.
 *   request: {"command": "status", "json": true, "state": "/var/lib/vfmgr/state.json"}
 *   reply:   {"ok": true, "exit": 0, "output": "...", "log": "..."} or {"ok": false, "error":
 * "..."}
 */
#ifndef VFMGR_CTL_PROTO_H
#define VFMGR_CTL_PROTO_H

#include "sriov/drivers.h"

#include <stdbool.h>
#include <stddef.h>

/* Requests are small; anything bigger is refused before it is parsed. */
#define CTL_REQUEST_MAX 16384
#define CTL_PATH_MAX    4096

enum ctl_command {
	CTL_STATUS,
	CTL_PLAN,
	CTL_APPLY,
	CTL_RELOAD,
	CTL_QEMU_ARGS,
	CTL_N_COMMANDS,
};

struct ctl_request {
	enum ctl_command command;
	bool json;                 /* status, plan: JSON output instead of text */
	char policy[CTL_PATH_MAX]; /* apply: the policy file the CLI was given ("" = daemon's) */
	char state[CTL_PATH_MAX];  /* status, apply: the state file the CLI means ("" = daemon's) */
	char vm[128];              /* qemu-args */
	/* apply: the CLI's --allow (PLAN_ALLOW_DEFAULT when absent), and the policy as the user
	 * typed it, for messages that read as the local command's */
	enum sriov_impact allow;
	char policy_arg[CTL_PATH_MAX];
};

struct ctl_reply {
	bool ok;
	int exit;     /* the exit status the CLI should return */
	char *output; /* stdout of the command (malloc'd, may be NULL) */
	char *log;    /* the daemon's log lines for this request (malloc'd, may be NULL) */
	char *error;  /* when !ok (malloc'd) */
	bool busy;    /* !ok because the daemon could take no more clients: try again */
};

/* Before its reply, the daemon may send lines "{\"deadline_s\": N}\n": the request is under way
 * and the reply comes within N s from now (a wait for the lock, an apply's steps). The reply
 * itself is the text after the last newline. */
#define CTL_DEADLINE_KEY "deadline_s"
/* The line that announces N s; malloc'd or NULL. */
char *ctl_deadline_format(unsigned seconds);
/* N from one such line (without its newline); 0 or -EINVAL. */
int ctl_deadline_parse(const char *line, size_t len, unsigned *seconds);

/* Parses one request. 0, or -EINVAL with a message for the client in err. */
int ctl_request_parse(const char *buf, size_t len, struct ctl_request *req, char *err,
                      size_t errsize);
/* The request as the CLI sends it; malloc'd JSON text or NULL. */
char *ctl_request_format(const struct ctl_request *req);
const char *ctl_command_name(enum ctl_command c);

/* The reply as JSON text (malloc'd) or NULL on ENOMEM. */
char *ctl_reply_format(const struct ctl_reply *rep);
/* 0, or -EINVAL with err filled (the daemon answered something unreadable). */
int ctl_reply_parse(const char *buf, size_t len, struct ctl_reply *rep, char *err, size_t errsize);
void ctl_reply_free(struct ctl_reply *rep);

#endif
