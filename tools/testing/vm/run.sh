#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make run: boot the stock Debian 6.12 kernel under QEMU 7.2 with the
# emulated VT-d and edu, load the modules, run the demo VMM flow, then give
# a shell on the console when run from a terminal (exit it to power off).
#
#   RUN_QEMU=10.0 RUN_IOMMU_OPT=x-flts=on make run   the QEMU 10 machine
#   RUN_KERNEL=debug make run                         the debug kernel

set -euo pipefail
. "$(dirname "$0")/lib.sh"

B=$TOPDIR/build
qemu=${RUN_QEMU:-7.2}
if [ "${RUN_KERNEL:-stock}" = debug ]; then
	kdir=$(debug_kdir)
	image=$kdir/arch/x86/boot/bzImage
else
	kdir=$(stock_kdir)
	image=$(stock_image)
fi

"$VMDIR/build-modules.sh" "$kdir" "$B/run"
args=()
for m in $MODULES; do
	args+=(--module "$B/run/$(module_path "$m")")
done
args+=(--plan "load $MODULES")
args+=(--plan "$UNSAFE_IRQ_STEP")
make -s -C "$TOPDIR/tools/demo_vmm" OUTPUT="$B/run"
args+=(--test "$B/run/demo_vmm" --plan "run demo_vmm")
[ -n "${RUN_IOMMU_OPT:-}" ] && args+=(--iommu-opt "$RUN_IOMMU_OPT")
if [ -t 0 ]; then
	exec "$VMDIR/vmtest.py" --name run --kernel "$image" --qemu "$qemu" \
		--logdir "$B/logs/run" "${args[@]}" --plan shell --interactive
fi
exec "$VMDIR/vmtest.py" --name run --kernel "$image" --qemu "$qemu" \
	--logdir "$B/logs/run" "${args[@]}" --plan unload --timeout 600
