/* What vfmgr hands QEMU and libvirt: every NIC kind in both QEMU forms, libvirt's failover
 * pair, and hostile values (from a tampered state file) refused or quoted, never spliced in.
 * With LAUNCH_XML_DIR set, each libvirt document a test produces is also written there, as a
 * whole domain, for tests/unit/libvirt-schema.sh: NAME.xml must pass libvirt's own schema,
 * NAME.wf.xml (hostile input, which libvirt would refuse) must be well-formed XML with no
 * element named x. */
#include "kept-output.h"
#include "passthrough/launch.h"
#include "util/log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MAC1                                                                                       \
	{                                                                                          \
		0x52, 0x54, 0x00, 0x00, 0x01, 0x01                                                 \
	}
/* web01 nic 0 leg b's derived MAC (vfmgr-policy(5)): each failover pair needs its own. */
static const uint8_t mac_leg_b[MAC_LEN] = {0xf2, 0x83, 0xca, 0x89, 0xac, 0x9b};

static const struct launch_dev plain_vf = {.kind = LAUNCH_NIC,
                                           .addr = "0000:01:10.2",
                                           .mac = {0x52, 0x54, 0x00, 0x00, 0x02, 0x01},
                                           .vlan = 100,
                                           .id = "vfmgr-db01-nic0"};
static const struct launch_dev migratable_vf = {.kind = LAUNCH_NIC,
                                                .addr = "0000:01:10.0",
                                                .mac = MAC1,
                                                .vlan = 100,
                                                .migratable = true,
                                                .id = "vfmgr-web01-nic0"};
static const struct launch_dev whole_pf = {
    .kind = LAUNCH_HOSTDEV, .addr = "0000:03:00.0", .id = "vfmgr-nfv01-pt0"};

struct out {
	char *buf;
	size_t len;
	FILE *f;
};

/* The reason the last refused call gave. */
static char why[320];

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->f = open_memstream(&o->buf, &o->len);
	assert_non_null(o->f);
}

static char *out_close(struct out *o)
{
	fclose(o->f);
	return o->buf;
}

static char *qemu(const struct launch_dev *d, size_t n, bool json, const char *netdev, int *r)
{
	struct launch_qemu_opts opts = {.json = json, .netdev = netdev};
	struct out o;

	out_open(&o);
	*r = launch_print_qemu(d, n, &opts, o.f, why, sizeof(why));
	return out_close(&o);
}

/* Writes a domain around the fragment when LAUNCH_XML_DIR asks for it. */
static void save_domain(const char *name, const char *devices)
{
	FILE *f = kept_output("LAUNCH_XML_DIR", name, "xml");

	if (!f)
		return;
	fprintf(f,
	        "<domain type='kvm'>\n<name>%s</name>\n<memory unit='MiB'>256</memory>\n"
	        "<os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
	        "<features><acpi/></features>\n<devices>\n%s</devices>\n</domain>\n",
	        name, devices);
	assert_int_equal(fclose(f), 0);
}

static char *libvirt(const char *name, const struct launch_dev *d, size_t n,
                     const struct launch_standby *sb, int *r)
{
	struct out o;
	char *s;

	out_open(&o);
	*r = launch_print_libvirt(d, n, sb, o.f, why, sizeof(why));
	s = out_close(&o);
	if (*r == 0)
		save_domain(name, s);
	return s;
}

static void test_qemu_text_for_each_kind(void **state)
{
	struct launch_dev d[] = {plain_vf, migratable_vf, whole_pf};
	int r;
	(void)state;

	char *s = qemu(d, 3, false, NULL, &r);
	assert_int_equal(r, 0);
	assert_string_equal(
	    s, "-device vfio-pci,host=0000:01:10.2,id=vfmgr-db01-nic0\n"
	       "-device pcie-root-port,id=vfmgr-web01-nic0-port,chassis=200\n"
	       "-device virtio-net-pci,netdev=vfmgr-web01-nic0-net,mac=52:54:00:00:01:01,"
	       "failover=on,id=vfmgr-web01-nic0-standby\n"
	       "-device vfio-pci,host=0000:01:10.0,bus=vfmgr-web01-nic0-port,id=vfmgr-web01-nic0,"
	       "failover_pair_id=vfmgr-web01-nic0-standby\n"
	       "-device vfio-pci,host=0000:03:00.0,id=vfmgr-nfv01-pt0\n");
	free(s);
}

