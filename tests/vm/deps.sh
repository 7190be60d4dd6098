#!/bin/bash
# Installs everything vfmgr needs to build, test and run its QEMU lab on Debian 12 (`make
# deps`, for a development machine), or with --build only what building vfmgr needs (`make
# build-deps`, for a host that runs it: a compiler, pkg-config and the -dev libraries).
# Idempotent: a second run with everything in place makes no downloads.
#   usage: deps.sh [--build | --list | --list-build]
#   LAB   cache directory for the guest kernel, busybox, netdevsim and initramfs
#         (default: .lab-cache in the source tree, git-ignored)
set -eEuo pipefail
# Command substitutions ($(setup_kernel …)) keep -e: a failed step inside one stops deps.
shopt -s inherit_errexit
STEP="start"
trap 'echo "deps: FAILED: $STEP (line $LINENO: $BASH_COMMAND exited $?)" >&2' ERR
HERE=$(dirname "$(realpath "$0")")
TOP=$(realpath "$HERE/../..")
LAB=${LAB:-$TOP/.lab-cache}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "deps: $1 needs root (run 'sudo make deps')" >&2
		exit 1
	fi
}

# bookworm-backports carries QEMU 10 (the first Debian QEMU with -device igb). The URI is read
# from the system's own Debian source so that mirrors and proxies configured there keep working.
debian_uri() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/{u=$2} /^Suites:/ && / bookworm( |$)/{s=1} /^$/{if(s&&u){print u; exit} u="";s=0}
		     END{if(s&&u)print u}' "$f"
	done | head -n1
	if [ -f /etc/apt/sources.list ]; then
		awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list
	fi
}

add_backports() {
	if grep -rqsE 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	local uri
	uri=$(debian_uri | head -n1)
	if [ -z "$uri" ]; then
		echo "deps: no Debian bookworm source found in /etc/apt; cannot add bookworm-backports" >&2
		exit 1
	fi
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" >/etc/apt/sources.list.d/vfmgr-backports.sources
	APT_UPDATED=
}

# python3-jsonschema: tests/json-schema.sh checks the --json outputs against doc/schema/;
# mandoc, groff-base: tests/man-lint.sh;
# libvirt-clients and libxml2-utils: virt-xml-validate over the emitter's XML in make check;
# libvirt-daemon-system: libvirtd for tests/vm/scenarios/libvirt.sh (run in the guest);
# tcpdump: the guest tier's captures on the wire (tests/vm/scenarios/guest-*.sh).
# netplan.io (with python3-yaml): tests/netplan.sh feeds `vfmgr guest-config` to netplan
# generate under a root dir of its own; its boot-time generator does nothing here, as long as
# /etc/netplan holds no file.
# HOST_PKGS: what `make` and `make install` need on a host that runs vfmgr; nothing of the lab
# (no QEMU, no kernels, no libvirt daemon, no backports source).
HOST_PKGS=(build-essential pkg-config
	libpci-dev libnl-3-dev libnl-route-3-dev libudev-dev libyaml-dev libjansson-dev)
BUILD_PKGS=("${HOST_PKGS[@]}" clang clang-format llvm libclang-rt-14-dev libcmocka-dev
	pciutils iproute2 ethtool kmod udev strace valgrind umockdev xz-utils zstd cpio
	python3 python3-jsonschema mandoc groff-base time jq bc dwarves ansible-core
	libvirt-clients libxml2-utils libvirt-daemon-system tcpdump
	netplan.io python3-yaml)

missing_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			echo "$p"
	done
}

APT_UPDATED=
apt_update() {
	[ -n "$APT_UPDATED" ] && return 0
	apt-get update -qq
	APT_UPDATED=1
}

install_pkgs() { # packages...: installs those not installed yet
	local miss
	mapfile -t miss < <(missing_pkgs "$@")
	if [ "${#miss[@]}" -gt 0 ]; then
		need_root "installing ${miss[*]}"
		apt_update
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${miss[@]}"
	fi
}

