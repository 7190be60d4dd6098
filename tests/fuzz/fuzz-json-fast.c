/* libFuzzer target: json_fast_load against jansson's json_loadb(JSON_REJECT_DUPLICATES) on the
 * same bytes (the same verdicts, equal values), and json_fast_dump against json_dumps. */
#include "util/json-fast.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t e1, e2;
	json_t *a = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e1);
	json_t *b = json_fast_load((const char *)data, size, &e2);

	/* jansson 2.14 drops a NUL byte that follows a number or literal ("[0\0]" reads as [0]):
	 * its lexer cannot push a NUL back. json_fast_load rejects a NUL byte anywhere, so
	 * with one in the input only "json_fast_load accepts => jansson accepts" holds. */
	if (b && !a)
		__builtin_trap();
	if (a && !b && !memchr(data, 0, size))
		__builtin_trap();
	if (a && !b) {
		json_decref(a);
		return 0;
	}
	if (a && !json_equal(a, b))
		__builtin_trap();
	if (a) {
		/* The writer: what json_dumps(JSON_INDENT(2)) makes, byte for byte. */
		char *d1 = json_dumps(a, JSON_INDENT(2)), *d2 = json_fast_dump(a, NULL);
		if (d1 && d2 && strcmp(d1, d2) != 0)
			__builtin_trap();
		free(d1);
		free(d2);
	}
	json_decref(a);
	json_decref(b);
	return 0;
}
