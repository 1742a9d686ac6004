// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the vtd_sm I/O page tables.
 */
#include <kunit/resource.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/module.h>

#include "pgtable.h"
#include "regs.h"

#define ALL_SIZES	(SZ_4K | SZ_2M | SZ_1G)

struct pt_param {
	const char *desc;
	enum vtd_pgtable_format format;
	unsigned int levels;
	unsigned int aw;
	unsigned long pgsizes;
};

static const struct pt_param pt_params[] = {
	{ "sl3", VTD_PGTABLE_SL, 3, 0, ALL_SIZES },
	{ "sl4", VTD_PGTABLE_SL, 4, 0, ALL_SIZES },
	{ "sl4-aw40-4k2m", VTD_PGTABLE_SL, 4, 40, SZ_4K | SZ_2M },
	{ "sl5", VTD_PGTABLE_SL, 5, 0, ALL_SIZES },
	{ "fl4", VTD_PGTABLE_FL, 4, 0, ALL_SIZES },
	{ "fl4-4k2m", VTD_PGTABLE_FL, 4, 0, SZ_4K | SZ_2M },
	{ "fl5", VTD_PGTABLE_FL, 5, 0, ALL_SIZES },
};

KUNIT_ARRAY_PARAM_DESC(pt, pt_params, desc);

static const struct pt_param pt_race_params[] = {
	{ "sl3", VTD_PGTABLE_SL, 3, 0, ALL_SIZES },
	{ "sl4", VTD_PGTABLE_SL, 4, 0, ALL_SIZES },
	{ "fl5", VTD_PGTABLE_FL, 5, 0, ALL_SIZES },
};

KUNIT_ARRAY_PARAM_DESC(pt_race, pt_race_params, desc);

static void pt_destroy_action(void *data)
{
	vtd_pgtable_destroy(data);
}

static struct vtd_pgtable *pt_new_flags(struct kunit *test, unsigned int flags)
{
	const struct pt_param *p = test->param_value;
	struct vtd_pgtable_cfg cfg = {
		.format = p->format,
		.levels = p->levels,
		.aw = p->aw,
		.pgsize_bitmap = p->pgsizes,
		.flags = flags,
		.nid = NUMA_NO_NODE,
	};
	struct vtd_pgtable *pt;

	pt = kunit_kzalloc(test, sizeof(*pt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pt);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_init(pt, &cfg, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pt_destroy_action,
							pt), 0);
	return pt;
}

static struct vtd_pgtable *pt_new(struct kunit *test)
{
	return pt_new_flags(test, 0);
}

static long pt_tables(struct vtd_pgtable *pt)
{
	return atomic_long_read(&pt->nr_tables);
}

/* Map and expect success; returns nothing, asserts. */
static void pt_map(struct kunit *test, struct vtd_pgtable *pt,
		   unsigned long iova, phys_addr_t pa, size_t pgsize,
		   size_t pgcount, int prot)
{
	size_t mapped = 0;

	KUNIT_ASSERT_EQ(test, vtd_pgtable_map_pages(pt, iova, pa, pgsize,
						    pgcount, prot, GFP_KERNEL,
						    &mapped), 0);
	KUNIT_ASSERT_EQ(test, mapped, pgsize * pgcount);
}

/* Unmap, free the detached tables and check they match the count. */
static size_t pt_unmap(struct kunit *test, struct vtd_pgtable *pt,
		       unsigned long iova, size_t pgsize, size_t pgcount)
{
	struct iommu_iotlb_gather gather;
	long before = pt_tables(pt);
	size_t ret;

	iommu_iotlb_gather_init(&gather);
	ret = vtd_pgtable_unmap_pages(pt, iova, pgsize, pgcount, &gather);
	KUNIT_EXPECT_EQ(test, (long)list_count_nodes(&gather.freelist),
			before - pt_tables(pt));
	vtd_pgtable_put_pages(&gather.freelist);
	return ret;
}

/* Unmap the whole address space: every table but the root goes. */
static size_t pt_unmap_all(struct kunit *test, struct vtd_pgtable *pt)
{
	size_t ret = pt_unmap(test, pt, 0, SZ_4K, BIT_ULL(pt->aw - PAGE_SHIFT));

	KUNIT_EXPECT_EQ(test, pt_tables(pt), 1);
	return ret;
}

static unsigned int pt_level_of(size_t pgsize)
{
	return (ilog2(pgsize) - PAGE_SHIFT) / 9 + 1;
}

