// SPDX-License-Identifier: GPL-2.0
/*
 * vtd_sm lets go of a remapping unit (and so can be unloaded) only while
 * every device behind it is on pass-through: releasing a unit turns its
 * translation off, which must never hand a device that userspace owns
 * untranslated DMA.  With edu bound to an iommufd (its DMA ownership
 * claimed: blocked), attached to a HWPT on its RID, or on a PASID, the
 * release is refused with EBUSY, and the unit keeps translating: edu DMA
 * still lands through the HWPT afterwards.  The unbind file, which cannot
 * refuse, does not exist.
 */
#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define VTD_DRV		"/sys/bus/platform/drivers/vtd_sm"
#define IOVA		0x100000ULL
#define XFER		256

FIXTURE(rel) {
	struct ifd_dev d;
	char unit[32];
	char *buf;
	size_t psz;
};

/* The platform device (vtd_sm.<N>) of the unit edu is behind. */
static int unit_of_edu(char *unit, size_t len)
{
	glob_t g;
	int rc = -ENOENT;

	if (glob(VTD_DRV "/vtd_sm.*", 0, NULL, &g))
		return rc;
	/* QEMU's q35 has one unit, with INCLUDE_PCI_ALL. */
	if (g.gl_pathc == 1) {
		snprintf(unit, len, "%s", strrchr(g.gl_pathv[0], '/') + 1);
		rc = 0;
	}
	globfree(&g);
	return rc;
}

static int release_unit(const char *unit)
{
	return file_write(VTD_DRV "/release", "%s\n", unit);
}

FIXTURE_SETUP(rel)
{
	int rc;

	self->psz = page_size();
	self->buf = buf_alloc(self->psz, 0);
	ASSERT_NE(NULL, self->buf);
	if (access(VTD_DRV "/release", W_OK))
		SKIP(return, "vtd_sm is not loaded");
	ASSERT_EQ(0, unit_of_edu(self->unit, sizeof(self->unit)));
	rc = ifd_dev_setup(&self->d, 2);
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
}

FIXTURE_TEARDOWN(rel)
{
	ifd_dev_teardown(&self->d);
}

/* edu DMA through whatever translates its requests still lands. */
static int still_translates(FIXTURE_DATA(rel) * self)
{
	pattern_fill(self->buf, XFER, 7);
	if (edu_dma(&self->d, IOVA, 0, XFER, 0))
		return 0;
	memset(self->buf, 0, XFER);
	if (edu_dma(&self->d, IOVA, 0, XFER, 1))
		return 0;
	return pattern_check(self->buf, XFER, 7);
}

TEST_F(rel, no_unbind_file)
{
	EXPECT_NE(0, access(VTD_DRV "/unbind", F_OK));
	EXPECT_NE(0, access(VTD_DRV "/bind", F_OK));
}

TEST_F(rel, refused_while_dma_owned)
{
	/* Bound, nothing attached: the RID is blocked for its owner. */
	EXPECT_EQ(-EBUSY, release_unit(self->unit));
	EXPECT_EQ(-ENODEV, release_unit("vtd_sm.99"));
}

TEST_F(rel, refused_while_attached)
{
	__u32 ioas, hwpt;
	long pasid;

	ASSERT_EQ(0, ioas_alloc(self->d.iommufd, &ioas));
	ASSERT_EQ(0, ioas_map(self->d.iommufd, ioas, self->buf, self->psz, IOVA));
	ASSERT_EQ(0, hwpt_alloc(self->d.iommufd, IOMMU_HWPT_ALLOC_PASID,
				self->d.dev_id, ioas, &hwpt));

	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, hwpt, NULL));
	EXPECT_EQ(-EBUSY, release_unit(self->unit));
	EXPECT_TRUE(still_translates(self));

	/* Only a PASID translated; the RID back on blocked. */
	if (!self->d.pasid_bits)
		return;
	pasid = 1;
	ASSERT_EQ(0, dev_attach(self->d.devfd, pasid, hwpt, NULL));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	EXPECT_EQ(-EBUSY, release_unit(self->unit));
	ASSERT_EQ(0, vtd_knob_set(self->d.bdf, VTD_KNOB_RID_PASID, pasid));
	EXPECT_TRUE(still_translates(self));
	ASSERT_EQ(0, vtd_knob_set(self->d.bdf, VTD_KNOB_RID_PASID, 0));
	ASSERT_EQ(0, dev_detach(self->d.devfd, pasid));
}

TEST_HARNESS_MAIN
