#!/bin/bash
# The policy's rss: block through vfmgr plan and apply on igb: channels and a weighted table read
# back exactly through ethtool, a second apply plans and writes nothing, a hash key (igb hides
# it) is a plan error that changes nothing, and a failing later step rolls back channels and
# table, also when the same apply changes numvfs (igb: 8 combined channels without VFs, 2 with).
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/state.json

PF=0000:01:00.0
IF=$(ls /sys/bus/pci/devices/$PF/net)
POLICY=/tmp/rss-policy.yaml
ip link set "$IF" up

combined() { ethtool -l "$IF" | awk '/^Current/{c=1} c && /^Combined:/{print $2}'; }
table() { ethtool -x "$IF" | awk '/^ *[0-9]+: /{for (i = 2; i <= NF; i++) printf "%s ", $i}'; }
snapshot() { ethtool -l "$IF"; ethtool -x "$IF"; }
repeat() { for _ in $(seq "$2"); do printf "%s " "$1"; done; }
ethtool_calls() { strace -f -e trace=ioctl "$@" 2>&1 >/dev/null | grep -c SIOCETHTOOL; }
# policy RSS [NUMVFS]: PF a with that rss: block.
policy() {
	cat >"$POLICY" <<EOF
version: 1
pfs:
  - name: a
    match: { pci: "$PF" }
    numvfs: ${2:-0}
    rss: $1
EOF
}

orig=$(combined)
# ethtool's own weighted table is the reference for the rounding.
ethtool -L "$IF" combined 4
ethtool -X "$IF" weight 1 2 1 0
ref=$(table)
ethtool -X "$IF" default
ethtool -L "$IF" combined "$orig"
echo "# $IF starts with combined $orig"

policy "{ channels: 4, indirection: { weights: [1, 2, 1, 0] } }"
out=$("$VFMGR" plan "$POLICY" 2>&1)
echo "$out" | sed 's/^/#   /'
# igb rebuilds its queues for a channel change (igb_reinit_queues): the plan says pf-reset.
check_eq "plan: channels line, impact pf-reset" "+ $PF rss channels combined 4 (was $orig)  impact: pf-reset" \
	"$(echo "$out" | sed -n 1p | sed 's/ (igb rebuilds its queues.*//')"
# igb's default table runs in contiguous blocks, which is what ethtool -X weight 1 1 ... gives.
check_eq "plan: table line, impact none" "+ $PF rss table weights 1 2 1 0 (was weights $(repeat 1 "$orig" | sed 's/ $//'))  impact: none" \
	"$(echo "$out" | sed -n 2p)"
check_eq "plan: two steps" 2 "$(echo "$out" | grep -c '^+')"
check_eq "plan --json: channels first" "rss-channels 4 rss-table" \
	"$("$VFMGR" plan --json "$POLICY" | jq -r '.steps | "\(.[0].action) \(.[0].changes.combined_channels.to) \(.[1].action)"')"

check "apply channels 4, weights 1 2 1 0" "$VFMGR" apply --allow pf-reset "$POLICY"
check_eq "ethtool -l: combined 4" 4 "$(combined)"
check_eq "ethtool -x: weights 1 2 1 0, entry by entry" \
	"$(repeat 0 32)$(repeat 1 64)$(repeat 2 32)" "$(table)"
check_eq "same table as ethtool -X weight 1 2 1 0" "$ref" "$(table)"

# Converged: nothing planned, nothing written. The one state read of observation is the only
# ethtool traffic: GDRVINFO, GCHANNELS, GRXRINGS and GRSSH twice (sizes, then contents).
check_eq "second plan: no changes" "no changes: the host matches the policy" \
	"$("$VFMGR" plan "$POLICY" 2>&1)"
out=$("$VFMGR" -v -v apply --allow pf-reset "$POLICY" 2>&1)
check_eq "second apply logs no ioctl write" 0 "$(echo "$out" | grep -c 'ioctl S')"
check_eq "second apply: 5 SIOCETHTOOL calls, all reads" 5 \
	"$(ethtool_calls "$VFMGR" apply --allow pf-reset "$POLICY")"

