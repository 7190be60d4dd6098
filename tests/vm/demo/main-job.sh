#!/bin/bash
# The main job, shown in the lab: what vfmgr sees on a host with two SR-IOV PFs.
. "$VFMGR_TOP/tests/vm/lib.sh"
echo 3 >/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs
udevadm settle --timeout=20
echo "### vfmgr list"
"$VFMGR" list
echo
echo "### vfmgr list --json (first device)"
"$VFMGR" list --json | jq '.devices[0]'
