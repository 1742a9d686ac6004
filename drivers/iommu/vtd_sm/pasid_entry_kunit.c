// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the VT-d scalable-mode PASID entry: the encoding of every
 * translation type, checked against values computed by hand from the
 * specification's bit positions, and the entry writer, checked on every
 * transition by replaying each state the hardware could fetch.
 */
#include <kunit/test.h>
#include <linux/align.h>
#include <linux/string.h>
#include <asm/cpufeature.h>

#include "pasid_entry.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/*
 * Independent of the driver's field macros: reserved bits of each word and
 * the bits each translation type reads, written out from the specification.
 */
static const u64 rsvd_mask[VTD_PASID_ENTRY_QWORDS] = {
	0x0000000000000c20ULL,	/* 5 (SLEE), 11:10 */
	0x00000000007f0000ULL,	/* 86:80 */
	0x0000000000000f62ULL,	/* 129, 133, 134, 139:136 */
	~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL,
};

#define T_USED0_BLOCKED	0x0000000000000003ULL
#define T_USED0_PT	0x00000000000001dfULL
#define T_USED0_SL	0xfffffffffffff3dfULL
#define T_USED0_FL	0x00000000000001dfULL	/* AW too: QEMU reads it */
#define T_USED1_PT	0x000000000100ffffULL
#define T_USED1_SL	0x000000000180ffffULL
#define T_USED1_FL	0xffffffffff80ffffULL
#define T_USED2_FL	0xfffffffffffff09dULL

static void t_used(const struct vtd_pasid_entry *pe, struct vtd_pasid_entry *u)
{
	memset(u, 0, sizeof(*u));
	u->val[0] = T_USED0_BLOCKED;
	if (!(pe->val[0] & 1))
		return;
	switch ((pe->val[0] >> 6) & 7) {
	case 4:
		u->val[0] = T_USED0_PT;
		u->val[1] = T_USED1_PT;
		break;
	case 2:
		u->val[0] = T_USED0_SL;
		u->val[1] = T_USED1_SL;
		break;
	case 1:
		u->val[0] = T_USED0_FL;
		u->val[1] = T_USED1_FL;
		u->val[2] = T_USED2_FL;
		break;
	case 3:
		u->val[0] = T_USED0_SL;
		u->val[1] = T_USED1_FL;
		u->val[2] = T_USED2_FL;
		break;
	default:
		memset(u, 0xff, sizeof(*u));
	}
}

static void expect_entry(struct kunit *test, const struct vtd_pasid_entry *pe,
			 u64 w0, u64 w1, u64 w2)
{
	int i;

	KUNIT_EXPECT_EQ(test, pe->val[0], w0);
	KUNIT_EXPECT_EQ(test, pe->val[1], w1);
	KUNIT_EXPECT_EQ(test, pe->val[2], w2);
	for (i = 3; i < VTD_PASID_ENTRY_QWORDS; i++)
		KUNIT_EXPECT_EQ(test, pe->val[i], 0ULL);
}

/* Reserved bits are zero and no bit outside the type's used set is set. */
static void expect_clean(struct kunit *test, const struct vtd_pasid_entry *pe)
{
	struct vtd_pasid_entry u;
	int i;

	t_used(pe, &u);
	for (i = 0; i < VTD_PASID_ENTRY_QWORDS; i++) {
		KUNIT_EXPECT_EQ_MSG(test, pe->val[i] & rsvd_mask[i], 0ULL,
				    "reserved bits in word %d", i);
		KUNIT_EXPECT_EQ_MSG(test, pe->val[i] & ~u.val[i], 0ULL,
				    "unused bits in word %d", i);
	}
}

static void vtd_pe_test_blocked(struct kunit *test)
{
	struct vtd_pasid_entry pe;

	memset(&pe, 0xa5, sizeof(pe));
	vtd_pasid_encode_blocked(&pe, false);
	expect_entry(test, &pe, 0, 0, 0);
	vtd_pasid_encode_blocked(&pe, true);
	expect_entry(test, &pe, 0x2, 0, 0);
	expect_clean(test, &pe);
}

static void vtd_pe_test_pt(struct kunit *test)
{
	struct vtd_pasid_cfg cfg = {
		.did = 0x1234, .pgsnp = true, .pwsnp = true,
		.sl = { .levels = 4, .pgd = 0x7000 },
	};
	struct vtd_pasid_entry pe;

	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_pt(&pe, &cfg), 0);
	/* P, AW=010b (48-bit), PGTT=100b; DID, PGSNP; no table, no PWSNP. */
	expect_entry(test, &pe, 0x1 | 0x8 | 0x100, 0x1234 | BIT_ULL(24), 0);
	expect_clean(test, &pe);

	cfg.fpd = true;
	cfg.pgsnp = false;
	cfg.sl.levels = 3;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_pt(&pe, &cfg), 0);
	expect_entry(test, &pe, 0x1 | 0x2 | 0x4 | 0x100, 0x1234, 0);

	cfg.sl.levels = 6;
	KUNIT_EXPECT_EQ(test, vtd_pasid_encode_pt(&pe, &cfg), -EINVAL);
	cfg.sl.levels = 2;
	KUNIT_EXPECT_EQ(test, vtd_pasid_encode_pt(&pe, &cfg), -EINVAL);
	expect_entry(test, &pe, 0, 0, 0);
}

