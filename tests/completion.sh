#!/bin/bash
# The bash completion (contrib/bash-completion/vfmgr), sourced in bash and driven the way
# bash drives it (COMP_WORDS, COMP_CWORD), against the built vfmgr. TAP lines.
set -u
cd "$(dirname "$0")/.."
export PATH=$PWD/build:$PATH
# shellcheck source=/dev/null
. contrib/bash-completion/vfmgr
n=0
fails=0
# expect "WANT" WORD...: completing the last word gives exactly WANT (sorted, space-joined).
expect() {
	local want=$1 got
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_vfmgr
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//')
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n - '$*' completes to '$want'"
	else
		echo "not ok $n - '$*' completes to '$want', got '$got'"
		fails=$((fails + 1))
	fi
}

expect "plan prepare" vfmgr p
expect "qemu-args" vfmgr -v q
expect "set show" vfmgr rss ""
expect "lo" vfmgr rss show lo
expect "channels" vfmgr rss set lo cha
expect "--help --json --state" vfmgr status --
expect "--detailed-exitcode --help --hostname --json --state" vfmgr plan x.yaml --
expect "--allow" vfmgr apply --al
expect "pf-reset" vfmgr apply x.yaml --allow pf
expect "nfv01 web01" vfmgr prepare --policy examples/demo.yaml ""
expect "nfv01" vfmgr prepare --policy examples/demo.yaml n
expect "" vfmgr prepare --policy examples/demo.yaml web01 ""
expect "guest-config" vfmgr gu
expect "web01" vfmgr guest-config --policy examples/demo.yaml w
expect "--help --hostname --json --policy" vfmgr guest-config --
expect "examples/demo.yaml" vfmgr check examples/dem
expect "" vfmgr check examples/demo.yaml ""
echo "1..$n"
[ "$fails" = 0 ]
