#!/bin/bash
# vfmgr rss against the real igb driver: channels and indirection tables read back exactly
# through ethtool, refused requests (above the driver's maximum, a hash key igb hides) change
# nothing, a failing later step rolls back channels and table, a second run writes nothing, and
# queue IRQs land on the NIC's local CPUs.
. "$VFMGR_TOP/tests/vm/lib.sh"

PF=0000:01:00.0
IF=$(ls /sys/bus/pci/devices/$PF/net)
# igb requests its queue IRQs when the interface opens.
ip link set "$IF" up

# ethtool's own view: current combined channels, its maximum, and all table entries in order.
combined() { ethtool -l "$IF" | awk '/^Current/{c=1} c && /^Combined:/{print $2}'; }
max_combined() { ethtool -l "$IF" | awk '/^Pre-set/{c=1} /^Current/{c=0} c && /^Combined:/{print $2}'; }
table() { ethtool -x "$IF" | awk '/^ *[0-9]+: /{for (i = 2; i <= NF; i++) printf "%s ", $i}'; }
snapshot() { ethtool -l "$IF"; ethtool -x "$IF"; }
repeat() { for _ in $(seq "$2"); do printf "%s " "$1"; done; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

check "rss show runs" "$VFMGR" rss show "$IF"
"$VFMGR" rss show "$IF"
check_eq "show --json: 128 table entries" 128 "$("$VFMGR" rss show "$IF" --json | jq '.indirection | length')"
check_eq "show --json: key not exposed" null "$("$VFMGR" rss show "$IF" --json | jq .key)"
check_eq "show --json: hfunc" toeplitz "$("$VFMGR" rss show "$IF" --json | jq -r .hfunc)"
check_eq "no VFs: igb allows 8 combined channels" 8 "$(max_combined)"

t0=$(date +%s%N)
check "set channels 4 equal 4" "$VFMGR" rss set "$IF" channels 4 equal 4
echo "# rss set channels 4 equal 4: $(ms_since "$t0") ms"
check_eq "ethtool -l: combined 4" 4 "$(combined)"
want=$(for i in $(seq 0 127); do printf "%d " $((i % 4)); done)
check_eq "ethtool -x: equal 4, entry by entry" "$want" "$(table)"

# ethtool's own weighted table is the reference for the rounding.
ethtool -X "$IF" weight 1 2 1 0
ref=$(table)
ethtool -X "$IF" equal 4
t0=$(date +%s%N)
check "set weight 1 2 1 0" "$VFMGR" rss set "$IF" weight 1 2 1 0
echo "# rss set weight 1 2 1 0: $(ms_since "$t0") ms"
check_eq "ethtool -x: weight 1 2 1 0, entry by entry" "$(repeat 0 32)$(repeat 1 64)$(repeat 2 32)" "$(table)"
check_eq "same table as ethtool -X weight 1 2 1 0" "$ref" "$(table)"
check_eq "ethtool -l: still combined 4" 4 "$(combined)"
check_eq "show --json table matches ethtool -x" "$(table)" \
	"$("$VFMGR" rss show "$IF" --json | jq -r '.indirection | map(tostring) | join(" ")') "
check_eq "show --json: queue 3 has no entries" 0 \
	"$("$VFMGR" rss show "$IF" --json | jq '.queues[3].table_entries')"

# A second run of the same request writes nothing: its debug log names no write, and strace
# counts only the reads: 5 SIOCETHTOOL calls per state read (GDRVINFO, GCHANNELS, GRXRINGS and
# GRSSH twice, sizes then contents). The plan of a met request is empty, so only the view is
# read. A changing run is a plan of two steps run by the applier: each reads the state for its
# undo (5) and its setter writes what differs from that read (1).
out=$("$VFMGR" -v -v rss set "$IF" channels 4 weight 1 2 1 0 2>&1)
check_eq "second run says no change" "$IF: no change" "$(echo "$out" | grep -v '^vfmgr: debug')"
check_eq "second run logs no ioctl write" 0 "$(echo "$out" | grep -c 'ioctl S')"
ethtool_calls() { strace -f -e trace=ioctl "$@" 2>&1 >/dev/null | grep -c SIOCETHTOOL; }
check_eq "rss show: 5 SIOCETHTOOL reads" 5 "$(ethtool_calls "$VFMGR" rss show "$IF")"
check_eq "second run: 5 SIOCETHTOOL calls, all reads" 5 \
	"$(ethtool_calls "$VFMGR" rss set "$IF" channels 4 weight 1 2 1 0)"
check_eq "a changing run: 5 + 2 steps of 6 (SCHANNELS, SRSSH)" 17 \
	"$(ethtool_calls "$VFMGR" rss set "$IF" channels 3 equal 3)"
check "back to channels 4 weight 1 2 1 0" "$VFMGR" rss set "$IF" channels 4 weight 1 2 1 0

# A later step the driver refuses (igb has only toeplitz) rolls back channels and table.
before=$(snapshot)
out=$("$VFMGR" rss set "$IF" channels 2 equal 2 hfunc xor 2>&1)
rc=$?
check_eq "hfunc xor on igb fails" 1 "$rc"
check_eq "rollback reported" 1 "$(echo "$out" | grep -c 'rolled back: .*the host is as it was before')"
check_eq "the failed step is named" 1 "$(echo "$out" | grep -c 'step 3 (.* rss hfunc) failed')"
check_eq "rollback restored channels and table" "$before" "$(snapshot)"

# A hash key: igb hides it, so a clear refusal and no change.
before=$(snapshot)
out=$("$VFMGR" rss set "$IF" equal 2 hkey random 2>&1)
check_eq "hkey random on igb fails" 1 $?
check_eq "hkey error says not supported by igb on $IF" 1 \
	"$(echo "$out" | grep -c "hash key not supported by igb on $IF")"
check_fails "hkey HEX on igb fails" "$VFMGR" rss set "$IF" hkey 6d:5a:56:da:25:5b:0e:c2
check_eq "key requests changed nothing" "$before" "$(snapshot)"

# IRQ affinity: queue q on the (q mod n)-th local CPU; a second run writes nothing.
local_cpus=$(cat /sys/bus/pci/devices/$PF/local_cpulist)
check "irq-affinity local" "$VFMGR" rss set "$IF" irq-affinity local
ncpu=$(nproc)
for q in 0 1 2 3; do
	# igb names its vectors IFACE-TxRx-N when rx and tx share one, else IFACE-rx-N and -tx-N.
	irqs=$(sed -nE "s/^ *([0-9]+):.* $IF-(TxRx|rx|tx)-$q\$/\1/p" /proc/interrupts | tr '\n' ' ')
	cpus=$(for i in $irqs; do printf "%s " "$(cat /proc/irq/$i/smp_affinity_list)"; done)
	check_eq "queue $q IRQs ${irqs:-none} on CPU $((q % ncpu)) (local cpus $local_cpus)" \
		"$(repeat $((q % ncpu)) $(echo $irqs | wc -w))" "${cpus:-no IRQ found}"
	check_eq "show --json: queue $q CPUs" "$cpus" \
		"$("$VFMGR" rss show "$IF" --json | jq -j ".queues[$q].irqs[] | .cpus + \" \"")"
done
check_eq "irq-affinity local again: no change" "$IF: no change" "$("$VFMGR" rss set "$IF" irq-affinity local)"

# With VFs igb allows only 2 combined channels: asking 4 names the maximum and changes nothing.
echo 2 >/sys/bus/pci/devices/$PF/sriov_numvfs
udevadm settle --timeout=20
check_eq "with VFs: igb allows 2 combined channels" 2 "$(max_combined)"
before=$(snapshot)
out=$("$VFMGR" rss set "$IF" channels 4 equal 4 2>&1)
check_eq "channels 4 with VFs fails" 1 $?
check_eq "error names the maximum 2" 1 \
	"$(echo "$out" | grep -c "igb on $IF allows at most 2 combined channels, asked for 4")"
check_eq "refused channels changed nothing" "$before" "$(snapshot)"
check "with VFs: channels 2 weight 3 1" "$VFMGR" rss set "$IF" channels 2 weight 3 1
check_eq "with VFs: ethtool -x weight 3 1" "$(repeat 0 96)$(repeat 1 32)" "$(table)"
finish
