/* The daemon's event sources: a libudev monitor (pci and net) and an rtnetlink socket on
 * RTNLGRP_LINK. Both only map an event to the PF it concerns and schedule a reconcile naming it. */
#include "vfmgr/daemon.h"
#include "util/log.h"

#include <errno.h>
#include <libudev.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A burst of VF creation notifications must not overflow the socket (we would lose drift). */
#define RTNL_RCVBUF (1 << 20)

static bool is_network_class(struct udev_device *pci)
{
	const char *cls = udev_device_get_property_value(pci, "PCI_CLASS");

	/* PCI_CLASS is hex without leading zeros: base class 02 = network controller. */
	return cls && strlen(cls) == 5 && cls[0] == '2';
}

/* The PF a PCI event concerns: a watched PF or VF, a VF's physfn, or a new network device
 * that may match the policy. NULL when the event is nobody's business. */
static const char *event_pf(struct daemon *d, struct udev_device *pci, const char *action,
                            char *buf, size_t size)
{
	const char *addr = udev_device_get_sysname(pci);
	const char *pf = daemon_watched_pf(d, addr);
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	if (pf)
		return pf;
	if (!is_network_class(pci))
		return NULL;
	snprintf(link, sizeof(link), "%s/physfn", udev_device_get_syspath(pci));
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		pf = daemon_watched_pf(d, strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
		return pf;
	}
	/* A PF that just arrived or got its driver back; or, while the plan cannot be made, any
	 * network device that might be what it waits for. */
	if (strcmp(action, "add") == 0 || strcmp(action, "bind") == 0 || !d->plan_ok) {
		snprintf(buf, size, "%s", addr);
		return buf;
	}
	return NULL;
}

static void handle_device(struct daemon *d, struct udev_device *dev)
{
	const char *action = udev_device_get_action(dev);
	const char *subsys = udev_device_get_subsystem(dev);
	struct udev_device *pci =
	    strcmp(subsys, "pci") == 0
	        ? dev
	        : udev_device_get_parent_with_subsystem_devtype(dev, "pci", NULL);
	char buf[NIC_ADDR_LEN], why[128];
	const char *pf = NULL;

	if (!action)
		return;
	/* Any PCI device's add, bind, change...: a VF's, a new NIC's, an IOMMU group peer's. */
	if (strcmp(subsys, "pci") == 0)
		daemon_forget_pci_scan(d);
	if (pci)
		pf = event_pf(d, pci, action, buf, sizeof(buf));
	else if (strcmp(subsys, "net") == 0) /* netdevsim and other non-PCI PFs */
		pf = daemon_watched_pf_by_ifindex(
		    d, atoi(udev_device_get_property_value(dev, "IFINDEX") ?: "0"));
	if (!pf)
		return;
	snprintf(why, sizeof(why), "uevent %s %s %s", subsys, action, udev_device_get_sysname(dev));
	/* Hotplug and driver (un)binding come from outside; "change" and "move" may be ours. */
	bool external = strcmp(action, "add") == 0 || strcmp(action, "bind") == 0 ||
	                strcmp(action, "remove") == 0 || strcmp(action, "unbind") == 0;
	/* The PF itself came back: what its driver refused before is worth trying again. */
	bool pf_itself = pci && strcmp(udev_device_get_sysname(pci), pf) == 0;
	if (external && pf_itself)
		pending_forget(&d->pend, pf);
	/* The PF bound to its network driver again: the probe is over, act without the quiet
	 * time. (vfio-pci is the driver a passthrough apply binds: that bind is ours.) */
	const char *drv = udev_device_get_property_value(dev, "DRIVER");
	if (pf_itself && dev == pci && strcmp(action, "bind") == 0 && drv &&
	    strcmp(drv, "vfio-pci") != 0)
		daemon_schedule_now(d, pf, why);
	else
		daemon_schedule_reconcile(d, pf, external, why);
}

/* The socket's buffer overflowed and events were dropped: anything may have changed, on any
 * device, so the next reconcile reads the whole host again and lifts a streak's hold. */
static void events_lost(struct daemon *d, const char *src)
{
	log_warn("%s: events lost (ENOBUFS: the socket's buffer overflowed); re-reading the whole "
	         "host",
	         src);
	pending_forget(&d->pend, NULL);
	daemon_forget_pci_scan(d);
	daemon_schedule_reconcile(d, "host", true, "events lost: full re-read");
}

