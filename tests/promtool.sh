#!/bin/bash
# vfmgr metrics in the Prometheus text format, as promtool (Debian's prometheus package,
# unpacked into the lab cache by make deps) reads it (TAP): the unit test's sample with every
# metric, and what `vfmgr metrics` prints on this machine.
set -u
cd "$(dirname "$0")/.."
PROMTOOL=${PROMTOOL:-$(command -v promtool || echo "${LAB:-$PWD/.lab-cache}/promtool")}
BUILD=${BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
if [ ! -x "$PROMTOOL" ]; then
	echo "not ok 1 - promtool not found (make deps unpacks it into the lab cache)"
	exit 1
fi
n=0
promcheck() { # $1 = name, $2 = file
	n=$((n + 1))
	if [ -s "$2" ] && out=$("$PROMTOOL" check metrics <"$2" 2>&1); then
		echo "ok $n - promtool check metrics: $1"
	else
		echo "not ok $n - promtool check metrics: $1"
		echo "$out" | sed 's/^/# /'
	fi
}
METRICS_SAMPLE=$T/sample.prom "$BUILD/tests/test-metrics" >/dev/null 2>&1
promcheck "every metric (unit test sample)" "$T/sample.prom"
grep -q '^vfmgr_vfs{pf="0000:01:00.0",pf_name="up",status="drifted"} 1$' "$T/sample.prom" &&
	echo "ok $((n += 1)) - the sample has the per-PF VF counts" ||
	echo "not ok $((n += 1)) - the sample has the per-PF VF counts"
VFMGR_RUN_DIR=$T "$BUILD/vfmgr" metrics --no-policy --state "$T/none.json" >"$T/host.prom" 2>"$T/err"
promcheck "vfmgr metrics on this machine" "$T/host.prom"
echo "1..$n"
