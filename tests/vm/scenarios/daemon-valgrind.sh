#!/bin/bash
# vfmgr daemon after a crash and under valgrind: a CLI apply killed with SIGKILL half way
# (VFs made on the first PF, nothing else) leaves a state file the daemon reads and a host it
# converges; then valgrind watches the daemon through as many drift -> heal cycles as fit in
# CYCLE_SECONDS (default 75) and must report no errors and no leaks.
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
POL=$VFMGR_TOP/examples/lab.yaml
LOG=/tmp/daemon.log
PF1=0000:01:00.0
PF2=0000:02:00.0
CYCLE_SECONDS=${CYCLE_SECONDS:-75}
if1=$(ls /sys/bus/pci/devices/$PF1/net)
if2=$(ls /sys/bus/pci/devices/$PF2/net)
ip link set "$if1" up
ip link set "$if2" up
numvfs() { cat /sys/bus/pci/devices/$1/sriov_numvfs; }
vf_vlan() { ip -d link show "$1" | grep -E "^ +vf $2 " | grep -q "vlan $3,"; }

# Kill -9 the CLI in the middle of its apply: every write(2) is held 1 s by strace, so the
# kill lands right after the first PF's VFs exist and before their settings or the second PF.
strace -f -o /dev/null -e trace=write -e inject=write:delay_exit=1000000 "$VFMGR" apply --allow pf-reset "$POL" &
SPID=$!
for _ in $(seq 300); do
	[ "$(numvfs $PF1)" = 4 ] && break
	sleep 0.05
done
CPID=$(cat /proc/$SPID/task/$SPID/children)
kill -9 $CPID
wait $SPID
echo "# killed the CLI (pid $CPID): $PF1 numvfs $(numvfs $PF1), $PF2 numvfs $(numvfs $PF2)"
check_eq "the kill left the host half done ($PF2 has no VFs)" 0 "$(numvfs $PF2)"
check "the state file parses after the kill" jq -e .allocations "$VFMGR_STATE"

# The daemon starts, under valgrind, and converges from there.
valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible \
	--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
	--track-fds=no --child-silent-after-fork=yes --log-file=/tmp/valgrind.txt \
	"$VFMGR" -v -v daemon --policy "$POL" >$LOG 2>&1 &
DPID=$!
db_vf() { jq -r '.allocations[] | select(.vm=="db01") | .vf' "$VFMGR_STATE"; }
for _ in $(seq 600); do
	[ "$(numvfs $PF2)" = 4 ] && vf_vlan "$if1" "$(db_vf)" 200 && break
	sleep 0.1
done
check_eq "daemon converged after the killed CLI: $PF2 numvfs" 4 "$(numvfs $PF2)"
check "daemon converged: db01's VF has vlan 200" vf_vlan "$if1" "$(db_vf)" 200
check "the state file parses" jq -e .allocations "$VFMGR_STATE"
check "status: every allocation ok" sh -c '"$VFMGR" status --json | jq -e "[.vfs[].status] | all(. == \"ok\")"'

# Drift -> heal, repeated, under valgrind.
vf=$(db_vf)
cycles=0
start=$(date +%s)
while [ $(($(date +%s) - start)) -lt "$CYCLE_SECONDS" ]; do
	ip link set "$if1" vf "$vf" vlan $((900 + cycles % 50))
	t0=$SECONDS
	while [ $((SECONDS - t0)) -lt 60 ]; do
		vf_vlan "$if1" "$vf" 200 && break
		sleep 0.1
	done
	vf_vlan "$if1" "$vf" 200 || break
	cycles=$((cycles + 1))
done
elapsed=$(($(date +%s) - start))
echo "# valgrind: $cycles drift/heal cycles in ${elapsed}s"
check "valgrind: every drift healed ($cycles cycles)" vf_vlan "$if1" "$vf" 200
check "valgrind: at least 10 cycles" test "$cycles" -ge 10
kill -TERM $DPID
wait $DPID
rc=$?
grep -E "stopped after" $LOG
grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|in use at exit" /tmp/valgrind.txt | sed 's/^/# /'
check_eq "valgrind: daemon exits 0 (99 = errors or leaks)" 0 "$rc"
check "valgrind: 0 errors" grep -q "ERROR SUMMARY: 0 errors" /tmp/valgrind.txt
[ "$rc" = 0 ] || tail -n 60 /tmp/valgrind.txt
echo "# --- daemon log (last 60 lines) ---"
tail -n 60 $LOG
finish
