#!/bin/bash
# vmlab: init=systemd limit=900
# One host, one system: with vfmgr.service running (systemd as PID 1, vfmgr installed by
# `make install PREFIX=/usr`, the daemon writing node-exporter's textfile through a drop-in),
# the CLI, Ansible, systemctl and Prometheus meet the daemon as an admin would meet them. Read
# back with sysfs, ip, systemctl, journalctl, promtool and the JSON schemas:
#   - a forwarded `apply --allow none` refuses a pf-reset step exactly as a local apply does,
#     and neither it nor the daemon's healing changes the host;
#   - a forwarded apply waits for a CLI's lock; the daemon's heal retries it and says so once;
#   - the Ansible module's staging (path + dest) under the daemon: changed, then changed=0,
#     --check --diff changing nothing, a refused apply leaving dest as it was;
#   - `systemctl reload` of a broken policy fails with its file:line:col (and STATUS= says it);
#   - the metrics file in node-exporter's directory, accepted by promtool;
#   - `plan --json` of a broken policy: a diagnostic that matches its schema;
#   - a SIGSTOPped daemon: `status` ends within its deadline, saying so, and is not run later.
. "$VFMGR_TOP/tests/vm/lib.sh"
POL=/etc/vfmgr/policy.yaml
STAGED=/etc/vfmgr/policy.staged.yaml
PF1=0000:01:00.0
PF2=0000:02:00.0
V=/usr/sbin/vfmgr
PROM=/var/lib/prometheus/node-exporter
STATE=/var/lib/vfmgr/state.json

policy() { # $1 = PF2's VF count, $2 = prod's VLAN
	cat <<EOF
version: 1
defaults: { vf-driver: kernel }
pfs:
  - { name: uplink-a, match: { pci: "$PF1" }, switch: tor-a, numvfs: 2 }
  - { name: uplink-b, match: { pci: "$PF2" }, switch: tor-b, numvfs: ${1:-2} }
networks:
  - { name: prod, vlan: ${2:-100}, class: vm, pfs: [uplink-a, uplink-b] }
vms:
  - { name: web01, nics: [ { network: prod, mac: "52:54:00:00:01:01" } ] }
EOF
}

if [ "${VMLAB_PHASE:-}" = boot ]; then
	mkdir -p /etc/vfmgr $PROM /etc/systemd/system/vfmgr.service.d
	policy 2 100 >$POL
	# The README's recipe: the daemon keeps the metrics in node-exporter's textfile directory.
	cat >/etc/systemd/system/vfmgr.service.d/metrics.conf <<EOF
[Service]
ExecStart=
ExecStart=$V daemon --policy $POL --wait-pfs 90 --metrics-file $PROM/vfmgr.prom
EOF
	vmlab_enable vfmgr.service
	exit $?
fi

PROMTOOL=${VFMGR_LAB:-$VFMGR_TOP/.lab-cache}/promtool
cursor() { journalctl -n 0 --show-cursor | sed -n 's/^-- cursor: //p'; }
jlog() { # CURSOR [args]: the journal's message text since CURSOR
	local c=$1
	shift
	journalctl --no-pager -o cat --after-cursor="$c" "$@"
}
poll() { # SECONDS CMD...: CMD every 0.1 s until it succeeds, at most SECONDS of wall time
	local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "${EPOCHREALTIME/./}" -gt "$end" ] && return 1
		sleep 0.1
	done
}
ms_since() { echo $(((${EPOCHREALTIME/./} - $1) / 1000)); }
if1=$(ls /sys/bus/pci/devices/$PF1/net)
if2=$(ls /sys/bus/pci/devices/$PF2/net)
# The host as sysfs and ip show it: both VF counts and every VF line of both PFs.
host_now() {
	cat /sys/bus/pci/devices/$PF1/sriov_numvfs /sys/bus/pci/devices/$PF2/sriov_numvfs
	ip -d link show "$if1" | grep -E '^ +vf '
	ip -d link show "$if2" | grep -E '^ +vf '
}
status_text() { systemctl show -P StatusText vfmgr.service; }
web_vlan() { # the VLAN ip shows on web01's VF
	local pf vf ifn
	pf=$(jq -r '.allocations[] | select(.vm=="web01") | .pf_address' $STATE)
	vf=$(jq -r '.allocations[] | select(.vm=="web01") | .vf' $STATE)
	ifn=$(ls "/sys/bus/pci/devices/$pf/net")
	ip -d link show "$ifn" | sed -n "s/^ *vf $vf .*vlan \([0-9]*\).*/\1/p"
}
for i in $if1 $if2; do ip link set "$i" up; done

# --- the service, and its metrics file where node-exporter reads it -----------------------
check_eq "vfmgr.service active" active "$(systemctl is-active vfmgr.service)"
check "STATUS= names the policy and since when ($(status_text))" \
	grep -qE "^2 of 2 policy PFs present; policy $POL since [0-9-]+ [0-9:]+" <<<"$(status_text)"
