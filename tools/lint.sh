#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: checkpatch --strict on every C source and header, a W=1 build
# checked by sparse (C=2), and coccicheck.  Any finding fails.  Kernel tools
# come from linux-source-6.12; the build is against the stock headers.

set -uo pipefail
. "$(dirname "$0")/testing/vm/lib.sh"

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

[ $bad = 0 ] && echo "lint: clean"
exit $bad