static void vtd_pe_test_sl(struct kunit *test)
{
	struct vtd_pasid_cfg cfg = {
		.did = 0x42, .fpd = true, .pwsnp = true,
		.sl = { .pgd = 0x12345000, .levels = 5, .dirty_tracking = true },
		.fl = { .pgd = 0x99000, .levels = 4, .sre = true },
	};
	struct vtd_pasid_entry pe;

	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_sl(&pe, &cfg), 0);
	/* table | SLADE | PGTT=010b | AW=011b | FPD | P; DID | PWSNP */
	expect_entry(test, &pe, 0x1234528fULL, 0x800042ULL, 0);
	expect_clean(test, &pe);

	cfg.sl.pgd = 0xfffffffffffff000ULL;
	cfg.sl.levels = 3;
	cfg.sl.dirty_tracking = false;
	cfg.fpd = false;
	cfg.pwsnp = false;
	cfg.pgsnp = true;
	cfg.did = 0xffff;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_sl(&pe, &cfg), 0);
	expect_entry(test, &pe, 0xfffffffffffff085ULL, 0x100ffffULL, 0);
	expect_clean(test, &pe);

	cfg.sl.pgd = 0x12345800;
	KUNIT_EXPECT_EQ(test, vtd_pasid_encode_sl(&pe, &cfg), -EINVAL);
	expect_entry(test, &pe, 0, 0, 0);
	cfg.sl.pgd = 0x12345000;
	cfg.sl.levels = 2;
	KUNIT_EXPECT_EQ(test, vtd_pasid_encode_sl(&pe, &cfg), -EINVAL);
	expect_entry(test, &pe, 0, 0, 0);
}

static const struct vtd_pasid_fl_cfg fl_all = {
	.pgd = 0xabcdef000ULL, .levels = 5, .sre = true, .wpe = true,
	.eafe = true, .cd = true, .emte = true, .emt = 6, .pwt = true,
	.pcd = true, .pat = 0x07060504,
};

static void vtd_pe_test_fl(struct kunit *test)
{
	struct vtd_pasid_cfg cfg = {
		.did = 7, .pwsnp = true,
		.sl = { .pgd = 0x5000, .levels = 4, .dirty_tracking = true },
		.fl = fl_all,
	};
	struct vtd_pasid_entry pe;

	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&pe, &cfg), 0);
	/*
	 * Word 0: P, PGTT=001b, AW = the first level's width (57 bits: 011b,
	 * for QEMU; the specification ignores it), no SL table.  Word 1: PAT in 63:32,
	 * PCD 31, PWT 30, EMT=110b in 29:27, EMTE 26, CD 25, PWSNP 23, DID.
	 * Word 2: table | EAFE 7 | WPE 4 | FLPM=01b in 3:2 | SRE 0.
	 */
	expect_entry(test, &pe, 0x4d, 0x07060504f6800007ULL, 0xabcdef095ULL);
	expect_clean(test, &pe);

	cfg.fl = (struct vtd_pasid_fl_cfg){ .pgd = 0x1000, .levels = 4 };
	cfg.pwsnp = false;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&pe, &cfg), 0);
	/* 4-level: AW 48 bits (010b) */
	expect_entry(test, &pe, 0x49, 0x7, 0x1000);

	cfg.fl.levels = 3;
	KUNIT_EXPECT_EQ(test, vtd_pasid_encode_fl(&pe, &cfg), -EINVAL);
	expect_entry(test, &pe, 0, 0, 0);
	cfg.fl.levels = 4;
	cfg.fl.pgd = 0x1008;
	KUNIT_EXPECT_EQ(test, vtd_pasid_encode_fl(&pe, &cfg), -EINVAL);
	cfg.fl.pgd = 0x1000;
	cfg.fl.emt = 8;
	KUNIT_EXPECT_EQ(test, vtd_pasid_encode_fl(&pe, &cfg), -EINVAL);
	expect_entry(test, &pe, 0, 0, 0);
}

