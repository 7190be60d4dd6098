#!/bin/bash
# libvirt's own schema over every domain XML the emitter's unit tests produce (see
# tests/unit/test-launch.c): NAME.xml must pass `virt-xml-validate FILE domain`, NAME.wf.xml
# (built from hostile input) must be well-formed with no <x> element smuggled in. TAP output.
#   $1  the test-launch binary
set -u
bin=${1:?usage: libvirt-schema.sh BUILD/tests/test-launch}
if ! command -v virt-xml-validate >/dev/null || ! command -v xmllint >/dev/null; then
	echo "not ok - libvirt schema: virt-xml-validate or xmllint missing (run make deps: libvirt-clients)"
	exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/libvirt-schema.XXXXXX")
trap 'rm -rf "$dir"' EXIT
if ! LAUNCH_XML_DIR=$dir "$bin" >"$dir/test.log" 2>&1; then
	echo "not ok - libvirt schema: $bin failed"
	sed 's/^/#   /' "$dir/test.log"
	exit 1
fi
rc=0 n=0
ver=$(virt-xml-validate --version | awk '{print "libvirt", $NF}')
for f in "$dir"/*.xml; do
	[ -e "$f" ] || break
	name=$(basename "$f")
	n=$((n + 1))
	case $name in
	*.wf.xml)
		if out=$(xmllint --noout "$f" 2>&1) &&
			[ "$(xmllint --xpath 'count(//x)' "$f" 2>&1)" = 0 ]; then
			echo "ok - libvirt schema: $name is well-formed, nothing injected"
		else
			echo "not ok - libvirt schema: $name"
			echo "$out" | sed 's/^/#   /'
			rc=1
		fi
		;;
	*)
		if out=$(virt-xml-validate "$f" domain 2>&1); then
			echo "ok - libvirt schema: $name validates ($ver)"
		else
			echo "not ok - libvirt schema: $name"
			{ echo "$out"; cat "$f"; } | sed 's/^/#   /'
			rc=1
		fi
		;;
	esac
done
if [ "$n" = 0 ]; then
	echo "not ok - libvirt schema: $bin wrote no XML into LAUNCH_XML_DIR"
	rc=1
fi
exit $rc
