#include "rss/ethtool.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strcopy.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* The hash function bits are kernel-internal (include/linux/ethtool.h), not in the uapi header,
 * and are ABI: bit n is the n-th string of ETH_SS_RSS_HASH_FUNCS. */
#define ETH_RSS_HASH_NO_CHANGE 0
#define ETH_RSS_HASH_TOP       (1u << 0)
#define ETH_RSS_HASH_XOR       (1u << 1)
#define ETH_RSS_HASH_CRC32     (1u << 2)

static unsigned long writes;

static const struct {
	uint32_t bit;
	const char *name;
} hfuncs[] = {
    {ETH_RSS_HASH_TOP, "toeplitz"},
    {ETH_RSS_HASH_XOR, "xor"},
    {ETH_RSS_HASH_CRC32, "crc32"},
};

const char *rss_hfunc_name(uint32_t hfunc)
{
	for (size_t i = 0; i < ARRAY_SIZE(hfuncs); i++)
		if (hfuncs[i].bit == hfunc)
			return hfuncs[i].name;
	return NULL;
}

int rss_hfunc_from_name(const char *name, uint32_t *hfunc)
{
	for (size_t i = 0; i < ARRAY_SIZE(hfuncs); i++)
		if (strcmp(hfuncs[i].name, name) == 0) {
			*hfunc = hfuncs[i].bit;
			return 0;
		}
	return -EINVAL;
}

unsigned long rss_write_count(void)
{
	return writes;
}

static int ethtool_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

static int ethtool_call(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr = {0};
	int r = str_copy(ifr.ifr_name, sizeof(ifr.ifr_name), ifname);

	if (r < 0)
		return r;
	ifr.ifr_data = cmd;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return -errno;
	return 0;
}

/* A write: counted, and logged at debug level so a run shows exactly what it changed. */
static int ethtool_write(int fd, const char *ifname, void *cmd, const char *what)
{
	writes++;
	log_debug("rss: %s: ioctl %s", ifname, what);
	return ethtool_call(fd, ifname, cmd);
}

static bool not_supported(int r)
{
	return r == -EOPNOTSUPP || r == -EINVAL;
}

static int read_channels(int fd, const char *ifname, struct rss_state *st)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	int r = ethtool_call(fd, ifname, &ch);

	if (r == -EOPNOTSUPP)
		return 0;
	if (r < 0)
		return r;
	st->has_channels = true;
	st->max = (struct rss_channels){ch.max_rx, ch.max_tx, ch.max_other, ch.max_combined};
	st->cur =
	    (struct rss_channels){ch.rx_count, ch.tx_count, ch.other_count, ch.combined_count};
	return 0;
}

static int read_rx_rings(int fd, const char *ifname, uint32_t *rings)
{
	struct ethtool_rxnfc nfc = {.cmd = ETHTOOL_GRXRINGS};
	int r = ethtool_call(fd, ifname, &nfc);

	if (r < 0)
		return r;
	*rings = (uint32_t)nfc.data;
	return 0;
}

/* The driver states its table and key sizes when asked with both at zero; a second call with
 * those sizes returns the contents. */
static int read_rxfh(int fd, const char *ifname, struct rss_state *st)
{
	struct ethtool_rxfh head = {.cmd = ETHTOOL_GRSSH};
	_cleanup_free_ struct ethtool_rxfh *rx = NULL;
	int r = ethtool_call(fd, ifname, &head);

	if (not_supported(r))
		return 0;
	if (r < 0)
		return r;
	if (head.indir_size > RSS_INDIR_MAX || head.key_size > RSS_KEY_MAX)
		return -E2BIG;
	rx = calloc(1, sizeof(*rx) + head.indir_size * sizeof(uint32_t) + head.key_size);
	if (!rx)
		return -ENOMEM;
	rx->cmd = ETHTOOL_GRSSH;
	rx->indir_size = head.indir_size;
	rx->key_size = head.key_size;
	r = ethtool_call(fd, ifname, rx);
	if (r < 0)
		return r;
	st->has_rss = true;
	st->indir_size = rx->indir_size;
	memcpy(st->indir, rx->rss_config, rx->indir_size * sizeof(uint32_t));
	st->key_size = rx->key_size;
	memcpy(st->key, (const uint8_t *)(rx->rss_config + rx->indir_size), rx->key_size);
	st->hfunc = rx->hfunc;
	return 0;
}

