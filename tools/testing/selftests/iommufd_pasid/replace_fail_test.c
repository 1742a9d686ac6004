// SPDX-License-Identifier: GPL-2.0
/*
 * A PASID replace whose switch back fails too.
 *
 * iommufd_device_pasid_replace() sets the new HWPT's domain on each device
 * of the group; if the driver fails, it sets the old one back, and if
 * that fails as well (an IOMMU can fail an invalidation, vtd_sm leaving
 * the PASID blocked), neither HWPT is in use everywhere: the PASID is
 * detached from the whole group and the replace returns the driver's
 * error.  These tests hold the end state to that: nothing at the PASID in
 * the IOMMU core (its group's pasid_array) nor in the device, no record
 * in iommufd (a replace there fails as on a PASID never attached, an
 * attach is a fresh one), the old HWPT's references of the PASID given
 * back (it can be destroyed) and no others, and everything destroyable
 * in the end.  And, for comparison, a replace whose switch back works
 * keeps the old HWPT, in the core and in the device.
 *
 * The failures come from the mock IOMMU (IOMMU_TEST_OP_MOCK_PASID_FAIL
 * makes its set_dev_pasid() fail the next N times at a PASID), and the
 * PASID operations of the test ABI drive iommufd_pasid's in-kernel API as
 * a driver would, so the tests need the test build of iommufd_pasid.ko
 * (IOMMUFD_PASID_TEST=y, the iommu-upstream legs); on any other they skip.
 */
#include "mock_utils.h"

#include "kselftest_harness.h"

#define PASID	5
#define PASID2	6

static int mock_test(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return xioctl(fd, IOMMU_TEST_CMD, cmd);
}

static int mock_pasid_domain(int fd, __u32 ioas, __u32 *stdev, __u32 *idev)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = ioas,
		.mock_domain_flags.dev_flags = MOCK_FLAGS_DEVICE_PASID,
	};
	int rc = mock_test(fd, &cmd);

	if (!rc) {
		*stdev = cmd.mock_domain_flags.out_stdev_id;
		*idev = cmd.mock_domain_flags.out_idev_id;
	}
	return rc;
}

static int rid_replace(int fd, __u32 stdev, __u32 pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace.pt_id = pt_id,
	};

	return mock_test(fd, &cmd);
}

static int pasid_attach(int fd, __u32 stdev, __u32 pasid, __u32 pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_ATTACH,
		.id = stdev,
		.pasid_attach = { .pasid = pasid, .pt_id = pt_id },
	};

	return mock_test(fd, &cmd);
}

static int pasid_replace(int fd, __u32 stdev, __u32 pasid, __u32 pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_REPLACE,
		.id = stdev,
		.pasid_replace = { .pasid = pasid, .pt_id = pt_id },
	};

	return mock_test(fd, &cmd);
}

static int pasid_detach(int fd, __u32 stdev, __u32 pasid)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_DETACH,
		.id = stdev,
		.pasid_detach.pasid = pasid,
	};

	return mock_test(fd, &cmd);
}

/*
 * 0 if HWPT @hwpt (0: none) is at @pasid in the IOMMU core and in the
 * mock device; EINVAL if the core holds another, EIO if the device has
 * another set.
 */
static int pasid_check(int fd, __u32 stdev, __u32 pasid, __u32 hwpt)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_CHECK_HWPT,
		.id = stdev,
		.pasid_check = { .pasid = pasid, .hwpt_id = hwpt },
	};

	return mock_test(fd, &cmd);
}

/* The next @count set_dev_pasid() calls at @pasid fail with EIO. */
static int pasid_fail(int fd, __u32 stdev, __u32 pasid, __u32 count)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_PASID_FAIL,
		.id = stdev,
		.mock_pasid_fail = { .pasid = pasid, .count = count },
	};

	return mock_test(fd, &cmd);
}