/* QEMU's JSON -device form is typed: "chassis":"200" is refused ("expects uint64"). */
static void test_qemu_json_numbers_and_booleans_are_typed(void **state)
{
	struct launch_dev d[] = {migratable_vf, migratable_vf};
	int r, lines = 0;
	(void)state;

	snprintf(d[1].id, sizeof(d[1].id), "vfmgr-web01-nic0b");
	memcpy(d[1].mac, mac_leg_b, MAC_LEN);
	char *s = qemu(d, 2, true, NULL, &r);
	assert_int_equal(r, 0);
	for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n"), lines++) {
		json_error_t e;
		assert_memory_equal(line, "-device {", 9);
		json_t *j = json_loads(line + 8, 0, &e);
		assert_non_null(j);
		const char *drv = json_string_value(json_object_get(j, "driver"));
		if (strcmp(drv, "pcie-root-port") == 0) {
			assert_true(json_is_integer(json_object_get(j, "chassis")));
			assert_int_equal(json_integer_value(json_object_get(j, "chassis")),
			                 200 + lines / 3);
		}
		if (strcmp(drv, "virtio-net-pci") == 0)
			assert_true(json_is_true(json_object_get(j, "failover")));
		json_decref(j);
	}
	assert_int_equal(lines, 6);
	free(s);
}

static void test_qemu_netdev_is_printed_before_its_standby(void **state)
{
	int r;
	(void)state;

	char *s = qemu(&migratable_vf, 1, true, "bridge,br=br0", &r);
	assert_int_equal(r, 0);
	char *nd = strstr(s, "-netdev bridge,br=br0,id=vfmgr-web01-nic0-net\n");
	char *sb = strstr(s, "\"netdev\":\"vfmgr-web01-nic0-net\"");
	assert_non_null(nd);
	assert_non_null(sb);
	assert_true(nd < sb);
	free(s);
	/* The id is vfmgr's, and whitespace would split `$(vfmgr qemu-args VM)`. */
	s = qemu(&migratable_vf, 1, false, "user,id=x", &r);
	assert_int_equal(r, -EINVAL);
	free(s);
	s = qemu(&migratable_vf, 1, false, "user -S", &r);
	assert_int_equal(r, -EINVAL);
	free(s);
}

static void test_qemu_chassis_numbers_run_out_at_255(void **state)
{
	struct launch_dev d[57];
	int r;
	(void)state;

	for (size_t i = 0; i < 57; i++) {
		d[i] = migratable_vf;
		d[i].mac[5] = (uint8_t)i;
		snprintf(d[i].id, sizeof(d[i].id), "vfmgr-big-nic%zu", i);
	}
	free(qemu(d, 56, false, NULL, &r));
	assert_int_equal(r, 0);
	free(qemu(d, 57, false, NULL, &r));
	assert_int_equal(r, -ERANGE);
}

/* What a tampered state file put there today reached QEMU as an extra property. */
static void test_qemu_hostile_address_or_id_is_refused(void **state)
{
	static const char *const addrs[] = {"02:10.0,x-a=on", "0000:02:10.0 -S", "0000:02:1x.0",
	                                    ""};
	static const char *const ids[] = {"vfmgr-a,x-a=on", "vfmgr a",   "-x",
	                                  "1abc",           "vfmgr-a\n", ""};
	int r;
	(void)state;

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		for (int json = 0; json < 2; json++) {
			struct launch_dev d = plain_vf;
			snprintf(d.addr, sizeof(d.addr), "%s", addrs[i]);
			char *s = qemu(&d, 1, json, NULL, &r);
			assert_int_equal(r, -EINVAL);
			assert_null(strstr(s, "x-a"));
			free(s);
		}
	}
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct launch_dev d = whole_pf;
		snprintf(d.id, sizeof(d.id), "%s", ids[i]);
		free(qemu(&d, 1, false, NULL, &r));
		assert_int_equal(r, -EINVAL);
	}
}

/* The address QEMU gets is re-formatted: the short form gains its domain. */
static void test_qemu_address_is_canonical(void **state)
{
	struct launch_dev d = whole_pf;
	int r;
	(void)state;

	snprintf(d.addr, sizeof(d.addr), "03:00.0");
	char *s = qemu(&d, 1, false, NULL, &r);
	assert_int_equal(r, 0);
	assert_string_equal(s, "-device vfio-pci,host=0000:03:00.0,id=vfmgr-nfv01-pt0\n");
	free(s);
}

static void test_qemu_value_commas_are_doubled(void **state)
{
	struct out o;
	(void)state;

	out_open(&o);
	launch_qemu_print_value("0000:02:10.0,x-a=on,,", o.f);
	char *s = out_close(&o);
	assert_string_equal(s, "0000:02:10.0,,x-a=on,,,,");
	free(s);
}