check "the daemon wrote $PROM/vfmgr.prom" poll 20 test -s $PROM/vfmgr.prom
check "promtool check metrics accepts it" "$PROMTOOL" check metrics <$PROM/vfmgr.prom
check_eq "no write error for the metrics file (ProtectSystem=strict, ReadWritePaths=)" "" \
	"$(journalctl -u vfmgr -o cat | grep -i 'cannot write the metrics')"
check_eq "web01's VF on vlan 100 (ip)" 100 "$(web_vlan)"

# --- a forwarded apply keeps --allow ------------------------------------------------------
c=$(cursor)
before=$(host_now)
policy 3 100 >$POL # PF2 2 -> 3 VFs: goes through 0, a pf-reset on igb
out=$($V -v apply --allow none --json $POL 2>/tmp/refusal.err)
rc=$?
echo "$out" >/tmp/refusal.json
sed 's/^/# /' /tmp/refusal.err
check_eq "forwarded apply --allow none: exit 1" 1 "$rc"
check_eq "forwarded apply --allow none --json: ok false, allow none, refused step 1" "false none 1" \
	"$(jq -r '[.ok, .allow, .refused_step] | map(tostring) | join(" ")' /tmp/refusal.json)"
check "its JSON matches apply.schema.json" \
	"$VFMGR_TOP/tests/json-schema.sh" "$VFMGR_TOP/doc/schema/apply.schema.json" /tmp/refusal.json
check "the refusal reads as the local one (step, impact, how to accept it)" \
	grep -qE "^vfmgr: error: $POL: step 1 \($PF2 numvfs 2 -> 3\) is pf-reset: " /tmp/refusal.err
check "... and says nothing was changed" \
	grep -q "nothing was changed; review the plan with 'vfmgr plan $POL', then accept it with 'vfmgr apply --allow pf-reset $POL'" /tmp/refusal.err
check "the daemon answered it" grep -q "answered by the daemon" /tmp/refusal.err
sleep 2 # a heal of the refused policy would have started by now
check_eq "sysfs and ip: the host is unchanged (the daemon's healing did not carry it out)" \
	"$before" "$(host_now)"
policy 2 100 >$POL

# --- the lock: a forwarded apply waits for it; the daemon's heal backs off, says so once ---
c=$(cursor)
flock /run/vfmgr/lock sleep 4 &
holder=$!
sleep 0.3
vf=$(jq -r '.allocations[] | select(.vm=="web01") | .vf' $STATE)
wpf=$(jq -r '.allocations[] | select(.vm=="web01") | .pf_address' $STATE)
wif=$(ls "/sys/bus/pci/devices/$wpf/net")
ip link set "$wif" vf "$vf" vlan 999 # drift while the lock is held
t0=${EPOCHREALTIME/./}
check "forwarded apply while a CLI holds the lock: waits and succeeds" $V apply --allow none $POL
waited=$(ms_since "$t0")
echo "# forwarded apply returned after $waited ms (the lock was held ~3.7 s more)"
check "... after the lock was released (${waited} ms)" test "$waited" -ge 2500
wait $holder
check_eq "web01's drift healed after the lock (ip: vlan 100)" 100 "$(web_vlan)"
n=$(jlog "$c" -u vfmgr | grep -c 'another vfmgr holds the lock')
check "the daemon's busy-lock retries logged once, not every 150 ms ($n)" test "$n" -le 1
check_eq "no error from the daemon meanwhile" "" "$(jlog "$c" -u vfmgr -p err)"

# --- Ansible: the staged policy under the daemon ------------------------------------------
export ANSIBLE_COLLECTIONS_PATH=$VFMGR_TOP/contrib/ansible LC_ALL=C.UTF-8 HOME=/tmp/home
export ANSIBLE_LOCAL_TEMP=/tmp/ansible-local ANSIBLE_REMOTE_TEMP=/tmp/ansible-remote
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_PIPELINING=1
mkdir -p "$HOME" /tmp/fleet
cat >/tmp/fleet/site.yml <<YAML
- hosts: localhost
  gather_facts: false
  tasks:
    - vfmgr.sriov.policy:
        path: $STAGED
        dest: $POL
        allow: "{{ allow | default('none') }}"
        vfmgr: $V
YAML
play() { ansible-playbook -i localhost, -c local /tmp/fleet/site.yml "$@" 2>&1; }
recap() { sed -n 's/^localhost *: //p' <<<"$1" | tr -s ' ' | sed 's/ *$//'; }
c=$(cursor)
policy 2 101 >$STAGED # a VLAN change: impact none
t0=$(date +%s)
out=$(play)
echo "# first run took $(($(date +%s) - t0)) s"
check_eq "ansible, daemon running: changed=1" "ok=1 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0" "$(recap "$out")" ||
	echo "$out" | tail -n 20 | sed 's/^/# /'
