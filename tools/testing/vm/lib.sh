#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared settings for the VM scripts: where caches live and what keys them.
# Sourced, not run.

CACHE=${IOMMUFD_PASID_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommufd-pasid}
VMDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOPDIR=$(cd "$VMDIR/../../.." && pwd)

# The kernel both legs run: Debian's 6.12 flavour and its source package.
KPKG_IMAGE=linux-image-6.12-amd64
KPKG_HEADERS=linux-headers-6.12-amd64
KPKG_SOURCE=linux-source-6.12

# The project's modules, in load order, with their paths in a build.
MODULES="ioasid vtd_sm iommufd_pasid"
module_path() {
	case "$1" in
	ioasid) echo drivers/iommu/ioasid.ko ;;
	vtd_sm) echo drivers/iommu/vtd_sm/vtd_sm.ko ;;
	iommufd_pasid) echo drivers/iommu/iommufd/iommufd_pasid.ko ;;
	*) die "unknown module $1" ;;
	esac
}

pkg_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null
}

# Release string of the installed stock kernel, e.g. 6.12.117+deb12-amd64.
stock_kver() {
	local v
	v=$(dpkg-query -W -f='${Depends}' "$KPKG_IMAGE" 2>/dev/null |
		sed -n 's/.*linux-image-\(6\.12[^ ,]*-amd64\).*/\1/p')
	[ -n "$v" ] && echo "$v"
}

# Unpacked linux-source-6.12 (checkpatch, kselftest_harness.h, the build).
ksrc() {
	echo "$CACHE/linux-source-$(pkg_version "$KPKG_SOURCE")"
}

# Hold the cache lock @1 (a name) until the calling script exits: two
# checks on one machine must not fill or delete the same cache entry at
# once (a second build-kernel.sh used to remove the first one's tree).
cache_lock() {
	local fd
	mkdir -p "$CACHE"
	exec {fd}>"$CACHE/.$1.lock"
	flock "$fd"
}

# Unpack linux-source-6.12 into the cache once per package version.
unpack_source() {
	local src
	src=$(ksrc)
	[ -f "$src/.done" ] && return 0
	[ -f /usr/src/linux-source-6.12.tar.xz ] ||
		die "$KPKG_SOURCE is not installed: run make deps"
	echo "unpacking $KPKG_SOURCE $(pkg_version "$KPKG_SOURCE")" >&2
	rm -rf "$src"
	mkdir -p "$src"
	tar -xaf /usr/src/linux-source-6.12.tar.xz -C "$src" --strip-components=1
	touch "$src/.done"
}

# Directory of the debug kernel build for the current source and fragment.
debug_kdir() {
	local key
	key=$( { pkg_version "$KPKG_SOURCE"; cat "$VMDIR/debug.config"; } |
		sha256sum | cut -c1-12)
	echo "$CACHE/kernel-$(pkg_version "$KPKG_SOURCE")-$key"
}

# Readable copy of the stock kernel image (/boot keeps it mode 0600).
stock_image() {
	echo "$CACHE/vmlinuz-$(stock_kver)"
}

stock_kdir() {
	echo "/usr/src/linux-headers-$(stock_kver)"
}

# Root of the Debian 13 tree that holds QEMU 10.
trixie_root() {
	local key
	key=$(cat "$VMDIR/trixie.list" | sha256sum | cut -c1-12)
	echo "$CACHE/trixie-$key"
}

die() {
	echo "$*" >&2
	exit 1
}

# Run as a command: lib.sh <function> prints that function's answer.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	"$@"
fi

# Plan step after "load": the test machines have no interrupt remapping,
# so iommufd_pasid would refuse to bind their devices (MSIs not isolated).
UNSAFE_IRQ_STEP="run echo Y > /sys/module/iommufd_pasid/parameters/allow_unsafe_interrupts && echo 'ok 1 - allow_unsafe_interrupts=Y: this machine has no interrupt remapping'"