static void vtd_pe_test_nested(struct kunit *test)
{
	struct vtd_pasid_cfg cfg = {
		.did = 0x8001, .fpd = true, .pwsnp = true, .pgsnp = true,
		.sl = { .pgd = 0x40000000, .levels = 4, .dirty_tracking = true },
		.fl = fl_all,
	};
	struct vtd_pasid_entry pe;

	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_nested(&pe, &cfg), 0);
	/* table | SLADE | PGTT=011b | AW=010b | FPD | P */
	expect_entry(test, &pe, 0x400002cbULL, 0x07060504f7808001ULL,
		     0xabcdef095ULL);
	expect_clean(test, &pe);

	cfg.fl.levels = 4;
	cfg.fl.sre = false;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_nested(&pe, &cfg), 0);
	KUNIT_EXPECT_EQ(test, pe.val[2], 0xabcdef090ULL);

	cfg.sl.levels = 7;
	KUNIT_EXPECT_EQ(test, vtd_pasid_encode_nested(&pe, &cfg), -EINVAL);
	expect_entry(test, &pe, 0, 0, 0);
	cfg.sl.levels = 4;
	cfg.fl.levels = 6;
	KUNIT_EXPECT_EQ(test, vtd_pasid_encode_nested(&pe, &cfg), -EINVAL);
	expect_entry(test, &pe, 0, 0, 0);
}

/* The driver's used masks agree with the ones written out above. */
static void vtd_pe_test_used(struct kunit *test)
{
	static const u64 w0[] = { 0x0, 0x1, 0x41, 0x81, 0xc1, 0x101, 0x141,
				  0x181, 0x1c1, 0x2, 0x102 };
	struct vtd_pasid_entry pe = {}, u, t;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(w0); i++) {
		pe.val[0] = w0[i];
		vtd_pasid_entry_used(&pe, &u);
		t_used(&pe, &t);
		for (j = 0; j < VTD_PASID_ENTRY_QWORDS; j++)
			KUNIT_EXPECT_EQ_MSG(test, u.val[j], t.val[j],
					    "word0 %#llx word %u", w0[i], j);
	}
	/* Present with PGTT 000b, 101b..111b: everything counts as used. */
	pe.val[0] = 0x1;
	vtd_pasid_entry_used(&pe, &u);
	KUNIT_EXPECT_EQ(test, u.val[7], ~0ULL);
}

/* ---- the writer ---- */

#define MAX_STATES	40
#define MAX_SYNCS	8

struct rec {
	struct vtd_pasid_writer w;
	struct vtd_pasid_entry *pe;
	struct vtd_pasid_entry states[MAX_STATES];
	unsigned int nr_states;
	unsigned int syncs[MAX_SYNCS];
	unsigned int nr_syncs;
	unsigned int max_words;
	unsigned int bad_stores;
	unsigned int fail_sync;		/* 1-based sync that fails, 0: none */
};

static int rec_sync(struct vtd_pasid_writer *w)
{
	struct rec *r = container_of(w, struct rec, w);

	if (r->nr_syncs >= MAX_SYNCS) {
		r->bad_stores++;
		return 0;
	}
	r->syncs[r->nr_syncs++] = r->nr_states - 1;
	return r->nr_syncs == r->fail_sync ? -ETIMEDOUT : 0;
}

static void rec_stored(struct vtd_pasid_writer *w, unsigned int qw,
		       unsigned int nr)
{
	struct rec *r = container_of(w, struct rec, w);
	const struct vtd_pasid_entry *prev;
	unsigned int i;

	/* At most one atomic unit (16 or 8 bytes), naturally aligned. */
	if (!nr || nr > r->max_words || qw % nr || qw + nr > VTD_PASID_ENTRY_QWORDS)
		r->bad_stores++;
	if (r->nr_states >= MAX_STATES) {
		r->bad_stores++;
		return;
	}
	prev = &r->states[r->nr_states - 1];
	for (i = 0; i < VTD_PASID_ENTRY_QWORDS; i++) {
		/* Nothing changed outside the words this store reported. */
		if ((i < qw || i >= qw + nr) && r->pe->val[i] != prev->val[i])
			r->bad_stores++;
	}
	r->states[r->nr_states++] = *r->pe;
}

static const struct vtd_pasid_writer_ops rec_ops = {
	.sync = rec_sync,
	.stored = rec_stored,
};

static struct rec *rec_new(struct kunit *test, const struct vtd_pasid_entry *cur,
			   bool atomic128)
{
	struct rec *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	/* A 64-byte kmalloc object is 64-byte aligned, as in a PASID table. */
	r->pe = kunit_kzalloc(test, sizeof(*r->pe), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->pe);
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED((unsigned long)r->pe, 16));
	*r->pe = *cur;
	r->w.ops = &rec_ops;
	r->states[0] = *cur;
	r->nr_states = 1;
	r->max_words = atomic128 ? 2 : 1;
	return r;
}

static bool masked_eq(const struct vtd_pasid_entry *a,
		      const struct vtd_pasid_entry *b,
		      const struct vtd_pasid_entry *mask)
{
	int i;

	for (i = 0; i < VTD_PASID_ENTRY_QWORDS; i++)
		if ((a->val[i] ^ b->val[i]) & mask->val[i])
			return false;
	return true;
}

