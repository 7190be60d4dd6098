#!/bin/bash
# vmlab: limit=360
# The guest tier, a NIC both redundant and migratable (examples/demo.yaml's web01): two QEMU
# failover pairs, one per leg. In the VM, net_failover must form both masters, each pairing a
# virtio standby with its VF, and each with its own MAC (net_failover pairs by MAC: one MAC for
# both legs leaves the second pair without a master), and the VM bonds the two masters as
# `vfmgr guest-config` describes.
. "$VFMGR_TOP/tests/vm/lib.sh"
. "$VFMGR_TOP/tests/vm/guest-tier.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
POL=/tmp/guest-failover-pair.yaml
cat >"$POL" <<'EOF'
version: 1
pfs:
  - { name: uplink-a, match: { pci: "0000:01:00.0" }, switch: tor-a, numvfs: 2 }
  - { name: uplink-b, match: { pci: "0000:02:00.0" }, switch: tor-b, numvfs: 2 }
networks:
  - { name: prod, vlan: 100, qos: 3, class: vm, pfs: [uplink-a, uplink-b] }
vms:
  - name: web1
    nics: [ { network: prod, mac: "52:54:00:00:09:01", redundant: true, migratable: true } ]
EOF
t() { echo "# t=$(cut -d' ' -f1 /proc/uptime) $*"; }
lab_pfs
ip link set "$if1" up
ip link set "$if2" up
for i in "$if1" "$if2"; do wait_until 20 grep -qx 1 "/sys/class/net/$i/carrier" >/dev/null; done

check "vfmgr apply" "$VFMGR" apply --allow pf-reset "$POL"
check "vfmgr prepare web1" "$VFMGR" prepare --policy "$POL" web1
args=$("$VFMGR" qemu-args --netdev user,restrict=on web1)
# Without devices from vfmgr there is no VM to boot.
[ -n "$args" ] || { fail "vfmgr qemu-args printed nothing: no VM to boot"; finish; }
echo "# vfmgr qemu-args --netdev user,restrict=on web1: ${args//$'\n'/ }"
macs=$(grep -o 'virtio-net-pci,[^ ]*' <<<"$args" | grep -o 'mac=[^,]*' | cut -d= -f2 | sort)
check_eq "qemu-args: two standbys, each its own MAC" 2 "$(sort -u <<<"$macs" | wc -l)"
"$VFMGR" guest-config --policy "$POL" web1
gc=$("$VFMGR" guest-config --policy "$POL" --json web1)
gcq() { jq -r "$1" <<<"$gc"; }
GC_MACS=$(gcq '.network.ethernets[] | select(.match.driver == "net_failover") | .match.macaddress' | sort)
check_eq "guest-config: a net_failover master per standby's MAC" "$macs" "$GC_MACS"
MODE=$(gcq '.network.bonds.bond0.parameters.mode')
FOM=$(gcq '.network.bonds.bond0.parameters["fail-over-mac-policy"]')
MII=$(gcq '.network.bonds.bond0.parameters["mii-monitor-interval"]')
PRIMARY_MAC=$(gcq '.network.ethernets[.network.bonds.bond0.parameters.primary].match.macaddress')

cat >/tmp/guest-failover-pair.guest.sh <<EOF
MODE=$MODE FOM=$FOM MII=$MII PRIMARY_MAC=$PRIMARY_MAC
EOF
cat >>/tmp/guest-failover-pair.guest.sh <<'EOF'
drv() { basename "$(readlink "/sys/class/net/$1/device/driver" 2>/dev/null)"; }
masters() { for n in /sys/class/net/*; do ls -d "$n"/lower_* >/dev/null 2>&1 && echo "${n##*/}"; done; }
lowers() { ls -d /sys/class/net/$1/lower_* 2>/dev/null | sed 's/.*lower_//'; }
# A master is complete once QEMU has plugged its VF (after virtio-net took the standby role).
complete() { for m in $(masters); do for l in $(lowers "$m"); do [ "$(drv "$l")" = igbvf ] && echo "$m"; done; done; }
i=0
while [ "$(complete | wc -l)" -lt 2 ] && [ $i -lt 600 ]; do
	i=$((i + 1))
	sleep 0.2
done
for m in $(masters); do
	echo "vmguest: master $m $(cat /sys/class/net/$m/address) $(for l in $(lowers "$m"); do printf '%s/%s/%s ' "$(drv "$l")" "$l" "$(cat /sys/class/net/$l/address)"; done)"
done
set -- $(complete)
[ $# = 2 ] || { echo "vmguest: $# complete failover masters"; exit 1; }
P=$1 O=$2
[ "$(cat /sys/class/net/$2/address)" = "$PRIMARY_MAC" ] && P=$2 O=$1
S=/sys/class/net/bond0/bonding
echo +bond0 >/sys/class/net/bonding_masters
echo "$MODE" >$S/mode
echo "$MII" >$S/miimon
echo "$FOM" >$S/fail_over_mac
echo "+$P" >$S/slaves
echo "+$O" >$S/slaves
echo "$P" >$S/primary
ip link set bond0 up
i=0
while [ "$(cat $S/active_slave)" != "$P" ] && [ $i -lt 100 ]; do
	i=$((i + 1))
	sleep 0.1
done
a=$(cat $S/active_slave)
echo "vmguest: bond $(cut -d' ' -f1 $S/mode) slaves=$(tr ' ' , <$S/slaves) active=$a active-mac=$(cat /sys/class/net/$a/address 2>/dev/null)"
ip -o link | sed 's/^/vmguest: link /'
EOF
t "VM start"
# shellcheck disable=SC2086
inner_start /tmp/guest-failover-pair.guest.sh $args
if up=$(inner_wait '^vmguest: userspace' 240); then
	echo "# VM userspace after ${up} s (wall)"
fi
inner_wait '^vmguest: rc=' 200 >/dev/null
t "VM done"
inner_end 30

masters=$(inner_lines master)
check_eq "in the VM: net_failover formed two masters, with the standbys' MACs" "$macs" \
	"$(awk '{print $2}' <<<"$masters" | sort)"
for mac in $macs; do
	line=$(grep "^[^ ]* $mac " <<<"$masters")
	# shellcheck disable=SC2086
	got=$(for tok in ${line#* * }; do echo "${tok%%/*} ${tok##*/}"; done | sort | paste -sd'|')
	check_eq "in the VM: master $mac has its virtio standby and its VF, both on $mac" \
		"igbvf $mac|virtio_net $mac" "$got"
done
bond=$(inner_value bond)
echo "# bond: $bond"
read -r bmode bslaves _ bamac <<<"$bond"
nsl=$(tr ',' '\n' <<<"${bslaves#slaves=}" | grep -c .)
check_eq "in the VM: the two masters bonded as guest-config says, its primary active" \
	"$MODE 2 $PRIMARY_MAC" "$bmode $nsl ${bamac#active-mac=}"
check "vfmgr release web1" "$VFMGR" release web1
finish
