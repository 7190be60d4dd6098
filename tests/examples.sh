#!/bin/bash
# `vfmgr check` over every policy in examples/: one with an X.errors file next to it must be
# refused with exactly that output (stdout and stderr, as `vfmgr check X.yaml >X.errors 2>&1`
# records it, run from the top of the tree); every other one must be valid. Prints TAP.
set -u
cd "$(dirname "$0")/.."
B=${VFMGR:-build/vfmgr}
n=0
fails=0
for p in examples/*.yaml; do
	n=$((n + 1))
	want=${p%.yaml}.errors
	out=$("$B" check "$p" 2>&1)
	rc=$?
	if [ -e "$want" ]; then
		if [ $rc = 1 ] && [ "$out" = "$(cat "$want")" ]; then
			echo "ok $n - check refuses $p as $want says"
		else
			echo "not ok $n - check refuses $p as $want says (exit $rc)"
			diff <(cat "$want") <(echo "$out") | sed 's/^/#   /'
			fails=$((fails + 1))
		fi
	elif [ $rc = 0 ]; then
		echo "ok $n - $p is valid"
	else
		echo "not ok $n - $p is valid (exit $rc)"
		echo "$out" | head -n 8 | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
done
echo "1..$n"
[ "$fails" = 0 ]