/*
 * May the hardware see @e while moving from @cur to @target?  It must have
 * no reserved bit set and translate exactly as @cur or as @target; a
 * not-present entry is allowed only if one end is not present or the
 * transition was declared a teardown.
 */
static bool fetch_ok(const struct vtd_pasid_entry *e,
		     const struct vtd_pasid_entry *cur,
		     const struct vtd_pasid_entry *target,
		     enum vtd_pasid_update kind)
{
	struct vtd_pasid_entry u;
	int i;

	for (i = 0; i < VTD_PASID_ENTRY_QWORDS; i++)
		if (e->val[i] & rsvd_mask[i])
			return false;
	if (!(e->val[0] & 1))
		return !(cur->val[0] & 1) || !(target->val[0] & 1) ||
		       kind == VTD_PASID_UPDATE_TEARDOWN;
	t_used(e, &u);
	if ((cur->val[0] & 1) && ((e->val[0] ^ cur->val[0]) & 0x1c0) == 0 &&
	    masked_eq(e, cur, &u))
		return true;
	return (target->val[0] & 1) &&
	       ((e->val[0] ^ target->val[0]) & 0x1c0) == 0 &&
	       masked_eq(e, target, &u);
}

/*
 * Between two syncs the hardware may read each 128-bit piece from any of
 * the states stored in that interval (a cached copy counts as an early
 * read).  Build every such mixture and count the invalid ones.
 */
static unsigned int check_fetchable(struct kunit *test, const struct rec *r,
				    const struct vtd_pasid_entry *cur,
				    const struct vtd_pasid_entry *target,
				    enum vtd_pasid_update kind, const char *name)
{
	unsigned int bounds[MAX_SYNCS + 2], nb = 0, bad = 0, b;

	bounds[nb++] = 0;
	for (b = 0; b < r->nr_syncs; b++)
		bounds[nb++] = r->syncs[b];
	bounds[nb++] = r->nr_states - 1;

	for (b = 0; b + 1 < nb; b++) {
		/* Distinct values of each piece within the window. */
		unsigned int lo = bounds[b], hi = bounds[b + 1];
		unsigned int cnt[VTD_PASID_ENTRY_PIECES] = {};
		u8 idx[VTD_PASID_ENTRY_PIECES][MAX_STATES];
		unsigned int p, s, k, total = 1, c;

		for (p = 0; p < VTD_PASID_ENTRY_PIECES; p++) {
			for (s = lo; s <= hi; s++) {
				const u64 *v = &r->states[s].val[2 * p];

				for (k = 0; k < cnt[p]; k++) {
					const u64 *o = &r->states[idx[p][k]].val[2 * p];

					if (o[0] == v[0] && o[1] == v[1])
						break;
				}
				if (k == cnt[p])
					idx[p][cnt[p]++] = s;
			}
			total *= cnt[p];
		}

		for (c = 0; c < total; c++) {
			struct vtd_pasid_entry e;
			unsigned int rest = c;

			for (p = 0; p < VTD_PASID_ENTRY_PIECES; p++) {
				s = idx[p][rest % cnt[p]];
				rest /= cnt[p];
				e.val[2 * p] = r->states[s].val[2 * p];
				e.val[2 * p + 1] = r->states[s].val[2 * p + 1];
			}
			if (!fetch_ok(&e, cur, target, kind)) {
				if (!bad && test)
					kunit_info(test,
						   "%s: bad fetch %llx %llx %llx %llx\n",
						   name, e.val[0], e.val[1],
						   e.val[2], e.val[3]);
				bad++;
			}
		}
	}
	return bad;
}

enum {
	T_BLK, T_BLK_FPD, T_PT_A, T_PT_B, T_SL_A, T_SL_A2, T_SL_B, T_FL_A,
	T_FL_A2, T_FL_A3, T_FL_B, T_NE_A, T_NE_A2, T_NE_A3, T_NE_B, T_NE_FLA,
	T_NR
};

static const char * const t_names[T_NR] = {
	"blocked", "blocked+fpd", "pt A", "pt B", "sl A", "sl A ptr", "sl B",
	"fl A", "fl A ptr", "fl A did", "fl B", "nested A",
	"nested A s1", "nested A s2", "nested B", "nested over fl A",
};

