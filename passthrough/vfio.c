#include "passthrough/vfio.h"
#include "util/progress.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/strcopy.h"
#include "util/sysfs.h"

#include <errno.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEV "/sys/bus/pci/devices/%s"
/* A bind or unbind takes 0.04-0.13 s in the lab; a driver still busy after 10 s is stuck. */
#define BIND_TIMEOUT_MS     10000
#define MODPROBE_TIMEOUT_MS 30000

extern char **environ;

int vfio_current_driver(const char *addr, char *buf, size_t size)
{
	int r = sysfs_read_link_name(buf, size, DEV "/driver", addr);

	if (r == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return r;
}

int vfio_group(const char *addr)
{
	char name[32];
	int r = sysfs_read_link_name(name, sizeof(name), DEV "/iommu_group", addr);

	return r < 0 ? r : atoi(name);
}

bool vfio_iommu_present(void)
{
	_cleanup_closedir_ DIR *d = sysfs_opendir("/sys/class/iommu");
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			return true;
	return false;
}

/* Binding is synchronous in the kernel, but /dev/vfio/N is made by devtmpfs/udev after it:
 * wait a little for it rather than hand the VM a group it cannot open yet. */
static int wait_group_node(const char *addr, char *why, size_t whysize)
{
	int g = vfio_group(addr);
	struct progress pr;
	char dev[64];

	if (g < 0) {
		snprintf(why, whysize, "no IOMMU group: %s", strerror(-g));
		return g;
	}
	snprintf(dev, sizeof(dev), "/dev/vfio/%d", g);
	progress_start(&pr, 2, "%s: waiting for %s", addr, dev);
	for (int i = 0; i < 100; i++) {
		if (access(dev, F_OK) == 0) {
			progress_end(&pr);
			return 0;
		}
		progress_tick(&pr);
		usleep(20000);
	}
	progress_end(&pr);
	snprintf(why, whysize, "bound to vfio-pci but %s did not appear within 2 s", dev);
	return -ETIMEDOUT;
}

static int expect_driver(const char *addr, const char *want, char *why, size_t whysize)
{
	char drv[64];
	int r = vfio_current_driver(addr, drv, sizeof(drv));

	if (r < 0) {
		snprintf(why, whysize, "read its driver: %s", strerror(-r));
		return r;
	}
	if (strcmp(drv, want) != 0) {
		snprintf(why, whysize, "driver is %s after binding, not %s",
		         drv[0] ? drv : "(none)", want[0] ? want : "(none)");
		return -EIO;
	}
	return 0;
}

/* unbind and drivers_probe run the driver's remove and probe inside the write, and a driver can
 * block there for good (vfio-pci's remove waits until every user of the device lets go). The
 * write is bounded so vfmgr ends with an error naming the device instead of hanging with it. */
static int driver_write(const char *what, const char *value, const char *path, char *why,
                        size_t whysize)
{
	pid_t stuck;
	int r = sysfs_write_bounded(value, BIND_TIMEOUT_MS, &stuck, "%s", path);

	if (r < 0)
		sysfs_bounded_why(why, whysize, what, r, BIND_TIMEOUT_MS, stuck);
	if (r == -ETIMEDOUT) {
		size_t len = strlen(why);
		snprintf(why + len, whysize - len,
		         "; the device is in an unknown state until it returns");
	}
	return r;
}

static int unbind(const char *addr, char *why, size_t whysize)
{
	char drv[64], path[128], what[96];
	int r = vfio_current_driver(addr, drv, sizeof(drv));

	if (r < 0) {
		snprintf(why, whysize, "read its driver: %s", strerror(-r));
		return r;
	}
	if (!drv[0])
		return 0;
	snprintf(path, sizeof(path), DEV "/driver/unbind", addr);
	snprintf(what, sizeof(what), "unbind from %s", drv);
	return driver_write(what, addr, path, why, whysize);
}

static int probe(const char *addr, char *why, size_t whysize)
{
	return driver_write("drivers_probe", addr, "/sys/bus/pci/drivers_probe", why, whysize);
}

int vfio_load_driver(char *why, size_t whysize)
{
	char *const argv[] = {"modprobe", "-q", VFIO_DRIVER, NULL};
	pid_t pid;
	int status;

	if (sysfs_exists("/sys/bus/pci/drivers/" VFIO_DRIVER))
		return 0;
	why[0] = '\0';
	if (posix_spawnp(&pid, "modprobe", NULL, NULL, argv, environ) != 0)
		pid = -1;
	/* A module's init can block too: wait for modprobe at most MODPROBE_TIMEOUT_MS. */
	pid_t w = 0;
	for (int waited = 0; pid > 0 && w == 0 && waited < MODPROBE_TIMEOUT_MS; waited += 10) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == 0)
			usleep(10000);
	}
	if (pid > 0 && w == 0) {
		snprintf(why, whysize, "modprobe vfio-pci (process %d) did not finish within %d s",
		         (int)pid, MODPROBE_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	if (pid < 0 || w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    !sysfs_exists("/sys/bus/pci/drivers/" VFIO_DRIVER)) {
		snprintf(why, whysize,
		         "the vfio-pci driver is not available (modprobe vfio-pci failed)");
		return -ENODEV;
	}
	return 1;
}

/* After a failure past the unbind: the device goes back to the driver it had, no override
 * left behind (it must not grab vfio-pci on its next probe). False when it could not; why
 * gets "; back on DRIVER" or why not. */
static bool put_back(const char *addr, const char *driver, char *why, size_t whysize)
{
	size_t len = strlen(why);
	char now[64] = "", err[160] = "";
	bool ok = sysfs_write_str("\n", DEV "/driver_override", addr) == 0;

	if (ok && (vfio_current_driver(addr, now, sizeof(now)) < 0 || strcmp(now, driver) != 0)) {
		ok = !now[0] || unbind(addr, err, sizeof(err)) == 0;
		if (ok && driver[0])
			ok = probe(addr, err, sizeof(err)) == 0 &&
			     expect_driver(addr, driver, err, sizeof(err)) == 0;
	}
	if (len < whysize && ok)
		snprintf(why + len, whysize - len, "; back on %s",
		         driver[0] ? driver : "no driver");
	else if (len < whysize)
		snprintf(why + len, whysize - len, "; could not put it back on %s%s%s",
		         driver[0] ? driver : "no driver", err[0] ? ": " : "", err);
	return ok;
}

int vfio_bind(const char *addr, bool *dirty, char *why, size_t whysize)
{
	char before[64];
	int r = vfio_load_driver(why, whysize);

	*dirty = false;
	if (r < 0)
		return r;
	why[0] = '\0';
	r = vfio_current_driver(addr, before, sizeof(before));
	if (r < 0) {
		snprintf(why, whysize, "read its driver: %s", strerror(-r));
		return r;
	}
	r = sysfs_write_str(VFIO_DRIVER, DEV "/driver_override", addr);
	if (r < 0) {
		snprintf(why, whysize, "write driver_override: %s", strerror(-r));
		return r;
	}
	r = unbind(addr, why, whysize);
	if (r == 0 && (r = fault_at("vfio-unbound")) < 0)
		snprintf(why, whysize, "failing on purpose after the unbind (test build)");
	if (r == 0)
		r = probe(addr, why, whysize);
	/* A write the kernel never finished leaves the device where it is: touching it again
	 * would block on the same device lock. */
	bool blocked = r == -ETIMEDOUT;
	if (r == 0)
		r = expect_driver(addr, VFIO_DRIVER, why, whysize);
	if (r == 0)
		r = wait_group_node(addr, why, whysize);
	if (r < 0 && (blocked || !put_back(addr, before, why, whysize)))
		*dirty = true;
	return r;
}

int vfio_restore(const char *addr, const char *driver, bool *dirty, char *why, size_t whysize)
{
	int r = sysfs_write_str("\n", DEV "/driver_override", addr);

	*dirty = false;
	why[0] = '\0';
	if (r < 0) {
		snprintf(why, whysize, "clear driver_override: %s", strerror(-r));
		return r;
	}
	r = unbind(addr, why, whysize);
	if (r < 0) {
		*dirty = r == -ETIMEDOUT;
		return r;
	}
	/* From here on the device is off vfio-pci: a failure leaves it half way. */
	*dirty = true;
	r = fault_at("vfio-unbound");
	if (r < 0) {
		snprintf(why, whysize, "failing on purpose after the unbind (test build)");
		return r;
	}
	/* A device that had no driver stays without one. */
	if (!driver[0]) {
		*dirty = false;
		return 0;
	}
	r = probe(addr, why, whysize);
	if (r == 0)
		r = expect_driver(addr, driver, why, whysize);
	if (r == 0)
		*dirty = false;
	return r;
}
