#!/bin/bash
# vmlab: igbs=3 limit=600
# Nothing lost at any point: vm alpha holds a VF on vfio-pci (uplink-a), a VF on igbvf
# (uplink-b) and the third igb PF whole. apply, prepare and release of alpha, and the daemon's
# reconcile (acquiring, then giving back), are killed with SIGKILL at every point between two
# steps (the test build's VFMGR_TEST_STOP_STEP: K = 1 is after the state's first write, before
# any change; K = steps + 1 after the last step, before the final write). After each kill no
# device is on vfio-pci and no VF has a VM's MAC or VLAN without a record in the state file,
# and the next command (apply, prepare, release, the daemon; a different one each time)
# converges, read back with sysfs and ip -d link. SIGHUP, SIGQUIT and a closed pipe at a few
# points; SIGTERM stops the daemon between steps. Then the two-VM release with the PF down:
# beta is released, alpha's rate stays pending for alpha; and alpha's own release, whose rate
# restore waits on record (releasing) until the link is back. KILL_ROUNDS (make soak) repeats the
# kill points.
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
trace_commands
PF1=0000:01:00.0
PF2=0000:02:00.0
PF3=0000:03:00.0
for pf in $PF1 $PF2; do ip link set "$(ls /sys/bus/pci/devices/$pf/net)" up; done
modprobe vfio-pci
sleep 2

POL=/tmp/kill.yaml
NOALPHA=/tmp/kill-none.yaml
pfs_and_networks() {
	cat <<'EOF'
version: 1
pfs:
  - { name: uplink-a, match: { pci: "0000:01:00.0" }, switch: tor-a, numvfs: 2 }
  - { name: uplink-b, match: { pci: "0000:02:00.0" }, switch: tor-b, numvfs: 2, vf-driver: kernel }
  - { name: uplink-c, match: { pci: "0000:03:00.0" }, switch: tor-c }
networks:
  - { name: prod, vlan: 100, qos: 3, class: vm, pfs: [uplink-a] }
  - { name: back, vlan: 200, class: vm, pfs: [uplink-b] }
EOF
}
{
	pfs_and_networks
	cat <<'EOF'
vms:
  - name: alpha
    nics:
      - { network: prod, mac: "52:54:00:00:03:01", rate: { max: 300 } }
      - { network: back, mac: "52:54:00:00:03:02" }
    passthrough:
      - pf: uplink-c
EOF
} >$POL
{
	pfs_and_networks
	echo "vms: []"
} >$NOALPHA

