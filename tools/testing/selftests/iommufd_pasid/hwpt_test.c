// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU_HWPT_ALLOC and IOMMU_HWPT_INVALIDATE with a real device (edu bound
 * through iommufd_pci): kernel-managed HWPTs with every flag, nested VT-d
 * first-stage HWPTs over a nest parent, lifetime rules (EBUSY while in use)
 * and the errnos of mainline iommufd (v6.15) in every error case.
 *
 * Nested HWPTs need a unit with second-level translation and ECAP.NEST.
 * QEMU (up to 10.0) does not offer NEST: there a nest parent must be
 * refused with EOPNOTSUPP, as mainline does, and the other tests turn on
 * vtd_sm's debug_nesting parameter, with which such a unit holds nest
 * parents and nested entries all the same.  Tests skip on a unit without
 * second-level translation (QEMU 10 with x-flts=on).
 */
#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define SENTINEL	0x3c
#define XFER		512
#define U64_MAX_	(~0ULL)

FIXTURE(hwpt) {
	struct ifd_dev d;
	size_t psz;
	int fd;
	__u32 ioas;
	char *gpa_page;	/* a zeroed page, mapped at GPA_TABLE in ioas */
	struct iommu_hw_info_vtd vtd;
};

/* Does the unit (or debug_nesting) take nested HWPTs? */
static int nests(FIXTURE_DATA(hwpt) * self)
{
	return (self->vtd.ecap_reg & VTD_ECAP_NEST) || self->d.nesting_set;
}

#define GPA_TABLE	0x80000000ULL

FIXTURE_SETUP(hwpt)
{
	const char *what = "";
	int rc;

	self->psz = page_size();
	self->gpa_page = buf_alloc(self->psz, 0);
	ASSERT_NE(NULL, self->gpa_page);
	rc = ifd_dev_setup(&self->d, 0);
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	self->fd = self->d.iommufd;
	/* From here on a failure must give edu back before it ends. */
	rc = hw_info_vtd(self->fd, self->d.dev_id, &self->vtd);
	if (rc)
		what = "GET_HW_INFO";
	if (!rc && (self->vtd.ecap_reg & VTD_ECAP_SLTS)) {
		rc = ifd_dev_debug_nesting(&self->d, self->vtd.ecap_reg);
		what = "vtd_sm debug_nesting";
	}
	if (!rc) {
		rc = ioas_alloc(self->fd, &self->ioas);
		what = "IOAS_ALLOC";
	}
	if (!rc) {
		rc = ioas_map(self->fd, self->ioas, self->gpa_page, self->psz,
			      GPA_TABLE);
		what = "IOAS_MAP";
	}
	if (rc)
		ifd_dev_teardown(&self->d);
	ASSERT_EQ(0, rc) TH_LOG("%s", what);
}

FIXTURE_TEARDOWN(hwpt)
{
	ifd_dev_teardown(&self->d);
}

#define NO_NESTING	1

/*
 * A nest parent from @ioas: 0, -errno, or NO_NESTING when the unit has no
 * second level and vtd_sm says so with EOPNOTSUPP (the test then skips).
 */
static int nest_parent(FIXTURE_DATA(hwpt) * self, __u32 flags, __u32 ioas,
		       __u32 *id)
{
	int rc;

	rc = hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_NEST_PARENT | flags,
			self->d.dev_id, ioas, id);
	if (rc == -EOPNOTSUPP && !(self->vtd.ecap_reg & VTD_ECAP_SLTS))
		return NO_NESTING;
	return rc;
}

#define NO_NESTING_MSG	"no nest parent: unit without second-level translation"

static int nested(FIXTURE_DATA(hwpt) * self, __u32 flags, __u32 parent,
		  __u64 pgtbl, __u32 aw, __u64 s1_flags, __u32 *id)
{
	return hwpt_alloc_vtd_s1(self->fd, flags, self->d.dev_id, parent,
				 pgtbl, aw, s1_flags, id);
}

/*
 * A nested HWPT with bad first-stage fields must be refused, either by
 * IOMMU_HWPT_ALLOC or, at the latest, by the attach that would install
 * it.  Returns the errno of whichever refused, 0 if both accepted.
 */
