// SPDX-License-Identifier: GPL-2.0
/*
 * Cross-check of the programming side of vtd_sm against its independent
 * walker.
 *
 * Page tables are built with pgtable.c and PASID entries with the encoders
 * and the entry writer of pasid_entry.c; the walker of walk.c must then
 * translate them exactly as the programming side meant.  The root entry,
 * the scalable-mode context entry and the PASID directory are not written
 * by any driver code yet, so they are built here by hand, with the bit
 * positions of the VT-d specification written out as plain shifts.
 */
#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/io.h>
#include <linux/numa.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/cpufeature.h>

#include "pasid_entry.h"
#include "pgtable.h"
#include "walk.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define X_SID		((0x05 << 8) | (0x1a << 3) | 0x2)	/* 05:1a.2, devfn 0xd2 */
#define X_PASID		70	/* directory entry 1, table entry 6 */
#define X_ALL_SIZES	(SZ_4K | SZ_2M | SZ_1G)

#define R	VTD_WALK_READ
#define W	VTD_WALK_WRITE
#define RW	(VTD_WALK_READ | VTD_WALK_WRITE)
#define PRIV	VTD_WALK_PRIV

#define X_MAX_STATES	40
#define X_MAX_SYNCS	8

/* One remapping unit's structures for one (source-id, PASID). */
struct xc {
	struct kunit *test;
	struct vtd_walk_ctx ctx;
	struct vtd_pasid_entry *pe;	/* the live entry in the PASID table */
	struct vtd_pasid_writer w;
	struct vtd_pasid_entry states[X_MAX_STATES];
	unsigned int nr_states;
	unsigned int syncs[X_MAX_SYNCS];
	unsigned int nr_syncs;
	unsigned int overflow;
};

static u64 *x_page(struct kunit *test)
{
	u64 *p = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED((unsigned long)p, PAGE_SIZE));
	return p;
}

static int x_sync(struct vtd_pasid_writer *w)
{
	struct xc *x = container_of(w, struct xc, w);

	if (x->nr_syncs >= X_MAX_SYNCS) {
		x->overflow++;
		return 0;
	}
	x->syncs[x->nr_syncs++] = x->nr_states - 1;
	return 0;
}

static void x_stored(struct vtd_pasid_writer *w, unsigned int qw,
		     unsigned int nr)
{
	struct xc *x = container_of(w, struct xc, w);

	if (x->nr_states >= X_MAX_STATES) {
		x->overflow++;
		return;
	}
	x->states[x->nr_states++] = *x->pe;
}

static const struct vtd_pasid_writer_ops x_ops = {
	.sync = x_sync,
	.stored = x_stored,
};

/*
 * Root table -> scalable-mode context table -> PASID directory -> PASID
 * table, for X_SID and X_PASID.
 */
static struct xc *x_new(struct kunit *test)
{
	unsigned int bus = X_SID >> 8, devfn = X_SID & 0xff;
	u64 *root = x_page(test), *ctxt = x_page(test);
	u64 *pdir = x_page(test), *ptbl = x_page(test);
	struct xc *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	u64 *ce;

	KUNIT_ASSERT_NOT_NULL(test, x);
	x->test = test;
	x->w.ops = &x_ops;
	x->ctx.root = virt_to_phys(root);

	/* Root entry: UP (bit 64) and UCTP (127:76) for devfn 128-255. */
	root[bus * 2 + (devfn >= 128)] = virt_to_phys(ctxt) | 1;
	/* Context entry: P, PASIDE (bit 3), PDTS 0 (128 entries), PASIDDIRPTR. */
	ce = &ctxt[(devfn & 127) * 4];
	ce[0] = virt_to_phys(pdir) | (0ULL << 9) | (1ULL << 3) | 1;
	/* PASID directory entry: P and the PASID table pointer. */
	pdir[X_PASID >> 6] = virt_to_phys(ptbl) | 1;
	x->pe = (struct vtd_pasid_entry *)&ptbl[(X_PASID & 63) * 8];
	return x;
}

static void x_walk(struct xc *x, u64 addr, unsigned int access,
		   struct vtd_walk_result *res)
{
	int ret = vtd_walk(&x->ctx, X_SID, X_PASID, addr, access, res);

	KUNIT_EXPECT_EQ(x->test, ret, res->fault == VTD_WALK_OK ? 0 : -EFAULT);
}

