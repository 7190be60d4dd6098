#include "passthrough/vfio.h"
#include "util/cleanup.h"
#include "util/log.h"
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
static int wait_group_node(const char *addr)
{
	int g = vfio_group(addr);
	char dev[64];

	if (g < 0)
		return g;
	snprintf(dev, sizeof(dev), "/dev/vfio/%d", g);
	for (int i = 0; i < 100; i++) {
		if (access(dev, F_OK) == 0)
			return 0;
		usleep(20000);
	}
	log_error("%s: bound to vfio-pci but %s did not appear within 2 s", addr, dev);
	return -ETIMEDOUT;
}

static int expect_driver(const char *addr, const char *want)
{
	char drv[64];
	int r = vfio_current_driver(addr, drv, sizeof(drv));

	if (r < 0)
		return r;
	if (strcmp(drv, want) != 0) {
		log_error("%s: driver is %s after binding, not %s", addr, drv[0] ? drv : "(none)",
		          want[0] ? want : "(none)");
		return -EIO;
	}
	return 0;
}

static int unbind(const char *addr)
{
	char drv[64];
	int r = vfio_current_driver(addr, drv, sizeof(drv));

	if (r < 0 || !drv[0])
		return r;
	r = sysfs_write_str(addr, DEV "/driver/unbind", addr);
	if (r < 0)
		log_error("%s: unbind from %s: %s", addr, drv, strerror(-r));
	return r;
}

/* Like libvirt, load vfio-pci when it is first needed rather than make the admin do it. */
static int load_vfio_pci(const char *addr)
{
	char *const argv[] = {"modprobe", "-q", VFIO_DRIVER, NULL};
	pid_t pid;
	int status;

	if (sysfs_exists("/sys/bus/pci/drivers/" VFIO_DRIVER))
		return 0;
	if (posix_spawnp(&pid, "modprobe", NULL, NULL, argv, environ) != 0 ||
	    waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    !sysfs_exists("/sys/bus/pci/drivers/" VFIO_DRIVER)) {
		log_error("%s: the vfio-pci driver is not available (modprobe vfio-pci failed)",
		          addr);
		return -ENODEV;
	}
	log_notice("%s: loaded the vfio-pci driver (modprobe vfio-pci)", addr);
	return 0;
}

int vfio_bind(const char *addr)
{
	int r = load_vfio_pci(addr);

	if (r < 0)
		return r;
	r = sysfs_write_str(VFIO_DRIVER, DEV "/driver_override", addr);
	if (r < 0) {
		log_error("%s: write driver_override: %s", addr, strerror(-r));
		return r;
	}
	r = unbind(addr);
	if (r == 0)
		r = sysfs_write_str(addr, "/sys/bus/pci/drivers_probe");
	if (r == 0)
		r = expect_driver(addr, VFIO_DRIVER);
	if (r == 0)
		r = wait_group_node(addr);
	if (r < 0) {
		/* Leave no override behind: the device must not grab vfio-pci on its next probe. */
		sysfs_write_str("\n", DEV "/driver_override", addr);
		return r;
	}
	return 0;
}

int vfio_restore(const char *addr, const char *driver)
{
	int r = sysfs_write_str("\n", DEV "/driver_override", addr);

	if (r < 0) {
		log_error("%s: clear driver_override: %s", addr, strerror(-r));
		return r;
	}
	r = unbind(addr);
	if (r < 0)
		return r;
	/* A device that had no driver stays without one. */
	if (!driver[0])
		return 0;
	r = sysfs_write_str(addr, "/sys/bus/pci/drivers_probe");
	if (r < 0) {
		log_error("%s: drivers_probe: %s", addr, strerror(-r));
		return r;
	}
	return expect_driver(addr, driver);
}
