#include "passthrough/launch.h"
#include "util/cleanup-json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* `$(vfmgr qemu-args VM)` splits its output into words, so a value with whitespace (or any
 * control character) would become extra arguments: such values are refused, not printed. */
static int value_check(const char *key, const char *s, char *why, size_t whysize)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p == 0x7f) {
			snprintf(why, whysize,
			         "-device %s='%s': refusing a value with whitespace or control "
			         "characters",
			         key, s);
			return -EINVAL;
		}
	}
	return 0;
}

/* QEMU's key=value syntax ends a value at a comma; ",," stands for a literal one. */
void launch_qemu_print_value(const char *s, FILE *f)
{
	for (; *s; s++) {
		if (*s == ',')
			fputc(',', f);
		fputc(*s, f);
	}
}

static int print_text(json_t *dev, FILE *f)
{
	const char *k;
	json_t *v;

	fputs("-device ", f);
	launch_qemu_print_value(json_string_value(json_object_get(dev, "driver")), f);
	json_object_foreach(dev, k, v)
	{
		if (strcmp(k, "driver") == 0)
			continue;
		fprintf(f, ",%s=", k);
		if (json_is_string(v))
			launch_qemu_print_value(json_string_value(v), f);
		else if (json_is_integer(v))
			fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			fputs(json_is_true(v) ? "on" : "off", f);
	}
	fputc('\n', f);
	return 0;
}

static int print_json(json_t *dev, FILE *f)
{
	char *s = json_dumps(dev, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (!s)
		return -ENOMEM;
	fprintf(f, "-device %s\n", s);
	free(s);
	return 0;
}

/* Prints dev (its "driver" first, as both forms want) and drops the reference. */
static int print_device(json_t *owned, bool json, FILE *f, char *why, size_t whysize)
{
	_cleanup_json_ json_t *dev = owned;
	const char *k;
	json_t *v;
	int r = 0;

	if (!dev)
		return -ENOMEM;
	json_object_foreach(dev, k, v)
	{
		if (json_is_string(v) &&
		    (r = value_check(k, json_string_value(v), why, whysize)) < 0)
			break;
	}
	if (r == 0)
		r = json ? print_json(dev, f) : print_text(dev, f);
	return r;
}

/* QEMU unplugs a failover primary before migrating, so it must sit on a hotpluggable bus: a
 * pcie-root-port of its own (q35). Chassis numbers from 200 keep clear of the ones a VM
 * definition usually gives its own root ports; QEMU's chassis is 8 bits. */
#define FAILOVER_CHASSIS_BASE 200
#define FAILOVER_CHASSIS_MAX  255

static int print_netdev(const struct launch_dev *d, const char *spec, FILE *f, char *why,
                        size_t whysize)
{
	char id[128];

	launch_standby_netdev(d, id, sizeof(id));
	if (value_check("netdev", spec, why, whysize) < 0)
		return -EINVAL;
	if (strncmp(spec, "id=", 3) == 0 || strstr(spec, ",id=")) {
		snprintf(why, whysize, "--netdev '%s': leave out id=, vfmgr names it %s", spec, id);
		return -EINVAL;
	}
	fprintf(f, "-netdev %s,id=%s\n", spec, id);
	return 0;
}

static int print_failover(const struct launch_dev *d, const char *host, unsigned chassis,
                          const struct launch_qemu_opts *o, FILE *f, char *why, size_t whysize)
{
	char standby[128], netdev[128], port[128], mac[MAC_STR_LEN];
	int r;

	if (chassis > FAILOVER_CHASSIS_MAX) {
		snprintf(why, whysize,
		         "%s: no pcie-root-port chassis left (%d..%d are taken by the VM's other "
		         "migratable NICs)",
		         d->id, FAILOVER_CHASSIS_BASE, FAILOVER_CHASSIS_MAX);
		return -ERANGE;
	}
	snprintf(standby, sizeof(standby), "%s-standby", d->id);
	snprintf(port, sizeof(port), "%s-port", d->id);
	launch_standby_netdev(d, netdev, sizeof(netdev));
	format_mac(d->mac, mac);
	r = print_device(json_pack("{s:s, s:s, s:i}", "driver", "pcie-root-port", "id", port,
	                           "chassis", (int)chassis),
	                 o->json, f, why, whysize);
	if (r == 0 && o->netdev)
		r = print_netdev(d, o->netdev, f, why, whysize);
	if (r == 0)
		r = print_device(json_pack("{s:s, s:s, s:s, s:b, s:s}", "driver", "virtio-net-pci",
		                           "netdev", netdev, "mac", mac, "failover", 1, "id",
		                           standby),
		                 o->json, f, why, whysize);
	if (r == 0)
		r = print_device(json_pack("{s:s, s:s, s:s, s:s, s:s}", "driver", "vfio-pci",
		                           "host", host, "bus", port, "id", d->id,
		                           "failover_pair_id", standby),
		                 o->json, f, why, whysize);
	return r;
}

int launch_print_qemu(const struct launch_dev *d, size_t n, const struct launch_qemu_opts *o,
                      FILE *f, char *why, size_t whysize)
{
	unsigned chassis = FAILOVER_CHASSIS_BASE;
	int r = launch_devs_check_macs(d, n, why, whysize);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		char host[PCI_ADDR_STR_LEN];
		struct pci_addr a;

		r = launch_dev_check(&d[i], why, whysize);
		if (r < 0)
			return r;
		/* What QEMU gets is the address re-formatted from its parsed form. */
		parse_pci_addr(d[i].addr, &a);
		format_pci_addr(&a, host);
		if (d[i].kind == LAUNCH_NIC && d[i].migratable)
			r = print_failover(&d[i], host, chassis++, o, f, why, whysize);
		else
			r = print_device(json_pack("{s:s, s:s, s:s}", "driver", "vfio-pci", "host",
			                           host, "id", d[i].id),
			                 o->json, f, why, whysize);
		if (r < 0)
			return r;
	}
	return 0;
}
