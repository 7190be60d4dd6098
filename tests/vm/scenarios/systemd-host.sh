#!/bin/bash
# vmlab: init=systemd
# vfmgr as a Debian service: the guest boots systemd as PID 1 with vfmgr installed by
# `make install PREFIX=/usr`, /etc/vfmgr/policy.yaml in place and vfmgr.service enabled. Every
# result is read back with ip, sysfs, systemctl and journalctl: the boot (READY=1 before
# network-pre.target, no udev-settle), vfio-pci loaded by the unit on the first passthrough,
# a broken reload, a PF hot-added over QMP with the service stopped (the udev rule applies)
# and running (one apply), a stop within 3 s, and the unit's exposure score.
. "$VFMGR_TOP/tests/vm/lib.sh"
POL=/etc/vfmgr/policy.yaml
PF1=0000:01:00.0
PF2=0000:02:00.0
HOTMAC=52:54:00:12:00:09
HOTMAC2=52:54:00:12:00:0a

# The boot policy: VFs on both PFs, web01's VF (kept on igbvf) on VLAN 100, no passthrough.
policy() {
	cat <<'EOF'
version: 1
defaults: { vf-driver: kernel }
pfs:
  - { name: uplink-a, match: { pci: "0000:01:00.0" }, switch: tor-a, numvfs: 2 }
  - { name: uplink-b, match: { pci: "0000:02:00.0" }, switch: tor-b, numvfs: 2 }
EOF
	[ "${1:-0}" -ge 3 ] && echo "  - { name: uplink-c, match: { mac: \"$HOTMAC\" }, switch: tor-c, numvfs: 2 }"
	[ "${1:-0}" -ge 4 ] && echo "  - { name: uplink-d, match: { mac: \"$HOTMAC2\" }, switch: tor-d, numvfs: 2}"
	cat <<'EOF'
networks:
  - { name: prod, vlan: 100, class: vm, pfs: [uplink-a, uplink-b] }
  - { name: backend, vlan: 200, class: vm, pfs: [uplink-b] }
EOF
	[ "${1:-0}" -ge 3 ] && echo "  - { name: hot, vlan: 300, class: vm, pfs: [uplink-c] }"
	[ "${1:-0}" -ge 4 ] && echo "  - { name: hot2, vlan: 400, class: vm, pfs: [uplink-d] }"
	echo "vms:"
	echo "  - { name: web01, nics: [ { network: prod, mac: \"52:54:00:00:01:01\" } ] }"
	[ "${1:-0}" -ge 2 ] &&
		echo "  - { name: db01, nics: [ { network: backend, mac: \"52:54:00:00:02:01\", vf-driver: vfio-pci } ] }"
	[ "${1:-0}" -ge 3 ] && echo "  - { name: hot01, nics: [ { network: hot, mac: \"52:54:00:00:03:01\" } ] }"
	[ "${1:-0}" -ge 4 ] && echo "  - { name: hot02, nics: [ { network: hot2, mac: \"52:54:00:00:04:01\" } ] }"
	return 0
}

if [ "${VMLAB_PHASE:-}" = boot ]; then
	mkdir -p /etc/vfmgr
	policy 1 >$POL
	# What the network sees when it may start: a unit ordered after network-pre.target
	# records the PFs' VFs then.
	cat >/etc/vmlab-probe.sh <<EOF
#!/bin/sh
{ cat /sys/bus/pci/devices/$PF1/sriov_numvfs /sys/bus/pci/devices/$PF2/sriov_numvfs
  ip -d link show "\$(ls /sys/bus/pci/devices/$PF1/net)"; } >/run/vmlab-probe.txt 2>&1
EOF
	chmod 755 /etc/vmlab-probe.sh
	cat >/etc/systemd/system/vmlab-probe.service <<'EOF'
[Unit]
Description=vmlab: what the network finds at network-pre.target
Wants=network-pre.target
After=network-pre.target
[Service]
Type=oneshot
ExecStart=/etc/vmlab-probe.sh
[Install]
WantedBy=multi-user.target
EOF
	vmlab_enable vfmgr.service && vmlab_enable vmlab-probe.service
	exit $?
fi

