#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ATS through vtd_sm in the guest (TAP), on QEMU's intel-iommu with
# device-iotlb=on (a DMAR ATSR with ALL_PORTS, ECAP.DT) and a virtio-rng
# device with ats=on behind a PCIe root port: ATS is enabled in the
# device and counted by dmar0; the device's DMA (random bytes written
# into the driver's buffers) goes through vtd_sm's default domain; a
# change of what translates its requests without PASID (the rid_pasid
# knob, written with the value it has) sends it a device-TLB
# invalidation that the unit completes without a queue error; and the
# device still works afterwards.
#
# Usage: vtd_sm_ats_check.sh /modules/virtio-rng.ko

d=/sys/kernel/debug/vtd_sm
c=$d/dmar0/counters

# The modern virtio-rng (1af4:1044).
v=
for p in /sys/bus/pci/devices/*; do
	[ "$(cat "$p/vendor")" = 0x1af4 ] && [ "$(cat "$p/device")" = 0x1044 ] &&
		v=${p##*/}
done

# ATS Control register of the device (extended capability 0x000f), or
# nothing if it has no ATS capability (or the extended configuration
# space reads 0, as on QEMU 7.2 after an S3 resume: this runs first).
ats_ctrl() {
	cfg=/sys/bus/pci/devices/$1/config
	off=256
	n=0
	while [ "$off" -ge 256 ] && [ $((n += 1)) -le 64 ]; do
		h=$(od -An -tx4 -j "$off" -N 4 "$cfg" | tr -d ' ')
		[ -n "$h" ] || return
		h=$((0x$h))
		if [ $((h & 0xffff)) = 15 ]; then
			h=$(od -An -tx2 -j $((off + 6)) -N 2 "$cfg" | tr -d ' ')
			echo $((0x$h))
			return
		fi
		off=$(((h >> 20) & 0xffc))
	done
}

counter() {
	sed -n "s/^$1: //p" $c
}

# Read 4 KiB from the device and check it is not all zero.
rng_read() {
	rm -f /tmp/rng
	dd if=/dev/hwrng of=/tmp/rng bs=512 count=8 2>/dev/null &&
		[ "$(wc -c < /tmp/rng)" = 4096 ] &&
		[ -n "$(od -An -tx1 /tmp/rng | tr -d ' 0\n')" ]
}

echo 1..5
if [ -z "$v" ]; then
	for i in 1 2 3 4 5; do
		echo "not ok $i no virtio-rng device"
	done
	exit 1
fi
echo "# virtio-rng at $v"

a=$(ats_ctrl "$v")
echo "# ATS control ${a:-none}, $(grep '^ats_devices' $c)"
if [ -n "$a" ] && [ $((a & 0x8000)) != 0 ] && [ "$(counter ats_devices)" = 1 ]; then
	echo "ok 1 ATS enabled on $v"
else
	echo "not ok 1 ATS enabled on $v"
fi

insmod "$1"
echo "# hw_random: $(cat /sys/class/misc/hw_random/rng_current)"
if rng_read; then
	echo "ok 2 virtio-rng DMA through the default domain"
else
	echo "not ok 2 virtio-rng DMA through the default domain"
fi

e0=$(($(counter qi_iqe) + $(counter qi_ite) + $(counter qi_ice)))
t0=$(counter qi_devtlb)
echo 0 > "$d/$v/rid_pasid"
t1=$(counter qi_devtlb)
e1=$(($(counter qi_iqe) + $(counter qi_ite) + $(counter qi_ice)))
echo "# qi_devtlb $t0 -> $t1, queue errors $e0 -> $e1"
if [ "$t1" -gt "$t0" ]; then
	echo "ok 3 device-TLB invalidation sent"
else
	echo "not ok 3 device-TLB invalidation sent"
fi
if [ "$e1" = 0 ]; then
	echo "ok 4 no invalidation queue error"
else
	echo "not ok 4 no invalidation queue error"
fi

if rng_read; then
	echo "ok 5 virtio-rng DMA after the invalidation"
else
	echo "not ok 5 virtio-rng DMA after the invalidation"
fi
rmmod virtio-rng 2>/dev/null || rmmod virtio_rng