static noinline void x_ok(struct xc *x, u64 addr, unsigned int access,
			  u64 phys, u64 size, unsigned int perm)
{
	struct vtd_walk_result res;
	char line[160];

	x_walk(x, addr, access, &res);
	vtd_walk_format(&res, line, sizeof(line));
	KUNIT_EXPECT_EQ_MSG(x->test, res.fault, VTD_WALK_OK, "%s", line);
	KUNIT_EXPECT_EQ_MSG(x->test, (u64)res.phys, phys, "%s", line);
	KUNIT_EXPECT_EQ_MSG(x->test, res.page_size, size, "%s", line);
	KUNIT_EXPECT_EQ_MSG(x->test, res.perm, perm, "%s", line);
}

static noinline void x_fault(struct xc *x, u64 addr, unsigned int access,
			     enum vtd_walk_fault fault)
{
	struct vtd_walk_result res;
	char line[160];

	x_walk(x, addr, access, &res);
	vtd_walk_format(&res, line, sizeof(line));
	KUNIT_EXPECT_STREQ_MSG(x->test, vtd_walk_fault_str(res.fault),
			       vtd_walk_fault_str(fault), "%s", line);
}

/* Install @target in the live entry with the writer. */
static void x_install(struct xc *x, const struct vtd_pasid_entry *target)
{
	x->nr_states = 0;
	x->nr_syncs = 0;
	vtd_pasid_write_entry(&x->w, x->pe, target);
	KUNIT_EXPECT_EQ(x->test, x->overflow, 0);
	KUNIT_EXPECT_EQ(x->test, memcmp(x->pe, target, sizeof(*target)), 0);
}

static void x_pt_destroy(void *pt)
{
	vtd_pgtable_destroy(pt);
}

static struct vtd_pgtable *x_pgtable(struct kunit *test,
				     enum vtd_pgtable_format format,
				     unsigned int levels)
{
	struct vtd_pgtable_cfg cfg = {
		.format = format,
		.levels = levels,
		.pgsize_bitmap = X_ALL_SIZES,
		.nid = NUMA_NO_NODE,
	};
	struct vtd_pgtable *pt = kunit_kzalloc(test, sizeof(*pt), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pt);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_init(pt, &cfg, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, x_pt_destroy, pt),
			0);
	return pt;
}

static void x_map(struct kunit *test, struct vtd_pgtable *pt, u64 iova,
		  u64 pa, size_t pgsize, int prot)
{
	size_t mapped = 0;

	KUNIT_ASSERT_EQ(test, vtd_pgtable_map_pages(pt, iova, pa, pgsize, 1,
						    prot, GFP_KERNEL, &mapped),
			0);
	KUNIT_ASSERT_EQ(test, mapped, pgsize);
}

static void x_unmap(struct kunit *test, struct vtd_pgtable *pt, u64 iova,
		    size_t size)
{
	struct iommu_iotlb_gather gather;

	iommu_iotlb_gather_init(&gather);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_unmap_pages(pt, iova, size, 1,
						      &gather), size);
	vtd_pgtable_put_pages(&gather.freelist);
}

static void x_sl_cfg(struct vtd_pasid_cfg *cfg, struct vtd_pgtable *sl,
		     u16 did)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->did = did;
	cfg->sl.pgd = vtd_pgtable_root_phys(sl);
	cfg->sl.levels = sl->levels;
}

static void x_fl_cfg(struct vtd_pasid_cfg *cfg, u64 pgd, unsigned int levels,
		     u16 did, bool wpe)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->did = did;
	cfg->fl.pgd = pgd;
	cfg->fl.levels = levels;
	cfg->fl.sre = true;
	cfg->fl.wpe = wpe;
}

