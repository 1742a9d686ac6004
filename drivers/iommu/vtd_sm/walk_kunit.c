// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the VT-d scalable-mode walker.
 *
 * Every structure is built here in ordinary kernel pages with the bit
 * positions of the VT-d specification written out as plain shifts, not
 * with the walker's definitions, so that a wrong bit on either side makes
 * a test fail.
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "walk.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define T_MAX_TABLES	64
#define T_SID		((0x03 << 8) | (0x02 << 3) | 0x1)	/* 03:02.1 */
#define T_SID_HI	((0x03 << 8) | (0x12 << 3) | 0x4)	/* 03:12.4, devfn 0x94 */
#define T_DID		0x1234

/* An address space whose tables the test builds: host or guest-physical. */
struct t_as {
	struct kunit *test;
	u64 *sl_top;		/* guest: the second level mapping it */
	unsigned int sl_levels;
	u64 next_gpa;
	unsigned int nr;
	u64 addr[T_MAX_TABLES];
	u64 *va[T_MAX_TABLES];
};

static u64 *t_page(struct kunit *test)
{
	u64 *p = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED((unsigned long)p, PAGE_SIZE));
	return p;
}

static u64 t_pa(void *p)
{
	return virt_to_phys(p);
}

/* Second-level map, leaf at @level with the R/W bits in @rw. */
static void t_sl_map(struct kunit *test, u64 *top, unsigned int levels,
		     u64 iova, u64 out, unsigned int level, u64 rw)
{
	u64 *t = top;
	unsigned int l;

	for (l = levels; l > level; l--) {
		unsigned int i = (iova >> (12 + 9 * (l - 1))) & 511;

		if (!(t[i] & 3))
			t[i] = t_pa(t_page(test)) | 3;
		t = phys_to_virt(t[i] & GENMASK_ULL(51, 12));
	}
	t[(iova >> (12 + 9 * (level - 1))) & 511] =
		out | rw | (level > 1 ? 1ULL << 7 : 0);
}

/* Find the entry of @level mapping @iova (the tables must exist). */
static u64 *t_sl_entry(u64 *top, unsigned int levels, u64 iova,
		       unsigned int level)
{
	u64 *t = top;
	unsigned int l;

	for (l = levels; l > level; l--)
		t = phys_to_virt(t[(iova >> (12 + 9 * (l - 1))) & 511] &
				 GENMASK_ULL(51, 12));
	return &t[(iova >> (12 + 9 * (level - 1))) & 511];
}

/* A first-level table: its address as the walker sees it, and its page. */
static struct t_as *t_as_new(struct kunit *test, u64 *sl_top, u64 next_gpa)
{
	struct t_as *as = kunit_kzalloc(test, sizeof(*as), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, as);
	as->test = test;
	as->sl_top = sl_top;
	as->sl_levels = 4;
	as->next_gpa = next_gpa;
	return as;
}

static u64 *t_as_table(struct t_as *as, u64 *addr)
{
	u64 *p = t_page(as->test);

	KUNIT_ASSERT_LT(as->test, as->nr, T_MAX_TABLES);
	if (as->sl_top) {
		/* Guest-physical, scattered and far from the host page. */
		*addr = as->next_gpa;
		as->next_gpa += 0x3000;
		t_sl_map(as->test, as->sl_top, as->sl_levels, *addr, t_pa(p),
			 1, 3);
	} else {
		*addr = t_pa(p);
	}
	as->addr[as->nr] = *addr;
	as->va[as->nr++] = p;
	return p;
}

static u64 *t_as_va(struct t_as *as, u64 addr)
{
	unsigned int i;

	for (i = 0; i < as->nr; i++)
		if (as->addr[i] == addr)
			return as->va[i];
	KUNIT_FAIL(as->test, "no table at %#llx", addr);
	return NULL;
}

/* First-level map; table entries get P|RW|US, the leaf P|@flags. */
static void t_fl_map(struct t_as *as, u64 top, unsigned int levels, u64 va,
		     u64 out, unsigned int level, u64 flags)
{
	u64 *t = t_as_va(as, top), a;
	unsigned int l;

	for (l = levels; l > level; l--) {
		unsigned int i = (va >> (12 + 9 * (l - 1))) & 511;

		if (!(t[i] & 1)) {
			t_as_table(as, &a);
			t[i] = a | 7;
		}
		t = t_as_va(as, t[i] & GENMASK_ULL(51, 12));
	}
	t[(va >> (12 + 9 * (level - 1))) & 511] =
		out | 1 | flags | (level > 1 ? 1ULL << 7 : 0);
}

static u64 *t_fl_entry(struct t_as *as, u64 top, unsigned int levels,
		       u64 va, unsigned int level)
{
	u64 *t = t_as_va(as, top);
	unsigned int l;

	for (l = levels; l > level; l--)
		t = t_as_va(as, t[(va >> (12 + 9 * (l - 1))) & 511] &
			    GENMASK_ULL(51, 12));
	return &t[(va >> (12 + 9 * (level - 1))) & 511];
}

/*
 * Root -> scalable-mode context -> PASID directory -> PASID table for
 * (@sid, @pasid); returns the 8-word PASID entry.  The context entry gets
 * P, PASIDE and PDTS=2 (512 directory entries, one page).
 */
static u64 *t_pasid_entry(struct kunit *test, u64 *root, u16 sid, u32 pasid)
{
	unsigned int bus = sid >> 8, devfn = sid & 0xff;
	u64 *re = &root[bus * 2 + (devfn >= 128)];
	u64 *ct, *ce, *pdir, *pt;

	if (!(*re & 1))
		*re = t_pa(t_page(test)) | 1;
	ct = phys_to_virt(*re & GENMASK_ULL(63, 12));
	ce = &ct[(devfn & 127) * 4];
	if (!(ce[0] & 1))
		ce[0] = t_pa(t_page(test)) | (2ULL << 9) | (1ULL << 3) | 1;
	pdir = phys_to_virt(ce[0] & GENMASK_ULL(63, 12));
	if (!(pdir[pasid >> 6] & 1))
		pdir[pasid >> 6] = t_pa(t_page(test)) | 1;
	pt = phys_to_virt(pdir[pasid >> 6] & GENMASK_ULL(63, 12));
	return &pt[(pasid & 63) * 8];
}

