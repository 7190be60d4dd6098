#!/bin/bash
# vmlab: igbs=3
# The main job, shown in the lab: examples/demo.yaml applied to a host with three SR-IOV PFs,
# then what a VM launcher needs.
. "$VFMGR_TOP/tests/vm/lib.sh"
export VFMGR_STATE=/tmp/vfmgr-state.json
POL=$VFMGR_TOP/examples/demo.yaml
for pf in 0000:01:00.0 0000:02:00.0; do ip link set "$(ls /sys/bus/pci/devices/$pf/net)" up; done
sleep 2
step() { echo; echo "### $*"; "$@"; }
step "$VFMGR" list
step "$VFMGR" check "$POL"
step "$VFMGR" plan "$POL"
step "$VFMGR" apply --allow pf-reset "$POL"
step "$VFMGR" plan "$POL"
step "$VFMGR" status
step "$VFMGR" list
step "$VFMGR" qemu-args web01
step "$VFMGR" qemu-args nfv01
step "$VFMGR" libvirt-xml web01
