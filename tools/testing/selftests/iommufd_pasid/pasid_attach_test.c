// SPDX-License-Identifier: GPL-2.0
/*
 * The rules the PASID layer keeps (DESIGN.md, "Rules the PASID layer
 * keeps"), seen from userspace through /dev/iommufd/<BDF>, with the errnos
 * of mainline iommufd:
 *
 *  - only a HWPT allocated with IOMMU_HWPT_ALLOC_PASID goes on a PASID
 *    (EINVAL); an IOAS never does;
 *  - while a PASID is attached the RID holds only PASID-compatible HWPTs,
 *    and a RID holding another HWPT keeps PASIDs from being attached
 *    (EINVAL both ways);
 *  - PASIDs at or above the device's width are refused (EINVAL);
 *  - a failed replace leaves the old HWPT attached and translating;
 *  - detaching what is not attached is harmless;
 *  - closing the node detaches everything.
 *
 * The node follows the VFIO cdev ABI: ATTACH on an attached RID or PASID
 * is a replace, so the kAPI's "attach on attached -> EBUSY" and "replace
 * on unattached -> EINVAL" cannot be reached from here (an ATTACH on an
 * unattached PASID is an attach); what the node gives instead is tested.
 *
 * edu has no PASID capability: vtd_sm's pasid_bits knob gives it a width
 * (up to 16 PASIDs; the unit may allow fewer: 2 on QEMU without
 * x-pasid-mode), and its rid_pasid knob makes edu's DMA walk a chosen
 * PASID's entry, so "translating" is checked with real DMA.  HI is the
 * highest PASID granted; the parts that need two PASIDs besides 0 run
 * only where the width allows them.
 */
#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define PASID_BITS	4
#define SENTINEL	0x77
#define XFER		256
#define DST_LEN		(2 * 4096)

FIXTURE(pa) {
	struct ifd_dev d;
	int fd;
	size_t psz;
	char *src, *a, *b;
	__u32 ioas_a, ioas_b;
	__u32 pa, pb;	/* PASID-compatible, over ioas_a / ioas_b */
	__u32 na, nb;	/* not PASID-compatible, over ioas_a / ioas_b */
	__u32 nr;	/* PASIDs granted: 0 .. nr - 1 */
};

#define HI	(self->nr - 1)

/* What setup does once edu is bound: 0 or -errno, with @what set. */
static int setup_rest(FIXTURE_DATA(pa) * self, const char **what)
{
	int fd = self->fd = self->d.iommufd;
	__u32 dev = self->d.dev_id;

	*what = "PASID width granted out of range";
	/* Every VT-d unit has at least PASIDs 0 and 1. */
	if (self->d.pasid_bits < 1 || self->d.pasid_bits > PASID_BITS)
		return -ERANGE;
	self->nr = 1U << self->d.pasid_bits;
	*what = "IOAS";
	if (ioas_alloc(fd, &self->ioas_a) || ioas_alloc(fd, &self->ioas_b))
		return -EIO;
	*what = "IOAS_MAP";
	if (ioas_map(fd, self->ioas_a, self->src, self->psz, IOVA_SRC) ||
	    ioas_map(fd, self->ioas_b, self->src, self->psz, IOVA_SRC) ||
	    ioas_map(fd, self->ioas_a, self->a, DST_LEN, IOVA_DST) ||
	    ioas_map(fd, self->ioas_b, self->b, DST_LEN, IOVA_DST))
		return -EIO;
	*what = "HWPT_ALLOC";
	if (hwpt_alloc(fd, IOMMU_HWPT_ALLOC_PASID, dev, self->ioas_a,
		       &self->pa) ||
	    hwpt_alloc(fd, IOMMU_HWPT_ALLOC_PASID, dev, self->ioas_b,
		       &self->pb) ||
	    hwpt_alloc(fd, 0, dev, self->ioas_a, &self->na) ||
	    hwpt_alloc(fd, 0, dev, self->ioas_b, &self->nb))
		return -EIO;
	return 0;
}