/* Second-level only, with 3, 4 and 5 levels. */
static void xcheck_sl(struct kunit *test)
{
	unsigned int levels;

	for (levels = 3; levels <= 5; levels++) {
		struct vtd_pgtable *sl = x_pgtable(test, VTD_PGTABLE_SL, levels);
		u64 top = BIT_ULL(9 * levels + 12);
		struct vtd_pasid_entry pe;
		struct vtd_pasid_cfg cfg;
		struct xc *x = x_new(test);

		kunit_info(test, "%u levels", levels);
		x_map(test, sl, 0x1000, 0x12345000, SZ_4K, IOMMU_READ | IOMMU_WRITE);
		x_map(test, sl, 0x3000, 0x54321000, SZ_4K, IOMMU_WRITE);
		x_map(test, sl, 0x200000, 0x80000000, SZ_2M, IOMMU_READ);
		x_map(test, sl, 0x40000000, 0x1c0000000, SZ_1G,
		      IOMMU_READ | IOMMU_WRITE);
		x_map(test, sl, top - SZ_4K, 0x7000, SZ_4K, IOMMU_READ);

		x_sl_cfg(&cfg, sl, 7);
		KUNIT_ASSERT_EQ(test, vtd_pasid_encode_sl(&pe, &cfg), 0);
		x_install(x, &pe);

		x_ok(x, 0x1abc, RW, 0x12345abc, SZ_4K,
		     VTD_WALK_PERM_READ | VTD_WALK_PERM_WRITE);
		x_ok(x, 0x3010, W, 0x54321010, SZ_4K, VTD_WALK_PERM_WRITE);
		x_fault(x, 0x3010, R, VTD_WALK_SL_READ);
		x_ok(x, 0x2abcde, R, 0x800abcde, SZ_2M, VTD_WALK_PERM_READ);
		x_fault(x, 0x2abcde, W, VTD_WALK_SL_WRITE);
		x_ok(x, 0x7fedcba9, RW, 0x1ffedcba9, SZ_1G,
		     VTD_WALK_PERM_READ | VTD_WALK_PERM_WRITE);
		x_ok(x, top - 8, R, 0x7ff8, SZ_4K, VTD_WALK_PERM_READ);
		x_fault(x, top - 8, W, VTD_WALK_SL_WRITE);
		/* Unmapped in an existing table and in an empty slot. */
		x_fault(x, 0x5000, R, VTD_WALK_SL_NP);
		x_fault(x, 0x80000000, R, VTD_WALK_SL_NP);
		/* Beyond what AW lets the second level translate. */
		x_fault(x, top, R, VTD_WALK_ADDR_WIDTH);

		/* An unmap is seen by the walker at once. */
		x_unmap(test, sl, 0x1000, SZ_4K);
		x_fault(x, 0x1abc, R, VTD_WALK_SL_NP);
		x_unmap(test, sl, 0x200000, SZ_2M);
		x_fault(x, 0x2abcde, R, VTD_WALK_SL_NP);
		x_ok(x, 0x3010, W, 0x54321010, SZ_4K, VTD_WALK_PERM_WRITE);
	}
}

/* First-level only, with 4 and 5 levels. */
static void xcheck_fl(struct kunit *test)
{
	const unsigned int rwu = VTD_WALK_PERM_READ | VTD_WALK_PERM_WRITE |
				 VTD_WALK_PERM_USER;
	unsigned int levels;

	for (levels = 4; levels <= 5; levels++) {
		struct vtd_pgtable *fl = x_pgtable(test, VTD_PGTABLE_FL, levels);
		u64 half = BIT_ULL(9 * levels + 11);	/* first non-canonical */
		struct vtd_pasid_entry pe;
		struct vtd_pasid_cfg cfg;
		struct xc *x = x_new(test);
		size_t mapped = 0;

		kunit_info(test, "%u levels", levels);
		x_map(test, fl, 0x1000, 0x12345000, SZ_4K, IOMMU_READ | IOMMU_WRITE);
		x_map(test, fl, 0x2000, 0x22222000, SZ_4K, IOMMU_READ);
		x_map(test, fl, 0x200000, 0x80000000, SZ_2M, IOMMU_READ);
		x_map(test, fl, 0x40000000, 0x1c0000000, SZ_1G,
		      IOMMU_READ | IOMMU_WRITE);
		x_map(test, fl, half - SZ_4K, 0x7000, SZ_4K,
		      IOMMU_READ | IOMMU_WRITE);
		/* The table cannot hold a non-canonical IOVA. */
		KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(fl, half, 0x8000,
							    SZ_4K, 1, IOMMU_READ,
							    GFP_KERNEL, &mapped),
				-EINVAL);

		x_fl_cfg(&cfg, vtd_pgtable_root_phys(fl), levels, 3, false);
		KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&pe, &cfg), 0);
		x_install(x, &pe);

		x_ok(x, 0x1abc, RW, 0x12345abc, SZ_4K, rwu);
		x_ok(x, 0x2010, R, 0x22222010, SZ_4K,
		     VTD_WALK_PERM_READ | VTD_WALK_PERM_USER);
		x_fault(x, 0x2010, W, VTD_WALK_FL_WRITE);
		/* Supervisor writes ignore R/W while WPE is clear. */
		x_ok(x, 0x2010, W | PRIV, 0x22222010, SZ_4K, rwu);
		x_ok(x, 0x2abcde, R, 0x800abcde, SZ_2M,
		     VTD_WALK_PERM_READ | VTD_WALK_PERM_USER);
		x_fault(x, 0x2abcde, W, VTD_WALK_FL_WRITE);
		x_ok(x, 0x7fedcba9, RW, 0x1ffedcba9, SZ_1G, rwu);
		x_ok(x, half - 8, RW, 0x7ff8, SZ_4K, rwu);
		x_fault(x, 0x5000, R, VTD_WALK_FL_NP);
		/* Canonical checks: the upper half is canonical, not mapped. */
		x_fault(x, half, R, VTD_WALK_FL_NONCANON);
		x_fault(x, BIT_ULL(63), R, VTD_WALK_FL_NONCANON);
		x_fault(x, -half, R, VTD_WALK_FL_NP);
		x_fault(x, ~0ULL - 7, R, VTD_WALK_FL_NP);

		/* With WPE, supervisor writes obey R/W too. */
		x_fl_cfg(&cfg, vtd_pgtable_root_phys(fl), levels, 3, true);
		KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&pe, &cfg), 0);
		x_install(x, &pe);
		x_fault(x, 0x2010, W | PRIV, VTD_WALK_FL_WRITE);
		x_ok(x, 0x1abc, W | PRIV, 0x12345abc, SZ_4K, rwu);

		/* Without SRE, supervisor requests are refused. */
		cfg.fl.sre = false;
		KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&pe, &cfg), 0);
		x_install(x, &pe);
		x_fault(x, 0x1abc, R | PRIV, VTD_WALK_PASID_SRE);
		x_ok(x, 0x1abc, R, 0x12345abc, SZ_4K, rwu);

		x_unmap(test, fl, 0x1000, SZ_4K);
		x_fault(x, 0x1abc, R, VTD_WALK_FL_NP);
	}
}

