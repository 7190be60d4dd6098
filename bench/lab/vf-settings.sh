#!/bin/bash
# P1 and P2 in the lab, same boot for every pair so the ratios are fair.
# P1: VF settings on N netdevsim VFs: vfmgr apply against an `ip link set PF vf N ...` loop
#     doing the same settings (MAC, VLAN+QoS, max/min rate, spoof check, trust).
# P2: a second apply on the converged host: its netlink and sysfs writes and its time.
export VFMGR_STATE=/tmp/bench-state.json
. "$VFMGR_TOP/tests/vm/lib.sh"
nsim_pf_up
NUMVFS=/sys/bus/netdevsim/devices/netdevsim1/sriov_numvfs

mac() { printf '02:00:00:00:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }
fresh() { echo 0 >$NUMVFS; echo "$1" >$NUMVFS; rm -f "$VFMGR_STATE"; }
now() { date +%s.%N; }
policy() { # N VLAN
	echo "version: 1"
	echo "pfs: [ { name: nsim, match: { driver: netdevsim }, numvfs: $1, vf-driver: kernel } ]"
	echo "networks: [ { name: prod, vlan: $2, qos: 2, class: vm, pfs: [nsim] } ]"
	echo "vms:"
	for i in $(seq 0 $(($1 - 1))); do
		printf '  - { name: vm%03d, nics: [ { network: prod, mac: "%s", rate: { min: 10, max: %d }, trust: true } ] }\n' \
			"$i" "$(mac "$i")" $((100 + i))
	done
}

printf '%-5s %10s %10s %7s %10s %10s %12s %12s %12s\n' VFs "ip loop s" "vfmgr s" ratio \
	"loop fail" sendmsg "RTM_SETLINK" "P2 writes" "P2 s"
# netdevsim keeps VF settings across sriov_numvfs changes, so every run sets a VLAN no run
# before it used: vfmgr (which writes only what differs) then has the same work to do as
# the ip loop (which always writes).
vlan=100
for n in 16 64 256; do
	fresh "$n"
	vlan=$((vlan + 1))
	policy "$n" "$vlan" >/tmp/p.yaml
	t0=$(now)
	"$VFMGR" apply --allow pf-reset /tmp/p.yaml >/dev/null 2>&1 || echo "vfmgr apply failed for $n VFs"
	apply=$(echo "$(now) - $t0" | bc)
	vlan=$((vlan + 1))
	fails=0
	t0=$(now)
	for i in $(seq 0 $((n - 1))); do
		ip link set "$IF" vf "$i" mac "$(mac "$i")" vlan "$vlan" qos 2 max_tx_rate $((100 + i)) \
			min_tx_rate 10 spoofchk on trust on 2>/dev/null || fails=$((fails + 1))
	done
	loop=$(echo "$(now) - $t0" | bc)
	# The same kind of apply again, under strace, for the message counts only.
	vlan=$((vlan + 1))
	policy "$n" "$vlan" >/tmp/p.yaml
	strace -f -yy -o /tmp/st.txt -e trace=sendmsg "$VFMGR" apply --allow pf-reset /tmp/p.yaml >/dev/null 2>&1
	sends=$(grep -c 'sendmsg(' /tmp/st.txt)
	setlinks=$(grep -c 'RTM_SETLINK' /tmp/st.txt)
	# P2: converged.
	t0=$(now)
	"$VFMGR" apply --allow pf-reset /tmp/p.yaml >/dev/null 2>&1
	p2=$(echo "$(now) - $t0" | bc)
	strace -f -yy -o /tmp/st2.txt -e trace=sendmsg,openat "$VFMGR" apply --allow pf-reset /tmp/p.yaml >/dev/null 2>&1
	p2w=$(($(grep -c RTM_SETLINK /tmp/st2.txt) + $(grep -E 'O_WRONLY|O_RDWR' /tmp/st2.txt | grep -vc '/run/vfmgr/lock')))
	printf '%-5s %10.3f %10.3f %6.1fx %10s %10s %12s %12s %12.3f\n' "$n" "$loop" "$apply" \
		"$(echo "$loop / $apply" | bc -l)" "$fails" "$sends" "$setlinks" "$p2w" "$p2"
done
echo "(ip loop fail = VFs the loop could not set: iproute2 reads the VF list with statistics,"
echo " which stops fitting its 64 KiB attribute past ~220 VFs)"