/* PASID entry: second-level pointer, AW code, PGTT, present, DID. */
static void t_pe_sl(u64 *pe, u64 *sl_top, u64 aw, u64 pgtt)
{
	pe[0] = t_pa(sl_top) | (pgtt << 6) | (aw << 2) | 1;
	pe[1] = T_DID;
}

static void t_pe_fl(u64 *pe, u64 flptr, u64 flpm, bool sre, bool wpe)
{
	pe[2] = flptr | (flpm << 2) | (wpe ? 1ULL << 4 : 0) | (sre ? 1 : 0);
}

static const struct vtd_walk_ctx *t_ctx(struct kunit *test, u64 *root)
{
	struct vtd_walk_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->root = t_pa(root);
	return ctx;
}

/* Expect a translation. */
static noinline void t_ok(struct kunit *test,
			  const struct vtd_walk_ctx *ctx, u16 sid, u32 pasid,
			  u64 addr, unsigned int access, u64 phys, u64 size,
			  unsigned int level)
{
	struct vtd_walk_result res;
	char line[160];

	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, sid, pasid, addr, access, &res), 0);
	vtd_walk_format(&res, line, sizeof(line));
	KUNIT_EXPECT_EQ_MSG(test, res.fault, VTD_WALK_OK, "%s", line);
	KUNIT_EXPECT_EQ_MSG(test, (u64)res.phys, phys, "%s", line);
	KUNIT_EXPECT_EQ_MSG(test, res.page_size, size, "%s", line);
	KUNIT_EXPECT_EQ_MSG(test, res.level, level, "%s", line);
}

/* Expect a fault at @level. */
static noinline void t_fault(struct kunit *test,
			     const struct vtd_walk_ctx *ctx, u16 sid, u32 pasid,
			     u64 addr, unsigned int access,
			     enum vtd_walk_fault fault, unsigned int level)
{
	struct vtd_walk_result res;
	char line[160];

	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, sid, pasid, addr, access, &res),
			-EFAULT);
	vtd_walk_format(&res, line, sizeof(line));
	KUNIT_EXPECT_STREQ_MSG(test, vtd_walk_fault_str(res.fault),
			       vtd_walk_fault_str(fault), "%s", line);
	KUNIT_EXPECT_EQ_MSG(test, res.level, level, "%s", line);
}

#define R	VTD_WALK_READ
#define W	VTD_WALK_WRITE
#define RW	(VTD_WALK_READ | VTD_WALK_WRITE)
#define PRIV	VTD_WALK_PRIV

static void walk_test_sl(struct kunit *test)
{
	u64 *root = t_page(test), *sl = t_page(test), *pe;
	struct vtd_walk_ctx *ctx = (struct vtd_walk_ctx *)t_ctx(test, root);
	struct vtd_walk_result res;

	pe = t_pasid_entry(test, root, T_SID, 5);
	t_pe_sl(pe, sl, 2, 2);			/* 4-level, second level only */
	t_sl_map(test, sl, 4, 0x1000, 0xabc000, 1, 3);
	t_sl_map(test, sl, 4, 0x7f12345000, 0x55555000, 1, 3);
	t_sl_map(test, sl, 4, 0x8000, 0x77000, 1, 1);	/* read-only */
	t_sl_map(test, sl, 4, 0x9000, 0x78000, 1, 2);	/* write-only */

	t_ok(test, ctx, T_SID, 5, 0x1234, RW, 0xabc234, 0x1000, 1);
	t_ok(test, ctx, T_SID, 5, 0x7f12345fff, R, 0x55555fff, 0x1000, 1);
	t_ok(test, ctx, T_SID, 5, 0x8010, R, 0x77010, 0x1000, 1);
	t_ok(test, ctx, T_SID, 5, 0x9010, W, 0x78010, 0x1000, 1);

	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 5, 0x1000, R, &res), 0);
	KUNIT_EXPECT_EQ(test, res.pasid, 5);
	KUNIT_EXPECT_EQ(test, res.did, T_DID);
	KUNIT_EXPECT_EQ(test, res.pgtt, VTD_WALK_PGTT_SL);
	KUNIT_EXPECT_EQ(test, res.levels, 4);
	KUNIT_EXPECT_EQ(test, res.perm, VTD_WALK_PERM_READ | VTD_WALK_PERM_WRITE);
	/* No access type: no check, the permissions are reported. */
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 5, 0x8000, 0, &res), 0);
	KUNIT_EXPECT_EQ(test, res.perm, VTD_WALK_PERM_READ);

	t_fault(test, ctx, T_SID, 5, 0x8000, W, VTD_WALK_SL_WRITE, 1);
	t_fault(test, ctx, T_SID, 5, 0x9000, R, VTD_WALK_SL_READ, 1);
	/* Missing leaf, missing level-3 table. */
	t_fault(test, ctx, T_SID, 5, 0x2000, R, VTD_WALK_SL_NP, 1);
	t_fault(test, ctx, T_SID, 5, 0x8000000000, R, VTD_WALK_SL_NP, 4);
	t_fault(test, ctx, T_SID, 5, 1ULL << 48, R, VTD_WALK_ADDR_WIDTH, 4);

	/* W clear in a table entry denies writes below it. */
	*t_sl_entry(sl, 4, 0x1000, 3) &= ~2ULL;
	t_fault(test, ctx, T_SID, 5, 0x1000, W, VTD_WALK_SL_WRITE, 3);
	t_ok(test, ctx, T_SID, 5, 0x1000, R, 0xabc000, 0x1000, 1);
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 5, 0x1000, 0, &res), 0);
	KUNIT_EXPECT_EQ(test, res.perm, VTD_WALK_PERM_READ);

	/* An address beyond the host address width is reserved. */
	*t_sl_entry(sl, 4, 0x1000, 1) |= 1ULL << 45;
	t_ok(test, ctx, T_SID, 5, 0x1000, R, 0x200000abc000ULL, 0x1000, 1);
	ctx->haw = 40;
	t_fault(test, ctx, T_SID, 5, 0x1000, R, VTD_WALK_SL_RSVD, 1);
	t_ok(test, ctx, T_SID, 5, 0x8000, R, 0x77000, 0x1000, 1);
}

