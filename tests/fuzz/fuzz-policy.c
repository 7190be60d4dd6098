/* libFuzzer target: any byte string through parse + validate must neither crash nor leak, and a
 * failed parse must always say why. */
#include "policy/policy.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_diags diags;
	struct policy *p = NULL;
	int r;

	policy_diags_init(&diags);
	r = policy_parse_buffer("fuzz.yaml", (const char *)data, size, &p, &diags);
	if (r == -EINVAL && diags.n_errors == 0)
		abort();
	if (r == 0 && (!p || diags.n_errors))
		abort();
	for (size_t i = 0; i < diags.n; i++) {
		char buf[512];
		policy_diag_format(&diags, &diags.items[i], buf, sizeof(buf));
	}
	policy_free(p);
	policy_diags_free(&diags);
	return 0;
}
