#include "passthrough/launch.h"

#include <errno.h>
#include <jansson.h>

static int print_device(json_t *dev, bool json, FILE *f)
{
	if (!dev)
		return -ENOMEM;
	if (json) {
		char *s = json_dumps(dev, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!s) {
			json_decref(dev);
			return -ENOMEM;
		}
		fprintf(f, "-device %s\n", s);
		free(s);
	} else {
		/* QEMU's key=value form, same keys in the same order as the JSON. */
		const char *k;
		json_t *v;
		bool first = true;
		fprintf(f, "-device %s", json_string_value(json_object_get(dev, "driver")));
		json_object_foreach(dev, k, v)
		{
			if (first) {
				first = false;
				continue;
			}
			if (json_is_string(v))
				fprintf(f, ",%s=%s", k, json_string_value(v));
			else
				fprintf(f, ",%s=%s", k, json_is_true(v) ? "on" : "off");
		}
		fputc('\n', f);
	}
	json_decref(dev);
	return 0;
}

/* QEMU unplugs a failover primary before migrating, so it must sit on a hotpluggable bus: a
 * pcie-root-port of its own (q35). Chassis numbers from 200 keep clear of the ones a VM
 * definition usually gives its own root ports. */
#define FAILOVER_CHASSIS_BASE 200

int launch_print_qemu(const struct launch_dev *d, size_t n, bool json, FILE *f)
{
	unsigned ports = 0;

	for (size_t i = 0; i < n; i++) {
		char standby[128], netdev[128], port[128], chassis[8], mac[MAC_STR_LEN];
		int r;

		if (d[i].kind == LAUNCH_NIC && d[i].migratable) {
			snprintf(standby, sizeof(standby), "%s-standby", d[i].id);
			snprintf(netdev, sizeof(netdev), "%s-net", d[i].id);
			snprintf(port, sizeof(port), "%s-port", d[i].id);
			snprintf(chassis, sizeof(chassis), "%u", FAILOVER_CHASSIS_BASE + ports++);
			format_mac(d[i].mac, mac);
			r = print_device(json_pack("{s:s, s:s, s:s}", "driver", "pcie-root-port",
			                           "id", port, "chassis", chassis),
			                 json, f);
			if (r == 0)
				r = print_device(json_pack("{s:s, s:s, s:s, s:b, s:s}", "driver",
				                           "virtio-net-pci", "netdev", netdev,
				                           "mac", mac, "failover", 1, "id",
				                           standby),
				                 json, f);
			if (r == 0)
				r = print_device(json_pack("{s:s, s:s, s:s, s:s, s:s}", "driver",
				                           "vfio-pci", "host", d[i].addr, "bus",
				                           port, "id", d[i].id, "failover_pair_id",
				                           standby),
				                 json, f);
		} else {
			r = print_device(json_pack("{s:s, s:s, s:s}", "driver", "vfio-pci", "host",
			                           d[i].addr, "id", d[i].id),
			                 json, f);
		}
		if (r < 0)
			return r;
	}
	return 0;
}
