#!/bin/bash
# vmlab: igbs=3
# Passthrough on the real drivers: examples/demo.yaml gives web01 a redundant, migratable VF
# pair (to vfio-pci) and nfv01 the third igb PF whole; db01 gets one plain VF. Checked with
# readlink, /dev/vfio, a VFIO_GROUP_GET_STATUS probe, and a QEMU in the guest started with
# exactly what `vfmgr qemu-args` prints, in both forms (text and --json) for each VM, the
# standbys' netdevs made both documented ways (query-pci over QMP). Then release, and the
# refusals.
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
# examples/demo.yaml plus db01, a VM with one plain VF (vms: is its last section).
POL=/tmp/passthrough.yaml
cat "$VFMGR_TOP/examples/demo.yaml" - >"$POL" <<'EOF'
  - name: db01
    nics:
      - { network: prod, mac: "52:54:00:00:02:01" }
EOF
PF1=0000:01:00.0
PF2=0000:02:00.0
PF3=0000:03:00.0
for pf in $PF1 $PF2; do ip link set "$(ls /sys/bus/pci/devices/$pf/net)" up; done
sleep 2

drv() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
grp() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
st() { jq -r "$1" "$VFMGR_STATE"; }

"$VFMGR" plan "$POL"
check "apply the demo policy" "$VFMGR" apply --allow pf-reset "$POL"
vfs=$(st '.allocations[] | select(.vm=="web01") | .vf_address')
db01_vf=$(st '.allocations[] | select(.vm=="db01") | .vf_address')
check_eq "db01's VF is on vfio-pci" vfio-pci "$(drv "$db01_vf")"
check_eq "web01 holds two VFs" 2 "$(echo "$vfs" | wc -w)"
for vf in $vfs; do
	check_eq "$vf driver is vfio-pci" vfio-pci "$(drv "$vf")"
	check "$vf /dev/vfio/$(grp "$vf") exists" test -c "/dev/vfio/$(grp "$vf")"
	check "$vf group is viable (VFIO_GROUP_GET_STATUS)" "$VMPROGS/vfio-group-status" "$(grp "$vf")"
done
check_eq "$PF3 driver is vfio-pci" vfio-pci "$(drv $PF3)"
check_fails "$PF3 has no netdev on the host any more" ls /sys/bus/pci/devices/$PF3/net
check "$PF3 group is viable (VFIO_GROUP_GET_STATUS)" "$VMPROGS/vfio-group-status" "$(grp $PF3)"
# status shows the whole device too, its driver as sysfs has it.
"$VFMGR" status
"$VFMGR" status --json >/tmp/status.json
check_eq "status --json: nfv01's whole device, its driver as sysfs says" \
	"nfv01 $PF3 $(drv $PF3) ok" "$(jq -r '.devices[] | "\(.vm) \(.address) \(.driver) \(.status)"' /tmp/status.json)"
check "status (table) lists nfv01's whole device" grep -qE "^nfv01 +pt0 +$PF3 +vfio-pci +ok$" \
	<<<"$("$VFMGR" status)"
check "status --json with a whole device matches doc/schema/status.schema.json" \
	"$VFMGR_TOP/tests/json-schema.sh" "$VFMGR_TOP/doc/schema/status.schema.json" /tmp/status.json
ip -d link show "$(ls /sys/bus/pci/devices/$PF1/net)" | grep 'vf '
check "MAC and VLAN were set on the PF side before the VF went to vfio-pci" \
	sh -c "ip -d link show $(ls /sys/bus/pci/devices/$PF1/net) | grep -q 'link/ether 52:54:00:00:01:01 .*vlan 100, qos 3'"
check "web01's leg b VF has its own MAC (derived, vfmgr-policy(5) mac-b)" \
	sh -c "ip -d link show $(ls /sys/bus/pci/devices/$PF2/net) | grep -q 'link/ether f2:83:ca:89:ac:9b .*vlan 100, qos 3'"

# A QEMU in the guest, started with exactly what qemu-args prints.
run_qemu() { # NAME EXPECTED-IDS EXTRA-ARGS...
	local name=$1 want=$2 sock=/tmp/q-$1.sock
	shift 2
	rm -f "$sock"
	qemu-system-x86_64 -machine q35 -accel tcg -m 256 -nodefaults -display none -S \
		-qmp "unix:$sock,server=on,wait=off" "$@" >/tmp/q-$name.log 2>&1 &
	local pid=$!
	wait_for "$sock" 60
	sleep 1
	echo '{"execute":"query-pci"}' | python3 "$VFMGR_TOP/tests/vm/qmp.py" "$sock" >/tmp/q-$name.json
	echo '{"execute":"quit"}' | python3 "$VFMGR_TOP/tests/vm/qmp.py" "$sock" >/dev/null
	wait "$pid"
	cat /tmp/q-$name.log
	# Devices behind root ports are nested under their bridge: walk everything.
	got=$(jq -r '[.. | objects | select(.id? | type == "object" and has("vendor")) |
		"\(.id.vendor):\(.id.device)"] | sort | join(" ")' /tmp/q-$name.json)
	echo "$name: query-pci shows $got"
	for id in $want; do
		check "$name: QEMU shows $id" grep -qw "$id" <<<"$got"
	done
}
args=$("$VFMGR" qemu-args web01)
echo "$args"
check_eq "qemu-args web01: two vfio-pci devices on their own root ports" 2 \
	"$(grep -c '^-device vfio-pci,host=.*,bus=vfmgr-web01-nic0b*-port,' <<<"$args")"
