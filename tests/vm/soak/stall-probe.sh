#!/bin/bash
# vmlab: igbs=2
# Measures how often the lab guest stalls (a vCPU stops getting timer interrupts under QEMU
# TCG; issue 20): both igb PFs create and destroy VFs in a loop for PROBE_SECONDS (default
# 600), the trigger every recorded stall had, while each CPU runs a pinned heartbeat. A
# heartbeat older than 60 s is a stall (a host with a load of 20 delays one by 20 s and more,
# and that passes; the stall does not): the verdict goes to the kernel log (printk reaches the
# serial console without interrupts, where a stalled CPU may hold the log's 9p channel).
#   tests/vm/run.sh -t 900 -k stable tests/vm/soak/stall-probe.sh:800
. "$VFMGR_TOP/tests/vm/lib.sh"
DUR=${PROBE_SECONDS:-600}
PFS="0000:01:00.0 0000:02:00.0"
for pf in $PFS; do ip link set "$(ls /sys/bus/pci/devices/$pf/net)" up; done
note() { echo "stall-probe: $*" >/dev/kmsg; echo "$*"; }
note "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)," \
	"clockevents $(cat /sys/devices/system/clockevents/clockevent*/current_device | tr '\n' ' ')," \
	"cpu flags: $(grep -m1 -o -w -e tsc_deadline_timer -e x2apic -e constant_tsc /proc/cpuinfo | tr '\n' ' ')," \
	"$(nproc) CPUs"

for c in $(seq 0 $(($(nproc) - 1))); do
	taskset -c "$c" bash -c "while :; do cut -d' ' -f1 /proc/uptime >/tmp/hb.$c.new; mv /tmp/hb.$c.new /tmp/hb.$c; sleep 0.5; done" &
done
churn() { # $1 = PF address; counts rounds in /tmp/rounds.$1
	local n=0
	while :; do
		echo 4 >"/sys/bus/pci/devices/$1/sriov_numvfs"
		echo 0 >"/sys/bus/pci/devices/$1/sriov_numvfs"
		n=$((n + 1))
		echo $n >"/tmp/rounds.$1"
	done
}
for pf in $PFS; do churn "$pf" & done
start=$(cut -d' ' -f1 /proc/uptime)
verdict=0
while :; do
	sleep 2
	now=$(cut -d' ' -f1 /proc/uptime)
	el=$(echo "$now - $start" | bc)
	for f in /tmp/hb.[0-9]; do
		age=$(echo "$now - $(cat "$f")" | bc)
		if [ "$(echo "$age > 60" | bc)" = 1 ]; then
			note "STALL: cpu ${f##*.} heartbeat ${age}s old after ${el}s, rounds $(cat /tmp/rounds.* | tr '\n' ' ')"
			verdict=1
		fi
	done
	[ $verdict = 1 ] && break
	[ "$(echo "$el > $DUR" | bc)" = 1 ] && break
done
note "done after ${el}s: rounds $(cat /tmp/rounds.* | tr '\n' ' ')"
check_eq "no CPU stalled in ${el}s of VF churn" 0 "$verdict"
kill $(jobs -p) 2>/dev/null
wait
for pf in $PFS; do echo 0 >"/sys/bus/pci/devices/$pf/sriov_numvfs"; done
exit $verdict
