/* The one option parser every command goes through: the options a command takes come from
 * its table entry (cmd.h), so `--json` means the same on each, `--help` prints to standard
 * output and exits 0 everywhere, and a wrong command line says "vfmgr: ..." and exits 2. */
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-diag-json.h"
#include "vfmgr/plan.h"
#include "vfmgr/state.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/parse.h"

#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define OPT_HELP 0u /* every command has it */

/* How an option's value lands in struct cmd_args. */
enum opt_set {
	SET_TRUE,    /* a flag: the bool becomes true */
	SET_STR,     /* the operand, as given */
	SET_NULL,    /* the string becomes NULL (--no-policy) */
	SET_IMPACT,  /* an impact name (sriov_impact_parse) */
	SET_SECONDS, /* 0 to 3600 */
	SET_HELP,    /* --help: the parser prints it */
};

/* The cmd_args member an option sets. */
#define FIELD(f) .field = offsetof(struct cmd_args, f)

static const struct cmd_option {
	unsigned bit;
	const char *name;
	const char *arg; /* the operand's word, or NULL for a flag */
	const char *help;
	enum opt_set set;
	size_t field;    /* in struct cmd_args */
	const char *bad; /* a refused operand: "--NAME takes ..., not" */
} options[] = {
    {OPT_JSON, "json", NULL, "print JSON (keys in vfmgr(8))", SET_TRUE, FIELD(json)},
    {OPT_POLICY, "policy", "FILE", "the policy (default " DEFAULT_POLICY ")", SET_STR,
     FIELD(policy)},
    {OPT_NO_POLICY, "no-policy", NULL, "read no policy", SET_NULL, FIELD(policy)},
    {OPT_STATE, "state", "FILE", "the state file (default $VFMGR_STATE or " STATE_DEFAULT_PATH ")",
     SET_STR, FIELD(state_file)},
    {OPT_HOSTNAME, "hostname", "NAME", "evaluate the policy as host NAME", SET_STR,
     FIELD(hostname)},
    {OPT_ALLOW, "allow", "IMPACT",
     "the most a step may disrupt: none, vf-reset, vf-destroy, "
     "pf-reset",
     SET_IMPACT, FIELD(allow), .bad = "--allow takes none, vf-reset, vf-destroy or pf-reset, not"},
    {OPT_IF_MANAGED, "if-managed", NULL, "a VM the policy does not name is no error", SET_TRUE,
     FIELD(if_managed)},
    {OPT_NETDEV, "netdev", "SPEC", "print -netdev SPEC,id=... for each failover standby", SET_STR,
     FIELD(netdev)},
    {OPT_STANDBY, "standby", "SPEC", "network=NAME, bridge=NAME or user", SET_STR, FIELD(standby)},
    {OPT_WAIT_PFS, "wait-pfs", "SECONDS", "wait up to SECONDS for the policy's PFs at start",
     SET_SECONDS, FIELD(wait_pfs), .bad = "--wait-pfs takes seconds from 0 to 3600, not"},
    {OPT_METRICS_FILE, "metrics-file", "FILE", "write the metrics to FILE after each apply",
     SET_STR, FIELD(metrics_file)},
    {OPT_DETAILED_EXIT, "detailed-exitcode", NULL, "exit 3 when changes are pending, 0 when none",
     SET_TRUE, FIELD(detailed_exitcode)},
    {OPT_HELP, "help", NULL, "print this help and exit", .set = SET_HELP},
};

/* "vfmgr rss show" for messages. */
static void full_name(const char *path, const struct command *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", path, path[0] ? " " : "", c->name);
}

static void print_help(const char *path, const struct command *c)
{
	char name[64];

	full_name(path, c, name, sizeof(name));
	printf("usage: vfmgr %s%s%s\n%s\n", name, c->synopsis[0] ? " " : "", c->synopsis, c->help);
	if (c->details)
		fputs(c->details, stdout);
	if (c->subs) {
		printf("\n");
		cmd_usage(c->subs, c->n_subs, name, stdout);
		return;
	}
	printf("\noptions:\n");
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const struct cmd_option *o = &options[i];
		char flag[48];

		if (o->bit != OPT_HELP && !(c->opts & o->bit))
			continue;
		snprintf(flag, sizeof(flag), "%s--%s%s%s",
		         o->bit == OPT_JSON   ? "-j, "
		         : o->bit == OPT_HELP ? "-h, "
		                              : "",
		         o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		printf("  %-24s %s\n", flag, o->help);
	}
}

/* "vfmgr: error: NAME: what (see vfmgr NAME --help)", exit 2. */
static int usage_error(const char *path, const struct command *c, const char *what, const char *arg)
{
	char name[64];

	full_name(path, c, name, sizeof(name));
	log_error("%s: %s%s%s%s (see vfmgr %s --help)", name, what, arg ? " '" : "", arg ? arg : "",
	          arg ? "'" : "", name);
	return EXIT_USAGE;
}

