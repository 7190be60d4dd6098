#!/bin/bash
# The driver table on the real igb driver: enabling VFs is planned as pf-reset and a routine
# apply refuses it until --allow pf-reset; a VLAN change is planned as none with the VM named,
# a VF MAC change as vf-reset; 802.1ad and a minimum rate are plan errors and nothing is
# written. The table's claims are read back from igb itself (the kernel refuses what the plan
# refuses), and netdevsim, which the table does not know, takes the try-and-read-back path.
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
PF=0000:01:00.0
IF=$(ls /sys/bus/pci/devices/$PF/net)
ip link set "$IF" up

policy() { # $1 = network keys, $2 = NIC keys
	cat >/tmp/p.yaml <<EOF
version: 1
pfs:
  - { name: left, match: { pci: "$PF" }, switch: tor-a, numvfs: 2 }
networks:
  - { name: prod, vlan: 100, class: vm, pfs: [left]$1 }
vms:
  - name: web01
    nics: [ { network: prod, vf-driver: kernel, mac: "52:54:00:00:01:01"$2 } ]
EOF
}
numvfs() { cat /sys/bus/pci/devices/$PF/sriov_numvfs; }
vf0() { ip -d link show "$IF" | grep -E '^ +vf 0 '; }
# plan_says FILE WHAT GREP-ARGS...: out gets what `vfmgr plan FILE` says (stderr too), the log
# shows it, and the check WHAT greps it with GREP-ARGS.
plan_says() {
	local file=$1 what=$2
	shift 2
	out=$("$VFMGR" plan "$file" 2>&1)
	echo "$out"
	check "$what" grep "$@" <<<"$out"
}
# plan_json FILE JQ: JQ over `vfmgr plan --json FILE`.
plan_json() { "$VFMGR" plan --json "$1" | jq -r "$2"; }
# traced_apply NAME: apply --allow pf-reset /tmp/p.yaml under strace (sendmsg and write calls
# to /tmp/st-NAME.txt); out and rc get what it said and its exit status.
traced_apply() {
	out=$(strace -f -o "/tmp/st-$1.txt" -e trace=sendmsg,write "$VFMGR" apply --allow pf-reset /tmp/p.yaml 2>&1)
	rc=$?
	echo "$out"
}

policy "" ""
plan_says /tmp/p.yaml "enabling VFs on igb is planned as pf-reset, naming the interface" \
	-q "^+ $PF numvfs 2 (was 0)  impact: pf-reset (igb resets the PF when VFs are enabled or disabled: $IF's link drops"
check_eq "plan --json: impact and vms on every step" "pf-reset none" \
	"$(plan_json /tmp/p.yaml '[.steps[] | select(has("impact") and has("vms")) | .impact] | join(" ")')"

# A routine apply does not drop the host link by surprise.
out=$("$VFMGR" apply /tmp/p.yaml 2>&1)
rc=$?
echo "$out"
check_eq "apply without --allow refuses the pf-reset step" 1 "$rc"
check "the refusal says how to accept it" grep -q "then accept it with 'vfmgr apply --allow pf-reset /tmp/p.yaml'" <<<"$out"
check_eq "nothing was written (numvfs still 0)" 0 "$(numvfs)"
check_eq "no state file was written" "" "$(ls "$VFMGR_STATE" 2>/dev/null)"
check "apply --allow pf-reset enables the VFs" "$VFMGR" apply --allow pf-reset /tmp/p.yaml
check_eq "numvfs 2" 2 "$(numvfs)"

# A VLAN change is live, and names the VM; the plain apply takes it.
policy "" ""
sed -i 's/vlan: 100/vlan: 101/' /tmp/p.yaml
plan_says /tmp/p.yaml "a VLAN change is planned as none, for web01" \
	-qE "^\+ $PF vf [0-9]+ vlan 101 qos 0 \(was vlan 100 qos 0\)  \[web01 nic 0\]  impact: none$"
check_eq "plan --json names web01 on the step" "web01" \
	"$(plan_json /tmp/p.yaml '.steps[0].vms | join(",")')"
check "a plain apply takes a live change" "$VFMGR" apply /tmp/p.yaml
check "ip: the VF carries vlan 101" grep -q "vlan 101" <<<"$(ip -d link show "$IF")"

