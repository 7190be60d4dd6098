#!/bin/bash
# vfmgr daemon with udevd running: it converges at start, heals hand-made VF drift within 1 s,
# gives a PF whose driver was reset its VFs back, keeps its policy when SIGHUP brings a broken
# one, answers the CLI over its root-only control socket, configures a PF hot-added through
# QMP, and sleeps when nothing happens (no applies after convergence, no CPU time at idle).
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
POL=/tmp/daemon.yaml
LOG=/tmp/daemon.log
HOTMAC=52:54:00:12:00:09
lab_pfs

two_pf_policy() {
	cat <<'EOF'
version: 1
pfs:
  - { name: uplink-a, match: { pci: "0000:01:00.0" }, switch: tor-a, numvfs: 4 }
  - { name: uplink-b, match: { pci: "0000:02:00.0" }, switch: tor-b, numvfs: 4 }
networks:
  - { name: prod, vlan: 100, class: vm, pfs: [uplink-a, uplink-b] }
  - { name: backend, vlan: 200, class: vm, pfs: [uplink-a] }
vms:
  - name: web01
    nics: [ { network: prod, mac: "52:54:00:00:01:01", redundant: true } ]
  - name: db01
    nics: [ { network: backend, mac: "52:54:00:00:02:01" } ]
EOF
}
two_pf_policy >$POL
# The kernel announces VF changes (RTM_NEWLINK) only for a PF that is up, as on a real host.
ip link set "$if1" up
ip link set "$if2" up

# The "vf N" line of `ip -d link show PF` has vlan V (bash only: the poll itself stays cheap).
has_vlan() {
	local out
	out=$(ip -d link show "$1")
	[[ $out =~ vf\ $2\ [^$'\n']*vlan\ $3, ]]
}
applies() { grep -c "applied .* step" $LOG; }
st() { jq -r "$1" "$VFMGR_STATE"; }

"$VFMGR" -v -v daemon --policy $POL >$LOG 2>&1 &
DPID=$!
wait_for /run/vfmgr/control 10
check "daemon started and listens" test -S /run/vfmgr/control
check_eq "control socket is mode 0600 root" "600 0" "$(stat -c '%a %u' /run/vfmgr/control)"

# Start: the daemon applies the policy once.
check "converges at start: 4 VFs on $PF1" wait_until 30 \
	sh -c "[ \$(cat /sys/bus/pci/devices/$PF1/sriov_numvfs) = 4 ]"
db_vf=$(wait_until 30 test -s $VFMGR_STATE >/dev/null; st '.allocations[] | select(.vm=="db01") | .vf')
check "db01's VF gets vlan 200" wait_until 10 has_vlan "$if1" "$db_vf" 200
web_vf=$(st '.allocations[] | select(.vm=="web01" and .leg==0) | .vf')
web_vf_b=$(st '.allocations[] | select(.vm=="web01" and .leg==1) | .vf')
check "web01's leg on $PF2 gets vlan 100" wait_until 10 has_vlan "$if2" "$web_vf_b" 100

# Converged: its own events (VF creation uevents, link notifications) make no more applies.
sleep 3
n=$(applies)
sleep 3
check_eq "no apply after convergence (over 3 s)" "$n" "$(applies)"
grep -E "change:|applied" $LOG

# The CLI goes through the daemon.
out=$("$VFMGR" status 2>&1)
check "status answered by the daemon" grep -q "control: status" $LOG
check "status shows db01 ok" grep -qE "db01 .* ok$" <<<"$out"
check "vfmgr apply through the daemon" "$VFMGR" apply $POL
check_eq "apply through the daemon changed nothing" "$n" "$(applies)"
# A script's apply --json gets apply's summary from the daemon too, not its text.
ctl_applies=$(grep -c "control: apply" $LOG)
"$VFMGR" apply --json $POL >/tmp/apply-daemon.json
check_eq "apply --json through the daemon: ok, no steps, none pending, the CLI's default allow" \
	"true 0 0 vf-destroy" \
	"$(jq -r '[.ok, (.steps | length), (.pending | length), .allow] | map(tostring) | join(" ")' /tmp/apply-daemon.json)"
