// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty tracking: IOMMU_HWPT_SET_DIRTY_TRACKING and
 * IOMMU_HWPT_GET_DIRTY_BITMAP, with mainline's checks and errnos.
 *
 * The bitmap is this module's own (dirty_bitmap.c), so only a driver that
 * records through iommufd_dirty_record() of include/linux/iommufd_dirty.h
 * can fill it.  Any other driver's iommu_dirty_bitmap_record() goes to the
 * kernel's iova_bitmap, an empty inline on the kernels this project builds
 * for (no CONFIG_IOMMUFD_DRIVER; the header refuses to build with it),
 * which would report dirty pages as clean while clearing their bits.
 *
 * The rule (the header says it for drivers): a driver that records
 * through the helper answers true to capable(dev, IOMMUFD_CAP_DIRTY_RECORD).
 * A paging HWPT notes that answer for the device it is allocated for
 * (hw_pagetable.c), and the dirty bits of its domain are read only if it
 * was true and the domain has read_and_clear_dirty; else
 * IOMMU_HWPT_GET_DIRTY_BITMAP fails with EOPNOTSUPP, mainline's answer for
 * a domain that cannot report dirty pages.  The drivers of this project
 * that record are vtd_sm, on units with second-stage accessed/dirty
 * support (ECAP.SSADS; no emulator has it, see
 * Documentation/driver-api/vtd_sm.rst), and the mock IOMMU of the test
 * build.  IOMMU_HWPT_SET_DIRTY_TRACKING needs only the domain's dirty_ops,
 * as in mainline.
 */
#include <kunit/visibility.h>
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

/**
 * iommufd_hwpt_records_dirty() - can the dirty bits of a HWPT be read
 * @hwpt_paging: the HWPT
 *
 * Return: true if its domain's driver reports dirty ranges into this
 * module's bitmap (see above) and the domain can be read.
 */
VISIBLE_IF_KUNIT bool
iommufd_hwpt_records_dirty(struct iommufd_hwpt_paging *hwpt_paging)
{
	const struct iommu_dirty_ops *ops = hwpt_paging->common.domain->dirty_ops;

	return hwpt_paging->dirty_record && ops && ops->read_and_clear_dirty;
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_hwpt_records_dirty);

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
	if (!iommufd_hwpt_records_dirty(hwpt_paging)) {
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
