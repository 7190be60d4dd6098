/* Strict parsers for the values vfmgr reads from users and from the kernel. Each returns 0 or
 * -EINVAL / -ERANGE and leaves *out untouched on error. */
#ifndef VFMGR_UTIL_PARSE_H
#define VFMGR_UTIL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAC_LEN          6
#define MAC_STR_LEN      18 /* "aa:bb:cc:dd:ee:ff" + NUL */
#define PCI_ADDR_STR_LEN 20 /* "dddddddd:bb:dd.f" + NUL, rounded up */

struct pci_addr {
	uint32_t domain; /* 32-bit, as the kernel has them (VMD domains start at 10000) */
	uint8_t bus, dev, func;
};

int parse_u64(const char *s, uint64_t max, uint64_t *out);
int parse_u32(const char *s, uint32_t max, uint32_t *out);
int parse_bool(const char *s, bool *out);

int parse_mac(const char *s, uint8_t mac[MAC_LEN]);
void format_mac(const uint8_t mac[MAC_LEN], char buf[MAC_STR_LEN]);
bool mac_is_multicast(const uint8_t mac[MAC_LEN]);
bool mac_is_local(const uint8_t mac[MAC_LEN]);
bool mac_is_zero(const uint8_t mac[MAC_LEN]);

/* Byte strings such as RSS hash keys, as ethtool prints and takes them: "6d:5a:56". The
 * formatter writes lowercase pairs joined by ':' (size >= 3 * len; a shorter buffer gets the
 * bytes that fit). The parser takes two hex digits a byte, either case, each pair optionally
 * followed by one ':' before the next ("6d:5a:56", "6d5a56"); 1 to max bytes into out. */
void format_hex_bytes(const uint8_t *bytes, size_t len, char *buf, size_t size);
int parse_hex_bytes(const char *s, uint8_t *out, size_t max, size_t *len);

/* Accepts "dddd:bb:dd.f" (4 to 8 domain digits) and the short "bb:dd.f" (domain 0), as lspci
 * prints them. */
int parse_pci_addr(const char *s, struct pci_addr *out);
void format_pci_addr(const struct pci_addr *a, char buf[PCI_ADDR_STR_LEN]);

#endif
