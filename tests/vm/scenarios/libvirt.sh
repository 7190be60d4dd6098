#!/bin/bash
# vmlab: init=systemd igbs=3 limit=720
# libvirt starts VMs through vfmgr: Debian's libvirtd under systemd, the hook `make install`
# put in /etc/libvirt/hooks/qemu.d, domains built from `vfmgr libvirt-xml` for a VM with a
# plain VF (vplain), one with a migratable VF (vmig), one with a redundant pair (vred) and one
# with a whole PF (vpt). Each passes libvirt's schema, starts paused (the hook prepares), shows
# its devices in QEMU (query-pci), keeps the policy's VF settings while it runs (ip -d link)
# and gives everything back when destroyed. A domain the policy does not name starts
# untouched; a prepare that fails stops `virsh start` with vfmgr's message.
. "$VFMGR_TOP/tests/vm/lib.sh"
# The udev rule make install put there runs `vfmgr apply` when a PF gets its driver back, and
# apply gives every VM of the policy its devices: the release of vpt's PF would re-take it
# and every other VM's VFs. This scenario is about the hook's prepare/release alone.
if [ "${VMLAB_PHASE:-}" = boot ]; then
	ln -sfn /dev/null /etc/udev/rules.d/90-vfmgr.rules
	exit 0
fi

PF1=0000:01:00.0
PF2=0000:02:00.0
PF3=0000:03:00.0
HOOK=/etc/libvirt/hooks/qemu.d/vfmgr
STATE=/var/lib/vfmgr/state.json
mkdir -p /etc/vfmgr /tmp/lv
cat >/etc/vfmgr/policy.yaml <<'EOF'
version: 1
pfs:
  - { name: uplink-a, match: { pci: "0000:01:00.0" }, switch: tor-a, numvfs: 4 }
  - { name: uplink-b, match: { pci: "0000:02:00.0" }, switch: tor-b, numvfs: 4 }
  - { name: uplink-c, match: { pci: "0000:03:00.0" }, switch: tor-c }
networks:
  - { name: prod, vlan: 100, qos: 3, class: vm, pfs: [uplink-a, uplink-b] }
vms:
  - name: vplain
    nics: [ { network: prod, mac: "52:54:00:00:03:01", spoofchk: false } ]
  - name: vmig
    nics: [ { network: prod, mac: "52:54:00:00:03:02", migratable: true } ]
  - name: vred
    nics: [ { network: prod, mac: "52:54:00:00:03:03", redundant: true } ]
  - name: vpt
    passthrough: [ { pf: uplink-c } ]
EOF
for pf in $PF1 $PF2; do ip link set "$(ls "/sys/bus/pci/devices/$pf/net")" up; done

drv() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
st() { jq -r "$1" "$STATE"; }
ifof() { ls "/sys/bus/pci/devices/$1/net"; }
# The `ip -d link` line of VF $2 of PF $1 (run while the PF has its netdev).
vfline() { ip -d link show "$(ifof "$1")" | grep -E "^ +vf $2 " | sed 's/^ *//'; }
# "PF VF-INDEX VF-ADDRESS" for each of a VM's VFs, from the state file.
vfs_of() { st ".allocations[] | select(.vm==\"$1\") | \"\(.pf_address) \(.vf) \(.vf_address)\""; }
qmp() { virsh qemu-monitor-command "$1" "$2"; }
# The "host" property of QEMU's device ID in domain DOM (a vfio-pci device's PCI address).
qom_host() { # DOM ID
	qmp "$1" "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/$2\",\"property\":\"host\"}}" |
		jq -r .return
}
# qdev ids of the PCI devices QEMU shows, also those behind root ports. query-pci finds those
# through the bus numbers the firmware gives the ports, so DOM runs (its firmware, no disk)
# until IDS show up, for 60 s at most.
pci_ids() { # DOM IDS...
	local dom=$1 ids id
	shift
	virsh resume "$dom" >/dev/null
	for _ in $(seq 1 120); do
		ids=$(qmp "$dom" '{"execute":"query-pci"}' |
			jq -r '[.. | objects | select(has("qdev_id")) | .qdev_id] | sort | join(" ")')
		for id in "$@"; do has_id "$ids" "$id" || { sleep 0.5; continue 2; }; done
		break
	done
	echo "$ids"
}
has_id() { tr ' ' '\n' <<<"$1" | grep -qx -- "$2"; } # IDS ID

