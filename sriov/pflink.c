#include "sriov/pflink.h"
#include "util/sysfs.h"

#include <dirent.h>
#include <net/if.h>

enum pf_link sriov_pf_link_at(int dfd)
{
	long flags, carrier;

	if (sysfs_read_long_at(dfd, "flags", &flags) < 0)
		return PF_LINK_UNKNOWN;
	if (!(flags & IFF_UP))
		return PF_LINK_ADMIN_DOWN;
	/* The kernel answers EINVAL for an interface that is not running. */
	if (sysfs_read_long_at(dfd, "carrier", &carrier) < 0)
		return PF_LINK_UNKNOWN;
	return carrier ? PF_LINK_UP : PF_LINK_NO_CARRIER;
}

enum pf_link sriov_pf_link(int ifindex)
{
	char name[IF_NAMESIZE];
	enum pf_link l;
	DIR *d;

	if (ifindex <= 0 || !if_indextoname((unsigned)ifindex, name) ||
	    !(d = sysfs_opendir("/sys/class/net/%s", name)))
		return PF_LINK_UNKNOWN;
	l = sriov_pf_link_at(dirfd(d));
	closedir(d);
	return l;
}

const char *sriov_pf_link_name(enum pf_link l)
{
	switch (l) {
	case PF_LINK_ADMIN_DOWN:
		return "admin-down";
	case PF_LINK_NO_CARRIER:
		return "no-carrier";
	case PF_LINK_UP:
		return "up";
	case PF_LINK_UNKNOWN:
		break;
	}
	return "unknown";
}