ifname() { ls "/sys/bus/pci/devices/$1/net" 2>/dev/null; }
drv() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
mono() { systemctl show -P ActiveEnterTimestampMonotonic "$1"; }
cursor() { journalctl -n 0 --show-cursor | sed -n 's/^-- cursor: //p'; }
# jlog CURSOR [journalctl args]: vfmgr's journal lines since CURSOR (message text only).
jlog() {
	local c=$1
	shift
	journalctl --no-pager -o cat --after-cursor="$c" "$@"
}
# poll SECONDS CMD...: runs CMD every 0.1 s until it succeeds, for at most SECONDS (of wall
# time: under TCG one journalctl takes a while).
poll() {
	local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "${EPOCHREALTIME/./}" -gt "$end" ] && return 1
		sleep 0.1
	done
}
vf_vlan_on_mac() { # MAC VLAN: a PF with that MAC has a VF on that VLAN
	local d
	for d in /sys/class/net/*; do
		[ "$(cat "$d/address")" = "$1" ] || continue
		ip -d link show "${d##*/}" | grep -q "vlan $2," && return 0
	done
	return 1
}
hot_add() { # ID PORT MAC
	qmp "{\"execute\":\"netdev_add\",\"arguments\":{\"type\":\"hubport\",\"id\":\"n$1\",\"hubid\":0}}"
	qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"igb\",\"bus\":\"$2\",\"netdev\":\"n$1\",\"id\":\"$1\",\"mac\":\"$3\"}}"
}
applies() { grep -c "applied .* step"; }
# Each apply that creates a PF's VFs logs "ADDR: numvfs 2 (was 0)", the daemon and the CLI alike.
numvfs_applied() { grep -cE '^0000:[0-9a-f:.]+: numvfs 2 \(was 0\)$'; }

# --- boot ---------------------------------------------------------------------------------
check_eq "PID 1 is systemd" systemd "$(cat /proc/1/comm)"
check_eq "vfmgr installed by make install PREFIX=/usr" /usr/sbin/vfmgr "$(command -v vfmgr)"
check_eq "vfmgr.service enabled" enabled "$(systemctl is-enabled vfmgr.service)"
st=$(systemctl show -p ActiveState,SubState,StatusText vfmgr.service | sort | tr '\n' ' ')
echo "# $st"
check "vfmgr.service active after READY=1, STATUS= names the policy and since when" \
	grep -qE "^ActiveState=active StatusText=2 of 2 policy PFs present; policy $POL since [0-9-]+ [0-9:]+ [A-Z]+ SubState=running $" <<<"$st"
t_ready=$(mono vfmgr.service) t_pre=$(mono network-pre.target)
echo "# vfmgr active at ${t_ready} us, network-pre.target at ${t_pre} us (monotonic)"
check "vfmgr was ready before network-pre.target" test "${t_ready:-0}" -gt 0 -a "${t_ready:-0}" -le "${t_pre:-0}"
poll 10 test -s /run/vmlab-probe.txt
check_eq "at network-pre.target both PFs had their 2 VFs" "2 2" "$(head -n2 /run/vmlab-probe.txt | tr '\n' ' ' | sed 's/ $//')"
check "at network-pre.target web01's VF was on VLAN 100" grep -q "vlan 100," /run/vmlab-probe.txt
check_eq "VFs now (sysfs)" "2 2" "$(cat /sys/bus/pci/devices/$PF1/sriov_numvfs) $(cat /sys/bus/pci/devices/$PF2/sriov_numvfs)"
check_eq "systemd-udev-settle.service not pulled in" inactive "$(systemctl show -P ActiveState systemd-udev-settle.service)"
check_fails "the unit names no udev-settle" grep -q udev-settle <<<"$(systemctl show -p After,Wants,Requires vfmgr.service)"
check_fails "no udev-settle deprecation warning at boot" sh -c "journalctl -b -o cat | grep -q 'udev-settle.service is deprecated'"
check_fails "vfio-pci not loaded at boot" test -d /sys/module/vfio_pci
check_eq "no error in vfmgr's journal at boot" "" "$(journalctl -u vfmgr -p err -o cat)"

# --- the first passthrough under the unit loads vfio-pci ----------------------------------
c=$(cursor)
policy 2 >$POL
check "systemctl reload vfmgr" systemctl reload vfmgr
db_vf_on_vfio() {
	local v
	for v in /sys/bus/pci/devices/$PF2/virtfn*; do
		[ "$(drv "$(basename "$(readlink -f "$v")")")" = vfio-pci ] && return 0
	done
	return 1
}
check "db01's VF on vfio-pci (under the unit)" poll 20 db_vf_on_vfio
check "vfio-pci is loaded now" test -d /sys/module/vfio_pci
check "vfmgr.service loaded it" poll 5 sh -c "journalctl -u vfmgr -o cat --after-cursor='$c' | grep -q 'loaded the vfio-pci driver'"
check_eq "no error in vfmgr's journal from the passthrough" "" "$(jlog "$c" -u vfmgr -p err)"

# --- reload with a broken policy: the old one stays, file:line:col logged -----------------
c=$(cursor)
cp $POL /tmp/good.yaml
sed 's/numvfs: 2 }/numvfs: 2, colour: blue }/' /tmp/good.yaml >$POL
check_fails "systemctl reload of a broken policy fails" systemctl reload vfmgr
check "broken policy: error with file:line:col in the journal" \
	poll 5 sh -c "journalctl -u vfmgr -p err -o cat --after-cursor='$c' | grep -qE '^$POL:[0-9]+:[0-9]+: .*colour'"
