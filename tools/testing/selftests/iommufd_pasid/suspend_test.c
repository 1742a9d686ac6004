// SPDX-License-Identifier: GPL-2.0
/*
 * Suspend to RAM (S3) and back: the remapping unit loses its registers
 * (root table pointer, invalidation queue, translation enable) while the
 * machine sleeps, and vtd_sm must program them again on resume.  After
 * the guest woke up:
 *  - edu, bound to iommufd and attached to nothing (the blocked domain),
 *    still cannot read memory and the unit records a fault;
 *  - edu attached to a paging HWPT still reaches the buffer mapped at the
 *    IOVA, and a new mapping at the same IOVA (an unmap, so an IOTLB
 *    invalidation through the queue) is honoured.
 *
 * The IOVAs sit at 64 GiB, beyond the guest's RAM: without translation
 * the DMA would reach guest-physical addresses of that value, which hold
 * nothing, instead of corrupting the guest.
 *
 * Needs a machine with S3 ("deep" in /sys/power/mem_sleep) and someone to
 * wake it: vmtest.py --s3 wakes the guest from QEMU's monitor and says so
 * with vmtest.s3wake on the kernel command line.  Skipped otherwise.
 */
#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define S3_IOVA_SRC	0x1000000000ULL
#define S3_IOVA_DST	(S3_IOVA_SRC + 0x200000ULL)
#define S3_XFER		1024
#define S3_SENTINEL	0x5a

/* NULL if the guest can be suspended and woken, else why not. */
static const char *s3_unavailable(void)
{
	char buf[512];

	if (file_read("/proc/cmdline", buf, sizeof(buf)) ||
	    !strstr(buf, "vmtest.s3wake"))
		return "nothing wakes this machine (run under vmtest.py --s3)";
	if (file_read("/sys/power/mem_sleep", buf, sizeof(buf)) ||
	    !strstr(buf, "deep"))
		return "no S3 (deep) in /sys/power/mem_sleep";
	return NULL;
}

/* Suspend to RAM; returns once the machine is running again. */
static int s3_cycle(void)
{
	int rc = file_write("/sys/power/mem_sleep", "deep\n");

	return rc ? rc : file_write("/sys/power/state", "mem\n");
}

FIXTURE(s3) {
	struct ifd_dev d;
	size_t psz;
	char *src;
	char *dst;
	char *dst2;
	__u32 ioas;
};

FIXTURE_SETUP(s3)
{
	const char *why = s3_unavailable();
	int rc;

	if (why)
		SKIP(return, "%s", why);
	self->psz = page_size();
	self->src = buf_alloc(self->psz, 0);
	self->dst = buf_alloc(self->psz, S3_SENTINEL);
	self->dst2 = buf_alloc(self->psz, S3_SENTINEL);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->dst);
	ASSERT_NE(NULL, self->dst2);
	rc = ifd_dev_setup(&self->d, 0);
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	rc = ioas_alloc(self->d.iommufd, &self->ioas);
	if (!rc)
		rc = ioas_map(self->d.iommufd, self->ioas, self->src, self->psz,
			      S3_IOVA_SRC);
	if (!rc)
		rc = ioas_map(self->d.iommufd, self->ioas, self->dst, self->psz,
			      S3_IOVA_DST);
	if (rc)
		ifd_dev_teardown(&self->d);
	ASSERT_EQ(0, rc);
}

FIXTURE_TEARDOWN(s3)
{
	ifd_dev_teardown(&self->d);
}

/* A read by edu from S3_IOVA_SRC must fault. */
static int read_blocked(struct __test_metadata *_metadata, struct ifd_dev *d)
{
	long long before = vtd_fault_count(), after;

	if (before < 0) {
		TH_LOG("no vtd_sm fault counters");
		return 0;
	}
	if (edu_dma(d, S3_IOVA_SRC, 0, S3_XFER, 0)) {
		TH_LOG("edu did not complete");
		return 0;
	}
	after = vtd_fault_wait(before);
	if (after <= before)
		TH_LOG("no fault recorded (%lld -> %lld)", before, after);
	return after > before;
}

/* src -> edu -> @iova; 1 if the pattern arrived in @buf and only there. */
static int copy_lands(FIXTURE_DATA(s3) * self, char *buf, unsigned int seed,
		      int *err)
{
	pattern_fill(self->src, S3_XFER, seed);
	memset(self->dst, S3_SENTINEL, self->psz);
	memset(self->dst2, S3_SENTINEL, self->psz);
	*err = edu_copy(&self->d, S3_IOVA_SRC, S3_IOVA_DST, S3_XFER);
	if (*err)
		return 0;
	return pattern_check(buf, S3_XFER, seed) &&
	       all_bytes(buf + S3_XFER, self->psz - S3_XFER, S3_SENTINEL) &&
	       all_bytes(buf == self->dst ? self->dst2 : self->dst, self->psz,
			 S3_SENTINEL);
}

/* Bound but not attached: the group is on the blocked domain. */
TEST_F_TIMEOUT(s3, blocked_still_faults, 180)
{
	ASSERT_TRUE(read_blocked(_metadata, &self->d));
	ASSERT_EQ(0, s3_cycle());
	ASSERT_TRUE(read_blocked(_metadata, &self->d));
}

TEST_F_TIMEOUT(s3, paging_still_translates, 180)
{
	int err;

	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->ioas, NULL));
	ASSERT_TRUE(copy_lands(self, self->dst, 1, &err)) TH_LOG("err %d", err);
	ASSERT_EQ(0, s3_cycle());
	ASSERT_TRUE(copy_lands(self, self->dst, 2, &err)) TH_LOG("err %d", err);

	/* The unmap needs the invalidation queue: it must work again. */
	ASSERT_EQ(0, ioas_unmap(self->d.iommufd, self->ioas, S3_IOVA_DST,
				self->psz));
	ASSERT_EQ(0, ioas_map(self->d.iommufd, self->ioas, self->dst2,
			      self->psz, S3_IOVA_DST));
	ASSERT_TRUE(copy_lands(self, self->dst2, 3, &err)) TH_LOG("err %d", err);
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_TRUE(read_blocked(_metadata, &self->d));
}

TEST_HARNESS_MAIN
