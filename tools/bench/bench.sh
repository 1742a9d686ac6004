#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot the stock Debian 6.12 kernel under QEMU 7.2 (the
# machine of make check's stock-qemu7.2 leg, with one edu), load the
# modules, run iommufd_bench, and turn what it printed into a table (on
# stdout and in build/bench/table.txt) and build/bench/bench.json.
#
#   BENCH_REPS      repetitions per operation (default 300)
#   BENCH_SCALE_S   time budget of the PASID scale part in seconds, attach
#                   plus detach (default 300); a level that would not fit
#                   is skipped with its extrapolated time
#   BENCH_MAX_PASIDS  stop the scale part at this many PASIDs
#   BENCH_TIMEOUT   hard limit of the guest in seconds (default 1200)

set -uo pipefail
. "$(dirname "$0")/../testing/vm/lib.sh"

B=$TOPDIR/build
OUT=$B/bench
REPS=${BENCH_REPS:-300}
SCALE_S=${BENCH_SCALE_S:-300}
MAX_PASIDS=${BENCH_MAX_PASIDS:-1048575}
TIMEOUT=${BENCH_TIMEOUT:-1200}
mkdir -p "$OUT"
start=$(date +%s)

{
	"$VMDIR/build-modules.sh" "$(stock_kdir)" "$B/stock" &&
	make -s -C "$TOPDIR/tools/bench" OUTPUT="$OUT"
} > "$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; die "bench: build failed"; }

args=()
for m in $MODULES; do
	args+=(--module "$B/stock/$(module_path "$m")")
done
"$VMDIR/vmtest.py" --name bench --kernel "$(stock_image)" --qemu 7.2 \
	--logdir "$OUT/vm" --timeout "$TIMEOUT" "${args[@]}" \
	--plan "load $MODULES" --plan "$UNSAFE_IRQ_STEP" \
	--test "$OUT/iommufd_bench" \
	--plan "run iommufd_bench -r $REPS -s $SCALE_S -m $MAX_PASIDS" \
	--plan unload
rc=$?
"$TOPDIR/tools/bench/report.py" --results "$OUT/vm/results.log" \
	--console "$OUT/vm/console.log" --json "$OUT/bench.json" \
	--seconds "$(( $(date +%s) - start ))" | tee "$OUT/table.txt"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
echo "bench: $(( $(date +%s) - start ))s, results in $OUT"
exit $rc
