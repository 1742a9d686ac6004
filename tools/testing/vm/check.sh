#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: lint and the VM matrix.
#
#   stock-qemu7.2      Debian 6.12 kernel, QEMU 7.2: modules, kselftests
#   stock-qemu10-flts  Debian 6.12 kernel, QEMU 10.0 with x-flts=on
#   debug-qemu7.2      debug kernel (KASAN, lockdep, kmemleak, fault
#                      injection), QEMU 7.2: KUnit suites and kselftests
#   harness            the harness catches a failing test, a WARN and a hang
#   iommu-upstream     Debian 6.12's own iommufd kselftests, unmodified, on
#                      the test build of iommufd_pasid (mock IOMMU), each
#                      result held to tools/testing/selftests/iommu_upstream
#   iommu-upstream-debug  the same on the debug kernel, where the suite's
#                      iommufd_fail_nth runs (fault injection); kmemleak
#
# Lint runs in the background and reports last.  Prints each leg's
# results and ends with "N passed, N failed, N skipped";
# exits non-zero on any failure, splat or timeout.  Set CHECK_LEGS to a
# space-separated subset of the leg names to run only those.

set -uo pipefail
. "$(dirname "$0")/lib.sh"

B=$TOPDIR/build
LOGS=$B/logs
LEGS=${CHECK_LEGS:-lint stock-qemu7.2 stock-qemu10-flts debug-qemu7.2 harness iommu-upstream iommu-upstream-debug}
mkdir -p "$LOGS"
start=$(date +%s)

"$VMDIR/deps.sh" || die "check: make deps failed"

want() {
	case " $LEGS " in *" $1 "*) return 0 ;; esac
	return 1
}

passed=0 failed=0 skipped=0
tally() {	# tally <leg>: add the leg's summary to the totals
	local p f s
	if read -r p f s < "$LOGS/$1/summary" 2>/dev/null; then
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	else
		echo "$1: FAIL produced no summary"
		failed=$((failed + 1))
	fi
	ran_legs="$ran_legs $1"
}
ran_legs=

record() {	# record <leg> <status>: a one-result leg
	mkdir -p "$LOGS/$1"
	rm -f "$LOGS/$1/failures"
	if [ "$2" = 0 ]; then
		echo "1 0 0" > "$LOGS/$1/summary"
		echo "$1: 1 passed, 0 failed, 0 skipped"
	else
		echo "0 1 0" > "$LOGS/$1/summary"
		echo "$1: FAIL (see $LOGS/$1)" | tee "$LOGS/$1/failures"
		echo "$1: 0 passed, 1 failed, 0 skipped"
	fi
}

# Lint runs beside the builds and the VM legs, at a lower priority: it
# gets what the guests (one core each, thread=single) leave.  deps.sh has
# built the debug kernel, so lint's build against it (the KUnit tests)
# must run here, not be skipped.
lint_pid=
if want lint; then
	mkdir -p "$LOGS/lint"
	nice -n 10 "$TOPDIR/tools/lint.sh" --need-debug > "$LOGS/lint/lint.log" 2>&1 &
	lint_pid=$!
fi
lint_result() {
	local rc
	[ -n "$lint_pid" ] || return 0
	wait "$lint_pid"
	rc=$?
	lint_pid=
	[ $rc = 0 ] || tail -n 40 "$LOGS/lint/lint.log"
	record lint $rc
	tally lint
}

# Builds: modules per kernel a wanted leg boots, tests once (static,
# kernel independent).
stock=$(stock_kdir)
debug=$(debug_kdir)
build_ok=0
# Only the tests the Makefile lists now: no leftovers of other branches.
rm -rf "$B/selftests"
{
	{ ! { want stock-qemu7.2 || want stock-qemu10-flts; } ||
	  "$VMDIR/build-modules.sh" "$stock" "$B/stock"; } &&
	{ ! want debug-qemu7.2 ||
	  "$VMDIR/build-modules.sh" "$debug" "$B/debug"; } &&
	make -s -C "$TOPDIR/tools/testing/selftests/iommufd_pasid" \
		OUTPUT="$B/selftests" &&
	make -s -C "$TOPDIR/tools/demo_vmm" OUTPUT="$B/demo"
} > "$LOGS/build.log" 2>&1 || build_ok=1
if [ $build_ok != 0 ]; then
	cat "$LOGS/build.log"
	record build 1
	tally build
	lint_result
	echo "$passed passed, $failed failed, $skipped skipped"
	exit 1
fi

tests=$(find "$B/selftests" -maxdepth 1 -type f -perm -u+x | sort)

# Two more edu behind a conventional PCI bridge: they share a requester ID
# and so one IOMMU group (group_test).  The tests that want one edu take
# the one on the root bus (lowest BDF).
edu=edu,dma_mask=0xffffffffffffffff
group_devs=(--device pci-bridge,id=br0,chassis_nr=1
	--device "$edu,bus=br0,addr=1.0" --device "$edu,bus=br0,addr=2.0")