/* Pass-through and blocked. */
static void xcheck_pt_blocked(struct kunit *test)
{
	struct vtd_pasid_cfg cfg = { .did = 11, .sl.levels = 4 };
	struct vtd_pasid_entry pe;
	struct xc *x = x_new(test);
	struct vtd_walk_result res;

	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_pt(&pe, &cfg), 0);
	x_install(x, &pe);
	x_walk(x, 0x123456789abcULL, RW, &res);
	KUNIT_EXPECT_EQ(test, res.fault, VTD_WALK_OK);
	KUNIT_EXPECT_EQ(test, (u64)res.phys, 0x123456789abcULL);
	KUNIT_EXPECT_EQ(test, res.pgtt, VTD_WALK_PGTT_PT);
	KUNIT_EXPECT_EQ(test, res.did, 11);
	/* Beyond the host address width (52 bits by default). */
	x_fault(x, BIT_ULL(52), R, VTD_WALK_ADDR_WIDTH);

	/* Blocked without FPD: P and FPD (bits 0 and 1) clear. */
	vtd_pasid_encode_blocked(&pe, false);
	x_install(x, &pe);
	KUNIT_EXPECT_EQ(test, x->pe->val[0] & 3, 0);
	x_fault(x, 0x1000, R, VTD_WALK_PASID_NP);

	/* Blocked with FPD: P clear, FPD set; still not present. */
	vtd_pasid_encode_blocked(&pe, true);
	x_install(x, &pe);
	KUNIT_EXPECT_EQ(test, x->pe->val[0] & 3, 2);
	x_fault(x, 0x1000, W, VTD_WALK_PASID_NP);

	/* And back to pass-through. */
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_pt(&pe, &cfg), 0);
	x_install(x, &pe);
	x_ok(x, 0x5000, W, 0x5000, SZ_4K,
	     VTD_WALK_PERM_READ | VTD_WALK_PERM_WRITE);
}

/* Guest-physical addresses of the nested test. */
#define G_ROOT		BIT_ULL(38)		/* the guest's FL root table */
#define G_BUF1		(BIT_ULL(38) | 0x200000)
#define G_BUF2		(BIT_ULL(38) | 0x400000)
#define G_IOVA		0x7f1234567000ULL	/* a guest virtual address */
#define G_IOVA2		0x7f1234568000ULL	/* the page after it */
#define G_IOVA3		0x7f1234569000ULL	/* not mapped */
#define G_ROOT2		(BIT_ULL(38) | 0x1000)

/*
 * The guest FL tables below the root sit where pgtable.c put them; the
 * nest parent maps each at the same guest-physical address, read-only.
 * The root is reached through G_ROOT only.
 */
static void x_map_fl_tables(struct kunit *test, struct vtd_pgtable *sl,
			    const u64 *table, unsigned int level)
{
	unsigned int i;

	if (level == 1)
		return;
	for (i = 0; i < 512; i++) {
		u64 e = table[i], pa = e & GENMASK_ULL(51, 12);

		if (!(e & 1) || (e & BIT_ULL(7)))
			continue;
		if (!vtd_pgtable_iova_to_phys(sl, pa))
			x_map(test, sl, pa, pa, SZ_4K, IOMMU_READ);
		x_map_fl_tables(test, sl, phys_to_virt(pa), level - 1);
	}
}