/*
 * A PASID-capable mock device whose RID holds @rid, and two more HWPTs
 * allocated with IOMMU_HWPT_ALLOC_PASID, @a and @b, on the same IOAS;
 * PASID is attached to @a.
 */
FIXTURE(replace_fail) {
	int fd;
	__u32 ioas, stdev, idev, rid, a, b;
};

FIXTURE_SETUP(replace_fail)
{
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
	if (!mock_test_abi(self->fd))
		SKIP(return, MOCK_NO_TEST_ABI);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	ASSERT_EQ(0, mock_pasid_domain(self->fd, self->ioas, &self->stdev,
				       &self->idev));
	ASSERT_EQ(0, hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_PASID, self->idev,
				self->ioas, &self->rid));
	ASSERT_EQ(0, hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_PASID, self->idev,
				self->ioas, &self->a));
	ASSERT_EQ(0, hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_PASID, self->idev,
				self->ioas, &self->b));
	/* The automatic HWPT of the IOAS cannot sit beside PASIDs. */
	ASSERT_EQ(0, rid_replace(self->fd, self->stdev, self->rid));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev, PASID, self->a));
	ASSERT_EQ(0, pasid_check(self->fd, self->stdev, PASID, self->a));
}

FIXTURE_TEARDOWN(replace_fail)
{
	close(self->fd);
}

/*
 * Nothing leaked: the mock device @stdev (unbinding it detaches what is
 * left), the HWPTs and the IOAS are destroyed, each at the first try.
 * Whatever still held a reference on one would make its destruction fail
 * (EBUSY).  An ID of 0 is one the test destroyed already.
 */
static void destroy_all(struct __test_metadata *_metadata, int fd,
			__u32 stdev, __u32 a, __u32 b, __u32 rid, __u32 ioas)
{
	if (stdev)
		EXPECT_EQ(0, obj_destroy(fd, stdev));
	if (a)
		EXPECT_EQ(0, obj_destroy(fd, a));
	EXPECT_EQ(0, obj_destroy(fd, b));
	EXPECT_EQ(0, obj_destroy(fd, rid));
	EXPECT_EQ(0, obj_destroy(fd, ioas));
}

/*
 * The forward switch fails, and so does the switch back: the PASID is
 * detached.  Each check below fails if the replace leaves the PASID's
 * record (it does without iommufd_pasid_drop()).
 */
TEST_F(replace_fail, lost_switch_back_detaches)
{
	ASSERT_EQ(0, pasid_fail(self->fd, self->stdev, PASID, 2));
	EXPECT_EQ(-EIO, pasid_replace(self->fd, self->stdev, PASID, self->b));

	/*
	 * Nothing in the core's pasid_array nor set in the device: not the
	 * old HWPT (which the core's handle names again after the failed
	 * switch back), not the new one.
	 */
	EXPECT_EQ(0, pasid_check(self->fd, self->stdev, PASID, 0));
	EXPECT_EQ(-EINVAL, pasid_check(self->fd, self->stdev, PASID, self->a));
	EXPECT_EQ(-EINVAL, pasid_check(self->fd, self->stdev, PASID, self->b));

	/*
	 * What a PASID never attached reports: a replace fails with EINVAL
	 * (no failure is armed any more: with a record, it would succeed),
	 * a detach does nothing.
	 */
	EXPECT_EQ(-EINVAL, pasid_replace(self->fd, self->stdev, PASID,
					 self->b));
	EXPECT_EQ(0, pasid_check(self->fd, self->stdev, PASID, 0));
	EXPECT_EQ(0, pasid_detach(self->fd, self->stdev, PASID));
	EXPECT_EQ(0, pasid_check(self->fd, self->stdev, PASID, 0));

	/* The PASID's reference on the old HWPT was given back. */
	EXPECT_EQ(0, obj_destroy(self->fd, self->a));

	/* A fresh attach, which holds its HWPT as any attach does. */
	EXPECT_EQ(0, pasid_attach(self->fd, self->stdev, PASID, self->b));
	EXPECT_EQ(0, pasid_check(self->fd, self->stdev, PASID, self->b));
	EXPECT_EQ(-EBUSY, obj_destroy(self->fd, self->b));
	EXPECT_EQ(0, pasid_detach(self->fd, self->stdev, PASID));
	EXPECT_EQ(0, pasid_check(self->fd, self->stdev, PASID, 0));

	destroy_all(_metadata, self->fd, self->stdev, 0, self->b, self->rid,
		    self->ioas);
}