static void test_xml_attr_is_escaped(void **state)
{
	struct out o;
	(void)state;

	out_open(&o);
	assert_int_equal(launch_xml_print_attr("'/><x a='&\"", o.f, why, sizeof(why)), 0);
	char *s = out_close(&o);
	assert_string_equal(s, "&apos;/&gt;&lt;x a=&apos;&amp;&quot;");
	free(s);
	out_open(&o);
	assert_int_equal(launch_xml_print_attr("a\x01", o.f, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "control character (0x01)"));
	s = out_close(&o);
	assert_string_equal(s, "");
	free(s);
}

/* libvirt's schema takes no type= on a <hostdev>'s source address ("Extra element devices
 * in interleave"), and a plain <hostdev> keeps libvirt's hands off the VF's settings. */
static void test_libvirt_plain_vf_and_whole_pf_are_hostdevs(void **state)
{
	struct launch_dev d[] = {plain_vf, whole_pf};
	int r;
	(void)state;

	char *s = libvirt("plain-vf-and-pf", d, 2, NULL, &r);
	assert_int_equal(r, 0);
	assert_string_equal(s,
	                    "<!-- VF for MAC 52:54:00:00:02:01 vlan 100: vfmgr sets these on the "
	                    "PF side -->\n"
	                    "<hostdev mode='subsystem' type='pci' managed='no'>\n"
	                    "  <driver name='vfio'/>\n"
	                    "  <source>\n"
	                    "    <address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/>\n"
	                    "  </source>\n"
	                    "  <alias name='ua-vfmgr-db01-nic0'/>\n"
	                    "</hostdev>\n"
	                    "<hostdev mode='subsystem' type='pci' managed='no'>\n"
	                    "  <driver name='vfio'/>\n"
	                    "  <source>\n"
	                    "    <address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>\n"
	                    "  </source>\n"
	                    "  <alias name='ua-vfmgr-nfv01-pt0'/>\n"
	                    "</hostdev>\n");
	assert_null(strstr(s, "type='pci' domain"));
	free(s);
}

static void test_libvirt_migratable_vf_gets_a_teaming_pair(void **state)
{
	struct launch_standby sb;
	int r;
	(void)state;

	assert_int_equal(launch_standby_parse("network=default", &sb, why, sizeof(why)), 0);
	char *s = libvirt("migratable-network", &migratable_vf, 1, &sb, &r);
	assert_int_equal(r, 0);
	assert_string_equal(
	    s, "<!-- VF for MAC 52:54:00:00:01:01 vlan 100: vfmgr sets these on "
	       "the PF side -->\n"
	       "<interface type='network'>\n"
	       "  <source network='default'/>\n"
	       "  <mac address='52:54:00:00:01:01'/>\n"
	       "  <model type='virtio'/>\n"
	       "  <teaming type='persistent'/>\n"
	       "  <alias name='ua-vfmgr-web01-nic0-standby'/>\n"
	       "</interface>\n"
	       "<hostdev mode='subsystem' type='pci' managed='no'>\n"
	       "  <driver name='vfio'/>\n"
	       "  <source>\n"
	       "    <address domain='0x0000' bus='0x01' slot='0x10' "
	       "function='0x0'/>\n"
	       "  </source>\n"
	       "  <teaming type='transient' persistent='ua-vfmgr-web01-nic0-standby'/>\n"
	       "  <alias name='ua-vfmgr-web01-nic0'/>\n"
	       "</hostdev>\n");
	free(s);
	/* Without a standby to connect, a migratable NIC cannot be printed. */
	free(libvirt("none", &migratable_vf, 1, NULL, &r));
	assert_int_equal(r, -EINVAL);
}

static void test_libvirt_standby_kinds(void **state)
{
	struct launch_dev d[] = {migratable_vf, migratable_vf, plain_vf, whole_pf};
	struct launch_standby sb;
	int r;
	(void)state;

	snprintf(d[1].id, sizeof(d[1].id), "vfmgr-web01-nic0b");
	d[1].addr[3] = '1';
	memcpy(d[1].mac, mac_leg_b, MAC_LEN);
	assert_int_equal(launch_standby_parse("bridge=br0", &sb, why, sizeof(why)), 0);
	char *s = libvirt("redundant-bridge", d, 4, &sb, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(s, "<interface type='bridge'>\n  <source bridge='br0'/>\n"));
	assert_non_null(strstr(s, "persistent='ua-vfmgr-web01-nic0b-standby'/>"));
	/* Each standby carries its own leg's MAC. */
	assert_non_null(strstr(s, "<mac address='52:54:00:00:01:01'/>"));
	assert_non_null(strstr(s, "<mac address='f2:83:ca:89:ac:9b'/>"));
	free(s);
	assert_int_equal(launch_standby_parse("user", &sb, why, sizeof(why)), 0);
	s = libvirt("migratable-user", d, 1, &sb, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(s, "<interface type='user'>\n  <mac "));
	free(s);
}

