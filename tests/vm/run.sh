#!/bin/bash
# Boots the lab (QEMU TCG, q35 + intel-iommu, two igb PFs on their own root ports, spare
# hotplug ports) and runs scenario scripts in it. Prints every check's TAP line, then a line
# per scenario. Exit 0 only if every scenario passed.
#   usage: tests/vm/run.sh [-t SECONDS] [-k stable|backports|KVER] SCENARIO.sh[:LIMIT] ...
# env: LAB (cache dir), VMLAB_KEEP=1 keeps the output dir, NET_MODE=hub|user, VMLAB_STALL and
# VMLAB_POSTDIAG (the stall bounds below), VMLAB_ACCEL/VMLAB_CPU/VMLAB_IOMMU/VMLAB_APPEND
# (QEMU's -accel, -cpu, IOMMU -device and extra kernel arguments, to try another configuration)
set -u
HERE=$(dirname "$(realpath "$0")")
TOP=$(realpath "$HERE/../..")
LAB=${LAB:-$TOP/.lab-cache}
TIMEOUT=600
KVER=
while getopts "t:k:" o; do
	case $o in
	t) TIMEOUT=$OPTARG ;;
	k) KVER=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-t SECONDS] [-k KVER] SCENARIO.sh[:LIMIT]..." >&2; exit 2; }

# -k stable / backports: the kernels `make deps` set up (Debian's 6.1 and 6.12).
# shellcheck source=tests/vm/labcache.sh
. "$HERE/labcache.sh"
lab_cache_need "$KVER"
KDIR=$(realpath "$LAB/kernel${KVER:+-$KVER}")
KVER=$(ls "$KDIR/lib/modules")
INITRD=$LAB/initramfs-$KVER.cpio.gz
"$HERE/mkinitramfs.sh" "$KDIR" || exit 1
# The guest tier's VM (a VM the lab guest boots): its kernel and initramfs, built once per kernel.
"$HERE/mkinitramfs.sh" --inner "$KDIR" || exit 1

