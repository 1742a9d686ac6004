#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of the VM harness: boot guests that must be judged as failed
# and check that they are, for the right reason.
#
#   1. a kselftest with one failing test (and one passing, one skipped)
#   2. a module that WARNs at load while every test passes
#   3. a guest that hangs
#   4. a guest asking for a monitor command that is not allowed
#   5. a log directory holding a finished run's results
#   6. a module that makes lockdep turn itself off (debug kernel)
#
# Writes TAP to stdout and "<passed> <failed> <skipped>" to <logdir>/summary.

set -uo pipefail
. "$(dirname "$0")/lib.sh"

logs=$1
B=$TOPDIR/build/harness
mkdir -p "$logs" "$B"
rm -f "$logs/failures"
n=0 pass=0 fail=0 skip=0

result() {	# result <0|1> <description>
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
		pass=$((pass + 1))
	else
		echo "not ok $n $2"
		echo "harness: FAIL $2" >> "$logs/failures"
		fail=$((fail + 1))
	fi
}

rsync -a "$VMDIR/selftest/" "$B/src/"
if ! make -s -C "$(stock_kdir)" M="$B/src" modules > "$logs/build.log" 2>&1 ||
   ! cc -O2 -static -D_GNU_SOURCE -I"$(ksrc)/tools/testing/selftests" \
	-o "$B/harness_fail" "$VMDIR/selftest/harness_fail.c" >> "$logs/build.log" 2>&1; then
	cat "$logs/build.log"
	echo "0 1 0" > "$logs/summary"
	exit 1
fi

vm() {		# vm <name> <vmtest args...>: prints the verdict lines
	local name=$1
	shift
	"$VMDIR/vmtest.py" --name "$name" --logdir "$logs/$name" \
		--kernel "$(stock_image)" --qemu 7.2 "$@"
}

echo "TAP version 13"
echo "1..6"

out=$(vm failing-test --test "$B/harness_fail" \
	--plan "kselftest harness_fail" --timeout 300)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc != 0 ] &&
	grep -q 'FAIL harness_fail: global.fails$' <<< "$out" &&
	grep -q ': 1 passed, 1 failed, 1 skipped' <<< "$out" &&
	grep -q 'FAIL harness_fail: global.fails$' "$logs/failing-test/failures" &&
	grep -q 'Expected 3' "$logs/failing-test/failures"
result $? "a failing kselftest fails the leg, is counted, and its failures file has the test's own message"

out=$(vm warn --module "$B/src/vmtest_warn.ko" --plan "load vmtest_warn" \
	--plan unload --timeout 300)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc != 0 ] && grep -q 'FAIL kernel splat: .*WARNING:' <<< "$out" &&
	grep -q ': 2 passed, 1 failed' <<< "$out"
result $? "a WARN in a module fails the leg although every test passed"

out=$(vm hang --plan "run sleep 3600" --timeout 45)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc != 0 ] && grep -q 'FAIL guest timed out after 45s' <<< "$out"
result $? "a hung guest is killed at the timeout and fails the leg"

# HMP's migrate "exec:" would run a program on the host: never run.
rm -f "$logs/monitor-escape"
out=$(vm monitor --monitor --plan "run echo 'vmtest: monitor migrate \"exec:touch $logs/monitor-escape\"' && echo 'ok 1 asked'" \
	--timeout 120)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc != 0 ] && [ ! -e "$logs/monitor-escape" ] &&
	grep -q 'FAIL monitor command not allowed: migrate' <<< "$out"
result $? "a monitor command not allowed is not run and fails the leg"

# With --s3 the host quits a QEMU still running 5 s after "vmtest: done":
# that of an earlier run in the same directory must not end this one.
mkdir -p "$logs/stale"
printf 'vmtest: monitor device_del nothing\nvmtest: done\n' \
	> "$logs/stale/results.log"
out=$(vm stale --s3 --plan "run sleep 12 && echo 'ok 1 slept'" --timeout 120)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 0 ] && grep -q ': 1 passed, 0 failed' <<< "$out" &&
	! grep -q 'device_del' "$logs/stale/monitor.log"
result $? "an earlier run's results in the log directory are not read"

# Lockdep, on the debug kernel only, switches itself off at a lock it
# does not know; it says so in lines that are no BUG or WARNING.
dk=$(debug_kdir 2>/dev/null)
if [ -n "$dk" ] && [ -f "$dk/arch/x86/boot/bzImage" ]; then
	rsync -a "$VMDIR/selftest/" "$B/src-debug/"
	make -s -C "$dk" M="$B/src-debug" modules >> "$logs/build.log" 2>&1
	out=$("$VMDIR/vmtest.py" --name lockdep --logdir "$logs/lockdep" \
		--kernel "$dk/arch/x86/boot/bzImage" --qemu 7.2 \
		--module "$B/src-debug/vmtest_lockdep.ko" \
		--plan "load vmtest_lockdep" --plan unload --timeout 300)
	rc=$?
	echo "$out" | sed 's/^/# /'
	[ $rc != 0 ] &&
		grep -q 'FAIL kernel splat: .*non-static key' <<< "$out" &&
		grep -q 'FAIL kernel splat: .*turning off the locking' <<< "$out"
	result $? "lockdep switching itself off fails the leg"
else
	n=$((n + 1))
	skip=$((skip + 1))
	echo "ok $n lockdep switching itself off fails the leg # SKIP no debug kernel"
fi

echo "$pass $fail $skip" > "$logs/summary"
[ $fail = 0 ] || echo "harness: FAIL (see $logs)" >> "$logs/failures"
echo "harness: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