static int nested_refused(FIXTURE_DATA(hwpt) * self, __u32 parent,
			  __u64 pgtbl, __u32 aw, __u64 s1_flags)
{
	__u32 id;
	int rc;

	rc = nested(self, 0, parent, pgtbl, aw, s1_flags, &id);
	if (rc)
		return rc;
	rc = dev_attach(self->d.devfd, RID, id, NULL);
	if (!rc)
		dev_detach(self->d.devfd, RID);
	obj_destroy(self->fd, id);
	return rc;
}

/* edu copies a pattern from IOVA_SRC to IOVA_DST; 1 if it reached @dst. */
static int dma_reaches(struct ifd_dev *d, char *src, char *dst, size_t len,
		       unsigned int seed)
{
	memset(dst, SENTINEL, len);
	pattern_fill(src, XFER, seed);
	if (edu_copy(d, IOVA_SRC, IOVA_DST, XFER))
		return 0;
	return pattern_check(dst, XFER, seed) &&
	       all_bytes(dst + XFER, len - XFER, SENTINEL);
}

TEST_F(hwpt, alloc_paging)
{
	__u32 a, b, c;

	ASSERT_EQ(0, hwpt_alloc(self->fd, 0, self->d.dev_id, self->ioas, &a));
	ASSERT_NE(0U, a);
	ASSERT_NE(self->ioas, a);
	ASSERT_EQ(0, hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_PASID,
				self->d.dev_id, self->ioas, &b));
	ASSERT_NE(a, b);
	/* Several HWPTs over one IOAS; each can be attached in turn. */
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, a, &c));
	ASSERT_EQ(a, c);
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, b, &c));
	ASSERT_EQ(b, c);
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_EQ(0, obj_destroy(self->fd, a));
	ASSERT_EQ(0, obj_destroy(self->fd, b));
	ASSERT_EQ(-ENOENT, obj_destroy(self->fd, a));
}

TEST_F(hwpt, alloc_nest_parent)
{
	__u32 p, q;
	int rc;

	rc = nest_parent(self, 0, self->ioas, &p);
	if (rc == NO_NESTING)
		SKIP(return, NO_NESTING_MSG);
	ASSERT_EQ(0, rc);
	rc = nest_parent(self, IOMMU_HWPT_ALLOC_PASID, self->ioas, &q);
	if (rc == NO_NESTING)
		SKIP(return, NO_NESTING_MSG);
	ASSERT_EQ(0, rc);
	/* A nest parent is a paging HWPT too: it can be attached. */
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, p, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, q, NULL));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
}

TEST_F(hwpt, nest_parent_needs_nesting)
{
	if (!self->d.nesting_set)
		SKIP(return, "the unit nests (or has no second level)");
	/* What mainline does on a unit without ECAP.NEST. */
	ASSERT_EQ(0, file_write(VTD_DEBUG_NESTING, "N\n"));
	ASSERT_EQ(-EOPNOTSUPP, hwpt_alloc(self->fd,
					  IOMMU_HWPT_ALLOC_NEST_PARENT,
					  self->d.dev_id, self->ioas, NULL));
	ASSERT_EQ(0, file_write(VTD_DEBUG_NESTING, "Y\n"));
	ASSERT_EQ(0, hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_NEST_PARENT,
				self->d.dev_id, self->ioas, NULL));
}

