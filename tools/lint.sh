#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: checkpatch --strict on every C source and header, a W=1 build
# checked by sparse (C=2), and coccicheck.  Any finding fails.  Kernel tools
# come from linux-source-6.12; the build is against the stock headers and,
# when it has been built, against the debug kernel too: only that one has
# KUnit, so only there are the *_kunit.c files compiled.
#
#   lint.sh [--need-debug]
#
# Without the debug kernel (make lint runs deps.sh --no-kernel) that part
# is skipped with a note; --need-debug (make check, which builds it first)
# makes its absence a failure.

set -uo pipefail
. "$(dirname "$0")/testing/vm/lib.sh"

need_debug=0
skipped=
case "${1:-}" in
--need-debug) need_debug=1 ;;
"") ;;
*) die "usage: lint.sh [--need-debug]" ;;
esac

ksrc=$(ksrc)
[ -f "$ksrc/.done" ] || die "lint: linux-source-6.12 not unpacked: run make deps"
# The mirror that sparse and coccicheck work on must live outside any git
# work tree: spatch preselects files with git grep, which skips ignored ones.
out=$(mktemp -d "${TMPDIR:-/tmp}/iommufd-pasid-lint.XXXXXX")
trap 'rm -rf "$out"' EXIT
bad=0

cd "$TOPDIR"
files=$(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -v '\.mod\.c$' | sort)

echo "== checkpatch --strict"
if ! "$ksrc/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f $files > "$out/checkpatch" 2>&1; then
	cat "$out/checkpatch"
	bad=1
fi
# checkpatch cannot tell a SPDX line in a header from one in a source file
# when given paths outside a kernel tree; check the style ourselves.
for f in $files; do
	case "$f" in
	*.c) want='// SPDX-License-Identifier: GPL-2.0' ;;
	*.h) want='/* SPDX-License-Identifier: GPL-2.0 */' ;;
	esac
	if [ "$(head -n 1 "$f")" != "$want" ]; then
		echo "$f:1: first line must be '$want'"
		bad=1
	fi
done

echo "== sparse (C=2) and W=1"
if ! "$TOPDIR/tools/testing/vm/build-modules.sh" "$(stock_kdir)" "$out/src" \
	C=2 W=1 > "$out/build" 2>&1; then
	cat "$out/build"
	bad=1
elif grep -E 'warning|error' "$out/build"; then
	bad=1
fi

# The debug kernel has KUnit: the *_kunit.c files and the parts of headers
# under CONFIG_KUNIT are built only against it.  First the test build
# (IOMMUFD_PASID_TEST=y: selftest.c and the mock IOMMU), with sparse on
# every file; then the modules as the debug leg loads them, in the same
# directory, so that only what the flag changes (iommufd_pasid) is built
# and checked (C=1) again.
echo "== sparse (C=2) and W=1 against the debug kernel (KUnit, IOMMUFD_PASID_TEST=y)"
dkdir=$(debug_kdir)
if [ ! -f "$dkdir/.done" ]; then
	if [ $need_debug = 1 ]; then
		echo "lint: no debug kernel build at $dkdir"
		bad=1
	else
		echo "lint: skipped: no debug kernel build at $dkdir (make debug-kdir);" \
			"KUnit tests and the test build not checked"
		skipped=" (debug kernel part skipped)"
	fi
elif ! grep -qx 'CONFIG_KUNIT=[ym]' "$dkdir/.config"; then
	echo "lint: the debug kernel at $dkdir has no KUnit"
	bad=1
else
	dstart=$(date +%s)
	dbuild="$TOPDIR/tools/testing/vm/build-modules.sh"
	if ! { "$dbuild" "$dkdir" "$out/debug" C=2 W=1 IOMMUFD_PASID_TEST=y &&
	       "$dbuild" "$dkdir" "$out/debug" C=1 W=1; } > "$out/debug.log" 2>&1; then
		cat "$out/debug.log"
		bad=1
	elif grep -E 'warning|error' "$out/debug.log"; then
		bad=1
	fi
	# It proves what it says only if the KUnit modules were built.
	n=$(find "$out/debug" -name '*_kunit.ko' | wc -l)
	if [ "$n" = 0 ]; then
		echo "lint: the debug build made no KUnit module"
		bad=1
	fi
	echo "debug kernel: $n KUnit modules, $(( $(date +%s) - dstart ))s"
fi

echo "== coccicheck"
# Semantic patches with OCaml script rules need an OCaml toolchain that
# matches spatch; the two of them in 6.12 are for one driver each.
: > "$out/cocci"
for c in $(grep -rL '^@script:ocaml' --include='*.cocci' "$ksrc/scripts/coccinelle" | sort); do
	if ! make -s -C "$ksrc" M="$out/src" MODE=report COCCI="$c" \
		J="$(nproc)" coccicheck >> "$out/cocci" 2>&1; then
		echo "coccicheck failed on $c"
		bad=1
	fi
done
if grep -E '^/.*:[0-9]+:' "$out/cocci"; then
	bad=1
fi

[ $bad = 0 ] && echo "lint: clean$skipped"
exit $bad
