#!/bin/bash
# vmlab: igbs=3 limit=360
# The guest tier, a whole PF: vfmgr passes the third igb PF through; the VM booted inside the
# lab guest from `vfmgr qemu-args` binds its own igb driver to it, gets link, and a frame it
# sends reaches PF1 (on the same QEMU hub) from the PF's own MAC.
. "$VFMGR_TOP/tests/vm/lib.sh"
. "$VFMGR_TOP/tests/vm/guest-tier.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
POL=/tmp/guest-passthrough.yaml
cat >"$POL" <<'EOF'
version: 1
pfs:
  - { name: uplink-c, match: { pci: "0000:03:00.0" }, switch: tor-c }
vms:
  - name: nfv1
    passthrough: [ { pf: uplink-c } ]
EOF
t() { echo "# t=$(cut -d' ' -f1 /proc/uptime) $*"; }
lab_pfs
PF3=0000:03:00.0
PF3_MAC=$(cat "/sys/bus/pci/devices/$PF3/net/"*/address)
PEER_MAC=$(cat "/sys/class/net/$if1/address")
ip link set "$if1" up

check "vfmgr apply" "$VFMGR" apply --allow pf-reset "$POL"
check "vfmgr prepare nfv1" "$VFMGR" prepare --policy "$POL" nfv1
check_eq "$PF3 is on vfio-pci" vfio-pci "$(basename "$(readlink "/sys/bus/pci/devices/$PF3/driver")")"
args=$("$VFMGR" qemu-args nfv1)
# Without devices from vfmgr there is no VM to boot.
[ -n "$args" ] || { fail "vfmgr qemu-args printed nothing: no VM to boot"; finish; }
echo "# vfmgr qemu-args nfv1: ${args//$'\n'/ }"

tcpdump -i "$if1" -U -nn -w /tmp/peer.pcap "ether src $PF3_MAC" >/tmp/tcpdump.log 2>&1 &
tcpd=$!
wait_until 10 grep -q 'listening on' /tmp/tcpdump.log >/dev/null

cat >/tmp/guest-passthrough.guest.sh <<EOF
for n in /sys/class/net/*; do
	d=\$(readlink "\$n/device/driver") || continue
	echo "vmguest: nic \${n##*/} \${d##*/} \$(cat "\$n/address")"
	[ "\${d##*/}" = igb ] && PF=\${n##*/}
done
[ -n "\$PF" ] || exit 1
echo "vmguest: device \$(cat /sys/class/net/\$PF/device/vendor):\$(cat /sys/class/net/\$PF/device/device)"
echo "vmguest: driver \$(basename "\$(readlink "/sys/class/net/\$PF/device/driver")")"
echo "vmguest: mac \$(cat "/sys/class/net/\$PF/address")"
ip link set "\$PF" up
i=0
while [ "\$(cat "/sys/class/net/\$PF/carrier" 2>/dev/null)" != 1 ] && [ \$i -lt 150 ]; do
	sleep 0.2
	i=\$((i + 1))
done
echo "vmguest: carrier \$(cat "/sys/class/net/\$PF/carrier") \$(cat "/sys/class/net/\$PF/operstate")"
rawframe send "\$PF" $PEER_MAC $PF3_MAC 0x88b5 vfmgr-passthrough 3 100
EOF
t "VM start"
# shellcheck disable=SC2086
inner_start /tmp/guest-passthrough.guest.sh $args
if up=$(inner_wait '^vmguest: userspace' 240); then
	echo "# VM userspace after ${up} s (wall)"
fi
inner_wait '^vmguest: rc=' 150 >/dev/null
t "VM done"
inner_end 30
kill -INT "$tcpd"
wait "$tcpd"
wire=$(tcpdump -r /tmp/peer.pcap -nn -e 2>/dev/null)
echo "$wire" | sed 's/^/# wire: /'

# 8086:10c9 = 82576 (the PF, not a VF).
check_eq "in the VM: the whole 82576 PF (8086:10c9)" "0x8086:0x10c9" "$(inner_value device)"
check_eq "in the VM: igb binds it" igb "$(inner_value driver)"
check_eq "in the VM: with its own MAC" "$PF3_MAC" "$(inner_value mac)"
check_eq "in the VM: link up (carrier, operstate)" "1 up" "$(inner_value carrier)"
check_eq "on the wire: the VM's frames reach PF1 from the passed-through PF's MAC" 3 \
	"$(grep -c "^[^ ]* $PF3_MAC > $PEER_MAC, ethertype Unknown (0x88b5)" <<<"$wire")"
check "vfmgr release nfv1" "$VFMGR" release nfv1
check_eq "$PF3 is back on igb" igb "$(basename "$(readlink "/sys/bus/pci/devices/$PF3/driver")")"
finish
