#!/bin/bash
# vmlab: init=systemd
# README's "Install on a real host", run as written on a guest that boots systemd (sudo is
# the root shell here): it installs only the build dependencies (already there: nothing is
# fetched), writes the starter policy `vfmgr init` makes, and changes nothing on the NICs;
# vfmgr.service does not start, and the starter policy plans no change.
. "$VFMGR_TOP/tests/vm/lib.sh"
[ "${VMLAB_PHASE:-}" = boot ] && exit 0 # nothing in place before the boot: a fresh host
PF1=0000:01:00.0
PF2=0000:02:00.0
snapshot() {
	local pf
	for pf in $PF1 $PF2; do
		echo "$pf numvfs $(cat /sys/bus/pci/devices/$pf/sriov_numvfs)" \
			"driver $(basename "$(readlink /sys/bus/pci/devices/$pf/driver)")"
		ip -d link show "$(ls /sys/bus/pci/devices/$pf/net)" | grep -v 'link/ether'
	done
}
before=$(snapshot)
check_eq "no policy yet: vfmgr.service has not started" inactive "$(systemctl is-active vfmgr)"

# README_BLOCK N: the Nth sh block of README.md's "Install on a real host".
readme_block() {
	sed -n '/^## Install on a real host/,/^## Commands/p' "$VFMGR_TOP/README.md" |
		awk -v want="$1" '/^```sh$/ {n++; on = n == want; next} /^```$/ {on = 0} on'
}
# Each block as README.md has it, run in the checkout (sudo: this root shell).
run_block() { (cd "$VFMGR_TOP" && bash -c "sudo() { \"\$@\"; }; set -e; $1" 2>&1); }
block=$(readme_block 1)
echo "# the README block:"
sed 's/^/#   /' <<<"$block"
check "the README block names vfmgr init, no examples/ policy and enables nothing" \
	bash -c 'grep -q "vfmgr init" <<<"$1" && ! grep -q "examples/" <<<"$1" && ! grep -q "systemctl" <<<"$1"' sh "$block"
out=$(run_block "$block")
rc=$?
echo "$out" | sed 's/^/# /' | tail -n 40
check_eq "the README block runs to its end" 0 "$rc"
check "make build-deps installed nothing (it was all there) and nothing of the lab" \
	grep -q "deps: ready to build .*nothing of the lab was installed" <<<"$out"
lab=$("$VFMGR_TOP/tests/vm/deps.sh" --list-build |
	grep -xE 'qemu.*|libvirt-daemon-system|clang|valgrind|ansible-core|linux-image.*' | tr '\n' ' ')
check_eq "build-deps' packages hold no lab package" "" "$lab"
check "the policy is the starter one" grep -q "written by \`vfmgr init\`" /etc/vfmgr/policy.yaml
check "the starter policy names both PFs by PCI address" \
	sh -c "grep -q 'match: { pci: \"$PF1\" }' /etc/vfmgr/policy.yaml && grep -q 'match: { pci: \"$PF2\" }' /etc/vfmgr/policy.yaml"
check "the starter policy plans no change" grep -q "no changes: the host matches the policy" <<<"$out"
check "vfmgr check accepts it" /usr/local/sbin/vfmgr check /etc/vfmgr/policy.yaml
check_eq "the NICs are as they were" "$before" "$(snapshot)"
check_eq "vfmgr.service is still not running" inactive "$(systemctl is-active vfmgr)"
check_eq "nor enabled" disabled "$(systemctl is-enabled vfmgr 2>/dev/null)"

# The README's next block (apply, enable the service) on the unedited starter policy: still
# nothing changes on the NICs.
block=$(readme_block 2)
sed 's/^/#   /' <<<"$block"
out=$(run_block "$block")
rc=$?
echo "$out" | sed 's/^/# /' | tail -n 10
check_eq "the README's apply-and-enable block runs" 0 "$rc"
check_eq "vfmgr.service runs on the starter policy" active "$(wait_unit vfmgr active 60)"
sleep 2
check_eq "the NICs are still as they were" "$before" "$(snapshot)"
finish
