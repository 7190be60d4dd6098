#!/bin/bash
# The fault drills' hooks (util/fault.h) live only in the test build: the production binary
# must not even contain the variables' names, the test binary must (else this proves nothing).
# The lab's fault-drills scenario shows the production binary ignores them when set.
#   usage: tests/fault-hooks.sh [BUILD]
set -u
B=${1:-build}
rc=0
for v in VFMGR_TEST_FAIL_STEP VFMGR_TEST_FAULT VFMGR_TEST_STOP_STEP; do
	if grep -qa "$v" "$B/vfmgr"; then
		echo "not ok - fault hooks: $B/vfmgr contains $v (a production build must not)"
		rc=1
	else
		echo "ok - fault hooks: $B/vfmgr has no $v"
	fi
	if grep -qa "$v" "$B/vfmgr-test"; then
		echo "ok - fault hooks: $B/vfmgr-test reads $v"
	else
		echo "not ok - fault hooks: $B/vfmgr-test lacks $v (the drills could not inject)"
		rc=1
	fi
done
exit $rc
