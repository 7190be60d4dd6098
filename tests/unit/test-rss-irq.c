/* Queue IRQs on a fake tree: found by msi_irqs and /proc/interrupts names, spread one queue per
 * local CPU, and a second spread writes nothing. */
#include "fake-root.h"
#include "rss/irq.h"
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

static char root[] = "/tmp/vfmgr-test-rss-irq.XXXXXX";

static void put(const char *rel, const char *content)
{
	fake_root_put(root, rel, content);
}

static const char *affinity(unsigned irq)
{
	static char buf[64];

	assert_int_equal(sysfs_read_str(buf, sizeof(buf), "/proc/irq/%u/smp_affinity_list", irq),
	                 0);
	return buf;
}

/* enp1s0 (IRQs 40-44: link vector, then 4 queue pairs) and enp2s0 (IRQ 50), whose queue name
 * sits in /proc/interrupts too but is not one of enp1s0's vectors. */
static int setup(void **state)
{
	(void)state;
	fake_root_make(root);
	put("sys/class/net/enp1s0/device/numa_node", "0\n");
	put("sys/class/net/enp1s0/device/local_cpulist", "0-1\n");
	for (unsigned irq = 40; irq <= 44; irq++) {
		char p[64];
		snprintf(p, sizeof(p), "sys/class/net/enp1s0/device/msi_irqs/%u", irq);
		put(p, "msix\n");
		snprintf(p, sizeof(p), "proc/irq/%u/smp_affinity_list", irq);
		put(p, irq == 42 ? "2\n" : "0-3\n");
	}
	put("sys/class/net/enp2s0/device/msi_irqs/50", "msix\n");
	put("proc/irq/50/smp_affinity_list", "0-3\n");
	put("proc/interrupts",
	    "            CPU0       CPU1       CPU2       CPU3\n"
	    "   0:         35          0          0          0  IR-IO-APIC    2-edge      timer\n"
	    "  40:          1          0          0          0  IR-PCI-MSIX-0000:01:00.0    0-edge "
	    "     enp1s0\n"
	    "  44:          7          0          0          0  IR-PCI-MSIX-0000:01:00.0    4-edge "
	    "     enp1s0-TxRx-3\n"
	    "  41:          7          0          0          0  IR-PCI-MSIX-0000:01:00.0    1-edge "
	    "     enp1s0-TxRx-0\n"
	    "  42:          7          0          0          0  IR-PCI-MSIX-0000:01:00.0    2-edge "
	    "     enp1s0-TxRx-1\n"
	    "  43:          7          0          0          0  IR-PCI-MSIX-0000:01:00.0    3-edge "
	    "     enp1s0-TxRx-2\n"
	    "  50:          7          0          0          0  IR-PCI-MSIX-0000:02:00.0    1-edge "
	    "     enp1s0-TxRx-9\n"
	    " NMI:          0          0          0          0   Non-maskable interrupts\n");
	put("proc/1/comm", "init\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fake_root_remove(root);
}

static void test_queue_irqs_found_by_name_and_device_vectors(void **state)
{
	static struct rss_irqs irqs;
	char buf[64];
	(void)state;

	assert_int_equal(rss_irq_read("enp1s0", &irqs), 0);
	/* The link vector (no queue) and enp2s0's IRQ 50 are left out; sorted by queue. */
	assert_int_equal(irqs.n, 4);
	for (uint32_t q = 0; q < 4; q++) {
		assert_int_equal(irqs.irq[q].queue, q);
		assert_int_equal(irqs.irq[q].irq, 41 + q);
		assert_string_equal(irqs.irq[q].kind, "TxRx");
	}
	rss_cpulist_format(&irqs.irq[1].cpus, buf, sizeof(buf));
	assert_string_equal(buf, "2");
	assert_int_equal(irqs.numa_node, 0);
	rss_cpulist_format(&irqs.local, buf, sizeof(buf));
	assert_string_equal(buf, "0-1");
	assert_int_equal(rss_irq_read("enp9s0", &irqs), -ENODEV);
}

static void test_local_queues_exclude_irqs_off_node(void **state)
{
	static struct rss_irqs irqs;
	uint32_t q[8];
	(void)state;

	assert_int_equal(rss_irq_read("enp1s0", &irqs), 0);
	/* Queues 0, 2, 3 may run on CPUs 2-3 as well, queue 1 only on CPU 2: none is local. */
	assert_int_equal(rss_irq_local_queues(&irqs, q, 8), 0);
	CPU_ZERO(&irqs.irq[0].cpus);
	CPU_SET(1, &irqs.irq[0].cpus);
	CPU_ZERO(&irqs.irq[3].cpus);
	CPU_SET(0, &irqs.irq[3].cpus);
	CPU_SET(1, &irqs.irq[3].cpus);
	assert_int_equal(rss_irq_local_queues(&irqs, q, 8), 2);
	assert_int_equal(q[0], 0);
	assert_int_equal(q[1], 3);
}

static void test_spread_puts_one_queue_per_local_cpu_and_converges(void **state)
{
	static struct rss_irqs irqs, want;
	bool changed;
	(void)state;

	assert_int_equal(rss_irq_read("enp1s0", &irqs), 0);
	assert_int_equal(rss_irq_spread_local(&irqs, &want), 0);
	unsigned long before = sysfs_write_count();
	assert_int_equal(rss_irq_apply(&want, &changed), 0);
	assert_true(changed);
	assert_int_equal(sysfs_write_count() - before, 4);
	assert_string_equal(affinity(41), "0");
	assert_string_equal(affinity(42), "1");
	assert_string_equal(affinity(43), "0");
	assert_string_equal(affinity(44), "1");
	assert_string_equal(affinity(40), "0-3"); /* the link vector is left alone */
	before = sysfs_write_count();
	assert_int_equal(rss_irq_apply(&want, &changed), 0);
	assert_false(changed);
	assert_int_equal(sysfs_write_count() - before, 0);
	/* The state read before is the undo. */
	assert_int_equal(rss_irq_apply(&irqs, &changed), 0);
	assert_true(changed);
	assert_string_equal(affinity(42), "2");
	assert_string_equal(affinity(41), "0-3");
}

static void test_spread_needs_local_cpus(void **state)
{
	static struct rss_irqs irqs, want;
	(void)state;

	assert_int_equal(rss_irq_read("enp1s0", &irqs), 0);
	CPU_ZERO(&irqs.local);
	assert_int_equal(rss_irq_spread_local(&irqs, &want), -ENOENT);
}

static void test_irqbalance_seen_in_proc(void **state)
{
	(void)state;
	assert_false(rss_irqbalance_running());
	put("proc/4242/comm", "irqbalance\n");
	assert_true(rss_irqbalance_running());
}

static void test_cpulist_round_trip_and_refusals(void **state)
{
	static const char *const good[] = {"0", "0-3", "0-1,4,6-7", "1023"};
	static const char *const bad[] = {"", "a", "3-1", "1,", "1-", "-1", "0 1"};
	cpu_set_t set;
	char buf[64];
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(rss_cpulist_parse(good[i], &set), 0);
		rss_cpulist_format(&set, buf, sizeof(buf));
		assert_string_equal(buf, good[i]);
	}
	assert_int_equal(rss_cpulist_parse("0,2,1", &set), 0);
	rss_cpulist_format(&set, buf, sizeof(buf));
	assert_string_equal(buf, "0-2");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rss_cpulist_parse(bad[i], &set) == 0 && bad[i][0])
			fail_msg("cpulist '%s' was accepted, expected a refusal", bad[i]);
	assert_int_equal(rss_cpulist_parse("4096", &set), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queue_irqs_found_by_name_and_device_vectors),
	    cmocka_unit_test(test_local_queues_exclude_irqs_off_node),
	    cmocka_unit_test(test_spread_puts_one_queue_per_local_cpu_and_converges),
	    cmocka_unit_test(test_spread_needs_local_cpus),
	    cmocka_unit_test(test_irqbalance_seen_in_proc),
	    cmocka_unit_test(test_cpulist_round_trip_and_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
