// SPDX-License-Identifier: GPL-2.0
/*
 * End to end: QEMU's edu does DMA through HW pagetables that userspace
 * built with /dev/iommu and attached through /dev/iommufd/<BDF>, on the
 * RID and on a PASID N.  No emulated device sends PASID-tagged requests,
 * so for PASID N vtd_sm's debug knobs give edu a PASID width (pasid_bits)
 * and point its context entry's RID_PASID at PASID N (rid_pasid): edu's
 * plain DMA then walks PASID N's entry.  N is 5, or the highest PASID the
 * unit allows if that is lower (1 on QEMU without x-pasid-mode).
 *
 * Each test checks the bytes that arrive, that nothing around them
 * changed, and that DMA the IOMMU must block is blocked and recorded as a
 * fault by the unit.  A replace must also be made the way
 * Documentation/driver-api/vtd_sm-pasid-entry.rst says, which the unit's
 * counters of PASID entry updates by kind show: between two paging HWPTs
 * hitless on a unit with second-level translation, a teardown (through
 * not present) on a first-level-only one (another domain id and table).
 */
#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define DST_PAGES	4
#define SENTINEL	0xa5
#define XFER		1024
#define ECAP_SLTS	BIT_ULL(46)

FIXTURE(e2e) {
	struct ifd_dev d;
	size_t psz;
	char *src;	/* mapped at IOVA_SRC in both IOASes */
	char *a;	/* IOVA_DST in IOAS a */
	char *b;	/* IOVA_DST in IOAS b */
	__u32 ioas_a, ioas_b;
	__u32 hwpt_flags;
	long pasid;	/* RID for < 0 */
};

FIXTURE_VARIANT(e2e) {
	long pasid;		/* RID for < 0 */
	unsigned int pasid_bits;
};

FIXTURE_VARIANT_ADD(e2e, rid) {
	.pasid = RID,
};

FIXTURE_VARIANT_ADD(e2e, pasid) {
	.pasid = 5,
	.pasid_bits = 3,
};

/* What setup does once edu is bound: 0 or -errno, with @what set. */
static int setup_rest(FIXTURE_DATA(e2e) * self, const char **what)
{
	int fd = self->d.iommufd;
	size_t len = DST_PAGES * self->psz;

	*what = "no PASID width granted";
	/* Every VT-d unit has at least PASIDs 0 and 1. */
	if (self->pasid >= 0 && !self->d.pasid_bits)
		return -ERANGE;
	if (self->pasid > (1L << self->d.pasid_bits) - 1)
		self->pasid = (1L << self->d.pasid_bits) - 1;
	*what = "set rid_pasid";
	if (self->pasid >= 0 &&
	    vtd_knob_set(self->d.bdf, VTD_KNOB_RID_PASID, self->pasid))
		return -EIO;
	*what = "IOAS";
	if (ioas_alloc(fd, &self->ioas_a) || ioas_alloc(fd, &self->ioas_b))
		return -EIO;
	*what = "IOAS_MAP";
	if (ioas_map(fd, self->ioas_a, self->src, self->psz, IOVA_SRC) ||
	    ioas_map(fd, self->ioas_b, self->src, self->psz, IOVA_SRC) ||
	    ioas_map(fd, self->ioas_a, self->a, len, IOVA_DST) ||
	    ioas_map(fd, self->ioas_b, self->b, len, IOVA_DST))
		return -EIO;
	return 0;
}

FIXTURE_SETUP(e2e)
{
	const char *what;
	int rc;

	self->psz = page_size();
	self->src = buf_alloc(self->psz, 0);
	self->a = buf_alloc(DST_PAGES * self->psz, SENTINEL);
	self->b = buf_alloc(DST_PAGES * self->psz, SENTINEL);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->a);
	ASSERT_NE(NULL, self->b);
	self->pasid = variant->pasid;
	if (self->pasid >= 0)
		self->hwpt_flags = IOMMU_HWPT_ALLOC_PASID;
	rc = ifd_dev_setup(&self->d, variant->pasid_bits);
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	/* From here on a failure must give edu back before it ends. */
	rc = setup_rest(self, &what);
	if (rc)
		ifd_dev_teardown(&self->d);
	ASSERT_EQ(0, rc) TH_LOG("%s", what);
}

FIXTURE_TEARDOWN(e2e)
{
	/* Closing the node detaches and unbinds; then edu goes back. */
	ifd_dev_teardown(&self->d);
}

/*
 * Copies a pattern (@seed) from the source buffer to IOVA_DST + @off and
 * returns 1 if it arrived in @buf, every other byte of @buf being
 * SENTINEL; the source must be unchanged too.
 */
