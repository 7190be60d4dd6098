/* vfmgr list --tree / --dot: the host as a picture, PF -> VF -> who holds it. */
#ifndef VFMGR_CMD_LIST_TREE_H
#define VFMGR_CMD_LIST_TREE_H

#include "vfmgr/observe-host.h"
#include "vfmgr/state.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

struct tree_view {
	const struct host *host;
	const struct state *state; /* who holds which VF; NULL: none known */
	/* Per host->nics entry: the policy's PF name and switch, or NULL (arrays may be NULL). */
	const char *const *pf_name, *const *pf_switch;
	bool dot;    /* Graphviz instead of text */
	bool colour; /* SGR colours (tree_colour_for) */
};

/* Colour on f: a terminal, NO_COLOR unset, TERM not dumb. */
bool tree_colour_for(FILE *f);
/* The tree, or the dot graph; 0 or -EIO. */
int tree_write(const struct tree_view *v, FILE *f);

#endif
