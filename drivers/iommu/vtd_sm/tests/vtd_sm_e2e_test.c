// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end tests of vtd_sm paging domains and debug knobs with QEMU's
 * edu device (PCI 1234:11e8), through the IOMMU core API.
 *
 * Loaded after vtd_sm (and after vtd_sm_edu_test has let go of edu), it
 * binds edu and runs, with TAP results in
 * /sys/kernel/debug/vtd_sm_e2e_test/results:
 *
 *  - the debug knobs on the identity domain: pasid_bits grants the width
 *    asked, even above the unit's (QEMU: 1 bit); rid_pasid N makes edu's DMA walk PASID N's entry
 *    (none: blocked, with the fault recorded at the DMA's address); back
 *    to 0, DMA passes again; out-of-range values are refused;
 *  - a paging domain on the RID (second level, or first level on a unit
 *    that only has first level, which the PASID entry's PGTT must show):
 *    edu moves exactly the mapped bytes; the software walker translates
 *    the IOVA to the buffer's page and names a fault for an unmapped
 *    IOVA; DMA to the unmapped IOVA is blocked and recorded;
 *  - PASID N reached through rid_pasid: iommu_attach_device_pasid() makes
 *    DMA land, pasid_bits refuses to change meanwhile, detach blocks it;
 *  - iommu_group_replace_domain() between two domains that map the same
 *    IOVA to different pages while a thread keeps edu DMA going: the entry
 *    writer makes the transition the documentation names (second level
 *    to second level: hitless; first level to first level, another domain
 *    id and table: a teardown), without a new fault if it is hitless, and
 *    the data moves to the new page only.
 *
 * edu's registers (BAR 0): 0x80 DMA source, 0x88 destination, 0x90
 * count, 0x98 command (bit 0 start and busy, bit 1 direction edu -> RAM);
 * its 4 KiB buffer is at 0x40000 in the device's own address space.
 */
#define pr_fmt(fmt) "vtd_sm_e2e_test: " fmt

#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/string_choices.h>

#include "../vtd_sm_debug.h"
#include "edu.h"
#include "iommu_priv.h"
#include "../walk.h"

/* Bytes moved per transfer, and where they land in a page. */
#define XFER_LEN		1024
#define XFER_OFF		512
#define CANARY			0xa5

/* IOVAs: A and B mapped, U never mapped. */
#define IOVA_A			0x100000UL
#define IOVA_B			0x200000UL
#define IOVA_U			0x300000UL

/* ECAP_REG fields, as the VT-d specification numbers them. */
#define ECAP_SLTS		BIT_ULL(46)

#define E2E_TESTS		17

#define KNOB_BITS		3	/* asks for PASIDs 0-7: N = 5 if granted */

struct e2e {
	struct pci_dev *pdev;
	struct device *dev;
	void __iomem *bar;
	u64 cap;
	u64 ecap;
	struct page *pg[3];	/* A, B, source of the replace test */
	void *src;		/* coherent buffers for the identity tests */
	void *dst;
	dma_addr_t src_dma;
	dma_addr_t dst_dma;
	struct seq_buf tap;
	char tap_buf[8192];
	unsigned int n;
	struct dentry *debugfs;
	/* replace test */
	atomic_t iters;
	atomic_t errs;
};

static void result(struct e2e *t, bool ok, const char *what)
{
	seq_buf_printf(&t->tap, "%sok %u %s\n", ok ? "" : "not ", ++t->n, what);
	if (ok)
		pr_info("%s: ok\n", what);
	else
		pr_err("%s: FAILED\n", what);
}

static void skip(struct e2e *t, const char *what, const char *why)
{
	seq_buf_printf(&t->tap, "ok %u %s # SKIP %s\n", ++t->n, what, why);
}

#define diag(t, fmt, ...) seq_buf_printf(&(t)->tap, "# " fmt "\n", ##__VA_ARGS__)

static int edu_xfer(struct e2e *t, u64 ram, bool to_ram)
{
	return edu_dma(t->bar, ram, XFER_LEN, to_ram);
}

static u8 pattern(u8 seed, unsigned int i)
{
	return seed + i * 13 + (i >> 8);
}

static void fill(void *p, u8 seed, size_t len)
{
	u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pattern(seed, i);
}

/* @p holds the pattern of @seed, and nothing else is touched in its page. */
static bool page_has(struct e2e *t, void *p, u8 seed)
{
	u8 *b = p;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE; i++) {
		bool in = i >= XFER_OFF && i < XFER_OFF + XFER_LEN;
		u8 want = in ? pattern(seed, i - XFER_OFF) : CANARY;

		if (b[i] != want) {
			diag(t, "byte %u is %#x, want %#x", i, b[i], want);
			return false;
		}
	}
	return true;
}

static bool page_untouched(struct e2e *t, void *p)
{
	if (memchr_inv(p, CANARY, PAGE_SIZE)) {
		diag(t, "page written to");
		return false;
	}
	return true;
}

static void *pg_addr(struct e2e *t, unsigned int i)
{
	return page_address(t->pg[i]);
}

/* Source page @i: pattern of @seed at offset 0; landing page: canary. */
static void pg_prepare(struct e2e *t, unsigned int src, u8 seed, unsigned int dst)
{
	memset(pg_addr(t, src), 0, PAGE_SIZE);
	fill(pg_addr(t, src), seed, XFER_LEN);
	memset(pg_addr(t, dst), CANARY, PAGE_SIZE);
}

/* RAM at @from -> edu -> RAM at @to + XFER_OFF. */
static int edu_copy(struct e2e *t, u64 from, u64 to)
{
	int ret = edu_xfer(t, from, false);

	return ret ?: edu_xfer(t, to + XFER_OFF, true);
}

static void faults(struct e2e *t, struct vtd_sm_fault_info *fi)
{
	if (vtd_sm_debug_faults(t->dev, fi))
		memset(fi, 0, sizeof(*fi));
}

/* A new fault, from edu, at the page of @addr, of the given direction. */
static bool fault_at(struct e2e *t, const struct vtd_sm_fault_info *before,
		     u64 addr, bool write)
{
	struct vtd_sm_fault_info fi;

	faults(t, &fi);
	if (fi.count > before->count && fi.valid &&
	    fi.sid == pci_dev_id(t->pdev) && fi.addr == (addr & PAGE_MASK) &&
	    fi.write == write)
		return true;
	diag(t, "faults %llu -> %llu, last: valid %d sid %#x addr %#llx %s reason %#x",
	     before->count, fi.count, fi.valid, fi.sid, fi.addr,
	     str_write_read(fi.write), fi.reason);
	return false;
}

static void diag_walk(struct e2e *t, const struct vtd_walk_result *res)
{
	diag(t, "walk: fault %d (enum vtd_walk_fault) pasid %u pgtt %u phys %#llx level %u of %u",
	     res->fault, res->pasid, res->pgtt, (u64)res->phys, res->level,
	     res->levels);
}

/* Knob tests on the identity domain (edu's group not claimed). */
static void test_knobs(struct e2e *t)
{
	unsigned int want = KNOB_BITS;
	struct vtd_sm_fault_info before;
	struct vtd_walk_result res;
	int bits, ret;
	u32 n = 0;
	bool ok;

	/* 1: pasid_bits, even wider than the unit reports (QEMU: 1 bit). */
	bits = vtd_sm_debug_set_pasid_bits(t->dev, KNOB_BITS);
	ok = bits == want && t->dev->iommu->max_pasids == 1U << want;
	if (!ok)
		diag(t, "pasid_bits %d (want %u), core max_pasids %u", bits, want,
		     t->dev->iommu->max_pasids);
	result(t, ok, "pasid_bits knob grants the width asked");
	if (bits > 0)
		n = min(5U, (1U << bits) - 1);

	/* 2: rid_pasid N: requests without PASID walk PASID N (no entry). */
	ret = n ? vtd_sm_debug_set_rid_pasid(t->dev, n) : -EINVAL;
	ok = !ret &&
	     vtd_sm_debug_translate(t->dev, VTD_WALK_NO_PASID, t->src_dma,
				    VTD_WALK_READ, &res) == -EFAULT &&
	     res.pasid == n && (res.fault == VTD_WALK_PASID_NP ||
				res.fault == VTD_WALK_PDIR_NP);
	if (!ok) {
		diag(t, "rid_pasid %u: %d", n, ret);
		diag_walk(t, &res);
	}
	result(t, ok, "rid_pasid knob: DMA without PASID walks PASID N's entry");

	/* 3: that DMA is blocked and recorded at its address. */
	faults(t, &before);
	memset(t->dst, CANARY, PAGE_SIZE);
	ret = edu_xfer(t, t->dst_dma + XFER_OFF, true);
	ok = !ret && page_untouched(t, t->dst) &&
	     fault_at(t, &before, t->dst_dma + XFER_OFF, true);
	if (ret)
		diag(t, "edu: %d", ret);
	result(t, ok, "rid_pasid N without an entry blocks DMA; fault recorded at its address");

	/* 4: back to 0: pass-through again, as the walker says. */
	ret = vtd_sm_debug_set_rid_pasid(t->dev, 0);
	fill(t->src, 0x21, XFER_LEN);
	memset(t->dst, CANARY, PAGE_SIZE);
	ok = !ret &&
	     !vtd_sm_debug_translate(t->dev, VTD_WALK_NO_PASID, t->src_dma + 0x18,
				     VTD_WALK_READ, &res) &&
	     res.pasid == 0 && res.pgtt == VTD_WALK_PGTT_PT &&
	     res.phys == t->src_dma + 0x18 &&
	     !edu_copy(t, t->src_dma, t->dst_dma) && page_has(t, t->dst, 0x21);
	if (!ok) {
		diag(t, "rid_pasid 0: %d", ret);
		diag_walk(t, &res);
	}
	result(t, ok, "rid_pasid 0 restores pass-through DMA");

	/* 5: out-of-range values. */
	ok = bits > 0 &&
	     vtd_sm_debug_set_rid_pasid(t->dev, 1U << bits) == -ERANGE &&
	     vtd_sm_debug_set_pasid_bits(t->dev, 21) == -EINVAL &&
	     vtd_sm_debug_translate(t->dev, BIT(20), 0, VTD_WALK_READ, &res) == -EINVAL &&
	     !vtd_sm_debug_translate(t->dev, VTD_WALK_NO_PASID, t->src_dma,
				     VTD_WALK_READ, &res) && res.pasid == 0;
	result(t, ok, "knobs refuse out-of-range values");

	/* 6: pasid_bits 0 gives edu back its own count (none: no PASID cap). */
	ret = vtd_sm_debug_set_pasid_bits(t->dev, 0);
	ok = !ret && !t->pdev->pasid_cap && t->dev->iommu->max_pasids == 0;
	if (!ok)
		diag(t, "pasid_bits 0: %d, core max_pasids %u", ret,
		     t->dev->iommu->max_pasids);
	result(t, ok, "pasid_bits 0 restores the device's PASID count");
}

static void fail_all(struct e2e *t, const char * const *names, unsigned int nr,
		     const char *why, int err)
{
	unsigned int i;

	diag(t, "%s: %d", why, err);
	for (i = 0; i < nr; i++)
		result(t, false, names[i]);
}

/* The PGTT paging domains get: second level where the unit has it. */
static u8 want_pgtt(struct e2e *t)
{
	return t->ecap & ECAP_SLTS ? VTD_WALK_PGTT_SL : VTD_WALK_PGTT_FL;
}

/* A paging domain with @iova0 -> page @pg0 and @iova1 -> page @pg1. */
static struct iommu_domain *paging_domain(struct e2e *t, unsigned long iova0,
					  unsigned int pg0, unsigned long iova1,
					  unsigned int pg1)
{
	struct iommu_domain *dom = iommu_paging_domain_alloc(t->dev);
	int ret;

	if (IS_ERR(dom))
		return dom;
	ret = iommu_map(dom, iova0, page_to_phys(t->pg[pg0]), PAGE_SIZE,
			IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
	if (!ret)
		ret = iommu_map(dom, iova1, page_to_phys(t->pg[pg1]), PAGE_SIZE,
				IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
	if (ret) {
		iommu_domain_free(dom);
		return ERR_PTR(ret);
	}
	return dom;
}

/* The walker's answer for edu's request without PASID at @iova. */
static bool walks_to(struct e2e *t, u64 iova, unsigned int access,
		     u32 pasid, unsigned int pg)
{
	struct vtd_walk_result res;

	if (!vtd_sm_debug_translate(t->dev, VTD_WALK_NO_PASID, iova, access,
				    &res) &&
	    res.pasid == pasid && res.pgtt == want_pgtt(t) &&
	    res.phys == page_to_phys(t->pg[pg]) + offset_in_page(iova))
		return true;
	diag(t, "want pasid %u pgtt %u phys %#llx", pasid, want_pgtt(t),
	     (u64)page_to_phys(t->pg[pg]) + offset_in_page(iova));
	diag_walk(t, &res);
	return false;
}

static const char * const rid_names[] = {
	"paging domain on the RID: edu DMA moves exactly the mapped bytes",
	"walker: mapped IOVAs give the buffers' pages; PGTT second level (first level on a first-level-only unit)",
	"walker: an unmapped IOVA gives a paging-structure fault",
	"DMA to an unmapped IOVA is blocked; the fault record has its address",
};

static void test_rid_paging(struct e2e *t, struct iommu_group *group)
{
	struct vtd_sm_fault_info before, after;
	struct vtd_walk_result res;
	struct iommu_domain *dom;
	int ret;
	bool ok;

	dom = paging_domain(t, IOVA_A, 0, IOVA_B, 1);
	if (IS_ERR(dom))
		return fail_all(t, rid_names, ARRAY_SIZE(rid_names),
				"paging domain", PTR_ERR(dom));
	ret = iommu_attach_group(dom, group);
	if (ret) {
		iommu_domain_free(dom);
		return fail_all(t, rid_names, ARRAY_SIZE(rid_names),
				"attach", ret);
	}

	pg_prepare(t, 0, 0x37, 1);
	faults(t, &before);
	ret = edu_copy(t, IOVA_A, IOVA_B);
	faults(t, &after);
	ok = !ret && page_has(t, pg_addr(t, 1), 0x37) && after.count == before.count;
	if (!ok)
		diag(t, "edu: %d, faults %llu -> %llu", ret, before.count, after.count);
	result(t, ok, rid_names[0]);

	ok = walks_to(t, IOVA_A + 0x10, VTD_WALK_READ, 0, 0) &&
	     walks_to(t, IOVA_B + XFER_OFF, VTD_WALK_WRITE, 0, 1);
	if (ok)
		diag(t, "RID's PASID entry: PGTT %s",
		     want_pgtt(t) == VTD_WALK_PGTT_SL ? "second level" : "first level");
	result(t, ok, rid_names[1]);

	ret = vtd_sm_debug_translate(t->dev, VTD_WALK_NO_PASID, IOVA_U,
				     VTD_WALK_WRITE, &res);
	ok = ret == -EFAULT && res.pasid == 0 &&
	     (res.fault == VTD_WALK_SL_NP || res.fault == VTD_WALK_FL_NP);
	if (!ok)
		diag_walk(t, &res);
	result(t, ok, rid_names[2]);

	memset(pg_addr(t, 1), CANARY, PAGE_SIZE);
	faults(t, &before);
	ret = edu_xfer(t, IOVA_U + XFER_OFF, true);
	ok = !ret && fault_at(t, &before, IOVA_U + XFER_OFF, true) &&
	     page_untouched(t, pg_addr(t, 1));
	result(t, ok, rid_names[3]);

	iommu_detach_group(dom, group);
	iommu_domain_free(dom);
}

static const char * const pasid_names[] = {
	"PASID N through rid_pasid: iommu_attach_device_pasid() makes DMA land",
	"pasid_bits refused while PASID N has an entry",
	"iommu_detach_device_pasid() blocks PASID N's DMA; fault recorded",
	"rid_pasid and pasid_bits restored",
};

static void test_pasid(struct e2e *t)
{
	struct vtd_sm_fault_info before;
	struct vtd_walk_result res;
	struct iommu_domain *dom;
	int bits, ret, ret2;
	bool ok;
	u32 n;

	bits = vtd_sm_debug_set_pasid_bits(t->dev, KNOB_BITS);
	if (bits <= 0)
		return fail_all(t, pasid_names, ARRAY_SIZE(pasid_names),
				"pasid_bits", bits);
	n = min(5U, (1U << bits) - 1);
	diag(t, "PASID %u of %u", n, 1U << bits);
	ret = vtd_sm_debug_set_rid_pasid(t->dev, n);
	dom = paging_domain(t, IOVA_A, 0, IOVA_B, 1);
	if (ret || IS_ERR(dom)) {
		if (!IS_ERR(dom))
			iommu_domain_free(dom);
		fail_all(t, pasid_names, ARRAY_SIZE(pasid_names) - 1,
			 "rid_pasid or paging domain", ret ?: PTR_ERR(dom));
		goto restore;
	}

	pg_prepare(t, 0, 0x4b, 1);
	ret = iommu_attach_device_pasid(dom, t->dev, n, NULL);
	ok = !ret && walks_to(t, IOVA_A, VTD_WALK_READ, n, 0) &&
	     !edu_copy(t, IOVA_A, IOVA_B) && page_has(t, pg_addr(t, 1), 0x4b);
	if (ret)
		diag(t, "attach pasid %u: %d", n, ret);
	result(t, ok, pasid_names[0]);

	ret2 = vtd_sm_debug_set_pasid_bits(t->dev, 0);
	ok = ret2 == -EBUSY && t->dev->iommu->max_pasids == 1U << bits;
	if (!ok)
		diag(t, "pasid_bits 0 with PASID %u attached: %d", n, ret2);
	result(t, ok, pasid_names[1]);

	if (!ret)
		iommu_detach_device_pasid(dom, t->dev, n);
	memset(pg_addr(t, 1), CANARY, PAGE_SIZE);
	faults(t, &before);
	ret2 = edu_xfer(t, IOVA_B + XFER_OFF, true);
	ok = !ret && !ret2 && page_untouched(t, pg_addr(t, 1)) &&
	     fault_at(t, &before, IOVA_B + XFER_OFF, true) &&
	     vtd_sm_debug_translate(t->dev, VTD_WALK_NO_PASID, IOVA_B,
				    VTD_WALK_WRITE, &res) == -EFAULT &&
	     res.pasid == n;
	if (!ok && !ret)
		diag_walk(t, &res);
	result(t, ok, pasid_names[2]);
	iommu_domain_free(dom);

restore:
	ret = vtd_sm_debug_set_rid_pasid(t->dev, 0);
	ret2 = vtd_sm_debug_set_pasid_bits(t->dev, 0);
	ok = !ret && !ret2 && t->dev->iommu->max_pasids == 0;
	if (!ok)
		diag(t, "restore: rid_pasid %d, pasid_bits %d", ret, ret2);
	result(t, ok, pasid_names[3]);
}

static int dma_loop(void *data)
{
	struct e2e *t = data;

	while (!kthread_should_stop()) {
		if (edu_xfer(t, IOVA_B + XFER_OFF, true))
			atomic_inc(&t->errs);
		atomic_inc(&t->iters);
	}
	return 0;
}

static bool wait_iters(struct e2e *t, int target)
{
	unsigned long deadline = jiffies + 30 * HZ;

	while (atomic_read(&t->iters) < target) {
		if (time_after(jiffies, deadline)) {
			diag(t, "DMA loop stuck at %d of %d", atomic_read(&t->iters),
			     target);
			return false;
		}
		msleep(20);
	}
	return true;
}

static const char * const replace_names[] = {
	"replace between paging domains: the documented transition (second level: hitless; first level: teardown)",
	"replace under DMA, hitless: no new fault",
	"replace under DMA: the data moves to the new domain's page, none to the old",
};

/*
 * Under the 128-bit fetch model (Documentation/driver-api/
 * vtd_sm-pasid-entry.rst): two second-level domains differ only in bits
 * 127:0 of the entry, two first-level domains in the domain id (bits
 * 79:64) and the first-level table (bits 191:140), two pieces.
 */
static bool replace_expect_hitless(struct e2e *t)
{
	return t->ecap & ECAP_SLTS;
}

static bool replace_kind_ok(struct e2e *t,
			    const struct vtd_sm_update_counts *b,
			    const struct vtd_sm_update_counts *a)
{
	u64 hl = a->hitless - b->hitless, seq = a->hitless_seq - b->hitless_seq;
	u64 td = a->teardown - b->teardown;

	diag(t, "entry updates of the replace: hitless %llu, ordered sequence %llu, teardown %llu",
	     hl, seq, td);
	if (replace_expect_hitless(t))
		return hl == 1 && !seq && !td;
	return !hl && !seq && td == 1;
}

static void test_replace(struct e2e *t, struct iommu_group *group)
{
	struct vtd_sm_update_counts upd_before = {}, upd_after = {};
	struct vtd_sm_fault_info before, after;
	struct iommu_domain *old, *new;
	struct task_struct *task;
	int ret, rep = -EINVAL;
	bool ok, moved = false;

	/* Both read the source at IOVA_A; IOVA_B is page A, then page B. */
	old = paging_domain(t, IOVA_A, 2, IOVA_B, 0);
	if (IS_ERR(old))
		return fail_all(t, replace_names, ARRAY_SIZE(replace_names),
				"paging domain", PTR_ERR(old));
	new = paging_domain(t, IOVA_A, 2, IOVA_B, 1);
	if (IS_ERR(new)) {
		iommu_domain_free(old);
		return fail_all(t, replace_names, ARRAY_SIZE(replace_names),
				"second paging domain", PTR_ERR(new));
	}
	ret = iommu_attach_group(old, group);
	pg_prepare(t, 2, 0x6d, 0);
	memset(pg_addr(t, 1), CANARY, PAGE_SIZE);
	if (!ret)
		ret = edu_xfer(t, IOVA_A, false);
	if (ret) {
		fail_all(t, replace_names, ARRAY_SIZE(replace_names),
			 "attach or load edu", ret);
		goto out;
	}

	atomic_set(&t->iters, 0);
	atomic_set(&t->errs, 0);
	task = kthread_run(dma_loop, t, "vtd_e2e_dma");
	if (IS_ERR(task)) {
		fail_all(t, replace_names, ARRAY_SIZE(replace_names),
			 "thread", PTR_ERR(task));
		goto out;
	}
	ok = wait_iters(t, 2) && page_has(t, pg_addr(t, 0), 0x6d);
	faults(t, &before);
	if (ok)
		ok = !vtd_sm_debug_updates(t->dev, &upd_before);
	if (ok) {
		rep = iommu_group_replace_domain(group, new);
		if (vtd_sm_debug_updates(t->dev, &upd_after))
			upd_after = upd_before;
		/* Transfers begun before the replace have ended after two more. */
		ok = !rep && wait_iters(t, atomic_read(&t->iters) + 2);
		memset(pg_addr(t, 0), CANARY, PAGE_SIZE);
		ok = ok && wait_iters(t, atomic_read(&t->iters) + 3);
		moved = ok;
	}
	kthread_stop(task);
	faults(t, &after);

	result(t, !rep && moved && replace_kind_ok(t, &upd_before, &upd_after),
	       replace_names[0]);
	ok = moved && !atomic_read(&t->errs) && after.count == before.count &&
	     after.overflows == before.overflows;
	diag(t, "replace %d, %d transfers, faults %llu -> %llu, lost %llu -> %llu, errors %d",
	     rep, atomic_read(&t->iters), before.count, after.count,
	     before.overflows, after.overflows, atomic_read(&t->errs));
	if (replace_expect_hitless(t))
		result(t, ok, replace_names[1]);
	else
		skip(t, replace_names[1],
		     "a teardown: DMA in its window faults, which is not checked");
	ok = moved && page_has(t, pg_addr(t, 1), 0x6d) &&
	     page_untouched(t, pg_addr(t, 0));
	result(t, ok, replace_names[2]);
out:
	iommu_detach_group(rep ? old : new, group);
	iommu_domain_free(new);
	iommu_domain_free(old);
}

static void e2e_run(struct e2e *t)
{
	struct iommu_group *group;
	int ret;

	seq_buf_printf(&t->tap, "TAP version 13\n1..%u\n", E2E_TESTS);
	ret = vtd_sm_debug_unit_regs(t->dev, &t->cap, &t->ecap);
	if (ret)
		diag(t, "edu is not behind vtd_sm: %d", ret);
	else
		diag(t, "unit cap %#llx ecap %#llx", t->cap, t->ecap);

	test_knobs(t);

	group = iommu_group_get(t->dev);
	ret = group ? iommu_group_claim_dma_owner(group, t) : -ENODEV;
	if (ret) {
		diag(t, "cannot own edu's group: %d", ret);
		while (t->n < E2E_TESTS)
			result(t, false, "owning edu's group");
		iommu_group_put(group);
		return;
	}
	test_rid_paging(t, group);
	test_pasid(t);
	test_replace(t, group);
	iommu_group_release_dma_owner(group);
	iommu_group_put(group);
	if (t->n != E2E_TESTS)
		diag(t, "ran %u tests, planned %u", t->n, E2E_TESTS);
}

static int e2e_results_show(struct seq_file *m, void *unused)
{
	struct e2e *t = m->private;

	seq_puts(m, t->tap_buf);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(e2e_results);

static void e2e_free_pages(void *data)
{
	struct e2e *t = data;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t->pg); i++)
		if (t->pg[i])
			__free_page(t->pg[i]);
}

static int e2e_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct e2e *t;
	unsigned int i;
	int ret;

	t = devm_kzalloc(&pdev->dev, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->pdev = pdev;
	t->dev = &pdev->dev;
	seq_buf_init(&t->tap, t->tap_buf, sizeof(t->tap_buf));

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	t->bar = pcim_iomap(pdev, 0, 0);
	if (!t->bar)
		return -ENOMEM;
	ret = dma_set_mask_and_coherent(t->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	pci_set_master(pdev);

	ret = devm_add_action_or_reset(t->dev, e2e_free_pages, t);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(t->pg); i++) {
		t->pg[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!t->pg[i])
			return -ENOMEM;
	}
	t->src = dmam_alloc_coherent(t->dev, PAGE_SIZE, &t->src_dma, GFP_KERNEL);
	t->dst = dmam_alloc_coherent(t->dev, PAGE_SIZE, &t->dst_dma, GFP_KERNEL);
	if (!t->src || !t->dst)
		return -ENOMEM;

	e2e_run(t);
	pci_set_drvdata(pdev, t);
	t->debugfs = debugfs_create_dir("vtd_sm_e2e_test", NULL);
	debugfs_create_file("results", 0400, t->debugfs, t, &e2e_results_fops);
	return 0;
}

static void e2e_remove(struct pci_dev *pdev)
{
	struct e2e *t = pci_get_drvdata(pdev);

	debugfs_remove_recursive(t->debugfs);
	pci_clear_master(pdev);
}

static const struct pci_device_id e2e_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{}
};
MODULE_DEVICE_TABLE(pci, e2e_ids);

static struct pci_driver e2e_driver = {
	.name = "vtd_sm_e2e_test",
	.id_table = e2e_ids,
	.probe = e2e_probe,
	.remove = e2e_remove,
	/* The test attaches edu's group to its own domains. */
	.driver_managed_dma = true,
};
module_pci_driver(e2e_driver);

MODULE_DESCRIPTION("End-to-end tests of vtd_sm paging domains and debug knobs with QEMU's edu device");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(VTD_SM_DEBUG);
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);
