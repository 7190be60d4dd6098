/* libvirt domain XML for a VM's devices. VFs are plain <hostdev>s, not <interface
 * type='hostdev'>: for the latter libvirt 9 writes the VF's MAC and VLAN itself when the
 * domain starts (always 802.1Q, QoS 0) and puts back its own copy when it stops, which would
 * undo the policy's QoS and 802.1ad and set libvirt and vfmgr's daemon against each other.
 * For a <hostdev> it only binds and assigns the device. */
#include "passthrough/launch.h"
#include "util/strcopy.h"

#include <errno.h>
#include <string.h>

/* libvirt's deviceName pattern, which <source network=…> and <source bridge=…> must match. */
#define SOURCE_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-\\:/"

int launch_standby_parse(const char *s, struct launch_standby *out, char *why, size_t whysize)
{
	static const struct {
		const char *word;
		enum launch_standby_type type;
	} types[] = {
	    {"network=", LAUNCH_STANDBY_NETWORK},
	    {"bridge=", LAUNCH_STANDBY_BRIDGE},
	};
	const char *name;

	if (strcmp(s, "user") == 0) {
		out->type = LAUNCH_STANDBY_USER;
		out->source[0] = '\0';
		return 0;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t len = strlen(types[i].word);
		if (strncmp(s, types[i].word, len) != 0)
			continue;
		name = s + len;
		if (!*name || strspn(name, SOURCE_CHARS) != strlen(name) ||
		    str_copy(out->source, sizeof(out->source), name) < 0)
			break;
		out->type = types[i].type;
		return 0;
	}
	snprintf(why, whysize,
	         "--standby '%s': expected network=NAME, bridge=NAME or user (NAME: up to %zu "
	         "letters, digits, '_', '.', '-', ':', '/' or '\\')",
	         s, sizeof(out->source) - 1);
	return -EINVAL;
}

static const char *const xml_escapes[256] = {
    ['&'] = "&amp;",  ['<'] = "&lt;",  ['>'] = "&gt;",   ['\''] = "&apos;",
    ['"'] = "&quot;", ['\t'] = "&#9;", ['\n'] = "&#10;", ['\r'] = "&#13;",
};

/* An attribute value between single quotes, escaped. XML 1.0 has no form at all for most
 * control characters, so those are refused. */
int launch_xml_print_attr(const char *s, FILE *f, char *why, size_t whysize)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			snprintf(why, whysize,
			         "refusing to put a control character (0x%02x) into XML: '%s'", *p,
			         s);
			return -EINVAL;
		}
	}
	for (; *s; s++) {
		const char *e = xml_escapes[(unsigned char)*s];
		if (e)
			fputs(e, f);
		else
			fputc(*s, f);
	}
	return 0;
}

/* <tag attr='value'/> with value escaped. */
static int print_elem(FILE *f, const char *indent, const char *tag, const char *attr,
                      const char *prefix, const char *value, char *why, size_t whysize)
{
	fprintf(f, "%s<%s %s='%s", indent, tag, attr, prefix);
	if (launch_xml_print_attr(value, f, why, whysize) < 0)
		return -EINVAL;
	fputs("'/>\n", f);
	return 0;
}

static void print_source(const struct pci_addr *a, FILE *f)
{
	/* In a <hostdev> the address has no type= (libvirt's schema refuses one there). */
	fprintf(f,
	        "  <source>\n"
	        "    <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n"
	        "  </source>\n",
	        a->domain, a->bus, a->dev, a->func);
}

static int print_standby(const struct launch_dev *d, const struct launch_standby *sb, FILE *f,
                         char *why, size_t whysize)
{
	static const char *const type_name[] = {
	    [LAUNCH_STANDBY_NETWORK] = "network",
	    [LAUNCH_STANDBY_BRIDGE] = "bridge",
	    [LAUNCH_STANDBY_USER] = "user",
	};
	char mac[MAC_STR_LEN], alias[128];
	int r = 0;

	if (!sb) {
		snprintf(why, whysize, "%s is migratable: say where its virtio standby connects",
		         d->id);
		return -EINVAL;
	}
	format_mac(d->mac, mac);
	snprintf(alias, sizeof(alias), "%s-standby", d->id);
	fprintf(f, "<interface type='%s'>\n", type_name[sb->type]);
	if (sb->type != LAUNCH_STANDBY_USER)
		r = print_elem(f, "  ", "source", type_name[sb->type], "", sb->source, why,
		               whysize);
	if (r < 0)
		return r;
	fprintf(f,
	        "  <mac address='%s'/>\n"
	        "  <model type='virtio'/>\n"
	        "  <teaming type='persistent'/>\n",
	        mac);
	if (print_elem(f, "  ", "alias", "name", "ua-", alias, why, whysize) < 0)
		return -EINVAL;
	fputs("</interface>\n", f);
	return 0;
}

static int print_hostdev(const struct launch_dev *d, const struct launch_standby *sb, FILE *f,
                         char *why, size_t whysize)
{
	struct pci_addr a;
	char mac[MAC_STR_LEN], standby[128];
	int r;

	r = launch_dev_check(d, why, whysize);
	if (r < 0)
		return r;
	parse_pci_addr(d->addr, &a);
	if (d->kind == LAUNCH_NIC) {
		format_mac(d->mac, mac);
		fprintf(f, "<!-- VF for MAC %s", mac);
		if (d->vlan)
			fprintf(f, " vlan %u", d->vlan);
		fputs(": vfmgr sets these on the PF side -->\n", f);
		if (d->migratable && (r = print_standby(d, sb, f, why, whysize)) < 0)
			return r;
	}
	/* driver vfio: what libvirt would pick on a host with VFIO, said outright so that
	 * `virsh domxml-to-native` gives the same answer anywhere. */
	fputs("<hostdev mode='subsystem' type='pci' managed='no'>\n"
	      "  <driver name='vfio'/>\n",
	      f);
	print_source(&a, f);
	if (d->kind == LAUNCH_NIC && d->migratable) {
		snprintf(standby, sizeof(standby), "%s-standby", d->id);
		fputs("  <teaming type='transient' persistent='ua-", f);
		if (launch_xml_print_attr(standby, f, why, whysize) < 0)
			return -EINVAL;
		fputs("'/>\n", f);
	}
	if (print_elem(f, "  ", "alias", "name", "ua-", d->id, why, whysize) < 0)
		return -EINVAL;
	fputs("</hostdev>\n", f);
	return 0;
}

int launch_print_libvirt(const struct launch_dev *d, size_t n, const struct launch_standby *sb,
                         FILE *f, char *why, size_t whysize)
{
	int r = launch_devs_check_macs(d, n, why, whysize);

	for (size_t i = 0; r == 0 && i < n; i++)
		r = print_hostdev(&d[i], sb, f, why, whysize);
	return r;
}
