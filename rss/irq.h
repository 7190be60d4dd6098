/* Queue interrupts of a network interface and their CPU affinity. The IRQs are the device's
 * msi_irqs whose /proc/interrupts name is IFACE-TxRx-N, IFACE-rx-N or IFACE-tx-N (the names igb,
 * ixgbe, i40e and ice give); drivers request them when the interface goes up, so a down
 * interface has none. Paths go through util/sysfs, so tests run on a fake tree (/proc included). */
#ifndef VFMGR_RSS_IRQ_H
#define VFMGR_RSS_IRQ_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSS_IRQS_MAX 256

struct rss_irq {
	unsigned irq;
	uint32_t queue;
	char kind[8];   /* "TxRx", "rx" or "tx" */
	cpu_set_t cpus; /* /proc/irq/N/smp_affinity_list */
};

struct rss_irqs {
	size_t n;
	struct rss_irq irq[RSS_IRQS_MAX]; /* sorted by queue, then kind */
	int numa_node;                    /* -1 when the platform does not say */
	cpu_set_t local;                  /* the device's local_cpulist */
};

/* "0-3,8,10-11" <-> a CPU set. parse: -EINVAL on bad syntax, -ERANGE past CPU_SETSIZE. */
int rss_cpulist_parse(const char *s, cpu_set_t *set);
void rss_cpulist_format(const cpu_set_t *set, char *buf, size_t size);

/* Reads the queue IRQs of ifname with their affinity, the device's NUMA node and local CPUs. */
int rss_irq_read(const char *ifname, struct rss_irqs *irqs);

/* Pure. The receive queues whose IRQs all sit on local CPUs, ascending, at most max of them;
 * returns their count. */
size_t rss_irq_local_queues(const struct rss_irqs *irqs, uint32_t *queues, size_t max);

/* Pure. Copies irqs into want with queue q pinned to the (q mod n)-th local CPU: one queue per
 * CPU while there are enough CPUs, and a queue's rx and tx IRQs on the same CPU. -ENOENT when
 * the device has no local CPUs. */
int rss_irq_spread_local(const struct rss_irqs *irqs, struct rss_irqs *want);

/* Writes smp_affinity_list of each IRQ whose current affinity differs from want (read afresh).
 * Passing the state read before restores it, which makes it the undo. */
int rss_irq_apply(const struct rss_irqs *want, bool *changed);

/* irqbalance moves IRQs on its own and would undo rss_irq_apply. */
bool rss_irqbalance_running(void);

#endif