# And two behind a PCIe-to-PCI bridge, whose DMA carries an alias no
# device owns (secondary bus, devfn 0): alias_test.
group_devs+=(--device pcie-root-port,id=rp1,chassis=2,slot=1
	--device pcie-pci-bridge,id=br1,bus=rp1
	--device "$edu,bus=br1,addr=1.0" --device "$edu,bus=br1,addr=2.0")
# One more behind a PCIe root port, a hotplug slot of its own, and QEMU's
# monitor for the guest to ask for its unplug (hotplug_test).
group_devs+=(--device pcie-root-port,id=hp_port,bus=pcie.0,addr=0x10,chassis=2,slot=2
	--device "$edu,bus=hp_port,id=hp_edu" --monitor)

# leg <name> <kernel image> <module build> <vmtest args...>: boot one leg
# (the caller tallies it).  Steps in leg_first (vmtest arguments) run
# right after the modules are loaded, before every other test.
leg_first=()
leg() {
	local name=$1 image=$2 mods=$3 m args=()
	shift 3
	for m in $MODULES; do
		args+=(--module "$mods/$(module_path "$m")")
	done
	args+=(--plan kmemleak-clear --plan "load $MODULES")
	args+=(--plan "$UNSAFE_IRQ_STEP")
	args+=("${leg_first[@]}")
	# vtd_sm end to end: edu DMA through its identity and blocked domains;
	# the blocked DMA must have left a fault record.
	args+=(--module "$mods/drivers/iommu/vtd_sm/tests/vtd_sm_edu_test.ko"
		--plan "run insmod /modules/vtd_sm_edu_test.ko && cat /sys/kernel/debug/vtd_sm_edu_test/results; r=\$?; rmmod vtd_sm_edu_test; grep -q '^faults: [1-9]' /sys/kernel/debug/vtd_sm/dmar0/counters || { echo '# no fault recorded'; r=1; }; exit \$r")
	# Paging domains, PASIDs through the debug knobs and replace under DMA,
	# with edu again; then the debugfs files of the knobs and the walker.
	args+=(--module "$mods/drivers/iommu/vtd_sm/tests/vtd_sm_e2e_test.ko"
		--plan "run insmod /modules/vtd_sm_e2e_test.ko && cat /sys/kernel/debug/vtd_sm_e2e_test/results; r=\$?; rmmod vtd_sm_e2e_test; exit \$r"
		--test "$VMDIR/vtd_sm_debugfs_check.sh"
		--plan "run vtd_sm_debugfs_check.sh")
	# The demo VMM flow of make run, so that it cannot rot.
	args+=(--test "$B/demo/demo_vmm" --plan "run demo_vmm")
	for t in $tests; do
		args+=(--test "$t" --plan "kselftest $(basename "$t")")
	done
	"$VMDIR/vmtest.py" --name "$name" --kernel "$image" \
		--logdir "$LOGS/$name" "${args[@]}" "${group_devs[@]}" "$@" \
		--plan unload --plan kmemleak
}

# The debug leg takes longest: it boots first and runs beside the others
# (each TCG guest keeps one core busy); its report follows theirs.
debug_pid=
if want debug-qemu7.2; then
	kunit=()
	for k in $(find "$B/debug" -name '*_kunit.ko' 2>/dev/null | sort); do
		kunit+=(--kunit "$k" --plan "kunit $(basename "$k" .ko)")
	done
	mkdir -p "$LOGS/debug-qemu7.2"
	leg debug-qemu7.2 "$debug/arch/x86/boot/bzImage" "$B/debug" \
		--qemu 7.2 "${kunit[@]}" --timeout 1500 \
		> "$LOGS/debug-qemu7.2.out" 2>&1 &
	debug_pid=$!
fi

if want stock-qemu7.2; then
	# --s3: the guest may suspend to RAM and is woken (suspend_test).
	# --guest-qemu: Debian 13's QEMU 10 in the guest for qemu_vmm_test
	# (about 60 MB more initramfs); the other legs skip that test.  Its
	# nested_guest_dma boots edu_guest.elf, found beside the test in /tests.
	# ATS (vtd_sm_ats_check.sh): device-iotlb=on gives ECAP.DT and an
	# ATSR with ALL_PORTS; a virtio-rng with ATS behind a root port of
	# its own (last slot: the other devices keep their bus numbers),
	# driven by Debian's virtio-rng module.  First: after suspend_test's
	# S3 resume, QEMU 7.2's extended configuration space reads 0.
	rel=$(cat "$stock/include/config/kernel.release")
	mkdir -p "$B/stock-extra"
	xz -dc "/lib/modules/$rel/kernel/drivers/char/hw_random/virtio-rng.ko.xz" \
		> "$B/stock-extra/virtio-rng.ko"
	leg_first=(--module "$B/stock-extra/virtio-rng.ko"
		--test "$VMDIR/vtd_sm_ats_check.sh"
		--plan "run vtd_sm_ats_check.sh /modules/virtio-rng.ko")
	leg stock-qemu7.2 "$(stock_image)" "$B/stock" --qemu 7.2 \
		--s3 --guest-qemu --test "$B/selftests/nested/edu_guest.elf" \
		--iommu-opt device-iotlb=on \
		--device pcie-root-port,id=ats_port,bus=pcie.0,addr=0x1e,chassis=3,slot=3 \
		--device virtio-rng-pci,bus=ats_port,ats=on,iommu_platform=on,disable-legacy=on \
		--timeout 600
	leg_first=()
	tally stock-qemu7.2