check "apply --json through the daemon matches doc/schema/apply.schema.json" \
	"$VFMGR_TOP/tests/json-schema.sh" "$VFMGR_TOP/doc/schema/apply.schema.json" /tmp/apply-daemon.json
check_eq "apply --json was the daemon's" $((ctl_applies + 1)) "$(grep -c "control: apply" $LOG)"
out=$("$VFMGR" apply --allow pf-reset "$VFMGR_TOP/examples/lab.yaml" 2>&1)
check_eq "apply of another policy file is refused" 1 "$?"
check "refusal names the daemon's policy" grep -q "the daemon runs $POL" <<<"$out"
for req in '{' '[]' '{"command":"rm -rf"}' '{"command":"status","vm":1}' \
	'{"command":"status","command":"plan"}' "$(head -c 20000 /dev/zero | tr '\0' x)"; do
	python3 - "$req" >/tmp/reply.txt <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect("/run/vfmgr/control")
s.sendall(sys.argv[1].encode())
s.shutdown(socket.SHUT_WR)
print(s.recv(65536).decode())
EOF
	check "malformed request ${req:0:24} gets an error reply" grep -q '"ok":false' /tmp/reply.txt
done
check "daemon alive after malformed requests" kill -0 $DPID
chmod 666 /run/vfmgr/control
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups python3 -c '
import socket
s = socket.socket(socket.AF_UNIX); s.connect("/run/vfmgr/control")
s.sendall(b"{\"command\":\"status\"}"); s.shutdown(socket.SHUT_WR); print(s.recv(4096).decode())' 2>&1)
chmod 600 /run/vfmgr/control
check "SO_PEERCRED refuses a non-root client" grep -q "root only" <<<"$out"
out=$("$VFMGR" status 2>&1 >/dev/null; python3 -c '
import socket
s = socket.socket(socket.AF_UNIX); s.connect("/run/vfmgr/control")
s.sendall(b"{\"command\":\"qemu-args\",\"vm\":\"db01\"}"); s.shutdown(socket.SHUT_WR); print(s.recv(4096).decode())')
echo "$out"
check "qemu-args answered by the daemon: db01's VF as a vfio-pci device" \
	grep -q '"ok":true.*vfio-pci' <<<"$out"

# Drift: a VLAN changed by hand is put back within 1 s, and logged with the device.
ip link set "$if1" vf "$db_vf" vlan 999
t=$(wait_until 5 has_vlan "$if1" "$db_vf" 200)
check "drift healed" test -n "$t"
echo "# drift healed in ${t} ms ($(grep -o 'applied 1 step.*' $LOG | tail -n1))"
check "drift healed within 1 s" test "${t:-9999}" -lt 1000
check "drift logged with the device and the old value" \
	grep -q "change: + $PF1 vf $db_vf vlan 200 qos 0 (was vlan 999 qos 0)" $LOG

# PF reset: unbind and rebind igb; the VFs and their settings come back.
echo $PF2 >/sys/bus/pci/drivers/igb/unbind
check_eq "unbind destroyed the VFs of $PF2" 0 "$(cat /sys/bus/pci/devices/$PF2/sriov_numvfs)"
echo $PF2 >/sys/bus/pci/drivers/igb/bind
t=$(wait_until 20 sh -c "[ \$(cat /sys/bus/pci/devices/$PF2/sriov_numvfs) = 4 ]")
check "VFs back after the PF reset" test -n "$t"
echo "# VFs back ${t} ms after the rebind"
if2=$(ls /sys/bus/pci/devices/$PF2/net)
ip link set "$if2" up
check "web01's VLAN back after the PF reset" wait_until 10 has_vlan "$if2" "$web_vf_b" 100

# SIGHUP with a broken policy: errors with file:line:col, old policy kept, still healing.
sed 's/numvfs: 4 }/numvfs: 4, colour: blue }/' $POL >/tmp/broken.yaml
cp /tmp/broken.yaml $POL
kill -HUP $DPID
check "broken policy error logged with file:line:col" \
	wait_until 5 grep -qE "^vfmgr: error: $POL:[0-9]+:[0-9]+: .*colour" $LOG
check "old policy kept" grep -q "not reloaded; still running the policy loaded before" $LOG
check "daemon alive after a broken reload" kill -0 $DPID
ip link set "$if1" vf "$web_vf" vlan 998
check "drift healed with the old policy" wait_until 5 has_vlan "$if1" "$web_vf" 100

# Hotplug: the policy names a third PF (by MAC) that is not there yet; QMP adds it.
two_pf_policy | sed "s/^networks:/  - { name: uplink-c, match: { mac: \"$HOTMAC\" }, switch: tor-c, numvfs: 2 }\nnetworks:\n  - { name: hot, vlan: 300, class: vm, pfs: [uplink-c] }/" >$POL
cat >>$POL <<'EOF'
  - name: hot01
    nics: [ { network: hot, mac: "52:54:00:00:03:01" } ]
EOF
kill -HUP $DPID
check "reload with the absent PF logged" wait_until 5 grep -q "uplink-c: no device on this host matches" $LOG
mark=$(wc -l <$LOG)
qmp '{"execute":"netdev_add","arguments":{"type":"hubport","id":"hpn1","hubid":0}}'
t0=${EPOCHREALTIME/./}
qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"igb\",\"bus\":\"hp1\",\"netdev\":\"hpn1\",\"id\":\"hpigb1\",\"mac\":\"$HOTMAC\"}}"
hot_vf_set() {
	local d n
	for d in /sys/class/net/*; do
		[ "$(cat "$d/address")" = "$HOTMAC" ] || continue
		ip -d link show "${d##*/}" | grep -q "vlan 300," && return 0
	done
	return 1
}
t=$(wait_until 30 hot_vf_set)
check "hot-added PF gets its VFs and settings" test -n "$t"
t1=${EPOCHREALTIME/./}
tail -n +"$mark" $LOG | grep -E "uevent pci add|change:|applied"
after=$(tail -n +"$mark" $LOG | grep -m1 -oE "applied .* after the first event" | grep -oE '\(.*')
echo "# hotplug: device_add sent to converged $(((t1 - t0) / 1000)) ms; daemon: ${after:-?}"
HOTPF=$(basename "$(readlink -f /sys/class/net/*/device | while read -r d; do
	[ "$(cat "$d"/net/*/address 2>/dev/null)" = "$HOTMAC" ] && echo "$d"; done)")
check_eq "hot-added PF has 2 VFs" 2 "$(cat /sys/bus/pci/devices/$HOTPF/sriov_numvfs 2>/dev/null)"
check "hot01 allocated on the hot-added PF" test "$(st '.allocations[] | select(.vm=="hot01") | .pf_address')" = "$HOTPF"

# Idle: no events for 30 s, no CPU time and no wakeups (schedstat counts every run).
sleep 2
s0=$(cat /proc/$DPID/schedstat)
n=$(applies)
sleep 30
s1=$(cat /proc/$DPID/schedstat)
echo "# idle 30 s: schedstat before [$s0] after [$s1]"
check_eq "idle 30 s: not scheduled once" "$s0" "$s1"
check_eq "idle 30 s: no apply" "$n" "$(applies)"
echo "# daemon RSS: $(grep VmRSS /proc/$DPID/status | tr -s ' \t' ' ')"

kill -TERM $DPID
wait $DPID
check_eq "SIGTERM stops it cleanly" 0 "$?"
check "control socket removed at stop" test ! -e /run/vfmgr/control
echo "# --- daemon log ---"
cat $LOG
finish