drv() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
pfif() { ls "/sys/bus/pci/devices/$1/net" 2>/dev/null; }
# What the drill compares: drivers, overrides and VF counts of every network function, and the
# VF lines of the two PFs with VFs.
host_view() {
	local d
	for d in $(lspci -Dn -d ::0200 | awk '{print $1}'); do
		echo "$d $(drv "$d") override=$(cat /sys/bus/pci/devices/$d/driver_override)" \
			"numvfs=$(cat /sys/bus/pci/devices/$d/sriov_numvfs 2>/dev/null)"
	done
	for d in $PF1 $PF2; do
		ip -d link show "$(pfif $d)" | grep -E '^ +vf ' | sed "s/^ */$d /"
	done
}
# No device left without a record: each function on vfio-pci is a VF or device of the state
# file, and so is each VF with a MAC of a policy VM or a VLAN.
orphans() {
	local d line vf mac vlan recorded
	recorded=$(jq -r '(.allocations[].vf_address, .passthrough[].address)' "$VFMGR_STATE" 2>/dev/null)
	for d in $(lspci -Dn -d ::0200 | awk '{print $1}'); do
		[ "$(drv "$d")" = vfio-pci ] && ! grep -qx "$d" <<<"$recorded" && echo "$d on vfio-pci, no record"
	done
	for d in $PF1 $PF2; do
		while read -r line; do
			vf=$(sed -n 's/^ *vf \([0-9]*\) .*/\1/p' <<<"$line")
			mac=$(grep -o 'link/ether [0-9a-f:]*' <<<"$line" | cut -d' ' -f2)
			vlan=$(grep -o 'vlan [0-9]*' <<<"$line" | cut -d' ' -f2)
			case $mac in 52:54:00:00:03:*) ;; *) [ -z "$vlan" ] && continue ;; esac
			jq -e --arg pf "$d" --argjson vf "$vf" \
				'[.allocations[] | select(.pf_address == $pf and .vf == $vf)] | length > 0' \
				"$VFMGR_STATE" >/dev/null 2>&1 || echo "$d vf $vf ($mac vlan ${vlan:-none}) has no record"
		done <<<"$(ip -d link show "$(pfif $d)" | grep -E '^ +vf ')"
	done
}
steps_of() { "$VFMGR" plan --json "$@" | jq '.steps | length'; }
same_view() { # NAME EXPECTED
	local now
	now=$(host_view)
	if [ "$now" = "$2" ]; then
		pass "$1"
	else
		# No /dev/fd in the guest: no process substitution.
		echo "$2" >/tmp/view.want
		echo "$now" >/tmp/view.now
		fail "$1" "$(diff /tmp/view.want /tmp/view.now | head -n 12)"
	fi
}
# stop_at K CMD...: runs the test build's CMD stopped before step K; sets PID, and STOPPED=1
# when it stopped there (0: it ended first).
stop_at() {
	local k=$1 s i
	shift
	VFMGR_TEST_STOP_STEP=$k "$VFMGR_TEST" "$@" >/tmp/drill.out 2>&1 &
	PID=$!
	STOPPED=0
	for i in $(seq 1 1200); do
		s=$(awk '{print $3}' /proc/$PID/stat 2>/dev/null)
		[ "$s" = T ] && STOPPED=1 && return
		[ -z "$s" ] || [ "$s" = Z ] && return
		sleep 0.05
	done
}
# The daemon until the host matches POLICY (a reconcile at start), then SIGTERM.
daemon_converges() {
	local pol=$1 pid ok=1
	"$VFMGR" daemon --policy "$pol" >/tmp/daemon.log 2>&1 &
	pid=$!
	wait_until 60 sh -c "\"$VFMGR\" plan $pol 2>&1 | grep -q '^no changes'" >/dev/null || ok=0
	kill -TERM $pid
	wait $pid
	[ $ok = 1 ] || { tail -n 5 /tmp/daemon.log; return 1; }
}
recover() { # HOW: one way the next run finishes, ending held (apply, prepare) or free
	case $1 in
	apply) "$VFMGR" apply --allow pf-reset $POL ;;
	prepare) "$VFMGR" prepare --policy $POL alpha ;;
	release) "$VFMGR" release alpha ;;
	apply-none) "$VFMGR" apply --allow pf-reset $NOALPHA ;;
	daemon) daemon_converges $POL ;;
	daemon-none) daemon_converges $NOALPHA ;;
	esac
}

# The base: VFs made once (a fresh igbvf VF picks a random MAC), nothing held. Held: alpha has
# everything.
check "first apply makes the VFs" "$VFMGR" apply --allow pf-reset $POL
check "release alpha: the base" "$VFMGR" release alpha
base=$(host_view)
check_eq "the base holds nothing" '0 0' "$(jq '[(.allocations | length), (.passthrough | length)] | join(" ")' -r $VFMGR_STATE)"
check "apply alpha" "$VFMGR" apply --allow pf-reset $POL
held=$(host_view)
check_eq "held: ${PF1}'s VF and $PF3 on vfio-pci" "vfio-pci vfio-pci" \
	"$(drv "$(jq -r '.allocations[] | select(.nic == 0) | .vf_address' $VFMGR_STATE)") $(drv $PF3)"
check_eq "held: ${PF2}'s VF on igbvf" igbvf \
	"$(drv "$(jq -r '.allocations[] | select(.nic == 1) | .vf_address' $VFMGR_STATE)")"
