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
overall=0
while read -r scenario limit; do
	[ -n "$scenario" ] || continue
	name=$(basename "$scenario" .sh)
	echo "vmlab: scenario $name (limit ${limit}s)"
	start=$(cut -d' ' -f1 /proc/uptime)
	timeout -k 5 "$limit" bash "$scenario" >"$VMLAB_OUT/$name.log" 2>&1
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	echo "$rc" >"$VMLAB_OUT/$name.rc"
	echo "vmlab: scenario $name rc=$rc in $(echo "$end - $start" | bc 2>/dev/null || echo "?")s"
	[ "$rc" = 0 ] || overall=1
done <"$VMLAB_OUT/scenarios"
echo "VMLAB_RC=$overall"
echo "$overall" >"$VMLAB_OUT/rc"
$BB sync
$BB umount /vmlab-out 2>/dev/null
$BB poweroff -f
while :; do $BB sleep 1; done
