#!/bin/bash
# contrib/libvirt-hook passes the domain name after "--", so a domain called --help or -web
# reaches vfmgr as a name, never as an option: the hook runs a stand-in vfmgr that prints the
# arguments it got, one a line.
set -u
cd "$(dirname "$0")/.."
dir=$(mktemp -d "${TMPDIR:-/tmp}/hook.XXXXXX")
trap 'rm -rf "$dir"' EXIT
printf '#!/bin/sh\nfor a; do echo "$a"; done\n' >"$dir/vfmgr"
chmod +x "$dir/vfmgr"
: >"$dir/policy.yaml"
n=0 bad=0
expect() { # NAME EXPECTED ACTUAL
	n=$((n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $n - libvirt-hook: $1"
	else
		echo "not ok $n - libvirt-hook: $1"
		echo "#   expected: $(echo "$2" | tr '\n' ' ')"
		echo "#   actual:   $(echo "$3" | tr '\n' ' ')"
		bad=$((bad + 1))
	fi
}
for dom in web01 --help -web; do
	got=$(VFMGR=$dir/vfmgr VFMGR_POLICY=$dir/policy.yaml contrib/libvirt-hook "$dom" prepare begin -)
	expect "prepare begin of domain '$dom'" "$(printf '%s\n' prepare --if-managed --policy \
		"$dir/policy.yaml" -- "$dom")" "$got"
	got=$(VFMGR=$dir/vfmgr VFMGR_POLICY=$dir/policy.yaml contrib/libvirt-hook "$dom" release end -)
	expect "release end of domain '$dom'" "$(printf '%s\n' release --if-managed -- "$dom")" "$got"
done
got=$(VFMGR=$dir/vfmgr VFMGR_POLICY=$dir/policy.yaml contrib/libvirt-hook web01 started begin -)
expect "other operations run nothing" "" "$got"
echo "1..$n"
[ "$bad" = 0 ]
