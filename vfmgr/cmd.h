/* The subcommands of the vfmgr program; each returns its process exit status. */
#ifndef VFMGR_COMMANDS_H
#define VFMGR_COMMANDS_H

#include <stdbool.h>
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

int cmd_list(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_prepare(int argc, char **argv);
int cmd_qemu_args(int argc, char **argv);
int cmd_libvirt_xml(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_rss(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_metrics(int argc, char **argv);

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
