#include "rss/irq.h"
#include "util/cleanup.h"
#include "util/parse.h"
#include "util/strcopy.h"
#include "util/sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rss_cpulist_parse(const char *s, cpu_set_t *set)
{
	cpu_set_t out;

	CPU_ZERO(&out);
	while (*s) {
		char *end;
		unsigned long lo, hi;

		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		lo = strtoul(s, &end, 10);
		hi = lo;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return -EINVAL;
			hi = strtoul(end + 1, &end, 10);
		}
		if (hi < lo)
			return -EINVAL;
		if (hi >= CPU_SETSIZE)
			return -ERANGE;
		for (unsigned long c = lo; c <= hi; c++)
			CPU_SET(c, &out);
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return -EINVAL;
		s = end;
	}
	*set = out;
	return 0;
}

void rss_cpulist_format(const cpu_set_t *set, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && off < size; c++) {
		if (!CPU_ISSET(c, set))
			continue;
		int end = c;
		while (end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, set))
			end++;
		int n = end > c ? snprintf(buf + off, size - off, "%s%d-%d", off ? "," : "", c, end)
		                : snprintf(buf + off, size - off, "%s%d", off ? "," : "", c);
		if (n < 0)
			return;
		off += (size_t)n;
		c = end;
	}
}

/* "enp1s0-TxRx-3" for ifname enp1s0 -> kind "TxRx", queue 3. */
static bool parse_queue_name(const char *name, const char *ifname, struct rss_irq *q)
{
	static const char *const kinds[] = {"TxRx", "rx", "tx"};
	size_t len = strlen(ifname);

	if (strncmp(name, ifname, len) != 0 || name[len] != '-')
		return false;
	name += len + 1;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t klen = strlen(kinds[i]);
		if (strncmp(name, kinds[i], klen) == 0 && name[klen] == '-' &&
		    parse_u32(name + klen + 1, UINT32_MAX, &q->queue) == 0) {
			str_copy(q->kind, sizeof(q->kind), kinds[i]);
			return true;
		}
	}
	return false;
}

/* The device's MSI/MSI-X vectors, so a same-named IRQ of another device cannot match. Absent
 * (no msi_irqs: legacy INTx or not PCI) means no filter. */
static bool irq_of_device(const char *ifname, unsigned irq)
{
	if (!sysfs_exists("/sys/class/net/%s/device/msi_irqs", ifname))
		return true;
	return sysfs_exists("/sys/class/net/%s/device/msi_irqs/%u", ifname, irq);
}

static int add_line(const char *line, const char *ifname, struct rss_irqs *irqs)
{
	struct rss_irq q = {0};
	char *end;
	const char *name;
	char buf[4096]; /* a CPU list can be long: "0,2,4,...,254" on a 256-CPU host */
	long irq;

	while (isspace((unsigned char)*line))
		line++;
	irq = strtol(line, &end, 10);
	if (end == line || *end != ':' || irq < 0 || irq > INT_MAX)
		return 0; /* the CPU header, or NMI/LOC/... rows */
	name = strrchr(line, ' ');
	name = name ? name + 1 : line;
	if (!parse_queue_name(name, ifname, &q) || !irq_of_device(ifname, (unsigned)irq))
		return 0;
	if (irqs->n == RSS_IRQS_MAX)
		return -E2BIG;
	q.irq = (unsigned)irq;
	int r = sysfs_read_str(buf, sizeof(buf), "/proc/irq/%u/smp_affinity_list", q.irq);
	if (r < 0)
		return r;
	r = rss_cpulist_parse(buf, &q.cpus);
	if (r < 0)
		return r;
	irqs->irq[irqs->n++] = q;
	return 0;
}

static int irq_cmp(const void *a, const void *b)
{
	const struct rss_irq *x = a, *y = b;

	if (x->queue != y->queue)
		return x->queue < y->queue ? -1 : 1;
	return strcmp(x->kind, y->kind);
}

