#!/bin/bash
# An apply that starts while the PF is still coming back from a reset nobody waited for (an
# admin's `echo 0 > sriov_numvfs`, a driver reload): igb refuses VF rate limits until its link
# is back, and for a moment after the reset operstate (updated later, by the kernel's
# linkwatch) and the hardware disagree. Each round resets the PF and applies at once, at a
# different delay; every apply must succeed and leave the rates on the VFs, read back with
# ip -d link. Before vfmgr waited on the carrier, 1 apply in 8 of a drill like this one failed
# half way ("max_tx_rate 500: Invalid argument") and could not roll back; so did fault-drills'
# production apply once. It is a race: this drill hits it now and then, while the choice of
# carrier over operstate is checked every time by tests/unit/test-daemon-pending.c.
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
PF=0000:01:00.0
IF=$(ls /sys/bus/pci/devices/$PF/net)
ip link set "$IF" up
cat >/tmp/p.yaml <<P
version: 1
pfs:
  - { name: uplink-a, match: { pci: "$PF" }, switch: tor-a, numvfs: 4 }
networks:
  - { name: prod, vlan: 120, qos: 2, class: vm, pfs: [uplink-a] }
vms:
  - { name: web01, nics: [ { network: prod, mac: "52:54:00:00:01:01", rate: { max: 500 } } ] }
  - { name: web02, nics: [ { network: prod, mac: "52:54:00:00:01:02", rate: { max: 300 } } ] }
P
vf_rate() { ip -d link show "$IF" | grep -E "^ +vf $1 " | grep -o 'max_tx_rate [0-9]*'; }
check "first apply" "$VFMGR" apply --allow pf-reset /tmp/p.yaml
# Delays after the reset: at once (the link still down), and into the window where the link
# comes back (igb: about 0.5 s after the write returns under TCG).
for delay in 0 0 0 0.2 0.3 0.4 0.5 0.6; do
	echo 0 >/sys/bus/pci/devices/$PF/sriov_numvfs
	sleep "$delay"
	out=$("$VFMGR" apply --allow pf-reset /tmp/p.yaml 2>&1)
	rc=$?
	check_eq "reset, apply after ${delay}s: apply succeeds" "0" "$rc"
	[ "$rc" = 0 ] || echo "$out" | sed 's/^/#   /'
	check_eq "reset, apply after ${delay}s: vf 0 and vf 1 rates" \
		"max_tx_rate 500 max_tx_rate 300" "$(vf_rate 0) $(vf_rate 1)"
done
check_eq "converged after the drill" "no changes: the host matches the policy" \
	"$("$VFMGR" plan /tmp/p.yaml 2>&1)"
"$VFMGR" release web01 >/dev/null 2>&1
"$VFMGR" release web02 >/dev/null 2>&1
echo 0 >/sys/bus/pci/devices/$PF/sriov_numvfs
finish