static void pt_test_init(struct kunit *test)
{
	const struct pt_param *p = test->param_value;
	struct vtd_pgtable *pt = pt_new(test);
	unsigned int i;

	KUNIT_EXPECT_EQ(test, pt_tables(pt), 1);
	/* First level keeps IOVAs canonical: one bit less. */
	KUNIT_EXPECT_EQ(test, pt->aw,
			p->aw ?: 9 * p->levels + 12 - (p->format == VTD_PGTABLE_FL));
	KUNIT_EXPECT_EQ(test, pt->levels, p->levels);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_root_phys(pt) & (PAGE_SIZE - 1), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_root_phys(pt), virt_to_phys(pt->root));
	for (i = 0; i < 512; i++)
		KUNIT_EXPECT_EQ(test, pt->root[i], 0);
	KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), 0);
}

static void pt_test_init_invalid(struct kunit *test)
{
	struct vtd_pgtable_cfg good = {
		.format = VTD_PGTABLE_SL,
		.levels = 4,
		.pgsize_bitmap = ALL_SIZES,
		.nid = NUMA_NO_NODE,
	};
	struct vtd_pgtable_cfg cfg;
	struct vtd_pgtable pt = {};

	cfg = good;
	cfg.levels = 2;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), -EINVAL);
	cfg.levels = 6;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), -EINVAL);
	cfg = good;
	cfg.format = VTD_PGTABLE_FL;
	cfg.levels = 3;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), -EINVAL);
	cfg = good;
	cfg.format = 7;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), -EINVAL);
	cfg = good;
	cfg.aw = 49;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), -EINVAL);
	cfg.aw = 12;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), -EINVAL);
	cfg = good;
	cfg.pgsize_bitmap = SZ_2M;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), -EINVAL);
	cfg.pgsize_bitmap = SZ_4K | SZ_1G;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), -EINVAL);
	cfg.pgsize_bitmap = SZ_4K | SZ_8K;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), -EINVAL);
	cfg = good;
	cfg.flags = BIT(5);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), -EINVAL);
	cfg = good;
	cfg.format = VTD_PGTABLE_FL;
	cfg.aw = 48;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), -EINVAL);
	cfg.levels = 5;
	cfg.aw = 57;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_NULL(test, pt.root);

	/* The largest valid ones work. */
	cfg.aw = 56;
	KUNIT_ASSERT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), 0);
	vtd_pgtable_destroy(&pt);
	cfg = good;
	cfg.aw = 48;
	KUNIT_ASSERT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, pt.aw, 48);
	vtd_pgtable_destroy(&pt);
	KUNIT_EXPECT_NULL(test, pt.root);
}

static void pt_test_cap_pgsizes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vtd_pgtable_sl_pgsizes(0), SZ_4K);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_sl_pgsizes(FIELD_PREP(VTD_CAP_SLLPS, 1)),
			SZ_4K | SZ_2M);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_sl_pgsizes(FIELD_PREP(VTD_CAP_SLLPS, 3)),
			ALL_SIZES);
	/* 1GiB without 2MiB is not a valid SLLPS; do not offer it. */
	KUNIT_EXPECT_EQ(test, vtd_pgtable_sl_pgsizes(FIELD_PREP(VTD_CAP_SLLPS, 2)),
			SZ_4K);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_fl_pgsizes(0), SZ_4K | SZ_2M);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_fl_pgsizes(VTD_CAP_FL1GP), ALL_SIZES);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_fl_pgsizes(VTD_CAP_SLLPS), SZ_4K | SZ_2M);
}

/* Map/unmap/translate two pages of each size the table allows. */
static void pt_test_sizes(struct kunit *test)
{
	struct vtd_pgtable *pt = pt_new(test);
	unsigned long bit;

	for_each_set_bit(bit, &pt->pgsize_bitmap, BITS_PER_LONG) {
		size_t sz = BIT(bit);
		unsigned int level = pt_level_of(sz);
		unsigned long iova = 5 * sz;
		phys_addr_t pa = 7 * (u64)sz;
		unsigned int got_level;
		u64 pte;

		pt_map(test, pt, iova, pa, sz, 2, IOMMU_READ | IOMMU_WRITE);
		KUNIT_EXPECT_EQ(test, pt_tables(pt), 1 + pt->levels - level);
		KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, iova + sz, &pte,
							 &got_level), 0);
		KUNIT_EXPECT_EQ(test, got_level, level);
		KUNIT_EXPECT_EQ(test, !!(pte & VTD_PTE_PS), level > 1);
		KUNIT_EXPECT_EQ(test, pte & VTD_PTE_ADDR, pa + sz);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, iova), pa);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, iova + sz / 2 + 8),
				pa + sz / 2 + 8);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, iova + sz + 123),
				pa + sz + 123);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, iova + 2 * sz - 1),
				pa + 2 * sz - 1);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, iova + 2 * sz), 0);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, iova - 1), 0);

		KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, iova, sz, 2), 2 * sz);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, iova), 0);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, iova + sz), 0);
		/* Nothing left to count, but the tables go. */
		KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), 0);
	}
}

