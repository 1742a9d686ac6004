// SPDX-License-Identifier: GPL-2.0
/*
 * Mainline ioctls for features that no IOMMU driver of this project has:
 * dirty tracking, virtual IOMMUs, virtual devices and virtual event
 * queues.  They check their arguments as mainline does and then answer as
 * mainline answers for a driver without the feature (EOPNOTSUPP), or for
 * an ID that cannot name an object of a type that never exists here
 * (ENOENT), never ENOTTY.
 */
#include <linux/iommu.h>
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
 * iommufd_hwpt_set_dirty_tracking() - ioctl(IOMMU_HWPT_SET_DIRTY_TRACKING)
 * @ucmd: the call
 *
 * Return: -EOPNOTSUPP for unknown flags, a non-zero reserved field or a
 * domain without dirty tracking; -ENOENT if @hwpt_id is no paging HWPT;
 * else the driver's answer.
 */
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	const struct iommu_dirty_ops *ops;
	int rc;

	if ((cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;

	hwpt_paging = iommufd_get_hwpt_paging(ucmd->ictx, cmd->hwpt_id);
	if (IS_ERR(hwpt_paging))
		return PTR_ERR(hwpt_paging);

	ops = hwpt_paging->common.domain->dirty_ops;
	if (!ops) {
		rc = -EOPNOTSUPP;
	} else {
		/* The IOAS lock orders this with mappings being changed. */
		mutex_lock(&hwpt_paging->ioas->iopt.lock);
		rc = ops->set_dirty_tracking(hwpt_paging->common.domain,
					     cmd->flags &
					     IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
		mutex_unlock(&hwpt_paging->ioas->iopt.lock);
	}
	iommufd_put_object(&hwpt_paging->common.obj);
	return rc;
}

/* The range checks of mainline's iommufd_check_iova_range(). */
static int iommufd_check_dirty_range(struct io_pagetable *iopt,
				     const struct iommu_hwpt_get_dirty_bitmap *cmd)
{
	u64 last;

	if (check_add_overflow(cmd->iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	if (cmd->iova > ULONG_MAX || last > ULONG_MAX)
		return -EOVERFLOW;
	if ((cmd->iova | (last + 1)) & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (!cmd->page_size)
		return -EINVAL;
	if ((cmd->iova | (last + 1)) & (cmd->page_size - 1))
		return -EINVAL;
	return 0;
}

/**
 * iommufd_hwpt_get_dirty_bitmap() - ioctl(IOMMU_HWPT_GET_DIRTY_BITMAP)
 * @ucmd: the call
 *
 * No driver of this project reads dirty bits, so after the checks every
 * call fails with EOPNOTSUPP, as mainline does for a domain without
 * read_and_clear_dirty.
 *
 * Return: -EOPNOTSUPP for unknown flags, a non-zero reserved field or a
 * domain that cannot report dirty bits; -ENOENT if @hwpt_id is no paging
 * HWPT; -EOVERFLOW or -EINVAL for a bad range or page size.
 */
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	int rc;

	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;

	hwpt_paging = iommufd_get_hwpt_paging(ucmd->ictx, cmd->hwpt_id);
	if (IS_ERR(hwpt_paging))
		return PTR_ERR(hwpt_paging);

	rc = iommufd_check_dirty_range(&hwpt_paging->ioas->iopt, cmd);
	if (!rc)
		rc = -EOPNOTSUPP;
	iommufd_put_object(&hwpt_paging->common.obj);
	return rc;
}

/**
 * iommufd_viommu_alloc_ioctl() - ioctl(IOMMU_VIOMMU_ALLOC)
 * @ucmd: the call
 *
 * No IOMMU driver of this project has vIOMMU support (iommu_ops of 6.12
 * have no viommu_alloc), so a valid request for a bound device fails as
 * mainline fails it for such a driver.
 *
 * Return: -EOPNOTSUPP for non-zero flags or reserved field, the DEFAULT
 * type, or any type on a bound device; -ENOENT for an unknown device.
 */
int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	struct iommufd_device *idev;

	if (cmd->flags || cmd->__reserved ||
	    cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return -EOPNOTSUPP;

	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	iommufd_put_object(&idev->obj);
	return -EOPNOTSUPP;
}

/**
 * iommufd_vdevice_alloc_ioctl() - ioctl(IOMMU_VDEVICE_ALLOC)
 * @ucmd: the call
 *
 * Return: -ENOENT: IOMMU_VIOMMU_ALLOC never succeeds here, so @viommu_id
 * names no vIOMMU.
 */
int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	return -ENOENT;
}

/**
 * iommufd_veventq_alloc() - ioctl(IOMMU_VEVENTQ_ALLOC)
 * @ucmd: the call
 *
 * Return: -EOPNOTSUPP for non-zero flags or reserved field or the DEFAULT
 * type; -EINVAL for a depth of 0; else -ENOENT, as no vIOMMU exists.
 */
int iommufd_veventq_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_veventq_alloc *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved ||
	    cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->veventq_depth)
		return -EINVAL;
	return -ENOENT;
}
