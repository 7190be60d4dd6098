#!/bin/bash
# `make check`: every test tier, then one summary line "N passed, N failed".
#   1. builds with gcc and clang (-Werror)
#   2. unit tests (cmocka), plain and under ASan+UBSan; hostile input against the binary;
#      libvirt's schema over the emitters' XML
#   3. fuzz targets, briefly, on the examples as seed corpus
#   4. the lab: each tests/vm/scenarios/*.sh in its own boot of the QEMU guest, two at a time
# env: VM=0 skips the lab (for a quick run), SCENARIOS="list ..." picks scenarios, VM_JOBS=N
# boots at most N guests at once (default 2, at most one per core).
set -u
cd "$(dirname "$0")/.."
LOG=build/check.log
mkdir -p build
: >"$LOG"
start=$(date +%s)

# Runs a step; its TAP lines count, and a step that fails without a "not ok" line of its own
# still counts as one failure.
step() {
	local name=$1 out rc
	shift
	echo "== $name"
	out=$("$@" 2>&1)
	rc=$?
	echo "$out" >>"$LOG"
	# A failed check with what it expected and saw (its "#   " lines), so the summary alone
	# (all a CI excerpt may show) says why.
	echo "$out" | awk '/^not ok /{n=16; print "  " $0; next} n>0 && /^#   /{n--; print "  " $0; next} {n=0}'
	echo "$out" | grep -E '^# ' | grep -E 'vm:|fuzz' | sed 's/^/  /'
	if [ $rc -ne 0 ] && ! echo "$out" | grep -q '^not ok'; then
		echo "not ok - $name (exit $rc)" | tee -a "$LOG" | sed 's/^/  /'
		echo "$out" | tail -n 20 | sed 's/^/  # /'
	fi
	printf '   %s ok, %s not ok\n' "$(echo "$out" | grep -c '^ok ')" "$(echo "$out" | grep -c '^not ok')"
}

# The lab guest could stall under QEMU TCG: a vCPU stops getting timer interrupts (the guest's
# kernel says "rcu_preempt kthread timer wakeup didn't happen ... Possible timer handling issue
# on cpu=N"), and every task that sleeps on that CPU sleeps for ever, vfmgr's or not (issue 20
# has the evidence). That was thread=multi TCG (tests/vm/run.sh runs thread=single now); should
# a guest stall still (run.sh ends it: "guest silent ... (stall)"), the scenario runs once more,
# and the output says so; its first run's lines stay in the log, marked, and do not count.
lab_run() {
	local out rc dir
	out=$("$@" 2>&1)
	rc=$?
	dir=$(echo "$out" | sed -n 's/^# vm: output kept in //p')
	if [ $rc -ne 0 ] && [ -n "$dir" ] &&
		{ echo "$out" | grep -q '^not ok - vm: guest silent .*(stall)' ||
			grep -qs -e "timer wakeup didn't happen" -e "Possible timer handling issue" \
				"$dir/console.log" "$dir/kernel.log"; }; then
		echo "$out" | sed 's/^/#   first run: /'
		echo "# vm: the guest kernel stalled (a vCPU lost its timer interrupts; $dir): running it again"
		"$@"
		return
	fi
	echo "$out"
	return $rc
}

build_step() {
	if make -s "$@" all tests-build >/dev/null 2>build/build-err.txt; then
		echo "ok - build $*"
	else
		cat build/build-err.txt
		echo "not ok - build $*"
	fi
}

step "layers" tests/layers.sh
step "build (gcc)" build_step
step "build (clang)" build_step CC=clang BUILD=build/clang
step "unit tests" make -s unit
step "fault hooks (test build only)" tests/fault-hooks.sh
step "unit tests (ASan+UBSan)" make -s unit SAN=1 CC=clang BUILD=build/asan
step "hostile input" tests/hostile.sh
step "example policies (check)" tests/examples.sh
step "guest-config through netplan generate" tests/netplan.sh
step "diagnostics (text form)" tests/diagnostics.sh
step "pictures: list --tree, --dot, status VM (recorded host)" tests/pictures.sh
step "apply asks on a terminal (script)" tests/apply-prompt.sh
step "libvirt schema" tests/unit/libvirt-schema.sh build/tests/test-launch
step "plan JSON schema" tests/plan-schema.sh build
if ls tests/fuzz/fuzz-*.c >/dev/null 2>&1; then
	step "fuzz (short)" make -s fuzz-short
