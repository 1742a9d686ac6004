#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the build and the VM matrix need, and nothing that is
# already there: Debian 12 packages with apt, a Debian 13 root holding
# QEMU 10 (made with debootstrap), and the debug kernel.  Everything
# downloaded or built lives under $CACHE, keyed by version.
#
#   deps.sh [--no-kernel]

set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS="$KPKG_IMAGE $KPKG_HEADERS $KPKG_SOURCE
	qemu-system-x86 busybox-static sparse coccinelle debootstrap
	gcc make libc6-dev bc bison flex libelf-dev libssl-dev cpio kmod
	xz-utils gzip rsync git python3 perl gnuplot-nox"

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

cache_lock deps

missing=
for p in $PKGS; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = \
	  "install ok installed" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing" >&2
	as_root apt-get update -qq >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing >&2
fi

root=$(trixie_root)
if [ ! -f "$root/.done" ]; then
	echo "deps: debootstrap Debian 13 into $root" >&2
	rm -rf "$root.tmp"
	mkdir -p "$CACHE"
	inc=$(grep -v '^#' "$VMDIR/trixie.list" | paste -sd,)
	as_root debootstrap --variant=minbase --include="$inc" trixie \
		"$root.tmp" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 ||
		die "deps: debootstrap failed, see $CACHE/debootstrap.log"
	rm -rf "$root"
	mv "$root.tmp" "$root"
	as_root chroot "$root" dpkg-query -W -f='${Version}\n' qemu-system-x86 > "$root/.done"
fi

unpack_source

img=$(stock_image)
if [ ! -f "$img" ]; then
	as_root cat "/boot/vmlinuz-$(stock_kver)" > "$img.tmp"
	mv "$img.tmp" "$img"
fi

if [ "${1:-}" != --no-kernel ]; then
	"$VMDIR/build-kernel.sh" >/dev/null
fi