static void x_nested(struct kunit *test, unsigned int sl_levels,
		     unsigned int fl_levels)
{
	struct vtd_pgtable *sl = x_pgtable(test, VTD_PGTABLE_SL, sl_levels);
	struct vtd_pgtable *fl = x_pgtable(test, VTD_PGTABLE_FL, fl_levels);
	u64 *buf1 = x_page(test), *buf2 = x_page(test);
	u64 hpa1 = virt_to_phys(buf1), hpa2 = virt_to_phys(buf2);
	const unsigned int rwu = VTD_WALK_PERM_READ | VTD_WALK_PERM_WRITE |
				 VTD_WALK_PERM_USER;
	struct vtd_walk_result res;
	struct vtd_pasid_entry pe;
	struct vtd_pasid_cfg cfg;
	struct xc *x = x_new(test);
	u64 rootpa = vtd_pgtable_root_phys(fl);

	/* Guest: G_IOVA -> G_BUF1, and a read-only page after it. */
	x_map(test, fl, G_IOVA, G_BUF1, SZ_4K, IOMMU_READ | IOMMU_WRITE);
	x_map(test, fl, G_IOVA2, G_BUF2, SZ_4K, IOMMU_READ);
	/* Host: the guest's memory. */
	x_map(test, sl, G_ROOT, rootpa, SZ_4K, IOMMU_READ);
	x_map(test, sl, G_BUF1, hpa1, SZ_4K, IOMMU_READ | IOMMU_WRITE);
	x_map(test, sl, G_BUF2, hpa2, SZ_4K, IOMMU_READ | IOMMU_WRITE);
	x_map_fl_tables(test, sl, fl->root, fl->levels);
	/* The root must be reached through G_ROOT, not at its own address. */
	KUNIT_ASSERT_EQ(test, vtd_pgtable_iova_to_phys(sl, rootpa), 0);

	kunit_info(test, "%u-level first level over %u-level second level",
		   fl_levels, sl_levels);
	x_sl_cfg(&cfg, sl, 21);
	cfg.fl.pgd = G_ROOT;
	cfg.fl.levels = fl_levels;
	cfg.fl.sre = true;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_nested(&pe, &cfg), 0);
	x_install(x, &pe);

	x_walk(x, G_IOVA + 0x48, RW, &res);
	KUNIT_EXPECT_EQ(test, res.fault, VTD_WALK_OK);
	KUNIT_EXPECT_EQ(test, res.pgtt, VTD_WALK_PGTT_NESTED);
	KUNIT_EXPECT_EQ(test, res.did, 21);
	x_ok(x, G_IOVA + 0x48, RW, hpa1 + 0x48, SZ_4K, rwu);
	x_ok(x, G_IOVA2 + 8, R, hpa2 + 8, SZ_4K,
	     VTD_WALK_PERM_READ | VTD_WALK_PERM_USER);
	x_fault(x, G_IOVA2 + 8, W, VTD_WALK_FL_WRITE);
	x_fault(x, G_IOVA3, R, VTD_WALK_FL_NP);

	/* The guest changes its mapping: the answer follows. */
	x_unmap(test, fl, G_IOVA, SZ_4K);
	x_fault(x, G_IOVA + 0x48, R, VTD_WALK_FL_NP);
	x_map(test, fl, G_IOVA, G_BUF2, SZ_4K, IOMMU_READ | IOMMU_WRITE);
	x_ok(x, G_IOVA + 0x48, RW, hpa2 + 0x48, SZ_4K, rwu);

	/* The host takes the output page away: nested output fault. */
	x_unmap(test, sl, G_BUF2, SZ_4K);
	x_fault(x, G_IOVA + 0x48, R, VTD_WALK_NESTED_OUTPUT);
	x_map(test, sl, G_BUF2, hpa1, SZ_4K, IOMMU_READ);
	x_ok(x, G_IOVA + 0x48, R, hpa1 + 0x48, SZ_4K,
	     VTD_WALK_PERM_READ | VTD_WALK_PERM_USER);
	x_walk(x, G_IOVA + 0x48, W, &res);
	KUNIT_EXPECT_EQ(test, res.fault, VTD_WALK_NESTED_OUTPUT);
	KUNIT_EXPECT_EQ(test, res.sl_fault, VTD_WALK_SL_WRITE);

	/* The host takes the guest root away: nested table fault. */
	x_unmap(test, sl, G_ROOT, SZ_4K);
	x_walk(x, G_IOVA + 0x48, R, &res);
	KUNIT_EXPECT_EQ(test, res.fault, VTD_WALK_NESTED_TABLE);
	KUNIT_EXPECT_EQ(test, res.level, fl_levels);
	KUNIT_EXPECT_EQ(test, res.fault_addr, G_ROOT);
}

