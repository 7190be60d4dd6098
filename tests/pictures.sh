#!/bin/bash
# vfmgr list --tree, --dot and status VM over the lab's recorded host (tests/data, under umockdev-run:
# two igb PFs, three VFs on the first), with a state file that gives VF 2 to a VM: every VF
# sysfs has is named, with its holder; colour only on a terminal without NO_COLOR (script(1)
# makes the terminal). TAP lines; a failure prints what it expected and what it saw.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${VFMGR:-$top/build/vfmgr}
FIX=$top/tests/data/igb-2pf-3vf.umockdev
T=$(mktemp -d "${TMPDIR:-/tmp}/vfmgr-tree.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() {
	n=$((n + 1))
	echo "not ok $n - $1"
	echo "#   expected: $2"
	sed 's/^/#   actual: /' <<<"$3" | head -n 12
	fails=$((fails + 1))
}
run() { umockdev-run -d "$FIX" -- "$B" "$@" 2>"$T/err"; }

cat >"$T/state.json" <<'JSON'
{"version": 1, "passthrough": [], "allocations": [
 {"vm": "db01", "nic": 0, "leg": 0, "network": "prod", "pf": "uplink-a",
  "pf_address": "0000:01:00.0", "vf": 2, "vf_address": "0000:01:10.4", "saved": null,
  "want": {"mac": "52:54:00:00:00:01", "vlan": 100, "qos": 0, "proto": "802.1Q",
           "min_tx_rate": 0, "max_tx_rate": 0, "spoofchk": 1, "trust": 0, "link_state": "auto"},
  "vfio": true, "migratable": false, "driver_before": "igbvf"}]}
JSON
tree=$(run list --tree --state "$T/state.json" --policy "$top/examples/lab.yaml")
rc=$?
[ $rc = 0 ] && ok "list --tree runs" || bad "list --tree runs" "exit 0" "exit $rc: $(cat "$T/err")"
want=$(umockdev-run -d "$FIX" -- sh -c 'for v in /sys/bus/pci/devices/*/physfn; do basename "$(dirname "$v")"; done' | sort)
got=$(sed -n 's/^[|`]-- vf [0-9]* \([0-9a-f:.]*\) .*/\1/p' <<<"$tree" | sort)
[ "$got" = "$want" ] && ok "--tree names every VF sysfs has ($(echo $want))" ||
	bad "--tree names every VF sysfs has" "$(echo $want)" "$tree"
line=$(grep -F "vf 2 0000:01:10.4 vfio-pci" <<<"$tree")
[ "$line" = '`-- vf 2 0000:01:10.4 vfio-pci, IOMMU group 11 -> vm db01 nic 0' ] &&
	ok "--tree: a VM's VF names the VM and NIC" ||
	bad "--tree: a VM's VF names the VM and NIC" '`-- vf 2 0000:01:10.4 vfio-pci, IOMMU group 11 -> vm db01 nic 0' "$tree"
grep -q '^|-- vf 0 0000:01:10.0 igbvf enp1s0v0, IOMMU group 9 -> host (igbvf)$' <<<"$tree" &&
	ok "--tree: a free VF names its driver" || bad "--tree: a free VF names its driver" "vf 0 ... -> host (igbvf)" "$tree"
grep -q '^0000:02:00.0 igb [a-z0-9]* pf uplink-b switch tor-b, IOMMU group 8, 0/7 VFs$' <<<"$tree" &&
	ok "--tree: the policy names the PF and its switch" ||
	bad "--tree: the policy names the PF and its switch" "0000:02:00.0 igb IF pf uplink-b switch tor-b, ..." "$tree"
tail -n 1 <<<"$tree" | grep -qx '2 SR-IOV PFs, 3 VFs' && ok "--tree ends with the counts" ||
	bad "--tree ends with the counts" "2 SR-IOV PFs, 3 VFs" "$tree"
grep -q $'\033' <<<"$tree" && bad "no colour on a pipe" "no escape sequence" "$tree" || ok "no colour on a pipe"

# On a terminal: colour, unless NO_COLOR says otherwise.
script -qec "TERM=xterm umockdev-run -d '$FIX' -- '$B' list --tree --state '$T/state.json'" /dev/null >"$T/tty.txt" 2>&1
grep -q $'\033\\[32mvm db01' "$T/tty.txt" && ok "colour on a terminal" ||
	bad "colour on a terminal" "ESC[32mvm db01" "$(cat -v "$T/tty.txt")"
