#!/bin/bash
# vfmgr list against the real igb driver: with 3 VFs on the first PF, `vfmgr list --json`
# must match lspci and sysfs field by field for both PFs and every VF, and mark the device
# that carries the default route.
. "$VFMGR_TOP/tests/vm/lib.sh"

PF1=0000:01:00.0
PF2=0000:02:00.0
echo 3 >/sys/bus/pci/devices/$PF1/sriov_numvfs
udevadm settle --timeout=20
# The management path: an address and the default route on the second PF.
MGMT_IF=$(ls /sys/bus/pci/devices/$PF2/net)
ip link set "$MGMT_IF" up
ip addr add 192.0.2.10/24 dev "$MGMT_IF"
ip route add default via 192.0.2.1 dev "$MGMT_IF" onlink
# igb brings the link up 0.4-1.4 s after `ip link set up`; compare a settled state.
for _ in $(seq 50); do
	[ "$(cat /sys/class/net/$MGMT_IF/operstate)" = up ] && break
	sleep 0.1
done

J=$(mktemp)
check "list --json runs" sh -c '"$VFMGR" list --json >"$1"' sh "$J"
check "list (table) runs" "$VFMGR" list
check "list --json (igb PF and VFs) matches doc/schema/list.schema.json" \
	"$VFMGR_TOP/tests/json-schema.sh" "$VFMGR_TOP/doc/schema/list.schema.json" "$J"
"$VFMGR" list

jqd() { jq -r --arg a "$1" ".devices[] | select(.address == \$a) | $2" "$J"; }
or_null() { [ -n "$1" ] && echo "$1" || echo null; }

# Every network-class PCI function, as lspci sees it, and no other.
want=$(lspci -Dn -d ::0200 | awk '{print $1}' | sort | tr '\n' ' ')
got=$(jq -r '.devices[] | select(.bus == "pci") | .address' "$J" | sort | tr '\n' ' ')
check_eq "same devices as lspci" "$want" "$got"

for dev in $want; do
	d=/sys/bus/pci/devices/$dev
	ids=$(lspci -Dns "$dev" | awk '{print $3}')
	check_eq "$dev vendor:device" "$ids" "$(jqd "$dev" '.vendor_id + ":" + .device_id')"
	name=$(lspci -Dvmms "$dev" | sed -n 's/^Device:\t//p')
	check_eq "$dev device name" "$name" "$(jqd "$dev" .device)"
	drv=$(lspci -Dks "$dev" | sed -n 's/.*Kernel driver in use: //p')
	check_eq "$dev driver" "$(or_null "$drv")" "$(jqd "$dev" .driver)"
	nds=$(ls "$d/net" 2>/dev/null | tr '\n' ' ')
	check_eq "$dev netdevs" "$nds" "$(jqd "$dev" '[.netdevs[].ifname] | join(" ")')${nds:+ }"
	for nd in $nds; do
		check_eq "$dev $nd mac" "$(cat /sys/class/net/$nd/address)" \
			"$(jqd "$dev" ".netdevs[] | select(.ifname == \"$nd\") | .mac")"
		check_eq "$dev $nd operstate" "$(cat /sys/class/net/$nd/operstate)" \
			"$(jqd "$dev" ".netdevs[] | select(.ifname == \"$nd\") | .operstate")"
	done
	numa=$(cat "$d/numa_node")
	[ "$numa" = -1 ] && numa=null
	check_eq "$dev numa node" "$numa" "$(jqd "$dev" .numa_node)"
	grp=$(basename "$(readlink "$d/iommu_group")")
	check_eq "$dev iommu group" "$grp" "$(jqd "$dev" .iommu_group)"
	peers=$(ls /sys/kernel/iommu_groups/$grp/devices | grep -vx "$dev" | tr '\n' ' ')
	check_eq "$dev iommu group peers" "$peers" "$(jqd "$dev" '.iommu_group_peers | join(" ")')${peers:+ }"
	if [ -f "$d/sriov_totalvfs" ]; then
		check_eq "$dev totalvfs" "$(cat "$d/sriov_totalvfs")" "$(jqd "$dev" .sriov.totalvfs)"
		check_eq "$dev numvfs" "$(cat "$d/sriov_numvfs")" "$(jqd "$dev" .sriov.numvfs)"
		n=$(cat "$d/sriov_numvfs")
		check_eq "$dev VF count" "$n" "$(jqd "$dev" '.sriov.vfs | length')"
		for i in $(seq 0 $((n - 1))); do
			vf=$(basename "$(readlink "$d/virtfn$i")")
			check_eq "$dev vf $i address" "$vf" "$(jqd "$dev" ".sriov.vfs[$i].vf_address")"
			vdrv=$(basename "$(readlink /sys/bus/pci/devices/$vf/driver)")
			check_eq "$dev vf $i driver" "$vdrv" "$(jqd "$dev" ".sriov.vfs[$i].driver")"
			check_eq "$dev vf $i netdev" "$(or_null "$(ls /sys/bus/pci/devices/$vf/net 2>/dev/null)")" \
				"$(jqd "$dev" ".sriov.vfs[$i].ifname")"
		done
	else
		check_eq "$dev not SR-IOV capable" null "$(jqd "$dev" .sriov)"
	fi
	if [ -e "$d/physfn" ]; then
		pf=$(basename "$(readlink "$d/physfn")")
		check_eq "$dev pf" "$pf" "$(jqd "$dev" .pf_address)"
		check_eq "$dev role" vf "$(jqd "$dev" .role)"
	else
		check_eq "$dev has no pf" null "$(jqd "$dev" .pf_address)"
	fi
	want_mgmt=false
	[ "$dev" = "$PF2" ] && want_mgmt=true
	check_eq "$dev management=$want_mgmt" "$want_mgmt" "$(jqd "$dev" .management)"