/* A 2MiB page followed by a 4KiB page, unmapped in one call. */
static void pt_test_span(struct kunit *test)
{
	struct vtd_pgtable *pt = pt_new(test);
	unsigned long x = SZ_1G + 3 * SZ_2M;
	phys_addr_t pa = 0x40000000ULL + 5 * SZ_2M;

	pt_map(test, pt, x, pa, SZ_2M, 1, IOMMU_READ | IOMMU_WRITE);
	pt_map(test, pt, x + SZ_2M, pa + SZ_2M, SZ_4K, 1, IOMMU_READ);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + SZ_2M - 1),
			pa + SZ_2M - 1);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + SZ_2M + 5),
			pa + SZ_2M + 5);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + SZ_2M + SZ_4K), 0);

	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, x, SZ_4K, 513), 513 * SZ_4K);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), 0);
}

static void pt_test_partial(struct kunit *test)
{
	struct vtd_pgtable *pt = pt_new(test);
	struct iommu_iotlb_gather gather;
	unsigned long x = SZ_1G;
	unsigned long y = SZ_1G + 8 * SZ_2M;
	phys_addr_t pa = 0x12345000;
	unsigned int i;

	pt_map(test, pt, x, pa, SZ_4K, 16, IOMMU_READ | IOMMU_WRITE);
	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, x + 4 * SZ_4K, SZ_4K, 4),
			4 * SZ_4K);
	for (i = 0; i < 16; i++) {
		phys_addr_t want = (i >= 4 && i < 8) ? 0 : pa + i * SZ_4K;

		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + i * SZ_4K),
				want);
	}
	/* Again: nothing is left there. */
	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, x + 4 * SZ_4K, SZ_4K, 4), 0);
	/* The hole can be mapped again. */
	pt_map(test, pt, x + 4 * SZ_4K, pa, SZ_4K, 4, IOMMU_READ);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + 5 * SZ_4K),
			pa + SZ_4K);

	/* Unmapping part of a superpage removes all of it. */
	pt_map(test, pt, y, pa & ~(u64)(SZ_2M - 1), SZ_2M, 1, IOMMU_READ);
	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, y, SZ_4K, 1), SZ_2M);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, y + SZ_1M), 0);

	/* Also from inside it; the gathered range is the whole superpage. */
	pt_map(test, pt, y, 0, SZ_2M, 1, IOMMU_READ);
	iommu_iotlb_gather_init(&gather);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_unmap_pages(pt, y + 3 * SZ_4K, SZ_4K,
						      1, &gather), SZ_2M);
	KUNIT_EXPECT_EQ(test, gather.start, y);
	KUNIT_EXPECT_EQ(test, gather.end, y + SZ_2M - 1);
	KUNIT_EXPECT_TRUE(test, list_empty(&gather.freelist));
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, y), 0);

	KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), 16 * SZ_4K);
}

static void pt_test_unmap_unmapped(struct kunit *test)
{
	struct vtd_pgtable *pt = pt_new(test);
	unsigned long x = SZ_2G + 16 * SZ_4K;

	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, 0, SZ_4K, 1), 0);
	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, x, SZ_2M, 4), 0);
	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, BIT_ULL(pt->aw), SZ_4K, 1), 0);

	pt_map(test, pt, x, 0x1000, SZ_4K, 1, IOMMU_READ);
	pt_map(test, pt, x + 2 * SZ_4K, 0x3000, SZ_4K, 1, IOMMU_READ);
	/* A hole between two mappings. */
	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, x + SZ_4K, SZ_4K, 1), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x), 0x1000);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + 2 * SZ_4K), 0x3000);
	/* A range with the hole in the middle counts what was there. */
	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, x, SZ_4K, 3), 2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), 0);
}

