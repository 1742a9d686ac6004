// SPDX-License-Identifier: GPL-2.0
/*
 * VT-d scalable-mode IOMMU driver: module entry points.
 *
 * Loading finds the remapping units in the ACPI DMAR table and refuses,
 * without touching any, unless every unit offers scalable mode, queued
 * invalidation and pass-through and none is already translating (the
 * built-in driver must be kept off with intel_iommu=off).  Each unit then
 * becomes a platform device whose driver brings it up and registers it
 * with the IOMMU core.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <linux/module.h>

#include "vtd.h"

static int __init vtd_sm_init(void)
{
	int ret;

	ret = vtd_dmar_probe();
	if (ret)
		return ret;
	vtd_debugfs_init();
	ret = vtd_iommu_driver_register();
	if (ret) {
		vtd_debugfs_exit();
		vtd_dmar_release();
		return ret;
	}
	pr_info("loaded\n");
	return 0;
}

static void __exit vtd_sm_exit(void)
{
	vtd_iommu_driver_unregister();
	vtd_debugfs_exit();
	vtd_dmar_release();
	pr_info("unloaded\n");
}

module_init(vtd_sm_init);
module_exit(vtd_sm_exit);

MODULE_DESCRIPTION("VT-d scalable-mode IOMMU driver with PASID granular translation");
MODULE_LICENSE("GPL");
