#!/bin/bash
# The fleet policy through Ansible on the real igb driver: ansible-playbook -c local with the
# vfmgr.sriov collection. The guest's hostname (vmlab-guest) selects its entries: a PF and a
# pinned VM for vmlab-*, a PF for other hosts (left alone), and an on-demand VM (no VF until it
# starts). First run changed (and installs the policy at dest), second changed=0, --check
# --diff shows vfmgr's plan and changes nothing. Read back with ip/sysfs. Lean: three runs
# (ansible starts slowly under TCG); tests/ansible.sh covers the module's failure paths.
# vmlab: limit=600
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
export ANSIBLE_COLLECTIONS_PATH=$VFMGR_TOP/contrib/ansible LC_ALL=C.UTF-8 HOME=/tmp/home
export ANSIBLE_LOCAL_TEMP=/tmp/ansible-local ANSIBLE_REMOTE_TEMP=/tmp/ansible-remote
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
# No interpreter discovery and no temporary module files: fewer processes under TCG.
export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_PIPELINING=1
mkdir -p "$HOME" /tmp/fleet /tmp/etc-vfmgr
PF1=0000:01:00.0
PF2=0000:02:00.0
IF=$(ls /sys/bus/pci/devices/$PF1/net)
ip link set "$IF" up

policy() { # $1 = VLAN of prod, $2 = numvfs of the guest's PF; staged as the playbook's copy would
	cat >/tmp/etc-vfmgr/staged.yaml <<YAML
version: 1
pfs:
  - { name: up, hosts: ["vmlab-*"], match: { pci: "$PF1" }, numvfs: $2 }
  - { name: up, hosts: ["compute-*"], match: { pci: "$PF2" }, numvfs: 4 }
networks:
  - { name: prod, vlan: $1, class: vm, pfs: [up] }
vms:
  - name: web01
    hosts: [vmlab-guest]
    nics: [ { network: prod, vf-driver: kernel, mac: "52:54:00:00:01:01" } ]
  - name: roam01
    hosts: ["vmlab-*", "compute-*"]
    nics: [ { network: prod, vf-driver: kernel, mac: "52:54:00:00:09:01" } ]
YAML
}
cat >/tmp/fleet/site.yml <<YAML
- hosts: localhost
  gather_facts: false
  tasks:
    - vfmgr.sriov.policy:
        path: /tmp/etc-vfmgr/staged.yaml
        dest: /tmp/etc-vfmgr/policy.yaml
        allow: "{{ allow | default(omit) }}"
        state_file: $VFMGR_STATE
        vfmgr: $VFMGR
YAML
play() { ansible-playbook -i localhost, -c local /tmp/fleet/site.yml "$@" 2>&1; }
recap() { sed -n 's/^localhost *: //p' <<<"$1" | tr -s ' ' | sed 's/ *$//'; }
numvfs() { cat /sys/bus/pci/devices/$1/sriov_numvfs; }
vfs() { ip -d link show "$IF" | grep -E '^ +vf '; }

policy 100 2
t0=$(date +%s)
out=$(play -e allow=pf-reset)
echo "$out"
echo "# first run took $(($(date +%s) - t0)) s"
check_eq "first run: changed" "ok=1 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0" "$(recap "$out")"
check_eq "sysfs: the guest's PF has 2 VFs" 2 "$(numvfs $PF1)"
check_eq "sysfs: the PF for compute-* hosts is left alone" 0 "$(numvfs $PF2)"
check "ip: web01's VF carries vlan 100 and its MAC" grep -qE "vf [0-9]+ .*link/ether 52:54:00:00:01:01.*vlan 100" <<<"$(vfs)"
check_fails "ip: on-demand roam01 got no VF from apply" grep -q "52:54:00:00:09:01" <<<"$(vfs)"
check "the applied policy is installed at dest" cmp /tmp/etc-vfmgr/staged.yaml /tmp/etc-vfmgr/policy.yaml

t0=$(date +%s)
out=$(play -e allow=pf-reset)
echo "# second run took $(($(date +%s) - t0)) s"
check_eq "second run: changed=0" "ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0" "$(recap "$out")"

# The review step: a VLAN change in check mode shows the plan as the diff, writes nothing.
policy 101 2
before=$(vfs; numvfs $PF1; cat "$VFMGR_STATE" /tmp/etc-vfmgr/policy.yaml)
out=$(play --check --diff)
echo "$out"
check "check mode: the diff is vfmgr's plan line" grep -qE "^\+ $PF1 vf [0-9]+ vlan 101 qos 0 \(was vlan 100 qos 0\)  \[web01 nic 0\]  impact: none" <<<"$out"
check_eq "check mode: reported as changed" "ok=1 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0" "$(recap "$out")"
check_eq "check mode: ip, sysfs, the state file and the installed policy are as before" "$before" "$(vfs; numvfs $PF1; cat "$VFMGR_STATE" /tmp/etc-vfmgr/policy.yaml)"
finish
