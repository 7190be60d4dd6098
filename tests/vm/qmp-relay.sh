#!/bin/bash
# Runs on the host beside QEMU. A guest scenario that needs the host (PCI hotplug through QMP)
# writes a request file into the out share; this relays it to QEMU's QMP socket and writes the
# reply back. Requests: qmp-requests/N.json (one QMP command), answered by N.reply.
OUT=$1
QPID=$2
REQ=$OUT/qmp-requests
mkdir -p "$REQ"
while kill -0 "$QPID" 2>/dev/null; do
	for f in "$REQ"/*.json; do
		[ -e "$f" ] || continue
		base=${f%.json}
		[ -e "$base.reply" ] && continue
		python3 "$(dirname "$0")/qmp.py" "$OUT/qmp.sock" <"$f" >"$base.reply.tmp" 2>&1
		mv "$base.reply.tmp" "$base.reply"
	done
	sleep 0.2
done
