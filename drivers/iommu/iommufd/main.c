// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd with a PASID layer: module entry points.
 *
 * /dev/iommu, the object model and pasid.c are added on top of this
 * skeleton.
 */
#define pr_fmt(fmt) "iommufd_pasid: " fmt

#include <linux/module.h>

static int __init iommufd_pasid_init(void)
{
	return 0;
}

static void __exit iommufd_pasid_exit(void)
{
}

module_init(iommufd_pasid_init);
module_exit(iommufd_pasid_exit);

MODULE_DESCRIPTION("iommufd with per-PASID attach, replace and detach");
MODULE_LICENSE("GPL");