# The drill's own check can fail: without its records, what alpha holds is all orphans.
echo '{"version": 1, "allocations": [], "passthrough": []}' >/tmp/empty-state.json
check_eq "held, with an empty state: the orphans check sees 4 devices" 4 \
	"$(VFMGR_STATE=/tmp/empty-state.json orphans | wc -l)"
check "release alpha" "$VFMGR" release alpha
same_view "release gives the base back" "$base"
# One device, one owner: a VF of a policy PF cannot also be a VM's whole device.
vf0=$(basename "$(readlink /sys/bus/pci/devices/$PF1/virtfn0)")
{
	cat $POL
	printf '  - name: beta\n    passthrough: [ { pci: "%s" } ]\n' "$vf0"
} >/tmp/two-owners.yaml
out=$("$VFMGR" check /tmp/two-owners.yaml 2>&1)
echo "$out"
check "check refuses a VF of a policy PF as a whole device, at its line" \
	grep -q "two-owners.yaml:17:[0-9]*: .*vm beta: $vf0 is a VF of pf uplink-a" <<<"$out"
check_fails "plan refuses it too" "$VFMGR" plan /tmp/two-owners.yaml

points=0
# drill NAME FROM(base|held) STEPS-POLICY RECOVERIES CMD...: SIGKILL at every point of CMD
# (its plan is STEPS-POLICY's from FROM), started from the base or held; after each, no
# orphan, then the next recovery (cycled) converges, and the host goes back to FROM.
drill() {
	local name=$1 from=$2 n k how end
	local -a hows
	n=$(steps_of "$3")
	read -r -a hows <<<"$4"
	shift 4
	echo "# $name: $n steps, kill points 1..$((n + 1))"
	check "$name: the plan has steps" test "$n" -gt 1
	for ((k = 1; k <= n + 1; k++)); do
		stop_at $k "$@"
		if [ $STOPPED = 0 ]; then
			kill -KILL $PID 2>/dev/null
			wait $PID
			fail "$name: stopped at point $k of $((n + 1))" "$(tail -n 5 /tmp/drill.out)"
			break
		fi
		kill -KILL $PID
		wait $PID 2>/dev/null
		points=$((points + 1))
		check_eq "$name killed at point $k: every device it touched is on record" "" "$(orphans)"
		how=${hows[$(((k - 1) % ${#hows[@]}))]}
		check "$name killed at point $k: $how finishes the job" recover "$how"
		case $how in apply | prepare | daemon) end=held ;; *) end=free ;; esac
		if [ $end = held ]; then
			same_view "$name killed at point $k, then $how: alpha holds everything" "$held"
			check_eq "$name killed at point $k, then $how: converged" \
				"no changes: the host matches the policy" "$("$VFMGR" plan $POL 2>&1)"
			check_eq "$name killed at point $k, then $how: nothing left being released" \
				0 "$(jq '[.. | objects | select(.releasing == true)] | length' $VFMGR_STATE)"
			[ "$from" = base ] && "$VFMGR" release alpha >/dev/null 2>&1
		else
			same_view "$name killed at point $k, then $how: the base, as vfmgr found it" "$base"
			check_eq "$name killed at point $k, then $how: the state holds nothing" 0 \
				"$(jq '[.allocations[], .passthrough[]] | length' $VFMGR_STATE)"
			[ "$from" = held ] && "$VFMGR" apply --allow pf-reset $POL >/dev/null 2>&1
		fi
		[ "$from" = base ] && same_view "$name point $k: back to the base" "$base"
		[ "$from" = held ] && same_view "$name point $k: back to held" "$held"
	done
}

rounds=${KILL_ROUNDS:-1}
t0=$(cut -d' ' -f1 /proc/uptime)
for round in $(seq 1 "$rounds"); do
	drill apply base $POL "release apply prepare daemon" apply --allow pf-reset $POL
	drill prepare base $POL "prepare release apply" prepare --policy $POL alpha
	"$VFMGR" apply --allow pf-reset $POL >/dev/null 2>&1
	drill release held $NOALPHA "release prepare apply-none daemon-none" release alpha
	"$VFMGR" release alpha >/dev/null 2>&1
	drill daemon base $POL "apply release" daemon --policy $POL
	"$VFMGR" apply --allow pf-reset $POL >/dev/null 2>&1
	drill daemon-none held $NOALPHA "daemon-none release prepare" daemon --policy $NOALPHA
	"$VFMGR" release alpha >/dev/null 2>&1
done
took=$(echo "$(cut -d' ' -f1 /proc/uptime) - $t0" | bc)
echo "# kill points tried: $points (SIGKILL), in ${took}s"
check "$points kill points tried (SIGKILL, ${took}s)" test "$points" -ge 15

# SIGHUP and SIGQUIT act as SIGTERM: the step finishes, every step done is undone, and the
# run says so.
"$VFMGR" apply --allow pf-reset $POL >/dev/null 2>&1
for sig in HUP QUIT; do
	stop_at 2 release alpha
	kill -$sig $PID
	kill -CONT $PID
	wait $PID
	rc=$?
	cat /tmp/drill.out | tail -n 4
	check_eq "SIG$sig during release: exit 1" 1 $rc
	check "SIG$sig during release: it says so and rolls back" \
		grep -q "during step 2 of .*: rolling back" /tmp/drill.out
	check "SIG$sig during release: rolled back whole" grep -q "^vfmgr: error: rolled back:" /tmp/drill.out
	same_view "SIG$sig during release: alpha holds everything again" "$held"
done
"$VFMGR" release alpha >/dev/null 2>&1
stop_at 3 prepare --policy $POL alpha
if [ $STOPPED = 1 ]; then
	kill -HUP $PID
	kill -CONT $PID
fi
wait $PID
check_eq "SIGHUP during prepare: exit 1" 1 $?
same_view "SIGHUP during prepare: the base" "$base"
# A reader that goes away: the run goes on (EPIPE), it is not killed half way.
"$VFMGR" apply --allow pf-reset $POL >/dev/null 2>&1
"$VFMGR" -v release alpha 2>&1 | head -n 1 >/dev/null
check_eq "release | head -1: release finishes (SIGPIPE ignored)" 0 "${PIPESTATUS[0]}"
same_view "release | head -1: the base" "$base"
"$VFMGR" -v prepare --policy $POL alpha 2>&1 | head -n 1 >/dev/null
check_eq "prepare | head -1: prepare finishes" 0 "${PIPESTATUS[0]}"
same_view "prepare | head -1: held" "$held"
"$VFMGR" release alpha >/dev/null 2>&1
# SIGTERM stops the daemon between two steps, with the rest on record; the next run finishes.
stop_at 2 daemon --policy $POL
kill -TERM $PID
kill -CONT $PID
wait $PID
check "SIGTERM: the daemon stops between steps" grep -q "stopping after step 2 of" /tmp/drill.out
check_eq "SIGTERM: every device it touched is on record" "" "$(orphans)"
check "SIGTERM: apply finishes" "$VFMGR" apply --allow pf-reset $POL
same_view "SIGTERM, then apply: held" "$held"
"$VFMGR" release alpha >/dev/null 2>&1

# Two VMs on one PF, the PF down: releasing beta writes only beta's VFs; alpha's rate, which
# igb refuses while the link is down, waits for alpha.
TWO=/tmp/two.yaml
cat >$TWO <<'EOF'
version: 1
pfs:
  - { name: uplink-a, match: { pci: "0000:01:00.0" }, switch: tor-a, numvfs: 2, vf-driver: kernel }
networks:
  - { name: prod, vlan: 100, class: vm, pfs: [uplink-a] }
vms:
  - { name: alpha, nics: [ { network: prod, mac: "52:54:00:00:03:11", rate: { max: 300 } } ] }
  - { name: beta, nics: [ { network: prod, mac: "52:54:00:00:03:12" } ] }
EOF
if1=$(pfif $PF1)
check "two VMs: apply" "$VFMGR" apply --allow pf-reset $TWO
avf=$(jq -r '.allocations[] | select(.vm == "alpha") | .vf' $VFMGR_STATE)
bvf=$(jq -r '.allocations[] | select(.vm == "beta") | .vf' $VFMGR_STATE)
vfline() { ip -d link show "$if1" | grep -E "^ +vf $1 "; }
# alpha's rate drifts away while the link is up, then the PF goes down: it waits.
ip link set "$if1" vf "$avf" max_tx_rate 0
ip link set "$if1" down
wait_until 10 sh -c "[ \"\$(cat /sys/class/net/$if1/carrier 2>/dev/null || echo 0)\" != 1 ]" >/dev/null
out=$("$VFMGR" release beta 2>&1)
rc=$?
echo "$out" | tail -n 3
check_eq "PF down: release beta succeeds" 0 $rc
check_fails "PF down: release beta writes nothing of alpha's" grep -q "max_tx_rate 300" <<<"$out"
check_eq "PF down: beta holds nothing" "" "$(jq -r '.allocations[] | select(.vm == "beta") | .vm' $VFMGR_STATE)"
check_fails "PF down: beta's VF no longer has beta's MAC or VLAN" \
	sh -c "ip -d link show $if1 | grep -E '^ +vf $bvf ' | grep -qE '52:54:00:00:03:12|vlan 100'"
check_eq "PF down: alpha still wants max_tx_rate 300" 300 \
	"$(jq -r '.allocations[] | select(.vm == "alpha") | .want.max_tx_rate' $VFMGR_STATE)"
check_fails "PF down: alpha's VF has no rate yet" grep -q "max_tx_rate 300" <<<"$(vfline "$avf")"
ip link set "$if1" up
wait_until 20 sh -c "[ \"\$(cat /sys/class/net/$if1/carrier)\" = 1 ]" >/dev/null
check "link up: prepare alpha" "$VFMGR" prepare --policy $TWO alpha
check "link up: alpha's VF has max_tx_rate 300" grep -q "max_tx_rate 300" <<<"$(vfline "$avf")"
# alpha's own release with the PF down: igb refuses even the rate 0 that gives the VF back, so
# the VF goes back without it and its record stays, releasing, until the link is back.
ip link set "$if1" down
wait_until 10 sh -c "[ \"\$(cat /sys/class/net/$if1/carrier 2>/dev/null || echo 0)\" != 1 ]" >/dev/null
out=$("$VFMGR" release alpha 2>&1)
rc=$?
echo "$out" | tail -n 3
check_eq "PF down: release alpha succeeds" 0 $rc
check "PF down: release alpha says its rate waits for the link" grep -q "waits for $if1's link" <<<"$out"
check_fails "PF down: alpha's VF no longer has alpha's MAC or VLAN" \
	sh -c "ip -d link show $if1 | grep -E '^ +vf $avf ' | grep -qE '52:54:00:00:03:11|vlan 100'"
check_eq "PF down: alpha's record stays, releasing" "true" \
	"$(jq -r '[.allocations[] | select(.vm == "alpha") | .releasing] | tostring' $VFMGR_STATE | tr -d '[]')"
check "PF down: status shows alpha's VF as being released" grep -q "being released" <<<"$("$VFMGR" status 2>&1)"
ip link set "$if1" up
wait_until 20 sh -c "[ \"\$(cat /sys/class/net/$if1/carrier)\" = 1 ]" >/dev/null
check "link up: release alpha finishes" "$VFMGR" release alpha
check_eq "link up: alpha's record is gone" "" \
	"$(jq -r '.allocations[] | select(.vm == "alpha") | .vm' $VFMGR_STATE)"
check_fails "link up: alpha's VF has its rate no more" grep -q "max_tx_rate 300" <<<"$(vfline "$avf")"
"$VFMGR" release alpha >/dev/null 2>&1
for pf in $PF1 $PF2; do echo 0 >/sys/bus/pci/devices/$pf/sriov_numvfs; done
rm -f "$VFMGR_STATE"
finish
