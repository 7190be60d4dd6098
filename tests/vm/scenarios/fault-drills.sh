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

steps=$("$VFMGR" plan --json "$POL" | jq length)
echo "the plan has $steps steps"
check "the plan has steps to fail" test "$steps" -gt 3
before=$(host_view)
state_before=$(state_view)
for k in $(seq 1 "$steps"); do
	out=$(VFMGR_TEST_FAIL_STEP=$k "$VFMGR" apply --allow pf-reset "$POL" 2>&1)
	rc=$?
	echo "$out" | grep -E 'error' | tail -n 3
	check_eq "fail at step $k of $steps: apply fails" 1 "$rc"
	check "fail at step $k: rollback reported complete" grep -q "rolled back:" <<<"$out"
	after=$(host_view)
	if [ "$after" = "$before" ]; then
		pass "fail at step $k: host as before (drivers, overrides, numvfs, ip -d link, ethtool -l/-x)"
	else
		fail "fail at step $k: host as before" "$(diff <(echo "$before") <(echo "$after") | head -n 10)"
	fi
	check_eq "fail at step $k: state file unchanged" "$state_before" "$(state_view)"
done

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
