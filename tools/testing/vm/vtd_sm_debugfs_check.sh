#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vtd_sm's debugfs in the guest (TAP): the walker's answer for edu, back on
# pass-through after the end-to-end tests; a malformed request refused; the
# last fault record of dmar0 and the knob files of edu at their defaults.

d=/sys/kernel/debug/vtd_sm
e=$(grep -l 0x11e8 /sys/bus/pci/devices/*/device | head -n 1)
e=${e%/device}
e=${e##*/}

echo 1..3
echo "$e - 0x1234 w" > $d/translate
t=$(cat $d/translate)
echo "# $t"
case "$t" in
"ok sid "*" pasid 0 addr 0x1234 pgtt pt "*" phys 0x1234 "*" levels "*)
	echo "ok 1 debugfs translate" ;;
*)	echo "not ok 1 debugfs translate" ;;
esac

if echo "$e 0x1234" > $d/translate; then
	echo "not ok 2 debugfs translate rejects a malformed request"
else
	echo "ok 2 debugfs translate rejects a malformed request"
fi

f="$(cat $d/dmar0/last_fault) $(cat $d/"$e"/rid_pasid) $(cat $d/"$e"/pasid_bits)"
echo "# $f"
case "$f" in
"sid "*" addr 0x"*" reason 0x"*" faults "[1-9]*" 0 0")
	echo "ok 3 debugfs last_fault and knobs" ;;
*)	echo "not ok 3 debugfs last_fault and knobs" ;;
esac
