/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the test modules use of the IOMMU core beyond <linux/iommu.h>:
 * functions it exports to iommufd (namespace IOMMUFD_INTERNAL) but
 * declares in its private header, drivers/iommu/iommu-priv.h.
 */
#ifndef _VTD_SM_TESTS_IOMMU_PRIV_H
#define _VTD_SM_TESTS_IOMMU_PRIV_H

struct iommu_domain;
struct iommu_group;

int iommu_group_replace_domain(struct iommu_group *group,
			       struct iommu_domain *new_domain);

#endif /* _VTD_SM_TESTS_IOMMU_PRIV_H */
