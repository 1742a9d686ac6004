// SPDX-License-Identifier: GPL-2.0
/*
 * Two devices of one IOMMU group bound to one context share the group's
 * attachment, as in mainline: the IOMMU core attaches domains to whole
 * groups, so
 *
 *  - the second device attaching the HWPT the first attached succeeds,
 *    and both translate with it;
 *  - a different HWPT (or an IOAS whose automatic HWPT is not the
 *    group's) gives EINVAL;
 *  - detaching one device leaves the group attached for the other; the
 *    group is detached (blocked) with the last one;
 *  - a replace by either device switches the whole group, and moves every
 *    device's hold on the HWPT;
 *  - attaching an IOAS to both devices shares one automatic HWPT.
 *
 * The machine needs two edu devices in one IOMMU group: check.sh puts two
 * of them behind a conventional PCI bridge (pci-bridge), whose devices
 * share a requester ID and so a group.  Without such a pair the test
 * skips.
 */
#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define SENTINEL	0x5a
#define XFER		256

FIXTURE(grp) {
	struct ifd_dev d[2];
	int fd;
	size_t psz;
	char *src, *a, *b;
	__u32 ioas_a, ioas_b;
	__u32 ha, hb;		/* paging HWPTs over ioas_a / ioas_b */
};

/* Gives edu @bdf to iommufd_pci and binds it to @iommufd as @d. */
static int dev_setup(struct ifd_dev *d, const char *bdf, int iommufd)
{
	unsigned short cmd;
	int rc;

	memset(d, 0, sizeof(*d));
	d->devfd = -1;
	d->iommufd = iommufd;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	rc = pci_cmd_rw(bdf, &d->cmd_orig, 0);
	if (rc) {
		d->bdf[0] = 0;
		return rc;
	}
	rc = edu_to_iommufd_pci(bdf);
	if (!rc)
		rc = ifd_dev_bind(d);
	if (!rc)
		rc = pci_cmd_rw(bdf, &cmd, 0);
	cmd |= 0x6;
	if (!rc)
		rc = pci_cmd_rw(bdf, &cmd, 1);
	return rc;
}

static void dev_teardown(struct ifd_dev *d)
{
	ifd_dev_close_node(d);
	if (d->bdf[0]) {
		edu_release(d->bdf);
		pci_cmd_rw(d->bdf, &d->cmd_orig, 1);
	}
	d->bdf[0] = 0;
}

static void grp_undo(FIXTURE_DATA(grp) * self)
{
	dev_teardown(&self->d[0]);
	dev_teardown(&self->d[1]);
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
}

FIXTURE_SETUP(grp)
{
	char bdf[2][32];
	const char *what = "";
	int rc;

	self->fd = -1;
	self->psz = page_size();
	self->src = buf_alloc(self->psz, 0);
	self->a = buf_alloc(self->psz, SENTINEL);
	self->b = buf_alloc(self->psz, SENTINEL);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->a);
	ASSERT_NE(NULL, self->b);
	if (edu_group_pair(bdf, NULL))
		SKIP(return, "no two edu devices in one IOMMU group");

	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
	rc = dev_setup(&self->d[0], bdf[0], self->fd);
	what = self->d[0].err;
	if (!rc) {
		rc = dev_setup(&self->d[1], bdf[1], self->fd);
		what = self->d[1].err;
	}
	if (!rc) {
		what = "IOAS";
		rc = ioas_alloc(self->fd, &self->ioas_a) ||
		     ioas_alloc(self->fd, &self->ioas_b) ||
		     ioas_map(self->fd, self->ioas_a, self->src, self->psz,
			      IOVA_SRC) ||
		     ioas_map(self->fd, self->ioas_b, self->src, self->psz,
			      IOVA_SRC) ||
		     ioas_map(self->fd, self->ioas_a, self->a, self->psz,
			      IOVA_DST) ||
		     ioas_map(self->fd, self->ioas_b, self->b, self->psz,
			      IOVA_DST);
	}
	if (!rc) {
		what = "HWPT_ALLOC";
		rc = hwpt_alloc(self->fd, 0, self->d[0].dev_id, self->ioas_a,
				&self->ha) ||
		     hwpt_alloc(self->fd, 0, self->d[0].dev_id, self->ioas_b,
				&self->hb);
	}
	if (rc)
		grp_undo(self);
	ASSERT_EQ(0, rc) TH_LOG("%s", what);
}

FIXTURE_TEARDOWN(grp)
{
	grp_undo(self);
}

/*
 * edu @i copies a pattern from IOVA_SRC to IOVA_DST; returns 'a' or 'b'
 * for the buffer it landed in (the other untouched), 0 if none.
 */
static int dma_lands(FIXTURE_DATA(grp) * self, int i, unsigned int seed)
{
	memset(self->a, SENTINEL, self->psz);
	memset(self->b, SENTINEL, self->psz);
	pattern_fill(self->src, XFER, seed);
	if (edu_copy(&self->d[i], IOVA_SRC, IOVA_DST, XFER))
		return 0;
	if (pattern_check(self->a, XFER, seed) &&
	    all_bytes(self->b, self->psz, SENTINEL))
		return 'a';
	if (pattern_check(self->b, XFER, seed) &&
	    all_bytes(self->a, self->psz, SENTINEL))
		return 'b';
	return 0;
}

