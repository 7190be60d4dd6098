#include "util/parse.h"

#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	/* strtoull accepts "-1" and leading spaces; a policy value must be a plain number. */
	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int r = parse_u64(s, max, &v);

	if (r < 0)
		return r;
	*out = (uint32_t)v;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int parse_mac(const char *s, uint8_t mac[MAC_LEN])
{
	uint8_t m[MAC_LEN];

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < MAC_LEN; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (i < MAC_LEN - 1 && s[3 * i + 2] != ':')
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, MAC_LEN);
	return 0;
}

void format_mac(const uint8_t mac[MAC_LEN], char buf[MAC_STR_LEN])
{
	snprintf(buf, MAC_STR_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
	         mac[4], mac[5]);
}

void format_hex_bytes(const uint8_t *bytes, size_t len, char *buf, size_t size)
{
	size_t off = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < len && off + (i ? 4 : 3) <= size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%02x", i ? ":" : "", bytes[i]);
}

/* The number of bytes in s, each stored in out when out is not NULL; -EINVAL past max. */
static int hex_bytes(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (!*s)
		return -EINVAL;
	while (*s) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0 || n == max)
			return -EINVAL;
		if (out)
			out[n] = (uint8_t)(hi << 4 | lo);
		n++;
		s += 2;
		if (*s == ':' && s[1])
			s++;
	}
	return (int)n;
}

int parse_hex_bytes(const char *s, uint8_t *out, size_t max, size_t *len)
{
	int n = s && max <= INT_MAX ? hex_bytes(s, NULL, max) : -EINVAL;

	if (n < 0)
		return n;
	hex_bytes(s, out, max);
	*len = (size_t)n;
	return 0;
}

bool mac_is_multicast(const uint8_t mac[MAC_LEN])
{
	return mac[0] & 0x01;
}

bool mac_is_local(const uint8_t mac[MAC_LEN])
{
	return mac[0] & 0x02;
}

bool mac_is_zero(const uint8_t mac[MAC_LEN])
{
	for (int i = 0; i < MAC_LEN; i++)
		if (mac[i])
			return false;
	return true;
}

static int hexfield(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;

	for (size_t i = 0; i < len; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return -EINVAL;
		v = v * 16 + (unsigned)h;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_pci_addr(const char *s, struct pci_addr *out)
{
	unsigned dom = 0, bus, dev, fn;
	size_t len;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	/* Domains are 32-bit: VMD and some hosts number them from 10000 up. */
	if (len >= 12 && len <= 16) {
		if (s[len - 8] != ':' || hexfield(s, len - 8, 0xffffffffu, &dom) < 0)
			return -EINVAL;
		s += len - 7;
	} else if (len != 7) {
		return -EINVAL;
	}
	if (s[2] != ':' || s[5] != '.')
		return -EINVAL;
	if (hexfield(s, 2, 0xff, &bus) < 0 || hexfield(s + 3, 2, 0x1f, &dev) < 0 ||
	    hexfield(s + 6, 1, 7, &fn) < 0)
		return -EINVAL;
	out->domain = (uint32_t)dom;
	out->bus = (uint8_t)bus;
	out->dev = (uint8_t)dev;
	out->func = (uint8_t)fn;
	return 0;
}

void format_pci_addr(const struct pci_addr *a, char buf[PCI_ADDR_STR_LEN])
{
	snprintf(buf, PCI_ADDR_STR_LEN, "%04x:%02x:%02x.%x", a->domain, a->bus, a->dev & 0x1fu,
	         a->func & 7u);
}
