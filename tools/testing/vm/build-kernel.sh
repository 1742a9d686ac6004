#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel once: tinyconfig + debug.config from the installed
# linux-source-6.12, into a cache directory keyed by (source version,
# fragment).  Prints the build directory.  A finished build is reused.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

ver=$(pkg_version "$KPKG_SOURCE")
[ -n "$ver" ] || die "$KPKG_SOURCE is not installed: run make deps"
out=$(debug_kdir)
cache_lock kernel
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

unpack_source
src=$(ksrc)

rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)
echo "build-kernel: configuring in $out" >&2
make -s -C "$src" O="$out" tinyconfig >&2
KCONFIG_CONFIG="$out/.config" "$src/scripts/kconfig/merge_config.sh" \
	-m -O "$out" "$out/.config" "$VMDIR/debug.config" >/dev/null
make -s -C "$src" O="$out" olddefconfig >&2

# Every option of the fragment must have landed; a silently dropped one
# (a missing dependency) would make the debug leg prove less than it says.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n)
		opt=${line%%=*}
		if grep -q "^$opt=" "$out/.config"; then
			echo "build-kernel: $opt should be off" >&2
			bad=1
		fi ;;
	CONFIG_*=*)
		if ! grep -qx "$line" "$out/.config"; then
			echo "build-kernel: $line did not stick" >&2
			bad=1
		fi ;;
	esac
done < "$VMDIR/debug.config"
[ $bad = 0 ] || die "build-kernel: fix debug.config"

echo "build-kernel: building (a cold build takes several minutes)" >&2
if ! make -s -C "$src" O="$out" -j"$(nproc)" all > "$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	die "build-kernel: build failed, see $out/build.log"
fi
echo "$ver $(( $(date +%s) - start ))s" > "$out/.done"
# Builds for an older source or fragment are dead weight (several GiB).
for old in "$CACHE"/kernel-*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
echo "build-kernel: built in $(( $(date +%s) - start ))s" >&2
echo "$out"