static void pt_test_eexist(struct kunit *test)
{
	struct vtd_pgtable *pt = pt_new(test);
	unsigned long x = 513 * SZ_2M;	/* 1G + 2M */
	unsigned long z = SZ_1G + 16 * SZ_2M;
	unsigned int level, level2;
	size_t mapped = 0;
	u64 pte, pte2;
	long tables;

	pt_map(test, pt, x + 2 * SZ_4K, 0x5000, SZ_4K, 1, IOMMU_READ);
	pt_map(test, pt, z, SZ_2M, SZ_2M, 1, IOMMU_WRITE);
	tables = pt_tables(pt);

	/* 4K pages over an existing 4K page: nothing new is mapped. */
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, x, 0x10000, SZ_4K, 4,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, mapped, 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + 3 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + 2 * SZ_4K), 0x5000);

	/* A superpage over a table holding a leaf. */
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, x, 0, SZ_2M, 1,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -EEXIST);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, x + 2 * SZ_4K, &pte,
						 &level), 0);
	KUNIT_EXPECT_EQ(test, level, 1);

	/* Into, and again over, a superpage. */
	KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, z, &pte, &level), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, z + SZ_4K, 0, SZ_4K, 1,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, z, 0, SZ_2M, 1,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -EEXIST);
	/* A range that starts free and runs into the superpage. */
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, z - SZ_2M, 0, SZ_2M, 2,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, z - SZ_2M), 0);
	if (pt->pgsize_bitmap & SZ_1G)
		KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, SZ_1G, 0, SZ_1G,
							    1, IOMMU_READ,
							    GFP_KERNEL,
							    &mapped), -EEXIST);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, z, &pte2, &level2), 0);
	KUNIT_EXPECT_EQ(test, pte2, pte);
	KUNIT_EXPECT_EQ(test, level2, 2);
	KUNIT_EXPECT_EQ(test, mapped, 0);
	KUNIT_EXPECT_EQ(test, pt_tables(pt), tables);

	KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), 513 * SZ_4K);
}

/*
 * Ranges whose leaves lie in one table take a single walk: the leaves,
 * with their addresses and PS, up to the last slot of the table; the
 * tables published on the way; a range one slot longer, across two
 * tables, takes the general path and gives the same leaves.
 */
static void pt_test_one_table(struct kunit *test)
{
	struct vtd_pgtable *pt = pt_new(test);
	size_t sizes[] = { SZ_4K, SZ_2M };
	unsigned int i, k;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t sz = sizes[i];
		unsigned int level = pt_level_of(sz);
		u64 span = (u64)sz * 512;
		/* 3 * 512 GiB: a top-level slot of its own on every format */
		unsigned long base = 3 * BIT_ULL(39) + (i ? SZ_1G : 0);
		unsigned long iova = base + span - 3 * sz;
		phys_addr_t pa = 64 * (u64)SZ_1G;
		long tables = pt_tables(pt);
		unsigned int lvl;
		u64 pte;

		if (BIT_ULL(pt->aw) <= base + 2 * span) {
			base = i ? SZ_1G : 0;
			iova = base + span - 3 * sz;
		}
		/* The last three slots of one table. */
		pt_map(test, pt, iova, pa, sz, 3, IOMMU_READ | IOMMU_WRITE);
		KUNIT_EXPECT_LE(test, pt_tables(pt) - tables,
				(long)(pt->levels - level));
		for (k = 0; k < 3; k++) {
			KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, iova + k * sz,
								 &pte, &lvl), 0);
			KUNIT_EXPECT_EQ(test, lvl, level);
			KUNIT_EXPECT_EQ(test, !!(pte & VTD_PTE_PS), level > 1);
			KUNIT_EXPECT_EQ(test,
					vtd_pgtable_iova_to_phys(pt, iova + k * sz + 8),
					pa + k * sz + 8);
		}
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, iova - 1), 0);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, iova + 3 * sz), 0);
		KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, iova, sz, 3), 3 * sz);

		/* Across the end of the table: two tables. */
		pt_map(test, pt, iova, pa, sz, 4, IOMMU_READ);
		for (k = 0; k < 4; k++)
			KUNIT_EXPECT_EQ(test,
					vtd_pgtable_iova_to_phys(pt, iova + k * sz),
					pa + k * sz);
		KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, iova, sz, 4), 4 * sz);
	}
	pt_unmap_all(test, pt);
}