/* Sets option o in a; an exit status for a bad value, or -1 to go on. */
static int set_option(const char *path, const struct command *c, const struct cmd_option *o,
                      const char *val, struct cmd_args *a)
{
	void *field = (char *)a + o->field;
	int r = 0;

	switch (o->set) {
	case SET_TRUE:
		*(bool *)field = true;
		break;
	case SET_STR:
		*(const char **)field = val;
		break;
	case SET_NULL:
		*(const char **)field = NULL;
		break;
	case SET_IMPACT:
		r = sriov_impact_parse(val, field);
		break;
	case SET_SECONDS:
		r = parse_u32(val, 3600, field);
		break;
	case SET_HELP:
		break;
	}
	return r < 0 ? usage_error(path, c, o->bad, val) : -1;
}

/* Parses argv (argv[0] the command's name) into a; an exit status, or -1 to run. */
static int parse(const char *path, const struct command *c, int argc, char **argv,
                 struct cmd_args *a)
{
	struct option longopts[ARRAY_SIZE(options) + 1];
	const char *shortopts =
	    c->words ? (c->opts & OPT_JSON ? "+:hj" : "+:h") : (c->opts & OPT_JSON ? ":hj" : ":h");
	size_t n = 0;
	int ch;

	memset(a, 0, sizeof(*a));
	a->cmd = c;
	a->allow = PLAN_ALLOW_DEFAULT;
	if (c->opts & OPT_POLICY)
		a->policy = DEFAULT_POLICY;
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		if (options[i].bit != OPT_HELP && !(c->opts & options[i].bit))
			continue;
		longopts[n++] = (struct option){options[i].name,
		                                options[i].arg ? required_argument : no_argument,
		                                NULL, 256 + (int)i};
	}
	longopts[n] = (struct option){0};
	opterr = 0; /* the errors below name the command and say "vfmgr:" */
	optind = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int r = -1;

		if (ch == 'h') {
			print_help(path, c);
			return EXIT_OK;
		}
		if (ch == 'j')
			ch = 256; /* options[0] is --json */
		if (ch == ':')
			return usage_error(path, c, "missing value for", argv[optind - 1]);
		if (ch == '?' || ch < 256)
			return usage_error(path, c, "unrecognized option",
			                   optopt ? (char[]){'-', (char)optopt, '\0'}
			                          : argv[optind - 1]);
		if (options[ch - 256].bit == OPT_HELP) {
			print_help(path, c);
			return EXIT_OK;
		}
		r = set_option(path, c, &options[ch - 256], optarg, a);
		if (r >= 0)
			return r;
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	if (a->argc < c->min_args)
		return usage_error(path, c, "missing operand", NULL);
	if (c->max_args >= 0 && a->argc > c->max_args)
		return usage_error(path, c, "unexpected argument", a->argv[c->max_args]);
	return -1;
}

void cmd_usage(const struct command *table, size_t n, const char *path, FILE *f)
{
	fprintf(f, "commands:\n");
	for (size_t i = 0; i < n; i++) {
		const struct command *c = &table[i];
		char line[160];

		if (c->hidden)
			continue;
		snprintf(line, sizeof(line), "%s%s%s", c->name, c->synopsis[0] ? " " : "",
		         c->synopsis);
		if (strlen(line) <= 30)
			fprintf(f, "  %-30s %s\n", line, c->help);
		else
			fprintf(f, "  %s\n  %-30s %s\n", line, "", c->help);
	}
	fprintf(f, "\n'vfmgr %s%sCOMMAND --help' says more. See vfmgr(8) and vfmgr-policy(5).\n",
	        path, path[0] ? " " : "");
}

int cmd_dispatch(const struct command *table, size_t n, const char *path, int argc, char **argv)
{
	const struct command *c = NULL;
	struct cmd_args a;
	int r;

	if (argc < 1) {
		log_error("%s%swhich command? (vfmgr %s%s--help lists them)", path,
		          path[0] ? ": " : "", path, path[0] ? " " : "");
		cmd_usage(table, n, path, stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < n && !c; i++)
		if (strcmp(argv[0], table[i].name) == 0)
			c = &table[i];
	if (!c) {
		log_error("%s%sunknown command '%s' (vfmgr %s%s--help lists them)", path,
		          path[0] ? ": " : "", argv[0], path, path[0] ? " " : "");
		return EXIT_USAGE;
	}
	if (c->subs) {
		char name[64];

		full_name(path, c, name, sizeof(name));
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			print_help(path, c);
			return EXIT_OK;
		}
		return cmd_dispatch(c->subs, c->n_subs, name, argc - 1, argv + 1);
	}
	r = parse(path, c, argc, argv, &a);
	if (r >= 0)
		return r;
	if (!a.json)
		return c->run(&a);
	diag_json_begin();
	r = c->run(&a);
	json_t *diags = diag_json_end();
	if (r != EXIT_OK && !cmd_json_printed())
		cmd_json_print(diags, stdout);
	else
		json_decref(diags);
	return r;
}
