#!/bin/bash
# vmlab: limit=600
# Healing on the real igb driver: the CLI apply stays all-or-nothing and names why igb refused
# a rate (link down); SIGINT during an apply rolls it back; release waits for another
# process's lock (bounded); the daemon sets isolation before rates, keeps a refused setting
# pending (igb's min rate in the middle of a batch, rates of a PF left down after a reset)
# without undoing the others, shows it in status and sets it when the link comes up; a
# hand-made VLAN change heals within 50 ms (median of 5, timed over rtnetlink).
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
POL=/tmp/heal.yaml
CLIPOL=/tmp/heal-cli.yaml
LOG=/tmp/daemon.log
LOG2=/tmp/daemon2.log
lab_pfs
LOCK=/run/vfmgr/lock

policy() { # $1: more of web02's NIC
	cat <<EOF
version: 1
pfs:
  - { name: uplink-a, match: { pci: "$PF1" }, switch: tor-a, numvfs: 3 }
  - { name: uplink-b, match: { pci: "$PF2" }, switch: tor-b, numvfs: 2 }
networks:
  - { name: prod, vlan: 120, qos: 2, class: vm, pfs: [uplink-a] }
  - { name: lab, vlan: 130, class: vm, pfs: [uplink-b] }
vms:
  - { name: web01, nics: [ { network: prod, mac: "52:54:00:00:01:01", rate: { max: 300 } } ] }
  - { name: web02, nics: [ { network: prod, mac: "52:54:00:00:01:02"$1 } ] }
  - { name: web03, nics: [ { network: prod, mac: "52:54:00:00:01:03", rate: { max: 300 } } ] }
  - { name: db01, nics: [ { network: lab, mac: "52:54:00:00:02:01" } ] }
EOF
}
policy '' >$CLIPOL
policy ', rate: { min: 100, max: 300 }' >$POL

numvfs() { cat /sys/bus/pci/devices/$1/sriov_numvfs; }
has_numvfs() { [ "$(numvfs "$1")" = "$2" ]; }
link_up() { [ "$(cat /sys/class/net/"$1"/operstate)" = up ]; }
# vf IFACE N JQ: a field of VF N as iproute2 reads it (JSON), e.g. '.vlan_list[0].vlan'.
vf() { ip -j -d link show "$1" | jq -r ".[0].vfinfo_list[] | select(.vf == $2) | $3"; }
isolated() { # IFACE VF: VLAN 120 qos 2 and spoof check on
	[ "$(vf "$1" "$2" '"\(.vlan_list[0].vlan) \(.vlan_list[0].qos) \(.spoofchk)"')" = "120 2 true" ]
}
# PF1's interface now (udev renames it right after a driver bind: eth0, then enp1s0).
pfif() { ls /sys/bus/pci/devices/$PF1/net; }
all_isolated() { local i; i=$(pfif) && isolated "$i" 0 && isolated "$i" 1 && isolated "$i" 2; }
rates() { ip -j -d link show "$(pfif)" | jq -c '[.[0].vfinfo_list[] | .rate.max_tx]'; }
rates_are() { [ "$(rates)" = "$1" ]; }
max_rate() { vf "$1" "$2" '.rate.max_tx'; }
alloc_vf() { jq -r ".allocations[] | select(.vm==\"$1\") | .vf" "$VFMGR_STATE"; }

# 1. The CLI with the PF down: all or nothing, and the message says why igb refused.
ip link set "$if2" up
out=$("$VFMGR" apply --allow pf-reset $CLIPOL 2>&1)
rc=$?
echo "$out" | grep -E "error" | head -n 8
check_eq "CLI apply with $if1 down fails" 1 "$rc"
check "the message names the cause" \
	grep -q "igb sets TX rates only while the link is up; $if1 is down" <<<"$out"
check_eq "all or nothing: $PF1 has no VFs again" 0 "$(numvfs $PF1)"

