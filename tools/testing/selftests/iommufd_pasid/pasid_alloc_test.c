// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/iommu EXTENSION: IOMMU_PASID_ALLOC / IOMMU_PASID_FREE.  Quota per
 * context, global uniqueness, isolation between contexts, release on
 * close and every documented errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "kselftest_harness.h"

#define PASID_MAX ((1U << 20) - 1)
#define QUOTA_PARAM "/sys/module/iommufd_pasid/parameters/pasid_quota"

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int pasid_alloc_range(int fd, __u32 min, __u32 max, __u32 *pasid)
{
	struct iommu_pasid_alloc cmd = {
		.size = sizeof(cmd),
		.min_pasid = min,
		.max_pasid = max,
		.out_pasid = 0xdeadbeef,
	};
	int rc = xioctl(fd, IOMMU_PASID_ALLOC, &cmd);

	if (!rc)
		*pasid = cmd.out_pasid;
	return rc;
}

static int pasid_alloc(int fd, __u32 *pasid)
{
	return pasid_alloc_range(fd, 0, PASID_MAX, pasid);
}

static int pasid_free(int fd, __u32 pasid)
{
	struct iommu_pasid_free cmd = { .size = sizeof(cmd), .pasid = pasid };

	return xioctl(fd, IOMMU_PASID_FREE, &cmd);
}

static unsigned int read_quota(void)
{
	unsigned int quota = 0;
	FILE *f = fopen(QUOTA_PARAM, "r");

	if (!f)
		return 0;
	if (fscanf(f, "%u", &quota) != 1)
		quota = 0;
	fclose(f);
	return quota;
}

static int write_quota(unsigned int quota)
{
	FILE *f = fopen(QUOTA_PARAM, "w");
	int rc;

	if (!f)
		return -errno;
	rc = fprintf(f, "%u\n", quota) < 0 ? -EIO : 0;
	if (fclose(f))
		rc = -errno;
	return rc;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Fill @fd up to its quota; the PASIDs go to @out (sorted on return). */
static int fill(int fd, unsigned int quota, __u32 *out)
{
	unsigned int i;
	int rc;

	for (i = 0; i < quota; i++) {
		rc = pasid_alloc(fd, &out[i]);
		if (rc)
			return rc;
	}
	qsort(out, quota, sizeof(*out), cmp_u32);
	return 0;
}

FIXTURE(pasid) {
	int fd;
	unsigned int quota;
	__u32 *ids;
};

FIXTURE_SETUP(pasid)
{
	self->quota = read_quota();
	ASSERT_NE(0U, self->quota) TH_LOG("cannot read %s", QUOTA_PARAM);
	/* Keep the test quick should somebody raise the quota a lot. */
	ASSERT_GE(4096U, self->quota);
	self->ids = calloc(self->quota, sizeof(*self->ids));
	ASSERT_NE(NULL, self->ids);
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(pasid)
{
	if (self->fd >= 0)
		close(self->fd);
	free(self->ids);
}

TEST_F(pasid, quota_unique_in_range)
{
	unsigned int i;
	__u32 extra;

	ASSERT_EQ(0, fill(self->fd, self->quota, self->ids));
	for (i = 0; i < self->quota; i++) {
		EXPECT_LE(1U, self->ids[i]);
		EXPECT_GE(PASID_MAX, self->ids[i]);
		if (i)
			EXPECT_NE(self->ids[i - 1], self->ids[i]);
	}
	EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &extra));
	/* Still full: a failed allocation took nothing. */
	EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &extra));

	/* One back, one more allocation, then full again. */
	ASSERT_EQ(0, pasid_free(self->fd, self->ids[0]));
	ASSERT_EQ(0, pasid_alloc(self->fd, &extra));
	EXPECT_LE(1U, extra);
	EXPECT_GE(PASID_MAX, extra);
	for (i = 1; i < self->quota; i++)
		EXPECT_NE(self->ids[i], extra);
	EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &extra));
}

TEST_F(pasid, range_honoured)
{
	__u32 a, b;
	int rc;

	ASSERT_EQ(0, pasid_alloc_range(self->fd, 0x1000, 0x1fff, &a));
	EXPECT_LE(0x1000U, a);
	EXPECT_GE(0x1fffU, a);

	/*
	 * min 0 means 1: PASID 0 is never handed out.  Another user of the
	 * host's PASID space may hold 1 or the top PASID: then ENOSPC.
	 */
	rc = pasid_alloc_range(self->fd, 0, 1, &b);
	if (rc == 0) {
		EXPECT_EQ(1U, b);
		EXPECT_EQ(0, pasid_free(self->fd, b));
	} else {
		EXPECT_EQ(-ENOSPC, rc);
	}
	/* The highest PASID is allowed. */
	rc = pasid_alloc_range(self->fd, PASID_MAX, PASID_MAX, &b);
	if (rc == 0) {
		EXPECT_EQ(PASID_MAX, b);
		EXPECT_EQ(0, pasid_free(self->fd, b));
	} else {
		EXPECT_EQ(-ENOSPC, rc);
	}
	/* A taken single-PASID range has nothing left. */
	EXPECT_EQ(-ENOSPC, pasid_alloc_range(self->fd, a, a, &b));
	EXPECT_EQ(0, pasid_free(self->fd, a));
}

