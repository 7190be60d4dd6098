#!/bin/bash
# vmlab: init=systemd limit=420
# The guest tier through libvirt: Debian's libvirtd (under systemd in the lab guest) starts a
# domain whose devices are `vfmgr libvirt-xml`, the hook `make install` put in its hooks dir
# prepares the VF, and the VM that boots there (the lab's kernel, the guest tier's initramfs)
# finds it on igbvf with the policy's MAC and link up. When the VM powers off, the hook's
# release gives the VF back to igbvf.
. "$VFMGR_TOP/tests/vm/lib.sh"
# As in libvirt.sh: the udev rule make install put there would re-apply on every PF driver
# change; this scenario is about the hook.
if [ "${VMLAB_PHASE:-}" = boot ]; then
	ln -sfn /dev/null /etc/udev/rules.d/90-vfmgr.rules
	exit 0
fi
. "$VFMGR_TOP/tests/vm/guest-tier.sh"
STATE=/var/lib/vfmgr/state.json
VM_MAC=52:54:00:00:08:01
mkdir -p /etc/vfmgr
cat >/etc/vfmgr/policy.yaml <<EOF
version: 1
pfs:
  - { name: uplink-a, match: { pci: "0000:01:00.0" }, switch: tor-a, numvfs: 2 }
networks:
  - { name: prod, vlan: 100, qos: 3, class: vm, pfs: [uplink-a] }
vms:
  - name: vmlv
    nics: [ { network: prod, mac: "$VM_MAC" } ]
EOF
t() { echo "# t=$(cut -d' ' -f1 /proc/uptime) $*"; }
lab_pfs
ip link set "$if1" up
wait_until 20 grep -qx 1 "/sys/class/net/$if1/carrier" >/dev/null
drv() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }

check "libvirtd starts under systemd" systemctl start libvirtd.service
check "vfmgr apply" vfmgr apply --allow pf-reset /etc/vfmgr/policy.yaml
vf=$(jq -r '.allocations[] | select(.vm=="vmlv") | .vf_address' "$STATE")
# The admin pastes libvirt-xml into the domain while vfmgr holds the VM's devices, then gives
# them back: from now on the hook prepares and releases them with the domain.
devxml=$(vfmgr libvirt-xml vmlv)
check "libvirt-xml vmlv: a hostdev for $vf" grep -q "<hostdev mode='subsystem' type='pci'" <<<"$devxml"
check "vfmgr release vmlv (libvirt's hook prepares it)" vfmgr release vmlv
check_eq "$vf is back on igbvf before the start" igbvf "$(drv "$vf")"

cat >/tmp/guest-libvirt.guest.sh <<'EOF'
for n in /sys/class/net/*; do
	d=$(readlink "$n/device/driver") || continue
	echo "vmguest: nic ${n##*/} ${d##*/} $(cat "$n/address")"
	[ "${d##*/}" = igbvf ] && VF=${n##*/}
done
[ -n "$VF" ] || exit 1
echo "vmguest: driver $(basename "$(readlink "/sys/class/net/$VF/device/driver")")"
echo "vmguest: mac $(cat "/sys/class/net/$VF/address")"
ip link set "$VF" up
i=0
while [ "$(cat "/sys/class/net/$VF/carrier" 2>/dev/null)" != 1 ] && [ $i -lt 150 ]; do
	sleep 0.2
	i=$((i + 1))
done
echo "vmguest: carrier $(cat "/sys/class/net/$VF/carrier") $(cat "/sys/class/net/$VF/operstate")"
EOF
inner_initrd /tmp/guest-libvirt.guest.sh
# Where libvirt's QEMU (user libvirt-qemu) may read them once libvirt labels them.
IMG=/var/lib/libvirt/images/guest-tier
mkdir -p "$IMG"
cp "$VMLAB_INNER_KERNEL" "$IMG/vmlinux"
cp "$INNER_DIR/initrd.cpio" "$IMG/initrd.cpio"
INNER_LOG=$IMG/console.log
cat >/tmp/vmlv.xml <<EOF
<domain type='qemu'>
  <name>vmlv</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$IMG/vmlinux</kernel>
    <initrd>$IMG/initrd.cpio</initrd>
    <cmdline>$INNER_APPEND</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='$INNER_LOG'/><target port='0'/></serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
$devxml
  </devices>
</domain>
EOF
cat /tmp/vmlv.xml
check "the domain XML passes libvirt's schema" virt-xml-validate /tmp/vmlv.xml domain
check "virsh define" virsh define /tmp/vmlv.xml
t "virsh start"
INNER_T0=${EPOCHREALTIME/./}
check "virsh start (the hook prepares)" virsh start vmlv
INNER_PID=$(cat /run/libvirt/qemu/vmlv.pid 2>/dev/null)
check_eq "$vf on vfio-pci while the domain runs" vfio-pci "$(drv "$vf")"
if up=$(inner_wait '^vmguest: userspace' 240); then
	echo "# VM userspace after ${up} s (wall)"
fi
inner_wait '^vmguest: rc=' 120 >/dev/null
t "VM done"
for _ in $(seq 1 150); do
	[ "$(virsh domstate vmlv 2>/dev/null)" = "shut off" ] && break
	sleep 0.2
done
echo "# its console:"
inner_console | grep -v '^$' | sed 's/^/#   vm| /'

check_eq "in the VM: its VF is bound to igbvf" igbvf "$(inner_value driver)"
check_eq "in the VM: the VF has the policy's MAC" "$VM_MAC" "$(inner_value mac)"
check_eq "in the VM: the VF's link is up (carrier, operstate)" "1 up" "$(inner_value carrier)"
check_eq "the VM's power-off ends the domain" "shut off" "$(virsh domstate vmlv 2>&1)"
# The hook's release runs as libvirt tears the domain down.
wait_until 20 sh -c "[ \"\$(basename \"\$(readlink /sys/bus/pci/devices/$vf/driver)\")\" = igbvf ]" >/dev/null
check_eq "the hook's release gives $vf back to igbvf" igbvf "$(drv "$vf")"
finish