static void pt_test_superpage(struct kunit *test)
{
	struct vtd_pgtable *pt = pt_new(test);
	unsigned long s = 4 * (u64)SZ_1G;
	unsigned int level;
	size_t mapped = 0;
	long tables;
	u64 pte;

	if (pt->pgsize_bitmap & SZ_1G) {
		pt_map(test, pt, s, SZ_1G, SZ_1G, 1, IOMMU_READ);
		KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, s + 5, &pte, &level), 0);
		KUNIT_EXPECT_EQ(test, level, 3);
		KUNIT_EXPECT_TRUE(test, pte & VTD_PTE_PS);
		KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, s, SZ_1G, 1), SZ_1G);
	}
	pt_map(test, pt, s, SZ_2M, SZ_2M, 1, IOMMU_READ);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, s + 5, &pte, &level), 0);
	KUNIT_EXPECT_EQ(test, level, 2);
	KUNIT_EXPECT_TRUE(test, pte & VTD_PTE_PS);
	pt_map(test, pt, s + SZ_2M, SZ_2M, SZ_4K, 1, IOMMU_READ);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, s + SZ_2M, &pte, &level), 0);
	KUNIT_EXPECT_EQ(test, level, 1);
	KUNIT_EXPECT_FALSE(test, pte & VTD_PTE_PS);

	/*
	 * The 4K table at s + 2M stays after its only page goes; a 2M map
	 * there fills it with 4K leaves instead of failing.
	 */
	tables = pt_tables(pt);
	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, s + SZ_2M, SZ_4K, 1), SZ_4K);
	KUNIT_EXPECT_EQ(test, pt_tables(pt), tables);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, s + SZ_2M, 3 * SZ_2M,
						    SZ_2M, 1, IOMMU_READ,
						    GFP_KERNEL, &mapped), 0);
	KUNIT_EXPECT_EQ(test, mapped, SZ_2M);
	KUNIT_EXPECT_EQ(test, pt_tables(pt), tables);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, s + SZ_2M + SZ_1M, &pte,
						 &level), 0);
	KUNIT_EXPECT_EQ(test, level, 1);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, s + SZ_2M + SZ_1M + 5),
			3 * SZ_2M + SZ_1M + 5);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, s + 2 * SZ_2M - 1),
			4 * SZ_2M - 1);
	/* Unmapping the whole 2M span frees that table. */
	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, s + SZ_2M, SZ_2M, 1), SZ_2M);
	KUNIT_EXPECT_EQ(test, pt_tables(pt), tables - 1);
	KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), SZ_2M);
}

static void pt_test_address_width(struct kunit *test)
{
	struct vtd_pgtable *pt = pt_new(test);
	unsigned long top = BIT_ULL(pt->aw);
	size_t mapped = 0;

	pt_map(test, pt, top - SZ_4K, 0x7000, SZ_4K, 1, IOMMU_READ);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, top - 1), 0x7fff);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, top), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, top, 0, SZ_4K, 1,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, ULONG_MAX & PAGE_MASK,
						    0, SZ_4K, 1, IOMMU_READ,
						    GFP_KERNEL, &mapped),
			-EINVAL);
	/* Crossing the top: rejected whole. */
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, top - 2 * SZ_4K, 0,
						    SZ_4K, 3, IOMMU_READ,
						    GFP_KERNEL, &mapped),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, top - 2 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, top - SZ_2M, 0, SZ_2M, 2,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, top - 2 * SZ_4K, 0,
						    SZ_4K, SIZE_MAX / 2,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -EINVAL);

	/* Other bad arguments. */
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, 0, BIT_ULL(52), SZ_4K,
						    1, IOMMU_READ, GFP_KERNEL,
						    &mapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, SZ_4K, 0, SZ_2M, 1,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, 0, SZ_4K, SZ_2M, 1,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, 0, 0, SZ_8K, 1,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, 0, 0, SZ_4K, 1,
						    IOMMU_CACHE, GFP_KERNEL,
						    &mapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, 0, 0, SZ_4K, 0,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -EINVAL);
	if (!(pt->pgsize_bitmap & SZ_1G))
		KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, 0, 0, SZ_1G, 1,
							    IOMMU_READ,
							    GFP_KERNEL,
							    &mapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, mapped, 0);
	KUNIT_EXPECT_EQ(test, pt_tables(pt), 1 + pt->levels - 1);
	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, top, SZ_4K, 1), 0);
	KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), SZ_4K);
}

