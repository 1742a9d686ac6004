/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel API of iommufd_pasid.ko for drivers that hand a device to an
 * iommufd context (as iommufd_pci does): bind, then attach, replace and
 * detach a HW pagetable on the device's RID or on one of its PASIDs.
 * See Documentation/userspace-api/iommufd.rst for the rules.
 */
#ifndef _LINUX_IOMMUFD_PASID_H
#define _LINUX_IOMMUFD_PASID_H

#include <linux/types.h>

struct device;
struct file;
struct iommufd_ctx;
struct iommufd_device;

struct iommufd_ctx *iommufd_ctx_from_file(struct file *file);
void iommufd_ctx_put(struct iommufd_ctx *ictx);

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id);
void iommufd_device_unbind(struct iommufd_device *idev);

int iommufd_device_pasid_attach(struct iommufd_device *idev, u32 pasid,
				u32 *pt_id);
int iommufd_device_pasid_replace(struct iommufd_device *idev, u32 pasid,
				 u32 *pt_id);
void iommufd_device_pasid_detach(struct iommufd_device *idev, u32 pasid);

#endif /* _LINUX_IOMMUFD_PASID_H */