TEST_F(hwpt, alloc_bad_flags)
{
	struct iommu_hw_info_vtd vtd = {};
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->d.dev_id,
		.pt_id = self->ioas,
	};
	struct iommu_hw_info info = {
		.size = sizeof(info),
		.dev_id = self->d.dev_id,
	};
	__u32 bit;

	for (bit = 4; bit < 32; bit++) {
		cmd.flags = 1U << bit;
		if (xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd) != -EOPNOTSUPP) {
			TH_LOG("flag bit %u not refused with EOPNOTSUPP", bit);
			ASSERT_TRUE(0);
		}
	}
	cmd.flags = 0;
	cmd.__reserved = 1;
	ASSERT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.__reserved = 0;
	/* __reserved2 is padding mainline does not look at */
	cmd.__reserved2 = ~0U;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	ASSERT_EQ(0, obj_destroy(self->fd, cmd.out_hwpt_id));
	cmd.__reserved2 = 0;
	/* data_len without a data type */
	cmd.data_len = 8;
	cmd.data_uptr = (uintptr_t)&vtd;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	/* a data type without data */
	cmd.data_type = IOMMU_HWPT_DATA_VTD_S1;
	cmd.data_len = 0;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	/* first-stage data over an IOAS: a kernel-managed table has none */
	ASSERT_EQ(-EOPNOTSUPP, hwpt_alloc_vtd_s1(self->fd, 0, self->d.dev_id,
						 self->ioas, GPA_TABLE, 48, 0,
						 NULL));
	/* dirty tracking only where the unit can do it */
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_GET_HW_INFO, &info));
	if (!(info.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING))
		ASSERT_EQ(-EOPNOTSUPP,
			  hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				     self->d.dev_id, self->ioas, NULL));
	/* a fault object cannot go with a nest parent */
	ASSERT_EQ(-EOPNOTSUPP,
		  hwpt_alloc(self->fd, IOMMU_HWPT_FAULT_ID_VALID |
			     IOMMU_HWPT_ALLOC_NEST_PARENT, self->d.dev_id,
			     self->ioas, NULL));
}

TEST_F(hwpt, alloc_bad_ids)
{
	__u32 h;

	/* dev_id: no object, or an object that is not a device */
	ASSERT_EQ(-ENOENT, hwpt_alloc(self->fd, 0, 0, self->ioas, NULL));
	ASSERT_EQ(-ENOENT, hwpt_alloc(self->fd, 0, 0x7fffffff, self->ioas,
				      NULL));
	ASSERT_EQ(-ENOENT, hwpt_alloc(self->fd, 0, self->ioas, self->ioas,
				      NULL));
	/* pt_id: mainline says EINVAL, for a missing and a wrong object */
	ASSERT_EQ(-EINVAL, hwpt_alloc(self->fd, 0, self->d.dev_id, 0, NULL));
	ASSERT_EQ(-EINVAL, hwpt_alloc(self->fd, 0, self->d.dev_id, 0x7fffffff,
				      NULL));
	ASSERT_EQ(-EINVAL, hwpt_alloc(self->fd, 0, self->d.dev_id,
				      self->d.dev_id, NULL));
	/* a paging HWPT is no IOAS: without data it is refused */
	ASSERT_EQ(0, hwpt_alloc(self->fd, 0, self->d.dev_id, self->ioas, &h));
	ASSERT_EQ(-EOPNOTSUPP, hwpt_alloc(self->fd, 0, self->d.dev_id, h, NULL));
	/* a destroyed IOAS */
	ASSERT_EQ(0, obj_destroy(self->fd, h));
	ASSERT_EQ(0, obj_destroy(self->fd, self->ioas));
	ASSERT_EQ(-EINVAL, hwpt_alloc(self->fd, 0, self->d.dev_id, self->ioas,
				      NULL));
}

TEST_F(hwpt, nested_over_parent)
{
	__u32 parent, n1, n2, pt;
	int rc;

	rc = nest_parent(self, 0, self->ioas, &parent);
	if (rc == NO_NESTING)
		SKIP(return, NO_NESTING_MSG);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, nested(self, 0, parent, GPA_TABLE, 48, 0, &n1));
	ASSERT_NE(parent, n1);
	ASSERT_EQ(0, nested(self, IOMMU_HWPT_ALLOC_PASID, parent, GPA_TABLE,
			    48, 0, &n2));
	if (!nests(self)) {
		ASSERT_EQ(-EINVAL, dev_attach(self->d.devfd, RID, n1, &pt));
		SKIP(return, "unit without nesting: nested attach refused");
	}
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, n1, &pt));
	ASSERT_EQ(n1, pt);
	/* nested -> nested, nested -> parent, parent -> nested */
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, n2, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, parent, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, n1, NULL));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
}

/* The x86 MSI window: a reserved region of every device behind VT-d. */
#define MSI_IOVA	0xfee00000ULL

/*
 * A nested HWPT on the RID translates through its parent's IOAS, so the
 * device's reserved regions are reserved there, as in mainline.
 */
