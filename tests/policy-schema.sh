#!/bin/bash
# doc/schema/policy.json against vfmgr itself: every example (examples/*.yaml) and every
# refused example (tests/data/policy-refused/*.yaml) is validated by the schema, over the file
# as PyYAML loads it (Ansible's reader), and by `vfmgr check`. Both must accept or both refuse,
# except where the file says "# refused-by: vfmgr: WHY", or is an example with its .errors
# file (what no JSON Schema over PyYAML's
# view can state: cross-references, 0100 read as octal, yes read as true): then vfmgr must
# refuse it and the schema accept it. TAP lines.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${VFMGR:-$top/build/vfmgr}
S=$top/doc/schema/policy.json
n=0
fails=0
schema_verdict() { # FILE: prints "valid" or "invalid: WHY"
	python3 - "$S" "$1" <<'PY'
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
try:
    doc = yaml.safe_load(open(sys.argv[2], encoding="utf-8"))
except Exception as e:
    print("invalid: PyYAML: %s" % str(e).splitlines()[0]); sys.exit(0)
errs = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(map(str, e.path)))
print("valid" if not errs else "invalid: %s at /%s" % (errs[0].message[:160], "/".join(map(str, errs[0].path))))
PY
}
for f in "$top"/examples/*.yaml "$top"/tests/data/policy-refused/*.yaml; do
	rel=${f#"$top"/}
	by=$(sed -n 's/^# refused-by: \([a-z]*\).*/\1/p' "$f" | head -n1)
	# An example with X.errors next to it is refused by vfmgr check (tests/examples.sh) for
	# rules across entries; the schema takes it.
	[ -z "$by" ] && [ -e "${f%.yaml}.errors" ] && by=vfmgr
	sv=$(schema_verdict "$f")
	if "$B" check "$f" >/dev/null 2>&1; then vv=valid; else vv=invalid; fi
	case $by in
	"") want_s=valid want_v=valid ;;
	both) want_s=invalid want_v=invalid ;;
	vfmgr) want_s=valid want_v=invalid ;;
	*) want_s=? want_v=? ;;
	esac
	n=$((n + 1))
	if [ "${sv%%:*}" = "$want_s" ] && [ "$vv" = "$want_v" ]; then
		echo "ok $n - $rel: schema ${sv%%:*}, vfmgr $vv${by:+ (refused by $by)}"
	else
		echo "not ok $n - $rel: schema and vfmgr disagree with the file's verdict"
		echo "#   expected: schema $want_s, vfmgr $want_v"
		echo "#   actual:   schema $sv, vfmgr $vv"
		"$B" check "$f" 2>&1 | head -n 3 | sed 's/^/#   vfmgr: /'
		fails=$((fails + 1))
	fi
done
echo "1..$n"
[ "$fails" = 0 ]