static void xcheck_nested(struct kunit *test)
{
	unsigned int sl_levels, fl_levels;

	for (sl_levels = 3; sl_levels <= 5; sl_levels++)
		for (fl_levels = 4; fl_levels <= 5; fl_levels++)
			x_nested(test, sl_levels, fl_levels);
}

/* Entry types of the replace test. */
enum {
	E_BLOCKED, E_BLOCKED_FPD, E_PT, E_SL_A, E_SL_A_DID, E_SL_B, E_SL_C,
	E_SL_D,
	E_FL_A, E_FL_A_DID, E_FL_B, E_FL_C, E_NESTED, E_NESTED_B,
	E_NESTED_B_DID, E_NR
};

static const char * const e_names[E_NR] = {
	"blocked", "blocked-fpd", "pt", "sl-a", "sl-a-did", "sl-b", "sl-c",
	"sl-d",
	"fl-a", "fl-a-did", "fl-b", "fl-c", "nested", "nested-b",
	"nested-b-did",
};

#define X_PROBE		0x40201000ULL

static bool x_same(const struct vtd_walk_result *a,
		   const struct vtd_walk_result *b)
{
	if (a->fault != b->fault)
		return false;
	if (a->fault != VTD_WALK_OK)
		return true;
	return a->phys == b->phys && a->page_size == b->page_size &&
	       a->perm == b->perm && a->pgtt == b->pgtt && a->did == b->did;
}

static void x_build_entries(struct kunit *test, struct vtd_pasid_entry *e)
{
	struct vtd_pgtable *sla = x_pgtable(test, VTD_PGTABLE_SL, 4);
	struct vtd_pgtable *slb = x_pgtable(test, VTD_PGTABLE_SL, 3);
	struct vtd_pgtable *fla = x_pgtable(test, VTD_PGTABLE_FL, 4);
	struct vtd_pgtable *flb = x_pgtable(test, VTD_PGTABLE_FL, 5);
	struct vtd_pgtable *parent = x_pgtable(test, VTD_PGTABLE_SL, 4);
	struct vtd_pgtable *guest = x_pgtable(test, VTD_PGTABLE_FL, 4);
	struct vtd_pgtable *guest2 = x_pgtable(test, VTD_PGTABLE_FL, 5);
	struct vtd_pgtable *slc = x_pgtable(test, VTD_PGTABLE_SL, 5);
	struct vtd_pgtable *sld = x_pgtable(test, VTD_PGTABLE_SL, 4);
	struct vtd_pgtable *flc = x_pgtable(test, VTD_PGTABLE_FL, 4);
	const int rw = IOMMU_READ | IOMMU_WRITE;
	struct vtd_pasid_cfg cfg = { .did = 1, .sl.levels = 4 };

	x_map(test, sla, X_PROBE, 0x111000, SZ_4K, rw);
	x_map(test, slb, X_PROBE, 0x222000, SZ_4K, IOMMU_READ);
	x_map(test, sld, X_PROBE, 0x777000, SZ_4K, rw);
	x_map(test, fla, X_PROBE, 0x333000, SZ_4K, rw);
	x_map(test, flb, X_PROBE, 0x444000, SZ_4K, IOMMU_READ);
	x_map(test, guest, X_PROBE, G_BUF1, SZ_4K, rw);
	x_map(test, parent, G_ROOT, vtd_pgtable_root_phys(guest), SZ_4K,
	      IOMMU_READ);
	x_map(test, parent, G_BUF1, 0x555000, SZ_4K, rw);
	x_map_fl_tables(test, parent, guest->root, guest->levels);
	x_map(test, guest2, X_PROBE & ~(SZ_2M - 1), G_BUF2, SZ_2M, rw);
	x_map(test, parent, G_ROOT2, vtd_pgtable_root_phys(guest2), SZ_4K,
	      IOMMU_READ);
	x_map(test, parent, G_BUF2, 0x40000000, SZ_2M, IOMMU_READ);
	x_map_fl_tables(test, parent, guest2->root, guest2->levels);
	x_map(test, slc, X_PROBE & ~(SZ_1G - 1), 0x80000000, SZ_1G, rw);
	x_map(test, flc, X_PROBE & ~(SZ_2M - 1), 0x600000, SZ_2M, IOMMU_WRITE);

	vtd_pasid_encode_blocked(&e[E_BLOCKED], false);
	vtd_pasid_encode_blocked(&e[E_BLOCKED_FPD], true);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_pt(&e[E_PT], &cfg), 0);
	x_sl_cfg(&cfg, sla, 2);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_sl(&e[E_SL_A], &cfg), 0);
	cfg.did = 12;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_sl(&e[E_SL_A_DID], &cfg), 0);
	x_sl_cfg(&cfg, slb, 3);
	cfg.fpd = true;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_sl(&e[E_SL_B], &cfg), 0);
	/* Only the table and the DID differ from sl-a. */
	x_sl_cfg(&cfg, sld, 22);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_sl(&e[E_SL_D], &cfg), 0);
	/* Every optional field set: they must not disturb the others. */
	x_sl_cfg(&cfg, slc, 0xffff);
	cfg.fpd = true;
	cfg.pwsnp = true;
	cfg.pgsnp = true;
	cfg.sl.dirty_tracking = true;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_sl(&e[E_SL_C], &cfg), 0);
	x_fl_cfg(&cfg, vtd_pgtable_root_phys(flc), 4, 0xfffe, true);
	cfg.pwsnp = true;
	cfg.pgsnp = true;
	cfg.fl.eafe = true;
	cfg.fl.cd = true;
	cfg.fl.emte = true;
	cfg.fl.emt = 7;
	cfg.fl.pwt = true;
	cfg.fl.pcd = true;
	cfg.fl.pat = 0xffffffff;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&e[E_FL_C], &cfg), 0);
	x_fl_cfg(&cfg, vtd_pgtable_root_phys(fla), 4, 4, false);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&e[E_FL_A], &cfg), 0);
	cfg.did = 14;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&e[E_FL_A_DID], &cfg), 0);
	x_fl_cfg(&cfg, vtd_pgtable_root_phys(flb), 5, 4, true);
	cfg.pwsnp = true;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&e[E_FL_B], &cfg), 0);
	x_sl_cfg(&cfg, parent, 5);
	cfg.fl.pgd = G_ROOT;
	cfg.fl.levels = 4;
	cfg.fl.sre = true;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_nested(&e[E_NESTED], &cfg), 0);
	cfg.fl.pgd = G_ROOT2;
	cfg.fl.levels = 5;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_nested(&e[E_NESTED_B], &cfg), 0);
	cfg.did = 15;
	cfg.fl.pat = 0x12345678;
	cfg.fl.wpe = true;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_nested(&e[E_NESTED_B_DID], &cfg),
			0);
}

