#!/bin/bash
# VF lifecycle on the real igb driver (two PFs, 4 VFs each from examples/lab.yaml): apply,
# read back with ip -d link; a converged apply writes nothing; a one-VLAN policy change plans
# exactly one change; igb's refusal of min_tx_rate names the VF and changes nothing; release
# restores what the VF had before.
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
POL=$VFMGR_TOP/examples/lab.yaml
PF1=0000:01:00.0
PF2=0000:02:00.0
if1=$(ls /sys/bus/pci/devices/$PF1/net)
if2=$(ls /sys/bus/pci/devices/$PF2/net)
# max_tx_rate needs the PF link up on igb.
ip link set "$if1" up
ip link set "$if2" up
for _ in $(seq 50); do
	[ "$(cat /sys/class/net/$if1/operstate)$(cat /sys/class/net/$if2/operstate)" = upup ] && break
	sleep 0.1
done

# vf_line IF N: the "vf N" line of `ip -d link show IF`.
vf_line() { ip -d link show "$1" | grep -E "^ +vf $2 "; }
vf_field() { vf_line "$1" "$2" | grep -q -- "$3"; }
host_view() {
	for i in "$if1" "$if2"; do ip -d link show "$i" | grep -E '^ +vf '; done
	cat /sys/bus/pci/devices/$PF1/sriov_numvfs /sys/bus/pci/devices/$PF2/sriov_numvfs
	for d in /sys/bus/pci/devices/$PF1/virtfn* /sys/bus/pci/devices/$PF2/virtfn*; do
		[ -e "$d/driver" ] && basename "$(readlink "$d/driver")"
	done
}

out=$("$VFMGR" plan "$POL" 2>&1)
echo "$out"
check_eq "plan creates 4 VFs on the first PF" 1 "$(echo "$out" | grep -c "^+ $PF1 numvfs 4 (was 0)")"
check_eq "plan creates 4 VFs on the second PF" 1 "$(echo "$out" | grep -c "^+ $PF2 numvfs 4 (was 0)")"

