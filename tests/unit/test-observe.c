/* Discovery over recorded trees: the lab's igb PFs and VFs (a umockdev recording taken in the
 * guest, so libpci and sysfs see real kernel output) and a hand-built netdevsim tree. */
#include "fake-root.h"
#include "vfmgr/observe-host.h"
#include "vfmgr/observe-mgmt.h"
#include "util/sysfs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURE TOP_SRCDIR "/tests/data/igb-2pf-3vf.umockdev"

static const struct nic *nic(const struct host *h, const char *addr)
{
	size_t i = host_find_nic(h, addr);

	if (i == NO_INDEX)
		fail_msg("expected device %s in the snapshot, it is missing", addr);
	return &h->nics[i];
}

/* The recorded host, observed before each test that reads it and freed after. */
static int observed(void **state)
{
	struct host *h = calloc(1, sizeof(*h));

	if (!h || observe_host(h) < 0) {
		free(h);
		return -1;
	}
	*state = h;
	return 0;
}

static int observed_free(void **state)
{
	host_free(*state);
	free(*state);
	return 0;
}

static void test_igb_pfs_and_vfs_are_found(void **state)
{
	struct host *h = *state;

	assert_int_equal(h->n_nics, 5);
	const struct nic *pf = nic(h, "0000:01:00.0");
	assert_int_equal(pf->vendor_id, 0x8086);
	assert_int_equal(pf->device_id, 0x10c9);
	assert_string_equal(pf->driver, "igb");
	assert_true(pf->sriov_capable);
	assert_int_equal(pf->totalvfs, 7);
	assert_int_equal(pf->numvfs, 3);
	assert_int_equal(pf->n_vfs, 3);
	assert_string_equal(pf->device, "82576 Gigabit Network Connection");
	assert_int_equal(pf->n_netdevs, 1);
	assert_string_equal(pf->netdevs[0].name, "eth0");
	assert_string_equal(pf->netdevs[0].mac, "52:54:00:12:00:01");
	assert_int_equal(pf->iommu_group, 7);
	const struct nic *pf2 = nic(h, "0000:02:00.0");
	assert_int_equal(pf2->numvfs, 0);
	assert_int_equal(pf2->n_vfs, 0);
}

static void test_vfs_point_back_at_their_pf(void **state)
{
	static const char *const vfs[] = {"0000:01:10.0", "0000:01:10.2", "0000:01:10.4"};
	static const char *const drivers[] = {"igbvf", "igbvf", "vfio-pci"};
	struct host *h = *state;

	size_t pfi = host_find_nic(h, "0000:01:00.0");
	const struct nic *pf = &h->nics[pfi];
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(pf->vfs[i].index, i);
		assert_string_equal(pf->vfs[i].addr, vfs[i]);
		const struct nic *vf = nic(h, vfs[i]);
		assert_int_equal(vf->pf, pfi);
		assert_int_equal(vf->vf_index, (int)i);
		assert_string_equal(vf->driver, drivers[i]);
		assert_false(vf->sriov_capable);
	}
	/* A VF on vfio-pci has no netdev; one on igbvf has. */
	assert_int_equal(nic(h, "0000:01:10.4")->n_netdevs, 0);
	assert_string_equal(nic(h, "0000:01:10.2")->netdevs[0].name, "enp1s0v1");
}

/* The daemon's pass after link drift: PCI functions copied from the last scan, netdevs read
 * again, nothing of the scan shared with it (each is freed on its own). */
