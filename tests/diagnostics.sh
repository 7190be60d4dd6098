#!/bin/bash
# The text form of vfmgr's diagnostics, against the built binary: gcc's format
# (file:line:col: error|warning: message), counted nouns, a bad UTF-8 byte at its place,
# "did you mean" for keys, names, commands and options, options after the operands, and the
# one --json form. TAP lines; each failure prints what it expected and what it saw.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${VFMGR:-$top/build/vfmgr}
T=$(mktemp -d "${TMPDIR:-/tmp}/vfmgr-diag.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
fails=0

# expect NAME STATUS LINE CMD...: CMD exits STATUS and prints LINE (exactly) on stdout/stderr.
expect() {
	local name=$1 status=$2 want=$3 out rc
	shift 3
	n=$((n + 1))
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$status" ] && grep -qxF -- "$want" <<<"$out"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "#   expected (exit $status): $want"
		sed 's/^/#   actual: /' <<<"$out" | head -n 6
		echo "#   exit $rc"
		fails=$((fails + 1))
	fi
}

pf='  - { name: uplink-a, match: { pci: "0000:01:00.0" }, numvfs: 4 }'
printf 'version: 1\npfs:\n%s\nnetworks:\n  - { name: prod, vlan: 100, class: vm, pfs: [uplink-a] }\nvms:\n  - { name: db, nics: [ { network: prod, mac: "00:11:22:33:44:55" } ] }\n' "$pf" >"$T/warn.yaml"
expect "a warning reads file:line:col: warning:" 0 \
	"$T/warn.yaml:7:47: warning: 'mac' 00:11:22:33:44:55 is not locally administered and may clash with a vendor's address (e.g. use 52:54:00:xx:xx:xx)" \
	"$B" check "$T/warn.yaml"
expect "one of each reads 1 PF, 1 network, 1 VM, 1 warning" 0 \
	"$T/warn.yaml: valid (1 PF, 1 network, 1 VM, 1 warning; 1 host group)" "$B" check "$T/warn.yaml"

printf 'version: 1\npfs:\n  - { name: uplink-a, match: { pci: "0000:01:00.0" }, numfvs: 4 }\n' >"$T/key.yaml"
expect "an error reads file:line:col: error:, with did you mean for a key" 1 \
	"$T/key.yaml:3:55: error: unknown key 'numfvs' in pf; did you mean 'numvfs'?" "$B" check "$T/key.yaml"
expect "one error reads 1 error" 1 "$T/key.yaml: invalid (1 error, 0 warnings)" "$B" check "$T/key.yaml"

printf 'version: 1\npfs:\n%s\nnetworks:\n  - { name: prod, vlan: 100, class: vm, pfs: [uplink-b] }\nvms:\n  - { name: db, nics: [ { network: prd } ] }\n' "$pf" >"$T/names.yaml"
expect "did you mean for a PF" 1 \
	"$T/names.yaml:5:47: error: network 'prod' refers to unknown pf 'uplink-b'; did you mean 'uplink-a'?" \
	"$B" check "$T/names.yaml"
expect "did you mean for a network" 1 \
	"$T/names.yaml:7:36: error: vm 'db' nic 1 refers to unknown network 'prd'; did you mean 'prod'?" \
	"$B" check "$T/names.yaml"
expect "two errors read 2 errors" 1 "$T/names.yaml: invalid (2 errors, 0 warnings)" "$B" check "$T/names.yaml"

printf 'version: 1\n# caf\xc3\xa9\npfs:\n  - { name: caf\xe9, match: { pci: "0000:01:00.0" } }\n' >"$T/utf8.yaml"
expect "a bad UTF-8 byte at its line:col and offset, not 1:1" 1 \
	"$T/utf8.yaml:4:16: error: invalid YAML: not UTF-8: byte 0xe9 at offset 39 (invalid trailing UTF-8 octet; save the file as UTF-8)" \
	"$B" check "$T/utf8.yaml"

expect "options after the operand (-v)" 0 \
	"$T/warn.yaml: valid (1 PF, 1 network, 1 VM, 1 warning; 1 host group)" "$B" check "$T/warn.yaml" -v
expect "--json=pretty is refused, saying why" 2 \
	"vfmgr: error: check: --json takes no value (its output is always indented JSON), not '--json=pretty' (see vfmgr check --help)" \
	"$B" check --json=pretty "$T/warn.yaml"
expect "did you mean for a command" 2 \
	"vfmgr: error: unknown command 'chek'; did you mean 'check'? (vfmgr --help lists them)" "$B" chek x
expect "did you mean for an option" 2 \
	"vfmgr: error: check: unrecognized option '--jsn'; did you mean '--json'? (see vfmgr check --help)" \
	"$B" check --jsn x
printf 'version: 1\npfs:\n  - { name: a, match: { pci: "0000:01:00.0" }, numvfs: "4" }\n' >"$T/quoted.yaml"
expect "a quoted number is a string: an error at its line" 1 \
	"$T/quoted.yaml:3:56: error: 'numvfs' must be an integer, not the string \"4\" (quoted, YAML reads a string): write it without quotes" \
	"$B" check "$T/quoted.yaml"

echo "1..$n"
[ "$fails" = 0 ]
