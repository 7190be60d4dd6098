/* libFuzzer target: any byte string through the real reading path (file read, parse,
 * validate) must neither crash nor leak, and a failed parse must always say why. */
#include "policy/policy.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One file per process, rewritten for each input: vfmgr reads policies from files. */
static const char *input_file(const uint8_t *data, size_t size)
{
	static char path[4096];
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "%s/fuzz-policy-%d.yaml",
		         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = input_file(data, size);
	struct policy_diags diags;
	struct policy *p = NULL;
	int r;

	policy_diags_init(&diags);
	r = policy_parse_file(path, &p, &diags);
	if (r == -EINVAL && diags.n_errors == 0)
		abort();
	if (r == 0 && (!p || diags.n_errors))
		abort();
	if (r < 0 && r != -EINVAL && r != -ENOMEM)
		abort(); /* a regular file under the cap always reads */
	if (diags.n > POLICY_DIAGS_MAX + 1)
		abort();
	for (size_t i = 0; i < diags.n; i++) {
		char buf[512];
		policy_diag_format(&diags, &diags.items[i], buf, sizeof(buf));
	}
	policy_free(p);
	policy_diags_free(&diags);
	unlink(path);
	return 0;
}