# 2. SIGINT during an apply: the running step finishes, everything is undone, exit 1.
ip link set "$if1" up
check "$if1's link comes up" wait_until 30 link_up "$if1"
"$VFMGR" apply --allow pf-reset $CLIPOL >/tmp/int.out 2>&1 &
apid=$!
check "the apply is under way ($PF1 has VFs)" wait_until 30 has_numvfs $PF1 3
kill -INT $apid
wait $apid
rc=$?
grep -E "error|notice" /tmp/int.out
check_eq "SIGINT: apply exits 1" 1 "$rc"
check "SIGINT: it says it rolled back" grep -qE "SIGINT|Interrupt" /tmp/int.out
check "SIGINT: it says what was undone" grep -qE "numvfs 0 -> 3\) undone" /tmp/int.out
check "SIGINT: rolled back to the host as before" grep -q "the host is as it was before" /tmp/int.out
check_eq "SIGINT: $PF1 has no VFs" 0 "$(numvfs $PF1)"
check_eq "SIGINT: $PF2 has no VFs" 0 "$(numvfs $PF2)"
check "SIGINT: no state file left" test ! -e "$VFMGR_STATE"

# 3. The lock: release waits for another holder (bounded), then does its work.
check "CLI apply with the links up" wait_until 60 "$VFMGR" apply --allow pf-reset $CLIPOL
flock -x -o $LOCK sleep 2 &
fpid=$!
sleep 0.3
t0=${EPOCHREALTIME/./}
out=$("$VFMGR" release web03 2>&1)
rc=$?
t1=${EPOCHREALTIME/./}
echo "$out" | tail -n 3
check_eq "release while flock -x holds the lock succeeds" 0 "$rc"
check "release waited for the lock ($(((t1 - t0) / 1000)) ms)" test $(((t1 - t0) / 1000)) -ge 1000
check "release said it was waiting" grep -q "waiting up to 30 s" <<<"$out"
wait $fpid
flock -x -o $LOCK sleep 5 &
fpid=$!
sleep 0.3
t0=${EPOCHREALTIME/./}
out=$(VFMGR_LOCK_WAIT=1 "$VFMGR" release web01 2>&1)
rc=$?
t1=${EPOCHREALTIME/./}
check_eq "bounded: release gives up after VFMGR_LOCK_WAIT=1" 1 "$rc"
check "bounded: ... with today's message ($(((t1 - t0) / 1000)) ms)" \
	grep -q "another vfmgr is changing the host; try again" <<<"$out"
kill $fpid
wait $fpid 2>/dev/null

# 4. The daemon: web02's min rate (igb has none) is refused in the middle of the batch; the
#    VFs before and after it get their rates, web02 its isolation. (No VFs at the start, so it
#    writes all three in one message.)
echo 0 >/sys/bus/pci/devices/$PF1/sriov_numvfs
"$VFMGR" -v -v daemon --policy $POL >$LOG 2>&1 &
DPID=$!
wait_for /run/vfmgr/control 10
check "daemon: web01 and web03 get max_tx_rate 300" wait_until 30 rates_are '[300,0,300]' 
w1=$(alloc_vf web01) w2=$(alloc_vf web02) w3=$(alloc_vf web03)
echo "# web01 vf $w1, web02 vf $w2, web03 vf $w3"
check_eq "web02 is VF 1, between the others" "0 1 2" "$w1 $w2 $w3"
check "daemon: every VF of $if1 has VLAN 120 qos 2 and spoof check" all_isolated
check_eq "web02's refused rate is not set" 0 "$(max_rate "$if1" 1)"
out=$("$VFMGR" status)
echo "$out"
check "status: web02 pending, with the reason" \
	grep -qE "^web02 .*pending: min_tx_rate 100 max_tx_rate 300: igb has no minimum TX rate" <<<"$out"