check_eq "PID 1 is systemd" systemd "$(cat /proc/1/comm)"
check "make install put the hook where libvirt runs it" test -x "$HOOK"
check "the hook names the installed binary, not /usr/local" grep -qF 'VFMGR=${VFMGR:-/usr/sbin/vfmgr}' "$HOOK"
t() { echo "# t=$(cut -d' ' -f1 /proc/uptime) $*"; }
check "libvirtd starts under systemd" systemctl start libvirtd.service
t libvirtd started
echo "# $(virsh version 2>&1 | grep -i 'library\|running' | tr '\n' ' ')"

# Domains from vfmgr's XML: the admin applies the policy once to learn the VMs' devices,
# pastes `vfmgr libvirt-xml` into each domain, defines it, and gives the devices back.
mkdomain() { # NAME -> /tmp/lv/NAME.xml; devices from vfmgr unless NAME is not in the policy
	{
		echo "<domain type='qemu'><name>$1</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
		echo "<os><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/></features>"
		echo "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
		[ "$1" = other ] || vfmgr libvirt-xml --standby user "$1"
		echo "</devices></domain>"
	} >"/tmp/lv/$1.xml"
}
check "vfmgr apply" vfmgr apply --allow pf-reset /etc/vfmgr/policy.yaml
for vm in vplain vmig vred vpt; do
	vfs_of "$vm" >"/tmp/lv/$vm.vfs"
	mkdomain "$vm"
	cat "/tmp/lv/$vm.xml"
	check "$vm: the domain XML passes libvirt's schema" virt-xml-validate "/tmp/lv/$vm.xml" domain
	check "$vm: virsh define" virsh define "/tmp/lv/$vm.xml"
	check "$vm: vfmgr release" vfmgr release "$vm"
done
check_eq "vred: two VFs" 2 "$(wc -l </tmp/lv/vred.vfs)"
check "vmig: XML pairs the VF with a persistent virtio standby" \
	grep -q "<teaming type='transient' persistent='ua-vfmgr-vmig-nic0-standby'/>" /tmp/lv/vmig.xml

# What each VF looks like before libvirt starts its domain, to compare after destroy.
before() { # VM -> "ADDR DRIVER | ip line" per VF
	local pf vf addr
	while read -r pf vf addr; do
		echo "$addr $(drv "$addr") | $(vfline "$pf" "$vf")"
	done <"/tmp/lv/$1.vfs"
}

for vm in vplain vmig vred; do
	before "$vm" >"/tmp/lv/$vm.before"
	cat "/tmp/lv/$vm.before"
	check_eq "$vm: no VF on vfio-pci before the start" "" "$(grep vfio-pci "/tmp/lv/$vm.before")"
	t "$vm start"
	check "$vm: virsh start --paused (the hook prepares)" virsh start --paused "$vm"
	t "$vm started"
	while read -r pf vf addr; do
		check_eq "$vm: $addr on vfio-pci while the domain runs" vfio-pci "$(drv "$addr")"
		line=$(vfline "$pf" "$vf")
		echo "$vm running: $line"
		spoof=on
		[ "$vm" = vplain ] && spoof=off
		mac=$(st ".allocations[] | select(.vf_address==\"$addr\") | .want.mac")
		check "$vm: $addr keeps the policy's MAC, vlan 100 qos 3, spoof checking $spoof" \
			grep -q "link/ether $mac .*vlan 100, qos 3, spoof checking $spoof" <<<"$line"
	done <"/tmp/lv/$vm.vfs"
done
# The guest's bond (and net_failover, for a migratable pair) tells the legs apart by MAC.
check_eq "vred: each leg has its own MAC (vfmgr-policy(5), MAC ADDRESSES)" \
	"52:54:00:00:03:03 $(vfmgr guest-config vred | sed -n 's/.*macaddress: "\(.*\)"/\1/p' | tail -n1)" \
	"$(st '[.allocations[] | select(.vm=="vred")] | sort_by(.leg) | map(.want.mac) | join(" ")')"
