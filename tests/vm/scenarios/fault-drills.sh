#!/bin/bash
# vmlab: igbs=3 limit=700
# Fault drills on the real drivers with examples/demo.yaml (VF counts, VF settings, VFs and a
# whole PF to vfio-pci): a failure injected at every step k of the plan leaves the host as it
# was and the state file unchanged; kill -9 at random points of an apply, then the next apply
# converges and the state file parses; a damaged state file is a clear error that changes
# nothing.
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
POL=$VFMGR_TOP/examples/demo.yaml
trace_commands
for pf in 0000:01:00.0 0000:02:00.0; do ip link set "$(ls /sys/bus/pci/devices/$pf/net)" up; done
sleep 2
modprobe vfio-pci

# Everything apply may touch, read with independent tools.
host_view() {
	for d in $(lspci -Dn -d ::0200 | awk '{print $1}'); do
		echo "$d driver=$(basename "$(readlink /sys/bus/pci/devices/$d/driver)" 2>/dev/null)" \
			"override=$(cat /sys/bus/pci/devices/$d/driver_override)" \
			"numvfs=$(cat /sys/bus/pci/devices/$d/sriov_numvfs 2>/dev/null)"
	done
	for i in $(ls /sys/class/net); do
		[ -e "/sys/class/net/$i/device" ] || continue
		ip -d link show "$i" | grep -E '^ +vf ' | sed "s/^/$i /"
		ethtool -l "$i" 2>/dev/null | sed "s/^/$i /"
		ethtool -x "$i" 2>/dev/null | sed "s/^/$i /"
	done
}
state_view() { cat "$VFMGR_STATE" 2>/dev/null || echo "(no state file)"; }

steps=$("$VFMGR" plan --json "$POL" | jq '.steps | length')
echo "the plan has $steps steps"
check "the plan has steps to fail" test "$steps" -gt 3
before=$(host_view)
state_before=$(state_view)
# A failure injected before step k: the rollback leaves host and state as they were.
fail_each_step() {
	local k out rc after
	for k in $(seq 1 "$steps"); do
		out=$(VFMGR_TEST_FAIL_STEP=$k "$VFMGR_TEST" apply --allow pf-reset "$POL" 2>&1)
		rc=$?
		echo "$out" | grep -E 'error' | tail -n 3
		check_eq "$1fail at step $k of $steps: apply fails" 1 "$rc"
		check "$1fail at step $k: rollback reported complete" grep -q "rolled back:" <<<"$out"
		after=$(host_view)
		if [ "$after" = "$before" ]; then
			pass "$1fail at step $k: host as before (drivers, overrides, numvfs, ip -d link, ethtool -l/-x)"
		else
			fail "$1fail at step $k: host as before" "$(diff <(echo "$before") <(echo "$after") | head -n 10)"
		fi
		check_eq "$1fail at step $k: state file unchanged" "$state_before" "$(state_view)"
	done
}
# A failure half way through a step (VFMGR_TEST_FAULT=POINT[:N]): the step puts back its own
# partial change, the rollback the rest, and the log says so only when it is true.
fail_half_way() { # TAG FAULT WHAT POLICY BEFORE STATE_BEFORE
	local out rc after
	out=$(VFMGR_TEST_FAULT=$2 "$VFMGR_TEST" apply --allow pf-reset "$4" 2>&1)
	rc=$?
	echo "$out" | grep -E 'error|back' | tail -n 4
	check_eq "$1$3 fails half way: apply fails" 1 "$rc"
	check "$1$3: the fault hit half way" grep -q "${2%%:*}: failing on purpose" <<<"$out"
	check "$1$3: the step says it left nothing changed" \
		grep -q "rolled back: the failed step left nothing changed" <<<"$out"
	after=$(host_view)
	if [ "$after" = "$5" ]; then
		pass "$1$3: host as before"
	else
		fail "$1$3: host as before" "$(diff <(echo "$5") <(echo "$after") | head -n 10)"
	fi
	check_eq "$1$3: state file unchanged" "$6" "$(state_view)"
}
# N->0->M needs VFs to start from: two on uplink-a, no VF driver (a probed igbvf gives its VF a
# random MAC, which fresh VFs would not have again).
NPOL=/tmp/numvfs.yaml
numvfs_policy() {
	printf 'version: 1\npfs:\n  - name: uplink-a\n    match: { pci: "0000:01:00.0" }\n' >$NPOL
	printf '    switch: tor-a\n    numvfs: %s\n' "$1" >>$NPOL
}
fail_numvfs_half_way() {
	local b sb
	echo 0 >/sys/bus/pci/devices/0000:01:00.0/sriov_drivers_autoprobe
	numvfs_policy 2
	check "$1numvfs 0 -> 2 for the N->0->M drill" "$VFMGR" apply --allow pf-reset "$NPOL"
	b=$(host_view)
	sb=$(state_view)
	numvfs_policy 3
	fail_half_way "$1" numvfs-zero "numvfs 2 -> 0 -> 3" "$NPOL" "$b" "$sb"
	echo 0 >/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs
	echo 1 >/sys/bus/pci/devices/0000:01:00.0/sriov_drivers_autoprobe
	rm -f "$VFMGR_STATE"
}
# FAULT_ROUNDS (the soak, tests/vm/soak/) repeats the drills that drive the drivers hardest.
rounds=${FAULT_ROUNDS:-1}
for round in $(seq 1 "$rounds"); do
	[ "$rounds" = 1 ] && tag= || tag="round $round: "
	t0=$(cut -d' ' -f1 /proc/uptime)
	fail_each_step "$tag"
	fail_half_way "$tag" vfio-unbound "a VF's bind to vfio-pci" "$POL" "$before" "$state_before"
	fail_half_way "$tag" vfio-unbound:3 "the whole PF's bind to vfio-pci" "$POL" "$before" \
		"$state_before"
	fail_numvfs_half_way "$tag"
	[ "$rounds" = 1 ] || echo "# ${tag}took $(echo "$(cut -d' ' -f1 /proc/uptime) - $t0" | bc)s"
