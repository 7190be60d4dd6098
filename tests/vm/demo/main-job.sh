#!/bin/bash
# vmlab: igbs=3
# The main job, shown in the lab: examples/demo.yaml applied to a host with three SR-IOV PFs,
# then what a VM launcher needs.
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
POL=$VFMGR_TOP/examples/demo.yaml
for pf in 0000:01:00.0 0000:02:00.0; do ip link set "$(ls /sys/bus/pci/devices/$pf/net)" up; done
sleep 2
step() { echo; echo "### $*"; "$@"; }
step "$VFMGR" list
step "$VFMGR" check "$POL"
step "$VFMGR" plan "$POL"
step "$VFMGR" apply --allow pf-reset "$POL"
step "$VFMGR" plan "$POL"
step "$VFMGR" status
step "$VFMGR" list
step "$VFMGR" qemu-args web01
step "$VFMGR" qemu-args nfv01
step "$VFMGR" libvirt-xml web01

# Last, web01 as a VM would see it: booted inside the lab from exactly what qemu-args prints
# (its standbys on QEMU's user network), net_failover pairing each standby with its VF, and a
# bond over the pairs as `vfmgr guest-config` describes it.
. "$VFMGR_TOP/tests/vm/guest-tier.sh"
cat >/tmp/web01.guest.sh <<'EOF'
drv() { basename "$(readlink "/sys/class/net/$1/device/driver" 2>/dev/null)"; }
# net_failover masters: netdevs with lower devices; complete once a VF (igbvf) is among them.
masters() { for n in /sys/class/net/*; do ls -d "$n"/lower_* >/dev/null 2>&1 && echo "${n##*/}"; done; }
complete() { for m in $(masters); do for l in /sys/class/net/$m/lower_*; do [ "$(drv "${l##*lower_}")" = igbvf ] && echo "$m"; done; done; }
i=0
while [ "$(complete | wc -l)" -lt 2 ] && [ $i -lt 300 ]; do
	i=$((i + 1))
	sleep 0.2
done
for m in $(masters); do
	echo "failover master $m ($(cat /sys/class/net/$m/address)):$(for l in /sys/class/net/$m/lower_*; do l=${l##*lower_}; printf ' %s (%s)' "$l" "$(drv "$l")"; done)"
done
set -- $(complete)
if [ $# = 2 ]; then
	S=/sys/class/net/bond0/bonding
	echo +bond0 >/sys/class/net/bonding_masters
	echo active-backup >$S/mode
	echo 100 >$S/miimon
	echo active >$S/fail_over_mac
	echo "+$1" >$S/slaves
	echo "+$2" >$S/slaves
	echo "$1" >$S/primary
	ip link set bond0 up
	sleep 1
else
	echo "only $# of web01's two failover pairs formed: no bond"
fi
# busybox's ip has no -br: the same columns from sysfs (name, state, MAC, master).
echo "--- ip -br link"
for n in /sys/class/net/*; do
	[ -d "$n" ] || continue # bonding_masters is a file
	m=$(readlink "$n/master" 2>/dev/null)
	printf '%-10s %-8s %s%s\n' "${n##*/}" "$(tr a-z A-Z <"$n/operstate")" "$(cat "$n/address")" "${m:+ master ${m##*/}}"
done
if [ -e /proc/net/bonding/bond0 ]; then
	echo "--- /proc/net/bonding/bond0"
	grep -E 'Mode|Primary|Currently Active|MII Status|Slave Interface|Permanent HW addr' /proc/net/bonding/bond0
fi
echo "vmguest: done"
EOF
args=$("$VFMGR" qemu-args --netdev user,restrict=on web01)
echo
echo "### web01 boots as a guest: qemu-system-x86_64 ... \$(vfmgr qemu-args --netdev user,restrict=on web01)"
echo "(QEMU inside the lab's QEMU, no KVM: two to three minutes)"
# shellcheck disable=SC2086
inner_start /tmp/web01.guest.sh $args >/dev/null
inner_wait '^vmguest: (done|rc=)' 300 >/dev/null
inner_end 30 >/dev/null
inner_console | sed -n '/^vmguest: drivers loaded/,/^vmguest: done/p' | grep -v '^vmguest: \|^\[ *[0-9]' | sed 's/^/  web01| /'