static void test_a_reused_scan_is_the_scan_with_fresh_netdevs(void **state)
{
	struct mgmt_iface m = {.name = "eth0", .why = "default route via eth0"};
	struct host *scan = *state, h = {0};

	mgmt_mark(scan, &m, 1);
	assert_int_equal(observe_host_reusing(&h, scan), 0);
	assert_int_equal(h.n_nics, scan->n_nics);
	for (size_t i = 0; i < h.n_nics; i++) {
		const struct nic *a = &h.nics[i], *b = &scan->nics[i];
		assert_string_equal(a->addr, b->addr);
		assert_string_equal(a->driver, b->driver);
		assert_int_equal(a->numvfs, b->numvfs);
		assert_int_equal(a->iommu_group, b->iommu_group);
		assert_int_equal(a->n_group_peers, b->n_group_peers);
		assert_int_equal(a->n_vfs, b->n_vfs);
		assert_int_equal(a->pf, b->pf);
		assert_int_equal(a->vf_index, b->vf_index);
		assert_int_equal(a->n_netdevs, b->n_netdevs);
		if (a->n_netdevs)
			assert_ptr_not_equal(a->netdevs, b->netdevs);
		if (a->n_vfs)
			assert_ptr_not_equal(a->vfs, b->vfs);
		if (a->n_group_peers)
			assert_ptr_not_equal(a->group_peers, b->group_peers);
		assert_false(a->management); /* marked on the scan, not carried over */
	}
	assert_string_equal(nic(&h, "0000:01:10.2")->netdevs[0].name, "enp1s0v1");
	assert_true(host_vf_counts_match(&h));
	/* IFLA_NUM_VF says 0 while the scan had 3 VFs: the scan is stale. */
	struct nic *pf = &h.nics[host_find_nic(&h, "0000:01:00.0")];
	pf->vf_settings_err = 0;
	pf->vf_settings.num_vf = 0;
	assert_false(host_vf_counts_match(&h));
	pf->vf_settings.num_vf = 3;
	assert_true(host_vf_counts_match(&h));
	/* Unread (no netdev, or the read failed) says nothing either way. */
	pf->vf_settings.num_vf = 0;
	pf->vf_settings_err = -ENOENT;
	assert_true(host_vf_counts_match(&h));
	host_free(&h);
}

static void test_management_interface_marks_its_device_only(void **state)
{
	struct mgmt_iface m = {.name = "eth1", .why = "default route via eth1"};
	struct host *h = *state;

	mgmt_mark(h, &m, 1);
	for (size_t i = 0; i < h->n_nics; i++)
		assert_int_equal(h->nics[i].management,
		                 strcmp(h->nics[i].addr, "0000:02:00.0") == 0);
	assert_string_equal(nic(h, "0000:02:00.0")->management_why, "default route via eth1");
}

static void test_management_vf_marks_its_pf_too(void **state)
{
	struct mgmt_iface m = {.name = "enp1s0v1", .why = "default route via enp1s0v1"};
	struct host *h = *state;

	mgmt_mark(h, &m, 1);
	assert_true(nic(h, "0000:01:10.2")->management);
	assert_true(nic(h, "0000:01:00.0")->management);
	assert_string_equal(nic(h, "0000:01:00.0")->management_why,
	                    "its VF 0000:01:10.2 carries the default route via enp1s0v1");
	assert_false(nic(h, "0000:01:10.0")->management);
	assert_false(nic(h, "0000:02:00.0")->management);
}

static void mkdirs(const char *root, const char *rel)
{
	char p[4096], cmd[4200];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
}

/* A fake root with the buses observe reads and netdevsim2, whose one port eni2np1 has MAC
 * aa:bb:cc:00:00:02; the caller adds the rest. */
static void nsim_root(char *root, const char *numvfs)
{
	fake_root_make(root);
	mkdirs(root, "/sys/bus/pci/devices");
	mkdirs(root, "/sys/bus/netdevsim/devices");
	mkdirs(root, "/sys/class/net");
	fake_root_put(root, "sys/devices/netdevsim2/sriov_numvfs", numvfs);
	fake_root_put(root, "sys/devices/netdevsim2/net/eni2np1/address", "aa:bb:cc:00:00:02\n");
}

