#!/bin/bash
# Builds the lab's tiny initramfs: busybox, the modules needed to mount the host's / over
# virtio-9p, and tests/vm/guest/init. Rebuilt only when one of its inputs changed.
#   usage: mkinitramfs.sh KDIR     (KDIR = an extracted linux-image .deb)
set -euo pipefail
HERE=$(dirname "$(realpath "$0")")
TOP=$(realpath "$HERE/../..")
LAB=${LAB:-$TOP/.lab-cache}
KDIR=$(realpath "$1")
KVER=$(ls "$KDIR/lib/modules")
OUT=$LAB/initramfs-$KVER.cpio.gz
BB=$LAB/busybox

if [ -f "$OUT" ] && [ "$OUT" -nt "$HERE/guest/init" ] && [ "$OUT" -nt "$0" ] && [ "$OUT" -nt "$BB" ]; then
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
install -m 755 "$HERE/guest/init" "$ST/init"
for m in virtio_pci 9pnet_virtio 9p overlay; do
	modprobe -d "$KDIR" -S "$KVER" --show-depends "$m"
done | awk '$1=="insmod" && !seen[$2]++ {print $2}' | while read -r p; do
	b=$(basename "$p")
	case "$p" in
	*.ko.xz) b=${b%.xz}; xz -dc "$p" >"$ST/mods/$b" ;;
	*.ko.zst) b=${b%.zst}; zstd -dcq "$p" >"$ST/mods/$b" ;;
	*) cp "$p" "$ST/mods/$b" ;;
	esac
	echo "$b" >>"$ST/mods/order"
done
(cd "$ST" && find . | "$BB" cpio -o -H newc 2>/dev/null | gzip -1) >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs: built $OUT ($(du -h "$OUT" | cut -f1))"