static void build_entries(struct kunit *test, struct vtd_pasid_entry *e)
{
	struct vtd_pasid_cfg a = {
		.did = 3, .pwsnp = true,
		.sl = { .pgd = 0x1000000, .levels = 4 },
		.fl = { .pgd = 0x3000000, .levels = 4, .sre = true },
	};
	struct vtd_pasid_cfg b = {
		.did = 4, .pgsnp = true, .fpd = true,
		.sl = { .pgd = 0x2000000, .levels = 5, .dirty_tracking = true },
		.fl = { .pgd = 0x4000000, .levels = 5, .wpe = true,
			.eafe = true, .pat = 0x0606 },
	};
	struct vtd_pasid_cfg c;

	vtd_pasid_encode_blocked(&e[T_BLK], false);
	vtd_pasid_encode_blocked(&e[T_BLK_FPD], true);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_pt(&e[T_PT_A], &a), 0);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_pt(&e[T_PT_B], &b), 0);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_sl(&e[T_SL_A], &a), 0);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_sl(&e[T_SL_B], &b), 0);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&e[T_FL_A], &a), 0);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&e[T_FL_B], &b), 0);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_nested(&e[T_NE_A], &a), 0);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_nested(&e[T_NE_B], &b), 0);

	c = a;				/* same DID, other table */
	c.sl.pgd = 0x1100000;
	c.fl.pgd = 0x3300000;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_sl(&e[T_SL_A2], &c), 0);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&e[T_FL_A2], &c), 0);
	c = a;				/* other DID, same table */
	c.did = 9;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_fl(&e[T_FL_A3], &c), 0);
	c = a;				/* nested: same DID and S2, other S1 */
	c.fl.pgd = 0x3300000;
	c.fl.levels = 5;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_nested(&e[T_NE_A2], &c), 0);
	c = a;				/* nested: same S1, other S2 and DID */
	c.did = 10;
	c.sl.pgd = 0x1100000;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_nested(&e[T_NE_A3], &c), 0);
	c = a;				/* nested whose S1 is fl A's table */
	c.did = 11;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_nested(&e[T_NE_FLA], &c), 0);
}

struct t_result {
	enum vtd_pasid_update kind;
	unsigned int syncs;
};

static struct t_result run_one(struct kunit *test,
			       const struct vtd_pasid_entry *cur,
			       const struct vtd_pasid_entry *target,
			       bool atomic128, const char *name)
{
	struct rec *r = rec_new(test, cur, atomic128);
	struct t_result res;
	unsigned int s;

	res.kind = __vtd_pasid_write_entry(&r->w, r->pe, target, atomic128);
	res.syncs = r->nr_syncs;

	KUNIT_EXPECT_EQ_MSG(test, r->bad_stores, 0U, "%s", name);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(r->pe, target, sizeof(*target)), 0,
			    "%s: final entry", name);
	KUNIT_EXPECT_EQ_MSG(test,
			    memcmp(&r->states[r->nr_states - 1], r->pe,
				   sizeof(*target)), 0,
			    "%s: unreported store", name);
	KUNIT_EXPECT_EQ_MSG(test, check_fetchable(test, r, cur, target,
						  res.kind, name), 0U,
			    "%s", name);

	for (s = 0; s < r->nr_states; s++) {
		/* Declared hitless: never not-present unless an end is. */
		if (res.kind != VTD_PASID_UPDATE_TEARDOWN &&
		    (cur->val[0] & 1) && (target->val[0] & 1))
			KUNIT_EXPECT_TRUE_MSG(test, r->states[s].val[0] & 1,
					      "%s: state %u", name, s);
	}
	if (res.kind == VTD_PASID_UPDATE_NONE)
		KUNIT_EXPECT_EQ_MSG(test, r->nr_states, 1U, "%s", name);
	else
		KUNIT_EXPECT_GT_MSG(test, r->nr_states, 1U, "%s", name);
	/* No sync after the last store: the caller's flush follows. */
	if (r->nr_syncs)
		KUNIT_EXPECT_LT_MSG(test, r->syncs[r->nr_syncs - 1],
				    r->nr_states - 1, "%s", name);
	if (atomic128 && system_has_cmpxchg128())
		KUNIT_EXPECT_EQ_MSG(test, vtd_pasid_update_kind(cur, target),
				    res.kind, "%s", name);
	return res;
}

/* Every ordered pair of entries, in both store widths. */
static void vtd_pe_test_write_all_pairs(struct kunit *test)
{
	struct vtd_pasid_entry *e = kunit_kcalloc(test, T_NR, sizeof(*e),
						  GFP_KERNEL);
	char name[64];
	int i, j, w;

	KUNIT_ASSERT_NOT_NULL(test, e);
	build_entries(test, e);
	for (w = 0; w < 2; w++) {
		for (i = 0; i < T_NR; i++) {
			for (j = 0; j < T_NR; j++) {
				snprintf(name, sizeof(name), "%s -> %s%s",
					 t_names[i], t_names[j],
					 w ? "" : " (8-byte stores)");
				run_one(test, &e[i], &e[j], w, name);
			}
		}
	}
}