FIXTURE_SETUP(pa)
{
	const char *what;
	int rc;

	self->psz = page_size();
	ASSERT_GE(DST_LEN, (int)self->psz);
	self->src = buf_alloc(self->psz, 0);
	self->a = buf_alloc(DST_LEN, SENTINEL);
	self->b = buf_alloc(DST_LEN, SENTINEL);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->a);
	ASSERT_NE(NULL, self->b);
	rc = ifd_dev_setup(&self->d, PASID_BITS);
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	/* From here on a failure must give edu back before it ends. */
	rc = setup_rest(self, &what);
	if (rc)
		ifd_dev_teardown(&self->d);
	ASSERT_EQ(0, rc) TH_LOG("%s", what);
}

FIXTURE_TEARDOWN(pa)
{
	ifd_dev_teardown(&self->d);
}

/*
 * Makes edu's (PASID-less) DMA use @pasid's entry and copies a pattern;
 * returns 1 if it landed in @dst (and nowhere in @other).
 */
static int dma_to(FIXTURE_DATA(pa) * self, unsigned int pasid, char *dst,
		  char *other, unsigned int seed)
{
	if (vtd_knob_set(self->d.bdf, VTD_KNOB_RID_PASID, pasid))
		return 0;
	memset(self->a, SENTINEL, DST_LEN);
	memset(self->b, SENTINEL, DST_LEN);
	pattern_fill(self->src, XFER, seed);
	if (edu_copy(&self->d, IOVA_SRC, IOVA_DST, XFER))
		return 0;
	return pattern_check(dst, XFER, seed) &&
	       all_bytes(dst + XFER, DST_LEN - XFER, SENTINEL) &&
	       all_bytes(other, DST_LEN, SENTINEL);
}

TEST_F(pa, non_pasid_hwpt_on_pasid)
{
	ASSERT_EQ(-EINVAL, dev_attach(self->d.devfd, 1, self->na, NULL));
	ASSERT_EQ(-EINVAL, dev_attach(self->d.devfd, HI, self->nb,
				      NULL));
	/* The refusal left nothing behind: the PASID takes a good HWPT. */
	ASSERT_EQ(0, dev_attach(self->d.devfd, 1, self->pa, NULL));
	ASSERT_TRUE(dma_to(self, 1, self->a, self->b, 1));
	/* and a non-PASID HWPT cannot replace it either */
	ASSERT_EQ(-EINVAL, dev_attach(self->d.devfd, 1, self->nb, NULL));
	ASSERT_TRUE(dma_to(self, 1, self->a, self->b, 2));
}

TEST_F(pa, ioas_on_pasid)
{
	__u32 pt = self->ioas_a;
	int rc;

	rc = dev_attach(self->d.devfd, HI, self->ioas_a, &pt);
	ASSERT_TRUE(rc == -EINVAL || rc == -EOPNOTSUPP) TH_LOG("rc %d", rc);
	ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pa, NULL));
	/* An IOAS cannot replace a HWPT on a PASID; the old one stays. */
	rc = dev_attach(self->d.devfd, HI, self->ioas_b, NULL);
	ASSERT_TRUE(rc == -EINVAL || rc == -EOPNOTSUPP) TH_LOG("rc %d", rc);
	ASSERT_TRUE(dma_to(self, HI, self->a, self->b, 3));
}

TEST_F(pa, rid_with_non_compat_hwpt_blocks_pasids)
{
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->na, NULL));
	ASSERT_EQ(-EINVAL, dev_attach(self->d.devfd, 1, self->pa, NULL));
	ASSERT_EQ(-EINVAL, dev_attach(self->d.devfd, HI, self->pb, NULL));
	/* With a PASID-compatible HWPT on the RID, PASIDs can follow. */
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->pa, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, 1, self->pb, NULL));
	ASSERT_TRUE(dma_to(self, 1, self->b, self->a, 4));
	ASSERT_TRUE(dma_to(self, 0, self->a, self->b, 5));
	/* Back to the non-compatible HWPT once no PASID is attached. */
	ASSERT_EQ(0, dev_detach(self->d.devfd, 1));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->nb, NULL));
	ASSERT_TRUE(dma_to(self, 0, self->b, self->a, 6));
}