static int dma_lands(struct ifd_dev *d, char *src, char *buf, size_t psz,
		     size_t off, unsigned int seed, int *err)
{
	pattern_fill(src, XFER, seed);
	*err = edu_copy(d, IOVA_SRC, IOVA_DST + off, XFER);
	if (*err)
		return 0;
	return pattern_check(src, XFER, seed) &&
	       pattern_check(buf + off, XFER, seed) &&
	       all_bytes(buf, off, SENTINEL) &&
	       all_bytes(buf + off + XFER, DST_PAGES * psz - off - XFER,
			 SENTINEL);
}

/* edu -> IOVA_DST must not arrive, and the unit must record a fault. */
static int dma_blocked(struct __test_metadata *_metadata, struct ifd_dev *d,
		       char *buf, size_t len)
{
	long long before = vtd_fault_count(), after;

	if (before < 0) {
		TH_LOG("no vtd_sm fault counters");
		return 0;
	}
	memset(buf, SENTINEL, len);
	if (edu_dma(d, IOVA_DST, 0, XFER, 1)) {
		TH_LOG("edu did not complete");
		return 0;
	}
	after = vtd_fault_wait(before);
	if (!all_bytes(buf, len, SENTINEL))
		TH_LOG("blocked DMA changed memory");
	if (after <= before)
		TH_LOG("no fault recorded (%lld -> %lld)", before, after);
	return all_bytes(buf, len, SENTINEL) && after > before;
}

TEST_F(e2e, dma_lands_in_mapped_buffer)
{
	__u32 hwpt;
	int err;

	ASSERT_EQ(0, hwpt_alloc(self->d.iommufd, self->hwpt_flags,
				self->d.dev_id, self->ioas_a, &hwpt));
	ASSERT_EQ(0, dev_attach(self->d.devfd, self->pasid, hwpt, NULL));
	/* Off the page start, across a page boundary, away from the ends. */
	ASSERT_TRUE(dma_lands(&self->d, self->src, self->a, self->psz,
			      self->psz + self->psz - XFER / 2, 1, &err))
		TH_LOG("err %d", err);
	EXPECT_TRUE(all_bytes(self->b, DST_PAGES * self->psz, SENTINEL));
	/* A second transfer to another spot of the same mapping. */
	memset(self->a, SENTINEL, DST_PAGES * self->psz);
	ASSERT_TRUE(dma_lands(&self->d, self->src, self->a, self->psz,
			      3 * self->psz, 2, &err))
		TH_LOG("err %d", err);
}

/* Field @name of the first vtd_sm unit's counters (QEMU has one unit). */
static int vtd_counter(const char *name, unsigned long long *val)
{
	char buf[2048], key[64], *p, *end;
	int rc = -ENOENT;
	glob_t g;

	if (glob(VTD_DEBUGFS "/*/counters", 0, NULL, &g))
		return -ENOENT;
	snprintf(key, sizeof(key), "\n%s: ", name);
	/* A newline before the first line too: every key starts a line. */
	buf[0] = '\n';
	if (g.gl_pathc && !file_read(g.gl_pathv[0], buf + 1, sizeof(buf) - 1)) {
		p = strstr(buf, key);
		if (p) {
			errno = 0;
			*val = strtoull(p + strlen(key), &end, 0);
			rc = errno || end == p + strlen(key) ? -EPROTO : 0;
		}
	}
	globfree(&g);
	return rc;
}

struct updates {
	unsigned long long hitless, seq, teardown;
};

static int vtd_updates(struct updates *u)
{
	return vtd_counter("pasid_updates_hitless", &u->hitless) ?:
	       vtd_counter("pasid_updates_hitless_seq", &u->seq) ?:
	       vtd_counter("pasid_updates_teardown", &u->teardown);
}

/* The replace made between @b and @a was one update of the documented kind. */
static int replace_kind_ok(struct __test_metadata *_metadata,
			   const struct updates *b, const struct updates *a)
{
	unsigned long long ecap, hl = a->hitless - b->hitless;
	unsigned long long seq = a->seq - b->seq;
	unsigned long long td = a->teardown - b->teardown;

	if (vtd_counter("ecap", &ecap)) {
		TH_LOG("no ecap in the vtd_sm counters");
		return 0;
	}
	TH_LOG("replace: %llu hitless, %llu ordered sequence, %llu teardown (%s unit)",
	       hl, seq, td, ecap & ECAP_SLTS ? "second-level" :
	       "first-level-only");
	if (ecap & ECAP_SLTS)
		return hl == 1 && !seq && !td;
	return !hl && !seq && td == 1;
}

