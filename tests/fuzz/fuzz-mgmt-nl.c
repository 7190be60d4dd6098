/* libFuzzer target: the management-path decoders through their real functions, as
 * mgmt_find_ifaces feeds them each recv() of the rtnetlink dumps (links, routes, nexthops,
 * addresses), then the resolution over what was decoded. The first byte picks how the input is
 * cut into recv()s, so messages that span the decoder's calls are tried too. */
#include "vfmgr/observe-mgmt.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mgmt_net net;
	struct mgmt_iface *ifs = NULL;
	size_t n = 0, cut, off = 1;

	if (size < 1)
		return 0;
	memset(&net, 0, sizeof(net));
	cut = data[0] ? (size_t)data[0] * 16 : size;
	mgmt_set_server(&net, "192.0.2.1");
	while (off < size) {
		size_t len = size - off < cut ? size - off : cut;
		/* Each recv() is its own buffer: an over-read past it is caught by ASan. */
		uint8_t *buf = malloc(len);
		int r;

		if (!buf)
			break;
		memcpy(buf, data + off, len);
		r = mgmt_decode(&net, buf, len);
		free(buf);
		off += len;
		if (r != 0)
			break;
	}
	if (mgmt_resolve(&net, &ifs, &n) == 0)
		free(ifs);
	mgmt_net_free(&net);
	return 0;
}