static void walk_test_sl_superpages(struct kunit *test)
{
	u64 *root = t_page(test), *sl3 = t_page(test), *sl4 = t_page(test);
	const struct vtd_walk_ctx *ctx = t_ctx(test, root);
	u64 *pe;

	/* 3-level (39-bit) table with 1 GiB, 2 MiB and 4 KiB pages. */
	pe = t_pasid_entry(test, root, T_SID, 1);
	t_pe_sl(pe, sl3, 1, 2);
	t_sl_map(test, sl3, 3, 0x40000000, 0x2c0000000, 3, 3);
	t_sl_map(test, sl3, 3, 0x80200000, 0x7e00000, 2, 3);
	t_sl_map(test, sl3, 3, 0x80400000, 0x1000000, 1, 3);

	t_ok(test, ctx, T_SID, 1, 0x40000000, R, 0x2c0000000, 1ULL << 30, 3);
	t_ok(test, ctx, T_SID, 1, 0x7fedcba9, RW, 0x2ffedcba9, 1ULL << 30, 3);
	t_ok(test, ctx, T_SID, 1, 0x802fffff, W, 0x7efffff, 1ULL << 21, 2);
	t_ok(test, ctx, T_SID, 1, 0x80400abc, R, 0x1000abc, 1ULL << 12, 1);
	t_fault(test, ctx, T_SID, 1, 1ULL << 39, R, VTD_WALK_ADDR_WIDTH, 3);

	/* A large page must be aligned to its size. */
	*t_sl_entry(sl3, 3, 0x80200000, 2) |= 0x1000;
	t_fault(test, ctx, T_SID, 1, 0x80200000, R, VTD_WALK_SL_RSVD, 2);

	/* PS is reserved above 1 GiB. */
	pe = t_pasid_entry(test, root, T_SID, 2);
	t_pe_sl(pe, sl4, 2, 2);
	sl4[1] = (1ULL << 39) | (1ULL << 7) | 3;
	t_fault(test, ctx, T_SID, 2, 1ULL << 39, R, VTD_WALK_SL_RSVD, 4);
	t_sl_map(test, sl4, 4, 0x40000000, 0x40000000, 3, 3);
	t_ok(test, ctx, T_SID, 2, 0x40001000, R, 0x40001000, 1ULL << 30, 3);
}

static void walk_test_sl_5level(struct kunit *test)
{
	u64 *root = t_page(test), *sl = t_page(test), *pe;
	const struct vtd_walk_ctx *ctx = t_ctx(test, root);
	u64 iova = (1ULL << 56) | (3ULL << 48) | 0x123456000ULL;

	pe = t_pasid_entry(test, root, T_SID, 7);
	t_pe_sl(pe, sl, 3, 2);
	t_sl_map(test, sl, 5, iova, 0x9999000, 1, 3);
	t_sl_map(test, sl, 5, 0x5000, 0x6000, 1, 3);
	t_sl_map(test, sl, 5, 0x1ff00000000000ULL, 0x40000000, 3, 3);

	t_ok(test, ctx, T_SID, 7, iova | 0x42, RW, 0x9999042, 0x1000, 1);
	t_ok(test, ctx, T_SID, 7, 0x5008, R, 0x6008, 0x1000, 1);
	t_ok(test, ctx, T_SID, 7, 0x1ff00000000008ULL, R, 0x40000008,
	     1ULL << 30, 3);
	t_fault(test, ctx, T_SID, 7, 1ULL << 57, R, VTD_WALK_ADDR_WIDTH, 5);
	t_fault(test, ctx, T_SID, 7, 2ULL << 48, R, VTD_WALK_SL_NP, 5);
	t_fault(test, ctx, T_SID, 7, 1ULL << 40, R, VTD_WALK_SL_NP, 4);

	/* The same tables read as 4-level: the input is too wide. */
	pe[0] = (pe[0] & ~(7ULL << 2)) | (2ULL << 2);
	t_fault(test, ctx, T_SID, 7, iova, R, VTD_WALK_ADDR_WIDTH, 4);
}

