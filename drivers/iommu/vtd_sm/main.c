// SPDX-License-Identifier: GPL-2.0
/*
 * VT-d scalable-mode IOMMU driver: module entry points.
 *
 * Bring-up of the remapping units, the PASID tables and the iommu_ops are
 * added on top of this skeleton.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <linux/module.h>

static int __init vtd_sm_init(void)
{
	pr_info("loaded\n");
	return 0;
}

static void __exit vtd_sm_exit(void)
{
	pr_info("unloaded\n");
}

module_init(vtd_sm_init);
module_exit(vtd_sm_exit);

MODULE_DESCRIPTION("VT-d scalable-mode IOMMU driver with PASID granular translation");
MODULE_LICENSE("GPL");
