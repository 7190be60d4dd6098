#!/bin/bash
# Validates vfmgr's JSON outputs against their schemas (doc/schema/*.schema.json, Draft 2020-12)
# with python3-jsonschema.
#   tests/json-schema.sh SCHEMA FILE...   each FILE ("-": stdin) against SCHEMA (the lab
#                                         scenarios and tests/plan-schema.sh use this)
#   tests/json-schema.sh                  the real outputs this host can give: check --json on
#                                         every example, qemu-args and status --json from a
#                                         recorded state file, guest-config --json of the
#                                         demo's VMs, list --json; and one broken
#                                         document that must be refused. TAP lines.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
SCHEMAS=$TOP/doc/schema
B=${VFMGR:-$TOP/build/vfmgr}

# The first python3 that has jsonschema: the Debian one (make deps), or one on PATH.
PY=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import jsonschema' 2>/dev/null; then
		PY=$p
		break
	fi
done
if [ -z "$PY" ]; then
	echo "not ok - no python3 with the jsonschema module (install python3-jsonschema: sudo make deps)"
	exit 1
fi

# validate SCHEMA FILE...: one line per refused file, exit 1 when any is refused. The one
# validator (tests/schema-check.py) also resolves $refs between the schemas (apply -> plan).
validate() {
	"$PY" "$TOP/tests/schema-check.py" "$@"
}

if [ $# -ge 2 ]; then
	validate "$@"
	exit
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -m 700 "$T/run"
export VFMGR_RUN_DIR=$T/run # no daemon answers for us
n=0
fails=0
# run NAME SCHEMA FILE...: a TAP line.
run() {
	local name=$1 out
	shift
	n=$((n + 1))
	if out=$(validate "$@" 2>&1); then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "$out" | tail -n 8 | sed "s/^/# /"
		fails=$((fails + 1))
	fi
}

for p in "$TOP"/examples/*.yaml; do
	f=$T/check-$(basename "$p" .yaml).json
	"$B" check --json "$p" >"$f" 2>/dev/null
	run "check --json $(basename "$p")" "$SCHEMAS/check.schema.json" "$f"
done
STATE=$TOP/tests/fuzz/seeds/state/lab.json
for vm in web01 nfv01; do
	"$B" qemu-args --json --state "$STATE" "$vm" >"$T/qemu-$vm.json" 2>/dev/null
	run "qemu-args --json $vm" "$SCHEMAS/qemu-args.schema.json" "$T/qemu-$vm.json"
done
for pv in demo:web01 demo:nfv01 full:db01 full:cache01; do
	"$B" guest-config --json --policy "$TOP/examples/${pv%:*}.yaml" "${pv#*:}" \
		>"$T/guest-${pv/:/-}.json" 2>/dev/null
	run "guest-config --json ${pv#*:} (examples/${pv%:*}.yaml)" \
		"$SCHEMAS/guest-config.schema.json" "$T/guest-${pv/:/-}.json"
done
"$B" status --json --state "$STATE" >"$T/status.json"
run "status --json (recorded state)" "$SCHEMAS/status.schema.json" "$T/status.json"
# A failed --json command prints its diagnostics as JSON, the objects check --json prints.
printf 'version: 1\npfs:\n  - { name: a, match: { pci: "0000:01:00.0" }, numvfs: 2, colour: blue }\n' >"$T/broken.yaml"
"$B" plan --json "$T/broken.yaml" >"$T/plan-broken.json" 2>/dev/null
run "plan --json of a broken policy (exit $?): its diagnostics" "$SCHEMAS/diagnostics.schema.json" "$T/plan-broken.json"
"$B" apply --json "$T/broken.yaml" --state "$T/none.json" >"$T/apply-broken.json" 2>/dev/null
run "apply --json of a broken policy: its diagnostics" "$SCHEMAS/diagnostics.schema.json" "$T/apply-broken.json"
"$B" list --json >"$T/list.json"
run "list --json (this host)" "$SCHEMAS/list.schema.json" "$T/list.json"
# The schemas must be able to refuse: a check output whose line is a string.
sed 's/"line": \([0-9]*\)/"line": "\1"/' "$T/check-isolation-mistakes.json" >"$T/bad.json"
n=$((n + 1))
if ! grep -q '"line": "' "$T/bad.json"; then
	echo "not ok $n - the broken document has no string line (isolation-mistakes has no diagnostics?)"
	fails=$((fails + 1))
elif validate "$SCHEMAS/check.schema.json" "$T/bad.json" >/dev/null; then
	echo "not ok $n - a check output with \"line\": \"17\" is refused"
	fails=$((fails + 1))
else
	echo "ok $n - a check output with \"line\": \"17\" is refused"
fi
echo "1..$n"
[ "$fails" = 0 ]
