#!/bin/bash
# Runs each benchmark binary given (make bench); each prints its own table and exits non-zero
# when it misses its target. Exits non-zero if any did.
set -u
rc=0
for b in "$@"; do
	echo "== $(basename "$b")"
	if ! "$b"; then
		echo "bench $(basename "$b"): FAILED"
		rc=1
	fi
done
exit $rc