TEST_F(pa, attached_pasids_block_non_compat_rid)
{
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->pa, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, 1, self->pb, NULL));
	/* replace of the RID with a non-compatible HWPT: refused ... */
	ASSERT_EQ(-EINVAL, dev_attach(self->d.devfd, RID, self->nb, NULL));
	/* ... and the old HWPT is still attached and translating */
	ASSERT_TRUE(dma_to(self, 0, self->a, self->b, 7));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, self->pa));
	/* a compatible one is fine */
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->pb, NULL));
	ASSERT_TRUE(dma_to(self, 0, self->b, self->a, 8));
	if (self->nr > 2) {
		/* one PASID left is enough to keep the rule */
		ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pb, NULL));
		ASSERT_EQ(0, dev_detach(self->d.devfd, 1));
		ASSERT_EQ(-EINVAL, dev_attach(self->d.devfd, RID, self->na,
					      NULL));
		ASSERT_EQ(0, dev_detach(self->d.devfd, HI));
	} else {
		ASSERT_EQ(0, dev_detach(self->d.devfd, 1));
	}
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->na, NULL));
	ASSERT_TRUE(dma_to(self, 0, self->a, self->b, 9));
	/* A blocked RID holds no HWPT: PASIDs may be attached again. */
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_EQ(0, dev_attach(self->d.devfd, 1, self->pa, NULL));
}

TEST_F(pa, second_attach_is_replace)
{
	__u32 pt;

	ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pa, &pt));
	ASSERT_EQ(self->pa, pt);
	ASSERT_TRUE(dma_to(self, HI, self->a, self->b, 10));
	ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pb, &pt));
	ASSERT_EQ(self->pb, pt);
	ASSERT_TRUE(dma_to(self, HI, self->b, self->a, 11));
	/* pa is no longer held by the PASID */
	ASSERT_EQ(0, obj_destroy(self->fd, self->pa));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, self->pb));
}

/*
 * PASID 0 with the PASID flag names the RID, but as in VFIO an ATTACH only
 * replaces what the same kind of ATTACH attached: on a RID attached
 * without the flag it is an attach on an attached RID, EBUSY (mainline),
 * and the RID keeps translating with its HWPT.
 */
TEST_F(pa, pasid_flag_zero_on_attached_rid)
{
	__u32 pt;

	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->pa, NULL));
	ASSERT_TRUE(dma_to(self, 0, self->a, self->b, 30));
	ASSERT_EQ(-EBUSY, dev_attach(self->d.devfd, 0, self->pb, NULL));
	ASSERT_TRUE(dma_to(self, 0, self->a, self->b, 31));
	/* PASID 0 with the flag was not attached: detaching it is a no-op */
	ASSERT_EQ(0, dev_detach(self->d.devfd, 0));
	ASSERT_TRUE(dma_to(self, 0, self->a, self->b, 32));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, self->pa));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_EQ(0, obj_destroy(self->fd, self->pa));

	/* The other way round: attached with the flag, EBUSY without it. */
	ASSERT_EQ(0, dev_attach(self->d.devfd, 0, self->pb, &pt));
	ASSERT_EQ(self->pb, pt);
	ASSERT_TRUE(dma_to(self, 0, self->b, self->a, 33));
	ASSERT_EQ(-EBUSY, dev_attach(self->d.devfd, RID, self->nb, NULL));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_TRUE(dma_to(self, 0, self->b, self->a, 34));
	/* with the flag again, it is a replace */
	ASSERT_EQ(0, dev_attach(self->d.devfd, 0, self->nb, NULL));
	ASSERT_EQ(0, obj_destroy(self->fd, self->pb));
	ASSERT_EQ(0, dev_detach(self->d.devfd, 0));
	ASSERT_EQ(0, obj_destroy(self->fd, self->nb));
}

/* The x86 MSI window: a reserved region of every device behind VT-d. */
#define MSI_IOVA	0xfee00000ULL

/*
 * Reserved regions concern DMA without a PASID: as in mainline only a RID
 * attachment reserves them in its IOAS, a PASID attach or replace does not.
 */