check_eq "qemu-args web01: two failover standbys" 2 "$(grep -c 'virtio-net-pci,.*failover=on' <<<"$args")"
check "qemu-args web01: the VFs point at their standbys" grep -q 'failover_pair_id=vfmgr-web01-nic0-standby' <<<"$args"
# The guest's net_failover pairs a standby with its VF by MAC: one MAC per failover pair.
check_eq "qemu-args web01: each standby has its leg's own MAC" \
	"mac=52:54:00:00:01:01 mac=f2:83:ca:89:ac:9b" \
	"$(grep -o 'virtio-net-pci,.*failover=on' <<<"$args" | grep -o 'mac=[0-9a-f:]*' | tr '\n' ' ' | sed 's/ $//')"
# A failover primary stays hidden until the guest's virtio-net driver accepts the standby
# feature, so a stopped (-S) QEMU shows the standbys and the root ports waiting for the VFs.
# 6900:4096 = 1af4:1000 (virtio-net), 6966:12 = 1b36:000c (pcie-root-port)
# shellcheck disable=SC2046
run_qemu web01 "6900:4096 6966:12" -netdev user,id=vfmgr-web01-nic0-net \
	-netdev user,id=vfmgr-web01-nic0b-net $("$VFMGR" qemu-args web01)
check_eq "web01 QEMU (failover) has two standbys" 2 "$(grep -o '6900:4096' <<<"$got" | wc -l)"
check "qemu-args web01 without --netdev names the netdevs the caller must define" \
	grep -q 'uses netdev vfmgr-web01-nic0b-net, which these arguments do not define' \
	<<<"$("$VFMGR" qemu-args web01 2>&1 >/dev/null)"
# qemu-args, or with --json its {"args": [...]} as the same words, one a line.
qargs() {
	if [ "$1" = --json ]; then
		shift
		"$VFMGR" qemu-args --json "$@" | jq -r '.args[]'
	else
		"$VFMGR" qemu-args "$@"
	fi
}
# Both forms with vfmgr printing the netdevs (--netdev).
for form in --json ""; do
	# shellcheck disable=SC2046,SC2086
	run_qemu "web01$form" "6900:4096 6966:12" $(qargs $form --netdev user web01)
	check_eq "web01 QEMU (qemu-args $form --netdev user) has two standbys" 2 \
		"$(grep -o '6900:4096' <<<"$got" | wc -l)"
	check_eq "web01 QEMU (qemu-args $form --netdev user) has two root ports" 2 \
		"$(grep -o '6966:12' <<<"$got" | wc -l)"
done
check "qemu-args --json: chassis is a JSON number" grep -q '"chassis":200}' \
	<<<"$(qargs --json web01 2>/dev/null)"
# The same VFs without failover: QEMU opens them through VFIO and shows them.
# 32902:4298 = 8086:10ca (82576 VF)
# shellcheck disable=SC2046
run_qemu web01-plain "32902:4298" $("$VFMGR" qemu-args web01 | grep '^-device vfio-pci' |
	sed 's/,bus=[^,]*//; s/,failover_pair_id=[^,]*//')
check_eq "web01 QEMU (plain vfio-pci) shows both 82576 VFs" 2 "$(grep -o '32902:4298' <<<"$got" | wc -l)"
for form in "" --json; do
	# shellcheck disable=SC2046,SC2086
	run_qemu "db01$form" "32902:4298" $(qargs $form db01)
	check_eq "db01 QEMU (qemu-args $form) shows its one 82576 VF" 1 \
		"$(grep -o '32902:4298' <<<"$got" | wc -l)"
done
# shellcheck disable=SC2046
run_qemu nfv01-text "32902:4297" $("$VFMGR" qemu-args nfv01)
args=$("$VFMGR" qemu-args nfv01)
echo "$args"
check_eq "qemu-args nfv01" "-device vfio-pci,host=$PF3,id=vfmgr-nfv01-pt0" "$args"
# shellcheck disable=SC2046
run_qemu nfv01 "32902:4297" $(qargs --json nfv01)
check "qemu-args --json: args with QEMU's JSON -device form" grep -q '^-device {"driver":"vfio-pci","host":"0000:03:00.0","id":"vfmgr-nfv01-pt0"}$' <<<"$("$VFMGR" qemu-args --json nfv01 | jq -r '.args | join(" ")')"
"$VFMGR" qemu-args --json web01 >/tmp/qemu-args.json 2>/dev/null
check "qemu-args --json matches doc/schema/qemu-args.schema.json" \
	"$VFMGR_TOP/tests/json-schema.sh" "$VFMGR_TOP/doc/schema/qemu-args.schema.json" /tmp/qemu-args.json