/* Raw leaf and table entries for each protection, both formats. */
static void pt_test_entry_bits(struct kunit *test)
{
	struct vtd_pgtable *pt = pt_new(test);
	bool fl = pt->format == VTD_PGTABLE_FL;
	static const int prots[] = {
		IOMMU_READ, IOMMU_WRITE, IOMMU_READ | IOMMU_WRITE,
		IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE | IOMMU_NOEXEC,
	};
	const u64 sl_want[] = { 0x1, 0x2, 0x3, 0x3 };
	/* P|US|A, plus RW|D when writable: write-only is readable here. */
	const u64 fl_want[] = { 0x25, 0x67, 0x67, 0x67 };
	unsigned long x = SZ_1G;
	unsigned int i, level;
	u64 pte, top;

	for (i = 0; i < ARRAY_SIZE(prots); i++) {
		u64 want = fl ? fl_want[i] : sl_want[i];
		phys_addr_t pa = 0xabcde000ULL + i * SZ_4K;

		pt_map(test, pt, x + i * SZ_4K, pa, SZ_4K, 1, prots[i]);
		KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, x + i * SZ_4K, &pte,
							 &level), 0);
		KUNIT_EXPECT_EQ(test, pte, pa | want);

		pt_map(test, pt, x + (i + 1) * SZ_2M, (i + 1) * SZ_2M, SZ_2M, 1,
		       prots[i]);
		KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, x + (i + 1) * SZ_2M,
							 &pte, &level), 0);
		KUNIT_EXPECT_EQ(test, pte, (i + 1) * SZ_2M | VTD_PTE_PS | want);
	}

	/* The entry in the root that leads to x points to a table. */
	top = pt->root[(x >> (12 + 9 * (pt->levels - 1))) & 511];
	KUNIT_EXPECT_EQ(test, top & ~VTD_PTE_ADDR, fl ? 0x27ULL : 0x3ULL);
	KUNIT_EXPECT_NE(test, top & VTD_PTE_ADDR, 0);
	KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), 4 * 513 * SZ_4K);
}

static void pt_test_snoop_bit(struct kunit *test)
{
	struct vtd_pgtable *pt = pt_new_flags(test, VTD_PGTABLE_SNOOP_CTRL);
	bool fl = pt->format == VTD_PGTABLE_FL;
	unsigned int level;
	u64 pte;

	pt_map(test, pt, 0, 0x9000, SZ_4K, 1,
	       IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, 0, &pte, &level), 0);
	/* SNP is a second-level bit; first level snoops per PASID entry. */
	KUNIT_EXPECT_EQ(test, pte, 0x9000 | (fl ? 0x67ULL : 0x803ULL));
	pt_map(test, pt, SZ_4K, 0x9000, SZ_4K, 1, IOMMU_READ);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_lookup(pt, SZ_4K, &pte, &level), 0);
	KUNIT_EXPECT_EQ(test, pte, 0x9000 | (fl ? 0x25ULL : 0x1ULL));
	KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), 2 * SZ_4K);
}

/*
 * A unit that does not snoop: entries are written back with clflush.  The
 * table is destroyed with mappings still in it; kmemleak checks that every
 * table page went back.
 */
static void pt_test_noncoherent_destroy(struct kunit *test)
{
	struct vtd_pgtable *pt = pt_new_flags(test, VTD_PGTABLE_NONCOHERENT);
	unsigned long x = 3 * (u64)SZ_1G;

	pt_map(test, pt, x, 0x200000, SZ_4K, 700, IOMMU_READ | IOMMU_WRITE);
	pt_map(test, pt, x + 4 * SZ_2M, 0x400000, SZ_2M, 3, IOMMU_READ);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + 699 * SZ_4K + 1),
			0x200000 + 699 * SZ_4K + 1);
	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, x, SZ_4K, 10), 10 * SZ_4K);
	KUNIT_EXPECT_EQ(test, pt_unmap(test, pt, x + SZ_2M, SZ_2M, 1),
			188 * SZ_4K);
	KUNIT_EXPECT_EQ(test, pt_tables(pt), pt->levels);

	vtd_pgtable_destroy(pt);
	KUNIT_EXPECT_NULL(test, pt->root);
	KUNIT_EXPECT_EQ(test, pt_tables(pt), 0);
	/* The cleanup action destroys it again: that must be harmless. */
}

/* Allocation failures, made by a static stub on the table allocator. */
struct pt_fail {
	int calls;
	int fail_at;
};

static struct page *pt_alloc_stub(struct vtd_pgtable *pt, gfp_t gfp)
{
	struct kunit *test = kunit_get_current_test();
	struct pt_fail *f = test->priv;

	if (++f->calls == f->fail_at)
		return NULL;
	return alloc_pages_node(pt->nid, gfp | __GFP_ZERO, 0);
}

