#!/bin/bash
# PID 1 in the lab guest after switch_root. Runs the scenarios the host listed in
# /vmlab-out/scenarios, each with its own log and time limit, then powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
export VMLAB_OUT=/vmlab-out
BB=/run/vmlab/busybox
$BB hostname vmlab-guest
cd /
ip link set lo up

# A lab guest behaves like a host: udevd loads drivers and names interfaces (under
# "init=systemd", systemd has started it; this runs as vmlab-run.service).
[ "$(cat /proc/1/comm)" = systemd ] || /lib/systemd/systemd-udevd --daemon >/dev/null 2>&1
udevadm trigger --action=add >/dev/null 2>&1
udevadm settle --timeout=30

# shellcheck source=/dev/null
. "$VMLAB_OUT/env"
echo "vmlab: kernel $(uname -r), $(ls /sys/bus/pci/devices | wc -l) PCI functions, up $(cut -d' ' -f1 /proc/uptime)s"
# The kernel reports tasks blocked for 30 s (a sysfs write the driver never finishes) into its
# log, which kernel.log keeps; scenarios run under a limit a hung child cannot defeat.
echo 30 >/proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
echo -1 >/proc/sys/kernel/hung_task_warnings 2>/dev/null
/usr/bin/dmesg -w >"$VMLAB_OUT/kernel.log" 2>&1 &
# Each CPU shows that it still runs: a task pinned to it rewrites /vmlab-out/alive.N every 5 s.
# A vCPU that stops getting timer interrupts (QEMU TCG, issue 20) stops its heartbeat, and the
# host ends the boot after a bound instead of at its full limit (run.sh).
for c in $(seq 0 $(($(nproc) - 1))); do
	taskset -c "$c" $BB sh -c "while :; do cut -d' ' -f1 /proc/uptime >$VMLAB_OUT/alive.$c; $BB sleep 5; done" &
done
# The kernel's and the loaded modules' symbols, for the host's vcpu-dump.py.
gzip -1 </proc/kallsyms >"$VMLAB_OUT/kallsyms.gz" &
klog=$!
overall=0
while read -r limit scenario; do
	[ -n "$scenario" ] || continue
	name=$(basename "$scenario" .sh)
	echo "vmlab: scenario $name (limit ${limit}s)"
	start=$(cut -d' ' -f1 /proc/uptime)
	bash "$(dirname "$0")/watchdog.sh" "$scenario" "$limit" "$VMLAB_OUT/$name.log"
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	echo "$rc" >"$VMLAB_OUT/$name.rc"
	echo "vmlab: scenario $name rc=$rc in $(echo "$end - $start" | bc 2>/dev/null || echo "?")s"
	[ "$rc" = 0 ] || overall=1
	if [ -s /run/vmlab/wedged ]; then
		echo "vmlab: tasks are stuck in the kernel after $name; the rest is not run"
		break
	fi
done <"$VMLAB_OUT/scenarios"
echo "VMLAB_RC=$overall"
echo "$overall" >"$VMLAB_OUT/rc"
kill "$klog" 2>/dev/null
# Bounded: with a task stuck in the kernel, sync or the unmount may never return.
($BB sync; $BB umount /vmlab-out) 2>/dev/null &
sync=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 $sync 2>/dev/null && $BB sleep 0.5; done
$BB poweroff -f
while :; do $BB sleep 1; done