check "status: web01 ok" grep -qE "^web01 .* ok$" <<<"$out"
# The same through the daemon as JSON: the refused rate as a typed change with its reason.
"$VFMGR" status --json >/tmp/status.json
check_eq "status --json: web02 pending, max_tx_rate 0 -> 300 held back, with the reason" \
	"pending 0 300 true" "$(jq -r '.vfs[] | select(.vm=="web02") | "\(.status) \(.pending[0].changes.max_tx_rate.from) \(.pending[0].changes.max_tx_rate.to) \(.pending[0].reason | test("igb has no minimum TX rate"))"' /tmp/status.json)"
check "status --json with pending settings matches doc/schema/status.schema.json" \
	"$VFMGR_TOP/tests/json-schema.sh" "$VFMGR_TOP/doc/schema/status.schema.json" /tmp/status.json
check "the refusal is logged with the VF" grep -q "$PF1 ($if1) vf 1: min_tx_rate 100" $LOG
sleep 1
n=$(grep -c "applied .* step" $LOG)
sleep 2
check_eq "the pending setting is not retried over and over (3 s)" "$n" "$(grep -c "applied .* step" $LOG)"

# 5. Heal latency: a hand-made VLAN change back to 120, timed over rtnetlink. Timings under
#    TCG follow the build host's load: the checks are on the mechanism (each drift acted on at
#    once, not after the quiet time) with a sanity bound; the figures are printed against the
#    targets (50 ms here, 2 s for the PF reset), met on a quiet host.
mark=$(wc -l <$LOG)
lat=()
converged() { [ "$(grep -c "converged: nothing" $LOG)" -gt "$1" ]; }
for i in 1 2 3 4 5; do
	c=$(grep -c "converged: nothing" $LOG)
	ms=$("$VMPROGS/heal-latency" "$if1" 0 999 120 3000)
	lat+=("${ms:-9999}")
	# The daemon's read-only check after its apply, then a quiet period (150 ms) before the
	# next drift, which is then again the first event after quiet.
	wait_until 10 converged "$c" >/dev/null
	sleep 0.2
