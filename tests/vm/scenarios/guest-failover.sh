#!/bin/bash
# vmlab: limit=360
# The guest tier, a migratable NIC: QEMU's failover pair from `vfmgr qemu-args --netdev`, the
# standby a virtio-net on a tap in the lab guest's bridge (the host's software path: the bridge
# reaches VLAN 100 through PF2), the VF its primary. In the VM, net_failover forms its master
# over both; pings to a peer on the bridge go on after the primary is unplugged (QMP device_del
# on the VM's own QEMU), now over the standby.
. "$VFMGR_TOP/tests/vm/lib.sh"
. "$VFMGR_TOP/tests/vm/guest-tier.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
VM_MAC=52:54:00:00:07:01
POL=/tmp/guest-failover.yaml
cat >"$POL" <<EOF
version: 1
pfs:
  - { name: uplink-a, match: { pci: "0000:01:00.0" }, switch: tor-a, numvfs: 2 }
networks:
  - { name: prod, vlan: 100, qos: 3, class: vm, pfs: [uplink-a] }
vms:
  - name: vm3
    nics: [ { network: prod, mac: "$VM_MAC", migratable: true } ]
EOF
t() { echo "# t=$(cut -d' ' -f1 /proc/uptime) $*"; }
lab_pfs
ip link set "$if1" up
ip link set "$if2" up
# The software path: a bridge with the standby's tap and PF2's VLAN 100; the peer is the
# bridge's own address.
modprobe tun
modprobe bridge
ip link add br0 type bridge
ip link add link "$if2" name up100 type vlan id 100
ip tuntap add dev vfmtap0 mode tap
for p in up100 vfmtap0; do ip link set "$p" master br0 up; done
ip addr add 192.0.2.1/24 dev br0
ip link set br0 up
wait_until 20 grep -qx 1 "/sys/class/net/$if1/carrier" >/dev/null

check "vfmgr apply" "$VFMGR" apply --allow pf-reset "$POL"
check "vfmgr prepare vm3" "$VFMGR" prepare --policy "$POL" vm3
args=$("$VFMGR" qemu-args --netdev tap,ifname=vfmtap0,script=no,downscript=no vm3)
# Without devices from vfmgr there is no VM to boot.
[ -n "$args" ] || { fail "vfmgr qemu-args printed nothing: no VM to boot"; finish; }
echo "# vfmgr qemu-args --netdev ... vm3: ${args//$'\n'/ }"
primary=$(grep -o 'vfio-pci,[^ ]*' <<<"$args" | grep -o ',id=[^,]*' | cut -d= -f2)
check_eq "qemu-args: the VF is the standby's failover primary" 1 \
	"$(grep -c "failover_pair_id=" <<<"$args")"

cat >/tmp/guest-failover.guest.sh <<'EOF'
drv() { basename "$(readlink "/sys/class/net/$1/device/driver" 2>/dev/null)"; }
# net_failover's master is the netdev with lower (enslaved) devices: the virtio standby and,
# once QEMU has plugged it (after virtio-net accepted the standby feature), the VF.
lowers() { ls -d /sys/class/net/$M/lower_* 2>/dev/null | sed 's/.*lower_//'; }
i=0 M= P=
while [ $i -lt 600 ]; do
	i=$((i + 1))
	for n in /sys/class/net/*; do
		ls -d "$n"/lower_* >/dev/null 2>&1 && M=${n##*/}
	done
	if [ -n "$M" ]; then
		for l in $(lowers); do [ "$(drv "$l")" = igbvf ] && P=$l; done
	fi
	[ -n "$P" ] && break
	sleep 0.2
done
echo "vmguest: master $M $(cat /sys/class/net/$M/address 2>/dev/null)"
for l in $(lowers); do echo "vmguest: lower $(drv "$l") $l $(cat /sys/class/net/$l/address)"; done
[ -n "$P" ] || { echo "vmguest: no VF joined the failover master"; exit 1; }
ip link set "$M" up
ip addr add 192.0.2.2/24 dev "$M"
i=0
until ping -c 1 -W 1 192.0.2.1 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 60 ] || { echo "vmguest: no reply from the peer"; exit 1; }
done
echo "vmguest: tx-via-primary $(cat /sys/class/net/$P/statistics/tx_packets)"
ping -i 0.2 -w 150 192.0.2.1 >/tmp/ping.log 2>&1 &
pp=$!
sleep 2
echo "vmguest: primary-ready"
i=0
while [ -e "/sys/class/net/$P" ] && [ $i -lt 600 ]; do
	i=$((i + 1))
	sleep 0.1
done
echo "vmguest: primary-gone $([ -e "/sys/class/net/$P" ] && echo no || echo yes)"
echo "vmguest: lowers-after $(lowers | tr '\n' ' ')"
n0=$(grep -c 'bytes from' /tmp/ping.log)
i=0
while [ $(($(grep -c 'bytes from' /tmp/ping.log) - n0)) -lt 15 ] && [ $i -lt 300 ]; do
	i=$((i + 1))
	sleep 0.1
done
kill $pp
echo "vmguest: replies-after $(($(grep -c 'bytes from' /tmp/ping.log) - n0))"
echo "vmguest: ping $(grep -o 'seq=[0-9]*' /tmp/ping.log | cut -d= -f2 |
	awk 'NR > 1 && $1 - p > g {g = $1 - p} {p = $1; n++} END {printf "received %d of %d, interruption-ms %d", n, p + 1, (g > 1 ? g - 1 : 0) * 200}')"
EOF
t "VM start"
# shellcheck disable=SC2086
inner_start /tmp/guest-failover.guest.sh $args
if up=$(inner_wait '^vmguest: userspace' 240); then
	echo "# VM userspace after ${up} s (wall)"
fi
if inner_wait '^vmguest: primary-ready' 180 >/dev/null; then
	t "failover master up; device_del $primary on the VM's QEMU"
	echo "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"$primary\"}}" |
		python3 "$VFMGR_TOP/tests/vm/qmp.py" "$INNER_QMP"
	inner_wait '^vmguest: primary-gone' 90 >/dev/null && t "the VF left the VM"
fi
inner_wait '^vmguest: rc=' 90 >/dev/null
t "VM done"
inner_end 30

check_eq "in the VM: net_failover's master has the policy's MAC" "$VM_MAC" \
	"$(inner_value master | cut -d' ' -f2)"
check_eq "in the VM: the master's lower devices are the virtio standby and the igbvf VF, one MAC" \
	"igbvf $VM_MAC|virtio_net $VM_MAC" \
	"$(inner_lines lower | awk '{print $1, $3}' | sort | paste -sd'|')"
check "in the VM: the peer answers over the primary (the VF sent)" \
	test "$(inner_value tx-via-primary)" -gt 0
check_eq "in the VM: device_del took the VF away" yes "$(inner_value primary-gone)"
after=$(inner_value replies-after)
check_eq "in the VM: the pings go on over the standby (15 replies after the unplug)" "15 or more" \
	"$([ "${after:-0}" -ge 15 ] && echo "15 or more" || echo "${after:-none}")"
echo "# after the unplug the master keeps: $(inner_value lowers-after); pings $(inner_value ping) (0.2 s apart)"
check "vfmgr release vm3" "$VFMGR" release vm3
finish
