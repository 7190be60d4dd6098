/* libFuzzer target: any bytes sent to the control socket must neither crash nor leak the
 * request parser; a refusal always says why, and what parses formats back to itself. */
#include "vfmgr/daemon-proto.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req, again;
	char err[256] = "";
	int r;

	r = ctl_request_parse((const char *)data, size, &req, err, sizeof(err));
	if (r < 0) {
		if (r != -EINVAL || !err[0])
			abort();
		return 0;
	}
	char *text = ctl_request_format(&req);
	if (!text)
		abort();
	if (ctl_request_parse(text, strlen(text), &again, err, sizeof(err)) < 0 ||
	    memcmp(&req, &again, sizeof(req)) != 0)
		abort();
	free(text);
	return 0;
}