TEST_F(hwpt, nested_rid_reserves_in_parent_ioas)
{
	char *page = buf_alloc(self->psz, 0);
	__u32 parent, n;
	int rc;

	ASSERT_NE(NULL, page);
	rc = nest_parent(self, 0, self->ioas, &parent);
	if (rc == NO_NESTING)
		SKIP(return, NO_NESTING_MSG);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, nested(self, 0, parent, GPA_TABLE, 48, 0, &n));
	if (!nests(self))
		SKIP(return, "unit without nesting: nested attach refused");

	/* over a mapping of the window: refused */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, page, self->psz,
			      MSI_IOVA));
	ASSERT_EQ(-EADDRINUSE, dev_attach(self->d.devfd, RID, n, NULL));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, MSI_IOVA, self->psz));
	/* attached: the window cannot be mapped in the parent's IOAS */
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, n, NULL));
	ASSERT_EQ(-EINVAL, ioas_map(self->fd, self->ioas, page, self->psz,
				    MSI_IOVA));
	/* still so after a replace with the parent itself, and back */
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, parent, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, n, NULL));
	ASSERT_EQ(-EINVAL, ioas_map(self->fd, self->ioas, page, self->psz,
				    MSI_IOVA));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, page, self->psz,
			      MSI_IOVA));
	munmap(page, self->psz);
}

TEST_F(hwpt, nested_over_non_parent)
{
	__u32 parent, paging, n;
	int rc;

	rc = nest_parent(self, 0, self->ioas, &parent);
	if (rc == NO_NESTING)
		SKIP(return, NO_NESTING_MSG);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, hwpt_alloc(self->fd, 0, self->d.dev_id, self->ioas,
				&paging));
	ASSERT_EQ(-EINVAL, nested(self, 0, paging, GPA_TABLE, 48, 0, NULL));
	ASSERT_EQ(0, nested(self, 0, parent, GPA_TABLE, 48, 0, &n));
	/* a nested HWPT is no parent */
	ASSERT_EQ(-EINVAL, nested(self, 0, n, GPA_TABLE, 48, 0, NULL));
	/* and a nested HWPT cannot itself be a nest parent */
	ASSERT_EQ(-EOPNOTSUPP, nested(self, IOMMU_HWPT_ALLOC_NEST_PARENT,
				      parent, GPA_TABLE, 48, 0, NULL));
	ASSERT_EQ(-EOPNOTSUPP, nested(self, 1U << 20, parent, GPA_TABLE, 48,
				      0, NULL));
}

TEST_F(hwpt, nested_bad_fields)
{
	struct iommu_hw_info_vtd vtd = self->vtd;
	struct {
		struct iommu_hwpt_vtd_s1 s1;
		__u64 tail;
	} big = { .s1 = { .pgtbl_addr = GPA_TABLE, .addr_width = 48 } };
	__u32 parent;
	int rc;

	rc = nest_parent(self, 0, self->ioas, &parent);
	if (rc == NO_NESTING)
		SKIP(return, NO_NESTING_MSG);
	ASSERT_EQ(0, rc);

	ASSERT_EQ(-EINVAL, nested_refused(self, parent, GPA_TABLE + 8, 48, 0));
	ASSERT_EQ(-EINVAL, nested_refused(self, parent, GPA_TABLE + 0x800, 48,
					  0));
	ASSERT_EQ(-EINVAL, nested_refused(self, parent, GPA_TABLE, 0, 0));
	ASSERT_EQ(-EINVAL, nested_refused(self, parent, GPA_TABLE, 39, 0));
	ASSERT_EQ(-EINVAL, nested_refused(self, parent, GPA_TABLE, 47, 0));
	ASSERT_EQ(-EINVAL, nested_refused(self, parent, GPA_TABLE, 64, 0));
	if (!(vtd.cap_reg & VTD_CAP_FL5LP))
		ASSERT_EQ(-EINVAL, nested_refused(self, parent, GPA_TABLE, 57,
						  0));
	if (!(vtd.ecap_reg & VTD_ECAP_EAFS))
		ASSERT_EQ(-EINVAL, nested_refused(self, parent, GPA_TABLE, 48,
						  IOMMU_VTD_S1_EAFE));
	/* a flag no specification defines */
	rc = nested_refused(self, parent, GPA_TABLE, 48, 1ULL << 3);
	ASSERT_TRUE(rc == -EINVAL || rc == -EOPNOTSUPP) TH_LOG("rc %d", rc);
	rc = nested_refused(self, parent, GPA_TABLE, 48, 1ULL << 63);
	ASSERT_TRUE(rc == -EINVAL || rc == -EOPNOTSUPP) TH_LOG("rc %d", rc);

	/*
	 * Data shorter than the structure, or longer than the kernel knows
	 * (mainline refuses both with EINVAL, whatever the extra bytes).
	 */
	ASSERT_EQ(-EINVAL, hwpt_alloc_data(self->fd, 0, self->d.dev_id, parent,
					   IOMMU_HWPT_DATA_VTD_S1, &big, 8,
					   NULL));
	ASSERT_EQ(-EINVAL, hwpt_alloc_data(self->fd, 0, self->d.dev_id, parent,
					   IOMMU_HWPT_DATA_VTD_S1, &big,
					   sizeof(big), NULL));
	big.tail = 1;
	ASSERT_EQ(-EINVAL, hwpt_alloc_data(self->fd, 0, self->d.dev_id, parent,
					   IOMMU_HWPT_DATA_VTD_S1, &big,
					   sizeof(big), NULL));
	ASSERT_EQ(0, hwpt_alloc_data(self->fd, 0, self->d.dev_id, parent,
				     IOMMU_HWPT_DATA_VTD_S1, &big.s1,
				     sizeof(big.s1), NULL));
	/* a data type this unit does not have */
	ASSERT_NE(0, hwpt_alloc_data(self->fd, 0, self->d.dev_id, parent,
				     IOMMU_HWPT_DATA_ARM_SMMUV3, &big,
				     sizeof(big), NULL));
}