static void walk_test_fl(struct kunit *test)
{
	u64 *root = t_page(test), *pe, flptr;
	const struct vtd_walk_ctx *ctx = t_ctx(test, root);
	struct t_as *as = t_as_new(test, NULL, 0);
	u64 high = 0xffff800012345000ULL;
	struct vtd_walk_result res;

	t_as_table(as, &flptr);
	pe = t_pasid_entry(test, root, T_SID, 9);
	pe[0] = (1ULL << 6) | 1;
	pe[1] = T_DID;
	t_pe_fl(pe, flptr, 0, true, false);

	t_fl_map(as, flptr, 4, 0x10000, 0x3000, 1, 6);	/* RW, US */
	t_fl_map(as, flptr, 4, 0x11000, 0x4000, 1, 4);	/* read-only, US */
	t_fl_map(as, flptr, 4, 0x12000, 0x5000, 1, 2);	/* RW, supervisor */
	t_fl_map(as, flptr, 4, high, 0x6000, 1, 6);
	t_fl_map(as, flptr, 4, 0x40000000, 0x80000000, 3, 6);
	t_fl_map(as, flptr, 4, 0x200000, 0x600000, 2, 6);

	t_ok(test, ctx, T_SID, 9, 0x10abc, RW, 0x3abc, 0x1000, 1);
	t_ok(test, ctx, T_SID, 9, 0x11abc, R, 0x4abc, 0x1000, 1);
	t_ok(test, ctx, T_SID, 9, high | 0x10, W, 0x6010, 0x1000, 1);
	t_ok(test, ctx, T_SID, 9, 0x7fffffff, R, 0xbfffffff, 1ULL << 30, 3);
	t_ok(test, ctx, T_SID, 9, 0x212345, W, 0x612345, 1ULL << 21, 2);
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 9, 0x10000, R, &res), 0);
	KUNIT_EXPECT_EQ(test, res.pgtt, VTD_WALK_PGTT_FL);
	KUNIT_EXPECT_EQ(test, res.perm, VTD_WALK_PERM_READ |
			VTD_WALK_PERM_WRITE | VTD_WALK_PERM_USER);

	/* Permissions: user, R/W, and supervisor writes with WPE. */
	t_fault(test, ctx, T_SID, 9, 0x11000, W, VTD_WALK_FL_WRITE, 1);
	t_fault(test, ctx, T_SID, 9, 0x12000, R, VTD_WALK_FL_USER, 1);
	t_ok(test, ctx, T_SID, 9, 0x12000, R | PRIV, 0x5000, 0x1000, 1);
	t_ok(test, ctx, T_SID, 9, 0x11000, W | PRIV, 0x4000, 0x1000, 1);
	t_pe_fl(pe, flptr, 0, true, true);
	t_fault(test, ctx, T_SID, 9, 0x11000, W | PRIV, VTD_WALK_FL_WRITE, 1);
	t_ok(test, ctx, T_SID, 9, 0x10000, W | PRIV, 0x3000, 0x1000, 1);
	t_pe_fl(pe, flptr, 0, false, false);
	t_fault(test, ctx, T_SID, 9, 0x10000, R | PRIV, VTD_WALK_PASID_SRE, 0);
	t_ok(test, ctx, T_SID, 9, 0x10000, R, 0x3000, 0x1000, 1);

	/* U/S clear in a table entry applies to everything below it. */
	*t_fl_entry(as, flptr, 4, 0x10000, 2) &= ~4ULL;
	t_fault(test, ctx, T_SID, 9, 0x10000, R, VTD_WALK_FL_USER, 2);
	t_pe_fl(pe, flptr, 0, true, false);
	t_ok(test, ctx, T_SID, 9, 0x10000, W | PRIV, 0x3000, 0x1000, 1);
	*t_fl_entry(as, flptr, 4, 0x10000, 2) |= 4;

	t_fault(test, ctx, T_SID, 9, 0x13000, R, VTD_WALK_FL_NP, 1);
	t_fault(test, ctx, T_SID, 9, 0x8000000000ULL, R, VTD_WALK_FL_NP, 4);
	t_fault(test, ctx, T_SID, 9, 0x0000800000000000ULL, R,
		VTD_WALK_FL_NONCANON, 0);
	t_fault(test, ctx, T_SID, 9, 0xfff0000000000000ULL, R,
		VTD_WALK_FL_NONCANON, 0);

	/* PS in a PML4 entry is reserved; FLPM 2 and 3 are reserved. */
	*t_fl_entry(as, flptr, 4, 0x10000, 4) |= 1ULL << 7;
	t_fault(test, ctx, T_SID, 9, 0x10000, R, VTD_WALK_FL_RSVD, 4);
	t_pe_fl(pe, flptr, 2, true, false);
	t_fault(test, ctx, T_SID, 9, 0x10000, R, VTD_WALK_PASID_FLPM, 0);
}

static void walk_test_fl_5level(struct kunit *test)
{
	u64 *root = t_page(test), *pe, flptr;
	const struct vtd_walk_ctx *ctx = t_ctx(test, root);
	struct t_as *as = t_as_new(test, NULL, 0);
	u64 va = 0x00ab123456789000ULL, neg = 0xff00000000001000ULL;

	t_as_table(as, &flptr);
	pe = t_pasid_entry(test, root, T_SID, 10);
	pe[0] = (1ULL << 6) | 1;
	t_pe_fl(pe, flptr, 1, true, false);
	t_fl_map(as, flptr, 5, va, 0x7000, 1, 6);
	t_fl_map(as, flptr, 5, neg, 0x8000, 1, 6);

	t_ok(test, ctx, T_SID, 10, va | 0x8, R, 0x7008, 0x1000, 1);
	t_ok(test, ctx, T_SID, 10, neg, R, 0x8000, 0x1000, 1);
	t_fault(test, ctx, T_SID, 10, 0x0100000000000000ULL, R,
		VTD_WALK_FL_NONCANON, 0);
	t_fault(test, ctx, T_SID, 10, 0x5000, R, VTD_WALK_FL_NP, 5);
	/* Read as 4-level the address is not canonical any more. */
	t_pe_fl(pe, flptr, 0, true, false);
	t_fault(test, ctx, T_SID, 10, va, R, VTD_WALK_FL_NONCANON, 0);
}

static void walk_test_pt(struct kunit *test)
{
	u64 *root = t_page(test), *pe;
	struct vtd_walk_ctx *ctx;
	struct vtd_walk_result res;

	ctx = (struct vtd_walk_ctx *)t_ctx(test, root);
	pe = t_pasid_entry(test, root, T_SID, 0);
	pe[0] = (4ULL << 6) | 1;
	pe[1] = 7;
	t_ok(test, ctx, T_SID, 0, 0x1234, RW, 0x1234, 0x1000, 0);
	t_ok(test, ctx, T_SID, 0, 0xfffffffff000ULL, W, 0xfffffffff000ULL,
	     0x1000, 0);
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 0, 0, R, &res), 0);
	KUNIT_EXPECT_EQ(test, res.pgtt, VTD_WALK_PGTT_PT);
	KUNIT_EXPECT_EQ(test, res.did, 7);
	ctx->haw = 39;
	t_ok(test, ctx, T_SID, 0, (1ULL << 39) - 1, R, (1ULL << 39) - 1,
	     0x1000, 0);
	t_fault(test, ctx, T_SID, 0, 1ULL << 39, R, VTD_WALK_ADDR_WIDTH, 0);
}