TEST_F(pa, reserved_regions_rid_only)
{
	char *page = buf_alloc(self->psz, 0);

	ASSERT_NE(NULL, page);
	ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pa, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_a, page, self->psz,
			      MSI_IOVA));
	ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pb, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_b, page, self->psz,
			      MSI_IOVA));
	ASSERT_TRUE(dma_to(self, HI, self->b, self->a, 40));
	/* The RID does reserve: not over a mapping, and no mapping after. */
	ASSERT_EQ(-EADDRINUSE, dev_attach(self->d.devfd, RID, self->pa, NULL));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_a, MSI_IOVA, self->psz));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->pa, NULL));
	ASSERT_EQ(-EINVAL, ioas_map(self->fd, self->ioas_a, page, self->psz,
				    MSI_IOVA));
	/* Detaching the RID gives the window back. */
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_a, page, self->psz,
			      MSI_IOVA));
	munmap(page, self->psz);
}

TEST_F(pa, replace_with_same_hwpt_is_noop)
{
	__u32 pt;

	ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pa, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pa, &pt));
	ASSERT_EQ(self->pa, pt);
	ASSERT_TRUE(dma_to(self, HI, self->a, self->b, 12));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->pb, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->pb, NULL));
	ASSERT_TRUE(dma_to(self, 0, self->b, self->a, 13));
	/* One detach undoes it: nothing was counted twice. */
	ASSERT_EQ(0, dev_detach(self->d.devfd, HI));
	ASSERT_EQ(0, obj_destroy(self->fd, self->pa));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_EQ(0, obj_destroy(self->fd, self->pb));
}

TEST_F(pa, detach_unattached_is_harmless)
{
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_EQ(0, dev_detach(self->d.devfd, 1));
	ASSERT_EQ(0, dev_detach(self->d.devfd, HI));
	ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pa, NULL));
	/* detaching a neighbour (or the RID) leaves the PASID alone */
	if (HI > 1)
		ASSERT_EQ(0, dev_detach(self->d.devfd, HI - 1));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_TRUE(dma_to(self, HI, self->a, self->b, 14));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, self->pa));
	/* twice in a row */
	ASSERT_EQ(0, dev_detach(self->d.devfd, HI));
	ASSERT_EQ(0, dev_detach(self->d.devfd, HI));
	ASSERT_EQ(0, obj_destroy(self->fd, self->pa));
}

TEST_F(pa, pasid_width)
{
	const __u32 bad[] = {
		self->nr, self->nr + 1, 0xfffff, 1U << 20, 0x7fffffff,
		0xffffffff,
	};
	unsigned int i;
	int rc;

	ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pa, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, 1, self->pa, NULL));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		rc = dev_attach(self->d.devfd, bad[i], self->pb, NULL);
		if (rc != -EINVAL) {
			TH_LOG("PASID %#x: %d instead of -EINVAL", bad[i], rc);
			ASSERT_TRUE(0);
		}
	}
	/* the refused ones left the others as they were */
	ASSERT_TRUE(dma_to(self, HI, self->a, self->b, 15));
	ASSERT_EQ(0, dev_detach(self->d.devfd, HI));
	ASSERT_EQ(0, dev_detach(self->d.devfd, 1));
	ASSERT_EQ(0, obj_destroy(self->fd, self->pb));
}

TEST_F(pa, failed_replace_keeps_old_hwpt)
{
	struct iommu_hw_info_vtd vtd = {};
	__u32 parent, bad_nested;
	int rc;

	ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pa, NULL));
	ASSERT_TRUE(dma_to(self, HI, self->a, self->b, 16));
	/* to a HWPT the PASID cannot take */
	ASSERT_EQ(-EINVAL, dev_attach(self->d.devfd, HI, self->nb, NULL));
	ASSERT_TRUE(dma_to(self, HI, self->a, self->b, 17));
	/* to objects that do not exist or are no page table */
	ASSERT_EQ(-ENOENT, dev_attach(self->d.devfd, HI, 0x7fffffff, NULL));
	ASSERT_EQ(-EINVAL, dev_attach(self->d.devfd, HI, self->d.dev_id,
				      NULL));
	ASSERT_TRUE(dma_to(self, HI, self->a, self->b, 18));
	/*
	 * To a nested HWPT with a first stage the unit cannot use (EAFE
	 * without ECAP.EAFS), refused when it is allocated or, at the
	 * latest, when it would be installed.  Units without ECAP.NEST
	 * (QEMU) hold nest parents through vtd_sm's debug_nesting.
	 */
	ASSERT_EQ(0, hw_info_vtd(self->fd, self->d.dev_id, &vtd));
	if ((vtd.ecap_reg & VTD_ECAP_SLTS) &&
	    !(vtd.ecap_reg & VTD_ECAP_EAFS)) {
		ASSERT_EQ(0, ifd_dev_debug_nesting(&self->d, vtd.ecap_reg));
		ASSERT_EQ(0, hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_NEST_PARENT |
					IOMMU_HWPT_ALLOC_PASID, self->d.dev_id,
					self->ioas_b, &parent));
		rc = hwpt_alloc_vtd_s1(self->fd, IOMMU_HWPT_ALLOC_PASID,
				       self->d.dev_id, parent, IOVA_DST, 48,
				       IOMMU_VTD_S1_EAFE, &bad_nested);
		if (!rc)
			rc = dev_attach(self->d.devfd, HI, bad_nested, NULL);
		ASSERT_EQ(-EINVAL, rc);
		ASSERT_TRUE(dma_to(self, HI, self->a, self->b, 19));
	}
	/* all the while the old one was held */
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, self->pa));
}