check "broken policy: the old one kept" poll 5 sh -c "journalctl -u vfmgr -o cat --after-cursor='$c' | grep -q 'not reloaded; still running the policy loaded before'"
check_eq "still active after the broken reload" active "$(systemctl is-active vfmgr)"
prios=$(journalctl -u vfmgr -p err -o json | jq -r .PRIORITY | sort -u | tr '\n' ' ')
check "journalctl -u vfmgr -p err shows only errors (priorities: $prios)" test -n "$prios" -a -z "$(echo "$prios" | tr -d '0123 ')"
check_eq "its notices carry priority 5" 5 \
	"$(journalctl -u vfmgr -o json | jq -r 'select(.MESSAGE | test("policy loaded")) | .PRIORITY' | head -n1)"
cp /tmp/good.yaml $POL

# --- stop within 3 s ----------------------------------------------------------------------
t0=${EPOCHREALTIME/./}
systemctl stop vfmgr
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
# systemd's own clock: from the stop job's SIGTERM (deactivating) to inactive.
stop_ms=$((($(systemctl show -P InactiveEnterTimestampMonotonic vfmgr) - \
	$(systemctl show -P ActiveExitTimestampMonotonic vfmgr)) / 1000))
echo "# systemctl stop vfmgr: returned after $ms ms; the unit stopped in $stop_ms ms"
check "vfmgr.service stops within 3 s ($stop_ms ms)" test "$stop_ms" -lt 3000
check_eq "stopped cleanly" "inactive success" "$(systemctl show -P ActiveState vfmgr) $(systemctl show -P Result vfmgr)"

# --- service stopped: a hot-added PF is configured by the installed udev rule ------------
c=$(cursor)
policy 3 >$POL
hot_add hot1 hp1 $HOTMAC >/dev/null
check "stopped service: hot-added PF gets VF vlan 300 through the udev rule" poll 60 vf_vlan_on_mac $HOTMAC 300
check_eq "vfmgr.service stayed inactive" inactive "$(systemctl is-active vfmgr)"
sleep 1 # the transient unit's last lines reach the journal
echo "# --- journal after the hot-add (service stopped) ---"
jlog "$c" SYSLOG_IDENTIFIER=vfmgr -o short-monotonic | sed 's/^/# /'
units=$(journalctl --after-cursor="$c" SYSLOG_IDENTIFIER=vfmgr -o json | jq -r ._SYSTEMD_UNIT | sort -u | tr '\n' ' ')
check "the apply ran in a systemd-run unit ($units)" grep -q "^run-" <<<"$units"
check_eq "the rule applied once" 1 "$(jlog "$c" SYSLOG_IDENTIFIER=vfmgr | numvfs_applied)"

# --- service running: the same hot-add is handled once ------------------------------------
check "systemctl start vfmgr" systemctl start vfmgr
c=$(cursor)
policy 4 >$POL
systemctl reload vfmgr
check "the reload took the policy that names uplink-d" \
	poll 20 sh -c "journalctl -u vfmgr -o cat --after-cursor='$c' | grep -q 'uplink-d: no device'"
hot_add hot2 hp2 $HOTMAC2 >/dev/null
check "running service: hot-added PF gets VF vlan 400" poll 60 vf_vlan_on_mac $HOTMAC2 400
sleep 3 # any second apply (the rule's request, a reaction to our own writes) would be logged by now
echo "# --- journal after the hot-add (service running) ---"
jlog "$c" SYSLOG_IDENTIFIER=vfmgr -o short-monotonic | sed 's/^/# /'
check "the udev rule ran (a systemd-run unit)" sh -c "journalctl --after-cursor='$c' -o json | jq -r ._SYSTEMD_UNIT | grep -q '^run-'"
check_eq "the daemon applied once" 1 "$(jlog "$c" -u vfmgr | applies)"
# These two failed once in CI, where only the summary is seen: a failure carries the journal.
check_eq_journal() {
	if [ "$2" = "$3" ]; then
		pass "$1"
		return
	fi
	local lines
	mapfile -t lines < <(jlog "$c" SYSLOG_IDENTIFIER=vfmgr -o short-monotonic | tail -n 12)
	fail "$1" "expected: $2" "actual:   $3" "${lines[@]}"
}
check_eq_journal "VFs created once" 1 "$(jlog "$c" SYSLOG_IDENTIFIER=vfmgr | numvfs_applied)"
check_eq_journal "no error from the daemon or the rule" "" "$(jlog "$c" SYSLOG_IDENTIFIER=vfmgr -p err)"

# --- exposure ------------------------------------------------------------------------------
sec=$(systemd-analyze security --no-pager vfmgr.service 2>&1 | sed -n 's/.*exposure level for vfmgr.service: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security vfmgr.service: $sec"
check "exposure at most 3.0 ($sec)" test "$(echo "${sec:-99} <= 3.0" | bc)" = 1

echo "# --- journalctl -u vfmgr ---"
journalctl -u vfmgr -o short-monotonic --no-pager | sed 's/^/# /'
finish