static void pt_test_enomem(struct kunit *test)
{
	const struct pt_param *p = test->param_value;
	struct vtd_pgtable *pt = pt_new(test);
	struct vtd_pgtable_cfg cfg = {
		.format = p->format,
		.levels = p->levels,
		.pgsize_bitmap = p->pgsizes,
		.nid = NUMA_NO_NODE,
	};
	/* Two 4K pages at the end of one 2M span, two in the next. */
	unsigned long x = 513 * SZ_2M - 2 * SZ_4K;
	struct pt_fail f = {};
	struct vtd_pgtable pt2 = {};
	unsigned int i;
	size_t mapped;

	test->priv = &f;
	kunit_activate_static_stub(test, vtd_pgtable_alloc_table, pt_alloc_stub);

	/* The table for the second 2M span fails: the first two stay. */
	f.fail_at = pt->levels;
	mapped = 0;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, x, 0x100000, SZ_4K, 4,
						    IOMMU_READ, GFP_KERNEL,
						    &mapped), -ENOMEM);
	KUNIT_EXPECT_EQ(test, f.calls, pt->levels);
	KUNIT_EXPECT_EQ(test, mapped, 2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x), 0x100000);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + SZ_4K), 0x101000);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + 2 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + 3 * SZ_4K), 0);
	/* No empty table was left for the second span. */
	KUNIT_EXPECT_EQ(test, pt_tables(pt), pt->levels);
	KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), 2 * SZ_4K);

	/* Each allocation of the first chain fails in turn: nothing is left. */
	for (i = 1; i < pt->levels; i++) {
		f.calls = 0;
		f.fail_at = i;
		mapped = 0;
		KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(pt, x, 0x100000,
							    SZ_4K, 4, IOMMU_READ,
							    GFP_KERNEL, &mapped),
				-ENOMEM);
		KUNIT_EXPECT_EQ(test, mapped, 0);
		KUNIT_EXPECT_EQ(test, pt_tables(pt), 1);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x), 0);
		KUNIT_EXPECT_EQ(test, pt->root[(x >> (12 + 9 * (pt->levels - 1))) & 511],
				0);
	}

	/* Failing the root fails init. */
	f.calls = 0;
	f.fail_at = 1;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_init(&pt2, &cfg, GFP_KERNEL), -ENOMEM);
	KUNIT_EXPECT_NULL(test, pt2.root);

	/* With allocations working again the same map succeeds. */
	kunit_deactivate_static_stub(test, vtd_pgtable_alloc_table);
	pt_map(test, pt, x, 0x100000, SZ_4K, 4, IOMMU_READ);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, x + 3 * SZ_4K),
			0x103000);
	KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), 4 * SZ_4K);
}

/*
 * Two threads map and unmap disjoint ranges that share tables, so they race
 * to install the same new tables; each also frees tables in a private range.
 */
#define RACE_ITERS	48
#define RACE_CHUNK	16

struct pt_race {
	struct vtd_pgtable *pt;
	unsigned int id;
	unsigned int errors;
	unsigned long bad_iova;
	struct completion done;
};

static void pt_race_fail(struct pt_race *r, unsigned long iova)
{
	if (!r->errors++)
		r->bad_iova = iova;
}

static int pt_race_thread(void *data)
{
	struct pt_race *r = data;
	struct vtd_pgtable *pt = r->pt;
	unsigned long priv = 2 * (u64)SZ_1G + r->id * 256 * SZ_2M;
	struct iommu_iotlb_gather gather;
	unsigned int i, j;

	iommu_iotlb_gather_init(&gather);
	for (i = 0; i < RACE_ITERS; i++) {
		/* Thread n owns half n of this 2M span. */
		unsigned long base = SZ_1G + i * SZ_2M + r->id * SZ_1M;
		unsigned long p = priv + i * SZ_2M;
		size_t mapped = 0;

		for (j = 0; j < SZ_1M / SZ_4K; j += RACE_CHUNK) {
			unsigned long iova = base + j * SZ_4K;

			if (vtd_pgtable_map_pages(pt, iova, iova, SZ_4K,
						  RACE_CHUNK, IOMMU_READ,
						  GFP_KERNEL, &mapped))
				pt_race_fail(r, iova);
		}
		if (mapped != SZ_1M)
			pt_race_fail(r, base);
		for (j = 0; j < SZ_1M / SZ_4K; j++)
			if (vtd_pgtable_iova_to_phys(pt, base + j * SZ_4K) !=
			    base + j * SZ_4K)
				pt_race_fail(r, base + j * SZ_4K);
		/* Keep the second half; tables only partly covered stay. */
		if (vtd_pgtable_unmap_pages(pt, base, SZ_4K, 128, &gather) !=
		    SZ_512K)
			pt_race_fail(r, base);

		/* Private: a table filled and freed, and a superpage. */
		mapped = 0;
		if (vtd_pgtable_map_pages(pt, p, 0, SZ_4K, 512, IOMMU_WRITE,
					  GFP_KERNEL, &mapped) ||
		    vtd_pgtable_unmap_pages(pt, p, SZ_2M, 1, &gather) != SZ_2M)
			pt_race_fail(r, p);
		if (vtd_pgtable_map_pages(pt, p, 0, SZ_2M, 1, IOMMU_WRITE,
					  GFP_KERNEL, &mapped) ||
		    vtd_pgtable_unmap_pages(pt, p, SZ_2M, 1, &gather) != SZ_2M)
			pt_race_fail(r, p);
		vtd_pgtable_put_pages(&gather.freelist);
		cond_resched();
	}
	kthread_complete_and_exit(&r->done, 0);
}