#define T_HL	VTD_PASID_UPDATE_HITLESS
#define T_SEQ	VTD_PASID_UPDATE_HITLESS_SEQ
#define T_TD	VTD_PASID_UPDATE_TEARDOWN

/*
 * The documented transition table (16-byte stores): kind and number of
 * syncs the writer needs.  Derived from where the fields lie: FL fields in
 * bits 191:128, everything else in bits 127:0.
 */
static const struct {
	int from, to;
	enum vtd_pasid_update kind;
	unsigned int syncs;
} t_table[] = {
	{ T_BLK, T_BLK_FPD, T_HL, 0 },
	{ T_BLK, T_PT_A, T_HL, 0 },	{ T_BLK, T_SL_A, T_HL, 0 },
	{ T_BLK, T_FL_A, T_SEQ, 1 },	{ T_BLK, T_NE_A, T_SEQ, 1 },
	{ T_PT_A, T_BLK, T_HL, 1 },	{ T_PT_A, T_PT_B, T_HL, 0 },
	{ T_PT_A, T_SL_B, T_HL, 0 },	{ T_PT_A, T_FL_B, T_SEQ, 1 },
	{ T_PT_A, T_NE_B, T_SEQ, 1 },
	{ T_SL_A, T_BLK, T_HL, 1 },	{ T_SL_A, T_PT_B, T_HL, 0 },
	{ T_SL_A, T_BLK_FPD, T_HL, 1 },
	{ T_SL_A, T_SL_B, T_HL, 0 },	{ T_SL_A, T_SL_A2, T_HL, 0 },
	{ T_SL_A, T_FL_B, T_SEQ, 1 },	{ T_SL_A, T_NE_B, T_SEQ, 1 },
	{ T_SL_A, T_NE_A, T_SEQ, 1 },
	{ T_FL_A, T_BLK, T_HL, 1 },	{ T_FL_A, T_PT_B, T_HL, 1 },
	{ T_FL_A, T_SL_B, T_HL, 1 },	{ T_FL_A, T_FL_B, T_TD, 2 },
	{ T_FL_A, T_FL_A2, T_HL, 0 },	{ T_FL_A, T_FL_A3, T_HL, 0 },
	{ T_FL_A, T_NE_B, T_TD, 2 },	{ T_FL_A, T_NE_FLA, T_HL, 0 },
	{ T_NE_A, T_BLK, T_HL, 1 },	{ T_NE_A, T_PT_B, T_HL, 1 },
	{ T_NE_A, T_SL_B, T_HL, 1 },	{ T_NE_A, T_SL_A, T_HL, 1 },
	{ T_NE_A, T_FL_B, T_TD, 2 },	{ T_NE_FLA, T_FL_A, T_HL, 0 },
	{ T_NE_A, T_NE_B, T_TD, 2 },	{ T_NE_A, T_NE_A2, T_HL, 0 },
	{ T_NE_A, T_NE_A3, T_HL, 0 },
	{ T_SL_A, T_SL_A, VTD_PASID_UPDATE_NONE, 0 },
	{ T_NE_B, T_NE_B, VTD_PASID_UPDATE_NONE, 0 },
};

static void vtd_pe_test_table(struct kunit *test)
{
	struct vtd_pasid_entry *e = kunit_kcalloc(test, T_NR, sizeof(*e),
						  GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, e);
	build_entries(test, e);
	for (i = 0; i < ARRAY_SIZE(t_table); i++) {
		const char *from = t_names[t_table[i].from];
		const char *to = t_names[t_table[i].to];
		struct t_result res = run_one(test, &e[t_table[i].from],
					      &e[t_table[i].to], true, "table");

		KUNIT_EXPECT_EQ_MSG(test, res.kind, t_table[i].kind,
				    "%s -> %s", from, to);
		KUNIT_EXPECT_EQ_MSG(test, res.syncs, t_table[i].syncs,
				    "%s -> %s", from, to);
	}
}

/*
 * Taking a present entry down follows the specification (6.5.3.3): the
 * first store clears P (and sets FPD as the target has it) and changes no
 * other bit, so the DID and tables are still named while the fence after
 * it invalidates the PASID cache and the IOTLB; the rest is cleared after.
 */
