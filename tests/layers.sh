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
# Leaves return 0 or -errno plus, where errno says too little, a reason in the caller's
# (why, whysize) buffer; vfmgr/ logs once, naming the object. Allowed: util/log.c itself,
# util/fault.c (the test build's drills announce each injected failure) and debug traces
# (log_debug) of kernel writes.
bad=$(grep -n '\blog_\(error\|warn\|notice\|info\|msg\)\s*(' policy/* rss/* passthrough/* sriov/* \
	util/* 2>/dev/null | grep -v '^util/log\.[ch]:\|^util/fault\.c:')
if [ -z "$bad" ]; then
	echo "ok - no leaf library logs (they return -errno and a reason)"
else
	echo "not ok - leaf libraries log instead of returning the reason:"
	echo "$bad" | sed 's/^/#   /'
fi
