#!/bin/bash
# P3: the daemon at idle for 60 s after converging: CPU time, wakeups (context switches) and
#     syscalls (strace attached for the whole minute), resident memory.
# P6: heal latency: a hand-made VLAN change on web01's VF until it carries VLAN 100 again,
#     timed over rtnetlink (tests/vm/progs/heal-latency), median of 5.
# P4: a PF hot-added through QMP (a policy that gives it 7 VFs): from the PCI add uevent to
#     converged, by the daemon's own clock and as seen from outside.
# P7: a PF reset (igb unbound and bound again) of that PF: from the rebind until its last VF
#     carries its VLAN again, against what the kernel alone takes to make 7 VFs and what the
#     rebind (igb's probe) takes.
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/bench-daemon.json
POL=/tmp/bench-daemon.yaml
LOG=/tmp/bench-daemon.log
HOTMAC=52:54:00:12:00:09
cat >$POL <<POLICY
version: 1
pfs:
  - { name: uplink-a, match: { pci: "0000:01:00.0" }, switch: tor-a, numvfs: 4 }
  - { name: uplink-b, match: { pci: "0000:02:00.0" }, switch: tor-b, numvfs: 4 }
  - { name: uplink-h, match: { mac: "$HOTMAC" }, switch: tor-c, numvfs: 7, vf-driver: kernel }
networks:
  - { name: prod, vlan: 100, class: vm, pfs: [uplink-a, uplink-b] }
  - { name: hot, vlan: 300, class: vm, pfs: [uplink-h] }
vms:
  - { name: web01, nics: [ { network: prod, redundant: true } ] }
POLICY
for i in 1 2 3 4 5 6 7; do
	# (no rate: igb refuses rate limits while the new PF's link is down)
	echo "  - { name: hot0$i, nics: [ { network: hot } ] }" >>$POL
done
for pf in 0000:01:00.0 0000:02:00.0; do ip link set "$(ls /sys/bus/pci/devices/$pf/net)" up; done
# P7's yardstick, before the daemon runs: the kernel making 7 VFs on an igb PF (best of 3).
ms_since() { echo $(((${EPOCHREALTIME/./} - $1) / 1000)); }
numvfs=/sys/bus/pci/devices/0000:02:00.0/sriov_numvfs
kvf=
for _ in 1 2 3; do
	t0=${EPOCHREALTIME/./}
	echo 7 >$numvfs
	ms=$(ms_since "$t0")
	echo 0 >$numvfs
	[ -z "$kvf" ] || [ "$ms" -lt "$kvf" ] && kvf=$ms
done
"$VFMGR" -v daemon --policy $POL >$LOG 2>&1 &
DPID=$!
wait_for /run/vfmgr/control 10
for _ in $(seq 100); do grep -q "applied" $LOG && break; sleep 0.2; done
sleep 5

# P3
ticks() { awk '{print $14 + $15}' /proc/$DPID/stat; }
ctx() { awk '/ctxt_switches/ {s += $2} END {print s}' /proc/$DPID/status; }
t0=$(ticks)
c0=$(ctx)
timeout -s INT 60 strace -f -c -p $DPID -o /tmp/idle-strace.txt 2>/dev/null
t1=$(ticks)
c1=$(ctx)
calls=$(awk '/total/ {print $(NF-1)}' /tmp/idle-strace.txt 2>/dev/null)
rss=$(awk '/VmRSS/ {print $2, $3}' /proc/$DPID/status)
echo "P3 daemon idle 60 s: CPU ticks $((t1 - t0)), context switches $((c1 - c0)), syscalls ${calls:-0}, RSS $rss"

# P6
if1=$(ls /sys/bus/pci/devices/0000:01:00.0/net)
vf=$(jq -r '.allocations[] | select(.vm=="web01" and .pf_address=="0000:01:00.0") | .vf' $VFMGR_STATE)
lat=()
for _ in 1 2 3 4 5; do
	lat+=("$("$VMPROGS/heal-latency" "$if1" "$vf" 999 100 3000 || echo timeout)")
	sleep 0.5 # the daemon's check after its apply
done
echo "P6 heal latency, VLAN drift to healed over rtnetlink: median $(printf '%s\n' "${lat[@]}" | sort -n | sed -n 3p) ms (${lat[*]})"

# P4
qmp '{"execute":"netdev_add","arguments":{"type":"hubport","id":"hpn1","hubid":0}}' >/dev/null
t0=${EPOCHREALTIME/./}
qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"igb\",\"bus\":\"hp1\",\"netdev\":\"hpn1\",\"id\":\"hpigb1\",\"mac\":\"$HOTMAC\"}}" >/dev/null
done=
for _ in $(seq 600); do
	ifn=$(grep -l "$HOTMAC" /sys/class/net/*/address 2>/dev/null | head -n1 | cut -d/ -f5)
	if [ -n "$ifn" ] && [ "$(ip -d link show "$ifn" | grep -c 'vlan 300')" = 7 ]; then
		done=${EPOCHREALTIME/./}
		break
	fi
	sleep 0.05
done
last=$(grep 'applied' $LOG | tail -n 1)
echo "$last"
seen="not converged within 30 s"
[ -n "$done" ] && seen="$(((done - t0) / 1000)) ms from QMP device_add to 7 VFs configured as seen by ip"
echo "P4 hotplug of a PF with 7 VFs: daemon: $(sed -n 's/.*(\(.*\) after the first event).*/\1/p' <<<"$last") from the PCI add uevent to applied; $seen"

# P7
hot=$([ -n "$ifn" ] && basename "$(readlink -f "/sys/class/net/$ifn/device")")
if [ -n "$done" ] && [ -n "$hot" ]; then
	echo "$hot" >/sys/bus/pci/drivers/igb/unbind
	sleep 1 # the daemon's reconcile of the unplugged VFs
	"$VMPROGS/heal-latency" --wait "$hot" 6 300 20000 >/tmp/reset.ms &
	wpid=$!
	t0=${EPOCHREALTIME/./}
	echo "$hot" >/sys/bus/pci/drivers/igb/bind
	probe=$(ms_since "$t0")
	wait $wpid
	echo "P7 PF reset with 7 VFs: VF 6 on VLAN 300 again $(cat /tmp/reset.ms) ms after the rebind" \
		"(igb's probe: $probe ms; the kernel alone makes 7 VFs in $kvf ms, best of 3)"
else
	echo "P7 PF reset: skipped (the hotplugged PF did not converge)"
fi
kill $DPID
