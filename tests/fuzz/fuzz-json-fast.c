/* libFuzzer target: json_fast_load against jansson's json_loadb(JSON_REJECT_DUPLICATES) on the
 * same bytes. They must accept and reject the same texts and build equal values. */
#include "util/json-fast.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t e1, e2;
	json_t *a = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e1);
	json_t *b = json_fast_load((const char *)data, size, &e2);

	if (!a != !b)
		__builtin_trap();
	if (a && !json_equal(a, b))
		__builtin_trap();
	json_decref(a);
	json_decref(b);
	return 0;
}