# A MAC change on an igb VF takes effect when the VF driver reloads: vf-reset.
sed -i 's/52:54:00:00:01:01/52:54:00:00:01:02/' /tmp/p.yaml
plan_says /tmp/p.yaml "a VF MAC change is planned as vf-reset" \
	-qE "^\+ $PF vf [0-9]+ mac 52:54:00:00:01:02 .*impact: vf-reset \(igb applies a VF's mac when the VF's driver is reloaded or reset\)"
check "vf-reset is below the default threshold: apply takes it" "$VFMGR" apply /tmp/p.yaml
check "ip: the VF has the new MAC" grep -q "52:54:00:00:01:02" <<<"$(ip -d link show "$IF")"

# Requests igb cannot take are plan errors at the policy line; nothing is written.
before=$(ip -d link show "$IF" | grep -E '^ +vf '; numvfs)
cp "$VFMGR_STATE" /tmp/state.before
policy ", proto: 802.1ad" ""
traced_apply ad
check_eq "802.1ad on igb: apply fails" 1 "$rc"
check "802.1ad: a plan error at the network's proto key" \
	grep -q "^/tmp/p.yaml:5:[0-9]*: error: network prod: igb has no 802.1ad VLAN protocol; use proto: 802.1Q on pf left ($PF)" <<<"$out"
policy "" ", rate: { min: 50, max: 300 }"
traced_apply min
check_eq "min rate on igb: apply fails" 1 "$rc"
check "min rate: a plan error at the NIC's rate" \
	grep -q "^/tmp/p.yaml:8:[0-9]*: error: vm web01 nic 0: igb has no minimum TX rate (pf left, $PF)" <<<"$out"
check_eq "neither sent an RTM_SETLINK nor wrote sysfs" 0 \
	"$(cat /tmp/st-ad.txt /tmp/st-min.txt | grep -cE 'RTM_SETLINK|write\([0-9]+, "[0-9]')"
check_eq "host unchanged (ip -d link, numvfs)" "$before" "$(ip -d link show "$IF" | grep -E '^ +vf '; numvfs)"
check "state file unchanged" cmp /tmp/state.before "$VFMGR_STATE"

# The table's claims, read back from igb itself: the kernel refuses what the plan refuses.
check_fails "igb itself refuses 802.1ad (ip link)" ip link set "$IF" vf 0 vlan 5 proto 802.1ad
check_fails "igb itself refuses a min rate (ip link)" ip link set "$IF" vf 0 min_tx_rate 50 max_tx_rate 300
check_fails "igb itself has no VF link state (ip link)" ip link set "$IF" vf 0 state enable
check "igb takes a max rate with the link up (ip link)" ip link set "$IF" vf 0 max_tx_rate 300
ip link set "$IF" vf 0 max_tx_rate 0

# netdevsim is not in the table: planned, tried and read back, and the plan says so.
nsim_pf_up
export VFMGR_STATE=/tmp/n-state.json
cat >/tmp/n.yaml <<EOF
version: 1
pfs:
  - { name: sim, match: { interface: "$IF" }, switch: s, numvfs: 2 }
networks:
  - { name: prod, vlan: 100, proto: 802.1ad, class: vm, pfs: [sim] }
vms:
  - name: web01
    nics: [ { network: prod, vf-driver: kernel, rate: { min: 50, max: 300 } } ]
EOF
plan_says /tmp/n.yaml "netdevsim: plan says the driver is not in the table, once, after the steps" \
	-qx "note: driver netdevsim is not in vfmgr's table: tried, then read back ([0-9]* steps above)"
check_eq "netdevsim: the steps themselves do not repeat the note" 1 "$(grep -c "not in vfmgr's table" <<<"$out")"
check_eq "netdevsim: plan --json driver_known false on every step" "false" \
	"$(plan_json /tmp/n.yaml '[.steps[].driver_known] | unique | map(tostring) | join(",")')"
check "netdevsim: apply takes what igb would refuse" "$VFMGR" apply /tmp/n.yaml
vf_line=$(ip -d link show "$IF" | grep -E '^ +vf 0 ')
echo "$vf_line"
check "ip: netdevsim VF 0 has vlan 100" grep -q "vlan 100," <<<"$vf_line"
check "ip: netdevsim VF 0 has protocol 802.1ad (sent in network order)" grep -q "vlan protocol 802.1ad" <<<"$vf_line"
check "ip: netdevsim VF 0 has min_tx_rate 50" grep -q "min_tx_rate 50Mbps" <<<"$vf_line"
check_eq "netdevsim: read back, the host matches the policy" "no changes: the host matches the policy" \
	"$("$VFMGR" plan /tmp/n.yaml 2>&1)"
finish
