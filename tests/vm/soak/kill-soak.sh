#!/bin/bash
# vmlab: igbs=3 limit=1500
# `make soak`: the kill drill's kill points repeated (KILL_ROUNDS, default 3) in one boot, to
# catch a point that converges only some of the time. Not part of `make check`.
export KILL_ROUNDS=${KILL_ROUNDS:-3}
export SCENARIO=kill-soak
. "$VFMGR_TOP/tests/vm/scenarios/kill-drill.sh"