bool events_udev_busy(struct daemon *d)
{
	struct udev_queue *q = udev_queue_new(d->udevctx);
	bool busy = q && !udev_queue_get_queue_is_empty(q);

	udev_queue_unref(q);
	return busy;
}

static void on_udev(struct daemon *d)
{
	struct udev_device *dev;

	for (;;) {
		errno = 0;
		dev = udev_monitor_receive_device(d->mon);
		if (!dev)
			break;
		handle_device(d, dev);
		udev_device_unref(dev);
	}
	if (errno == ENOBUFS)
		events_lost(d, "udev");
}

static int on_link_msg(struct nl_msg *msg, void *arg)
{
	struct daemon *d = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	const struct ifinfomsg *ifi;
	const char *pf;
	char why[64];

	if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return NL_OK;
	ifi = nlmsg_data(h);
	pf = daemon_watched_pf_by_ifindex(d, ifi->ifi_index);
	if (pf) {
		snprintf(why, sizeof(why), "link %s ifindex %d",
		         h->nlmsg_type == RTM_NEWLINK ? "changed" : "removed", ifi->ifi_index);
		/* A PF's interface going away is the start of a driver unbind: its udev events
		 * follow, so it waits for the quiet time like them. */
		if (h->nlmsg_type == RTM_NEWLINK)
			daemon_mark_drift(d, pf, why);
		else
			daemon_schedule_reconcile(d, pf, false, why);
	}
	return NL_OK;
}

static void on_rtnl(struct daemon *d)
{
	int r = nl_recvmsgs_default(d->nls);

	/* libnl reports ENOBUFS (notifications lost) as NLE_NOMEM, "Out of memory". */
	if (r == -NLE_NOMEM)
		events_lost(d, "rtnetlink");
	else if (r < 0 && r != -NLE_AGAIN) {
		log_warn("rtnetlink: %s; checking every PF", nl_geterror(r));
		for (size_t i = 0; i < d->n_watch; i++)
			if (strcmp(d->watch[i].addr, d->watch[i].pf) == 0)
				daemon_schedule_reconcile(d, d->watch[i].pf, false,
				                          "notifications unread");
	}
}

void events_drain_rtnl(struct daemon *d)
{
	static char buf[16384];

	while (recv(d->rtnl.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int open_udev(struct daemon *d)
{
	d->udevctx = udev_new();
	if (!d->udevctx)
		return -ENOMEM;
	d->mon = udev_monitor_new_from_netlink(d->udevctx, "udev");
	if (!d->mon || udev_monitor_filter_add_match_subsystem_devtype(d->mon, "pci", NULL) < 0 ||
	    udev_monitor_filter_add_match_subsystem_devtype(d->mon, "net", NULL) < 0 ||
	    udev_monitor_enable_receiving(d->mon) < 0) {
		log_error("udev monitor: cannot listen for pci and net events");
		return -EIO;
	}
	d->udev = (struct source){.fd = udev_monitor_get_fd(d->mon), .ready = on_udev};
	return 0;
}

static int open_rtnl(struct daemon *d)
{
	int r;

	d->nls = nl_socket_alloc();
	if (!d->nls)
		return -ENOMEM;
	/* Notifications carry no sequence numbers of ours. */
	nl_socket_disable_seq_check(d->nls);
	nl_socket_modify_cb(d->nls, NL_CB_VALID, NL_CB_CUSTOM, on_link_msg, d);
	r = nl_connect(d->nls, NETLINK_ROUTE);
	if (r == 0)
		r = nl_socket_add_membership(d->nls, RTNLGRP_LINK);
	if (r == 0)
		r = nl_socket_set_nonblocking(d->nls);
	if (r == 0)
		r = nl_socket_set_buffer_size(d->nls, RTNL_RCVBUF, 0);
	if (r < 0) {
		log_error("rtnetlink: cannot listen for link changes: %s", nl_geterror(r));
		return -EIO;
	}
	d->rtnl = (struct source){.fd = nl_socket_get_fd(d->nls), .ready = on_rtnl};
	return 0;
}

int events_open(struct daemon *d)
{
	int r = open_udev(d);

	return r < 0 ? r : open_rtnl(d);
}

void events_close(struct daemon *d)
{
	if (d->mon)
		udev_monitor_unref(d->mon);
	if (d->udevctx)
		udev_unref(d->udevctx);
	if (d->nls)
		nl_socket_free(d->nls);
	d->mon = NULL;
	d->udevctx = NULL;
	d->nls = NULL;
}
