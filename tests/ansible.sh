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

# A stand-in vfmgr for the module's own logic: check passes, plan prints $T/plan (or, like
# vfmgr, a sentence when there is nothing to do; --json: the steps), apply
# refuses a pf-reset step unless given --allow pf-reset (as vfmgr does on igb). Calls logged.
cat >"$T/vfmgr" <<SH
#!/bin/sh
echo "\$*" >>"$T/calls"
case \$1 in
check) echo "\$2: valid (1 pfs, 1 networks, 1 vms, 0 warnings; 1 host group)" ;;
plan)
	case "\$*" in
	*--json*) if [ -s "$T/plan" ]; then echo '{"steps": [{"action": "set-numvfs"}]}'; else echo '{"steps": []}'; fi ;;
	*) if [ -s "$T/plan" ]; then cat "$T/plan"; else echo "no changes: the host matches the policy"; fi ;;
	esac ;;
apply)
	case "\$*" in *"--allow pf-reset"*) exit 0 ;; esac
	echo "vfmgr: error: \$2: step 1 (0000:01:00.0 numvfs 2 -> 3) is pf-reset: igb resets the PF" >&2
	echo "vfmgr: error: nothing was changed; then accept it with 'vfmgr apply --allow pf-reset \$2'" >&2
	exit 1 ;;
esac
SH
chmod +x "$T/vfmgr"
echo "+ 0000:01:00.0 numvfs 3 (was 2)  impact: pf-reset (igb resets the PF)" >"$T/plan"
: >"$T/p.yaml"
cat >"$T/play2.yml" <<YAML
- hosts: localhost
  gather_facts: false
  tasks:
    - vfmgr.sriov.policy: { path: "$T/p.yaml", vfmgr: "$T/vfmgr", allow: "{{ allow | default(omit) }}" }
YAML
play2() { ansible-playbook -i localhost, -c local "$T/play2.yml" "$@" 2>&1; }
result() { # name, then whether it held (0/1)
	if [ "$2" = 0 ]; then
		ok "$1"
	else
		echo "$out" | sed 's/^/# /'
		notok "$1"
	fi
}
applied() { grep -q '^apply' "$T/calls"; }

out=$(play2)
grep -q "vfmgr apply failed: vfmgr: error: $T/p.yaml: step 1 (0000:01:00.0 numvfs 2 -> 3) is pf-reset" <<<"$out" &&
	grep -q "failed=1" <<<"$out"
result "above allow: the task fails with vfmgr's refusal" $?

out=$(play2 -e allow=pf-reset)
[ "$(tail -n1 "$T/calls")" = "apply $T/p.yaml --allow pf-reset" ] && grep -q "changed=1" <<<"$out"
result "allow is passed to vfmgr apply; a non-empty plan is changed" $?

: >"$T/calls"
out=$(play2 --check --diff -e allow=pf-reset)
! applied && grep -q "changed=1" <<<"$out" && grep -q '^+ 0000:01:00.0 numvfs 3 (was 2)' <<<"$out"
result "check mode: the plan is the diff, changed, apply never runs" $?

# Staged (path + dest): the apply runs on dest (the daemon applies only the file it runs); a
# refused apply puts dest back as it was, an accepted one keeps the staged file there.
echo "version: 1 # staged" >"$T/staged.yaml"
echo "version: 1 # installed" >"$T/dest.yaml"
cat >"$T/play3.yml" <<YAML
- hosts: localhost
  gather_facts: false
  tasks:
    - vfmgr.sriov.policy:
        { path: "$T/staged.yaml", dest: "$T/dest.yaml", vfmgr: "$T/vfmgr", allow: "{{ allow | default(omit) }}" }
YAML
: >"$T/calls"
out=$(ansible-playbook -i localhost, -c local "$T/play3.yml" 2>&1)
grep -q "failed=1" <<<"$out" && [ "$(cat "$T/dest.yaml")" = "version: 1 # installed" ] &&
	grep -q "^apply $T/dest.yaml" "$T/calls"
result "staged: a refused apply (of dest) leaves dest as it was" $?
out=$(ansible-playbook -i localhost, -c local "$T/play3.yml" -e allow=pf-reset 2>&1)
grep -q "changed=1" <<<"$out" && cmp -s "$T/staged.yaml" "$T/dest.yaml"
result "staged: an accepted apply installs the staged file at dest" $?

: >"$T/plan"
: >"$T/calls"
out=$(play2 -e allow=pf-reset)
! applied && grep -q "changed=0" <<<"$out"
result "an empty plan: changed=0, apply never runs" $?
echo "1..$n"
