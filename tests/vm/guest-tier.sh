# The guest tier's helpers (sourced by tests/vm/scenarios/guest-*.sh after lib.sh): a VM booted
# inside the lab guest by QEMU (TCG inside TCG) from the lab's own kernel and
# tests/vm/guest/inner-init, given vfmgr's devices. The scenario hands it a script (/guest.sh,
# in an archive appended to the initramfs, with the static tests/vm/guestprogs); the VM prints
# "vmguest: KEY VALUE" lines on its serial console, which the scenario reads and checks.

# inner_initrd SCRIPT: the VM's initramfs with SCRIPT as /guest.sh, in a new INNER_DIR (also
# sets INNER_LOG, the console's file, and INNER_QMP); the archive is INNER_DIR/initrd.cpio.
inner_initrd() {
	INNER_DIR=$(mktemp -d /tmp/inner.XXXXXX)
	INNER_LOG=$INNER_DIR/console.log
	INNER_QMP=$INNER_DIR/qmp.sock
	mkdir -p "$INNER_DIR/root/bin"
	cp "$1" "$INNER_DIR/root/guest.sh"
	cp "$VMLAB_GUESTPROGS"/* "$INNER_DIR/root/bin/"
	# The kernel unpacks concatenated archives in turn: the base, then the scenario's files.
	(cd "$INNER_DIR/root" && find . | cpio -o -H newc --quiet) >"$INNER_DIR/extra.cpio"
	cat "$VMLAB_INNER_INITRD" "$INNER_DIR/extra.cpio" >"$INNER_DIR/initrd.cpio"
}

# The VM's kernel command line: its console, and no more than a warning on it (every console
# line costs an emulated UART's worth of exits twice over).
INNER_APPEND="console=ttyS0 quiet panic=-1"

# inner_start SCRIPT QEMU-ARGS...: boots the VM in the background. Sets INNER_DIR, INNER_LOG
# (its console), INNER_QMP (its QMP socket) and INNER_PID.
inner_start() {
	inner_initrd "$1"
	shift
	: >"$INNER_LOG"
	# Read once here (the lab guest's 9p root keeps it cached) to say what the read costs.
	INNER_T0=${EPOCHREALTIME/./}
	cat "$VMLAB_INNER_KERNEL" "$INNER_DIR/initrd.cpio" >/dev/null
	echo "# the VM's kernel and initramfs read over 9p in $(((${EPOCHREALTIME/./} - INNER_T0) / 1000)) ms"
	INNER_T0=${EPOCHREALTIME/./}
	# One vCPU, 256 MiB, nothing QEMU would add by default; the kernel booted as ELF through
	# its PVH entry (no decompression under TCG inside TCG).
	qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 1 -m 256M -nodefaults \
		-display none -no-reboot -no-user-config -serial "file:$INNER_LOG" \
		-qmp "unix:$INNER_QMP,server=on,wait=off" -kernel "$VMLAB_INNER_KERNEL" \
		-initrd "$INNER_DIR/initrd.cpio" -append "$INNER_APPEND" \
		"$@" >"$INNER_DIR/qemu.log" 2>&1 &
	INNER_PID=$!
}

# The VM's console without carriage returns.
inner_console() { tr -d '\r' <"$INNER_LOG"; }

# inner_wait PATTERN SECONDS: waits until a console line matches PATTERN (grep -E); fails at
# the deadline or when QEMU ends first. Prints the seconds since the VM's start.
inner_wait() {
	local pattern=$1 limit=$2 t0=${EPOCHREALTIME/./} t
	while :; do
		if inner_console | grep -qE "$pattern"; then
			t=${EPOCHREALTIME/./}
			echo $(((t - INNER_T0) / 1000000))
			return 0
		fi
		kill -0 "$INNER_PID" 2>/dev/null || return 1
		t=${EPOCHREALTIME/./}
		[ $((t - t0)) -gt $((limit * 1000000)) ] && return 1
		sleep 0.5
	done
}

# inner_value KEY: the value of the VM's first "vmguest: KEY VALUE" line.
inner_value() { inner_console | sed -n "s/^vmguest: $1 //p" | head -n1; }

# inner_lines KEY: every "vmguest: KEY ..." line's rest.
inner_lines() { inner_console | sed -n "s/^vmguest: $1 //p"; }

# inner_end SECONDS: waits for the VM to power off, ends it at the deadline, and puts its
# console and QEMU's messages into the scenario's log.
inner_end() {
	for _ in $(seq 1 $((${1:-30} * 5))); do
		kill -0 "$INNER_PID" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$INNER_PID" 2>/dev/null; then
		echo "# the VM did not power off within ${1:-30} s: ending its QEMU"
		kill "$INNER_PID"
	fi
	wait "$INNER_PID" 2>/dev/null
	echo "# VM wall time $(((${EPOCHREALTIME/./} - INNER_T0) / 1000000)) s; its console:"
	inner_console | grep -v '^$' | sed 's/^/#   vm| /'
	sed 's/^/#   qemu| /' "$INNER_DIR/qemu.log"
}
