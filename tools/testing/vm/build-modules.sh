#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the project's modules against one kernel without touching the
# source tree: the sources are mirrored into <outdir> and built there, so
# builds for the stock and the debug kernel never share objects.  Build
# products in <outdir> are excluded from the mirror, hence kept.
#
#   build-modules.sh <kdir> <outdir> [make args...]
#
# Either path may be relative to the current directory: Kbuild runs in
# <kdir> and takes M= from there, so both are made absolute first.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$1
out=$2
shift 2
[ -d "$kdir" ] || die "no kernel build at $kdir: run make deps"
kdir=$(cd "$kdir" && pwd)
mkdir -p "$out/include"
out=$(cd "$out" && pwd)
srcs=()
for p in Kbuild drivers include; do
	[ -e "$TOPDIR/$p" ] && srcs+=("$TOPDIR/$p")
done
rsync -a --delete --prune-empty-dirs --include='*/' --exclude='*.mod.c' \
	--include='*.[ch]' --include=Kbuild --exclude='*' "${srcs[@]}" "$out/"
make -s -C "$kdir" M="$out" "$@" modules