done
med=$(printf '%s\n' "${lat[@]}" | sort -n | sed -n 3p)
echo "# heal latency over rtnetlink (ms): ${lat[*]}; median $med"
grep "first event after quiet" $LOG | tail -n 2
n=$(tail -n +"$mark" $LOG | grep -c "first event after quiet: at once")
check "each drift acted on at once, not after the quiet time ($n of 5)" test "$n" -ge 5
# Link drift changes nothing on the PCI bus: those passes plan from the last PCI scan (the
# first may follow a late uevent of an earlier step, which makes it read everything).
n=$(tail -n +"$mark" $LOG | grep -c "observed the host in [0-9]* ms (PCI functions from the last scan)")
check "drift passes plan from the last PCI scan ($n passes)" test "$n" -ge 4
echo "# daemon's view: $(tail -n +"$mark" $LOG | grep -oE "applied 1 step in [0-9]+ ms \([0-9]+ ms after" | grep -oE "\([0-9]+" | tr -d '(' | tr '\n' ' ')ms from the notification to applied"
check "every drift healed (median $med ms)" awk -v m="$med" 'BEGIN { exit !(m < 1000) }'
echo "# heal latency target (<= 50 ms): $(awk -v m="$med" 'BEGIN { print (m <= 50 ? "met" : "missed (loaded host?)") }')"

# 5b. VFs removed by hand while the daemon would plan from its last PCI scan: the link
#    notification comes before udev's events for the VFs, so the pass it starts finds the
#    kernel's VF count (IFLA_NUM_VF) is not the scan's and reads the whole host again.
mark=$(wc -l <$LOG)
echo 0 >/sys/bus/pci/devices/$PF1/sriov_numvfs
check "VFs removed by hand: made again" wait_until 30 has_numvfs $PF1 3
check "VFs removed by hand: isolation back on every VF" wait_until 30 all_isolated
wait_until 10 sh -c "[ \"\$(ip -j link show $(pfif) | jq -r '.[0].operstate')\" = UP ]" >/dev/null
echo "# VFs removed by hand: $(tail -n +"$mark" $LOG | grep -c 'the last PCI scan does not do') passes found the last PCI scan stale"

# 6. PF reset with nothing to bring the interface up: the VFs and their isolation are back
#    within 2 s, the rates wait for the link (status says so) and follow `ip link set up`.
mark=$(wc -l <$LOG)
echo $PF1 >/sys/bus/pci/drivers/igb/unbind
check_eq "unbind destroyed the VFs of $PF1" 0 "$(numvfs $PF1)"
# Timed over rtnetlink from just before the rebind to the last VF carrying VLAN 120 (the
# isolation of every VF goes in one message); a PF that is down sends no notifications, so
# heal-latency --wait reads every 10 ms.
"$VMPROGS/heal-latency" --wait $PF1 2 120 20000 >/tmp/reset.ms &
wpid=$!
echo $PF1 >/sys/bus/pci/drivers/igb/bind
wait $wpid
ms=$(cat /tmp/reset.ms)
check_eq "VFs back after the PF reset" 3 "$(numvfs $PF1)"
check "isolation back on every VF" all_isolated
check "the rebind of $PF1 was acted on at once, not after the quiet time" \
	sh -c "tail -n +$((mark + 1)) $LOG | grep -qF 'uevent pci bind $PF1 (a policy PF is back: at once)'"
echo "# PF reset: isolation back ${ms:-?} ms after the rebind"
check "isolation back in bounded time (${ms:-?} ms)" test "${ms:-99999}" -le 10000
echo "# PF reset target (isolation within 2 s): $([ "${ms:-99999}" -le 2000 ] && echo met || echo "missed (loaded host?)")"
udevadm settle --timeout=10
if1=$(pfif)
check_eq "$if1 stayed down (vfmgr does not bring it up)" "DOWN" \
	"$(ip -j link show "$if1" | jq -r '.[0].operstate')"
check_eq "web01's rate is not set while $if1 is down" 0 "$(max_rate "$if1" 0)"
tail -n +"$mark" $LOG | grep -E "error|pending|rolled" | head -n 8
check "the heal was not rolled back" sh -c "! tail -n +$mark $LOG | grep -q 'rolled back'"
out=$("$VFMGR" status)
echo "$out"
check "status: web01's rate waits for the link" \
	grep -qE "^web01 .*pending: max_tx_rate 300 waits for $if1's link" <<<"$out"
ip link set "$if1" up
t=$(wait_until 20 rates_are '[300,0,300]')
check "link up: web01's and web03's rates set (${t:-?} ms after ip link set up)" test -n "$t"
out=$("$VFMGR" status)
check "status: web01 ok after the link came up" grep -qE "^web01 .* ok$" <<<"$out"
check "status: web02 still pending (min rate)" grep -qE "^web02 .*pending: min_tx_rate" <<<"$out"

kill -TERM $DPID
wait $DPID
check_eq "SIGTERM stops the daemon cleanly" 0 "$?"

# 7. Lost events: a small socket buffer (rmem_max caps the daemon's 1 MiB) and a burst of
#    link notifications while the daemon is stopped: ENOBUFS is logged as such, the host is
#    read again, and the drift is put back.
rmem=$(cat /proc/sys/net/core/rmem_max)
echo 4096 >/proc/sys/net/core/rmem_max
"$VFMGR" -v -v daemon --policy $POL >$LOG2 2>&1 &
DPID=$!
wait_for /run/vfmgr/control 10
check "restarted daemon converges" wait_until 20 grep -q "converged" $LOG2
kill -STOP $DPID
for i in $(seq 1 40); do ip link set "$if1" vf 0 vlan $((500 + i)); done
kill -CONT $DPID
check "ENOBUFS logged as lost events" wait_until 10 grep -q "events lost (ENOBUFS" $LOG2
check "... and the VLAN put back after the re-read" wait_until 10 isolated "$if1" 0
grep -E "events lost|re-read|change:" $LOG2 | head -n 4
echo "$rmem" >/proc/sys/net/core/rmem_max
kill -TERM $DPID
wait $DPID
echo "# --- daemon log (last 60 lines) ---"
tail -n 60 $LOG
finish