xml=$("$VFMGR" libvirt-xml web01)
echo "$xml"
check_eq "libvirt-xml: a plain hostdev per VF" 2 "$(grep -c "<hostdev mode='subsystem' type='pci' managed='no'>" <<<"$xml")"
check "libvirt-xml: the standby has the VF's mac" grep -q "<mac address='52:54:00:00:01:01'/>" <<<"$xml"
check "libvirt-xml: leg b's standby has leg b's own mac" grep -q "<mac address='f2:83:ca:89:ac:9b'/>" <<<"$xml"
check "libvirt-xml: each VF is a failover primary" grep -q "<teaming type='transient' persistent='ua-vfmgr-web01-nic0b-standby'/>" <<<"$xml"
check "libvirt-xml nfv01: hostdev" grep -q "<hostdev mode='subsystem' type='pci' managed='no'>" <<<"$("$VFMGR" libvirt-xml nfv01)"
check_fails "qemu-args for an unknown VM fails" "$VFMGR" qemu-args nosuchvm

# Release gives everything back as found.
check "release web01" "$VFMGR" release web01
for vf in $vfs; do
	check_eq "$vf back on igbvf" igbvf "$(drv "$vf")"
	check "$vf has its netdev back" ls "/sys/bus/pci/devices/$vf/net"
done
check "release db01" "$VFMGR" release db01
check_eq "db01's VF back on igbvf" igbvf "$(drv "$db01_vf")"
check "release nfv01" "$VFMGR" release nfv01
check_eq "$PF3 back on igb" igb "$(drv $PF3)"
check "$PF3 has its netdev back" ls /sys/bus/pci/devices/$PF3/net
check_eq "driver_override cleared" "(null)" "$(cat /sys/bus/pci/devices/$PF3/driver_override)"

# prepare: one VM's devices only.
check "prepare nfv01" "$VFMGR" prepare --policy "$POL" nfv01
check_eq "prepare nfv01: $PF3 on vfio-pci" vfio-pci "$(drv $PF3)"
check_eq "prepare nfv01: web01 untouched" 0 "$(st '[.allocations[] | select(.vm=="web01")] | length')"
check "release nfv01 again" "$VFMGR" release nfv01

# The libvirt hook: prepare on "prepare begin", release on "release end", other domains alone.
hook=$VFMGR_TOP/contrib/libvirt-hook
export VFMGR_POLICY=$POL
check "hook: prepare begin nfv01" env VFMGR="$VFMGR" "$hook" nfv01 prepare begin -
check_eq "hook: nfv01's PF on vfio-pci" vfio-pci "$(drv $PF3)"
check "hook: an unmanaged domain is left alone" env VFMGR="$VFMGR" "$hook" otherdomain prepare begin -
check "hook: release end nfv01" env VFMGR="$VFMGR" "$hook" nfv01 release end -
check_eq "hook: nfv01's PF back on igb" igb "$(drv $PF3)"
check "hook: release of an unmanaged domain is fine" env VFMGR="$VFMGR" "$hook" otherdomain release end -

# Refusal: the device that carries the management path is never passed through.
if2=$(ls /sys/bus/pci/devices/$PF2/net)
ip addr add 192.0.2.10/24 dev "$if2"
ip route add default via 192.0.2.1 dev "$if2" onlink
sed 's/- pf: uplink-c/- pf: uplink-b/; s/redundant: true/redundant: false/' "$POL" |
	sed '/name: uplink-b/,/numvfs: 4/{/numvfs: 4/d}' | sed 's/pfs: \[uplink-a, uplink-b\]/pfs: [uplink-a]/' >/tmp/mgmt.yaml
cat /tmp/mgmt.yaml
before=$(for d in $PF1 $PF2 $PF3; do echo "$d $(drv $d) $(cat /sys/bus/pci/devices/$d/sriov_numvfs)"; done)
cp "$VFMGR_STATE" /tmp/state.before
out=$("$VFMGR" apply --allow pf-reset /tmp/mgmt.yaml 2>&1)
echo "$out"
check "passing the management device through is refused" grep -q "carries the host's management path (default route via $if2); it is never passed through" <<<"$out"
check_eq "nothing changed (drivers, numvfs)" "$before" \
	"$(for d in $PF1 $PF2 $PF3; do echo "$d $(drv $d) $(cat /sys/bus/pci/devices/$d/sriov_numvfs)"; done)"
check "state file unchanged" cmp /tmp/state.before "$VFMGR_STATE"
finish
