#!/bin/bash
# Runs libFuzzer targets with examples/ as seed corpus.
#   run.sh short BIN...   ~25 s per target (make check)
#   run.sh long BIN...    FUZZ_SECONDS (default 600) per target (make fuzz)
# Prints one TAP line per target; crashes are kept as tests/fuzz/corpus-run/NAME/crash-*.
set -u
mode=${1:-}
shift || true
case "$mode" in
short) secs=${FUZZ_SHORT_SECONDS:-25} ;;
long) secs=${FUZZ_SECONDS:-600} ;;
*)
	echo "usage: $0 short|long BIN..." >&2
	exit 2
	;;
esac
top=$(cd "$(dirname "$0")/../.." && pwd)
rc=0
for bin in "$@"; do
	name=$(basename "$bin")
	name=${name#fuzz-}
	work=$top/tests/fuzz/corpus-run/$name
	mkdir -p "$work/corpus"
	log=$work/log
	# The run's own corpus grows in corpus-run/ (git-ignored); examples/ stay read-only seeds.
	seeds=("$top/examples")
	[ -d "$top/tests/fuzz/seeds/$name" ] && seeds+=("$top/tests/fuzz/seeds/$name")
	dict=()
	[ -f "$top/tests/fuzz/$name.dict" ] && dict=(-dict="$top/tests/fuzz/$name.dict")
	if "$bin" "${dict[@]}" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/" \
		"$work/corpus" "${seeds[@]}" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
		echo "ok - fuzz $name (${execs:-?} execs)"
	else
		echo "not ok - fuzz $name (see $log)"
		grep -m5 -E 'ERROR|SUMMARY|panic' "$log" | sed 's/^/# /'
		rc=1
	fi
done
exit $rc