TEST_F(pasid, double_free_and_unknown)
{
	__u32 a;

	ASSERT_EQ(0, pasid_alloc(self->fd, &a));
	EXPECT_EQ(0, pasid_free(self->fd, a));
	EXPECT_EQ(-ENOENT, pasid_free(self->fd, a));
	EXPECT_EQ(-ENOENT, pasid_free(self->fd, 0));
	EXPECT_EQ(-ENOENT, pasid_free(self->fd, PASID_MAX + 1));
	EXPECT_EQ(-ENOENT, pasid_free(self->fd, 0xffffffff));
}

TEST_F(pasid, contexts_isolated)
{
	unsigned int i, j;
	__u32 *other, extra;
	int fd2;

	other = calloc(self->quota, sizeof(*other));
	ASSERT_NE(NULL, other);
	fd2 = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, fd2);

	/* Each context has its own full quota ... */
	ASSERT_EQ(0, fill(self->fd, self->quota, self->ids));
	ASSERT_EQ(0, fill(fd2, self->quota, other));
	EXPECT_EQ(-ENOSPC, pasid_alloc(fd2, &extra));

	/* ... the PASIDs are unique across contexts ... */
	for (i = 0; i < self->quota; i++)
		for (j = 0; j < self->quota; j++)
			ASSERT_NE(self->ids[i], other[j]);

	/* ... and one context cannot free the other's. */
	for (i = 0; i < self->quota; i++)
		EXPECT_EQ(-ENOENT, pasid_free(fd2, self->ids[i]));
	/* They are still held by the owner: */
	for (i = 0; i < self->quota; i++)
		EXPECT_EQ(0, pasid_free(self->fd, self->ids[i]));
	/* A single-PASID range on the other context's PASID is taken. */
	EXPECT_EQ(-ENOSPC, pasid_alloc_range(self->fd, other[0], other[0],
					     &self->ids[0]));
	close(fd2);
	free(other);
}

TEST_F(pasid, close_returns_all)
{
	unsigned int i, round;
	__u32 pasid;

	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, fill(self->fd, self->quota, self->ids));
		EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &pasid));
		ASSERT_EQ(0, close(self->fd));
		self->fd = open("/dev/iommu", O_RDWR);
		ASSERT_LE(0, self->fd);
		/* The closed context's PASIDs are free again. */
		for (i = 0; i < self->quota; i++)
			ASSERT_EQ(0, pasid_alloc_range(self->fd, self->ids[i],
						       self->ids[i], &pasid));
		EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &pasid));
		ASSERT_EQ(0, close(self->fd));
		self->fd = open("/dev/iommu", O_RDWR);
		ASSERT_LE(0, self->fd);
	}
}

TEST_F(pasid, quota_param_applies_to_new_contexts)
{
	unsigned int orig = self->quota;
	__u32 a, b, c;
	int fd2;

	ASSERT_EQ(-EINVAL, write_quota(0));
	ASSERT_EQ(-EINVAL, write_quota(PASID_MAX + 1));
	ASSERT_EQ(orig, read_quota());

	ASSERT_EQ(0, write_quota(2));
	fd2 = open("/dev/iommu", O_RDWR);
	ASSERT_EQ(0, write_quota(orig));
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, pasid_alloc(fd2, &a));
	EXPECT_EQ(0, pasid_alloc(fd2, &b));
	EXPECT_EQ(-ENOSPC, pasid_alloc(fd2, &c));
	close(fd2);
	/* The context opened before the change keeps its own quota. */
	ASSERT_EQ(0, fill(self->fd, orig, self->ids));
	EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &c));
}

TEST_F(pasid, bad_input)
{
	struct iommu_pasid_alloc cmd;
	struct {
		struct iommu_pasid_alloc cmd;
		__u32 tail;
	} big;
	struct iommu_pasid_free fcmd;
	__u32 pasid;

#define RESET() (memset(&cmd, 0, sizeof(cmd)), cmd.size = sizeof(cmd), \
		 cmd.max_pasid = PASID_MAX)
	RESET();
	cmd.size = sizeof(cmd) - 4;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));
	cmd.size = 0;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));

	RESET();
	cmd.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));
	RESET();
	cmd.flags = 1U << 31;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));
	RESET();
	cmd.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));

	RESET();
	cmd.min_pasid = 10;
	cmd.max_pasid = 9;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));
	RESET();
	cmd.max_pasid = 0;	/* only PASID 0, which is never allocated */
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));
	RESET();
	cmd.max_pasid = PASID_MAX + 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));
	RESET();
	cmd.min_pasid = PASID_MAX + 1;
	cmd.max_pasid = 0xffffffff;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));

	/* A larger structure: zero tail accepted, non-zero tail E2BIG. */
	memset(&big, 0, sizeof(big));
	big.cmd.size = sizeof(big);
	big.cmd.max_pasid = PASID_MAX;
	big.tail = 1;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, IOMMU_PASID_ALLOC, &big));
	big.tail = 0;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_PASID_ALLOC, &big));
	pasid = big.cmd.out_pasid;

	memset(&fcmd, 0, sizeof(fcmd));
	fcmd.size = sizeof(fcmd) - 4;
	fcmd.pasid = pasid;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_FREE, &fcmd));
	/* None of the failures took a PASID or freed this one. */
	EXPECT_EQ(0, pasid_free(self->fd, pasid));
	ASSERT_EQ(0, fill(self->fd, self->quota, self->ids));
	EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &pasid));
#undef RESET
}

TEST_HARNESS_MAIN
