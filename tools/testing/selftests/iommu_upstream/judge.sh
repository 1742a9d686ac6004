#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# judge.sh <suite> <expected list>: run one of Linux's iommufd suites (in
# the test VM, from /tests) and hold each of its results to the list.
#
# The list has one line per test of the suite: "pass <test>",
# "fail <test>  # why", "skip <test>" or "injected <test>": pass where the
# kernel has fault injection (debugfs has failslab, which the suite
# configures), skip where it has not.  Prints TAP with one result per
# listed test: ok when the suite's result is the one listed, not ok for a
# regression (a listed pass that failed or did not run) and for an
# unexpected pass, so that the list stays exact.  A test the suite ran but
# the list lacks is not ok too.  The suite's own output is kept as comments.

suite=$1
list=$2
out=${TMPDIR:-/tmp}/$suite.tap

injected=skip
[ -d /sys/kernel/debug/failslab ] && injected=pass

"${TESTS:-/tests}/$suite" > "$out" 2>&1
echo "# $suite exited $?"
sed 's/^/# /' "$out"

awk -v list="$list" -v injected="$injected" '
	BEGIN {
		while ((getline line < list) > 0) {
			if (line ~ /^[ \t]*(#|$)/)
				continue
			split(line, f, /[ \t]+/)
			want[f[2]] = f[1] == "injected" ? injected : f[1]
			order[++n] = f[2]
		}
	}
	/^ok [0-9]+ / { got[$3] = ($0 ~ /# SKIP/) ? "skip" : "pass" }
	/^not ok [0-9]+ / { got[$4] = "fail" }
	END {
		extra = 0
		for (t in got)
			if (!(t in want))
				extra++
		print "TAP version 13"
		print "1.." n + extra
		bad = 0
		for (i = 1; i <= n; i++) {
			t = order[i]
			g = (t in got) ? got[t] : "missing"
			if (g == want[t]) {
				print "ok " i " " t " # " g " as expected"
			} else {
				print "not ok " i " " t " # expected " want[t] ", got " g
				bad = 1
			}
		}
		k = n
		for (t in got) {
			if (t in want)
				continue
			print "not ok " ++k " " t " # not in the list, got " got[t]
			bad = 1
		}
		exit bad
	}' "$out"