fi
step "ansible collection" tests/ansible.sh
step "metrics format (promtool)" tests/promtool.sh
step "JSON schemas (doc/schema)" tests/json-schema.sh
step "policy schema agrees with vfmgr check" tests/policy-schema.sh
step "man pages (mandoc, groff)" tests/man-lint.sh
step "bash completion" tests/completion.sh
step "libvirt hook (names after --)" tests/libvirt-hook.sh
step "benchmark input (plan-scale)" tests/bench-inputs.sh
# shellcheck source=tests/vm/labcache.sh
. tests/vm/labcache.sh
LAB=${LAB:-$PWD/.lab-cache}
if [ "${VM:-1}" != 0 ] && ! lab_cache_ready; then
	step "lab" lab_cache_need
elif [ "${VM:-1}" != 0 ]; then
	# The lab tier: each scenario in its own boot. Each guest runs on one host thread (TCG
	# thread=single), so up to one boot per core (VM_JOBS, default 2) run at once; results
	# are printed in scenario order as they end.
	names=() args=()
	for s in tests/vm/scenarios/*.sh; do
		name=$(basename "$s" .sh)
		if [ -n "${SCENARIOS:-}" ] && ! echo " $SCENARIOS " | grep -q " $name "; then
			continue
		fi
		# "# vmlab: kernels=stable backports" runs a scenario once on each guest kernel.
		kernels=$(sed -n 's/^# vmlab:.*kernels=\([a-z ]*\).*/\1/p' "$s" | head -n1)
		# "# vmlab: limit=SECONDS" gives a long scenario more than the default 300 s.
		limit=$(sed -n 's/^# vmlab:.*limit=\([0-9]*\).*/\1/p' "$s" | head -n1)
		for k in ${kernels:-stable}; do
			names+=("lab: $name ($k kernel)")
			args+=("$k $s:${VM_LIMIT:-${limit:-300}}")
		done
	done
	jobs_max=${VM_JOBS:-2}
	cores=$(nproc)
	[ "$jobs_max" -gt "$cores" ] && jobs_max=$cores
	[ "$jobs_max" -lt 1 ] && jobs_max=1
	# Each kernel's initramfs is built once here, not by two boots racing to build it.
	for k in stable backports; do
		if lab_cache_ready "$k"; then
			tests/vm/mkinitramfs.sh "$LAB/kernel-$k" >/dev/null &&
				tests/vm/mkinitramfs.sh --inner "$LAB/kernel-$k" >/dev/null
		fi
	done
	LABOUT=$(mktemp -d "${TMPDIR:-/tmp}/vmlab-check.XXXXXX")
	(
		for i in "${!args[@]}"; do
			while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
			(
				# shellcheck disable=SC2086 # "KERNEL SCENARIO:LIMIT", neither with spaces
				set -- ${args[$i]}
				lab_run tests/vm/run.sh -t 900 -k "$1" "$2" >"$LABOUT/$i.out" 2>&1
				echo $? >"$LABOUT/$i.rc.tmp"
				mv "$LABOUT/$i.rc.tmp" "$LABOUT/$i.rc"
			) &
		done
		wait
	) &
	lab_result() { cat "$LABOUT/$1.out"; return "$(cat "$LABOUT/$1.rc")"; }
	echo "== lab: ${#args[@]} boots, $jobs_max at a time"
	for i in "${!args[@]}"; do
		while [ ! -f "$LABOUT/$i.rc" ]; do sleep 1; done
		step "${names[$i]}" lab_result "$i"
	done
	wait
	rm -rf "$LABOUT"
fi

passed=$(grep -c '^ok ' "$LOG")
failed=$(grep -c '^not ok' "$LOG")
echo "== check took $(($(date +%s) - start)) s; log in $LOG"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