static void vtd_pe_test_take_down_order(struct kunit *test)
{
	struct vtd_pasid_entry *e = kunit_kcalloc(test, T_NR, sizeof(*e),
						  GFP_KERNEL);
	static const int to[] = { T_BLK, T_BLK_FPD };
	struct vtd_pasid_entry first;
	char name[64];
	int i, j, w;

	KUNIT_ASSERT_NOT_NULL(test, e);
	build_entries(test, e);
	for (w = 0; w < 2; w++) {
		for (i = 0; i < T_NR; i++) {
			if (!(e[i].val[0] & 1))
				continue;
			for (j = 0; j < ARRAY_SIZE(to); j++) {
				struct rec *r = rec_new(test, &e[i], w);
				const struct vtd_pasid_entry *t = &e[to[j]];

				snprintf(name, sizeof(name), "%s -> %s%s",
					 t_names[i], t_names[to[j]],
					 w ? "" : " (8-byte stores)");
				__vtd_pasid_write_entry(&r->w, r->pe, t, w);
				first = e[i];
				first.val[0] = (first.val[0] & ~3ULL) |
					       (t->val[0] & 2);
				KUNIT_ASSERT_GE_MSG(test, r->nr_states, 2U, "%s", name);
				KUNIT_EXPECT_EQ_MSG(test, memcmp(&r->states[1], &first,
								 sizeof(first)), 0,
						    "%s: first store", name);
				/* One fence, right after it, then the rest. */
				KUNIT_EXPECT_EQ_MSG(test, r->nr_syncs, 1U, "%s", name);
				KUNIT_EXPECT_EQ_MSG(test, r->syncs[0], 1U, "%s", name);
				KUNIT_EXPECT_EQ_MSG(test, memcmp(r->pe, t, sizeof(*t)),
						    0, "%s: final", name);
				KUNIT_EXPECT_EQ_MSG(test, r->w.err, 0, "%s", name);
			}
		}
	}
}

/*
 * A fence that fails stops the writer with the entry not present: no store
 * after the failed sync but the one that clears P, and the error reported.
 */
static void vtd_pe_test_fence_fails(struct kunit *test)
{
	struct vtd_pasid_entry *e = kunit_kcalloc(test, T_NR, sizeof(*e),
						  GFP_KERNEL);
	unsigned int k, n, at, checked = 0;
	char name[80];
	int i, j, w;

	KUNIT_ASSERT_NOT_NULL(test, e);
	build_entries(test, e);
	for (w = 0; w < 2; w++) {
		for (i = 0; i < T_NR; i++) {
			for (j = 0; j < T_NR; j++) {
				struct rec *r = rec_new(test, &e[i], w);

				__vtd_pasid_write_entry(&r->w, r->pe, &e[j], w);
				n = r->nr_syncs;
				for (k = 1; k <= n; k++) {
					snprintf(name, sizeof(name),
						 "%s -> %s%s, sync %u fails",
						 t_names[i], t_names[j],
						 w ? "" : " (8-byte stores)", k);
					r = rec_new(test, &e[i], w);
					r->fail_sync = k;
					__vtd_pasid_write_entry(&r->w, r->pe,
								&e[j], w);
					checked++;
					KUNIT_EXPECT_EQ_MSG(test, r->w.err, -ETIMEDOUT,
							    "%s", name);
					KUNIT_EXPECT_EQ_MSG(test, r->nr_syncs, k,
							    "%s", name);
					KUNIT_EXPECT_FALSE_MSG(test, r->pe->val[0] & 1,
							       "%s: present", name);
					KUNIT_EXPECT_EQ_MSG(test, r->bad_stores, 0U,
							    "%s", name);
					at = r->syncs[k - 1];
					KUNIT_EXPECT_LE_MSG(test, r->nr_states, at + 2,
							    "%s: stores after", name);
					if (r->nr_states == at + 2) {
						struct vtd_pasid_entry x = r->states[at];

						x.val[0] &= ~1ULL;
						KUNIT_EXPECT_EQ_MSG(test,
								    memcmp(&x, r->pe, sizeof(x)),
								    0, "%s: not only P", name);
					}
				}
			}
		}
	}
	KUNIT_EXPECT_GT(test, checked, 0U);
}

/* With 8-byte stores, a piece whose two words change cannot switch. */
static void vtd_pe_test_narrow(struct kunit *test)
{
	struct vtd_pasid_entry *e = kunit_kcalloc(test, T_NR, sizeof(*e),
						  GFP_KERNEL);
	struct t_result res;

	KUNIT_ASSERT_NOT_NULL(test, e);
	build_entries(test, e);
	/* PT -> SL changes PGTT (word 0) and DID (word 1). */
	res = run_one(test, &e[T_PT_A], &e[T_SL_B], false, "narrow pt->sl");
	KUNIT_EXPECT_EQ(test, res.kind, T_TD);
	/* Same DID, new table: word 0 only. */
	res = run_one(test, &e[T_SL_A], &e[T_SL_A2], false, "narrow sl->sl");
	KUNIT_EXPECT_EQ(test, res.kind, T_HL);
	res = run_one(test, &e[T_FL_A], &e[T_FL_A2], false, "narrow fl->fl");
	KUNIT_EXPECT_EQ(test, res.kind, T_HL);
}

/*
 * The checker is not vacuous: a naive word-by-word copy with no fence is
 * caught, and so is a live entry with a reserved bit.
 */
