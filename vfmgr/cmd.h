/* The subcommands of the vfmgr program: one table (cmd-table.c) names them, one parser
 * (cmd-opts.c) reads their options; each returns its process exit status. */
#ifndef VFMGR_COMMANDS_H
#define VFMGR_COMMANDS_H

#include "sriov/drivers.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct context;

/* Where the commands and the daemon read the policy when not told otherwise. */
#define DEFAULT_POLICY "/etc/vfmgr/policy.yaml"

/* Exit statuses shared by every command (documented in vfmgr(8)). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,  /* the command ran and found or hit a problem */
	EXIT_USAGE = 2, /* the command line was wrong */
};

/* The policy prepare, metrics and daemon read when --policy does not name one. */
#define DEFAULT_POLICY "/etc/vfmgr/policy.yaml"

/* The options a command takes, as bits of its table entry; the parser refuses the others. */
enum cmd_opt {
	OPT_JSON = 1u << 0,           /* -j, --json */
	OPT_STATE = 1u << 1,          /* --state FILE */
	OPT_HOSTNAME = 1u << 2,       /* --hostname NAME */
	OPT_POLICY = 1u << 3,         /* --policy FILE */
	OPT_NO_POLICY = 1u << 4,      /* --no-policy */
	OPT_IF_MANAGED = 1u << 5,     /* --if-managed */
	OPT_ALLOW = 1u << 6,          /* --allow IMPACT */
	OPT_NETDEV = 1u << 7,         /* --netdev SPEC */
	OPT_STANDBY = 1u << 8,        /* --standby SPEC */
	OPT_WAIT_PFS = 1u << 9,       /* --wait-pfs SECONDS */
	OPT_METRICS_FILE = 1u << 10,  /* --metrics-file FILE */
	OPT_DETAILED_EXIT = 1u << 11, /* --detailed-exitcode */
};

struct command;

/* A parsed command line: the options (unset ones as the defaults say) and the operands. */
struct cmd_args {
	const struct command *cmd;
	bool json, if_managed;
	bool detailed_exitcode;   /* plan: exit 3 when changes are pending */
	const char *state_file;   /* NULL: $VFMGR_STATE or the default */
	const char *hostname;     /* NULL: this machine */
	const char *policy;       /* DEFAULT_POLICY for commands with --policy; NULL: --no-policy */
	const char *netdev;       /* qemu-args --netdev */
	const char *standby;      /* libvirt-xml --standby */
	const char *metrics_file; /* daemon --metrics-file */
	enum sriov_impact allow;  /* apply --allow (default PLAN_ALLOW_DEFAULT) */
	uint32_t wait_pfs;        /* daemon --wait-pfs */
	int argc;                 /* the operands, options removed */
	char **argv;
};

struct command {
	const char *name;
	const char *synopsis;   /* what follows "vfmgr NAME" in a usage line */
	const char *help;       /* one line for `vfmgr --help` */
	const char *details;    /* more for `vfmgr NAME --help`, or NULL */
	unsigned opts;          /* enum cmd_opt bits */
	int min_args, max_args; /* operands; max_args -1: any number */
	bool words;             /* operands are words (rss set): options only before the first */
	bool hidden;            /* not listed (the completion's helpers) */
	int (*run)(const struct cmd_args *a);
	const struct command *subs; /* rss show|set: the commands under this one */
	size_t n_subs;
};

/* The program's command table and its size. */
extern const struct command vfmgr_commands[];
extern const size_t vfmgr_n_commands;

/* Runs the command argv[0] names among table (path: the words before it, "" or "rss"):
 * parses its options, prints --help, reports usage errors (exit 2) prefixed "vfmgr:". */
int cmd_dispatch(const struct command *table, size_t n, const char *path, int argc, char **argv);
/* The list of commands in table, for `vfmgr --help` and a missing or unknown command. */
void cmd_usage(const struct command *table, size_t n, const char *path, FILE *f);

int cmd_list(const struct cmd_args *a);
int cmd_plan(const struct cmd_args *a);
int cmd_apply(const struct cmd_args *a);
int cmd_status(const struct cmd_args *a);
int cmd_release(const struct cmd_args *a);
int cmd_prepare(const struct cmd_args *a);
int cmd_qemu_args(const struct cmd_args *a);
int cmd_libvirt_xml(const struct cmd_args *a);
int cmd_guest_config(const struct cmd_args *a);
int cmd_check(const struct cmd_args *a);
int cmd_rss_show(const struct cmd_args *a);
int cmd_rss_set(const struct cmd_args *a);
int cmd_daemon(const struct cmd_args *a);
int cmd_reload(const struct cmd_args *a);
int cmd_metrics(const struct cmd_args *a);
int cmd_complete_vms(const struct cmd_args *a);

/* Prints o (NULL: out of memory) as indented JSON and a newline, and drops it; 0 or -errno. */
int cmd_json_print(json_t *o, FILE *f);
/* Whether this process printed its JSON object on stdout (cmd_json_print, or a daemon's
 * answer passed on: cmd_json_note_printed); a failed --json command that did not prints its
 * diagnostics instead (cmd-diag-json.h). */
bool cmd_json_printed(void);
void cmd_json_note_printed(void);

/* The body of `vfmgr status` for a loaded context (the daemon answers with it too). */
int status_write(const struct context *ctx, bool json, FILE *f);
/* What `vfmgr qemu-args` (qemu) or `vfmgr libvirt-xml` prints for a VM. */
struct launch_opts {
	bool qemu, json;
	const char *netdev;  /* qemu-args --netdev SPEC, or NULL */
	const char *standby; /* libvirt-xml --standby SPEC, or NULL */
};
/* The body of both commands for one VM: f gets all of it or, on an error, nothing. */
int launch_write(const char *state_file, const char *vm, const struct launch_opts *o, FILE *f);

#endif