static int read_state_fd(int fd, const char *ifname, struct rss_state *st)
{
	struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
	int r;

	memset(st, 0, sizeof(*st));
	r = str_copy(st->ifname, sizeof(st->ifname), ifname);
	if (r < 0)
		return r;
	r = ethtool_call(fd, ifname, &info);
	if (r < 0 && r != -EOPNOTSUPP)
		return r;
	/* Some virtual devices (lo) have no driver info; the name is only for messages. */
	str_copy(st->driver, sizeof(st->driver), r == 0 ? info.driver : "its driver");
	st->driver_known = r == 0;
	r = read_channels(fd, ifname, st);
	if (r < 0)
		return r;
	r = read_rx_rings(fd, ifname, &st->rx_rings);
	if (r < 0 && !not_supported(r))
		return r;
	return read_rxfh(fd, ifname, st);
}

int rss_read_state(const char *ifname, struct rss_state *st)
{
	_cleanup_close_ int fd = ethtool_socket();

	if (fd < 0)
		return fd;
	return read_state_fd(fd, ifname, st);
}

int rss_check_channels(const struct rss_state *st, const struct rss_channels *want, char *why,
                       size_t size)
{
	const struct {
		const char *name;
		uint32_t want, max;
	} f[] = {
	    {"rx", want->rx, st->max.rx},
	    {"tx", want->tx, st->max.tx},
	    {"other", want->other, st->max.other},
	    {"combined", want->combined, st->max.combined},
	};

	if (!st->has_channels) {
		snprintf(why, size, "channels not supported by %s on %s", st->driver, st->ifname);
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (f[i].want != RSS_KEEP && f[i].want > f[i].max) {
			snprintf(why, size, "%s on %s allows at most %u %s channels, asked for %u",
			         st->driver, st->ifname, f[i].max, f[i].name, f[i].want);
			return -ERANGE;
		}
	return 0;
}

int rss_check_table(const struct rss_state *st, uint32_t nqueues, const uint32_t *table, uint32_t n,
                    char *why, size_t size)
{
	if (!st->has_rss || st->indir_size == 0) {
		snprintf(why, size, "RSS indirection table not supported by %s on %s", st->driver,
		         st->ifname);
		return -EOPNOTSUPP;
	}
	if (n != st->indir_size) {
		snprintf(why, size, "%s on %s has %u table entries, the table given has %u",
		         st->driver, st->ifname, st->indir_size, n);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++)
		if (table[i] >= nqueues) {
			snprintf(why, size,
			         "table entry %u points at queue %u, %s has %u receive queues", i,
			         table[i], st->ifname, nqueues);
			return -EINVAL;
		}
	return 0;
}

int rss_check_key(const struct rss_state *st, uint32_t key_size, char *why, size_t size)
{
	if (!st->has_rss || st->key_size == 0) {
		snprintf(why, size,
		         "hash key not supported by %s on %s (the driver does not expose it)",
		         st->driver, st->ifname);
		return -EOPNOTSUPP;
	}
	if (key_size != st->key_size) {
		snprintf(why, size, "%s on %s takes a %u-byte hash key, the key given has %u bytes",
		         st->driver, st->ifname, st->key_size, key_size);
		return -EINVAL;
	}
	return 0;
}

static bool channels_differ(const struct rss_channels *cur, const struct rss_channels *want)
{
	return (want->rx != RSS_KEEP && want->rx != cur->rx) ||
	       (want->tx != RSS_KEEP && want->tx != cur->tx) ||
	       (want->other != RSS_KEEP && want->other != cur->other) ||
	       (want->combined != RSS_KEEP && want->combined != cur->combined);
}

static uint32_t pick(uint32_t want, uint32_t cur)
{
	return want == RSS_KEEP ? cur : want;
}

/* Writes a table (indir_size entries; 0 = the driver's default) without touching key or hash. */
static int write_table(int fd, const char *ifname, const uint32_t *table, uint32_t n)
{
	_cleanup_free_ struct ethtool_rxfh *rx = calloc(1, sizeof(*rx) + n * sizeof(uint32_t));

	if (!rx)
		return -ENOMEM;
	rx->cmd = ETHTOOL_SRSSH;
	rx->indir_size = n;
	rx->hfunc = ETH_RSS_HASH_NO_CHANGE;
	memcpy(rx->rss_config, table, n * sizeof(uint32_t));
	return ethtool_write(fd, ifname, rx, n ? "SRSSH table" : "SRSSH table default");
}

/* A write that changes the device: *changed once it is done. */
static int apply_write(int fd, const char *ifname, void *cmd, const char *what, bool *changed)
{
	int r = ethtool_write(fd, ifname, cmd, what);

	if (r == 0 && changed)
		*changed = true;
	return r;
}

/* A socket for one setter, and *changed false until it writes. */
static int set_begin(int *fd, bool *changed)
{
	if (changed)
		*changed = false;
	*fd = ethtool_socket();
	return *fd < 0 ? *fd : 0;
}

int rss_set_channels(const struct rss_state *now, const struct rss_channels *want, bool *changed)
{
	_cleanup_close_ int fd = -1;
	char why[160];
	int r = set_begin(&fd, changed);

	if (r == 0)
		r = rss_check_channels(now, want, why, sizeof(why));
	if (r < 0 || !channels_differ(&now->cur, want))
		return r;
	struct ethtool_channels ch = {
	    .cmd = ETHTOOL_SCHANNELS,
	    .rx_count = pick(want->rx, now->cur.rx),
	    .tx_count = pick(want->tx, now->cur.tx),
	    .other_count = pick(want->other, now->cur.other),
	    .combined_count = pick(want->combined, now->cur.combined),
	};
	uint32_t rx_queues = ch.combined_count + ch.rx_count;
	/* The kernel refuses to drop queues a user-set table still uses (ethtool_set_channels). */
	for (uint32_t i = 0; now->has_rss && i < now->indir_size; i++)
		if (now->indir[i] >= rx_queues) {
			r = write_table(fd, now->ifname, NULL, 0);
			if (r < 0)
				return r;
			if (changed)
				*changed = true;
			break;
		}
	return apply_write(fd, now->ifname, &ch, "SCHANNELS", changed);
}

int rss_set_table(const struct rss_state *now, const uint32_t *table, uint32_t n, bool *changed)
{
	_cleanup_close_ int fd = -1;
	char why[160];
	int r = set_begin(&fd, changed);

	if (r == 0)
		r = rss_check_table(now, now->rx_rings, table, n, why, sizeof(why));
	if (r < 0 || memcmp(now->indir, table, n * sizeof(uint32_t)) == 0)
		return r;
	r = write_table(fd, now->ifname, table, n);
	if (r == 0 && changed)
		*changed = true;
	return r;
}

int rss_set_key(const struct rss_state *now, const uint8_t *key, uint32_t n, bool *changed)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ struct ethtool_rxfh *rx = NULL;
	char why[160];
	int r = set_begin(&fd, changed);

	if (r == 0)
		r = rss_check_key(now, n, why, sizeof(why));
	if (r < 0 || memcmp(now->key, key, n) == 0)
		return r;
	rx = calloc(1, sizeof(*rx) + n);
	if (!rx)
		return -ENOMEM;
	rx->cmd = ETHTOOL_SRSSH;
	/* With the table unchanged the key sits at the start of rss_config. */
	rx->indir_size = ETH_RXFH_INDIR_NO_CHANGE;
	rx->key_size = n;
	rx->hfunc = ETH_RSS_HASH_NO_CHANGE;
	memcpy(rx->rss_config, key, n);
	return apply_write(fd, now->ifname, rx, "SRSSH key", changed);
}