TEST_F(grp, second_device_shares_hwpt)
{
	__u32 pt;

	ASSERT_EQ(0, dev_attach(self->d[0].devfd, RID, self->ha, NULL));
	ASSERT_EQ(0, dev_attach(self->d[1].devfd, RID, self->ha, &pt));
	ASSERT_EQ(self->ha, pt);
	ASSERT_EQ('a', dma_lands(self, 0, 1));
	ASSERT_EQ('a', dma_lands(self, 1, 2));
	/* The group stays attached while either device holds it. */
	ASSERT_EQ(0, dev_detach(self->d[0].devfd, RID));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, self->ha));
	ASSERT_EQ('a', dma_lands(self, 1, 3));
	ASSERT_EQ(0, dev_detach(self->d[1].devfd, RID));
	ASSERT_EQ(0, dma_lands(self, 1, 4));
	ASSERT_EQ(0, obj_destroy(self->fd, self->ha));
}

TEST_F(grp, second_device_other_hwpt)
{
	ASSERT_EQ(0, dev_attach(self->d[0].devfd, RID, self->ha, NULL));
	ASSERT_EQ(-EINVAL, dev_attach(self->d[1].devfd, RID, self->hb, NULL));
	/* an IOAS: its automatic HWPT would not be the group's either */
	ASSERT_EQ(-EINVAL, dev_attach(self->d[1].devfd, RID, self->ioas_b,
				      NULL));
	ASSERT_EQ(-EINVAL, dev_attach(self->d[1].devfd, RID, self->ioas_a,
				      NULL));
	/* nothing changed for the first device; the second holds nothing */
	ASSERT_EQ('a', dma_lands(self, 0, 5));
	ASSERT_EQ(0, obj_destroy(self->fd, self->hb));
	ASSERT_EQ(0, dev_detach(self->d[1].devfd, RID));
	ASSERT_EQ('a', dma_lands(self, 0, 6));
	ASSERT_EQ(0, dev_detach(self->d[0].devfd, RID));
	ASSERT_EQ(0, obj_destroy(self->fd, self->ha));
}

TEST_F(grp, replace_switches_group)
{
	ASSERT_EQ(0, dev_attach(self->d[0].devfd, RID, self->ha, NULL));
	ASSERT_EQ(0, dev_attach(self->d[1].devfd, RID, self->ha, NULL));
	/* a second attach on the node is a replace, of the whole group */
	ASSERT_EQ(0, dev_attach(self->d[1].devfd, RID, self->hb, NULL));
	ASSERT_EQ('b', dma_lands(self, 0, 7));
	ASSERT_EQ('b', dma_lands(self, 1, 8));
	/* both devices' holds moved to hb */
	ASSERT_EQ(0, obj_destroy(self->fd, self->ha));
	ASSERT_EQ(0, dev_detach(self->d[0].devfd, RID));
	ASSERT_EQ('b', dma_lands(self, 1, 9));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, self->hb));
	ASSERT_EQ(0, dev_detach(self->d[1].devfd, RID));
	ASSERT_EQ(0, obj_destroy(self->fd, self->hb));
}

TEST_F(grp, ioas_shares_auto_hwpt)
{
	__u32 pt0, pt1;

	ASSERT_EQ(0, dev_attach(self->d[0].devfd, RID, self->ioas_a, &pt0));
	ASSERT_EQ(0, dev_attach(self->d[1].devfd, RID, self->ioas_a, &pt1));
	ASSERT_EQ(pt0, pt1);
	ASSERT_EQ('a', dma_lands(self, 1, 10));
	ASSERT_EQ(0, dev_detach(self->d[0].devfd, RID));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, pt0));
	ASSERT_EQ('a', dma_lands(self, 1, 11));
	/* the last detach destroys the automatic HWPT */
	ASSERT_EQ(0, dev_detach(self->d[1].devfd, RID));
	ASSERT_EQ(-ENOENT, obj_destroy(self->fd, pt0));
}

TEST_F(grp, unbind_one_keeps_other)
{
	ASSERT_EQ(0, dev_attach(self->d[0].devfd, RID, self->ha, NULL));
	ASSERT_EQ(0, dev_attach(self->d[1].devfd, RID, self->ha, NULL));
	ifd_dev_close_node(&self->d[0]);
	ASSERT_EQ('a', dma_lands(self, 1, 12));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, self->ha));
	ifd_dev_close_node(&self->d[1]);
	ASSERT_EQ(0, obj_destroy(self->fd, self->ha));
}

/*
 * A group belongs to one context: binding its other device to a second
 * context fails with EPERM (iommu_device_claim_dma_owner() finds another
 * owner), and works once the first context has let the group go.
 */
TEST_F(grp, other_context_eperm)
{
	int other = open("/dev/iommu", O_RDWR);

	ASSERT_LE(0, other);
	ifd_dev_close_node(&self->d[1]);
	self->d[1].iommufd = other;
	EXPECT_EQ(-EPERM, ifd_dev_bind(&self->d[1]));
	ifd_dev_close_node(&self->d[1]);
	/* d[0] unbound: the group is free, and now the other context's */
	ifd_dev_close_node(&self->d[0]);
	EXPECT_EQ(0, ifd_dev_bind(&self->d[1]));
	EXPECT_EQ(-EPERM, ifd_dev_bind(&self->d[0]));
	ifd_dev_close_node(&self->d[0]);
	ifd_dev_close_node(&self->d[1]);
	self->d[1].iommufd = self->fd;
	close(other);
}

TEST_HARNESS_MAIN
