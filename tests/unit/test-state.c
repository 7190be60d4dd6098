/* The state file's JSON: the RSS keys vfmgr generated survive a round trip, files written
 * before rss_keys existed still load, and what a tampered file says is checked (its strings by
 * the policy's rules, its VF addresses against the host's virtfn links). */
#include "vfmgr/state.h"

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
#include "util/array.h"
#include "util/sysfs.h"

static void test_rss_key_round_trips(void **state)
{
	struct state s = {0}, back;
	uint8_t key[40];
	char err[200];
	(void)state;

	for (int i = 0; i < 40; i++)
		key[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(state_set_rss_key(&s, "0000:01:00.0", key, 40), 0);
	key[0] = 0x01;
	assert_int_equal(state_set_rss_key(&s, "0000:01:00.0", key, 40), 0);
	assert_int_equal(s.n_keys, 1);
	json_t *j = state_to_json(&s);
	assert_non_null(j);
	assert_int_equal(state_from_json(j, &back, err, sizeof(err)), 0);
	json_decref(j);
	assert_true(state_equal(&s, &back));
	const struct state_rss_key *k = state_find_rss_key(&back, "0000:01:00.0");
	assert_non_null(k);
	assert_int_equal(k->len, 40);
	assert_memory_equal(k->key, key, 40);
	state_free(&s);
	state_free(&back);
}

static void test_file_without_rss_keys_loads(void **state)
{
	json_error_t je;
	json_t *j =
	    json_loads("{\"version\": 1, \"allocations\": [], \"passthrough\": []}", 0, &je);
	struct state s;
	char err[200];
	(void)state;

	assert_int_equal(state_from_json(j, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n_keys, 0);
	/* ... and is written back the same: no empty rss_keys. */
	json_t *out = state_to_json(&s);
	assert_true(json_equal(j, out));
	json_decref(out);
	json_decref(j);
	state_free(&s);
}

static void test_bad_rss_key_is_refused(void **state)
{
	json_error_t je;
	json_t *j =
	    json_loads("{\"version\": 1, \"allocations\": [], \"passthrough\": [], "
	               "\"rss_keys\": [{\"address\": \"0000:01:00.0\", \"key\": \"6d:5\"}]}",
	               0, &je);
	struct state s;
	char err[200];
	(void)state;

	assert_int_equal(state_from_json(j, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "rss_keys 0: bad address or key");
	json_decref(j);
}

/* One allocation as vfmgr writes it, with the given fields. */
static json_t *state_with(const char *vm, const char *pfa, const char *vfa, const char *drv)
{
	json_t *cfg =
	    json_pack("{s:s, s:i, s:i, s:s, s:i, s:i, s:i, s:i, s:s}", "mac", "52:54:00:00:00:01",
	              "vlan", 5, "qos", 0, "proto", "802.1Q", "min_tx_rate", 0, "max_tx_rate", 0,
	              "spoofchk", 1, "trust", 0, "link_state", "auto");
	json_t *a = json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:i, s:s, s:n, s:o, s:b, s:b, s:s}",
	                      "vm", vm, "nic", 0, "leg", 0, "network", "net", "pf", "pf0",
	                      "pf_address", pfa, "vf", 0, "vf_address", vfa, "saved", "want", cfg,
	                      "vfio", 0, "migratable", 0, "driver_before", drv);
	return json_pack("{s:i, s:[o], s:[]}", "version", 1, "allocations", a, "passthrough");
}

static int load_one(const char *vm, const char *pfa, const char *vfa, const char *drv,
                    struct state *s, char *err, size_t errsize)
{
	json_t *j = state_with(vm, pfa, vfa, drv);
	int r = state_from_json(j, s, err, errsize);

	json_decref(j);
	return r;
}

static void test_state_strings_follow_the_policy_rules(void **state)
{
	struct state s;
	char err[200];
	(void)state;

	assert_int_equal(
	    load_one("vm1", "0000:01:00.0", "0000:01:10.0", "igbvf", &s, err, sizeof(err)), 0);
	state_free(&s);
	assert_int_equal(
	    load_one("..", "0000:01:00.0", "0000:01:10.0", "igbvf", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "allocation 0: vm, network or pf is not a valid policy name");
	/* Names reach command lines: one that begins with '-' would be an option there. */
	assert_int_equal(
	    load_one("-web", "0000:01:00.0", "0000:01:10.0", "igbvf", &s, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "allocation 0: vm, network or pf is not a valid policy name");
	assert_int_equal(
	    load_one("vm\n1", "0000:01:00.0", "0000:01:10.0", "igbvf", &s, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(
	    load_one("vm1", "0000:01:00.0", "0000:01:10.0,x-opt=1", "igbvf", &s, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "allocation 0: pf_address or vf_address is not a PCI address");
	assert_int_equal(
	    load_one("vm1", "0000:01:00.0", "0000:01:10.0", "../../../x", &s, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "allocation 0: driver_before is not a driver name");
	/* Upper-case hex is not what vfmgr writes: a hand edit. */
	assert_int_equal(
	    load_one("vm1", "0000:01:00.0", "0000:01:1F.0", "igbvf", &s, err, sizeof(err)),
	    -EINVAL);
	/* netdevsim PFs have names, their VFs no address. */
	assert_int_equal(load_one("vm1", "netdevsim3", "", "", &s, err, sizeof(err)), 0);
	state_free(&s);
}

/* PF 0000:01:00.0 with VF 0 at 0000:01:10.0, and a plain NIC at 0000:02:00.0 (sorted). */
static void fake_host(struct host *h, struct nic *nics, struct vf_ref *vfs)
{
	memset(h, 0, sizeof(*h));
	memset(nics, 0, 3 * sizeof(*nics));
	strcpy(nics[0].addr, "0000:01:00.0");
	nics[0].pf = NO_INDEX;
	nics[0].vf_index = -1;
	vfs[0] = (struct vf_ref){.index = 0, .nic = 1};
	strcpy(vfs[0].addr, "0000:01:10.0");
	nics[0].vfs = vfs;
	nics[0].n_vfs = 1;
	strcpy(nics[1].addr, "0000:01:10.0");
	strcpy(nics[1].pf_addr, "0000:01:00.0");
	nics[1].pf = 0;
	nics[1].vf_index = 0;
	strcpy(nics[2].addr, "0000:02:00.0");
	nics[2].pf = NO_INDEX;
	nics[2].vf_index = -1;
	h->nics = nics;
	h->n_nics = 3;
}

/* Loads one allocation of vm1 on PF 0000:01:00.0 naming vf and checks it against h. */
static int check_vf(const struct host *h, const char *vf, char *err, size_t size)
{
	struct state s;
	int r;

	assert_int_equal(load_one("vm1", "0000:01:00.0", vf, "igbvf", &s, err, size), 0);
	r = state_check_host(&s, h, err, size);
	state_free(&s);
	return r;
}

static void test_vf_address_must_be_a_virtfn_of_its_pf(void **state)
{
	struct nic nics[3];
	struct vf_ref vfs[1];
	struct host h;
	char err[300];
	(void)state;

	fake_host(&h, nics, vfs);
	assert_int_equal(check_vf(&h, "0000:01:10.0", err, sizeof(err)), 0);
	/* A tampered entry naming the host's own NIC: apply would unbind it to vfio-pci. */
	assert_int_equal(check_vf(&h, "0000:02:00.0", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "vm vm1 nic 0: vf_address 0000:02:00.0 is not VF 0 of "
	                         "0000:01:00.0 on this host (it is not a VF)");
	/* An address the host does not have, where the PF's VF 0 is another. */
	assert_int_equal(check_vf(&h, "0000:01:10.2", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "vm vm1 nic 0: VF 0 of 0000:01:00.0 is 0000:01:10.0 on this "
	                         "host, not 0000:01:10.2");
}

static int load_pt(const char *addr, const char *drv, struct state *s, char *err, size_t errsize)
{
	json_t *j = json_pack("{s:i, s:[], s:[{s:s, s:i, s:s, s:s}]}", "version", 1, "allocations",
	                      "passthrough", "vm", "vm1", "index", 0, "address", addr,
	                      "driver_before", drv);
	int r = state_from_json(j, s, err, errsize);

	json_decref(j);
	return r;
}

static void mkdirs(const char *root, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	for (char *c = p + strlen(root) + 1; *c; c++)
		if (*c == '/') {
			*c = '\0';
			mkdir(p, 0755);
			*c = '/';
		}
	mkdir(p, 0755);
}

/* A passthrough entry names a device that must still be a network function, and a driver the
 * host has: a tampered or stale one would unbind a disk or strand the NIC on vfio-pci. */
static void test_passthrough_entry_checked_against_host(void **state)
{
	char root[] = "/tmp/vfmgr-test-state-XXXXXX", p[600], err[300];
	struct nic nics[3];
	struct vf_ref vfs[1];
	struct host h;
	struct state s;
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(root));
	mkdirs(root, "/sys/bus/pci/drivers/igb");
	mkdirs(root, "/sys/module/vfio_pci");
	mkdirs(root, "/sys/bus/pci/devices/0000:03:00.0");
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:03:00.0/class", root);
	assert_non_null(f = fopen(p, "w"));
	fputs("0x010802\n", f);
	fclose(f);
	sysfs_set_root(root);
	fake_host(&h, nics, vfs);

	assert_int_equal(load_pt("0000:02:00.0", "igb", &s, err, sizeof(err)), 0);
	assert_int_equal(state_check_host(&s, &h, err, sizeof(err)), 0);
	state_free(&s);
	/* Not loaded as a PCI driver, but a module of this kernel (dash vs underscore). */
	assert_int_equal(load_pt("0000:02:00.0", "vfio-pci", &s, err, sizeof(err)), 0);
	assert_int_equal(state_check_host(&s, &h, err, sizeof(err)), 0);
	state_free(&s);
	/* Unplugged: kept, nothing to check. */
	assert_int_equal(load_pt("0000:09:00.0", "nosuchdrv", &s, err, sizeof(err)), 0);
	assert_int_equal(state_check_host(&s, &h, err, sizeof(err)), 0);
	state_free(&s);
	assert_int_equal(load_pt("0000:02:00.0", "nosuchdrv", &s, err, sizeof(err)), 0);
	assert_int_equal(state_check_host(&s, &h, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "passthrough entry of vm vm1: driver_before nosuchdrv of "
	                         "0000:02:00.0 is not a PCI driver on this host (load it with "
	                         "modprobe nosuchdrv, or correct the entry)");
	state_free(&s);
	/* An NVMe controller now sits at the address. */
	assert_int_equal(load_pt("0000:03:00.0", "igb", &s, err, sizeof(err)), 0);
	assert_int_equal(state_check_host(&s, &h, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "passthrough entry of vm vm1: 0000:03:00.0 is no longer a network "
	                         "PCI function on this host (PCI class 0x010802)");
	state_free(&s);
	sysfs_set_root(NULL);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

/* The seed state (one VF allocation, one passthrough device), without state_load's owner
 * check, so the test runs as any user. */
static void load_seed(struct state *s)
{
	json_error_t je;
	json_t *j = json_load_file(TOP_SRCDIR "/tests/fuzz/seeds/state/lab.json", 0, &je);
	char err[200];

	assert_non_null(j);
	assert_int_equal(state_from_json(j, s, err, sizeof(err)), 0);
	json_decref(j);
}

/* state_equal compares the structs; it must say what comparing the two files would say. */
static void test_state_equal_agrees_with_the_file(void **state)
{
	struct state a, b;
	(void)state;

	load_seed(&a);
	for (int m = 0; m <= 16; m++) {
		load_seed(&b);
		struct state_alloc *x = &b.allocs[0];
		switch (m) {
		case 1:
			x->nic++;
			break;
		case 2:
			x->vm[0] = 'X';
			break;
		case 3:
			x->want.vlan++;
			break;
		case 4:
			x->saved.mac[5] ^= 1;
			break;
		case 5:
			x->saved_known = false;
			break;
		case 6:
			x->want.proto = 0x88a8;
			break;
		case 7:
			x->want.link_state = 9;
			break;
		case 8:
			x->driver_known = false;
			break;
		case 9:
			x->vfio = !x->vfio;
			break;
		case 10:
			b.pts[0].index++;
			break;
		case 11:
			b.n_pts = 0;
			break;
		case 12:
			x->vm_index = 7;
			break; /* planning only, not in the file */
		case 13:
			x->saved.vlan++, x->saved_known = false;
			break;
		case 14:
			x->want.trust = -1;
			break;
		case 15:
			x->releasing = true;
			break;
		case 16:
			b.pts[0].releasing = true;
			break;
		}
		json_t *ja = state_to_json(&a), *jb = state_to_json(&b);
		assert_non_null(ja);
		assert_non_null(jb);
		if (state_equal(&a, &b) != json_equal(ja, jb))
			fail_msg("mutation %d: state_equal %d, the files equal %d", m,
			         state_equal(&a, &b), json_equal(ja, jb));
		json_decref(ja);
		json_decref(jb);
		state_free(&b);
	}
	state_free(&a);
}

/* s as the file would have it, read back: 0 or the reader's error in err. */
static int reread(const struct state *s, struct state *back, char *err, size_t size)
{
	json_t *j = state_to_json(s);
	int r;

	assert_non_null(j);
	r = state_from_json(j, back, err, size);
	json_decref(j);
	return r;
}

/* One device, one owner: a VF two NICs hold, or a VF that is also a VM's whole device, is
 * refused when the file is read; a record being released does not hold its device. */
static void test_device_with_two_owners_is_refused(void **state)
{
	struct state s, back;
	char err[200];
	(void)state;

	load_seed(&s);
	struct state_alloc *a = ARRAY_APPEND(s.allocs, s.n, s.cap);
	assert_non_null(a);
	*a = s.allocs[0];
	strcpy(a->vm, "web02");
	state_sort(&s);
	assert_int_equal(reread(&s, &back, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "VF 0 of 0000:02:00.0 has two owners: vm web01 nic 0 and vm "
	                         "web02 nic 0");
	/* web02 took it while web01's release was cut short: allowed. */
	s.allocs[0].releasing = true;
	assert_int_equal(reread(&s, &back, err, sizeof(err)), 0);
	assert_true(state_equal(&s, &back));
	assert_false(state_holds_vm(&back, "web01"));
	assert_true(state_has_releasing(&back));
	state_free(&back);
	s.n = 1;
	s.allocs[0] = s.allocs[1];
	strcpy(s.pts[0].addr, s.allocs[0].vf_addr);
	assert_int_equal(reread(&s, &back, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "0000:02:10.0 has two owners: VF 0 of 0000:02:00.0 for vm web02 "
	                         "nic 0, and vm nfv01's passthrough");
	state_free(&s);
}

/* The same NIC may have the VF it holds and the one it is leaving; releasing is written only
 * when true, so files without releases stay as they were. */
static void test_releasing_record_beside_the_held_one(void **state)
{
	struct state s, back;
	char err[200];
	(void)state;

	load_seed(&s);
	json_t *j = state_to_json(&s);
	assert_null(
	    json_object_get(json_array_get(json_object_get(j, "allocations"), 0), "releasing"));
	json_decref(j);
	struct state_alloc *a = ARRAY_APPEND(s.allocs, s.n, s.cap);
	assert_non_null(a);
	*a = s.allocs[0];
	a->vf = 1;
	strcpy(a->vf_addr, "0000:02:10.2");
	a->releasing = true;
	state_sort(&s);
	assert_int_equal(reread(&s, &back, err, sizeof(err)), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(state_find(&back, "web01", 0, 1)->vf, 0);
	assert_int_equal(state_find_releasing(&back, "web01", 0, 1)->vf, 1);
	state_free(&back);
	/* Two records of one NIC being released: a hand edit. */
	s.allocs[0].releasing = true;
	assert_int_equal(reread(&s, &back, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "vm web01 nic 0 leg 1 appears twice");
	state_free(&s);
}

/* Reading the state trusts exactly what writing does: the file state_save wrote loads; a
 * symlink to it, a file others may write and a directory others may write do not. */
static void test_state_read_is_trusted_as_written(void **state)
{
	char dir[4096], file[4200], link[4200], open_dir[4200], planted[4300];
	struct state s = {0}, back;
	(void)state;

	snprintf(dir, sizeof(dir), "%s/state-trust-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/state.json", dir);
	snprintf(link, sizeof(link), "%s/link.json", dir);
	snprintf(open_dir, sizeof(open_dir), "%s/open", dir);
	snprintf(planted, sizeof(planted), "%s/state.json", open_dir);
	assert_int_equal(state_save(file, &s), 0);
	assert_int_equal(state_load(file, &back), 0);
	state_free(&back);
	assert_int_equal(symlink(file, link), 0);
	assert_int_equal(state_load(link, &back), -EPERM);
	assert_int_equal(chmod(file, 0620), 0);
	assert_int_equal(state_load(file, &back), -EPERM);
	assert_int_equal(chmod(file, 0600), 0);
	assert_int_equal(mkdir(open_dir, 0755), 0);
	assert_int_equal(state_save(planted, &s), 0);
	assert_int_equal(chmod(open_dir, 0777), 0);
	assert_int_equal(state_load(planted, &back), -EPERM);
	/* A file that is not there, in a directory that is not there: an empty state. */
	snprintf(planted, sizeof(planted), "%s/none/state.json", dir);
	assert_int_equal(state_load(planted, &back), 0);
	assert_int_equal(back.n, 0);
	snprintf(planted, sizeof(planted), "%s/open/state.json", dir);
	unlink(planted);
	rmdir(open_dir);
	unlink(link);
	unlink(file);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rss_key_round_trips),
	    cmocka_unit_test(test_file_without_rss_keys_loads),
	    cmocka_unit_test(test_bad_rss_key_is_refused),
	    cmocka_unit_test(test_state_strings_follow_the_policy_rules),
	    cmocka_unit_test(test_vf_address_must_be_a_virtfn_of_its_pf),
	    cmocka_unit_test(test_passthrough_entry_checked_against_host),
	    cmocka_unit_test(test_state_equal_agrees_with_the_file),
	    cmocka_unit_test(test_device_with_two_owners_is_refused),
	    cmocka_unit_test(test_releasing_record_beside_the_held_one),
	    cmocka_unit_test(test_state_read_is_trusted_as_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