TEST_F(e2e, replace_moves_dma)
{
	struct updates u0, u1;
	__u32 ha, hb;
	int err;

	ASSERT_EQ(0, hwpt_alloc(self->d.iommufd, self->hwpt_flags,
				self->d.dev_id, self->ioas_a, &ha));
	ASSERT_EQ(0, hwpt_alloc(self->d.iommufd, self->hwpt_flags,
				self->d.dev_id, self->ioas_b, &hb));
	ASSERT_EQ(0, dev_attach(self->d.devfd, self->pasid, ha, NULL));
	ASSERT_TRUE(dma_lands(&self->d, self->src, self->a, self->psz, 0, 3,
			      &err))
		TH_LOG("err %d", err);

	/* A second ATTACH is a replace: the same IOVA now reaches b. */
	ASSERT_EQ(0, vtd_updates(&u0));
	ASSERT_EQ(0, dev_attach(self->d.devfd, self->pasid, hb, NULL));
	ASSERT_EQ(0, vtd_updates(&u1));
	EXPECT_TRUE(replace_kind_ok(_metadata, &u0, &u1));
	ASSERT_TRUE(dma_lands(&self->d, self->src, self->b, self->psz, 0, 4,
			      &err))
		TH_LOG("err %d", err);
	/* a kept the first copy and nothing else. */
	ASSERT_TRUE(pattern_check(self->a, XFER, 3));
	ASSERT_TRUE(all_bytes(self->a + XFER, DST_PAGES * self->psz - XFER,
			      SENTINEL));

	/* And back: the old HWPT works again, b is left alone. */
	memset(self->a, SENTINEL, DST_PAGES * self->psz);
	ASSERT_EQ(0, vtd_updates(&u0));
	ASSERT_EQ(0, dev_attach(self->d.devfd, self->pasid, ha, NULL));
	ASSERT_EQ(0, vtd_updates(&u1));
	EXPECT_TRUE(replace_kind_ok(_metadata, &u0, &u1));
	ASSERT_TRUE(dma_lands(&self->d, self->src, self->a, self->psz,
			      self->psz, 5, &err))
		TH_LOG("err %d", err);
	ASSERT_TRUE(pattern_check(self->b, XFER, 4));
}

struct qi_count {
	unsigned long long descs, batches;
};

static int qi_count(struct qi_count *c)
{
	return vtd_counter("qi_descriptors", &c->descs) ?:
	       vtd_counter("qi_batches", &c->batches);
}

/*
 * The invalidations between @c0 and now were @descs descriptors (counting
 * each batch's wait) in @batches batches.
 */
static int qi_sent(struct __test_metadata *_metadata, const char *op,
		   const struct qi_count *c0, unsigned long long descs,
		   unsigned long long batches)
{
	struct qi_count c1;

	if (qi_count(&c1)) {
		TH_LOG("no qi counters");
		return 0;
	}
	TH_LOG("%s: %llu descriptors in %llu batches (expected %llu in %llu)",
	       op, c1.descs - c0->descs, c1.batches - c0->batches, descs,
	       batches);
	return c1.descs - c0->descs == descs &&
	       c1.batches - c0->batches == batches;
}

/*
 * Attach, replace and detach send what the VT-d specification asks for
 * (Documentation/driver-api/vtd_sm-pasid-entry.rst, "Descriptors per
 * operation"), counting the wait of each batch, on QEMU's unit in caching
 * mode (vmtest.py sets caching-mode=on).  Second level: attach the PASID
 * cache and, for caching mode, the IOTLB of the new domain id (3, one
 * batch); replace the PASID cache and the domain-selective IOTLB of the
 * old one and the IOTLB of the new one (4, one batch); detach the PASID
 * cache and IOTLB of the old one (3, one batch); no context cache on the
 * RID.  First level only: the writer's fences add batches (attach 2 + 3
 * in 2 batches, replace through not present 3 + 3 + 3 in 3 batches,
 * detach 3 in 1).  DMA checks in between that nothing stale translates.
 */