static void walk_test_pgtt_aw(struct kunit *test)
{
	u64 *root = t_page(test), *sl = t_page(test), *pe;
	const struct vtd_walk_ctx *ctx = t_ctx(test, root);
	static const u64 bad_pgtt[] = { 0, 5, 6, 7 };
	unsigned int i;

	pe = t_pasid_entry(test, root, T_SID, 3);
	t_sl_map(test, sl, 4, 0, 0x1000, 1, 3);
	t_pe_sl(pe, sl, 2, 2);
	t_ok(test, ctx, T_SID, 3, 0, R, 0x1000, 0x1000, 1);
	for (i = 0; i < ARRAY_SIZE(bad_pgtt); i++) {
		t_pe_sl(pe, sl, 2, bad_pgtt[i]);
		t_fault(test, ctx, T_SID, 3, 0, R, VTD_WALK_PASID_PGTT, 0);
	}
	t_pe_sl(pe, sl, 0, 2);
	t_fault(test, ctx, T_SID, 3, 0, R, VTD_WALK_PASID_AW, 0);
	t_pe_sl(pe, sl, 4, 2);
	t_fault(test, ctx, T_SID, 3, 0, R, VTD_WALK_PASID_AW, 0);
	t_pe_sl(pe, sl, 4, 3);
	t_fault(test, ctx, T_SID, 3, 0, R, VTD_WALK_PASID_AW, 0);
	/* Blocked: the entry is not present. */
	t_pe_sl(pe, sl, 2, 2);
	pe[0] &= ~1ULL;
	t_fault(test, ctx, T_SID, 3, 0, R, VTD_WALK_PASID_NP, 0);
}

static void walk_test_context(struct kunit *test)
{
	u64 *root = t_page(test), *sla = t_page(test), *slb = t_page(test);
	const struct vtd_walk_ctx *ctx = t_ctx(test, root);
	u64 *pe, *ce, *ct, *pdir;
	struct vtd_walk_result res;

	t_fault(test, ctx, T_SID, 1, 0, R, VTD_WALK_ROOT_NP, 0);

	/* devfn < 128 through the lower pointer, >= 128 through the upper. */
	pe = t_pasid_entry(test, root, T_SID, 1);
	t_pe_sl(pe, sla, 2, 2);
	t_sl_map(test, sla, 4, 0, 0xa000, 1, 3);
	t_fault(test, ctx, T_SID_HI, 1, 0, R, VTD_WALK_ROOT_NP, 0);
	pe = t_pasid_entry(test, root, T_SID_HI, 1);
	t_pe_sl(pe, slb, 2, 2);
	t_sl_map(test, slb, 4, 0, 0xb000, 1, 3);
	KUNIT_EXPECT_NE(test, root[3 * 2] & ~0xfffULL,
			root[3 * 2 + 1] & ~0xfffULL);
	t_ok(test, ctx, T_SID, 1, 0, R, 0xa000, 0x1000, 1);
	t_ok(test, ctx, T_SID_HI, 1, 0, R, 0xb000, 0x1000, 1);
	/* The same devfn & 0x7f in the other half is not present. */
	t_fault(test, ctx, T_SID ^ 0x80, 1, 0, R, VTD_WALK_CTX_NP, 0);
	t_fault(test, ctx, T_SID_HI ^ 0x80, 1, 0, R, VTD_WALK_CTX_NP, 0);
	/* Another bus. */
	t_fault(test, ctx, T_SID + 0x100, 1, 0, R, VTD_WALK_ROOT_NP, 0);

	ct = phys_to_virt(root[3 * 2] & ~0xfffULL);
	ce = &ct[(T_SID & 0x7f) * 4];
	pdir = phys_to_virt(ce[0] & ~0xfffULL);

	/* Requests without PASID use RID_PASID. */
	t_fault(test, ctx, T_SID, VTD_WALK_NO_PASID, 0, R, VTD_WALK_PASID_NP, 0);
	ce[1] = 1;
	t_ok(test, ctx, T_SID, VTD_WALK_NO_PASID, 0, R, 0xa000, 0x1000, 1);
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, VTD_WALK_NO_PASID, 0, R,
				       &res), 0);
	KUNIT_EXPECT_EQ(test, res.pasid, 1);

	/* PASIDE clear blocks requests with PASID only. */
	ce[0] &= ~(1ULL << 3);
	t_fault(test, ctx, T_SID, 1, 0, R, VTD_WALK_CTX_PASIDE, 0);
	t_ok(test, ctx, T_SID, VTD_WALK_NO_PASID, 0, R, 0xa000, 0x1000, 1);
	ce[0] |= 1ULL << 3;

	/* PDTS=2: 512 directory entries, PASIDs up to 32767. */
	t_fault(test, ctx, T_SID, 32767, 0, R, VTD_WALK_PDIR_NP, 0);
	t_fault(test, ctx, T_SID, 32768, 0, R, VTD_WALK_PASID_RANGE, 0);
	/* PDTS=0: 128 entries, PASIDs up to 8191. */
	ce[0] &= ~(7ULL << 9);
	t_fault(test, ctx, T_SID, 8191, 0, R, VTD_WALK_PDIR_NP, 0);
	t_fault(test, ctx, T_SID, 8192, 0, R, VTD_WALK_PASID_RANGE, 0);
	ce[0] |= 2ULL << 9;

	/* Reserved fields. */
	ce[1] |= 1ULL << 21;
	t_fault(test, ctx, T_SID, 1, 0, R, VTD_WALK_CTX_RSVD, 0);
	ce[1] &= ~(1ULL << 21);
	root[3 * 2] |= 1ULL << 4;
	t_fault(test, ctx, T_SID, 1, 0, R, VTD_WALK_ROOT_RSVD, 0);
	root[3 * 2] &= ~(1ULL << 4);

	/* Not present directory entry and context entry. */
	pdir[0] &= ~1ULL;
	t_fault(test, ctx, T_SID, 1, 0, R, VTD_WALK_PDIR_NP, 0);
	pdir[0] |= 1;
	ce[0] &= ~1ULL;
	t_fault(test, ctx, T_SID, 1, 0, R, VTD_WALK_CTX_NP, 0);
	ce[0] |= 1;
	t_ok(test, ctx, T_SID, 1, 0, R, 0xa000, 0x1000, 1);
}