TEST_F(hwpt, destroy_in_use)
{
	__u32 h;

	ASSERT_EQ(0, hwpt_alloc(self->fd, 0, self->d.dev_id, self->ioas, &h));
	/* the HWPT holds its IOAS */
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, self->ioas));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, h, NULL));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, h));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_EQ(0, obj_destroy(self->fd, h));
	ASSERT_EQ(0, obj_destroy(self->fd, self->ioas));
}

TEST_F(hwpt, destroy_parent_and_nested)
{
	__u32 parent, n;
	int rc;

	rc = nest_parent(self, 0, self->ioas, &parent);
	if (rc == NO_NESTING)
		SKIP(return, NO_NESTING_MSG);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, nested(self, 0, parent, GPA_TABLE, 48, 0, &n));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, parent));
	/* an attached parent */
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, parent, NULL));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, parent));
	if (nests(self)) {
		ASSERT_EQ(0, dev_attach(self->d.devfd, RID, n, NULL));
		ASSERT_EQ(-EBUSY, obj_destroy(self->fd, n));
		ASSERT_EQ(-EBUSY, obj_destroy(self->fd, parent));
	}
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_EQ(0, obj_destroy(self->fd, n));
	ASSERT_EQ(0, obj_destroy(self->fd, parent));
	ASSERT_EQ(0, obj_destroy(self->fd, self->ioas));
}

static const struct iommu_hwpt_vtd_s1_invalidate inv_good = {
	.addr = 0x10000, .npages = 4,
};

TEST_F(hwpt, invalidate_array)
{
	struct iommu_hwpt_vtd_s1_invalidate inv[3] = {
		inv_good,
		{ .addr = 0, .npages = U64_MAX_ },
		{ .addr = 0x200000, .npages = 1,
		  .flags = IOMMU_VTD_INV_FLAGS_LEAF },
	};
	__u32 parent, n, num;
	int rc;

	rc = nest_parent(self, 0, self->ioas, &parent);
	if (rc == NO_NESTING)
		SKIP(return, NO_NESTING_MSG);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, nested(self, 0, parent, GPA_TABLE, 48, 0, &n));
	num = 3;
	ASSERT_EQ(0, hwpt_invalidate(self->fd, n, inv, sizeof(inv[0]), &num));
	ASSERT_EQ(3U, num);
	if (!nests(self))
		return;
	/* also while attached */
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, n, NULL));
	num = 3;
	ASSERT_EQ(0, hwpt_invalidate(self->fd, n, inv, sizeof(inv[0]), &num));
	ASSERT_EQ(3U, num);
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
}

