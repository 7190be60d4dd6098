#include "sriov/numvfs.h"
#include "util/progress.h"
#include "sriov/pflink.h"
#include "util/fault.h"
#include "util/sysfs.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VF_WAIT_SECONDS 30
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
static int wait_for_vfs(const char *addr, unsigned n, char *why, size_t whysize)
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
			snprintf(why, whysize, "only %u of %u VFs appeared within %d s", seen, n,
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
static int write_numvfs(enum nic_bus bus, const char *addr, unsigned n, char *why, size_t whysize)
{
	char v[16], what[48];
	pid_t stuck;

	snprintf(v, sizeof(v), "%u", n);
	int r = sysfs_write_bounded(v, NUMVFS_TIMEOUT_MS, &stuck, "%s/%s/sriov_numvfs", devdir(bus),
	                            addr);
	if (r < 0) {
		snprintf(what, sizeof(what), "set sriov_numvfs %u", n);
		sysfs_bounded_why(why, whysize, what, r, NUMVFS_TIMEOUT_MS, stuck);
	}
	return r;
}

int sriov_wait_link_if_up(int ifindex)
{
	char name[IF_NAMESIZE] = "";
	double start = now();
	struct progress pr;

	progress_start(&pr, SRIOV_LINK_WAIT_SECONDS, "%s: waiting for the carrier",
	               if_indextoname((unsigned)ifindex, name) ? name : "the PF");
	while (sriov_pf_link(ifindex) == PF_LINK_NO_CARRIER) {
		if (now() - start > SRIOV_LINK_WAIT_SECONDS) {
			progress_end(&pr);
			return -ETIMEDOUT;
		}
		progress_tick(&pr);
		usleep(20000);
	}
	progress_end(&pr);
	return 0;
}

static int set_and_wait(enum nic_bus bus, const char *addr, unsigned n, char *why, size_t whysize)
{
	int r = write_numvfs(bus, addr, n, why, whysize);

	if (r == 0 && bus == NIC_BUS_PCI)
		r = wait_for_vfs(addr, n, why, whysize);
	return r;
}

/* After the second write of N->0->M failed (why says how): N VFs again, or *dirty. */
static void back_to(enum nic_bus bus, const char *addr, unsigned from, int r, bool *dirty,
                    char *why, size_t whysize)
{
	char again[160] = "";
	size_t len = strlen(why);

	if (r == -ETIMEDOUT || set_and_wait(bus, addr, from, again, sizeof(again)) < 0) {
		*dirty = true;
		if (again[0] && len < whysize)
			snprintf(why + len, whysize - len, "; back to %u VFs: %s", from, again);
	} else if (len < whysize) {
		snprintf(why + len, whysize - len, "; numvfs back to %u", from);
	}
}

int sriov_set_numvfs(enum nic_bus bus, const char *addr, int ifindex, unsigned from, unsigned to,
                     bool *dirty, char *why, size_t whysize)
{
	/* netdevsim has a carrier but no reset to wait for. */
	bool was_up = bus == NIC_BUS_PCI && sriov_pf_link(ifindex) == PF_LINK_UP;
	int r;

	*dirty = false;
	why[0] = '\0';
	if (from == to)
		return 0;
	if (from != 0 && to != 0) {
		r = write_numvfs(bus, addr, 0, why, whysize);
		if (r < 0) {
			*dirty = r == -ETIMEDOUT;
			return r;
		}
		r = fault_at("numvfs-zero");
		if (r < 0)
			snprintf(why, whysize, "failing on purpose after numvfs 0 (test build)");
		if (r == 0)
			r = write_numvfs(bus, addr, to, why, whysize);
		if (r < 0) {
			/* Half way, with no VFs: the old count comes back (fresh VFs; the caller
			 * restores what it had set on them). */
			back_to(bus, addr, from, r, dirty, why, whysize);
			return r;
		}
	} else {
		r = write_numvfs(bus, addr, to, why, whysize);
		if (r < 0) {
			*dirty = r == -ETIMEDOUT;
			return r;
		}
	}
	r = bus == NIC_BUS_PCI ? wait_for_vfs(addr, to, why, whysize) : 0;
	if (r == 0 && was_up) {
		/* The reset may not have started yet when the write returns. A link that stays
		 * down is not this step's failure: the rate-limit writes wait for it and say so
		 * (sriov_wait_link_if_up). */
		usleep(100000);
		sriov_wait_link_if_up(ifindex);
	}
	return r;
}
