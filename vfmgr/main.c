/* vfmgr: SR-IOV VFs and VFIO passthrough for VM hosts, driven by one YAML policy. */
#include "vfmgr/cmd.h"
#include "vfmgr/version.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/sysfs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: vfmgr [-v] [--sysfs-root DIR] COMMAND [ARGS]\n\n");
	cmd_usage(vfmgr_commands, vfmgr_n_commands, "", f);
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
	opterr = 0;
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
			log_error("unrecognized option '%s' (vfmgr --help lists them)",
			          argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return cmd_dispatch(vfmgr_commands, vfmgr_n_commands, "", argc - optind, argv + optind);
}