TEST_F(hwpt, invalidate_bad_entry_in_middle)
{
	struct iommu_hwpt_vtd_s1_invalidate inv[4] = {
		inv_good, inv_good, inv_good, inv_good,
	};
	__u32 parent, n, num;
	int rc;

	rc = nest_parent(self, 0, self->ioas, &parent);
	if (rc == NO_NESTING)
		SKIP(return, NO_NESTING_MSG);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, nested(self, 0, parent, GPA_TABLE, 48, 0, &n));

	inv[2].addr = 0x10008;			/* not 4 KiB aligned */
	num = 4;
	ASSERT_EQ(-EINVAL, hwpt_invalidate(self->fd, n, inv, sizeof(inv[0]),
					   &num));
	ASSERT_EQ(2U, num);

	inv[2] = inv_good;
	inv[1].npages = U64_MAX_;		/* "all" needs addr 0 */
	num = 4;
	ASSERT_EQ(-EINVAL, hwpt_invalidate(self->fd, n, inv, sizeof(inv[0]),
					   &num));
	ASSERT_EQ(1U, num);

	inv[1] = inv_good;
	inv[3].flags = 1U << 1;			/* unknown flag */
	num = 4;
	ASSERT_EQ(-EOPNOTSUPP, hwpt_invalidate(self->fd, n, inv,
					       sizeof(inv[0]), &num));
	ASSERT_EQ(3U, num);

	inv[3] = inv_good;
	inv[0].__reserved = 1;
	num = 4;
	ASSERT_EQ(-EOPNOTSUPP, hwpt_invalidate(self->fd, n, inv,
					       sizeof(inv[0]), &num));
	ASSERT_EQ(0U, num);
}

TEST_F(hwpt, invalidate_entry_len_and_num)
{
	struct {
		struct iommu_hwpt_vtd_s1_invalidate e;
		__u64 tail;
	} big[2] = { { .e = inv_good }, { .e = inv_good } };
	struct iommu_hwpt_invalidate cmd = { .size = sizeof(cmd) };
	__u32 parent, n, num;
	int rc;

	rc = nest_parent(self, 0, self->ioas, &parent);
	if (rc == NO_NESTING)
		SKIP(return, NO_NESTING_MSG);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, nested(self, 0, parent, GPA_TABLE, 48, 0, &n));

	/* entry_num 0: nothing to do, even without an array */
	num = 0;
	ASSERT_EQ(0, hwpt_invalidate(self->fd, n, NULL, 0, &num));
	ASSERT_EQ(0U, num);
	/* entries but no entry_len or no array */
	num = 1;
	ASSERT_EQ(-EINVAL, hwpt_invalidate(self->fd, n, big, 0, &num));
	ASSERT_EQ(0U, num);
	num = 1;
	ASSERT_EQ(-EINVAL, hwpt_invalidate(self->fd, n, NULL,
					   sizeof(big[0].e), &num));
	ASSERT_EQ(0U, num);
	/* entry_len shorter than the entry */
	num = 1;
	ASSERT_EQ(-EINVAL, hwpt_invalidate(self->fd, n, big, 8, &num));
	ASSERT_EQ(0U, num);
	/* longer than the kernel's entry: EINVAL, as in mainline */
	num = 2;
	ASSERT_EQ(-EINVAL, hwpt_invalidate(self->fd, n, big, sizeof(big[0]),
					   &num));
	ASSERT_EQ(0U, num);
	big[1].tail = 1;
	num = 2;
	ASSERT_EQ(-EINVAL, hwpt_invalidate(self->fd, n, big, sizeof(big[0]),
					   &num));
	ASSERT_EQ(0U, num);
	/* the exact length */
	num = 1;
	ASSERT_EQ(0, hwpt_invalidate(self->fd, n, big, sizeof(big[0].e),
				     &num));
	ASSERT_EQ(1U, num);
	/* a bad array pointer */
	num = 1;
	ASSERT_EQ(-EFAULT, hwpt_invalidate(self->fd, n, (void *)8,
					   sizeof(big[0].e), &num));
	ASSERT_EQ(0U, num);

	/* the command itself: __reserved, data type */
	cmd.hwpt_id = n;
	cmd.__reserved = 1;
	ASSERT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	cmd.__reserved = 0;
	cmd.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	cmd.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
}

/*
 * Mainline bounds neither entry_len nor entry_num of IOMMU_HWPT_INVALIDATE:
 * the ID is looked up first and the driver reads the entries one by one.
 */