done

# The production build has no fault hooks: with both variables set it applies as usual.
check "production vfmgr ignores VFMGR_TEST_FAIL_STEP and VFMGR_TEST_FAULT" \
	env VFMGR_TEST_FAIL_STEP=1 VFMGR_TEST_FAULT=vfio-unbound "$VFMGR" apply --allow pf-reset "$POL"
check_eq "production vfmgr with the fault variables: converged" \
	"no changes: the host matches the policy" "$("$VFMGR" plan "$POL" 2>&1)"
"$VFMGR" release web01 >/dev/null 2>&1
"$VFMGR" release nfv01 >/dev/null 2>&1
for pf in 0000:01:00.0 0000:02:00.0; do echo 0 >/sys/bus/pci/devices/$pf/sriov_numvfs; done
rm -f "$VFMGR_STATE"

# kill -9 in the middle of an apply, at a different moment each time; then an apply converges.
for seed in 1 2 3 4 5; do
	"$VFMGR" apply --allow pf-reset "$POL" >/dev/null 2>&1 &
	pid=$!
	delay=$(awk -v s="$seed" 'BEGIN { srand(s); printf "%.2f", rand() * 2.5 }')
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ -f "$VFMGR_STATE" ]; then
		check "kill -9 after ${delay}s: state file parses" jq -e .allocations "$VFMGR_STATE"
	else
		pass "kill -9 after ${delay}s: no state file yet"
	fi
	check "kill -9 after ${delay}s: the next apply succeeds" "$VFMGR" apply --allow pf-reset "$POL"
	check_eq "kill -9 after ${delay}s: then converged" "no changes: the host matches the policy" \
		"$("$VFMGR" plan "$POL" 2>&1)"
	check "kill -9 after ${delay}s: status reads the state" "$VFMGR" status
	# Back to a clean host for the next seed.
	"$VFMGR" release web01 >/dev/null 2>&1
	"$VFMGR" release nfv01 >/dev/null 2>&1
	for pf in 0000:01:00.0 0000:02:00.0; do echo 0 >/sys/bus/pci/devices/$pf/sriov_numvfs; done
	rm -f "$VFMGR_STATE"
done

# A damaged state file: a clear error naming the file, nothing applied.
before=$(host_view)
for kind in truncated empty garbage; do
	"$VFMGR" apply --allow pf-reset "$POL" >/dev/null 2>&1
	cp "$VFMGR_STATE" /tmp/good.json
	case $kind in
	truncated) head -c 200 /tmp/good.json >"$VFMGR_STATE" ;;
	empty) : >"$VFMGR_STATE" ;;
	garbage) echo 'this is { not json' >"$VFMGR_STATE" ;;
	esac
	applied=$(host_view)
	out=$("$VFMGR" apply --allow pf-reset "$POL" 2>&1)
	rc=$?
	echo "$out"
	check_eq "$kind state file: apply fails" 1 "$rc"
	check "$kind state file: the error names the file" grep -q "^vfmgr: error: $VFMGR_STATE:" <<<"$out"
	check "$kind state file: the error says how to rebuild it" grep -q "STATE FILE, to rebuild it" <<<"$out"
	check_eq "$kind state file: nothing changed" "$applied" "$(host_view)"
	# The documented rebuild: move it away and apply again.
	mv "$VFMGR_STATE" /tmp/broken.json
	check "$kind state file: rebuilt by apply" "$VFMGR" apply --allow pf-reset "$POL"
	check_eq "$kind state file: rebuilt state is converged" "no changes: the host matches the policy" \
		"$("$VFMGR" plan "$POL" 2>&1)"
	"$VFMGR" release web01 >/dev/null 2>&1
	"$VFMGR" release nfv01 >/dev/null 2>&1
	for pf in 0000:01:00.0 0000:02:00.0; do echo 0 >/sys/bus/pci/devices/$pf/sriov_numvfs; done
	rm -f "$VFMGR_STATE"
done
finish