/*
 * ATTACH (a replace here) whose pt_id cannot be written back: EFAULT, and
 * the replace is a failed one like any other, the old HWPT stays attached
 * and translating, on a PASID and on the RID.
 */
TEST_F(pa, efault_replace_keeps_old_hwpt)
{
	struct iommufd_pci_attach *at;
	__u32 pt;

	at = mmap(NULL, self->psz, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, at);
	*at = (struct iommufd_pci_attach) {
		.argsz = sizeof(*at),
		.flags = IOMMUFD_PCI_ATTACH_PASID,
		.pt_id = self->pb,
		.pasid = HI,
	};
	ASSERT_EQ(0, mprotect(at, self->psz, PROT_READ));

	ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pa, NULL));
	ASSERT_TRUE(dma_to(self, HI, self->a, self->b, 50));
	ASSERT_EQ(-EFAULT, xioctl(self->d.devfd, IOMMUFD_PCI_ATTACH, at));
	ASSERT_TRUE(dma_to(self, HI, self->a, self->b, 51));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, self->pa));
	ASSERT_EQ(0, obj_destroy(self->fd, self->pb));
	ASSERT_EQ(0, hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_PASID,
				self->d.dev_id, self->ioas_b, &self->pb));

	/*
	 * The RID, replaced with an IOAS (an automatic HWPT, which the RID
	 * may hold only while no PASID is attached).
	 */
	ASSERT_EQ(0, dev_detach(self->d.devfd, HI));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->pb, NULL));
	ASSERT_TRUE(dma_to(self, 0, self->b, self->a, 52));
	ASSERT_EQ(0, mprotect(at, self->psz, PROT_READ | PROT_WRITE));
	at->flags = 0;
	at->pasid = 0;
	at->pt_id = self->ioas_a;
	ASSERT_EQ(0, mprotect(at, self->psz, PROT_READ));
	ASSERT_EQ(-EFAULT, xioctl(self->d.devfd, IOMMUFD_PCI_ATTACH, at));
	ASSERT_TRUE(dma_to(self, 0, self->b, self->a, 53));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, self->pb));

	/* With a writable pt_id the same replaces work. */
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->ioas_a, &pt));
	ASSERT_NE(self->ioas_a, pt);
	ASSERT_TRUE(dma_to(self, 0, self->a, self->b, 55));
	ASSERT_EQ(0, obj_destroy(self->fd, self->pb));
	munmap(at, self->psz);
}

TEST_F(pa, pasids_have_their_own_entries)
{
	ASSERT_EQ(0, dev_attach(self->d.devfd, 1, self->pa, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->pb, NULL));
	ASSERT_TRUE(dma_to(self, 1, self->a, self->b, 20));
	ASSERT_TRUE(dma_to(self, 0, self->b, self->a, 21));
	if (self->nr > 2) {
		ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pb, NULL));
		ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->pa, NULL));
		ASSERT_TRUE(dma_to(self, HI, self->b, self->a, 22));
		ASSERT_TRUE(dma_to(self, 0, self->a, self->b, 23));
		ASSERT_EQ(0, dev_detach(self->d.devfd, HI));
	}
	ASSERT_TRUE(dma_to(self, 1, self->a, self->b, 24));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_TRUE(dma_to(self, 1, self->a, self->b, 25));
}

