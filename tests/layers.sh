#!/bin/bash
# The leaf libraries never include the program: policy/, rss/, passthrough/, sriov/ and util/
# may include each other's headers (util/ the least), never vfmgr/. Prints TAP.
cd "$(dirname "$0")/.."
bad=$(grep -n '#include "vfmgr/' policy/* rss/* passthrough/* sriov/* util/* 2>/dev/null)
if [ -z "$bad" ]; then
	echo "ok - no leaf library includes vfmgr/"
else
	echo "not ok - leaf libraries include vfmgr/:"
	echo "$bad" | sed 's/^/#   /'
fi
bad=$(grep -n '#include "\(vfmgr\|policy\|rss\|passthrough\|sriov\)/' util/* 2>/dev/null)
if [ -z "$bad" ]; then
	echo "ok - util/ includes only util/"
else
	echo "not ok - util/ includes a library above it:"
	echo "$bad" | sed 's/^/#   /'
fi
