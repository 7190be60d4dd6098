/* How every --json output is written: one indented object and a newline. */
#include "vfmgr/cmd.h"

#include <errno.h>

static bool printed;

void cmd_json_note_printed(void)
{
	printed = true;
}

bool cmd_json_printed(void)
{
	return printed;
}

int cmd_json_print(json_t *o, FILE *f)
{
	int r;

	if (f == stdout)
		printed = true;
	if (!o)
		return -ENOMEM;
	r = json_dumpf(o, f, JSON_INDENT(2)) < 0 || fputc('\n', f) == EOF ? -EIO : 0;
	json_decref(o);
	return r;
}
