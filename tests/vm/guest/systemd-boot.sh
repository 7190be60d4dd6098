#!/bin/bash
# Lab guest with systemd as PID 1 ("# vmlab: init=systemd" in a scenario). The initramfs runs
# this chrooted into the overlay root, before `switch_root … /lib/systemd/systemd`. It makes the
# overlay look like a freshly installed host that runs only what the lab asks for:
#   - vfmgr installed as an admin would (`make install PREFIX=/usr`; the host stays untouched,
#     the writes land in the guest's tmpfs overlay);
#   - vmlab.target (what systemd boots): journald, udevd and vmlab-run.service, which runs
#     tests/vm/guest/stage2.sh (the scenarios) on the serial console, then powers off;
#   - each scenario run once with VMLAB_PHASE=boot, here, to put its configuration in place
#     and enable its units (lib.sh: vmlab_enable), before any daemon starts.
# vmlab-run.service is ordered after every unit in vmlab.target.wants, so scenarios start once
# what the boot started is up (or has failed).
set -euo pipefail
trap 'echo "vmlab: systemd-boot.sh: line $LINENO failed"' ERR
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
# shellcheck source=/dev/null
. /vmlab-out/env
HERE=$(dirname "$(realpath "$0")")
U=/etc/systemd/system

# The host's / may be a container's: without its marker file the guest is a machine to
# systemd, as a real host is (ConditionVirtualization=!container units run).
rm -f /.dockerenv /run/.containerenv
# The host's own configuration must not drive the guest: its fstab names the host's disks, its
# machine id and persistent journal are the host's, and its enabled units are not the lab's
# (a scenario enables what it needs in its boot phase).
: >/etc/fstab
systemd-id128 new >/etc/machine-id
mkdir -p /etc/systemd/journald.conf.d
printf '[Journal]\nStorage=volatile\nForwardToConsole=no\n' >/etc/systemd/journald.conf.d/vmlab.conf
find "$U" -path "$U/*.wants/*" -type l -delete
# Over 9p, creating the tmpfiles.d tree (mostly /var) took 32 s of a 46 s boot; the guest's
# /run and /tmp are fresh tmpfs already. Nothing in the lab needs the rest of them.
for m in systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service \
	systemd-firstboot.service systemd-timesyncd.service systemd-pstore.service \
	systemd-binfmt.service proc-sys-fs-binfmt_misc.automount systemd-repart.service \
	systemd-machine-id-commit.service systemd-random-seed.service; do
	ln -sfn /dev/null "$U/$m"
done

make -s -C "$VFMGR_TOP" install PREFIX=/usr

cat >"$U/vmlab.target" <<'EOF'
[Unit]
Description=vmlab: the lab's boot target
Requires=systemd-journald.service systemd-udevd.service vmlab-run.service
After=systemd-journald.service systemd-udevd.service
AllowIsolate=yes
EOF
mkdir -p "$U/vmlab.target.wants"

while read -r _ scenario; do
	[ -n "$scenario" ] || continue
	name=$(basename "$scenario" .sh)
	echo "vmlab: boot phase of $name"
	if ! VMLAB_PHASE=boot bash "$scenario" >"/vmlab-out/$name.boot.log" 2>&1; then
		echo "vmlab: boot phase of $name failed:"
		tail -n 20 "/vmlab-out/$name.boot.log"
		exit 1
	fi
done </vmlab-out/scenarios

after=
for w in "$U/vmlab.target.wants"/*; do
	[ -e "$w" ] || [ -L "$w" ] || continue
	after="$after ${w##*/}"
done
# ExecStart's own quoting: the path in double quotes, its "%" and "$" doubled (not specifiers).
exec_path=${HERE//%/%%}
exec_path=${exec_path//\$/\$\$}
cat >"$U/vmlab-run.service" <<EOF
[Unit]
Description=vmlab: run the scenarios, then power off
After=systemd-journald.service systemd-udevd.service systemd-udev-trigger.service$after
Wants=systemd-udev-trigger.service

[Service]
Type=oneshot
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TimeoutStartSec=infinity
ExecStart=/bin/bash "$exec_path/stage2.sh"
EOF
echo "vmlab: systemd set up (vmlab.target wants:${after:- nothing more})"
