#!/bin/bash
# Builds the lab's tiny initramfs: busybox, the modules needed to mount the host's / over
# virtio-9p, and tests/vm/guest/init. Rebuilt only when one of its inputs changed.
#   usage: mkinitramfs.sh KDIR     (KDIR = an extracted linux-image .deb)
#          mkinitramfs.sh --inner KDIR
# --inner builds what the guest tier's VM (a VM the lab guest boots, tests/vm/guest/inner-init)
# starts from: $LAB/inner-initramfs-KVER.cpio with busybox and the NIC drivers a VM given vfmgr's
# devices needs, and $LAB/inner-vmlinux-KVER, the kernel decompressed once, which QEMU boots
# through its PVH entry: under TCG inside TCG that skips the guest's own decompression.
set -euo pipefail
HERE=$(dirname "$(realpath "$0")")
TOP=$(realpath "$HERE/../..")
LAB=${LAB:-$TOP/.lab-cache}
INNER=
if [ "${1:-}" = --inner ]; then
	INNER=1
	shift
fi
KDIR=$(realpath "$1")
KVER=$(ls "$KDIR/lib/modules")
BB=$LAB/busybox
if [ -n "$INNER" ]; then
	OUT=$LAB/inner-initramfs-$KVER.cpio
	INIT=$HERE/guest/inner-init
	# igbvf/igb: a VF or a whole PF; virtio_pci+virtio_net+net_failover: a migratable NIC's
	# standby; bonding: a redundant pair; 8021q: VLANs in the guest.
	MODS="igbvf igb virtio_pci virtio_net net_failover bonding 8021q"
else
	OUT=$LAB/initramfs-$KVER.cpio.gz
	INIT=$HERE/guest/init
	MODS="virtio_pci 9pnet_virtio 9p overlay"
fi

# The inner VM's kernel, decompressed: a bzImage's payload starts at its compressor's magic
# (Debian's 6.1 is xz, its 6.12 zstd). The bytes are matched as bytes (LC_ALL=C), and each
# place the magic occurs is tried until one decompresses to an ELF kernel.
inner_vmlinux() {
	local vmlinuz=$KDIR/boot/vmlinuz-$KVER out=$LAB/inner-vmlinux-$KVER magic tool off
	[ -f "$out" ] && [ "$out" -nt "$vmlinuz" ] && return 0
	for magic in xz zstd; do
		case $magic in
		xz) tool="xz -dc" m=$'\xfd7zXZ' ;;
		zstd) tool="zstd -dcq" m=$'\x28\xb5\x2f\xfd' ;;
		esac
		for off in $(LC_ALL=C grep -abo "$m" "$vmlinuz" | cut -d: -f1 | head -n 4); do
			# The decompressor stops with an error at the bytes after the stream: keep its
			# output, and judge it by its ELF header.
			tail -c +$((off + 1)) "$vmlinuz" | $tool >"$out.tmp" 2>/dev/null || true
			if [ "$(head -c 4 "$out.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
				mv "$out.tmp" "$out"
				echo "mkinitramfs: extracted $out ($magic)"
				return 0
			fi
		done
	done
	rm -f "$out.tmp"
	echo "mkinitramfs: $vmlinuz: no xz or zstd payload that decompresses to an ELF kernel" >&2
	return 1
}
[ -z "$INNER" ] || inner_vmlinux

if [ -f "$OUT" ] && [ "$OUT" -nt "$INIT" ] && [ "$OUT" -nt "$0" ] && [ "$OUT" -nt "$BB" ]; then
	exit 0
fi
# The module index `make deps` wrote is reused (the kernel tree may be shared, read-only).
dep=$KDIR/lib/modules/$KVER/modules.dep
if [ ! -f "$dep" ] || [ -n "$(find "$KDIR/lib/modules/$KVER" -name '*.ko*' -newer "$dep" | head -n1)" ]; then
	depmod -b "$KDIR" "$KVER"
fi
ST=$(mktemp -d "$LAB/stage.XXXXXX")
trap 'rm -rf "$ST"' EXIT
mkdir -p "$ST"/{bin,proc,sys,dev,lower,upper,newroot,mods,top}
cp "$BB" "$ST/bin/busybox"
install -m 755 "$INIT" "$ST/init"
# "insmod PATH ARGS" lines, each module once, dependencies first; the order file keeps the
# arguments modprobe's configuration gives (bonding: max_bonds=0, no bond0 made on load).
for m in $MODS; do
	modprobe -d "$KDIR" -S "$KVER" --show-depends "$m"
done | awk '$1=="insmod" && !seen[$2]++ {$1=""; print substr($0, 2)}' | while read -r p args; do
	b=$(basename "$p")
	case "$p" in
	*.ko.xz) b=${b%.xz}; xz -dc "$p" >"$ST/mods/$b" ;;
	*.ko.zst) b=${b%.zst}; zstd -dcq "$p" >"$ST/mods/$b" ;;
	*) cp "$p" "$ST/mods/$b" ;;
	esac
	if [ -n "$INNER" ]; then
		echo "$b $args" >>"$ST/mods/order"
	else
		echo "$b" >>"$ST/mods/order"
	fi
done
if [ -n "$INNER" ]; then
	# Uncompressed: the VM under TCG inside TCG would spend seconds on gunzip.
	(cd "$ST" && find . | "$BB" cpio -o -H newc 2>/dev/null) >"$OUT.tmp"
else
	(cd "$ST" && find . | "$BB" cpio -o -H newc 2>/dev/null | gzip -1) >"$OUT.tmp"
fi
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs: built $OUT ($(du -h "$OUT" | cut -f1))"