/* A state written before each leg had its own MAC: both emitters refuse it and say what to run,
 * rather than print two failover pairs the guest cannot tell apart. */
static void test_two_nics_with_one_mac_are_refused(void **state)
{
	struct launch_dev d[] = {migratable_vf, migratable_vf};
	struct launch_standby sb = {.type = LAUNCH_STANDBY_USER};
	int r;
	(void)state;

	snprintf(d[1].id, sizeof(d[1].id), "vfmgr-web01-nic0b");
	free(qemu(d, 2, false, NULL, &r));
	assert_int_equal(r, -EINVAL);
	assert_string_equal(why,
	                    "vfmgr-web01-nic0 and vfmgr-web01-nic0b have one MAC, "
	                    "52:54:00:00:01:01: the guest's net_failover and bonding tell NICs "
	                    "apart by MAC; run vfmgr apply (or vfmgr prepare), which gives each "
	                    "leg its own (vfmgr-policy(5), mac-b)");
	why[0] = '\0';
	free(libvirt("shared-mac", d, 2, &sb, &r));
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(why, "have one MAC"));
}

static void test_libvirt_standby_words_are_checked(void **state)
{
	static const char *const bad[] = {
	    "network=", "bridge=br0'/><x a='", "tap=x", "users", "network=a b", "", "bridge=br0\n"};
	struct launch_standby sb;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(launch_standby_parse(bad[i], &sb, why, sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, "expected network=NAME, bridge=NAME or user"));
	}
}

/* An unchecked source name still cannot close the attribute. */
static void test_libvirt_hostile_source_is_escaped(void **state)
{
	struct launch_standby sb = {.type = LAUNCH_STANDBY_NETWORK, .source = "n'/><x a='"};
	int r;
	(void)state;

	char *s = libvirt("hostile-source.wf", &migratable_vf, 1, &sb, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(s, "<source network='n&apos;/&gt;&lt;x a=&apos;'/>"));
	assert_null(strstr(s, "<x"));
	free(s);
}

static void test_libvirt_hostile_address_or_id_is_refused(void **state)
{
	int r;
	(void)state;

	struct launch_dev d = plain_vf;
	snprintf(d.id, sizeof(d.id), "vfmgr-'/><x a='");
	char *s = libvirt("x", &d, 1, NULL, &r);
	assert_int_equal(r, -EINVAL);
	assert_null(strstr(s, "<x"));
	free(s);
	d = whole_pf;
	snprintf(d.addr, sizeof(d.addr), "'/><x a='");
	s = libvirt("x", &d, 1, NULL, &r);
	assert_int_equal(r, -EINVAL);
	assert_null(strstr(s, "<x"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qemu_text_for_each_kind),
	    cmocka_unit_test(test_qemu_json_numbers_and_booleans_are_typed),
	    cmocka_unit_test(test_qemu_netdev_is_printed_before_its_standby),
	    cmocka_unit_test(test_qemu_chassis_numbers_run_out_at_255),
	    cmocka_unit_test(test_qemu_hostile_address_or_id_is_refused),
	    cmocka_unit_test(test_qemu_address_is_canonical),
	    cmocka_unit_test(test_qemu_value_commas_are_doubled),
	    cmocka_unit_test(test_xml_attr_is_escaped),
	    cmocka_unit_test(test_libvirt_plain_vf_and_whole_pf_are_hostdevs),
	    cmocka_unit_test(test_libvirt_migratable_vf_gets_a_teaming_pair),
	    cmocka_unit_test(test_two_nics_with_one_mac_are_refused),
	    cmocka_unit_test(test_libvirt_standby_kinds),
	    cmocka_unit_test(test_libvirt_standby_words_are_checked),
	    cmocka_unit_test(test_libvirt_hostile_source_is_escaped),
	    cmocka_unit_test(test_libvirt_hostile_address_or_id_is_refused),
	};

	log_set_level(LOG_CRIT); /* the refusals log errors by design */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