/* PASIDs in different pages of the PASID table. */
static void walk_test_pasid_dir(struct kunit *test)
{
	u64 *root = t_page(test), *sla = t_page(test), *slb = t_page(test);
	const struct vtd_walk_ctx *ctx = t_ctx(test, root);
	u32 pa = 5, pb = 3 * 64 + 5;	/* same table index, dir 0 and 3 */
	u64 *pe, *ct, *pdir;

	pe = t_pasid_entry(test, root, T_SID, pa);
	t_pe_sl(pe, sla, 2, 2);
	t_sl_map(test, sla, 4, 0x1000, 0xa1000, 1, 3);
	t_fault(test, ctx, T_SID, pb, 0x1000, R, VTD_WALK_PDIR_NP, 0);
	pe = t_pasid_entry(test, root, T_SID, pb);
	t_pe_sl(pe, slb, 2, 2);
	t_sl_map(test, slb, 4, 0x1000, 0xb1000, 1, 3);

	ct = phys_to_virt(root[3 * 2] & ~0xfffULL);
	pdir = phys_to_virt(ct[(T_SID & 0x7f) * 4] & ~0xfffULL);
	KUNIT_EXPECT_TRUE(test, pdir[3] & 1);
	KUNIT_EXPECT_FALSE(test, pdir[1] & 1);

	t_ok(test, ctx, T_SID, pa, 0x1000, R, 0xa1000, 0x1000, 1);
	t_ok(test, ctx, T_SID, pb, 0x1000, R, 0xb1000, 0x1000, 1);
	t_fault(test, ctx, T_SID, pb + 1, 0x1000, R, VTD_WALK_PASID_NP, 0);
	t_fault(test, ctx, T_SID, 64 + 5, 0x1000, R, VTD_WALK_PDIR_NP, 0);
}

/* Guest first level at guest-physical addresses, over a second level. */
static void walk_test_nested(struct kunit *test)
{
	u64 *root = t_page(test), *sl = t_page(test), *pe, flptr, *e;
	const struct vtd_walk_ctx *ctx = t_ctx(test, root);
	struct t_as *guest = t_as_new(test, sl, 0x40000000);
	u64 va = 0x7f0000201000ULL, gpa = 0x10005000, hpa = 0x2345000;
	struct vtd_walk_result res;
	char line[200];

	pe = t_pasid_entry(test, root, T_SID, 11);
	t_pe_sl(pe, sl, 2, 3);			/* nested, 4-level second level */
	t_as_table(guest, &flptr);
	t_pe_fl(pe, flptr, 0, true, false);
	KUNIT_EXPECT_EQ(test, flptr, 0x40000000);
	KUNIT_EXPECT_NE(test, flptr, t_pa(t_as_va(guest, flptr)));

	t_fl_map(guest, flptr, 4, va, gpa, 1, 6);
	t_sl_map(test, sl, 4, gpa, hpa, 1, 3);
	t_fl_map(guest, flptr, 4, va + 0x1000, gpa + 0x1000, 1, 6);
	t_sl_map(test, sl, 4, gpa + 0x1000, hpa + 0x7000, 1, 1);
	KUNIT_EXPECT_EQ(test, guest->nr, 4);

	t_ok(test, ctx, T_SID, 11, va + 0x10, RW, hpa + 0x10, 0x1000, 1);
	t_ok(test, ctx, T_SID, 11, va + 0x1010, R, hpa + 0x7010, 0x1000, 1);
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 11, va, R, &res), 0);
	KUNIT_EXPECT_EQ(test, res.pgtt, VTD_WALK_PGTT_NESTED);
	KUNIT_EXPECT_EQ(test, res.levels, 4);
	/* The host page without W in the second level: FL allows, SL not. */
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 11, va + 0x1000, 0, &res), 0);
	KUNIT_EXPECT_EQ(test, res.perm, VTD_WALK_PERM_READ | VTD_WALK_PERM_USER);
	t_fault(test, ctx, T_SID, 11, va + 0x1000, W, VTD_WALK_NESTED_OUTPUT, 1);
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 11, va + 0x1000, W, &res),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, res.sl_fault, VTD_WALK_SL_WRITE);
	KUNIT_EXPECT_EQ(test, res.fault_addr, gpa + 0x1000);
	KUNIT_EXPECT_EQ(test, vtd_walk_fault_reason(&res), 0x85);

	/* A guest PTE change changes the answer. */
	e = t_fl_entry(guest, flptr, 4, va, 1);
	*e = (gpa + 0x1000) | 7;
	t_ok(test, ctx, T_SID, 11, va + 0x10, R, hpa + 0x7010, 0x1000, 1);
	*e = 0x20000000 | 7;		/* not mapped by the second level */
	t_fault(test, ctx, T_SID, 11, va, R, VTD_WALK_NESTED_OUTPUT, 1);
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 11, va, R, &res), -EFAULT);
	KUNIT_EXPECT_EQ(test, res.sl_fault, VTD_WALK_SL_NP);
	KUNIT_EXPECT_EQ(test, res.sl_level, 2);
	*e = gpa | 7;
	t_ok(test, ctx, T_SID, 11, va, R, hpa, 0x1000, 1);

	/* A guest 2 MiB page over 4 KiB host pages is seen as 4 KiB. */
	t_fl_map(guest, flptr, 4, 0x600000, 0x10200000, 2, 6);
	t_sl_map(test, sl, 4, 0x10200000 + 0x3000, 0x999000, 1, 3);
	t_ok(test, ctx, T_SID, 11, 0x603008, R, 0x999008, 0x1000, 2);
	t_fault(test, ctx, T_SID, 11, 0x604008, R, VTD_WALK_NESTED_OUTPUT, 2);

	/* The second level loses the mapping of the guest's last table. */
	e = t_sl_entry(sl, 4, guest->addr[3], 1);
	KUNIT_ASSERT_EQ(test, *e & ~0xfffULL, t_pa(guest->va[3]));
	*e = 0;
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 11, va, R, &res), -EFAULT);
	KUNIT_EXPECT_EQ(test, res.fault, VTD_WALK_NESTED_TABLE);
	KUNIT_EXPECT_EQ(test, res.level, 1);
	KUNIT_EXPECT_EQ(test, res.sl_fault, VTD_WALK_SL_NP);
	KUNIT_EXPECT_EQ(test, res.sl_level, 1);
	KUNIT_EXPECT_EQ(test, res.fault_addr, guest->addr[3]);
	KUNIT_EXPECT_EQ(test, vtd_walk_fault_reason(&res), 0x76);
	vtd_walk_format(&res, line, sizeof(line));
	KUNIT_EXPECT_NOT_NULL(test, strstr(line, "on first-level table"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(line, "entry not present)"));
	/* Mapped write-only: the table cannot be read. */
	*e = t_pa(guest->va[3]) | 2;
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 11, va, R, &res), -EFAULT);
	KUNIT_EXPECT_EQ(test, res.fault, VTD_WALK_NESTED_TABLE);
	KUNIT_EXPECT_EQ(test, res.sl_fault, VTD_WALK_SL_READ);
	*e = t_pa(guest->va[3]) | 1;
	t_ok(test, ctx, T_SID, 11, va, R, hpa, 0x1000, 1);

	/* FLPTR itself not translatable. */
	e = t_sl_entry(sl, 4, flptr, 1);
	*e = 0;
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 11, va, R, &res), -EFAULT);
	KUNIT_EXPECT_EQ(test, res.fault, VTD_WALK_NESTED_TABLE);
	KUNIT_EXPECT_EQ(test, res.level, 4);
	KUNIT_EXPECT_EQ(test, res.fault_addr, flptr);
	KUNIT_EXPECT_EQ(test, vtd_walk_fault_reason(&res), 0x75);
	/* FLPTR beyond the second-level width. */
	t_pe_fl(pe, 1ULL << 48, 0, true, false);
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, T_SID, 11, va, R, &res), -EFAULT);
	KUNIT_EXPECT_EQ(test, res.sl_fault, VTD_WALK_ADDR_WIDTH);
	KUNIT_EXPECT_EQ(test, vtd_walk_fault_reason(&res), 0x74);
	/* Supervisor requests need SRE in nested too. */
	t_pe_fl(pe, flptr, 0, false, false);
	t_fault(test, ctx, T_SID, 11, va, R | PRIV, VTD_WALK_PASID_SRE, 0);
}