OUT=$(mktemp -d "${TMPDIR:-/tmp}/vmlab.XXXXXX")
QMP=$OUT/qmp.sock
: >"$OUT/scenarios"
for s in "$@"; do
	path=${s%%:*}
	limit=120
	[ "$path" != "$s" ] && limit=${s##*:}
	# "LIMIT PATH": the path last, so that it may hold spaces.
	printf '%s %s\n' "$limit" "$(realpath "$path")" >>"$OUT/scenarios"
done
# The checkout reaches the guest by its own 9p share (tag "top"), which the guest's init mounts
# at the same path once its own /tmp and /run are in place: a checkout under /tmp, /run or on
# another mount is found there, not through the host's /. The path goes in a file of the out
# share, not on the kernel command line, where a space would split it.
printf '%s\n' "$TOP" >"$OUT/top"
# The make-deps tools a scenario runs (promtool) come the same way, from wherever LAB is.
TOOLS=$(dirname "$(realpath "$LAB/promtool" 2>/dev/null || echo "$LAB/none")")
# What the scenarios need to find: the fresh build and the source tree.
{
	printf 'export VFMGR_TOP=%q\n' "$TOP"
	printf 'export VFMGR=%q\n' "$TOP/build/vfmgr"
	printf 'export VFMGR_TEST=%q\n' "$TOP/build/vfmgr-test"
	printf 'export VMPROGS=%q\n' "$TOP/build/vmprogs"
	[ -x "$TOOLS/promtool" ] && printf 'export PROMTOOL=/run/vmlab/tools/promtool\n'
	printf 'export VFMGR_LAB=%q\n' "$(realpath "$LAB")"
	# The guest tier's VM: the lab kernel as ELF, its initramfs, the static programs it runs.
	printf 'export VMLAB_INNER_KERNEL=%q\n' "$(realpath "$LAB")/inner-vmlinux-$KVER"
	printf 'export VMLAB_INNER_INITRD=%q\n' "$(realpath "$LAB")/inner-initramfs-$KVER.cpio"
	printf 'export VMLAB_GUESTPROGS=%q\n' "$TOP/build/guestprogs"
	printf 'export VMLAB_QMP_REQ=/vmlab-out/qmp-requests\n'
} >"$OUT/env"

netdev() { # $1 = index
	if [ "${NET_MODE:-hub}" = hub ]; then
		# One hub = one L2 segment, so VF traffic really crosses between the PFs.
		echo "-netdev hubport,id=net$1,hubid=0"
	else
		echo "-netdev user,id=net$1,restrict=on"
	fi
}
# A scenario asks for a third igb PF (for whole-device passthrough) with a header line
# "# vmlab: igbs=3".
IGBS=2
while read -r _ path; do
	n=$(sed -n 's/^# vmlab:.*igbs=\([0-9]\).*/\1/p' "$path" | head -n1)
	[ -n "$n" ] && [ "$n" -gt "$IGBS" ] && IGBS=$n
done <"$OUT/scenarios"
# "# vmlab: init=systemd": the guest boots systemd as PID 1 (tests/vm/guest/systemd-boot.sh).
INIT=
while read -r _ path; do
	grep -q '^# vmlab:.*init=systemd' "$path" && INIT="vmlab.init=systemd"
done <"$OUT/scenarios"
dev=()
port=1
for i in $(seq 1 "$IGBS"); do
	# shellcheck disable=SC2207
	dev+=(-device "pcie-root-port,id=rp$port,chassis=$port,slot=$port" $(netdev "$i")
		-device "igb,bus=rp$port,netdev=net$i,mac=52:54:00:12:00:0$i")
	port=$((port + 1))
done
for i in 1 2; do # empty root ports for device_add hotplug
	dev+=(-device "pcie-root-port,id=hp$i,chassis=$port,slot=$port")
	port=$((port + 1))
done
# One TCG thread for both vCPUs (thread=single), not one each: with thread=multi, QEMU 10.0 now
# and then routes one vCPU's MMIO write to the wrong device while the other changes the memory
# map (VF creation does, many times). A local APIC timer write (TMICT, offset 0x380) that lands
# in the IOMMU's registers ("vtd_mem_write: MMIO over range: addr=0x380") leaves that vCPU with
# no timer interrupt: it halts for ever (issue 20). Memory-map stress in the lab hit QEMU's own
# "iotlb_to_section: Assertion `section_index < d->map.sections_nb'". Two vCPUs still, for IRQ
# affinity (rss.sh); the lab's work is mostly one process at a time, so it costs little.
QEMU=(qemu-system-x86_64 -machine q35 -accel "${VMLAB_ACCEL:-tcg,thread=single}" -cpu "${VMLAB_CPU:-max}" -smp 2 -m 2G
	-nodefaults -display none -no-reboot -serial "file:$OUT/console.log"
	-qmp "unix:$QMP,server=on,wait=off"
	-device "${VMLAB_IOMMU:-intel-iommu,intremap=on}" "${dev[@]}"
	-fsdev local,id=fsroot,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=fsroot,mount_tag=hostroot
	-fsdev "local,id=fstop,path=${TOP//,/,,},security_model=none,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=fstop,mount_tag=top
	-fsdev "local,id=fsmods,path=${KDIR//,/,,}/lib/modules/$KVER,security_model=none,readonly=on"
	-device virtio-9p-pci,fsdev=fsmods,mount_tag=kmods
	-fsdev "local,id=fstools,path=${TOOLS//,/,,},security_model=none,readonly=on"
	-device virtio-9p-pci,fsdev=fstools,mount_tag=tools
	-fsdev "local,id=fsout,path=${OUT//,/,,},security_model=none"
	-device virtio-9p-pci,fsdev=fsout,mount_tag=out
	-kernel "$KDIR/boot/vmlinuz-$KVER" -initrd "$INITRD"
	-append "console=ttyS0 loglevel=4 panic=-1 no_timer_check intel_iommu=on iommu=pt ${VMLAB_APPEND:+$VMLAB_APPEND }$INIT")

start=$(date +%s.%N)
timeout -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null >"$OUT/qemu.log" 2>&1 &
qpid=$!
# A guest wedged in its kernel runs no watchdog of its own: shortly before the limit, ask QEMU
# where each vCPU is (vcpu-dump.py), so a hang of the whole guest is not silent.
(
	trap 'kill $s 2>/dev/null; exit' TERM
	sleep $((TIMEOUT > 60 ? TIMEOUT - 20 : TIMEOUT * 2)) &
	s=$!
	wait $s
	kill -0 "$qpid" 2>/dev/null && "$HERE/vcpu-dump.py" "$OUT" >"$OUT/vcpus.txt" 2>&1
) &
vdump=$!
# A stalled guest ends early, not at the limit: each guest CPU rewrites OUT/alive.N every 5 s
# (stage2.sh); one that has not for STALL seconds stopped getting timer interrupts (QEMU TCG,
# issue 20) or the whole guest is wedged. And once a scenario past its limit has printed its
# diagnostics, the guest goes on within seconds (kills the scenario, prints its rc): a console
# with no line but kernel messages for POSTDIAG seconds after them is stuck too. Either way the
# vCPUs are dumped, OUT/stalled says why and QEMU is ended.
STALL=${VMLAB_STALL:-240}
POSTDIAG=${VMLAB_POSTDIAG:-90}
stop_guest() {
	echo "$1" >"$OUT/stalled"
	"$HERE/vcpu-dump.py" "$OUT" >"$OUT/vcpus.txt" 2>&1
	kill -TERM "$qpid" 2>/dev/null
}
watch_guest() {
	local now f age lines seen=-1 since last
	since=$(date +%s)
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 2
		now=$(date +%s)
		for f in "$OUT"/alive.*; do
			[ -e "$f" ] || continue
			age=$((now - $(stat -c %Y "$f")))
			if [ "$age" -ge "$STALL" ]; then
				stop_guest "guest silent for $age s (stall): guest CPU ${f##*.} ran no task since"
				return
			fi
		done
		# Lines the guest's programs print, not kernel messages (an RCU stall report repeats).
		lines=$(tr -d '\r' <"$OUT/console.log" | grep -v '^\[ *[0-9]')
		if [ "$(echo "$lines" | wc -l)" != "$seen" ]; then
			seen=$(echo "$lines" | wc -l)
			since=$now
		fi
		last=$(echo "$lines" | tail -n 1)
		if [ "$last" = "=== vmlab: end of diagnostics" ] && [ $((now - since)) -ge "$POSTDIAG" ]; then
			stop_guest "guest silent for $((now - since)) s after a scenario's diagnostics (stall)"
			return
		fi
	done
}
watch_guest &
watcher=$!
# Host-side helpers (hotplug through QMP) run while the guest works.
"$HERE/qmp-relay.sh" "$OUT" "$qpid" &
relay=$!
wait "$qpid"
qrc=$?
kill "$relay" "$vdump" "$watcher" 2>/dev/null
wait "$relay" "$vdump" "$watcher" 2>/dev/null
wall=$(echo "$(date +%s.%N) - $start" | bc)

rc=$(cat "$OUT/rc" 2>/dev/null)
status=0
while read -r limit path; do
	name=$(basename "$path" .sh)
	if [ -f "$OUT/$name.log" ]; then
		# Each check's TAP line; a failed one with what it expected and saw.
		awk '/^(not )?ok /{print; n = $1 == "not" ? 16 : 0; next}
			n > 0 && /^#   /{n--; print; next} {n = 0}' "$OUT/$name.log"
	fi
	src=$(cat "$OUT/$name.rc" 2>/dev/null || echo none)
	if [ "$src" != 0 ]; then
		status=1
		case $src in
		none)
			why="did not run"
			tr -d '\r' <"$OUT/console.log" | grep -q "^vmlab: scenario $name (limit" &&
				why="did not finish"
			;;
		124 | 137) why="timed out after ${limit}s" ;;
		*) why="exited $src" ;;
		esac
		echo "not ok - vm: scenario $name $why"
		echo "# --- $name.log (last 40 lines) ---"
		tail -n 40 "$OUT/$name.log" 2>/dev/null | sed 's/^/# /'
	fi
done <"$OUT/scenarios"
if [ -z "$rc" ]; then
	status=1
	if [ -s "$OUT/stalled" ]; then
		echo "not ok - vm: $(cat "$OUT/stalled")"
	else
		echo "not ok - vm: guest did not finish (qemu exit $qrc, limit ${TIMEOUT}s)"
	fi
	echo "# --- console (last 30 lines) ---"
	tail -n 30 "$OUT/console.log" | sed 's/^/# /'
	[ -s "$OUT/vcpus.txt" ] && sed 's/^/# vcpus: /' "$OUT/vcpus.txt"
	tail -n 10 "$OUT/qemu.log" | sed 's/^/# qemu: /'
fi
boot=$(tr -d '\r' <"$OUT/console.log" | sed -n 's/^vmlab: kernel .* up \([0-9.]*\)s$/\1/p')
printf '# vm: kernel %s, boot to scenarios %ss, wall %.1fs\n' "$KVER" "${boot:-?}" "$wall"
if [ "${VMLAB_KEEP:-0}" = 1 ] || [ "$status" != 0 ]; then
	echo "# vm: output kept in $OUT"
else
	rm -rf "$OUT"
fi
exit $status