/*
 * The same with another PASID of the device on the old HWPT: only the
 * failed PASID is detached, and only its reference on the old HWPT goes.
 */
TEST_F(replace_fail, lost_switch_back_keeps_other_pasid)
{
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev, PASID2, self->a));
	ASSERT_EQ(0, pasid_fail(self->fd, self->stdev, PASID, 2));
	EXPECT_EQ(-EIO, pasid_replace(self->fd, self->stdev, PASID, self->b));

	EXPECT_EQ(0, pasid_check(self->fd, self->stdev, PASID, 0));
	EXPECT_EQ(0, pasid_check(self->fd, self->stdev, PASID2, self->a));
	/* PASID2 still holds the old HWPT; the new one is free. */
	EXPECT_EQ(-EBUSY, obj_destroy(self->fd, self->a));
	EXPECT_EQ(0, pasid_attach(self->fd, self->stdev, PASID, self->b));
	EXPECT_EQ(0, pasid_check(self->fd, self->stdev, PASID, self->b));

	EXPECT_EQ(0, pasid_detach(self->fd, self->stdev, PASID2));
	EXPECT_EQ(0, pasid_check(self->fd, self->stdev, PASID2, 0));
	EXPECT_EQ(0, obj_destroy(self->fd, self->a));
	EXPECT_EQ(0, pasid_detach(self->fd, self->stdev, PASID));

	destroy_all(_metadata, self->fd, self->stdev, 0, self->b, self->rid,
		    self->ioas);
}

/*
 * Unbinding the device after a lost switch back detaches what is left
 * and nothing twice; then everything can be destroyed.
 */
TEST_F(replace_fail, lost_switch_back_then_unbind)
{
	ASSERT_EQ(0, pasid_fail(self->fd, self->stdev, PASID, 2));
	EXPECT_EQ(-EIO, pasid_replace(self->fd, self->stdev, PASID, self->b));
	EXPECT_EQ(0, obj_destroy(self->fd, self->stdev));

	destroy_all(_metadata, self->fd, 0, self->a, self->b, self->rid,
		    self->ioas);
}

/*
 * Only the forward switch fails: the old HWPT is set back and stays
 * attached, in the core and in the device, with its reference; the new
 * one is not held.  A replace then works.
 */
TEST_F(replace_fail, switch_back_keeps_old)
{
	ASSERT_EQ(0, pasid_fail(self->fd, self->stdev, PASID, 1));
	EXPECT_EQ(-EIO, pasid_replace(self->fd, self->stdev, PASID, self->b));

	EXPECT_EQ(0, pasid_check(self->fd, self->stdev, PASID, self->a));
	EXPECT_EQ(-EBUSY, obj_destroy(self->fd, self->a));
	EXPECT_EQ(-EBUSY, pasid_attach(self->fd, self->stdev, PASID,
				       self->b));

	EXPECT_EQ(0, pasid_replace(self->fd, self->stdev, PASID, self->b));
	EXPECT_EQ(0, pasid_check(self->fd, self->stdev, PASID, self->b));
	EXPECT_EQ(0, obj_destroy(self->fd, self->a));
	EXPECT_EQ(0, pasid_detach(self->fd, self->stdev, PASID));

	destroy_all(_metadata, self->fd, self->stdev, 0, self->b, self->rid,
		    self->ioas);
}

TEST_HARNESS_MAIN
