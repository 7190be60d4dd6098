#!/bin/bash
# The PF's name changes between vfmgr's look at the host and its writes, as it does after a
# driver bind (udev renames eth0 to enp1s0 while the first VF's netdev is briefly called eth0):
# the apply follows the PF by ifindex. The test build stops itself after planning
# (VFMGR_TEST_STOP_STEP); the PF is renamed and a veth whose link is down takes its old name;
# the apply then waits for the real PF's carrier (not the impostor's), sets the rate limit igb
# only takes with the link up, and says what the PF is called now.
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
PF=0000:01:00.0
IF=$(ls /sys/bus/pci/devices/$PF/net)
POL=/tmp/pf-rename.yaml
cat >$POL <<P
version: 1
pfs:
  - { name: uplink-a, match: { pci: "$PF" }, switch: tor-a, numvfs: 2 }
networks:
  - { name: prod, vlan: 100, class: vm, pfs: [uplink-a] }
vms:
  - { name: web01, nics: [ { network: prod, mac: "52:54:00:00:01:01", rate: { max: 100 } } ] }
P
operstate() { cat "/sys/class/net/$1/operstate" 2>/dev/null; }
ip link set "$IF" up
for _ in $(seq 1 100); do [ "$(operstate "$IF")" = up ] && break; sleep 0.1; done
check_eq "$IF is up before the apply" up "$(operstate "$IF")"

VFMGR_TEST_STOP_STEP=1 "$VFMGR_TEST" -v apply --allow pf-reset "$POL" >/tmp/apply.out 2>&1 &
pid=$!
for _ in $(seq 1 300); do
	[ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" = T ] && break
	sleep 0.1
done
check_eq "the apply stopped before its first step" T "$(awk '{print $3}' /proc/$pid/stat)"
ip link set "$IF" down
ip link set "$IF" name vfpf0
# udev handles the rename ("move") and may give the PF its old name back as an alternative
# name, which would keep it taken: let it finish, then drop that.
udevadm settle --timeout=10
ip link property del dev vfpf0 altname "$IF" 2>/dev/null
check_fails "the old name $IF is free" ip link show "$IF"
ip link set vfpf0 up
ip link add "$IF" type veth peer name vfpeer0
ip link set "$IF" up
echo "# impostor $IF: operstate $(operstate "$IF"), carrier $(cat "/sys/class/net/$IF/carrier"); the PF is vfpf0 now"
# The carrier, which vfmgr reads (sriov/pflink.h): operstate follows it only later, and read
# right after `ip link set up` it was once not "down" yet.
check_eq "the impostor has no carrier (its peer is down)" 0 "$(cat "/sys/class/net/$IF/carrier")"
kill -CONT $pid
wait $pid
rc=$?
sed 's/^/# /' /tmp/apply.out
check_eq "apply succeeded" 0 "$rc"
check "apply says what the PF is called now" grep -q "$PF: $IF is called vfpf0 now" /tmp/apply.out
check_fails "apply did not wait on the impostor's link" grep -q "link still down" /tmp/apply.out
vf0=$(ip -d link show vfpf0 | grep -E '^ +vf 0 ')
echo "# ip -d link show vfpf0: $vf0"
check "VF 0 on VLAN 100 (ip -d link)" grep -q "vlan 100," <<<"$vf0"
check "VF 0 max_tx_rate 100 (igb takes it only with the PF link up)" grep -q "max_tx_rate 100Mbps" <<<"$vf0"
check_eq "the impostor has no VFs" "" "$(ip -d link show "$IF" | grep -E '^ +vf ')"
ip link del "$IF"
finish