# A hash key: igb hides it, so the plan fails at the policy line and nothing changes.
before=$(snapshot)
policy "{ channels: 2, indirection: equal, key: random }"
out=$("$VFMGR" apply --allow pf-reset "$POLICY" 2>&1)
check_eq "key on igb: apply fails" 1 $?
check_eq "key error at the policy line" 1 \
	"$(echo "$out" | grep -c "^$POLICY:6:[0-9]*: error: pf a: rss: hash key not supported by igb on $IF")"
check_eq "key request changed nothing" "$before" "$(snapshot)"

# A later step failing: the channel and table steps that ran are undone.
policy "{ channels: 2, indirection: equal, irq-affinity: local }"
check_eq "three steps planned" 3 "$("$VFMGR" plan "$POLICY" | grep -c '^+')"
out=$(VFMGR_TEST_FAIL_STEP=3 "$VFMGR_TEST" apply --allow pf-reset "$POLICY" 2>&1)
check_eq "failing step 3: apply fails" 1 $?
echo "$out" | grep -E 'error' | sed 's/^/#   /'
check_eq "rollback reported" 1 "$(echo "$out" | grep -c 'rolled back')"
check_eq "rollback restored channels and table" "$before" "$(snapshot)"

# numvfs and RSS in one apply: the channel step comes after the numvfs step and is checked
# against igb's maximum with VFs (2); asking 4 fails there and rolls back numvfs, channels and
# table.
policy "{ channels: 3, indirection: equal }" 2
out=$("$VFMGR" plan "$POLICY" 2>&1)
echo "$out" | sed 's/^/#   /'
check_eq "numvfs first, then rss" "numvfs channels table" \
	"$(echo "$out" | awk '{print $3 == "rss" ? $4 : $3}' | tr '\n' ' ' | sed 's/ $//')"
out=$("$VFMGR" apply --allow pf-reset "$POLICY" 2>&1)
check_eq "channels 3 with VFs: apply fails" 1 $?
check_eq "error names igb's maximum with VFs" 1 \
	"$(echo "$out" | grep -c "igb on $IF allows at most 2 combined channels, asked for 3")"
check_eq "numvfs rolled back" 0 "$(cat /sys/bus/pci/devices/$PF/sriov_numvfs)"
check_eq "rollback restored channels and table after numvfs" "$before" "$(snapshot)"

policy "{ channels: 2, indirection: { weights: [3, 1] } }" 2
out=$(VFMGR_TEST_FAIL_STEP=3 "$VFMGR_TEST" apply --allow pf-reset "$POLICY" 2>&1)
check_eq "numvfs 2, failing table step: apply fails" 1 $?
check_eq "numvfs rolled back" 0 "$(cat /sys/bus/pci/devices/$PF/sriov_numvfs)"
check_eq "rollback restored channels and table after numvfs and channels" "$before" "$(snapshot)"

check "apply numvfs 2, channels 2, weights 3 1" "$VFMGR" apply --allow pf-reset "$POLICY"
udevadm settle --timeout=20
check_eq "numvfs 2" 2 "$(cat /sys/bus/pci/devices/$PF/sriov_numvfs)"
check_eq "with VFs: ethtool -l combined 2" 2 "$(combined)"
check_eq "with VFs: ethtool -x weights 3 1" "$(repeat 0 96)$(repeat 1 32)" "$(table)"
check_eq "with VFs: second plan has no changes" "no changes: the host matches the policy" \
	"$("$VFMGR" plan "$POLICY" 2>&1)"

policy "{ channels: 4, indirection: equal }" 0
check "back to no VFs, channels 4" "$VFMGR" apply --allow pf-reset "$POLICY"
check_eq "no VFs: ethtool -l combined 4" 4 "$(combined)"
check_eq "no VFs: ethtool -x equal 4" "$(for i in $(seq 0 127); do printf "%d " $((i % 4)); done)" \
	"$(table)"
finish