TEST_F(e2e, invalidations_per_op)
{
	unsigned long long ecap;
	struct qi_count c;
	__u32 ha, hb;
	bool sl;
	int err;

	ASSERT_EQ(0, vtd_counter("ecap", &ecap));
	sl = ecap & ECAP_SLTS;
	ASSERT_EQ(0, hwpt_alloc(self->d.iommufd, self->hwpt_flags,
				self->d.dev_id, self->ioas_a, &ha));
	ASSERT_EQ(0, hwpt_alloc(self->d.iommufd, self->hwpt_flags,
				self->d.dev_id, self->ioas_b, &hb));

	ASSERT_EQ(0, qi_count(&c));
	ASSERT_EQ(0, dev_attach(self->d.devfd, self->pasid, ha, NULL));
	EXPECT_TRUE(qi_sent(_metadata, "attach", &c, sl ? 3 : 5, sl ? 1 : 2));
	ASSERT_TRUE(dma_lands(&self->d, self->src, self->a, self->psz, 0, 11,
			      &err))
		TH_LOG("err %d", err);

	ASSERT_EQ(0, qi_count(&c));
	ASSERT_EQ(0, dev_attach(self->d.devfd, self->pasid, hb, NULL));
	EXPECT_TRUE(qi_sent(_metadata, "replace", &c, sl ? 4 : 9, sl ? 1 : 3));
	ASSERT_TRUE(dma_lands(&self->d, self->src, self->b, self->psz, 0, 12,
			      &err))
		TH_LOG("err %d", err);
	ASSERT_TRUE(pattern_check(self->a, XFER, 11));

	ASSERT_EQ(0, qi_count(&c));
	ASSERT_EQ(0, dev_detach(self->d.devfd, self->pasid));
	EXPECT_TRUE(qi_sent(_metadata, "detach", &c, 3, 1));
	ASSERT_TRUE(dma_blocked(_metadata, &self->d, self->b,
				DST_PAGES * self->psz));
}

#define BIG_PAGES	16
#define IOVA_BIG	(IOVA_DST + 0x100000)
#define CAP_CM		BIT_ULL(7)

/*
 * @n pages at a fresh address, each moved there from every other page of
 * a larger buffer, so that they are unlikely to be physically contiguous.
 * Returns the number of physically contiguous runs, 0 on failure.
 */
