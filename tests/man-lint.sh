#!/bin/bash
# The man pages are clean under both formatters' strict checks: mandoc -Tlint -W warning
# (exit 2 on a warning) and groff -ww (warnings on stderr, exit 0, so its stderr must be
# empty). TAP lines.
set -u
cd "$(dirname "$0")/.."
n=0
fails=0
for m in man/*.[1-8]; do
	n=$((n + 1))
	if out=$(mandoc -Tlint -W warning "$m" 2>&1) && [ -z "$out" ]; then
		echo "ok $n - mandoc -Tlint -W warning $m"
	else
		echo "not ok $n - mandoc -Tlint -W warning $m"
		echo "$out" | head -n 10 | sed 's/^/# /'
		fails=$((fails + 1))
	fi
	n=$((n + 1))
	out=$(groff -ww -man -z "$m" 2>&1)
	if [ $? = 0 ] && [ -z "$out" ]; then
		echo "ok $n - groff -ww -man -z $m"
	else
		echo "not ok $n - groff -ww -man -z $m"
		echo "$out" | head -n 10 | sed 's/^/# /'
		fails=$((fails + 1))
	fi
done
echo "1..$n"
[ "$fails" = 0 ] && [ "$n" -gt 0 ]