/* A reader that refuses one page, to produce the access errors. */
struct t_reader {
	u64 bad;
	unsigned int calls;
};

static int t_read(void *priv, phys_addr_t pa, u64 *buf, unsigned int nr)
{
	struct t_reader *r = priv;

	r->calls++;
	if ((pa & ~0xfffULL) == r->bad)
		return -EIO;
	return vtd_walk_read_phys(NULL, pa, buf, nr);
}

static void walk_test_access_errors(struct kunit *test)
{
	u64 *root = t_page(test), *sl = t_page(test), *pe, *ct, *pdir;
	struct vtd_walk_ctx ctx = { .root = t_pa(root), .read = t_read };
	struct t_reader rd = { .bad = ~0ULL };
	struct t_as *as = t_as_new(test, NULL, 0);
	u64 flptr;

	ctx.priv = &rd;
	pe = t_pasid_entry(test, root, T_SID, 2);
	t_pe_sl(pe, sl, 2, 2);
	t_sl_map(test, sl, 4, 0, 0xc000, 1, 3);
	ct = phys_to_virt(root[3 * 2] & ~0xfffULL);
	pdir = phys_to_virt(ct[(T_SID & 0x7f) * 4] & ~0xfffULL);

	t_ok(test, &ctx, T_SID, 2, 0, R, 0xc000, 0x1000, 1);
	/* root, context, directory, PASID entry, four SL levels */
	KUNIT_EXPECT_EQ(test, rd.calls, 8);
	rd.bad = t_pa(root);
	t_fault(test, &ctx, T_SID, 2, 0, R, VTD_WALK_ROOT_ACCESS, 0);
	rd.bad = t_pa(ct);
	t_fault(test, &ctx, T_SID, 2, 0, R, VTD_WALK_CTX_ACCESS, 0);
	rd.bad = t_pa(pdir);
	t_fault(test, &ctx, T_SID, 2, 0, R, VTD_WALK_PDIR_ACCESS, 0);
	rd.bad = pdir[0] & ~0xfffULL;
	t_fault(test, &ctx, T_SID, 2, 0, R, VTD_WALK_PASID_ACCESS, 0);
	rd.bad = t_pa(sl);
	t_fault(test, &ctx, T_SID, 2, 0, R, VTD_WALK_SL_ACCESS, 4);
	rd.bad = *t_sl_entry(sl, 4, 0, 2) & ~0xfffULL;
	t_fault(test, &ctx, T_SID, 2, 0, R, VTD_WALK_SL_ACCESS, 1);

	t_as_table(as, &flptr);
	pe[0] = (1ULL << 6) | 1;
	t_pe_fl(pe, flptr, 0, true, false);
	t_fl_map(as, flptr, 4, 0, 0xd000, 1, 6);
	rd.bad = ~0ULL;
	t_ok(test, &ctx, T_SID, 2, 0, R, 0xd000, 0x1000, 1);
	rd.bad = flptr;
	t_fault(test, &ctx, T_SID, 2, 0, R, VTD_WALK_FL_ACCESS, 4);

	/* The default reader refuses what is not RAM (the local APIC). */
	KUNIT_EXPECT_EQ(test, vtd_walk_read_phys(NULL, 0xfee00000, &flptr, 1),
			-EFAULT);
	ctx.read = NULL;
	ctx.root = 0xfee00000;
	t_fault(test, &ctx, T_SID, 2, 0, R, VTD_WALK_ROOT_ACCESS, 0);
}