install_host_packages() {
	STEP="installing host packages"
	install_pkgs "${BUILD_PKGS[@]}"
	STEP="installing QEMU from bookworm-backports"
	if ! qemu-system-x86_64 -device help 2>/dev/null | grep -q '"igb"'; then
		need_root "installing QEMU from bookworm-backports"
		add_backports
		apt_update
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports qemu-system-x86
	fi
}

# Guest kernels follow linux-image-amd64, so the lab tracks Debian's current kernels: the
# stable one (6.1) and the one in bookworm-backports (6.12). $1 = "" or "-t bookworm-backports".
resolve_kver() {
	local kver
	# shellcheck disable=SC2086
	kver=$(apt-cache depends $1 linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -n1)
	if [ -z "$kver" ]; then
		apt_update
		# shellcheck disable=SC2086
		kver=$(apt-cache depends $1 linux-image-amd64 |
			sed -n 's/.*Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -n1)
	fi
	[ -n "$kver" ] || { echo "deps: cannot resolve linux-image-amd64 $1" >&2; exit 1; }
	echo "$kver"
}

fetch_deb() { # name -> path of the .deb in $LAB/debs
	local name=$1 f
	f=$(ls "$LAB/debs/${name}"_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$f" ]; then
		# apt's download sandbox user (_apt) cannot write a directory under the checkout: as
		# root it downloads unsandboxed anyway and warns once per file; say so up front.
		(cd "$LAB/debs" && apt-get download -qq -o APT::Sandbox::User=root "$name")
		f=$(ls "$LAB/debs/${name}"_*.deb | head -n1)
	fi
	echo "$f"
}

# Kernel headers to build netdevsim against, extracted rather than installed: the backports
# headers depend on their kernel image, and the host must not get a kernel it does not run.
extract_headers() { # kver apt-target -> prints the build directory
	local kver=$1 target=$2 hdr=$LAB/hdr-$1 deps p
	if [ ! -f "$hdr/.ready" ]; then
		rm -rf "$hdr"
		mkdir -p "$hdr"
		# shellcheck disable=SC2086
		deps=$(apt-cache show $target "linux-headers-$kver" | sed -n 's/^Depends: //p' | head -n1)
		for p in "linux-headers-$kver" \
			$(echo "$deps" | grep -o 'linux-headers-[^ ,]*-common') \
			$(echo "$deps" | grep -o 'linux-kbuild-[^ ,]*'); do
			dpkg-deb -x "$(fetch_deb "$p")" "$hdr"
		done
		# The arch Makefile includes the common one by absolute path.
		sed -i "s|^include /usr/src/|include $hdr/usr/src/|" "$hdr/usr/src/linux-headers-$kver/Makefile"
		touch "$hdr/.ready"
	fi
	echo "$hdr/usr/src/linux-headers-$kver"
}

build_netdevsim() { # kdir kver apt-target
	local kdir=$1 kver=$2 target=$3 src=$LAB/src srcver build
	local ko="$kdir/lib/modules/$kver/extra/netdevsim.ko"
	[ -f "$ko" ] && return 0
	STEP="building netdevsim for $kver"
	build=$(extract_headers "$kver" "$target")
	srcver=$(echo "$kver" | cut -d. -f1-2)
	local srcdeb
	srcdeb=$(fetch_deb "linux-source-$srcver")
	mkdir -p "$src"
	if [ ! -d "$src/linux-source-$srcver/drivers/net/netdevsim" ]; then
		dpkg-deb --fsys-tarfile "$srcdeb" | tar -x -O --wildcards "*/linux-source-$srcver.tar.xz" |
			tar -xJ -C "$src" --wildcards "linux-source-$srcver/drivers/net/netdevsim/*"
	fi
	rm -rf "$LAB/nsim-$kver"
	cp -r "$src/linux-source-$srcver/drivers/net/netdevsim" "$LAB/nsim-$kver"
	make -s -C "$build" M="$LAB/nsim-$kver" CONFIG_NETDEVSIM=m modules -j"$(nproc)" >&2
	mkdir -p "$(dirname "$ko")"
	strip --strip-debug -o "$ko" "$LAB/nsim-$kver/netdevsim.ko"
	depmod -b "$kdir" "$kver"
}

# A guest kernel without its netdevsim would run the scale scenarios without it: refuse.
check_netdevsim() { # kdir kver
	local ko="$1/lib/modules/$2/extra/netdevsim.ko" vm
	STEP="checking netdevsim.ko for $2"
	vm=$(modinfo -F vermagic "$ko")
	if [ "${vm%% *}" != "$2" ]; then
		echo "deps: $ko is built for '${vm%% *}', not $2; remove it and run 'make deps' again" >&2
		return 1
	fi
	modprobe -d "$1" -S "$2" --show-depends netdevsim >/dev/null
}

# setup_kernel NAME APT-TARGET: extracts the kernel, builds netdevsim for it, links
# $LAB/kernel-NAME to it, builds its initramfs.
setup_kernel() {
	local name=$1 target=$2 kver kdir
	STEP="resolving the $name guest kernel (linux-image-amd64 $target)"
	kver=$(resolve_kver "$target")
	kdir=$LAB/kernel-$kver
	STEP="fetching the $name guest kernel $kver"
	if [ ! -f "$kdir/boot/vmlinuz-$kver" ]; then
		rm -rf "$kdir"
		dpkg-deb -x "$(fetch_deb "linux-image-$kver")" "$kdir"
	fi
	build_netdevsim "$kdir" "$kver" "$target"
	check_netdevsim "$kdir" "$kver"
	ln -sfn "kernel-$kver" "$LAB/kernel-$name"
	STEP="building the initramfs for $kver"
	"$HERE/mkinitramfs.sh" "$kdir" >&2
	STEP="building the guest tier's VM initramfs for $kver"
	"$HERE/mkinitramfs.sh" --inner "$kdir" >&2
	echo "$kver"
}

main() {
	mkdir -p "$LAB/debs"
	install_host_packages
	STEP="fetching busybox"
	if [ ! -x "$LAB/busybox" ]; then
		local bbdir=$LAB/bb
		rm -rf "$bbdir"
		dpkg-deb -x "$(fetch_deb busybox-static)" "$bbdir"
		cp "$bbdir/bin/busybox" "$LAB/busybox"
	fi
	# promtool (make check's metrics format check) from Debian's prometheus package, fetched
	# and unpacked, not installed: installing it would start a Prometheus server.
	if [ ! -x "$LAB/promtool" ]; then
		local pdir=$LAB/prom
		rm -rf "$pdir"
		dpkg-deb -x "$(fetch_deb prometheus)" "$pdir"
		cp "$pdir/usr/bin/promtool" "$LAB/promtool"
		rm -rf "$pdir"
	fi
	local k1 k2
	STEP="setting up the stable guest kernel"
	k1=$(setup_kernel stable "")
	STEP="setting up the backports guest kernel"
	k2=$(setup_kernel backports "-t bookworm-backports")
	ln -sfn kernel-stable "$LAB/kernel"
	echo "deps: ready (guest kernels $k1 and $k2, lab cache $LAB)"
}

case "${1:-}" in
# --list: the host packages this installs, one a line (.ci/run purges the build ones first);
# --list-build: those --build installs.
--list) printf '%s\n' "${BUILD_PKGS[@]}" ;;
--list-build) printf '%s\n' "${HOST_PKGS[@]}" ;;
--build)
	STEP="installing the build dependencies"
	install_pkgs "${HOST_PKGS[@]}"
	echo "deps: ready to build (${HOST_PKGS[*]}); nothing of the lab was installed"
	;;
"") main ;;
*)
	echo "usage: $0 [--build | --list | --list-build]" >&2
	exit 2
	;;
esac