static int read_locality(const char *ifname, struct rss_irqs *irqs)
{
	char buf[4096];
	long node;

	irqs->numa_node = -1;
	if (sysfs_read_long(&node, "/sys/class/net/%s/device/numa_node", ifname) == 0)
		irqs->numa_node = (int)node;
	CPU_ZERO(&irqs->local);
	int r = sysfs_read_str(buf, sizeof(buf), "/sys/class/net/%s/device/local_cpulist", ifname);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return rss_cpulist_parse(buf, &irqs->local);
}

int rss_irq_read(const char *ifname, struct rss_irqs *irqs)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	char path[PATH_MAX];
	size_t cap = 0;
	int r;

	memset(irqs, 0, sizeof(*irqs));
	if (!sysfs_exists("/sys/class/net/%s", ifname))
		return -ENODEV;
	r = read_locality(ifname, irqs);
	if (r < 0)
		return r;
	r = sysfs_path(path, sizeof(path), "/proc/interrupts");
	if (r < 0)
		return r;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		r = add_line(line, ifname, irqs);
		if (r < 0)
			return r;
	}
	if (irqs->n > 0)
		qsort(irqs->irq, irqs->n, sizeof(irqs->irq[0]), irq_cmp);
	return 0;
}

static bool receives(const struct rss_irq *q)
{
	return strcmp(q->kind, "tx") != 0;
}

size_t rss_irq_local_queues(const struct rss_irqs *irqs, uint32_t *queues, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < irqs->n; i++) {
		const struct rss_irq *q = &irqs->irq[i];
		cpu_set_t outside;

		if (!receives(q))
			continue;
		/* Affinity outside the local CPUs, or a queue already taken (rx sorted once). */
		CPU_AND(&outside, &q->cpus, &irqs->local);
		bool local = CPU_COUNT(&q->cpus) > 0 && CPU_EQUAL(&outside, &q->cpus);
		if (local && (n == 0 || queues[n - 1] != q->queue) && n < max)
			queues[n++] = q->queue;
	}
	return n;
}

int rss_irq_spread_local(const struct rss_irqs *irqs, struct rss_irqs *want)
{
	int cpus[CPU_SETSIZE];
	size_t ncpus = 0;

	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &irqs->local))
			cpus[ncpus++] = c;
	if (ncpus == 0)
		return -ENOENT;
	*want = *irqs;
	for (size_t i = 0; i < want->n; i++) {
		CPU_ZERO(&want->irq[i].cpus);
		CPU_SET(cpus[want->irq[i].queue % ncpus], &want->irq[i].cpus);
	}
	return 0;
}

int rss_irq_apply(const struct rss_irqs *want, bool *changed)
{
	if (changed)
		*changed = false;
	for (size_t i = 0; i < want->n; i++) {
		const struct rss_irq *q = &want->irq[i];
		char buf[4096];
		cpu_set_t cur;
		int r;

		r = sysfs_read_str(buf, sizeof(buf), "/proc/irq/%u/smp_affinity_list", q->irq);
		if (r < 0)
			return r;
		r = rss_cpulist_parse(buf, &cur);
		if (r < 0)
			return r;
		if (CPU_EQUAL(&cur, &q->cpus))
			continue;
		rss_cpulist_format(&q->cpus, buf, sizeof(buf));
		r = sysfs_write_str(buf, "/proc/irq/%u/smp_affinity_list", q->irq);
		if (r < 0)
			return r;
		if (changed)
			*changed = true;
	}
	return 0;
}

bool rss_irqbalance_running(void)
{
	_cleanup_closedir_ DIR *d = sysfs_opendir("/proc");
	struct dirent *de;

	if (!d)
		return false;
	while ((de = readdir(d))) {
		char comm[32];

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (sysfs_read_str(comm, sizeof(comm), "/proc/%s/comm", de->d_name) == 0 &&
		    strcmp(comm, "irqbalance") == 0)
			return true;
	}
	return false;
}
