/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one IOMMU core call iommu_core_bench needs that 6.12 keeps in
 * drivers/iommu/iommu-priv.h, which is not installed with the headers:
 * exported in the IOMMUFD_INTERNAL namespace, declared here as 6.12 has it.
 */
#ifndef _IOMMU_CORE_BENCH_PRIV_H
#define _IOMMU_CORE_BENCH_PRIV_H

struct iommu_domain;
struct iommu_group;

int iommu_group_replace_domain(struct iommu_group *group,
			       struct iommu_domain *new_domain);

#endif /* _IOMMU_CORE_BENCH_PRIV_H */
