#!/bin/bash
# vfmgr guest-config, read by its real consumer: Debian's `netplan generate` (netplan.io) turns
# each VM's output (the VMs of examples/demo.yaml, lab.yaml and full.yaml) into systemd-networkd
# files, which must carry every MAC the output matches, net_failover's driver match, each bond
# with its mode, primary leg and link monitoring, and the MTU. Also: the YAML and --json are
# one model.
# netplan generate runs in a mount namespace of its own, with /etc and /run read-only and its
# calls of udevadm and systemctl replaced by /bin/true, so it changes nothing on this machine;
# it writes only under a temporary --root-dir. Needs root (unshare) and netplan.io. TAP lines.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${VFMGR:-$TOP/build/vfmgr}
n=0
fails=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
	fails=$((fails + 1))
}

if ! command -v netplan >/dev/null; then
	echo "not ok 1 - netplan is installed (apt-get install netplan.io: sudo make deps)"
	exit 1
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/vfmgr-netplan.XXXXXX")
trap 'rm -rf "$T"' EXIT

# generate ROOT: netplan generate --root-dir ROOT, sealed off from the machine.
generate() {
	unshare --mount --propagation private sh -ec '
		mount --bind /bin/true /bin/udevadm
		mount --bind /bin/true /bin/systemctl
		for d in /etc /run; do mount --bind "$d" "$d"; mount -o remount,bind,ro "$d"; done
		exec env -u SNAP netplan generate --root-dir "$1"' sh "$1"
}

# has FILE LINE: FILE holds LINE exactly.
has() { [ -f "$1" ] && grep -qxF -- "$2" "$1"; }

# check_vm POLICY VM: one VM's output through netplan; its ethernets and bonds, read from the
# JSON form, must all be in the networkd files.
check_vm() {
	local pol=$1 name=$2 d=$T/$(basename "$1" .yaml)-$2 vm net id mac drv bond prim err
	vm="$(basename "$1" .yaml) $2"
	mkdir -p "$d/root/etc/netplan"
	if ! "$B" guest-config --policy "$pol" "$name" >"$d/root/etc/netplan/50-vfmgr.yaml" 2>"$d/err" ||
		! "$B" guest-config --json --policy "$pol" "$name" >"$d/out.json" 2>>"$d/err"; then
		notok "$vm: guest-config runs" "$(cat "$d/err")"
		return
	fi
	chmod 600 "$d/root/etc/netplan/50-vfmgr.yaml"
	if /usr/bin/python3 -c 'import json, sys, yaml
sys.exit(yaml.safe_load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
		"$d/root/etc/netplan/50-vfmgr.yaml" "$d/out.json" 2>"$d/py"; then
		ok "$vm: the YAML and --json are the same model"
	else
		notok "$vm: the YAML and --json are the same model" "$(tail -n 3 "$d/py")" \
			"YAML: $(tr '\n' ' ' <"$d/root/etc/netplan/50-vfmgr.yaml" | cut -c1-300)" \
			"JSON: $(jq -c . "$d/out.json" 2>&1 | cut -c1-300)"
	fi
	if ! err=$(generate "$d/root" 2>&1) || [ -n "$err" ]; then
		notok "$vm: netplan generate accepts guest-config's output" "$err"
		return
	fi
	ok "$vm: netplan generate accepts guest-config's output"
	net=$d/root/run/systemd/network
	ls "$net" 2>/dev/null | sed "s/^/# $vm: /"
	while read -r id mac drv mtu; do
		[ -z "$id" ] && continue
		if has "$net/10-netplan-$id.network" "PermanentMACAddress=$mac" &&
			{ [ "$drv" = - ] || has "$net/10-netplan-$id.network" "Driver=$drv"; } &&
			{ [ "$mtu" = - ] || has "$net/10-netplan-$id.network" "MTUBytes=$mtu"; }; then
			ok "$vm: $id.network matches $mac$([ "$drv" != - ] && echo " and driver $drv")$([ "$mtu" != - ] && echo ", mtu $mtu")"
		else
			notok "$vm: $id.network matches $mac, driver $drv, mtu $mtu" \
				"$(cat "$net/10-netplan-$id.network" 2>&1)"
		fi
	done < <(jq -r '.network.ethernets // {} | to_entries[] |
		"\(.key) \(.value.match.macaddress) \(.value.match.driver // "-") \(.value.mtu // "-")"' \
		"$d/out.json")
	while read -r bond prim mtu; do
		[ -z "$bond" ] && continue
		local f=$net/10-netplan-$bond.netdev missing=
		for l in "Kind=bond" "Mode=active-backup" "MIIMonitorSec=100ms" "FailOverMACPolicy=active" \
			$([ "$mtu" != - ] && echo "MTUBytes=$mtu"); do
			has "$f" "$l" || missing="$missing $l"
		done
		if [ -z "$missing" ]; then
			ok "$vm: $bond.netdev is an active-backup bond with MII monitoring$([ "$mtu" != - ] && echo ", mtu $mtu")"
		else
			notok "$vm: $bond.netdev is an active-backup bond with MII monitoring$([ "$mtu" != - ] && echo ", mtu $mtu")" \
				"missing:$missing" "$(cat "$f" 2>&1)"
		fi
		for id in $(jq -r ".network.bonds.\"$bond\".interfaces[]" "$d/out.json"); do
			if has "$net/10-netplan-$id.network" "Bond=$bond" &&
				{ [ "$id" != "$prim" ] || has "$net/10-netplan-$id.network" "PrimarySlave=true"; }; then
				ok "$vm: $id is in $bond$([ "$id" = "$prim" ] && echo ", its primary")"
			else
				notok "$vm: $id is in $bond (primary $prim)" "$(cat "$net/10-netplan-$id.network" 2>&1)"
			fi
		done
	done < <(jq -r '.network.bonds // {} | to_entries[] |
		"\(.key) \(.value.parameters.primary) \(.value.mtu // "-")"' "$d/out.json")
}

for pol in "$TOP/examples/demo.yaml" "$TOP/examples/lab.yaml" "$TOP/examples/full.yaml"; do
	for vm in $("$B" __complete-vms --policy "$pol"); do
		check_vm "$pol" "$vm"
	done
done

# What examples/demo.yaml's web01 (redundant + migratable) must come to, whatever the JSON
# says: two failover masters, each its own leg's MAC (vfmgr-policy(5)), bonded.
net=$T/demo-web01/root/run/systemd/network
want="52:54:00:00:01:01 bond0 f2:83:ca:89:ac:9b bond0"
got=$(for f in "$net"/*.network; do
	grep -q '^Driver=net_failover$' "$f" &&
		echo "$(sed -n 's/^PermanentMACAddress=//p' "$f") $(sed -n 's/^Bond=//p' "$f")"
done 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//')
if [ "$got" = "$want" ]; then
	ok "demo web01: two net_failover masters with their own MACs, both in bond0"
else
	notok "demo web01: two net_failover masters with their own MACs, both in bond0" \
		"expected: $want" "actual:   $got"
fi
echo "1..$n"
[ "$fails" = 0 ]