static void walk_test_args(struct kunit *test)
{
	u64 *root = t_page(test), buf[2];
	const struct vtd_walk_ctx *ctx = t_ctx(test, root);
	struct vtd_walk_ctx bad = { .root = t_pa(root), .haw = 65 };
	struct vtd_walk_result res;

	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, 0, 1U << 20, 0, R, &res), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, 0, 0, 0, 1U << 3, &res), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_walk(NULL, 0, 0, 0, R, &res), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, 0, 0, 0, R, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_walk(&bad, 0, 0, 0, R, &res), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_walk(ctx, 0, (1U << 20) - 1, 0, R, &res),
			-EFAULT);

	KUNIT_EXPECT_EQ(test, vtd_walk_read_phys(NULL, t_pa(root) + 4, buf, 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_walk_read_phys(NULL, t_pa(root) + 4088, buf, 2),
			-EINVAL);
	root[511] = 0x1122334455667788ULL;
	KUNIT_EXPECT_EQ(test, vtd_walk_read_phys(NULL, t_pa(root) + 4088, buf, 1),
			0);
	KUNIT_EXPECT_EQ(test, buf[0], 0x1122334455667788ULL);
}

static void walk_test_strings(struct kunit *test)
{
	struct vtd_walk_result res = {
		.fault = VTD_WALK_OK, .sid = T_SID, .addr = 0x1234, .pasid = 5,
		.did = 3, .pgtt = VTD_WALK_PGTT_NESTED, .phys = 0xabc234,
		.page_size = 0x1000, .level = 1,
		.perm = VTD_WALK_PERM_READ | VTD_WALK_PERM_WRITE,
	};
	char line[256];
	unsigned int i, j;
	int n;

	n = vtd_walk_format(&res, line, sizeof(line));
	KUNIT_EXPECT_STREQ(test, line,
			   "ok sid 03:02.1 pasid 5 addr 0x1234 pgtt nested did 3 phys 0xabc234 size 0x1000 level 1 perm rws\n");
	KUNIT_EXPECT_EQ(test, (size_t)n, strlen(line));

	res.fault = VTD_WALK_SL_WRITE;
	res.pasid = VTD_WALK_NO_PASID;
	res.level = 2;
	vtd_walk_format(&res, line, sizeof(line));
	KUNIT_EXPECT_STREQ(test, line,
			   "fault sid 03:02.1 pasid none addr 0x1234 reason 0x85 level 2: second-level write denied\n");

	/* Truncation keeps the buffer terminated. */
	n = vtd_walk_format(&res, line, 8);
	KUNIT_EXPECT_EQ(test, n, 7);
	KUNIT_EXPECT_STREQ(test, line, "fault s");

	/* Every outcome has its own name. */
	for (i = 0; i < VTD_WALK_FAULT_MAX; i++) {
		KUNIT_EXPECT_STRNEQ(test, vtd_walk_fault_str(i), "unknown");
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, vtd_walk_fault_str(i),
					    vtd_walk_fault_str(j));
	}
	KUNIT_EXPECT_STREQ(test, vtd_walk_fault_str(VTD_WALK_FAULT_MAX),
			   "unknown");

	/* Reason codes of the specification's scalable-mode table. */
	res.fault = VTD_WALK_ROOT_NP;
	KUNIT_EXPECT_EQ(test, vtd_walk_fault_reason(&res), 0x39);
	res.fault = VTD_WALK_CTX_NP;
	KUNIT_EXPECT_EQ(test, vtd_walk_fault_reason(&res), 0x41);
	res.fault = VTD_WALK_PDIR_NP;
	KUNIT_EXPECT_EQ(test, vtd_walk_fault_reason(&res), 0x51);
	res.fault = VTD_WALK_PASID_NP;
	KUNIT_EXPECT_EQ(test, vtd_walk_fault_reason(&res), 0x59);
	res.fault = VTD_WALK_PASID_PGTT;
	KUNIT_EXPECT_EQ(test, vtd_walk_fault_reason(&res), 0x5b);
	res.fault = VTD_WALK_FL_NP;
	KUNIT_EXPECT_EQ(test, vtd_walk_fault_reason(&res), 0x71);
	res.fault = VTD_WALK_OK;
	KUNIT_EXPECT_EQ(test, vtd_walk_fault_reason(&res), 0);
	for (i = 1; i < VTD_WALK_FAULT_MAX; i++) {
		res.fault = i;
		res.sl_fault = VTD_WALK_SL_NP;
		KUNIT_EXPECT_NE(test, vtd_walk_fault_reason(&res), 0);
	}
}

static struct kunit_case walk_test_cases[] = {
	KUNIT_CASE(walk_test_sl),
	KUNIT_CASE(walk_test_sl_superpages),
	KUNIT_CASE(walk_test_sl_5level),
	KUNIT_CASE(walk_test_fl),
	KUNIT_CASE(walk_test_fl_5level),
	KUNIT_CASE(walk_test_pt),
	KUNIT_CASE(walk_test_pgtt_aw),
	KUNIT_CASE(walk_test_context),
	KUNIT_CASE(walk_test_pasid_dir),
	KUNIT_CASE(walk_test_nested),
	KUNIT_CASE(walk_test_access_errors),
	KUNIT_CASE(walk_test_args),
	KUNIT_CASE(walk_test_strings),
	{}
};

static struct kunit_suite walk_test_suite = {
	.name = "vtd_sm_walk",
	.test_cases = walk_test_cases,
};

kunit_test_suite(walk_test_suite);

MODULE_DESCRIPTION("KUnit tests for the vtd_sm translation walker");
MODULE_LICENSE("GPL");