static void vtd_pe_test_checker(struct kunit *test)
{
	struct vtd_pasid_entry *e = kunit_kcalloc(test, T_NR, sizeof(*e),
						  GFP_KERNEL);
	struct vtd_pasid_entry bad;
	struct rec *r;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, e);
	build_entries(test, e);

	r = rec_new(test, &e[T_FL_A], true);
	for (i = 0; i < VTD_PASID_ENTRY_QWORDS; i++) {
		WRITE_ONCE(r->pe->val[i], e[T_FL_B].val[i]);
		rec_stored(&r->w, i, 1);
	}
	KUNIT_EXPECT_GT(test, check_fetchable(NULL, r, &e[T_FL_A], &e[T_FL_B],
					      T_HL, "naive"), 0U);

	/* Same copy but declared a teardown: still torn (P set throughout). */
	KUNIT_EXPECT_GT(test, check_fetchable(NULL, r, &e[T_FL_A], &e[T_FL_B],
					      T_TD, "naive"), 0U);

	/* SL -> SL with a DID change: fine in one piece... */
	r = rec_new(test, &e[T_SL_A], true);
	*r->pe = e[T_SL_B];
	rec_stored(&r->w, 0, 2);
	KUNIT_EXPECT_EQ(test, check_fetchable(NULL, r, &e[T_SL_A], &e[T_SL_B],
					      T_HL, "sl"), 0U);
	/* ...not word by word. */
	r = rec_new(test, &e[T_SL_A], true);
	WRITE_ONCE(r->pe->val[0], e[T_SL_B].val[0]);
	rec_stored(&r->w, 0, 1);
	WRITE_ONCE(r->pe->val[1], e[T_SL_B].val[1]);
	rec_stored(&r->w, 1, 1);
	KUNIT_EXPECT_GT(test, check_fetchable(NULL, r, &e[T_SL_A], &e[T_SL_B],
					      T_HL, "sl"), 0U);

	bad = e[T_SL_A];
	bad.val[1] |= BIT_ULL(20);
	KUNIT_EXPECT_FALSE(test, fetch_ok(&bad, &e[T_SL_A], &e[T_SL_A], T_HL));
	KUNIT_EXPECT_TRUE(test, fetch_ok(&e[T_SL_A], &e[T_SL_A], &e[T_SL_A], T_HL));

	/* A recorded store wider than the unit is flagged. */
	r = rec_new(test, &e[T_SL_A], false);
	rec_stored(&r->w, 0, 2);
	KUNIT_EXPECT_GT(test, r->bad_stores, 0U);
}

/* The real 16-byte store, when the CPU has one. */
static void vtd_pe_test_public_writer(struct kunit *test)
{
	struct vtd_pasid_entry *e = kunit_kcalloc(test, T_NR, sizeof(*e),
						  GFP_KERNEL);
	struct rec *r;

	KUNIT_ASSERT_NOT_NULL(test, e);
	build_entries(test, e);
	r = rec_new(test, &e[T_NE_A], system_has_cmpxchg128());
	KUNIT_EXPECT_EQ(test, vtd_pasid_write_entry(&r->w, r->pe, &e[T_SL_B]),
			vtd_pasid_update_kind(&e[T_NE_A], &e[T_SL_B]));
	KUNIT_EXPECT_EQ(test, memcmp(r->pe, &e[T_SL_B], sizeof(*r->pe)), 0);
	KUNIT_EXPECT_EQ(test, r->bad_stores, 0U);
	KUNIT_EXPECT_EQ(test, check_fetchable(test, r, &e[T_NE_A], &e[T_SL_B],
					      T_HL, "public"), 0U);
}

static struct kunit_case vtd_pe_test_cases[] = {
	KUNIT_CASE(vtd_pe_test_blocked),
	KUNIT_CASE(vtd_pe_test_pt),
	KUNIT_CASE(vtd_pe_test_sl),
	KUNIT_CASE(vtd_pe_test_fl),
	KUNIT_CASE(vtd_pe_test_nested),
	KUNIT_CASE(vtd_pe_test_used),
	KUNIT_CASE(vtd_pe_test_table),
	KUNIT_CASE(vtd_pe_test_take_down_order),
	KUNIT_CASE(vtd_pe_test_fence_fails),
	KUNIT_CASE(vtd_pe_test_narrow),
	KUNIT_CASE(vtd_pe_test_checker),
	KUNIT_CASE(vtd_pe_test_public_writer),
	KUNIT_CASE_SLOW(vtd_pe_test_write_all_pairs),
	{}
};

static struct kunit_suite vtd_pe_test_suite = {
	.name = "vtd_sm_pasid_entry",
	.test_cases = vtd_pe_test_cases,
};

kunit_test_suite(vtd_pe_test_suite);

MODULE_DESCRIPTION("KUnit tests for the vtd_sm PASID entry writer");
MODULE_LICENSE("GPL");
