# Shared helpers for lab scenarios (sourced inside the guest). Every check prints one TAP line
# "ok - SCENARIO: NAME" or "not ok - SCENARIO: NAME" and, on failure, what it expected and saw.
SCENARIO=${SCENARIO:-$(basename "$0" .sh)}
FAILED=0

pass() { echo "ok - $SCENARIO: $1"; }
fail() {
	local line
	echo "not ok - $SCENARIO: $1"
	shift
	for line in "$@"; do echo "#   $line"; done
	FAILED=$((FAILED + 1))
}

# check NAME CMD...: passes when CMD exits 0.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "command: $*" "exit $?: $(echo "$out" | grep -E 'error|fail' | tail -n 8)" \
			"last lines: $(echo "$out" | tail -n 3)"
	fi
}

# check_fails NAME CMD...: passes when CMD exits non-zero.
check_fails() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "$name" "command: $*" "expected failure, it succeeded: $(echo "$out" | tail -n 3)"
	else
		pass "$name"
	fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected: $2" "actual:   $3"
	fi
}

# Sends one QMP command through the host relay and prints the reply.
qmp() {
	local id
	id=$(date +%s%N)
	echo "$1" >"$VMLAB_QMP_REQ/$id.json.tmp"
	mv "$VMLAB_QMP_REQ/$id.json.tmp" "$VMLAB_QMP_REQ/$id.json"
	for _ in $(seq 1 300); do
		if [ -f "$VMLAB_QMP_REQ/$id.reply" ]; then
			cat "$VMLAB_QMP_REQ/$id.reply"
			return 0
		fi
		sleep 0.1
	done
	echo "qmp: no reply from the host relay" >&2
	return 1
}

# Waits up to $2 seconds (default 10) for a file to exist.
wait_for() {
	local i
	for i in $(seq 1 $((${2:-10} * 10))); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_until SECONDS CMD...: polls CMD every 20 ms; prints the milliseconds it took.
wait_until() {
	local limit=$1 t0=${EPOCHREALTIME/./} t
	shift
	while :; do
		if "$@" >/dev/null 2>&1; then
			t=${EPOCHREALTIME/./}
			echo $(((t - t0) / 1000))
			return 0
		fi
		t=${EPOCHREALTIME/./}
		[ $((t - t0)) -gt $((limit * 1000000)) ] && return 1
		sleep 0.02
	done
}

# The lab's two igb PFs: PF1 and PF2 (PCI addresses) and if1 and if2 (their interfaces now).
lab_pfs() {
	PF1=0000:01:00.0
	PF2=0000:02:00.0
	if1=$(ls /sys/bus/pci/devices/$PF1/net)
	if2=$(ls /sys/bus/pci/devices/$PF2/net)
}

# Creates netdevsim1 (one port) with room for 512 VFs and sets IF to its interface, up.
nsim_pf_up() {
	modprobe netdevsim
	echo "1 1 4" >/sys/bus/netdevsim/new_device
	udevadm settle --timeout=10
	echo 512 >/sys/kernel/debug/netdevsim/netdevsim1/max_vfs
	IF=$(ls /sys/bus/netdevsim/devices/netdevsim1/net | head -n1)
	ip link set "$IF" up
}

# Ends the scenario: exit status says whether every check passed.
finish() {
	[ "$FAILED" = 0 ]
	exit $?
}

# Under "# vmlab: init=systemd", in the boot phase: enables UNIT as an admin would and makes the
# lab's boot target (vmlab.target, not multi-user.target) start it too.
vmlab_enable() {
	systemctl enable --quiet "$1" && systemctl add-wants vmlab.target "$1"
}

# Waits up to $3 seconds for UNIT's ActiveState to be $2; prints the last one seen.
wait_unit() {
	local s i
	for i in $(seq 1 $((${3:-30} * 10))); do
		s=$(systemctl show -P ActiveState "$1")
		[ "$s" = "$2" ] && break
		sleep 0.1
	done
	echo "$s"
}

# trace_commands: the scenario's commands (set -x) go to /tmp/vmlab-trace/SCENARIO in guest
# RAM, not the log; at the time limit the guest's watchdog puts the last of them in the log, so
# a hang names the command it hung in.
trace_commands() {
	mkdir -p /tmp/vmlab-trace
	exec {VMLAB_TRACE_FD}>"/tmp/vmlab-trace/$SCENARIO"
	BASH_XTRACEFD=$VMLAB_TRACE_FD
	set -x
}
