# shellcheck shell=bash
# Sourced by the lab's host-side entry points (run.sh, demo.sh, bench/lab.sh, tests/check.sh):
# is the lab cache that `make deps` fills there? LAB must be set (default: TOP/.lab-cache).
# lab_cache_ready [KERNEL]: KERNEL is empty (the default guest kernel), stable, backports or a KVER.
lab_cache_ready() {
	local k="$LAB/kernel${1:+-$1}"
	[ -x "$LAB/busybox" ] && compgen -G "$k/boot/vmlinuz-*" >/dev/null &&
		compgen -G "$k/lib/modules/*/modules.dep" >/dev/null
}
# lab_cache_need [KERNEL]: exits 1 with one line saying what to do when the cache is not ready.
lab_cache_need() {
	lab_cache_ready "${1:-}" && return 0
	echo "vmlab: the lab cache $LAB has no guest kernel${1:+ ($1)} or busybox: run make deps first" >&2
	exit 1
}
