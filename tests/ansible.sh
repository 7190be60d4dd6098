#!/bin/bash
# The vfmgr.sriov collection on the build host (TAP): ansible-doc reads the module's
# documentation, and a policy error fails the task with vfmgr's file:line:col message. The
# lab scenario tests/vm/scenarios/ansible.sh applies a policy with it on igb.
set -u
cd "$(dirname "$0")/.."
VFMGR=${VFMGR:-$PWD/build/vfmgr}
export ANSIBLE_COLLECTIONS_PATH=$PWD/contrib/ansible LC_ALL=C.UTF-8
export ANSIBLE_LOCAL_TEMP=${TMPDIR:-/tmp}/ansible-local ANSIBLE_NOCOLOR=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }

if ! command -v ansible-doc >/dev/null; then
	echo "not ok 1 - ansible-core is not installed (make deps installs it)"
	exit 1
fi
if ansible-doc -j vfmgr.sriov.policy >"$T/doc.json" 2>"$T/doc.err" &&
	[ "$(jq -r '."vfmgr.sriov.policy".doc.options | keys | join(" ")' "$T/doc.json")" = "allow dest path state_file vfmgr" ] &&
	[ "$(jq -r '."vfmgr.sriov.policy".return | keys | join(" ")' "$T/doc.json")" = "applied check installed plan stderr stdout" ] &&
	jq -e '."vfmgr.sriov.policy".examples | contains("allow: pf-reset")' "$T/doc.json" >/dev/null; then
	ok "ansible-doc vfmgr.sriov.policy: options, examples and return values"
else
	cat "$T/doc.err"
	notok "ansible-doc vfmgr.sriov.policy: options, examples and return values"
fi

cat >"$T/bad.yaml" <<'YAML'
version: 1
pfs:
  - { name: a, match: { pci: "0000:01:00.0" }, numvfs: 99999 }
YAML
cat >"$T/play.yml" <<YAML
- hosts: localhost
  gather_facts: false
  tasks:
    - vfmgr.sriov.policy: { path: "$T/bad.yaml", vfmgr: "$VFMGR" }
YAML
out=$(ansible-playbook -i localhost, -c local "$T/play.yml" 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q "vfmgr check failed: $T/bad.yaml:3:56: 'numvfs' must be" <<<"$out" &&
	grep -q "failed=1" <<<"$out"; then
	ok "a policy error fails the task with vfmgr's file:line:col message"
else
	echo "$out" | sed 's/^/# /'
	notok "a policy error fails the task with vfmgr's file:line:col message"
fi
echo "1..$n"
