#!/bin/bash
# vfmgr metrics against the host on the real igb driver: VFs configured/pending/drifted, the
# VF count and the last apply as ip and sysfs show them; a hand-made VLAN change counted as
# drifted (once); a refused apply as the last apply failing; and the daemon's
# --metrics-file, rewritten after it heals the drift (heals counted), in a format promtool
# reads.
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
PF=0000:01:00.0
IF=$(ls /sys/bus/pci/devices/$PF/net)
ip link set "$IF" up
PROMTOOL=${VFMGR_LAB:-$VFMGR_TOP/.lab-cache}/promtool
P=/tmp/m.yaml
policy() { # $1 = numvfs, $2 = web01's MAC
	cat >$P <<YAML
version: 1
pfs:
  - { name: up, match: { pci: "$PF" }, numvfs: $1 }
networks:
  - { name: prod, vlan: 100, class: vm, pfs: [up] }
vms:
  - { name: web01, nics: [ { network: prod, vf-driver: kernel, mac: "${2:-52:54:00:00:01:01}" } ] }
  - { name: db01, nics: [ { network: prod, vf-driver: kernel, mac: "52:54:00:00:02:01" } ] }
YAML
}
metrics() { "$VFMGR" metrics --policy $P >/tmp/m.prom 2>/tmp/m.err; cat /tmp/m.prom; }
val() { awk -v k="$1" '$1 == k { print $2 }' "${2:-/tmp/m.prom}"; }
vfs() { val "vfmgr_vfs{pf=\"$PF\",pf_name=\"up\",status=\"$1\"}" "${2:-}"; }
vlan_of() { ip -d link show "$IF" | sed -n "s/^ *vf $1 .*vlan \([0-9]*\).*/\1/p"; }

policy 2
check "apply --allow pf-reset" "$VFMGR" apply --allow pf-reset $P
metrics >/dev/null
check_eq "2 VFs configured, none pending, drifted or unverified" "2 0 0 0" \
	"$(vfs configured) $(vfs pending) $(vfs drifted) $(vfs unverified)"
check_eq "vfmgr_pf_numvfs is sysfs's sriov_numvfs" "$(cat /sys/bus/pci/devices/$PF/sriov_numvfs)" \
	"$(val "vfmgr_pf_numvfs{pf=\"$PF\",pf_name=\"up\"}")"
check_eq "plan ok, nothing pending" "1 0" "$(val vfmgr_plan_ok) $(val vfmgr_pending_steps)"
check_eq "the last apply succeeded" 1 "$(val vfmgr_last_apply_success)"
age=$(($(date +%s) - $(val vfmgr_last_apply_timestamp_seconds)))
check "the last apply's time is now (${age}s ago)" test "$age" -ge 0 -a "$age" -lt 120

# Drift by hand: ip changes web01's VLAN; metrics count it once, as drifted (the plan that
# heals it is a pending step).
vf=$(jq -r '.allocations[] | select(.vm=="web01") | .vf' "$VFMGR_STATE")
ip link set "$IF" vf "$vf" vlan 999
check_eq "ip: VF $vf has vlan 999" 999 "$(vlan_of "$vf")"
metrics >/dev/null
check_eq "1 configured, 1 drifted (counted once: 0 pending VFs), 1 pending step" "1 1 0 1" \
	"$(vfs configured) $(vfs drifted) $(vfs pending) $(val vfmgr_pending_steps)"

# A refused apply (a VF MAC change is vf-reset on igb, above --allow none) is the last apply,
# failed.
policy 2 52:54:00:00:01:09
out=$("$VFMGR" apply --allow none $P 2>&1)
check_eq "apply --allow none refuses the MAC change" 1 "$?"
echo "$out" | sed 's/^/# /'
metrics >/dev/null
check_eq "the last apply failed" 0 "$(val vfmgr_last_apply_success)"
check "ip: web01's VF kept its MAC" grep -q "vf $vf .*52:54:00:00:01:01" <<<"$(ip -d link show "$IF")"

# The daemon heals the drift and keeps the textfile current.
policy 2
mkdir -p /tmp/textfile
F=/tmp/textfile/vfmgr.prom
"$VFMGR" daemon --policy $P --metrics-file $F >/tmp/daemon.log 2>&1 &
DPID=$!
healed() { [ "$(vlan_of "$vf")" = 100 ] && [ -s $F ] && [ "$(vfs drifted $F)" = 0 ] && [ "$(val vfmgr_pending_steps $F)" = 0 ]; }
wait_healed() { for _ in $(seq 300); do healed && return 0; sleep 0.1; done; return 1; }
check "daemon: heals VF $vf (ip: vlan 100) and the file says drifted 0, pending 0" wait_healed
h1=$(val vfmgr_daemon_heals_total $F)
check "daemon: heals counted (${h1:-none})" test "${h1:-0}" -ge 1
# (No read-back of 998: the daemon heals a hand-made change at once.)
ip link set "$IF" vf "$vf" vlan 998
more() { healed && [ "$(val vfmgr_daemon_heals_total $F)" -gt "$h1" ]; }
wait_more() { for _ in $(seq 300); do more && return 0; sleep 0.1; done; return 1; }
check "daemon: the second heal is counted and the file is current again" wait_more
check_eq "daemon: 2 VFs configured in the file" 2 "$(vfs configured $F)"
check "promtool check metrics: the daemon's file" "$PROMTOOL" check metrics <$F
check "promtool check metrics: vfmgr metrics" "$PROMTOOL" check metrics </tmp/m.prom
check_eq "no temporary files left in the textfile directory" "vfmgr.prom" "$(ls /tmp/textfile)"
kill "$DPID"
wait "$DPID"
cat /tmp/daemon.log | tail -n 15 | sed 's/^/# /'
finish
