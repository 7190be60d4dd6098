/* vfmgr: SR-IOV VFs and VFIO passthrough for VM hosts, driven by one YAML policy. */
#include "vfmgr/cmd.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/sysfs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VFMGR_VERSION
#define VFMGR_VERSION "0.1"
#endif

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static const struct command commands[] = {
    {"list", cmd_list, "list [--json]              network PCI devices, their VFs and drivers"},
    {"check", cmd_check, "check POLICY [--json]      validate a policy file (vfmgr-policy(5))"},
    {"plan", cmd_plan, "plan POLICY [--json]       show what apply would change"},
    {"apply", cmd_apply, "apply POLICY               make the host match the policy"},
    {"status", cmd_status,
     "status [--json]            each VM's VFs, their live settings and drift"},
    {"prepare", cmd_prepare, "prepare VM [--policy FILE] one VM's VFs and devices, ready to start"},
    {"release", cmd_release,
     "release VM                 give a VM's VFs and devices back as found"},
    {"qemu-args", cmd_qemu_args,
     "qemu-args VM [--json]      -device arguments for the VM's devices"},
    {"libvirt-xml", cmd_libvirt_xml,
     "libvirt-xml VM             <interface>/<hostdev> XML for the VM"},
    {"rss", cmd_rss,
     "rss show|set IFACE ...     channels, RSS table, key, hash function, queue IRQs"},
    {"metrics", cmd_metrics,
     "metrics [--policy FILE]    VF state and the last apply, Prometheus text format"},
    {"daemon", cmd_daemon,
     "daemon [--policy FILE]     keep the host as the policy says, on every event"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vfmgr [-v] [--sysfs-root DIR] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\nSee vfmgr(8) and vfmgr-policy(5).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"sysfs-root", required_argument, NULL, 'R'},
	    {0},
	};
	int c;

	log_setup_from_env();
	if (getenv("VFMGR_SYSFS_ROOT"))
		sysfs_set_root(getenv("VFMGR_SYSFS_ROOT"));
	/* '+' stops at the command name so each command parses its own options. */
	while ((c = getopt_long(argc, argv, "+hVv", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("vfmgr %s\n", VFMGR_VERSION);
			return EXIT_OK;
		case 'v':
			log_set_level(log_get_level() < LOG_INFO ? LOG_INFO : LOG_DEBUG);
			break;
		case 'R':
			sysfs_set_root(optarg);
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			/* Commands see their own name as argv[0], like getopt expects. */
			optind++;
			int sub_argc = argc - optind + 1;
			char **sub_argv = argv + optind - 1;
			optind = 0;
			return commands[i].run(sub_argc, sub_argv);
		}
	}
	log_error("unknown command '%s'", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