static unsigned int scattered_buf(char **buf, size_t psz, unsigned int n)
{
	char *big = mmap(NULL, 2 * n * psz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int i, runs = 1;
	__u64 pa, prev = 0;

	*buf = mmap(NULL, n * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (big == MAP_FAILED || *buf == MAP_FAILED)
		return 0;
	memset(big, SENTINEL, 2 * n * psz);
	for (i = 0; i < n; i++) {
		if (mremap(big + 2 * i * psz, psz, psz,
			   MREMAP_MAYMOVE | MREMAP_FIXED,
			   *buf + i * psz) == MAP_FAILED ||
		    virt_to_phys_user(*buf + i * psz, &pa))
			return 0;
		if (i && pa != prev + psz)
			runs++;
		prev = pa;
	}
	return runs;
}

/*
 * An IOAS_MAP of physically scattered memory, into a HWPT attached here,
 * invalidates the mapped range once: one page-selective IOTLB (or, first
 * level, PASID-based IOTLB) invalidation and a wait, in one batch, on a
 * unit in caching mode (nothing otherwise), however many physically
 * contiguous runs the memory has.  edu DMA then reaches every page.
 */
TEST_F(e2e, map_is_one_batch)
{
	unsigned long long cap;
	unsigned int runs, i;
	struct qi_count c;
	__u32 hwpt;
	char *buf;

	runs = scattered_buf(&buf, self->psz, BIG_PAGES);
	ASSERT_NE(0, (int)runs);
	if (runs < 2)
		SKIP(return, "the pages came out physically contiguous");
	ASSERT_EQ(0, vtd_counter("cap", &cap));
	ASSERT_EQ(0, hwpt_alloc(self->d.iommufd, self->hwpt_flags,
				self->d.dev_id, self->ioas_a, &hwpt));
	ASSERT_EQ(0, dev_attach(self->d.devfd, self->pasid, hwpt, NULL));

	ASSERT_EQ(0, qi_count(&c));
	ASSERT_EQ(0, ioas_map(self->d.iommufd, self->ioas_a, buf,
			      BIG_PAGES * self->psz, IOVA_BIG));
	TH_LOG("%u physically contiguous runs", runs);
	EXPECT_TRUE(qi_sent(_metadata, "map", &c, cap & CAP_CM ? 2 : 0,
			    cap & CAP_CM ? 1 : 0));

	/* Across every page boundary: each page is where it should be. */
	for (i = 1; i < BIG_PAGES; i++) {
		size_t off = i * self->psz - XFER / 2;

		pattern_fill(self->src, XFER, 20 + i);
		ASSERT_EQ(0, edu_copy(&self->d, IOVA_SRC, IOVA_BIG + off,
				      XFER));
		ASSERT_TRUE(pattern_check(buf + off, XFER, 20 + i))
			TH_LOG("page %u", i);
	}
	ASSERT_EQ(0, ioas_unmap(self->d.iommufd, self->ioas_a, IOVA_BIG,
				BIG_PAGES * self->psz));
}

TEST_F(e2e, detach_blocks_dma)
{
	__u32 hwpt;
	int err;

	ASSERT_EQ(0, hwpt_alloc(self->d.iommufd, self->hwpt_flags,
				self->d.dev_id, self->ioas_a, &hwpt));
	ASSERT_EQ(0, dev_attach(self->d.devfd, self->pasid, hwpt, NULL));
	ASSERT_TRUE(dma_lands(&self->d, self->src, self->a, self->psz, 0, 6,
			      &err))
		TH_LOG("err %d", err);
	ASSERT_EQ(0, dev_detach(self->d.devfd, self->pasid));
	ASSERT_TRUE(dma_blocked(_metadata, &self->d, self->a,
				DST_PAGES * self->psz));
	/* Nothing holds the HWPT any more. */
	ASSERT_EQ(0, obj_destroy(self->d.iommufd, hwpt));
}

TEST_F(e2e, bound_but_unattached_is_blocked)
{
	/* Binding claims the device: its DMA is blocked until an attach. */
	ASSERT_TRUE(dma_blocked(_metadata, &self->d, self->a,
				DST_PAGES * self->psz));
}

TEST_F(e2e, unmap_while_attached_blocks_dma)
{
	__u32 hwpt;
	int err;

	ASSERT_EQ(0, hwpt_alloc(self->d.iommufd, self->hwpt_flags,
				self->d.dev_id, self->ioas_a, &hwpt));
	ASSERT_EQ(0, dev_attach(self->d.devfd, self->pasid, hwpt, NULL));
	ASSERT_TRUE(dma_lands(&self->d, self->src, self->a, self->psz, 0, 7,
			      &err))
		TH_LOG("err %d", err);
	/* The unmap must reach the IOTLB (caching mode caches everything). */
	ASSERT_EQ(0, ioas_unmap(self->d.iommufd, self->ioas_a, IOVA_DST,
				DST_PAGES * self->psz));
	ASSERT_TRUE(dma_blocked(_metadata, &self->d, self->a,
				DST_PAGES * self->psz));
	/* Mapped again (b's pages this time): DMA follows the new mapping. */
	ASSERT_EQ(0, ioas_map(self->d.iommufd, self->ioas_a, self->b,
			      DST_PAGES * self->psz, IOVA_DST));
	ASSERT_TRUE(dma_lands(&self->d, self->src, self->b, self->psz, 0, 8,
			      &err))
		TH_LOG("err %d", err);
	ASSERT_TRUE(all_bytes(self->a, DST_PAGES * self->psz, SENTINEL));
}

TEST_F(e2e, map_after_attach)
{
	__u32 ioas, hwpt;
	int err;

	/* A HWPT attached while its IOAS is empty follows later maps. */
	ASSERT_EQ(0, ioas_alloc(self->d.iommufd, &ioas));
	ASSERT_EQ(0, hwpt_alloc(self->d.iommufd, self->hwpt_flags,
				self->d.dev_id, ioas, &hwpt));
	ASSERT_EQ(0, dev_attach(self->d.devfd, self->pasid, hwpt, NULL));
	ASSERT_EQ(0, ioas_map(self->d.iommufd, ioas, self->src, self->psz,
			      IOVA_SRC));
	ASSERT_EQ(0, ioas_map(self->d.iommufd, ioas, self->a,
			      DST_PAGES * self->psz, IOVA_DST));
	ASSERT_TRUE(dma_lands(&self->d, self->src, self->a, self->psz,
			      2 * self->psz, 9, &err))
		TH_LOG("err %d", err);
}

TEST_F(e2e, attach_ioas_gets_auto_hwpt)
{
	__u32 pt;
	int err;

	if (self->pasid >= 0)
		SKIP(return, "IOAS on a PASID: see pasid_attach_test");
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->ioas_a, &pt));
	ASSERT_NE(self->ioas_a, pt);
	ASSERT_TRUE(dma_lands(&self->d, self->src, self->a, self->psz, 0, 10,
			      &err))
		TH_LOG("err %d", err);
	/* The automatic HWPT keeps its IOAS busy while attached. */
	ASSERT_EQ(-EBUSY, obj_destroy(self->d.iommufd, self->ioas_a));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_EQ(0, obj_destroy(self->d.iommufd, self->ioas_a));
}

TEST_HARNESS_MAIN