check "apply the lab policy" "$VFMGR" apply --allow pf-reset "$POL"
check_eq "sriov_numvfs on $PF1" 4 "$(cat /sys/bus/pci/devices/$PF1/sriov_numvfs)"
check_eq "sriov_numvfs on $PF2" 4 "$(cat /sys/bus/pci/devices/$PF2/sriov_numvfs)"
ip -d link show "$if1"
ip -d link show "$if2"
# Allocation, from the state file: web01 leg 0 and db01 on uplink-a, web01 leg 1 on uplink-b.
st() { jq -r "$1" "$VFMGR_STATE"; }
web_a=$(st '.allocations[] | select(.vm=="web01" and .leg==0) | .pf_address + " " + (.vf|tostring)')
web_b=$(st '.allocations[] | select(.vm=="web01" and .leg==1) | .pf_address + " " + (.vf|tostring)')
db=$(st '.allocations[] | select(.vm=="db01") | .pf_address + " " + (.vf|tostring)')
check_eq "state: web01's first leg on uplink-a" "$PF1" "${web_a% *}"
check_eq "state: web01's second leg on uplink-b (other switch)" "$PF2" "${web_b% *}"
check_eq "state: db01 on uplink-a" "$PF1" "${db% *}"
check_eq "state: three allocations" 3 "$(st '.allocations | length')"
vf_web_a=${web_a#* }
vf_web_b=${web_b#* }
vf_db=${db#* }
check "ip: web01 leg 0 mac" vf_field "$if1" "$vf_web_a" "link/ether 52:54:00:00:01:01"
check "ip: web01 leg 0 vlan 100" vf_field "$if1" "$vf_web_a" "vlan 100,"
check "ip: web01 leg 0 spoof checking on" vf_field "$if1" "$vf_web_a" "spoof checking on"
check "ip: web01 leg 0 trust off" vf_field "$if1" "$vf_web_a" "trust off"
# Leg b has its own MAC, derived from the VM name and NIC index (vfmgr-policy(5), mac-b).
check "ip: web01 leg 1 mac (its own, derived)" vf_field "$if2" "$vf_web_b" "link/ether f2:83:ca:89:ac:9b"
check "ip: web01 leg 1 vlan 100" vf_field "$if2" "$vf_web_b" "vlan 100,"
check "ip: db01 mac" vf_field "$if1" "$vf_db" "link/ether 52:54:00:00:02:01"
check "ip: db01 vlan 200" vf_field "$if1" "$vf_db" "vlan 200,"
check "ip: db01 spoof checking on" vf_field "$if1" "$vf_db" "spoof checking on"
check_eq "vf addresses recorded" "$(basename "$(readlink /sys/bus/pci/devices/$PF1/virtfn$vf_db)")" \
	"$(st '.allocations[] | select(.vm=="db01") | .vf_address')"

# Rates, QoS, trust: a policy that sets them (max rate only: igb has no min rate).
sed -e 's/vlan: 200, class: vm/vlan: 200, qos: 5, class: vm/' \
	-e 's/mac: "52:54:00:00:02:01"/mac: "52:54:00:00:02:01"\n        rate: { max: 300 }\n        trust: true/' \
	"$POL" >/tmp/rates.yaml
check "apply qos, max rate and trust" "$VFMGR" apply --allow pf-reset /tmp/rates.yaml
ip -d link show "$if1"
check "ip: db01 vlan 200, qos 5" vf_field "$if1" "$vf_db" "vlan 200, qos 5"
check "ip: db01 max_tx_rate 300" vf_field "$if1" "$vf_db" "max_tx_rate 300Mbps"
check "ip: db01 trust on" vf_field "$if1" "$vf_db" "trust on"

# Converged: a second apply plans nothing and writes nothing (strace counts it, not vfmgr).
check_eq "plan is empty when converged" "no changes: the host matches the policy" \
	"$("$VFMGR" plan /tmp/rates.yaml 2>&1)"
# -yy lets strace see that the socket is rtnetlink and decode the message types.
strace -f -yy -o /tmp/strace.txt -e trace=sendmsg,sendto,openat,write "$VFMGR" apply --allow pf-reset /tmp/rates.yaml
check_eq "converged apply sends no RTM_SETLINK" 0 "$(grep -c RTM_SETLINK /tmp/strace.txt)"
# Its own run directory aside (the lock, and the record of this apply that `vfmgr metrics`
# reports), a converged apply opens nothing for writing: no sysfs, no state file.
check_eq "converged apply opens nothing for writing but its lock and its apply record" 0 \
	"$(grep -E 'O_WRONLY|O_RDWR' /tmp/strace.txt | grep -vcE '= [0-9]+</run/vfmgr/(lock|\.last-apply\.json\.[0-9a-f]+\.tmp)>')"
grep -E 'O_WRONLY|O_RDWR' /tmp/strace.txt

# One VLAN changed in the policy: exactly that one change is planned and applied.
sed 's/vlan: 200, qos: 5/vlan: 201, qos: 5/' /tmp/rates.yaml >/tmp/vlan.yaml
out=$("$VFMGR" plan /tmp/vlan.yaml 2>&1)
echo "$out"
check_eq "plan shows exactly one change, applied live, for db01" \
	"+ $PF1 vf $vf_db vlan 201 qos 5 (was vlan 200 qos 5)  [db01 nic 0]  impact: none" "$out"
# The same step as JSON (the record the line above is printed from): valid against the schema,
# typed; --detailed-exitcode says 3, changes pending.
schema_ok() { "$VFMGR_TOP/tests/json-schema.sh" "$VFMGR_TOP/doc/schema/$1.schema.json" "$2"; }
"$VFMGR" plan --json /tmp/vlan.yaml >/tmp/plan.json
check "plan --json is valid (doc/schema/plan.schema.json)" schema_ok plan /tmp/plan.json
check_eq "plan --json: vlan 200 -> 201 as numbers, for db01 nic 0, VF $vf_db" \
	"set-vfs 200 201 db01 0 $vf_db" \
	"$(jq -r '.steps[0] | .action + " " + (.vfs[0] | [.changes.vlan.from, .changes.vlan.to, .vm, .nic, .vf_index] | map(tostring) | join(" "))' /tmp/plan.json)"
"$VFMGR" plan --detailed-exitcode /tmp/vlan.yaml >/dev/null
check_eq "plan --detailed-exitcode: 3 while changes are pending" 3 "$?"
check "apply the VLAN change" strace -f -yy -o /tmp/strace-vlan.txt -e trace=sendmsg "$VFMGR" apply --allow pf-reset /tmp/vlan.yaml
check_eq "the VLAN change is one RTM_SETLINK" 1 "$(grep -c RTM_SETLINK /tmp/strace-vlan.txt)"
check "ip: db01 now vlan 201" vf_field "$if1" "$vf_db" "vlan 201, qos 5"
check "ip: web01 untouched" vf_field "$if1" "$vf_web_a" "vlan 100,"

# igb has no min_tx_rate: the driver table makes it a plan error at the policy line; nothing is
# written (no RTM_SETLINK), nothing changes.
sed 's/rate: { max: 300 }/rate: { min: 100, max: 300 }/; s/vlan: 201, qos: 5/vlan: 202, qos: 5/' \
	/tmp/vlan.yaml >/tmp/minrate.yaml
before=$(host_view)
cp "$VFMGR_STATE" /tmp/state.before
out=$(strace -f -yy -o /tmp/strace-min.txt -e trace=sendmsg "$VFMGR" apply --allow pf-reset /tmp/minrate.yaml 2>&1)
rc=$?
echo "$out"
check_eq "min_tx_rate on igb fails" 1 "$rc"
check "the plan error names the policy line, igb and the PF" \
	grep -qE "^/tmp/minrate.yaml:[0-9]+:[0-9]+: vm db01 nic 0: igb has no minimum TX rate \(pf " <<<"$out"
check "nothing was changed, said" grep -q "cannot plan (see above); nothing was changed" <<<"$out"
check_eq "no RTM_SETLINK was sent" 0 "$(grep -c RTM_SETLINK /tmp/strace-min.txt)"
check_eq "host unchanged after the failed apply (ip -d link, numvfs, drivers)" "$before" "$(host_view)"
check "state file unchanged after the failed apply" cmp /tmp/state.before "$VFMGR_STATE"

# Release: the VF gets back what it had before vfmgr set it (fresh VF: zero MAC, no VLAN,
# no rate, trust off), and the allocation leaves the state file.
saved_mac=$(st '.allocations[] | select(.vm=="db01") | .saved.mac')
check "release db01" "$VFMGR" release db01
ip -d link show "$if1"
check "ip: db01's VF has its saved MAC back" vf_field "$if1" "$vf_db" "link/ether $saved_mac"
check_fails "ip: db01's VF has no VLAN" vf_field "$if1" "$vf_db" "vlan"
check_fails "ip: db01's VF has no max rate" vf_field "$if1" "$vf_db" "max_tx_rate"
check "ip: db01's VF trust off again" vf_field "$if1" "$vf_db" "trust off"
check_eq "state: db01 gone" 0 "$(st '[.allocations[] | select(.vm=="db01")] | length')"
check "ip: web01 untouched by the release" vf_field "$if1" "$vf_web_a" "vlan 100,"
"$VFMGR" status
"$VFMGR" status --json >/tmp/status.json
check "status --json (live igb VFs) matches doc/schema/status.schema.json" \
	"$VFMGR_TOP/tests/json-schema.sh" "$VFMGR_TOP/doc/schema/status.schema.json" /tmp/status.json
check_eq "status --json: web01's VFs have spoofchk and trust as booleans" "true false true false" \
	"$(jq -r '[.vfs[] | select(.vm=="web01") | .spoofchk, .trust | tostring] | join(" ")' /tmp/status.json)"
"$VFMGR" plan --json /tmp/vlan.yaml >/tmp/plan-release.json
check "plan --json after a release matches doc/schema/plan.schema.json" \
	schema_ok plan /tmp/plan-release.json
check_eq "status: web01 ok on both legs" "ok ok" \
	"$("$VFMGR" status --json | jq -r '[.vfs[] | select(.vm=="web01") | .status] | join(" ")')"

# apply --json: a step above --allow is refused with every step pending; then the apply is
# summed up as the steps carried out. Both valid against doc/schema/apply.schema.json.
"$VFMGR" plan --json /tmp/vlan.yaml >/tmp/plan2.json
nsteps=$(jq '.steps | length' /tmp/plan2.json)
first_above=$(jq '[.steps[].impact] | index(map(select(. != "none"))[0]) // empty' /tmp/plan2.json)
"$VFMGR" apply --allow none --json /tmp/vlan.yaml >/tmp/refused.json
rc=$?
check "apply --json (refused) is valid" schema_ok apply /tmp/refused.json
if [ -n "$first_above" ]; then
	check_eq "apply --allow none --json: refused at step $((first_above + 1)), all $nsteps pending" \
		"1 false $((first_above + 1)) 0 $nsteps" \
		"$rc $(jq -r '[.ok, .refused_step, (.steps | length), (.pending | length)] | map(tostring) | join(" ")' /tmp/refused.json)"
fi
# Stable allocation: apply again, db01 gets the same VF back.
"$VFMGR" apply --allow pf-reset --json /tmp/vlan.yaml >/tmp/apply.json
check_eq "apply again after release (--json)" 0 "$?"
check "apply --json is valid (doc/schema/apply.schema.json)" schema_ok apply /tmp/apply.json
check_eq "apply --json: ok, the $nsteps planned steps carried out, none pending" "true $nsteps 0" \
	"$(jq -r '[.ok, (.steps | length), (.pending | length)] | map(tostring) | join(" ")' /tmp/apply.json)"
check_eq "apply --json: the same records as plan --json" "$(jq -c .steps /tmp/plan2.json)" \
	"$(jq -c .steps /tmp/apply.json)"
"$VFMGR" plan --detailed-exitcode /tmp/vlan.yaml >/dev/null
check_eq "plan --detailed-exitcode: 0 when converged" 0 "$?"
check_eq "db01 gets the same VF again" "$db" \
	"$(st '.allocations[] | select(.vm=="db01") | .pf_address + " " + (.vf|tostring)')"
finish
