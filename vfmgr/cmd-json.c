/* How every --json output is written: one indented object and a newline. */
#include "vfmgr/cmd.h"

#include <errno.h>

int cmd_json_print(json_t *o, FILE *f)
{
	int r;

	if (!o)
		return -ENOMEM;
	r = json_dumpf(o, f, JSON_INDENT(2)) < 0 || fputc('\n', f) == EOF ? -EIO : 0;
	json_decref(o);
	return r;
}