/*
 * Check one recorded update: every entry the hardware may fetch must
 * translate the probe as the old or the new entry does, or fault as not
 * present when the writer said it tears down.  Between two syncs the
 * hardware may fetch each 128-bit piece from any state stored in that
 * interval (pieces 2 and 3 are reserved and stay zero, so pieces 0 and 1
 * are enough).
 */
static noinline void x_check_states(struct xc *x, unsigned int from,
				    unsigned int to, enum vtd_pasid_update kind,
				    bool atomic128,
				    const struct vtd_walk_result *ans)
{
	unsigned int bounds[X_MAX_SYNCS + 2], nb = 0, b, i, j, bad = 0;
	struct vtd_walk_result res;
	char line[160];

	bounds[nb++] = 0;
	for (b = 0; b < x->nr_syncs; b++)
		bounds[nb++] = x->syncs[b];
	bounds[nb++] = x->nr_states - 1;

	for (b = 0; b + 1 < nb; b++) {
		for (i = bounds[b]; i <= bounds[b + 1]; i++) {
			for (j = bounds[b]; j <= bounds[b + 1]; j++) {
				struct vtd_pasid_entry fetched = x->states[j];

				fetched.val[0] = x->states[i].val[0];
				fetched.val[1] = x->states[i].val[1];
				*x->pe = fetched;
				vtd_walk(&x->ctx, X_SID, X_PASID, X_PROBE, R,
					 &res);
				if (x_same(&res, &ans[from]) ||
				    x_same(&res, &ans[to]))
					continue;
				if (res.fault == VTD_WALK_PASID_NP &&
				    kind == VTD_PASID_UPDATE_TEARDOWN)
					continue;
				if (bad++)
					continue;
				vtd_walk_format(&res, line, sizeof(line));
				KUNIT_FAIL(x->test,
					   "%s -> %s (%s stores): piece 0 of state %u, piece 1 of state %u: %s",
					   e_names[from], e_names[to],
					   atomic128 ? "16-byte" : "8-byte",
					   i, j, line);
			}
		}
	}
}

static bool x_is_sl(unsigned int i)
{
	return i == E_SL_A || i == E_SL_A_DID || i == E_SL_B || i == E_SL_C ||
	       i == E_SL_D;
}

