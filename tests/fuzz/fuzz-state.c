/* libFuzzer target: the state-file reader through the real path (file read, JSON, struct
 * state), as apply and status read it after a crash, a full disk or a hand edit. */
#include "util/log.h"
#include "vfmgr/state.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[4096];
	struct state s, copy;
	char err[200];
	FILE *f;

	if (!path[0]) {
		snprintf(path, sizeof(path), "%s/fuzz-state-%d.json",
		         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
		log_set_level(LOG_CRIT); /* every bad input logs one line; keep the output short */
	}
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (state_load(path, &s) == 0) {
		/* What was read must write back and read again the same. */
		json_t *back = state_to_json(&s);
		if (back && state_from_json(back, &copy, err, sizeof(err)) == 0) {
			if (!state_equal(&s, &copy))
				__builtin_trap();
			state_free(&copy);
		} else if (back) {
			__builtin_trap(); /* vfmgr could not read what it wrote */
		}
		json_decref(back);
		state_free(&s);
	}
	unlink(path);
	return 0;
}
