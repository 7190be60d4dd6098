#!/bin/bash
# On a terminal, apply asks before steps above --allow (terraform-like); --yes and a pipe keep
# the refusal. Over the lab's recorded host (tests/data, umockdev-run), a policy that enables
# VFs on an igb PF (a pf-reset step); script(1) makes the terminal and types the answer. The
# "y" case runs the test build with its first step failing on purpose, so the apply goes on
# and is rolled back before anything is written. TAP lines.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${VFMGR:-$top/build/vfmgr}
BT=${VFMGR_TEST:-$top/build/vfmgr-test}
FIX=$top/tests/data/igb-2pf-3vf.umockdev
T=$(mktemp -d "${TMPDIR:-/tmp}/vfmgr-prompt.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -m 700 "$T/run"
export VFMGR_RUN_DIR=$T/run VFMGR_STATE=$T/state.json
printf 'version: 1\npfs:\n  - { name: b, match: { pci: "0000:02:00.0" }, numvfs: 2 }\n' >"$T/p.yaml"
n=0
fails=0
# expect NAME OUTPUT RC WANT_RC PATTERN...: each grep -E PATTERN is in OUTPUT ("!PATTERN": not).
expect() {
	local name=$1 out=$2 rc=$3 want=$4 p ok=1
	shift 4
	[ "$rc" = "$want" ] || ok=0
	for p in "$@"; do
		if [ "${p#!}" != "$p" ]; then grep -qE -- "${p#!}" <<<"$out" && ok=0; else grep -qE -- "$p" <<<"$out" || ok=0; fi
	done
	n=$((n + 1))
	if [ $ok = 1 ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "#   expected: exit $want and $*"
		echo "#   actual: exit $rc:"
		tr -d '\r' <<<"$out" | sed 's/^/#     /' | tail -n 12
		fails=$((fails + 1))
	fi
}
on_tty() { # ANSWER CMD...: runs CMD on a terminal, typing ANSWER; prints its output, then RC=N
	printf '%s\n' "$1" | script -qec "umockdev-run -d '$FIX' -- $2; echo RC=\$?" /dev/null | tr -d '\r'
}
rc_of() { sed -n 's/^RC=//p' <<<"$1" | tail -n 1; }

out=$(on_tty n "'$B' apply '$T/p.yaml'")
expect "terminal, answer n: the step above --allow is shown, nothing changes" "$out" "$(rc_of "$out")" 1 \
	"These steps disrupt more than --allow vf-destroy permits" "step 1: 0000:02:00.0 numvfs 0 -> 2" \
	"impact: pf-reset \(igb resets the PF" "Only 'y' or 'yes' goes on" "not confirmed; nothing was changed"
[ -e "$T/state.json" ] && expect "answer n writes no state" "state file written" 1 0

out=$(on_tty y "env VFMGR_TEST_FAIL_STEP=1 '$BT' apply '$T/p.yaml'")
expect "terminal, answer y: the apply goes on (its step 1 fails on purpose, rolled back)" "$out" "$(rc_of "$out")" 1 \
	"Only 'y' or 'yes' goes on" "step 1: failing on purpose" "rolled back" "!not confirmed"

out=$(on_tty y "'$B' apply --yes '$T/p.yaml'")
expect "terminal with --yes: no question, the refusal stands" "$out" "$(rc_of "$out")" 1 \
	"!Only 'y'" "accept it with 'vfmgr apply --allow pf-reset"

out=$(umockdev-run -d "$FIX" -- "$B" apply "$T/p.yaml" </dev/null 2>&1)
expect "no terminal: no question, the refusal stands" "$out" $? 1 \
	"!Only 'y'" "accept it with 'vfmgr apply --allow pf-reset"
echo "1..$n"
[ "$fails" = 0 ]
