#!/bin/bash
# plan --json against doc/schema/plan.schema.json: the unit tests' real plans (made by
# plan_to_json from the fixtures: new VFs, a VLAN change, a release, a whole PF to vfio-pci,
# RSS steps) are valid, and outputs in the old shapes are not (so the check can fail).
#   usage: tests/plan-schema.sh [BUILD]
set -u
B=${1:-build}
TOP=$(dirname "$(realpath "$0")")/..
CHECK=$TOP/tests/json-schema.sh # picks the python3 that has jsonschema
SCHEMA=$TOP/doc/schema/plan.schema.json
out=$(mktemp -d "${TMPDIR:-/tmp}/plan-schema.XXXXXX")
trap 'rm -rf "$out"' EXIT
rc=0
if ! VFMGR_JSON_OUT=$out "$B/tests/test-plan" >/dev/null 2>&1; then
	echo "not ok - plan schema: $B/tests/test-plan failed"
	exit 1
fi
n=$(ls "$out"/*.json 2>/dev/null | wc -l)
if [ "$n" -ge 6 ] && err=$("$CHECK" "$SCHEMA" "$out"/*.json); then
	echo "ok - plan schema: $n real plans valid ($(cd "$out" && ls | tr '\n' ' '))"
else
	echo "not ok - plan schema: $n plans; $err"
	rc=1
fi
# Every step kind the fixtures make is covered.
kinds=$(cat "$out"/*.json | python3 -c 'import json,sys
d=json.JSONDecoder(); t=sys.stdin.read(); i=0; k=set()
while i < len(t):
    t2=t[i:].lstrip(); 
    if not t2: break
    o,n=d.raw_decode(t2); i=len(t)-len(t2)+n; k|={s["action"] for s in o["steps"]}
print(" ".join(sorted(k)))')
want="rss-channels rss-table set-numvfs set-vfs vfio-bind vfio-restore"
if [ "$kinds" = "$want" ]; then
	echo "ok - plan schema: the plans cover $want"
else
	echo "not ok - plan schema: kinds '$kinds', want '$want'"
	rc=1
fi
# The shapes issue 16 replaced must be refused.
bad() {
	if echo "$2" | "$CHECK" "$SCHEMA" - >/dev/null; then
		echo "not ok - plan schema: $1 was accepted"
		rc=1
	else
		echo "ok - plan schema: $1 is refused"
	fi
}
first=$(ls "$out"/vlan.json)
bad "a bare array" '[]'
bad "a display string for a rate" "$(python3 -c 'import json,sys
o=json.load(open(sys.argv[1])); v=o["steps"][0]["vfs"][0]
v["changes"]["max_tx_rate"]={"from":"min_tx_rate 0 max_tx_rate 0","to":"min_tx_rate 0 max_tx_rate 1000"}
print(json.dumps(o))' "$first")"
bad "an owner as words (\"for\")" "$(python3 -c 'import json,sys
o=json.load(open(sys.argv[1])); v=o["steps"][0]["vfs"][0]
for k in ("vm","nic","leg"): v.pop(k)
v["for"]="db01 nic 0"
print(json.dumps(o))' "$first")"
# apply --json's summary carries the same records (doc/schema/apply.schema.json).
apply_doc() {
	python3 -c 'import json,sys
p=json.load(open(sys.argv[1])); ok=sys.argv[2]=="ok"
print(json.dumps({"steps":p["steps"] if ok else [],"pending":[] if ok else p["steps"],"ok":ok,
  "allow":"vf-destroy","refused_step":None if ok else 1,"failed_step":None,"rolled_back":False}))' "$@"
}
if err=$(for f in "$out"/*.json; do apply_doc "$f" ok; apply_doc "$f" refused; done |
	while read -r doc; do echo "$doc" | "$CHECK" "$TOP/doc/schema/apply.schema.json" - || exit 1; done); then
	echo "ok - apply schema: summaries of the $n plans valid (carried out, and refused)"
else
	echo "not ok - apply schema: $err"
	rc=1
fi
if apply_doc "$first" ok | python3 -c 'import json,sys
d=json.load(sys.stdin); d["pending"]=d["steps"]; print(json.dumps(d))' |
	"$CHECK" "$TOP/doc/schema/apply.schema.json" - >/dev/null; then
	echo "not ok - apply schema: ok with steps pending was accepted"
	rc=1
else
	echo "ok - apply schema: ok with steps pending is refused"
fi
bad "a step without its impact" "$(python3 -c 'import json,sys
o=json.load(open(sys.argv[1])); o["steps"][0].pop("impact")
print(json.dumps(o))' "$first")"
exit $rc