# QEMU's view: each VF is a vfio-pci device on the VF's address, on the guest's PCI bus.
read -r _ _ a </tmp/lv/vplain.vfs
check_eq "vplain: QEMU's vfio-pci ua-vfmgr-vplain-nic0 is $a" "$a" "$(qom_host vplain ua-vfmgr-vplain-nic0)"
ids=$(pci_ids vplain ua-vfmgr-vplain-nic0)
echo "vplain: query-pci: $ids"
check "vplain: query-pci shows the VF" has_id "$ids" ua-vfmgr-vplain-nic0
{ read -r _ _ a && read -r _ _ b; } </tmp/lv/vred.vfs
check_eq "vred: QEMU's ua-vfmgr-vred-nic0 is $a" "$a" "$(qom_host vred ua-vfmgr-vred-nic0)"
check_eq "vred: QEMU's ua-vfmgr-vred-nic0b is $b" "$b" "$(qom_host vred ua-vfmgr-vred-nic0b)"
ids=$(pci_ids vred ua-vfmgr-vred-nic0 ua-vfmgr-vred-nic0b)
echo "vred: query-pci: $ids"
for id in ua-vfmgr-vred-nic0 ua-vfmgr-vred-nic0b; do
	check "vred: query-pci shows the VF ($id)" has_id "$ids" "$id"
done
# A failover primary stays hidden until the guest's virtio-net driver acks the standby: QEMU
# shows the standby, has not created the VF's device yet, and its command line pairs the VF
# with the standby.
ids=$(pci_ids vmig ua-vfmgr-vmig-nic0-standby)
echo "vmig: query-pci: $ids"
check "vmig: query-pci shows the standby" has_id "$ids" ua-vfmgr-vmig-nic0-standby
check_fails "vmig: query-pci does not show the hidden primary" has_id "$ids" ua-vfmgr-vmig-nic0
check_eq "vmig: the standby is a failover virtio-net" true \
	"$(qmp vmig '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/ua-vfmgr-vmig-nic0-standby","property":"failover"}}' | jq -r .return)"
check "vmig: QEMU's VF is the standby's failover primary" \
	grep -q '"failover_pair_id":"ua-vfmgr-vmig-nic0-standby"' /proc/"$(cat /run/libvirt/qemu/vmig.pid)"/cmdline

check "vpt: virsh start --paused (the hook prepares)" virsh start --paused vpt
check_eq "vpt: $PF3 on vfio-pci" vfio-pci "$(drv $PF3)"
check_eq "vpt: QEMU's ua-vfmgr-vpt-pt0 is $PF3" $PF3 "$(qom_host vpt ua-vfmgr-vpt-pt0)"
ids=$(pci_ids vpt ua-vfmgr-vpt-pt0)
echo "vpt: query-pci: $ids"
check "vpt: query-pci shows the PF" has_id "$ids" ua-vfmgr-vpt-pt0

t "QEMU's views checked"
# A domain the policy does not name starts untouched.
snap() { for pf in $PF1 $PF2; do ip -d link show "$(ifof "$pf")" | grep -E '^ +vf '; done; cat "$STATE"; }
snap >/tmp/lv/snap.before
mkdomain other
check "other: virsh define" virsh define /tmp/lv/other.xml
check "other (not in the policy): virsh start --paused" virsh start --paused other
snap >/tmp/lv/snap.after
check "other: VFs and the state file untouched" cmp /tmp/lv/snap.before /tmp/lv/snap.after
check "other: virsh destroy" virsh destroy other

t "other checked"
# Destroy: the hook releases; every VF is back on its driver with its earlier settings.
for vm in vplain vmig vred; do
	check "$vm: virsh destroy (the hook releases)" virsh destroy "$vm"
	check_eq "$vm: its VFs back on their driver with their earlier settings" \
		"$(cat "/tmp/lv/$vm.before")" "$(before "$vm")"
done
check "vpt: virsh destroy" virsh destroy vpt
check_eq "vpt: $PF3 back on igb" igb "$(drv $PF3)"
check_eq "no allocations left" 0 "$(st '.allocations | length')"

t destroyed
# A prepare that fails: uplink-c now carries the default route, which vfmgr never passes
# through; libvirt refuses the start and says why, in vfmgr's words.
if3=$(ifof $PF3)
ip link set "$if3" up
ip addr add 192.0.2.10/24 dev "$if3"
ip route add default via 192.0.2.1 dev "$if3" onlink
out=$(virsh start --paused vpt 2>&1)
rc=$?
echo "$out"
check_eq "vpt: virsh start fails while its PF carries the default route" "1 shut off" \
	"$rc $(virsh domstate vpt)"
check "vpt: libvirt's error has vfmgr's message" \
	grep -q "Hook script execution failed: .*vm vpt: $PF3 carries the host's management path" <<<"$out"
check_eq "vpt: $PF3 stays on igb" igb "$(drv $PF3)"
ip route del default via 192.0.2.1 dev "$if3"
t "all done"

finish