fi
if want stock-qemu10-flts; then
	leg stock-qemu10-flts "$(stock_image)" "$B/stock" --qemu 10.0 \
		--iommu-opt x-flts=on --timeout 600
	tally stock-qemu10-flts
fi

# Linux's own suites against the mock IOMMU of a test build of the
# modules (IOMMUFD_PASID_TEST=y, never shipped), on the stock and on the
# debug kernel.  judge.sh fails a test whose result differs from its
# list: a regression, or a listed failure that now passes and must be
# moved to "pass".  Both legs hold the same lists: iommufd_fail_nth's
# tests ("injected") pass where the kernel has fault injection and skip
# themselves where it has not.
#
#   upstream_leg <name> <kernel build> <image> <module build> <timeout>
#	[vmtest args after the unload]
upstream_leg() {
	local name=$1 kdir=$2 image=$3 mods=$4 timeout=$5
	local up=$TOPDIR/tools/testing/selftests/iommu_upstream
	local args=() m t
	shift 5
	want "$name" || return 0
	mkdir -p "$LOGS/$name"
	if ! { "$VMDIR/build-modules.sh" "$kdir" "$mods" \
			IOMMUFD_PASID_TEST=y &&
	       make -s -C "$up" OUTPUT="$B/iommu_upstream"; } \
			> "$LOGS/$name/build.log" 2>&1; then
		tail -n 40 "$LOGS/$name/build.log"
		record "$name" 1
		tally "$name"
		return
	fi
	for m in $MODULES; do
		args+=(--module "$mods/$(module_path "$m")")
	done
	args+=(--test "$up/judge.sh" --plan kmemleak-clear
	       --plan "load $MODULES" --plan "$UNSAFE_IRQ_STEP"
	       --plan "run echo 64 > /proc/sys/vm/nr_hugepages && echo 'ok 1 - 64 huge pages: the suite maps MAP_HUGETLB buffers'")
	# The kselftest step's own timeout (900 s) and the guest's bound a
	# hang.
	for t in iommufd iommufd_fail_nth; do
		args+=(--test "$B/iommu_upstream/$t" --test "$up/$t.expected"
		       --plan "kselftest judge.sh $t /tests/$t.expected")
	done
	# Our own tests that need the mock (they skip on the other legs).
	for t in dirty_test iopf_test replace_fail_test; do
		args+=(--test "$B/selftests/$t" --plan "kselftest $t")
	done
	"$VMDIR/vmtest.py" --name "$name" --kernel "$image" --qemu 7.2 \
		--logdir "$LOGS/$name" "${args[@]}" --plan unload "$@" \
		--timeout "$timeout"
	tally "$name"
}
# On the stock kernel each suite takes under a minute.
upstream_leg iommu-upstream "$stock" "$(stock_image)" "$B/stock-test" 600
# On the debug kernel (KASAN, lockdep, kmemleak, fault injection) the
# guest takes 3 to 4 minutes.  It runs after the stock legs, beside
# the debug leg, so that there are never more than two guests for the
# two cores: with a third, access_rw nears the harness's 30 s.
upstream_leg iommu-upstream-debug "$debug" "$debug/arch/x86/boot/bzImage" \
	"$B/debug-test" 1500 --plan kmemleak

if want harness; then
	"$VMDIR/check-harness.sh" "$LOGS/harness"
	tally harness
fi

if [ -n "$debug_pid" ]; then
	wait "$debug_pid"
	cat "$LOGS/debug-qemu7.2.out"
	tally debug-qemu7.2
fi

lint_result

# Each failure once more, with the test's last comment lines, right
# before the totals: a report that keeps only the tail of this output
# (a CI log) still says what failed and why.
if [ "$failed" != 0 ]; then
	echo "failures:"
	for l in $ran_legs; do
		cat "$LOGS/$l/failures" 2>/dev/null
	done
fi
echo "check: $(( $(date +%s) - start ))s"
if [ -n "$skipped" ] && [ "$skipped" != 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
