#!/bin/bash
# vmlab: igbs=3 limit=4200
# `make soak`: the fault drills with the injection rounds repeated (FAULT_ROUNDS, default 10)
# in one boot, to catch what hangs or fails only some of the time. Not part of `make check`.
export FAULT_ROUNDS=${FAULT_ROUNDS:-10}
export SCENARIO=fault-soak
. "$VFMGR_TOP/tests/vm/scenarios/fault-drills.sh"
