/* Opens a VFIO group the way QEMU does and reports whether the kernel calls it viable (every
 * device in the group bound to vfio-pci or otherwise safe). Exit 0 only when viable.
 *   usage: vfio-group-status GROUP */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	char path[64];
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s GROUP\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%s", argv[1]);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0) {
		fprintf(stderr, "%s: VFIO_GROUP_GET_STATUS: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	printf("%s: flags 0x%x%s%s\n", path, st.flags,
	       st.flags & VFIO_GROUP_FLAGS_VIABLE ? " viable" : " not-viable",
	       st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET ? " container-set" : "");
	close(fd);
	return st.flags & VFIO_GROUP_FLAGS_VIABLE ? 0 : 1;
}
