#!/bin/bash
# Runs cmocka test binaries with TAP output. Each test prints its own "ok"/"not ok" line, which
# tests/check.sh counts; exits non-zero if any binary failed or crashed.
set -u
rc=0
for t in "$@"; do
	echo "# unit: $t"
	if ! CMOCKA_MESSAGE_OUTPUT=TAP "$t"; then
		echo "not ok - $t exited non-zero"
		rc=1
	fi
done
exit $rc
