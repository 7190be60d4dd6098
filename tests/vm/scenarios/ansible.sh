#!/bin/bash
# The fleet policy through Ansible on the real igb driver: ansible-playbook -c local with the
# vfmgr.sriov collection. The guest's hostname (vmlab-guest) selects its entries: a PF and a
# pinned VM for vmlab-*, a PF for other hosts (left alone), and an on-demand VM (no VF until it
# starts). The playbook stages the file (written in check mode too) and the module installs it
# at dest once applied. First run changed, second changed=0, --check --diff shows the plan and
# changes nothing, a step above allow fails with vfmgr's refusal. Read back with ip/sysfs.
# vmlab: limit=420
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
export ANSIBLE_COLLECTIONS_PATH=$VFMGR_TOP/contrib/ansible LC_ALL=C.UTF-8 HOME=/tmp/home
export ANSIBLE_LOCAL_TEMP=/tmp/ansible-local ANSIBLE_REMOTE_TEMP=/tmp/ansible-remote
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
mkdir -p "$HOME" /tmp/fleet
PF1=0000:01:00.0
PF2=0000:02:00.0
IF=$(ls /sys/bus/pci/devices/$PF1/net)
ip link set "$IF" up

policy() { # $1 = VLAN of prod, $2 = numvfs of the guest's PF
	cat >/tmp/fleet/fleet.yaml <<YAML
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
    - ansible.builtin.copy: { src: /tmp/fleet/fleet.yaml, dest: /tmp/etc-vfmgr/staged.yaml }
      check_mode: false
    - vfmgr.sriov.policy:
        path: /tmp/etc-vfmgr/staged.yaml
        dest: /tmp/etc-vfmgr/policy.yaml
        allow: "{{ allow | default(omit) }}"
        state_file: $VFMGR_STATE
        vfmgr: $VFMGR
YAML
mkdir -p /tmp/etc-vfmgr
play() { ansible-playbook -i localhost, -c local /tmp/fleet/site.yml "$@" 2>&1; }
recap() { sed -n 's/^localhost *: //p' <<<"$1" | tr -s ' '; }
numvfs() { cat /sys/bus/pci/devices/$1/sriov_numvfs; }
vfs() { ip -d link show "$IF" | grep -E '^ +vf '; }

policy 100 2
t0=$(date +%s)
out=$(play -e allow=pf-reset)
echo "$out"
echo "# first run took $(($(date +%s) - t0)) s"
check_eq "first run: changed (copy and policy)" "ok=2 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0" "$(recap "$out")"
check_eq "sysfs: the guest's PF has 2 VFs" 2 "$(numvfs $PF1)"
check_eq "sysfs: the PF for compute-* hosts is left alone" 0 "$(numvfs $PF2)"
check "ip: web01's VF carries vlan 100 and its MAC" grep -qE "vf [0-9]+ .*link/ether 52:54:00:00:01:01.*vlan 100" <<<"$(vfs)"
check_fails "ip: on-demand roam01 got no VF from apply" grep -q "52:54:00:00:09:01" <<<"$(vfs)"

out=$(play -e allow=pf-reset)
check_eq "second run: changed=0" "ok=2 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0" "$(recap "$out")"

# The review step: a VLAN change in check mode shows the plan as the diff, writes nothing.
policy 101 2
before=$(vfs; numvfs $PF1; cat "$VFMGR_STATE")
out=$(play --check --diff)
echo "$out"
check "check mode: the diff is vfmgr's plan line" grep -qE "^\+ $PF1 vf [0-9]+ vlan 101 qos 0 \(was vlan 100 qos 0\)  \[web01 nic 0\]  impact: none" <<<"$out"
check_eq "check mode: reported as changed" "ok=2 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0" "$(recap "$out")"
check_eq "check mode: ip, sysfs and the state file are as before" "$before" "$(vfs; numvfs $PF1; cat "$VFMGR_STATE")"
check "check mode: the installed policy is the old one" grep -q "vlan: 100" /tmp/etc-vfmgr/policy.yaml

out=$(play)
check_eq "the VLAN change applies without allow" "ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0" "$(recap "$out")"
check "the applied policy is installed at dest" cmp /tmp/fleet/fleet.yaml /tmp/etc-vfmgr/policy.yaml
check "ip: web01's VF now carries vlan 101" grep -qE "52:54:00:00:01:01.*vlan 101" <<<"$(vfs)"

# A VF count change resets the igb PF: above the default allow, the task fails with vfmgr's
# refusal and nothing is written.
policy 101 3
out=$(play)
echo "$out"
check "above allow: the task fails with vfmgr's refusal" grep -q "vfmgr apply failed: .*is pf-reset: igb resets the PF.*then accept it with 'vfmgr apply --allow pf-reset" <<<"$out"
check_eq "above allow: failed=1" "ok=1 changed=1 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0" "$(recap "$out")"
check_eq "above allow: sysfs still 2 VFs" 2 "$(numvfs $PF1)"
check "above allow: the installed policy stays the applied one" grep -q "numvfs: 2" /tmp/etc-vfmgr/policy.yaml
finish
