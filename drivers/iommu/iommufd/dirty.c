// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty tracking: IOMMU_HWPT_SET_DIRTY_TRACKING and
 * IOMMU_HWPT_GET_DIRTY_BITMAP, with mainline's checks and errnos.
 *
 * The bitmap is this module's own (dirty_bitmap.c), so only a driver that
 * records through iommufd_dirty_bitmap_record() can fill it.  Any other
 * driver's iommu_dirty_bitmap_record() goes to the kernel's iova_bitmap:
 * an empty inline on a kernel without CONFIG_IOMMUFD_DRIVER (Debian's
 * 6.12), which would report dirty pages as clean, or a structure other
 * than ours on a kernel with it.  Of the drivers of this project only the
 * mock IOMMU of the test build tracks dirty pages (vtd_sm does not: QEMU's
 * VT-d has no second-stage access/dirty bits), so reading a bitmap of any
 * other domain fails with EOPNOTSUPP, mainline's answer for a domain that
 * cannot report dirty pages.
 */
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/overflow.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

static struct iommufd_hwpt_paging *
iommufd_get_hwpt_paging(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct iommufd_hwpt_paging, common.obj);
}

/* Does @domain's driver record into this module's bitmap (see above)? */
static bool iommufd_domain_records_dirty(struct iommu_domain *domain)
{
	return domain->dirty_ops && domain->dirty_ops->read_and_clear_dirty &&
	       iommufd_selftest_is_mock_domain(domain);
}

/**
 * iommufd_hwpt_set_dirty_tracking() - ioctl(IOMMU_HWPT_SET_DIRTY_TRACKING)
 * @ucmd: the call
 *
 * Turning tracking on first clears the dirty bits of every mapping of the
 * IOAS in the domain.
 *
 * Return: -EOPNOTSUPP for unknown flags, a non-zero reserved field or a
 * domain without dirty tracking; -ENOENT if @hwpt_id is no paging HWPT;
 * else the driver's answer.
 */
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommu_domain *domain;
	int rc;

	if ((cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;

	hwpt_paging = iommufd_get_hwpt_paging(ucmd->ictx, cmd->hwpt_id);
	if (IS_ERR(hwpt_paging))
		return PTR_ERR(hwpt_paging);

	domain = hwpt_paging->common.domain;
	if (!domain->dirty_ops)
		rc = -EOPNOTSUPP;
	else
		rc = iopt_set_dirty_tracking(&hwpt_paging->ioas->iopt, domain,
					     cmd->flags &
					     IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	iommufd_put_object(&hwpt_paging->common.obj);
	return rc;
}

/*
 * The range checks of mainline's iommufd_check_iova_range(), and a
 * page_size that is a power of two (mainline takes its lowest set bit).
 */
static int iommufd_check_dirty_range(struct io_pagetable *iopt,
				     const struct iommu_hwpt_get_dirty_bitmap *cmd)
{
	u64 last;

	if (!cmd->length)
		return -EINVAL;
	if (check_add_overflow(cmd->iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	if (cmd->iova > ULONG_MAX || last > ULONG_MAX)
		return -EOVERFLOW;
	if ((cmd->iova | (last + 1)) & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (!cmd->page_size || cmd->page_size > ULONG_MAX ||
	    !is_power_of_2(cmd->page_size))
		return -EINVAL;
	if ((cmd->iova | (last + 1)) & (cmd->page_size - 1))
		return -EINVAL;
	return 0;
}

/**
 * iommufd_hwpt_get_dirty_bitmap() - ioctl(IOMMU_HWPT_GET_DIRTY_BITMAP)
 * @ucmd: the call
 *
 * Sets in the user bitmap the bit of every page_size block of the range
 * with a dirty IOVA, and clears the dirty bits read unless
 * IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR.  Bits of clean blocks are left as
 * they are.
 *
 * Return: 0; -EOPNOTSUPP for unknown flags, a non-zero reserved field or a
 * domain that cannot report dirty bits; -ENOENT if @hwpt_id is no paging
 * HWPT; -EOVERFLOW or -EINVAL for a bad range or page size; -EINVAL if the
 * range is not mapped without a gap; -EFAULT if the bitmap cannot be
 * read or written; -EPROTO if the driver reports a range outside the
 * bitmap's; else the driver's error.
 */
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommu_domain *domain;
	struct iova_bitmap *bitmap;
	struct io_pagetable *iopt;
	int rc, rc_bitmap;

	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;

	hwpt_paging = iommufd_get_hwpt_paging(ucmd->ictx, cmd->hwpt_id);
	if (IS_ERR(hwpt_paging))
		return PTR_ERR(hwpt_paging);

	iopt = &hwpt_paging->ioas->iopt;
	domain = hwpt_paging->common.domain;
	rc = iommufd_check_dirty_range(iopt, cmd);
	if (rc)
		goto out_put;
	if (!iommufd_domain_records_dirty(domain)) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}

	bitmap = iommufd_bitmap_alloc(cmd->iova, cmd->length, cmd->page_size,
				      u64_to_user_ptr(cmd->data));
	if (IS_ERR(bitmap)) {
		rc = PTR_ERR(bitmap);
		goto out_put;
	}
	rc = iopt_read_and_clear_dirty(iopt, domain,
				       (cmd->flags &
					IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ?
				       IOMMU_DIRTY_NO_CLEAR : 0,
				       cmd->iova, cmd->length, bitmap);
	rc_bitmap = iommufd_bitmap_finish(bitmap);
	if (!rc)
		rc = rc_bitmap;
out_put:
	iommufd_put_object(&hwpt_paging->common.obj);
	return rc;
}