TEST_F(pa, close_detaches_everything)
{
	char line[256];
	__u64 phys;
	int rc;

	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->pa, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, 1, self->pa, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, HI, self->pb, NULL));
	ASSERT_EQ(0, vtd_translate(self->d.bdf, HI, IOVA_DST, &phys, line,
				   sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, self->pa));

	/* Unbinding (closing the node) drops every attachment. */
	ifd_dev_close_node(&self->d);
	ASSERT_EQ(0, obj_destroy(self->fd, self->pa));
	ASSERT_EQ(0, obj_destroy(self->fd, self->pb));
	rc = vtd_translate(self->d.bdf, 1, IOVA_DST, &phys, line,
			   sizeof(line));
	ASSERT_EQ(-EFAULT, rc) TH_LOG("PASID 1 still translates: %s", line);
	rc = vtd_translate(self->d.bdf, HI, IOVA_DST, &phys, line,
			   sizeof(line));
	ASSERT_EQ(-EFAULT, rc) TH_LOG("PASID %u still translates: %s", HI,
				      line);

	/* The device can be bound and used again. */
	ASSERT_EQ(0, ifd_dev_bind(&self->d)) TH_LOG("%s", self->d.err);
	ASSERT_EQ(0, hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_PASID,
				self->d.dev_id, self->ioas_a, &self->pa));
	ASSERT_EQ(0, dev_attach(self->d.devfd, 1, self->pa, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->pa, NULL));
	ASSERT_TRUE(dma_to(self, 1, self->a, self->b, 26));
}

TEST_F(pa, node_abi)
{
	struct iommufd_pci_attach at = {
		.argsz = sizeof(at), .pt_id = self->pa, .pasid = 1,
	};
	struct iommufd_pci_detach de = { .argsz = sizeof(de), .pasid = 1 };

	/* unknown flags */
	at.flags = 1U << 1;
	ASSERT_EQ(-EINVAL, xioctl(self->d.devfd, IOMMUFD_PCI_ATTACH, &at));
	de.flags = 1U << 1;
	ASSERT_EQ(-EINVAL, xioctl(self->d.devfd, IOMMUFD_PCI_DETACH, &de));
	/* a PASID flag without room for the PASID */
	at.flags = IOMMUFD_PCI_ATTACH_PASID;
	at.argsz = offsetof(struct iommufd_pci_attach, pasid);
	ASSERT_EQ(-EINVAL, xioctl(self->d.devfd, IOMMUFD_PCI_ATTACH, &at));
	de.flags = IOMMUFD_PCI_DETACH_PASID;
	de.argsz = offsetof(struct iommufd_pci_detach, pasid);
	ASSERT_EQ(-EINVAL, xioctl(self->d.devfd, IOMMUFD_PCI_DETACH, &de));
	/* the RID needs no PASID field */
	at.flags = 0;
	ASSERT_EQ(0, xioctl(self->d.devfd, IOMMUFD_PCI_ATTACH, &at));
	de.flags = 0;
	ASSERT_EQ(0, xioctl(self->d.devfd, IOMMUFD_PCI_DETACH, &de));
	/* too small for anything */
	at.argsz = 8;
	ASSERT_EQ(-EINVAL, xioctl(self->d.devfd, IOMMUFD_PCI_ATTACH, &at));
	de.argsz = 4;
	ASSERT_EQ(-EINVAL, xioctl(self->d.devfd, IOMMUFD_PCI_DETACH, &de));
	/* with the full structure */
	at.argsz = sizeof(at);
	at.flags = IOMMUFD_PCI_ATTACH_PASID;
	ASSERT_EQ(0, xioctl(self->d.devfd, IOMMUFD_PCI_ATTACH, &at));
	ASSERT_EQ(self->pa, at.pt_id);
	de.argsz = sizeof(de);
	de.flags = IOMMUFD_PCI_DETACH_PASID;
	ASSERT_EQ(0, xioctl(self->d.devfd, IOMMUFD_PCI_DETACH, &de));
	ASSERT_EQ(0, obj_destroy(self->fd, self->pa));
}

TEST_HARNESS_MAIN