done
check_eq "management reason names the route" "default route via $MGMT_IF" \
	"$(jqd "$PF2" .management_reason)"

# The management path through a VRF and through a nexthop object, on the first PF: a default
# route via the VRF device reaches its member; with nexthop_compat_mode=0 a route names only
# its nexthop object (RTA_NH_ID), which libnl does not decode.
IF1=$(ls /sys/bus/pci/devices/$PF1/net)
ip link set "$IF1" up
modprobe vrf
ip link add blue type vrf table 1001
ip link set blue up
ip link set "$IF1" master blue
ip route add default dev blue table 1001
check_eq "VRF route read back" "default dev blue" "$(ip route show table 1001 default | cut -d' ' -f1-3)"
"$VFMGR" list --json >"$J"
check_eq "VRF member PF is management" "true default route (table 1001) via blue ($IF1 is in VRF blue)" \
	"$(jqd $PF1 '(.management | tostring) + " " + .management_reason')"
ip link del blue
for _ in $(seq 50); do
	[ "$(cat /sys/class/net/$IF1/operstate)" = up ] && break
	sleep 0.1
done
sysctl -qw net.ipv4.nexthop_compat_mode=0
ip addr add 198.51.100.10/24 dev "$IF1"
ip nexthop add id 42 via 198.51.100.1 dev "$IF1"
ip route add default nhid 42 table 100
ip route show table 100
check_eq "nexthop route read back" 42 "$(ip -j route show table 100 | jq -r '.[0].nhid')"
check_eq "nexthop object read back" "$IF1" "$(ip -j nexthop show id 42 | jq -r '.[0].dev')"
"$VFMGR" list --json >"$J"
check_eq "nexthop-object route marks the PF" "true default route (table 100) via $IF1" \
	"$(jqd $PF1 '(.management | tostring) + " " + .management_reason')"
ip route flush table 100
ip nexthop del id 42
sysctl -qw net.ipv4.nexthop_compat_mode=1

# netdevsim devices are listed as PFs so scale tests can use them.
modprobe netdevsim
echo "7 1 4" >/sys/bus/netdevsim/new_device
udevadm settle --timeout=10
echo 5 >/sys/bus/netdevsim/devices/netdevsim7/sriov_numvfs 2>/dev/null ||
	{ echo 8 >/sys/kernel/debug/netdevsim/netdevsim7/max_vfs && echo 5 >/sys/bus/netdevsim/devices/netdevsim7/sriov_numvfs; }
"$VFMGR" list --json >"$J"
check_eq "netdevsim7 listed as a netdevsim PF" "netdevsim 5" \
	"$(jqd netdevsim7 '.bus + " " + (.sriov.numvfs | tostring)')"
check_eq "netdevsim7 netdev" "$(ls /sys/bus/netdevsim/devices/netdevsim7/net | head -n1)" \
	"$(jqd netdevsim7 '.netdevs[0].ifname')"
check_eq "netdevsim7 VF indexes" "0 1 2 3 4" "$(jqd netdevsim7 '[.sriov.vfs[].vf_index | tostring] | join(" ")')"
finish
