/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recording dirty IOVAs into the bitmap of iommufd_pasid.ko, for IOMMU
 * drivers that do not link against it (vtd_sm loads first).
 *
 * IOMMU_HWPT_GET_DIRTY_BITMAP hands a driver's read_and_clear_dirty a
 * struct iommu_dirty_bitmap whose @bitmap is iommufd_pasid's own: the
 * kernel's struct iova_bitmap exists only with CONFIG_IOMMUFD_DRIVER,
 * which the 6.12 kernels this project builds for (Debian's and its debug
 * build) do not set, so include/linux/iova_bitmap.h only forward-declares
 * the structure and iommu_dirty_bitmap_record() drops every record.  This
 * header defines the structure's layout as far as drivers see it: a
 * record callback, which iommufd_dirty_record() calls.
 *
 * The rule, which iommufd_pasid checks (drivers/iommu/iommufd/dirty.c):
 *
 * - A driver whose read_and_clear_dirty records every dirty range with
 *   iommufd_dirty_record(), and never with iommu_dirty_bitmap_record(),
 *   answers true to capable(dev, IOMMUFD_CAP_DIRTY_RECORD) for its
 *   devices.  Other drivers know nothing of the value and answer false.
 * - iommufd_pasid notes the answer for the device a paging HWPT is
 *   allocated for, and reads the dirty bits of its domain only if it was
 *   true (and the domain has dirty_ops); else GET_DIRTY_BITMAP fails with
 *   EOPNOTSUPP, mainline's answer for a domain that cannot report dirty
 *   pages.  So no other driver ever clears dirty bits it cannot report.
 *
 * The capability is asked at allocation because the dirty_ops of a domain
 * cannot carry a marker of their own that is safe to read for any driver.
 */
#ifndef _LINUX_IOMMUFD_DIRTY_H
#define _LINUX_IOMMUFD_DIRTY_H

#include <linux/build_bug.h>
#include <linux/iommu.h>

#if IS_ENABLED(CONFIG_IOMMUFD_DRIVER)
#error "struct iova_bitmap is the kernel's with CONFIG_IOMMUFD_DRIVER"
#endif

/*
 * "read_and_clear_dirty records through iommufd_dirty_record()": a value
 * outside enum iommu_cap, on purpose.  The kernel's values end at
 * IOMMU_CAP_DIRTY_TRACKING (5); this one is far above any it may add.
 *
 * Why a capability value at all, when a driver-neutral op or query would
 * be cleaner: on 6.12 there is no place for one.  struct iommu_ops,
 * struct iommu_dirty_ops and struct iommu_domain are the kernel's, with
 * no field a driver could set for this (domain->owner names the driver,
 * not what its read_and_clear_dirty does), and neither module may call
 * the other: vtd_sm loads first and must not need iommufd_pasid, and
 * iommufd_pasid serves any IOMMU driver.  capable() is the one question
 * the core passes from any module to any driver, so the answer goes
 * there.  That rests on every driver answering false for a value it does
 * not know: so do all capable() ops of 6.12 (intel, amd, arm-smmu,
 * arm-smmu-v3, qcom, virtio, s390 with default: false, fsl_pamu with one
 * comparison), and device_iommu_capable() is false without the op.  A
 * kernel with CONFIG_IOMMUFD_DRIVER needs no question (the #error above).
 */
#define IOMMUFD_CAP_DIRTY_RECORD	((enum iommu_cap)0x4d00)
static_assert(IOMMUFD_CAP_DIRTY_RECORD > IOMMU_CAP_DIRTY_TRACKING);

/**
 * struct iova_bitmap - a dirty bitmap as drivers see it
 * @record: set the bits of [@iova, @iova + @length); the owner (the
 *	    iommufd_pasid core) embeds the structure in its own
 */
struct iova_bitmap {
	void (*record)(struct iova_bitmap *bitmap, unsigned long iova,
		       unsigned long length);
};

/**
 * iommufd_dirty_record() - report a dirty IOVA range from read_and_clear_dirty
 * @dirty: the argument of read_and_clear_dirty
 * @iova: first dirty IOVA
 * @length: bytes of the dirty range, inside the range read
 *
 * What iommu_dirty_bitmap_record() does with CONFIG_IOMMUFD_DRIVER: the
 * range goes to the bitmap (none when the core only clears the bits) and
 * to the IOTLB gather, which the core syncs after the walk unless it was
 * called with IOMMU_DIRTY_NO_CLEAR.  Nothing here links against
 * iommufd_pasid.
 */
static inline void iommufd_dirty_record(struct iommu_dirty_bitmap *dirty,
					unsigned long iova,
					unsigned long length)
{
	if (dirty->bitmap)
		dirty->bitmap->record(dirty->bitmap, iova, length);
	if (dirty->gather)
		iommu_iotlb_gather_add_range(dirty->gather, iova, length);
}

#endif /* _LINUX_IOMMUFD_DIRTY_H */