TEST_F(hwpt, invalidate_no_entry_bounds)
{
	const __u32 many = (1U << 19) + 1;
	size_t psz = self->psz;
	__u32 parent, n, num;
	char *buf;
	int rc;

	rc = nest_parent(self, 0, self->ioas, &parent);
	if (rc == NO_NESTING)
		SKIP(return, NO_NESTING_MSG);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, nested(self, 0, parent, GPA_TABLE, 48, 0, &n));

	/* An unknown ID is ENOENT whatever the entry length and count. */
	num = 1;
	ASSERT_EQ(-ENOENT, hwpt_invalidate(self->fd, 0x7fffffff, &inv_good,
					   psz + 8, &num));
	ASSERT_EQ(0U, num);
	num = many;
	ASSERT_EQ(-ENOENT, hwpt_invalidate(self->fd, 0x7fffffff, &inv_good,
					   sizeof(inv_good), &num));
	ASSERT_EQ(0U, num);

	/*
	 * More than 2^19 entries reach the driver: two good entries at the
	 * end of a page, then an unmapped page.  The driver handles the two
	 * and faults on the third.
	 */
	buf = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, munmap(buf + psz, psz));
	memcpy(buf + psz - 2 * sizeof(inv_good), &inv_good, sizeof(inv_good));
	memcpy(buf + psz - sizeof(inv_good), &inv_good, sizeof(inv_good));
	num = many;
	ASSERT_EQ(-EFAULT, hwpt_invalidate(self->fd, n,
					   buf + psz - 2 * sizeof(inv_good),
					   sizeof(inv_good), &num));
	ASSERT_EQ(2U, num);
	munmap(buf, psz);
}

/*
 * An ID that names anything but a nested HWPT is unknown to
 * IOMMU_HWPT_INVALIDATE (ENOENT), as in Linux 6.12, whose own selftest
 * checks it for a paging HWPT; entry_num comes back 0.
 */
TEST_F(hwpt, invalidate_wrong_object)
{
	__u32 paging, num;

	ASSERT_EQ(0, hwpt_alloc(self->fd, 0, self->d.dev_id, self->ioas,
				&paging));
	num = 1;
	ASSERT_EQ(-ENOENT, hwpt_invalidate(self->fd, paging, &inv_good,
					   sizeof(inv_good), &num));
	ASSERT_EQ(0U, num);
	num = 1;
	ASSERT_EQ(-ENOENT, hwpt_invalidate(self->fd, self->ioas, &inv_good,
					   sizeof(inv_good), &num));
	ASSERT_EQ(0U, num);
	num = 1;
	ASSERT_EQ(-ENOENT, hwpt_invalidate(self->fd, self->d.dev_id, &inv_good,
					   sizeof(inv_good), &num));
	ASSERT_EQ(0U, num);
	num = 1;
	ASSERT_EQ(-ENOENT, hwpt_invalidate(self->fd, 0x7fffffff, &inv_good,
					   sizeof(inv_good), &num));
	ASSERT_EQ(0U, num);
}

TEST_F(hwpt, new_domain_sees_existing_mappings)
{
	char *src = buf_alloc(self->psz, 0);
	char *dst = buf_alloc(2 * self->psz, SENTINEL);
	__u32 first, second;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	/* One HWPT attached before the maps, one made after them. */
	ASSERT_EQ(0, hwpt_alloc(self->fd, 0, self->d.dev_id, self->ioas,
				&first));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, first, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, src, self->psz, IOVA_SRC));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, dst, 2 * self->psz,
			      IOVA_DST));
	ASSERT_TRUE(dma_reaches(&self->d, src, dst, 2 * self->psz, 21));

	ASSERT_EQ(0, hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_PASID,
				self->d.dev_id, self->ioas, &second));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, second, NULL));
	ASSERT_TRUE(dma_reaches(&self->d, src, dst, 2 * self->psz, 22));
	/* The first one, no longer attached, still follows the IOAS. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, IOVA_DST,
				2 * self->psz));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, dst, 2 * self->psz,
			      IOVA_DST));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, first, NULL));
	ASSERT_TRUE(dma_reaches(&self->d, src, dst, 2 * self->psz, 23));
}

TEST_HARNESS_MAIN