/* Replace: every pair of entry types, every state on the way. */
static void xcheck_replace(struct kunit *test)
{
	struct vtd_walk_result *ans;
	struct vtd_pasid_entry *e;
	unsigned int from, to, i;
	struct xc *x = x_new(test);
	int atomic128;

	e = kunit_kcalloc(test, E_NR, sizeof(*e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e);
	ans = kunit_kcalloc(test, E_NR, sizeof(*ans), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ans);
	x_build_entries(test, e);

	/* What each entry alone translates the probe to; all different. */
	for (i = 0; i < E_NR; i++) {
		*x->pe = e[i];
		vtd_walk(&x->ctx, X_SID, X_PASID, X_PROBE, R, &ans[i]);
		if (i == E_BLOCKED || i == E_BLOCKED_FPD)
			KUNIT_EXPECT_EQ(test, ans[i].fault, VTD_WALK_PASID_NP);
		else
			KUNIT_EXPECT_EQ_MSG(test, ans[i].fault, VTD_WALK_OK,
					    "%s", e_names[i]);
		for (from = E_PT; from < i; from++)
			KUNIT_EXPECT_FALSE_MSG(test, x_same(&ans[i], &ans[from]),
					       "%s %s", e_names[i],
					       e_names[from]);
	}
	KUNIT_EXPECT_EQ(test, (u64)ans[E_NESTED].phys, 0x555000);
	KUNIT_EXPECT_EQ(test, (u64)ans[E_NESTED_B].phys,
			0x40000000 | (X_PROBE & (SZ_2M - 1)));
	KUNIT_EXPECT_EQ(test, ans[E_NESTED_B].page_size, SZ_2M);
	KUNIT_EXPECT_EQ(test, (u64)ans[E_SL_C].phys,
			0x80000000 | (X_PROBE & (SZ_1G - 1)));
	KUNIT_EXPECT_EQ(test, ans[E_SL_C].did, 0xffff);
	KUNIT_EXPECT_EQ(test, (u64)ans[E_FL_C].phys,
			0x600000 | (X_PROBE & (SZ_2M - 1)));
	KUNIT_EXPECT_EQ(test, ans[E_FL_C].did, 0xfffe);
	KUNIT_EXPECT_EQ(test, (u64)ans[E_PT].phys, X_PROBE);

	for (atomic128 = 1; atomic128 >= 0; atomic128--) {
		for (from = 0; from < E_NR; from++) {
			for (to = 0; to < E_NR; to++) {
				enum vtd_pasid_update kind;

				*x->pe = e[from];
				x->states[0] = e[from];
				x->nr_states = 1;
				x->nr_syncs = 0;
				kind = __vtd_pasid_write_entry(&x->w, x->pe,
							       &e[to],
							       atomic128);
				KUNIT_EXPECT_EQ(test, x->overflow, 0);
				KUNIT_EXPECT_EQ_MSG(test,
						    memcmp(x->pe, &e[to],
							   sizeof(e[to])), 0,
						    "%s -> %s", e_names[from],
						    e_names[to]);
				x_check_states(x, from, to, kind, atomic128,
					       ans);
				if (atomic128 == system_has_cmpxchg128())
					KUNIT_EXPECT_EQ(test, kind,
							vtd_pasid_update_kind(&e[from],
									      &e[to]));
				if (from == to)
					KUNIT_EXPECT_EQ(test, x->nr_states, 1);
				/* Nothing to tear down when blocked already. */
				if (from <= E_BLOCKED_FPD)
					KUNIT_EXPECT_NE(test, kind,
							VTD_PASID_UPDATE_TEARDOWN);
				/* SL to SL fits in the first 128 bits. */
				if (atomic128 && x_is_sl(from) && x_is_sl(to))
					KUNIT_EXPECT_NE_MSG(test, kind,
							    VTD_PASID_UPDATE_TEARDOWN,
							    "%s -> %s",
							    e_names[from],
							    e_names[to]);
			}
		}
	}
}

static struct kunit_case xcheck_cases[] = {
	KUNIT_CASE(xcheck_sl),
	KUNIT_CASE(xcheck_fl),
	KUNIT_CASE(xcheck_pt_blocked),
	KUNIT_CASE(xcheck_nested),
	KUNIT_CASE(xcheck_replace),
	{}
};

static struct kunit_suite xcheck_suite = {
	.name = "vtd_sm_xcheck",
	.test_cases = xcheck_cases,
};

kunit_test_suite(xcheck_suite);

MODULE_DESCRIPTION("KUnit cross-check of vtd_sm's programming side against its walker");
MODULE_LICENSE("GPL");