static void pt_test_concurrent(struct kunit *test)
{
	struct vtd_pgtable *pt = pt_new(test);
	struct pt_race race[2];
	struct task_struct *tsk;
	unsigned int t, i;

	for (t = 0; t < ARRAY_SIZE(race); t++) {
		race[t] = (struct pt_race){ .pt = pt, .id = t };
		init_completion(&race[t].done);
	}
	for (t = 0; t < ARRAY_SIZE(race); t++) {
		tsk = kthread_run(pt_race_thread, &race[t], "vtd_pt_race%u", t);
		KUNIT_ASSERT_FALSE(test, IS_ERR(tsk));
	}
	for (t = 0; t < ARRAY_SIZE(race); t++) {
		wait_for_completion(&race[t].done);
		KUNIT_EXPECT_EQ_MSG(test, race[t].errors, 0,
				    "thread %u first failed at %#lx", t,
				    race[t].bad_iova);
	}

	/* What stays: the second half of each thread's 1M, in both halves. */
	for (i = 0; i < RACE_ITERS; i++) {
		unsigned long base = SZ_1G + i * SZ_2M;

		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, base), 0);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, base + SZ_512K),
				base + SZ_512K);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_iova_to_phys(pt, base + SZ_1M), 0);
		KUNIT_EXPECT_EQ(test,
				vtd_pgtable_iova_to_phys(pt, base + SZ_1M + SZ_512K),
				base + SZ_1M + SZ_512K);
	}
	/*
	 * One 4K table per shared 2M span, one table per level above; the
	 * private 4K tables were freed, and their 2M table (level 2) stays.
	 */
	KUNIT_EXPECT_EQ(test, pt_tables(pt),
			1 + (pt->levels - 2) + RACE_ITERS + 1);
	KUNIT_EXPECT_EQ(test, pt_unmap_all(test, pt), RACE_ITERS * SZ_1M);
}

static struct kunit_case vtd_pgtable_test_cases[] = {
	KUNIT_CASE_PARAM(pt_test_init, pt_gen_params),
	KUNIT_CASE(pt_test_init_invalid),
	KUNIT_CASE(pt_test_cap_pgsizes),
	KUNIT_CASE_PARAM(pt_test_sizes, pt_gen_params),
	KUNIT_CASE_PARAM(pt_test_span, pt_gen_params),
	KUNIT_CASE_PARAM(pt_test_partial, pt_gen_params),
	KUNIT_CASE_PARAM(pt_test_unmap_unmapped, pt_gen_params),
	KUNIT_CASE_PARAM(pt_test_eexist, pt_gen_params),
	KUNIT_CASE_PARAM(pt_test_one_table, pt_gen_params),
	KUNIT_CASE_PARAM(pt_test_superpage, pt_gen_params),
	KUNIT_CASE_PARAM(pt_test_address_width, pt_gen_params),
	KUNIT_CASE_PARAM(pt_test_entry_bits, pt_gen_params),
	KUNIT_CASE_PARAM(pt_test_snoop_bit, pt_gen_params),
	KUNIT_CASE_PARAM(pt_test_noncoherent_destroy, pt_gen_params),
	KUNIT_CASE_PARAM(pt_test_enomem, pt_gen_params),
	KUNIT_CASE_PARAM(pt_test_concurrent, pt_race_gen_params),
	{}
};

static struct kunit_suite vtd_pgtable_test_suite = {
	.name = "vtd_sm_pgtable",
	.test_cases = vtd_pgtable_test_cases,
};

kunit_test_suite(vtd_pgtable_test_suite);

MODULE_DESCRIPTION("KUnit tests for the vtd_sm I/O page tables");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
