#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot the stock Debian 6.12 kernel under QEMU 7.2 (the
# machine of make check's stock-qemu7.2 leg, with one edu), load the
# modules, run iommufd_bench and then iommu_core_bench (IOMMU core calls
# on edu through vtd_sm); boot the same machine again with the stock
# intel-iommu driver on (intel_iommu=on,sm_on) and run iommu_core_bench
# there, and vfio_bench (VFIO type1 map and unmap); turn what both printed into a table (on stdout and in
# build/bench/table.txt), build/bench/bench.json and, with gnuplot, the
# PNGs build/bench/scale.png and build/bench/compare.png.
#
#   BENCH_REPS      repetitions per operation (default 300)
#   BENCH_SCALE_S   time budget of the PASID scale part in seconds, attach
#                   plus detach (default 300); a level that would not fit
#                   is skipped with its extrapolated time
#   BENCH_MAX_PASIDS  stop the scale part at this many PASIDs
#   BENCH_TIMEOUT   hard limit of the guest in seconds (default 1200)
#   BENCH_PAIRS     boots of each driver for the IOMMU core comparison
#                   (default 4; the first pair is the two boots above,
#                   the others run iommu_core_bench only)

set -uo pipefail
. "$(dirname "$0")/../testing/vm/lib.sh"

B=$TOPDIR/build
OUT=$B/bench
REPS=${BENCH_REPS:-300}
SCALE_S=${BENCH_SCALE_S:-300}
MAX_PASIDS=${BENCH_MAX_PASIDS:-1048575}
TIMEOUT=${BENCH_TIMEOUT:-1200}
PAIRS=${BENCH_PAIRS:-4}
mkdir -p "$OUT"
start=$(date +%s)

{
	"$VMDIR/build-modules.sh" "$(stock_kdir)" "$B/stock" &&
	make -s -C "$TOPDIR/tools/bench" OUTPUT="$OUT" &&
	mkdir -p "$OUT/kmod" &&
	rsync -a "$TOPDIR/tools/bench/kmod/" "$OUT/kmod/" &&
	make -s -C "$(stock_kdir)" M="$OUT/kmod" modules
} > "$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; die "bench: build failed"; }

# The stock kernel's VFIO modules (xz-compressed in the package; the
# guest's busybox insmod takes them plain), in load order.
VFIO_MODS="irqbypass vfio vfio_iommu_type1 vfio-pci-core vfio-pci"
mkdir -p "$OUT/vfio"
vfio_args=()
vfio_load=
for m in $VFIO_MODS; do
	f=$(modinfo -k "$(stock_kver)" -F filename "$m") ||
		die "bench: no module $m in $KPKG_IMAGE"
	xz -dc "$f" > "$OUT/vfio/$m.ko" || die "bench: cannot unpack $f"
	vfio_args+=(--module "$OUT/vfio/$m.ko")
	p=
	# no interrupt remapping on these machines, as for iommufd_pasid
	[ "$m" = vfio_iommu_type1 ] && p=" allow_unsafe_interrupts=1"
	vfio_load="$vfio_load insmod /modules/$m.ko$p &&"
done

args=()
for m in $MODULES; do
	args+=(--module "$B/stock/$(module_path "$m")")
done
core=$OUT/kmod/iommu_core_bench.ko
# edu's PCI name, and vtd_sm's debug knob that gives it PASIDs.
edu='for d in /sys/bus/pci/devices/*; do [ "$(cat $d/vendor):$(cat $d/device)" = 0x1234:0x11e8 ] && b=${d##*/} && break; done; knob=/sys/kernel/debug/vtd_sm/$b/pasid_bits'
run_core="insmod /modules/iommu_core_bench.ko reps=$REPS driver=\$drv && cat /sys/kernel/debug/iommu_core_bench/results; r=\$?; rmmod iommu_core_bench; exit \$r"
"$VMDIR/vmtest.py" --name bench --kernel "$(stock_image)" --qemu 7.2 \
	--logdir "$OUT/vm" --timeout "$TIMEOUT" "${args[@]}" \
	--plan "load $MODULES" --plan "$UNSAFE_IRQ_STEP" \
	--test "$OUT/iommufd_bench" \
	--plan "run iommufd_bench -r $REPS -s $SCALE_S -m $MAX_PASIDS" \
	--module "$core" \
	--plan "run $edu; echo 3 > \$knob && drv=vtd_sm && $run_core" \
	--plan "run $edu; echo 0 > \$knob && echo 'ok 1 - pasid_bits restored'" \
	--plan unload
rc=$?
# The same machine with the stock driver: intel_iommu=on comes after the
# harness's intel_iommu=off on the command line, and wins.  The core
# calls first, then VFIO type1 on edu.
"$VMDIR/vmtest.py" --name bench-intel-iommu --kernel "$(stock_image)" \
	--qemu 7.2 --logdir "$OUT/vm-intel-iommu" --timeout 600 \
	--append "intel_iommu=on,sm_on" --module "$core" \
	--plan "run drv=intel-iommu && $run_core" \
	"${vfio_args[@]}" --test "$OUT/vfio_bench" \
	--plan "run$vfio_load vfio_bench -r $REPS" || rc=1
# More pairs of boots for the core comparison: raw times swing between
# boots more than the reference corrects for such short calls.
pairs=(--pair "$OUT/vm/results.log" "$OUT/vm-intel-iommu/results.log")
rm -rf "$OUT/pairs"
for i in $(seq 2 "$PAIRS"); do
	"$VMDIR/vmtest.py" --name "bench-vtd_sm-$i" --kernel "$(stock_image)" \
		--qemu 7.2 --logdir "$OUT/pairs/vtd_sm-$i" --timeout 600 \
		"${args[@]}" --plan "load $MODULES" --module "$core" \
		--plan "run $edu; echo 3 > \$knob && drv=vtd_sm && $run_core" \
		--plan "run $edu; echo 0 > \$knob && echo 'ok 1 - pasid_bits restored'" \
		--plan unload || rc=1
	"$VMDIR/vmtest.py" --name "bench-intel-iommu-$i" \
		--kernel "$(stock_image)" --qemu 7.2 \
		--logdir "$OUT/pairs/intel-iommu-$i" --timeout 600 \
		--append "intel_iommu=on,sm_on" --module "$core" \
		--plan "run drv=intel-iommu && $run_core" || rc=1
	pairs+=(--pair "$OUT/pairs/vtd_sm-$i/results.log"
		"$OUT/pairs/intel-iommu-$i/results.log")
done
"$TOPDIR/tools/bench/report.py" --results "$OUT/vm/results.log" \
	--results-stock "$OUT/vm-intel-iommu/results.log" "${pairs[@]}" \
	--console "$OUT/vm/console.log" --json "$OUT/bench.json" \
	--seconds "$(( $(date +%s) - start ))" | tee "$OUT/table.txt"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
"$TOPDIR/tools/bench/plot.py" "$OUT/bench.json" "$OUT" || rc=1
echo "bench: $(( $(date +%s) - start ))s, results in $OUT"
exit $rc