int rss_set_hfunc(const struct rss_state *now, uint32_t hfunc, bool *changed)
{
	_cleanup_close_ int fd = -1;
	int r = set_begin(&fd, changed);

	if (r < 0)
		return r;
	if (!now->has_rss)
		return -EOPNOTSUPP;
	if (now->hfunc == hfunc)
		return 0;
	struct ethtool_rxfh rx = {
	    .cmd = ETHTOOL_SRSSH,
	    .indir_size = ETH_RXFH_INDIR_NO_CHANGE,
	    .hfunc = hfunc,
	};
	return apply_write(fd, now->ifname, &rx, "SRSSH hfunc", changed);
}

/* The reading forms: the state now, then the setter. */
static int read_now(const char *ifname, struct rss_state *st, bool *changed)
{
	if (changed)
		*changed = false;
	return rss_read_state(ifname, st);
}

int rss_apply_channels(const char *ifname, const struct rss_channels *want, bool *changed)
{
	struct rss_state st;
	int r = read_now(ifname, &st, changed);

	return r < 0 ? r : rss_set_channels(&st, want, changed);
}

int rss_apply_table(const char *ifname, const uint32_t *table, uint32_t n, bool *changed)
{
	struct rss_state st;
	int r = read_now(ifname, &st, changed);

	return r < 0 ? r : rss_set_table(&st, table, n, changed);
}

int rss_apply_key(const char *ifname, const uint8_t *key, uint32_t n, bool *changed)
{
	struct rss_state st;
	int r = read_now(ifname, &st, changed);

	return r < 0 ? r : rss_set_key(&st, key, n, changed);
}

int rss_apply_hfunc(const char *ifname, uint32_t hfunc, bool *changed)
{
	struct rss_state st;
	int r = read_now(ifname, &st, changed);

	return r < 0 ? r : rss_set_hfunc(&st, hfunc, changed);
}
