// SPDX-License-Identifier: GPL-2.0
/*
 * Mainline ioctls for features that no IOMMU driver of this project has:
 * virtual IOMMUs, virtual devices and virtual event queues.  They check
 * their arguments as mainline does and then answer as mainline answers
 * for a driver without the feature (EOPNOTSUPP), or for an ID that cannot
 * name an object of a type that never exists here (ENOENT), never ENOTTY.
 */
#include <linux/iommu.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

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
