#include "passthrough/launch.h"

static void print_address(const char *addr, FILE *f)
{
	struct pci_addr a;

	if (parse_pci_addr(addr, &a) < 0)
		return;
	fprintf(f,
	        "  <source>\n"
	        "    <address type='pci' domain='0x%04x' bus='0x%02x' slot='0x%02x' "
	        "function='0x%x'/>\n"
	        "  </source>\n",
	        a.domain, a.bus, a.dev, a.func);
}

int launch_print_libvirt(const struct launch_dev *d, size_t n, FILE *f)
{
	for (size_t i = 0; i < n; i++) {
		char mac[MAC_STR_LEN];

		if (d[i].kind == LAUNCH_HOSTDEV) {
			fprintf(f, "<hostdev mode='subsystem' type='pci' managed='no'>\n");
			print_address(d[i].addr, f);
			fprintf(f, "  <alias name='ua-%s'/>\n</hostdev>\n", d[i].id);
			continue;
		}
		format_mac(d[i].mac, mac);
		fprintf(f, "<interface type='hostdev' managed='no'>\n");
		print_address(d[i].addr, f);
		fprintf(f, "  <mac address='%s'/>\n", mac);
		if (d[i].vlan)
			fprintf(f, "  <vlan>\n    <tag id='%u'/>\n  </vlan>\n", d[i].vlan);
		fprintf(f, "  <alias name='ua-%s'/>\n</interface>\n", d[i].id);
	}
	return 0;
}
