#!/bin/bash
# P1 and P2 in the lab, same boot for every pair so the ratios are fair.
# P1: VF settings on N netdevsim VFs: vfmgr apply against the floor (one process, one
#     RTM_GETLINK, one RTM_SETLINK with every VF) and an `ip link set PF vf N ...` loop doing the
#     same settings (MAC, VLAN+QoS, max/min rate, spoof check, trust).
# P2: a second apply on the converged host: its netlink and sysfs writes, its time, and that
#     time against `vfmgr check` of the same policy.
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

FLOOR=$VFMGR_TOP/build/bench/lab/vf-floor
# With five sessions sharing two cores, one slow run says little: each pair of programs runs
# interleaved (A B A B ...), RUNS times, and each keeps its fastest run, so a burst of load
# costs both alike. CMD may use $RUN (1..RUNS).
RUNS=${BENCH_RUNS:-7}
elapsed() {
	local t0
	t0=$(now)
	"$@" >/dev/null 2>&1 || echo "failed: $*" >&2
	echo "$(now) - $t0" | bc
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
# best_pair "CMD A" "CMD B": sets BEST_A and BEST_B (seconds).
# Functions, not command strings: the checkout's path may hold spaces.
vfmgr_apply() { "$VFMGR" apply --allow pf-reset /tmp/p.yaml; }
vfmgr_check() { "$VFMGR" check /tmp/p.yaml; }
best_pair() {
	BEST_A= BEST_B=
	for RUN in $(seq 1 "$RUNS"); do
		BEST_A=$(min "$BEST_A" "$(elapsed $1)")
		BEST_B=$(min "$BEST_B" "$(elapsed $2)")
	done
}
ip_loop() { # N VLAN: the same settings, one `ip link set` per VF
	local i
	for i in $(seq 0 $(($1 - 1))); do
		ip link set "$IF" vf "$i" mac "$(mac "$i")" vlan "$2" qos 2 max_tx_rate $((100 + i)) \
			min_tx_rate 10 spoofchk on trust on 2>/dev/null || echo "vf $i" >>/tmp/loop-fails
	done
}
# Each vfmgr run gets a VLAN no earlier run used, so it has every VF to write, like the others.
vfmgr_run() { "$VFMGR" apply --allow pf-reset "/tmp/p$RUN.yaml"; }
floor_run() { vlan=$((vlan + 1)); "$FLOOR" "$IF" "$N" "$vlan"; }
loop_run() { vlan=$((vlan + 1)); ip_loop "$N" "$vlan"; }

printf '%-5s %9s %9s %9s %8s %8s %6s %8s %8s %8s %8s %8s\n' VFs "floor s" "vfmgr s" \
	"ip loop s" vfmgr/fl loop/vf fails sendmsg SETLINK "P2 wr" "P2 s" "P2/check"
vlan=100
for N in 16 64 256; do
	fresh "$N"
	# Warm-up: page cache, the kernel's VF structures, the dynamic loader's work.
	vlan=$((vlan + 1))
	policy "$N" "$vlan" >/tmp/p.yaml
	"$VFMGR" apply --allow pf-reset /tmp/p.yaml >/dev/null 2>&1 || echo "vfmgr apply failed for $N VFs"
	"$FLOOR" "$IF" "$N" $((vlan + 1)) || echo "vf-floor failed for $N VFs"
	vlan=$((vlan + 2))
	for r in $(seq 1 "$RUNS"); do
		policy "$N" $((vlan + r)) >/tmp/p$r.yaml
	done
	vlan=$((vlan + RUNS + 1))
	# floor_run's VLANs (it counts up from here) are never one of the policies'.
	vlan=$((vlan + 500))
	best_pair vfmgr_run floor_run
	t_vfmgr=$BEST_A t_floor=$BEST_B
	# The loop is 20-200x slower than both: one run of it is enough for its ratio.
	: >/tmp/loop-fails
	t0=$(now)
	loop_run
	t_loop=$(echo "$(now) - $t0" | bc)
	fails=$(wc -l </tmp/loop-fails)
	# The same kind of apply again, under strace, for the message counts only.
	vlan=$((vlan + 1))
	policy "$N" "$vlan" >/tmp/p.yaml
	strace -f -yy -o /tmp/st.txt -e trace=sendmsg "$VFMGR" apply --allow pf-reset /tmp/p.yaml >/dev/null 2>&1
	sends=$(grep -c 'sendmsg(' /tmp/st.txt)
	setlinks=$(grep -c 'RTM_SETLINK' /tmp/st.txt)
	# P2: converged, against vfmgr check of the same policy.
	best_pair vfmgr_apply vfmgr_check
	t_p2=$BEST_A t_check=$BEST_B
	strace -f -yy -o /tmp/st2.txt -e trace=sendmsg,openat "$VFMGR" apply --allow pf-reset /tmp/p.yaml >/dev/null 2>&1
	p2w=$(($(grep -c RTM_SETLINK /tmp/st2.txt) + $(grep -E 'O_WRONLY|O_RDWR' /tmp/st2.txt | grep -vc '/run/vfmgr/lock')))
	printf '%-5s %9.3f %9.3f %9.3f %7.2fx %7.1fx %6s %8s %8s %8s %8.3f %7.2fx\n' "$N" \
		"$t_floor" "$t_vfmgr" "$t_loop" "$(echo "$t_vfmgr / $t_floor" | bc -l)" \
		"$(echo "$t_loop / $t_vfmgr" | bc -l)" "$fails" "$sends" "$setlinks" "$p2w" "$t_p2" \
		"$(echo "$t_p2 / $t_check" | bc -l)"
done
echo "(vfmgr and floor, P2 and check: best of $RUNS interleaved runs after a warm-up; ip loop: one run; whole processes; floor = bench/lab/vf-floor.c: one RTM_GETLINK"
echo " and one RTM_SETLINK with every VF; fails = VFs the ip loop could not set: iproute2 reads"
echo " the VF list with statistics, which stops fitting its 64 KiB attribute past ~220 VFs)"
