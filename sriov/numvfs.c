#include "sriov/numvfs.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/sysfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VF_WAIT_SECONDS   30
#define LINK_WAIT_SECONDS 10
/* 4 igb VFs take about a second; large VF counts on real NICs tens of seconds. */
#define NUMVFS_TIMEOUT_MS 60000

static const char *devdir(enum nic_bus bus)
{
	return bus == NIC_BUS_PCI ? "/sys/bus/pci/devices" : "/sys/bus/netdevsim/devices";
}

int sriov_read_numvfs(enum nic_bus bus, const char *addr, unsigned *out)
{
	long v;
	int r = sysfs_read_long(&v, "%s/%s/sriov_numvfs", devdir(bus), addr);

	if (r < 0)
		return r;
	*out = (unsigned)v;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VFs appear as PCI functions (virtfnN links) after the write returns; wait for all of them so
 * the next step finds their devices. netdevsim VFs are bookkeeping only. */
static int wait_for_vfs(const char *addr, unsigned n)
{
	double start = now();
	bool tty = isatty(2) && n > 8;
	unsigned seen = 0;

	while (seen < n) {
		while (seen < n && sysfs_exists("/sys/bus/pci/devices/%s/virtfn%u", addr, seen))
			seen++;
		if (tty)
			fprintf(stderr, "\r%s: %u of %u VFs", addr, seen, n);
		if (seen == n)
			break;
		if (now() - start > VF_WAIT_SECONDS) {
			if (tty)
				fputc('\n', stderr);
			log_error("%s: only %u of %u VFs appeared within %d s", addr, seen, n,
			          VF_WAIT_SECONDS);
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
	if (tty)
		fputc('\n', stderr);
	return 0;
}

/* The write creates or removes the VFs, probing or removing their drivers inside it; a driver
 * that blocks there must not take vfmgr with it. */
static int write_numvfs(enum nic_bus bus, const char *addr, unsigned n)
{
	char v[16];
	pid_t stuck;

	snprintf(v, sizeof(v), "%u", n);
	int r = sysfs_write_bounded(v, NUMVFS_TIMEOUT_MS, &stuck, "%s/%s/sriov_numvfs", devdir(bus),
	                            addr);
	if (r == -ETIMEDOUT)
		log_error("%s: set sriov_numvfs %u did not finish within %d s: the kernel is "
		          "blocked in a driver (process %d, in D state: cat /proc/%d/stack)",
		          addr, n, NUMVFS_TIMEOUT_MS / 1000, (int)stuck, (int)stuck);
	else if (r < 0)
		log_error("%s: set sriov_numvfs %u: %s", addr, n, strerror(-r));
	return r;
}

static bool link_up(const char *ifname)
{
	char st[16];

	return ifname && ifname[0] &&
	       sysfs_read_str(st, sizeof(st), "/sys/class/net/%s/operstate", ifname) == 0 &&
	       strcmp(st, "up") == 0;
}

/* igb resets the adapter when VFs are enabled or disabled: the PF link drops for a second or
 * so, and until it is back the driver refuses VF rate limits (EINVAL). Wait for it. */
/* Only an explicit "down" counts: drivers without carrier reporting (netdevsim) say
 * "unknown" and are never waited for. */
static bool link_down(const char *ifname)
{
	char st[16];

	return ifname && ifname[0] &&
	       sysfs_read_str(st, sizeof(st), "/sys/class/net/%s/operstate", ifname) == 0 &&
	       (strcmp(st, "down") == 0 || strcmp(st, "lowerlayerdown") == 0);
}

static void wait_link(const char *addr, const char *ifname)
{
	double start = now();

	while (link_down(ifname)) {
		if (now() - start > LINK_WAIT_SECONDS) {
			log_warn("%s (%s): link still down after %d s; VF rate limits may be "
			         "refused until it is up",
			         addr, ifname, LINK_WAIT_SECONDS);
			return;
		}
		usleep(50000);
	}
}

void sriov_wait_link_if_up(const char *addr, const char *ifname)
{
	long flags;

	if (!link_down(ifname) || sysfs_read_long(&flags, "/sys/class/net/%s/flags", ifname) < 0 ||
	    !(flags & 1))
		return;
	wait_link(addr, ifname);
}

static int set_and_wait(enum nic_bus bus, const char *addr, unsigned n)
{
	int r = write_numvfs(bus, addr, n);

	if (r == 0 && bus == NIC_BUS_PCI)
		r = wait_for_vfs(addr, n);
	return r;
}

int sriov_set_numvfs(enum nic_bus bus, const char *addr, const char *ifname, unsigned from,
                     unsigned to, bool *dirty)
{
	bool was_up = link_up(ifname);
	int r;

	*dirty = false;
	if (from == to)
		return 0;
	if (from != 0 && to != 0) {
		r = write_numvfs(bus, addr, 0);
		if (r < 0) {
			*dirty = r == -ETIMEDOUT;
			return r;
		}
		r = fault_at("numvfs-zero");
		if (r == 0)
			r = write_numvfs(bus, addr, to);
		if (r < 0) {
			/* Half way, with no VFs: the old count comes back (fresh VFs; the caller
			 * restores what it had set on them). */
			if (r == -ETIMEDOUT || set_and_wait(bus, addr, from) < 0)
				*dirty = true;
			else
				log_notice("%s: numvfs back to %u", addr, from);
			return r;
		}
	} else {
		r = write_numvfs(bus, addr, to);
		if (r < 0) {
			*dirty = r == -ETIMEDOUT;
			return r;
		}
	}
	r = bus == NIC_BUS_PCI ? wait_for_vfs(addr, to) : 0;
	if (r == 0 && was_up) {
		/* The reset may not have started yet when the write returns. */
		usleep(100000);
		wait_link(addr, ifname);
	}
	return r;
}
