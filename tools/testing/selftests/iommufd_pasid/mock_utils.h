/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the kselftests that need the mock IOMMU of the test build
 * (IOMMUFD_PASID_TEST=y) and its IOMMU_TEST_CMD ABI.
 */
#ifndef IOMMUFD_PASID_MOCK_UTILS_H
#define IOMMUFD_PASID_MOCK_UTILS_H

#include "iommufd_utils.h"
#include "../../../../drivers/iommu/iommufd/iommufd_test.h"

/* Why a test of the mock skips on a build without the test ABI. */
#define MOCK_NO_TEST_ABI \
	"IOMMU_TEST_CMD: not the test build of iommufd_pasid (IOMMUFD_PASID_TEST=y)"

/*
 * Whether @fd answers the test ABI: op 0 is no operation, so only a build
 * without it says ENOTTY.
 */
static inline int mock_test_abi(int fd)
{
	struct iommu_test_cmd probe = { .size = sizeof(probe) };

	return xioctl(fd, IOMMU_TEST_CMD, &probe) != -ENOTTY;
}

/*
 * A mock device attached to @ioas: its selftest-device object, the
 * automatic HWPT and the device ID; 0 or -errno.
 */
static inline int mock_domain(int fd, __u32 ioas, __u32 *stdev, __u32 *hwpt,
			      __u32 *idev)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = ioas,
	};
	int rc = xioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (rc)
		return rc;
	*stdev = cmd.mock_domain.out_stdev_id;
	*hwpt = cmd.mock_domain.out_hwpt_id;
	*idev = cmd.mock_domain.out_idev_id;
	return 0;
}

#endif
