#!/bin/bash
# vmlab: init=systemd
# vfmgr as a Debian service: the guest boots systemd as PID 1 with vfmgr installed by
# `make install PREFIX=/usr`, its policy in /etc/vfmgr and vfmgr.service enabled.
. "$VFMGR_TOP/tests/vm/lib.sh"

if [ "${VMLAB_PHASE:-}" = boot ]; then
	vmlab_enable vfmgr.service
	exit 0
fi

check_eq "PID 1 is systemd" systemd "$(cat /proc/1/comm)"
check_eq "journald is active" active "$(systemctl is-active systemd-journald.service)"
check_eq "udevd is active" active "$(systemctl is-active systemd-udevd.service)"
check_eq "vfmgr installed by make install PREFIX=/usr" /usr/sbin/vfmgr "$(command -v vfmgr)"
check "the unit is enabled" systemctl is-enabled vfmgr.service
echo "# boot: $(systemd-analyze time 2>&1 | head -n1)"
finish