check "the staged policy is installed at dest" cmp $STAGED $POL
check_eq "ip: web01's VF on vlan 101" 101 "$(web_vlan)"
check "the apply was the daemon's (its journal: applied 1 step)" sh -c "journalctl -u vfmgr -o cat --after-cursor='$c' | grep -q 'applied 1 step'"
out=$(play)
check_eq "ansible, second run: changed=0" "ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0" "$(recap "$out")"
policy 2 102 >$STAGED
before=$(host_now; cat $POL $STATE)
out=$(play --check --diff)
check "ansible --check --diff: the diff is vfmgr's plan line" \
	grep -qE "^\+ 0000:0[12]:00.0 vf [0-9]+ vlan 102 qos 0 \(was vlan 101 qos 0\)  \[web01 nic 0\]  impact: none" <<<"$out"
check_eq "ansible --check --diff: ip, sysfs, dest and the state file as before" "$before" "$(host_now; cat $POL $STATE)"
policy 3 101 >$STAGED # above allow none
before=$(host_now; cat $POL)
out=$(play)
check "ansible: a refused apply fails the task with vfmgr's refusal" \
	grep -q "vfmgr apply failed: .*is pf-reset" <<<"$out"
check_eq "... and leaves dest and the host as they were" "$before" "$(host_now; cat $POL)"
sleep 1
check_eq "... and the daemon still runs the policy of dest (ip: vlan 101)" 101 "$(web_vlan)"

# --- systemctl reload of a broken policy fails, with its line -----------------------------
cp $POL /tmp/good.yaml
sed 's/numvfs: 2 }/numvfs: 2, colour: blue }/' /tmp/good.yaml >$POL
line=$(grep -n colour $POL | head -n1 | cut -d: -f1)
out=$(systemctl reload vfmgr 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "systemctl reload of a broken policy fails (exit $rc)" test "$rc" -ne 0
st=$(systemctl status --no-pager -n 20 vfmgr 2>&1)
check "systemctl status shows $POL:$line:COL" grep -qE "$POL:$line:[0-9]+:.*colour" <<<"$st" ||
	echo "$st" | sed 's/^/# /'
check "STATUS= says the reload was refused, and which policy still runs" \
	grep -qE "policy $POL since .*; reload refused: $POL:$line:[0-9]+" <<<"$(status_text)"
check_eq "still active" active "$(systemctl is-active vfmgr)"

# --- plan --json of that broken policy: a diagnostic, as its schema says -----------------
$V plan --json $POL >/tmp/plan-broken.json 2>/dev/null
check_eq "plan --json of a broken policy exits 1" 1 "$?"
check "its stdout matches diagnostics.schema.json" \
	"$VFMGR_TOP/tests/json-schema.sh" "$VFMGR_TOP/doc/schema/diagnostics.schema.json" /tmp/plan-broken.json
check_eq "the diagnostic names the file, line and key" "$POL $line true" \
	"$(jq -r '.diagnostics[0] | [.file, .line, (.message | test("colour"))] | map(tostring) | join(" ")' /tmp/plan-broken.json)"
cp /tmp/good.yaml $POL
check "systemctl reload of the good policy succeeds" systemctl reload vfmgr
check_fails "STATUS= no longer says refused" grep -q "refused" <<<"$(status_text)"

# --- a stopped daemon: clients end within their deadline ----------------------------------
c=$(cursor)
pid=$(systemctl show -P MainPID vfmgr)
kill -STOP "$pid"
t0=${EPOCHREALTIME/./}
out=$($V status 2>&1)
rc=$?
took=$(ms_since "$t0")
echo "# status against a stopped daemon: exit $rc after $took ms: $out"
check_eq "status against a SIGSTOPped daemon: exit 1" 1 "$rc"
check "... saying the daemon did not answer in 10 s" grep -q "the daemon did not answer in 10 s" <<<"$out"
check "... within its deadline ($took ms)" test "$took" -ge 9500 -a "$took" -le 15000
kill -CONT "$pid"
check "the resumed daemon does not run the abandoned request" \
	poll 10 sh -c "journalctl -u vfmgr -o cat --after-cursor='$c' | grep -q 'went away before its status ran; not run'"
check "status answered again" $V status

# --- the metrics file kept up to date -------------------------------------------------------
check "promtool accepts the metrics file after all that" "$PROMTOOL" check metrics <$PROM/vfmgr.prom
check_eq "metrics: web01's VF configured once" 1 \
	"$(awk '$1 ~ /^vfmgr_vfs\{/ && $1 ~ /status="configured"/ { n += $2 } END { print n + 0 }' $PROM/vfmgr.prom)"

echo "# --- journalctl -u vfmgr ---"
journalctl -u vfmgr -o short-monotonic --no-pager | tail -n 80 | sed 's/^/# /'
finish