script -qec "TERM=xterm NO_COLOR=1 umockdev-run -d '$FIX' -- '$B' list --tree --state '$T/state.json'" /dev/null >"$T/nocolor.txt" 2>&1
grep -q $'\033\\[' "$T/nocolor.txt" && bad "NO_COLOR: plain on a terminal" "no SGR sequence" "$(cat -v "$T/nocolor.txt")" ||
	ok "NO_COLOR: plain on a terminal"

dot=$(run list --dot --state "$T/state.json")
edges=$(grep -c -- ' -> ' <<<"$dot")
if head -n 1 <<<"$dot" | grep -qx 'digraph vfmgr {' && tail -n 1 <<<"$dot" | grep -qx '}' && [ "$edges" = 4 ] &&
	grep -qF '"0000:01:00.0 vf 2" -> "vm db01" [label="nic 0"];' <<<"$dot"; then
	ok "--dot: a digraph with PF->VF and VF->VM edges (4)"
else
	bad "--dot: a digraph with PF->VF and VF->VM edges (4)" "digraph vfmgr { ... 4 edges }" "$dot"
fi
if command -v dot >/dev/null; then
	dot -Tsvg <<<"$dot" >/dev/null 2>"$T/dot.err" && ok "Graphviz reads --dot" || bad "Graphviz reads --dot" "dot exits 0" "$(cat "$T/dot.err")"
fi
# status VM: a redundant NIC's two legs side by side.
cat >"$T/legs.json" <<'JSON'
{"version": 1, "passthrough": [], "allocations": [
 {"vm": "web01", "nic": 0, "leg": 0, "network": "prod", "pf": "uplink-a",
  "pf_address": "0000:01:00.0", "vf": 0, "vf_address": "0000:01:10.0", "saved": null,
  "want": {"mac": "52:54:00:00:00:01", "vlan": 100, "qos": 0, "proto": "802.1Q",
           "min_tx_rate": 0, "max_tx_rate": 0, "spoofchk": 1, "trust": 0, "link_state": "auto"},
  "vfio": false, "migratable": false, "driver_before": "igbvf"},
 {"vm": "web01", "nic": 0, "leg": 1, "network": "prod", "pf": "uplink-b",
  "pf_address": "0000:02:00.0", "vf": 0, "vf_address": "0000:02:10.0", "saved": null,
  "want": {"mac": "52:54:00:00:00:01", "vlan": 100, "qos": 0, "proto": "802.1Q",
           "min_tx_rate": 0, "max_tx_rate": 0, "spoofchk": 1, "trust": 0, "link_state": "auto"},
  "vfio": false, "migratable": false, "driver_before": "igbvf"}]}
JSON
legs=$(run status web01 --state "$T/legs.json" --policy "$top/examples/lab.yaml")
if grep -qx 'vm web01 nic 0: network prod, redundant (two legs)' <<<"$legs" &&
	grep -qE '^  PF +0000:01:00\.0 [a-z0-9]+ \(uplink-a\) +0000:02:00\.0 [a-z0-9]+ \(uplink-b\)$' <<<"$legs" &&
	grep -qE '^  switch +tor-a +tor-b$' <<<"$legs" && grep -qE '^  VLAN ' <<<"$legs" &&
	grep -qE '^  link ' <<<"$legs" && grep -qE '^  drift ' <<<"$legs"; then
	ok "status VM: the two legs side by side (PF, switch, VF, VLAN, link, drift)"
else
	bad "status VM: the two legs side by side" "PF/switch/VF/VLAN/link/drift rows, leg 1 and leg 2" "$legs"
fi
script -qec "TERM=xterm umockdev-run -d '$FIX' -- '$B' status web01 --state '$T/legs.json'" /dev/null >"$T/legs-tty.txt" 2>&1
grep -q $'\033\\[31m' "$T/legs-tty.txt" && ok "status VM: a leg that is not ok is red on a terminal" ||
	bad "status VM: a leg that is not ok is red on a terminal" "ESC[31m on the drift row" "$(cat -v "$T/legs-tty.txt")"
run status nosuchvm --state "$T/legs.json" >/dev/null
[ $? = 1 ] && ok "status of a VM that holds nothing fails" || bad "status of a VM that holds nothing fails" "exit 1" "$(cat "$T/err")"
run list --tree --json >/dev/null
[ $? = 2 ] && ok "--tree with --json is a usage error" || bad "--tree with --json is a usage error" "exit 2" "$(cat "$T/err")"
echo "1..$n"
[ "$fails" = 0 ]
