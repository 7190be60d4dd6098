/* libFuzzer target: the state-file reader (JSON text to struct state), as apply and status
 * read it after a crash, a full disk or a hand edit. */
#include "vfmgr/state.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	struct state s, copy;
	char err[200];

	if (!j)
		return 0;
	if (state_from_json(j, &s, err, sizeof(err)) == 0) {
		/* What was read must write back and read again the same. */
		json_t *back = state_to_json(&s);
		if (back && state_from_json(back, &copy, err, sizeof(err)) == 0) {
			if (!state_equal(&s, &copy))
				__builtin_trap();
			state_free(&copy);
		}
		json_decref(back);
		state_free(&s);
	}
	json_decref(j);
	return 0;
}