static void test_netdevsim_devices_are_pfs(void **state)
{
	char root[] = "/tmp/vfmgr-nsim.XXXXXX", link[4200], cmd[4200];
	struct host h;
	(void)state;

	nsim_root(root, "3\n");
	mkdirs(root, "/sys/devices/netdevsim10/net/eni10np1");
	fake_root_put(root, "sys/devices/netdevsim10/sriov_numvfs", "0\n");
	fake_root_put(root, "sys/kernel/debug/netdevsim/netdevsim2/max_vfs", "64\n");
	fake_root_put(root, "sys/devices/netdevsim2/net/eni2np1/operstate", "up\n");
	for (int i = 0; i < 2; i++) {
		const char *dev = i ? "netdevsim10" : "netdevsim2";
		const char *ifn = i ? "eni10np1" : "eni2np1";
		snprintf(link, sizeof(link), "%s/sys/bus/netdevsim/devices/%s", root, dev);
		assert_int_equal(
		    symlink(i ? "../../../devices/netdevsim10" : "../../../devices/netdevsim2",
		            link),
		    0);
		snprintf(link, sizeof(link), "%s/sys/class/net/%s", root, ifn);
		snprintf(cmd, sizeof(cmd), "../../devices/%s/net/%s", dev, ifn);
		assert_int_equal(symlink(cmd, link), 0);
	}
	assert_int_equal(observe_host(&h), 0);
	assert_int_equal(fake_root_remove(root), 0);
	assert_int_equal(h.n_nics, 2);
	/* Numeric order, not string order. */
	assert_string_equal(h.nics[0].addr, "netdevsim2");
	assert_string_equal(h.nics[1].addr, "netdevsim10");
	assert_int_equal(h.nics[0].bus, NIC_BUS_NETDEVSIM);
	assert_true(h.nics[0].sriov_capable);
	assert_int_equal(h.nics[0].numvfs, 3);
	assert_int_equal(h.nics[0].totalvfs, 64);
	assert_int_equal(h.nics[0].n_vfs, 3);
	assert_int_equal(h.nics[0].vfs[2].nic, NO_INDEX);
	assert_string_equal(h.nics[0].netdevs[0].name, "eni2np1");
	assert_string_equal(h.nics[0].netdevs[0].mac, "aa:bb:cc:00:00:02");
	assert_int_equal(h.nics[1].totalvfs, -1);
	host_free(&h);
}

/* udev renamed the interface between the listing and the reads (eth0 -> eni2np1 here): the
 * netdev is read from the directory the listed name led to, and named as its uevent says. */
static void test_a_netdev_renamed_meanwhile_is_read_under_its_new_name(void **state)
{
	char root[] = "/tmp/vfmgr-rename.XXXXXX", link[4200];
	struct host h;
	(void)state;

	nsim_root(root, "0\n");
	fake_root_put(root, "sys/devices/netdevsim2/net/eni2np1/ifindex", "7\n");
	fake_root_put(root, "sys/devices/netdevsim2/net/eni2np1/uevent",
	              "INTERFACE=eni2np1\nIFINDEX=7\n");
	snprintf(link, sizeof(link), "%s/sys/bus/netdevsim/devices/netdevsim2", root);
	assert_int_equal(symlink("../../../devices/netdevsim2", link), 0);
	/* The old name still leads to the device's directory, as it does mid-rename. */
	snprintf(link, sizeof(link), "%s/sys/class/net/eth0", root);
	assert_int_equal(symlink("../../devices/netdevsim2/net/eni2np1", link), 0);
	assert_int_equal(observe_host(&h), 0);
	assert_int_equal(fake_root_remove(root), 0);
	assert_int_equal(h.n_nics, 1);
	assert_int_equal(h.nics[0].n_netdevs, 1);
	assert_string_equal(h.nics[0].netdevs[0].name, "eni2np1");
	assert_int_equal(h.nics[0].netdevs[0].ifindex, 7);
	assert_string_equal(h.nics[0].netdevs[0].mac, "aa:bb:cc:00:00:02");
	host_free(&h);
}

static void test_missing_pci_bus_is_an_error_not_an_exit(void **state)
{
	char root[] = "/tmp/vfmgr-empty.XXXXXX";
	struct host h;
	(void)state;

	fake_root_make(root);
	assert_int_equal(observe_host(&h), -EIO);
	assert_int_equal(fake_root_remove(root), 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	/* The recorded devices are only visible under umockdev's preload: re-run inside it. */
	if (!getenv("UMOCKDEV_DIR")) {
		setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
		execlp("umockdev-run", "umockdev-run", "-d", FIXTURE, "--", argv[0], (char *)NULL);
		perror("umockdev-run");
		return 1;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_igb_pfs_and_vfs_are_found, observed,
	                                    observed_free),
	    cmocka_unit_test_setup_teardown(test_vfs_point_back_at_their_pf, observed,
	                                    observed_free),
	    cmocka_unit_test_setup_teardown(test_a_reused_scan_is_the_scan_with_fresh_netdevs,
	                                    observed, observed_free),
	    cmocka_unit_test_setup_teardown(test_management_interface_marks_its_device_only,
	                                    observed, observed_free),
	    cmocka_unit_test_setup_teardown(test_management_vf_marks_its_pf_too, observed,
	                                    observed_free),
	    cmocka_unit_test(test_netdevsim_devices_are_pfs),
	    cmocka_unit_test(test_a_netdev_renamed_meanwhile_is_read_under_its_new_name),
	    cmocka_unit_test(test_missing_pci_bus_is_an_error_not_an_exit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
