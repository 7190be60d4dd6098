#!/bin/bash
# `make demo`: boots the lab and runs the main job there, printing what it does.
set -u
HERE=$(dirname "$(realpath "$0")")
LAB=${LAB:-$(realpath "$HERE/../..")/.lab-cache}
# shellcheck source=tests/vm/labcache.sh
. "$HERE/labcache.sh"
lab_cache_need ""
out=$(mktemp -d)
VMLAB_KEEP=1 "$HERE/run.sh" -t 600 "$HERE/demo/main-job.sh:540" >"$out/run.txt" 2>&1
rc=$?
dir=$(sed -n 's/^# vm: output kept in //p' "$out/run.txt")
cat "$dir/main-job.log" 2>/dev/null || cat "$out/run.txt"
grep '^# vm:' "$out/run.txt" | grep -v 'output kept'
rm -rf "$out" "$dir"
exit $rc
