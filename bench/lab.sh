#!/bin/bash
# Runs the lab benchmarks (bench/lab/*.sh) in the QEMU lab and prints their tables.
set -u
HERE=$(dirname "$(realpath "$0")")
LAB=${LAB:-$(realpath "$HERE/..")/.lab-cache}
# shellcheck source=tests/vm/labcache.sh
. "$HERE/../tests/vm/labcache.sh"
lab_cache_need ""
rc=0
for b in "$HERE"/lab/*.sh; do
	name=$(basename "$b" .sh)
	echo "== lab: $name"
	out=$(mktemp)
	VMLAB_KEEP=1 "$HERE/../tests/vm/run.sh" -t 900 "$b:800" >"$out" 2>&1 || rc=1
	dir=$(sed -n 's/^# vm: output kept in //p' "$out")
	cat "$dir/$name.log" 2>/dev/null || cat "$out"
	grep '^# vm: kernel' "$out"
	rm -rf "$out" "$dir"
done
exit $rc
