// SPDX-License-Identifier: GPL-2.0
/*
 * VT-d I/O page tables: second-level and first-level translation tables.
 *
 * Both formats are radix trees of 4KiB tables holding 512 eight-byte
 * entries; level 1 holds 4KiB leaves, and an entry of level 2 or 3 with the
 * page-size bit set is a 2MiB or 1GiB leaf.  Level n translates IOVA bits
 * (12 + 9n - 1):(12 + 9(n - 1)).
 *
 * Ordering: a new table is zeroed (and written back if the unit does not
 * snoop) before one compare-and-exchange publishes it, so the hardware and
 * concurrent walkers never see a half-built table; leaves are stored with a
 * single 64-bit store into tables that are already published, and removed
 * the same way.  Table pages that an unmap detaches go to the caller's
 * gather freelist and must not be freed before the IOTLB and paging-structure
 * caches have been invalidated for the gathered range.
 */
#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/iommufd_dirty.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/vmstat.h>
#include <asm/cacheflush.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include "pgtable.h"
#include "regs.h"

#define VTD_PT_LEVEL_BITS	9
#define VTD_PT_ENTRIES		BIT(VTD_PT_LEVEL_BITS)
/* The ADDR field ends at bit 51: the largest output address. */
#define VTD_PT_MAX_PADDR	(BIT_ULL(52) - 1)

static unsigned int vtd_pt_shift(unsigned int level)
{
	return PAGE_SHIFT + VTD_PT_LEVEL_BITS * (level - 1);
}

static u64 vtd_pt_span(unsigned int level)
{
	return BIT_ULL(vtd_pt_shift(level));
}

static unsigned int vtd_pt_index(u64 iova, unsigned int level)
{
	return (iova >> vtd_pt_shift(level)) & (VTD_PT_ENTRIES - 1);
}

static bool vtd_pt_is_leaf(u64 pte, unsigned int level)
{
	return level == 1 || (pte & VTD_PTE_PS);
}

static u64 *vtd_pt_table(u64 pte)
{
	return phys_to_virt(pte & VTD_PTE_ADDR);
}

static u64 vtd_pt_max_iova(const struct vtd_pgtable *pt)
{
	return BIT_ULL(pt->aw) - 1;
}

/* Bits of an entry that points to a next-level table. */
static u64 vtd_pt_table_bits(const struct vtd_pgtable *pt)
{
	if (pt->format == VTD_PGTABLE_FL)
		return VTD_FLPTE_P | VTD_FLPTE_RW | VTD_FLPTE_US | VTD_FLPTE_A;
	return VTD_SLPTE_R | VTD_SLPTE_W;
}

/*
 * Bits of a leaf for IOMMU_* @prot, without PS and address.  First-level
 * entries cannot deny reads, so a write-only mapping is readable there.  A
 * and D are set up front so that the unit never has to update the entry.
 */
static u64 vtd_pt_leaf_bits(const struct vtd_pgtable *pt, int prot)
{
	u64 bits = 0;

	if (pt->format == VTD_PGTABLE_FL) {
		bits = VTD_FLPTE_P | VTD_FLPTE_US | VTD_FLPTE_A;
		if (prot & IOMMU_WRITE)
			bits |= VTD_FLPTE_RW | VTD_FLPTE_D;
		return bits;
	}
	if (prot & IOMMU_READ)
		bits |= VTD_SLPTE_R;
	if (prot & IOMMU_WRITE)
		bits |= VTD_SLPTE_W;
	if ((prot & IOMMU_CACHE) && (pt->flags & VTD_PGTABLE_SNOOP_CTRL))
		bits |= VTD_SLPTE_SNP;
	return bits;
}

static void vtd_pt_sync(const struct vtd_pgtable *pt, void *va, size_t len)
{
	if (pt->flags & VTD_PGTABLE_NONCOHERENT)
		clflush_cache_range(va, len);
}

static void vtd_pt_set(const struct vtd_pgtable *pt, u64 *ptep, u64 pte)
{
	WRITE_ONCE(*ptep, pte);
	vtd_pt_sync(pt, ptep, sizeof(*ptep));
}

/**
 * vtd_pgtable_alloc_table() - allocate one zeroed table page
 * @pt: the page table it is for (gives the NUMA node)
 * @gfp: allocation flags
 *
 * Every table page, the root included, comes from here; KUnit tests replace
 * it with a static stub to make allocations fail.
 *
 * Return: the page, or NULL.
 */
VISIBLE_IF_KUNIT struct page *vtd_pgtable_alloc_table(struct vtd_pgtable *pt,
						      gfp_t gfp)
{
	KUNIT_STATIC_STUB_REDIRECT(vtd_pgtable_alloc_table, pt, gfp);
	return alloc_pages_node(pt->nid, gfp | __GFP_ZERO, 0);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pgtable_alloc_table);

/*
 * Table pages are counted as IOMMU page-table memory the way the IOMMU
 * core's own allocator does, so that a gather freelist may also be freed by
 * the core (the DMA API's flush queue frees gathered pages itself).
 */
static void vtd_pt_account(struct page *page, long n)
{
	mod_node_page_state(page_pgdat(page), NR_IOMMU_PAGES, n);
	mod_lruvec_page_state(page, NR_SECONDARY_PAGETABLE, n);
}

static struct page *vtd_pt_alloc(struct vtd_pgtable *pt, gfp_t gfp)
{
	struct page *page = vtd_pgtable_alloc_table(pt, gfp);

	if (page) {
		vtd_pt_account(page, 1);
		vtd_pt_sync(pt, page_address(page), PAGE_SIZE);
	}
	return page;
}

static void vtd_pt_free_list(struct list_head *list)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, list, lru) {
		list_del(&page->lru);
		vtd_pt_account(page, -1);
		put_page(page);
	}
}

/**
 * vtd_pgtable_sl_pgsizes() - page sizes of second-level leaves
 * @cap: the unit's capability register
 *
 * Return: SZ_4K plus the superpage sizes CAP.SLLPS advertises.
 */
unsigned long vtd_pgtable_sl_pgsizes(u64 cap)
{
	unsigned long sllps = FIELD_GET(VTD_CAP_SLLPS, cap);
	unsigned long sizes = SZ_4K;

	if (sllps & BIT(0)) {
		sizes |= SZ_2M;
		if (sllps & BIT(1))
			sizes |= SZ_1G;
	}
	return sizes;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pgtable_sl_pgsizes);

/**
 * vtd_pgtable_fl_pgsizes() - page sizes of first-level leaves
 * @cap: the unit's capability register
 *
 * Return: SZ_4K and SZ_2M, plus SZ_1G if CAP.FL1GP is set.
 */
unsigned long vtd_pgtable_fl_pgsizes(u64 cap)
{
	unsigned long sizes = SZ_4K | SZ_2M;

	if (cap & VTD_CAP_FL1GP)
		sizes |= SZ_1G;
	return sizes;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pgtable_fl_pgsizes);

static bool vtd_pt_pgsizes_valid(unsigned long sizes)
{
	if (!(sizes & SZ_4K) || (sizes & ~(SZ_4K | SZ_2M | SZ_1G)))
		return false;
	/* Filling a table under a 1GiB slot relies on 2MiB leaves. */
	return !(sizes & SZ_1G) || (sizes & SZ_2M);
}

/**
 * vtd_pgtable_init() - set up an empty page table
 * @pt: the page table to initialise
 * @cfg: format, levels, address width, page sizes, flags and node
 * @gfp: allocation flags for the root table
 *
 * Return: 0; -EINVAL if @cfg asks for something the format cannot do;
 * -ENOMEM if the root table cannot be allocated.
 */
int vtd_pgtable_init(struct vtd_pgtable *pt, const struct vtd_pgtable_cfg *cfg,
		     gfp_t gfp)
{
	unsigned int max_aw;
	struct page *root;

	switch (cfg->format) {
	case VTD_PGTABLE_SL:
		if (cfg->levels < 3 || cfg->levels > 5)
			return -EINVAL;
		break;
	case VTD_PGTABLE_FL:
		if (cfg->levels != 4 && cfg->levels != 5)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	max_aw = VTD_PT_LEVEL_BITS * cfg->levels + PAGE_SHIFT;
	/*
	 * First-level input addresses must be canonical: an IOVA with the
	 * top translated bit set would need every bit above it set too, so
	 * only the lower half is usable.
	 */
	if (cfg->format == VTD_PGTABLE_FL)
		max_aw--;
	if (cfg->aw > max_aw || (cfg->aw && cfg->aw <= PAGE_SHIFT))
		return -EINVAL;
	if (!vtd_pt_pgsizes_valid(cfg->pgsize_bitmap))
		return -EINVAL;
	if (cfg->flags & ~(VTD_PGTABLE_NONCOHERENT | VTD_PGTABLE_SNOOP_CTRL))
		return -EINVAL;

	pt->format = cfg->format;
	pt->levels = cfg->levels;
	pt->aw = cfg->aw ?: max_aw;
	pt->pgsize_bitmap = cfg->pgsize_bitmap;
	pt->flags = cfg->flags;
	pt->nid = cfg->nid;

	root = vtd_pt_alloc(pt, gfp);
	if (!root)
		return -ENOMEM;
	pt->root = page_address(root);
	atomic_long_set(&pt->nr_tables, 1);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pgtable_init);

/*
 * Move @table and every table below it to @freelist.  The caller has
 * detached @table, so nothing else reaches it.  Returns the bytes its leaves
 * mapped.
 */
static size_t vtd_pt_reap(struct vtd_pgtable *pt, u64 *table,
			  unsigned int level, struct list_head *freelist)
{
	size_t leaves = 0;
	unsigned int i;

	for (i = 0; i < VTD_PT_ENTRIES; i++) {
		u64 pte = READ_ONCE(table[i]);

		if (!pte)
			continue;
		if (vtd_pt_is_leaf(pte, level))
			leaves += vtd_pt_span(level);
		else
			leaves += vtd_pt_reap(pt, vtd_pt_table(pte), level - 1,
					      freelist);
	}
	list_add_tail(&virt_to_page(table)->lru, freelist);
	atomic_long_dec(&pt->nr_tables);
	return leaves;
}

/**
 * vtd_pgtable_destroy() - free every table page
 * @pt: the page table
 *
 * The unit must no longer walk @pt and its caches must hold nothing of it.
 */
void vtd_pgtable_destroy(struct vtd_pgtable *pt)
{
	LIST_HEAD(freelist);

	if (!pt->root)
		return;
	vtd_pt_reap(pt, pt->root, pt->levels, &freelist);
	vtd_pt_free_list(&freelist);
	pt->root = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pgtable_destroy);

/**
 * vtd_pgtable_root_phys() - physical address of the root table
 * @pt: the page table
 *
 * Return: what a PASID-table entry's SLPTPTR or FLPTPTR field points to.
 */
phys_addr_t vtd_pgtable_root_phys(const struct vtd_pgtable *pt)
{
	return virt_to_phys(pt->root);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pgtable_root_phys);

/**
 * vtd_pgtable_put_pages() - free table pages an unmap detached
 * @freelist: the gather's freelist, after the caches were invalidated
 *
 * Does what the IOMMU core does with the gather freelists it frees itself:
 * undo the page-table memory accounting and drop the pages.
 */
void vtd_pgtable_put_pages(struct list_head *freelist)
{
	vtd_pt_free_list(freelist);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pgtable_put_pages);

struct vtd_pt_map {
	struct vtd_pgtable *pt;
	u64 iova;
	phys_addr_t paddr;
	u64 leaf_bits;
	gfp_t gfp;
	/* Only look for conflicts; write and allocate nothing. */
	bool check;
	size_t mapped;
	/* Allocated pages not yet published. */
	struct list_head pool;
	unsigned int pool_len;
};

/*
 * Publish a table under the empty entry @ptep of level @level, and return
 * in @pte what the entry holds afterwards (another walker's table if it
 * won the race).  Every table down to @leaf_level is allocated before the
 * first is published, so a failed allocation never leaves an empty table
 * behind.
 */
static int vtd_pt_install(struct vtd_pt_map *m, u64 *ptep, unsigned int level,
			  unsigned int leaf_level, u64 *pte)
{
	struct vtd_pgtable *pt = m->pt;
	struct page *page;
	u64 new, old;

	while (m->pool_len < level - leaf_level) {
		page = vtd_pt_alloc(pt, m->gfp);
		if (!page)
			return -ENOMEM;
		list_add(&page->lru, &m->pool);
		m->pool_len++;
	}

	page = list_first_entry(&m->pool, struct page, lru);
	new = page_to_phys(page) | vtd_pt_table_bits(pt);
	old = cmpxchg64(ptep, 0ULL, new);
	if (old) {
		*pte = old;
		return 0;
	}
	list_del(&page->lru);
	m->pool_len--;
	vtd_pt_sync(pt, ptep, sizeof(*ptep));
	atomic_long_inc(&pt->nr_tables);
	*pte = new;
	return 0;
}

static int vtd_pt_map_level(struct vtd_pt_map *m, u64 *table,
			    unsigned int level, u64 iova, u64 last,
			    unsigned int leaf_level)
{
	u64 span = vtd_pt_span(level);
	unsigned int idx = vtd_pt_index(iova, level);
	int ret = 0;

	for (;; idx++) {
		u64 *ptep = &table[idx];
		u64 elast = min(last, iova | (span - 1));
		u64 pte = READ_ONCE(*ptep);

		if (pte && vtd_pt_is_leaf(pte, level))
			return -EEXIST;

		if (level == leaf_level && !pte) {
			if (!m->check) {
				u64 pa = m->paddr + (iova - m->iova);

				vtd_pt_set(m->pt, ptep, (pa & VTD_PTE_ADDR) |
					   m->leaf_bits |
					   (level > 1 ? VTD_PTE_PS : 0));
				m->mapped += span;
			}
		} else if (level == leaf_level) {
			/*
			 * A table the leaf would replace; this call owns its
			 * whole span.  Replacing it would need a cache flush
			 * before its pages can be freed, so fill it with
			 * smaller leaves instead (conflicts were ruled out).
			 */
			ret = vtd_pt_map_level(m, vtd_pt_table(pte), level - 1,
					       iova, elast, level - 1);
		} else if (pte || !m->check) {
			if (!pte) {
				ret = vtd_pt_install(m, ptep, level, leaf_level,
						     &pte);
				if (!ret && vtd_pt_is_leaf(pte, level))
					ret = -EEXIST;
			}
			if (!ret)
				ret = vtd_pt_map_level(m, vtd_pt_table(pte),
						       level - 1, iova, elast,
						       leaf_level);
		}
		if (ret || elast == last)
			return ret;
		iova = elast + 1;
	}
}

/*
 * Single pass of vtd_pgtable_map_pages() for a range whose leaves all lie
 * in one table of @leaf_level (one 4 KiB or 2 MiB page, for instance):
 * walk down once, publishing the tables that are missing, then check the
 * leaf slots and fill them.  A table published here is empty, so nothing
 * below it can conflict: a conflict is only ever found in entries that
 * were there before, and then nothing has been written.  Returns -EAGAIN,
 * with nothing written, when a leaf slot holds a table: the general path
 * decides then.
 */
static int vtd_pt_map_one_table(struct vtd_pt_map *m, u64 last,
				unsigned int leaf_level)
{
	struct vtd_pgtable *pt = m->pt;
	unsigned int level, i, first, end;
	u64 *table = pt->root;
	u64 pte, pa;
	int ret;

	for (level = pt->levels; level > leaf_level; level--) {
		u64 *ptep = &table[vtd_pt_index(m->iova, level)];

		pte = READ_ONCE(*ptep);
		if (!pte) {
			ret = vtd_pt_install(m, ptep, level, leaf_level, &pte);
			if (ret)
				return ret;
		}
		if (vtd_pt_is_leaf(pte, level))
			return -EEXIST;
		table = vtd_pt_table(pte);
	}

	first = vtd_pt_index(m->iova, leaf_level);
	end = vtd_pt_index(last, leaf_level);
	for (i = first; i <= end; i++) {
		pte = READ_ONCE(table[i]);
		if (pte)
			return vtd_pt_is_leaf(pte, leaf_level) ? -EEXIST : -EAGAIN;
	}
	pa = m->paddr;
	for (i = first; i <= end; i++) {
		WRITE_ONCE(table[i], (pa & VTD_PTE_ADDR) | m->leaf_bits |
			   (leaf_level > 1 ? VTD_PTE_PS : 0));
		pa += vtd_pt_span(leaf_level);
	}
	vtd_pt_sync(pt, &table[first], (end - first + 1) * sizeof(*table));
	m->mapped += (u64)(end - first + 1) * vtd_pt_span(leaf_level);
	return 0;
}

/**
 * vtd_pgtable_map_pages() - map physically contiguous pages
 * @pt: the page table
 * @iova: first IOVA, aligned to @pgsize
 * @paddr: first physical address, aligned to @pgsize
 * @pgsize: size of each page, one of @pt->pgsize_bitmap; the leaves are of
 *	this size (see below for the one exception)
 * @pgcount: number of pages
 * @prot: IOMMU_READ and/or IOMMU_WRITE, optionally IOMMU_CACHE
 * @gfp: allocation flags for new tables
 * @mapped: incremented by the bytes mapped, also on failure
 *
 * If any part of the range is already mapped, nothing is mapped and -EEXIST
 * is returned.  If the range covers the whole span of a table left empty by
 * earlier unmaps, that table is filled with leaves of the next smaller size
 * instead of being replaced by a superpage (replacing would need a cache
 * flush before the old table could be freed).  If a table allocation fails,
 * the pages before the failing one stay mapped, @mapped says how many bytes
 * that is, and no empty table is left behind.
 *
 * Context: may sleep if @gfp allows.  Safe against concurrent map and unmap
 * of IOVA ranges disjoint from this one.
 * Return: 0, -EINVAL (bad size, alignment, protection, or beyond the
 * address width), -EEXIST or -ENOMEM.
 */
int vtd_pgtable_map_pages(struct vtd_pgtable *pt, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct vtd_pt_map m = {
		.pt = pt,
		.iova = iova,
		.paddr = paddr,
		.leaf_bits = vtd_pt_leaf_bits(pt, prot),
		.gfp = gfp,
		.check = true,
		.pool = LIST_HEAD_INIT(m.pool),
	};
	unsigned int leaf_level;
	u64 size, last;
	int ret;

	if (!(prot & (IOMMU_READ | IOMMU_WRITE)) || !pgcount)
		return -EINVAL;
	if (!is_power_of_2(pgsize) || !(pgsize & pt->pgsize_bitmap))
		return -EINVAL;
	if (!IS_ALIGNED(iova, pgsize) || !IS_ALIGNED(paddr, pgsize))
		return -EINVAL;
	if (check_mul_overflow((u64)pgsize, (u64)pgcount, &size))
		return -EINVAL;
	if (iova > vtd_pt_max_iova(pt) || size - 1 > vtd_pt_max_iova(pt) - iova)
		return -EINVAL;
	if (paddr > VTD_PT_MAX_PADDR || size - 1 > VTD_PT_MAX_PADDR - paddr)
		return -EINVAL;

	leaf_level = (ilog2(pgsize) - PAGE_SHIFT) / VTD_PT_LEVEL_BITS + 1;
	last = iova + size - 1;

	/* All leaves in one table: one walk (the common case of one page). */
	if ((iova ^ last) >> vtd_pt_shift(leaf_level + 1) == 0) {
		m.check = false;
		ret = vtd_pt_map_one_table(&m, last, leaf_level);
		if (ret != -EAGAIN)
			goto out;
		m.check = true;
	}

	ret = vtd_pt_map_level(&m, pt->root, pt->levels, iova, last, leaf_level);
	if (ret)
		goto out;
	m.check = false;
	ret = vtd_pt_map_level(&m, pt->root, pt->levels, iova, last, leaf_level);
out:
	vtd_pt_free_list(&m.pool);
	*mapped += m.mapped;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pgtable_map_pages);

static size_t vtd_pt_unmap_level(struct vtd_pgtable *pt, u64 *table,
				 unsigned int level, u64 iova, u64 last,
				 struct iommu_iotlb_gather *gather)
{
	u64 span = vtd_pt_span(level);
	unsigned int idx = vtd_pt_index(iova, level);
	size_t unmapped = 0;

	for (;; idx++) {
		u64 *ptep = &table[idx];
		u64 start = iova & ~(span - 1);
		u64 elast = min(last, start + span - 1);
		u64 pte = READ_ONCE(*ptep);
		bool whole = iova == start && elast == start + span - 1;

		if (!pte) {
			/* Nothing mapped here. */
		} else if (vtd_pt_is_leaf(pte, level) || whole) {
			vtd_pt_set(pt, ptep, 0);
			iommu_iotlb_gather_add_range(gather, start, span);
			if (vtd_pt_is_leaf(pte, level))
				unmapped += span;
			else
				unmapped += vtd_pt_reap(pt, vtd_pt_table(pte),
							level - 1,
							&gather->freelist);
		} else {
			unmapped += vtd_pt_unmap_level(pt, vtd_pt_table(pte),
						       level - 1, iova, elast,
						       gather);
		}
		if (elast == last)
			return unmapped;
		iova = elast + 1;
	}
}

/**
 * vtd_pgtable_unmap_pages() - remove the leaves of an IOVA range
 * @pt: the page table
 * @iova: first IOVA
 * @pgsize: page size the caller thinks in
 * @pgcount: number of pages; the range is @pgsize * @pgcount bytes
 * @gather: collects the IOVA range to invalidate and, on its freelist, the
 *	table pages to free once that is done (vtd_pgtable_put_pages())
 *
 * Every leaf that overlaps the range is removed.  A superpage that the range
 * covers only in part is removed whole and counted whole, as the mainline
 * VT-d driver does; callers that want to keep the rest must not unmap part
 * of a superpage.  A table whose whole span lies in the range is detached
 * and its pages go to @gather's freelist, even if it held no leaf.  Tables
 * only partly covered stay in place, also when they become empty: a
 * concurrent map of a disjoint range may be using them.
 *
 * Context: safe against concurrent map and unmap of disjoint IOVA ranges.
 * Return: the bytes of the leaves removed; 0 if nothing was mapped there.
 */
size_t vtd_pgtable_unmap_pages(struct vtd_pgtable *pt, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	u64 max = vtd_pt_max_iova(pt);
	u64 size;

	if (WARN_ON(!gather))
		return 0;
	if (!pgsize || !pgcount || iova > max ||
	    check_mul_overflow((u64)pgsize, (u64)pgcount, &size))
		return 0;
	return vtd_pt_unmap_level(pt, pt->root, pt->levels, iova,
				  iova + min(size - 1, max - iova), gather);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pgtable_unmap_pages);

static void vtd_pt_dirty_level(struct vtd_pgtable *pt, u64 *table,
			       unsigned int level, u64 iova, u64 last,
			       bool clear, struct iommu_dirty_bitmap *dirty)
{
	u64 span = vtd_pt_span(level);
	unsigned int idx = vtd_pt_index(iova, level);

	for (;; idx++) {
		u64 *ptep = &table[idx];
		u64 start = iova & ~(span - 1);
		u64 elast = min(last, start + span - 1);
		u64 pte = READ_ONCE(*ptep);

		if (!pte) {
			/* Nothing mapped here. */
		} else if (!vtd_pt_is_leaf(pte, level)) {
			vtd_pt_dirty_level(pt, vtd_pt_table(pte), level - 1,
					   iova, elast, clear, dirty);
		} else if (pte & VTD_SLPTE_D) {
			/*
			 * D covers the whole leaf: it is cleared only if the
			 * leaf lies inside the range, so that a read of part
			 * of a large leaf never loses the rest's dirtiness.
			 * The unit sets D with an atomic update: clear it
			 * with one too.
			 */
			if (clear && iova == start &&
			    elast == start + span - 1) {
				if (test_and_clear_bit(ilog2(VTD_SLPTE_D),
						       (unsigned long *)ptep))
					iommufd_dirty_record(dirty, iova,
							     elast - iova + 1);
			} else {
				iommufd_dirty_record(dirty, iova,
						     elast - iova + 1);
			}
		}
		if (elast == last)
			return;
		iova = elast + 1;
	}
}

/**
 * vtd_pgtable_read_and_clear_dirty() - report the dirty leaves of a range
 * @pt: a second-level table
 * @iova: first IOVA
 * @size: bytes of the range, not 0
 * @flags: IOMMU_DIRTY_NO_CLEAR to leave the dirty flags set, or 0
 * @dirty: where the dirty ranges go (iommufd_dirty_record())
 *
 * Walks the table over the range and reports, for every leaf (4 KiB,
 * 2 MiB or 1 GiB) whose dirty flag (D, bit 9 of a second-level entry,
 * which the unit sets on a write through an entry with SLADE) is set, the
 * part of the leaf inside the range.  Unless @flags has
 * IOMMU_DIRTY_NO_CLEAR, D is cleared with an atomic operation in every
 * reported leaf that lies wholly inside the range (of a leaf the range
 * only covers in part it stays set, so that the rest of the leaf is
 * reported by the read that covers it); the caller then invalidates the
 * IOTLB for what was reported (the gather of @dirty), or a write through
 * a cached translation would not set D again.  Accessed flags (A, bit 8)
 * are neither read nor cleared.  Nothing is flushed here.
 *
 * Context: the caller keeps the range from being mapped or unmapped
 * meanwhile (the IOAS lock of iommufd).
 * Return: 0; -EINVAL for a first-level table or a range beyond the
 * address width; -EOPNOTSUPP for a table the unit does not snoop (its
 * flag updates and the CPU's clears would not be atomic together).
 */
int vtd_pgtable_read_and_clear_dirty(struct vtd_pgtable *pt,
				     unsigned long iova, size_t size,
				     unsigned long flags,
				     struct iommu_dirty_bitmap *dirty)
{
	u64 max = vtd_pt_max_iova(pt);

	if (pt->format != VTD_PGTABLE_SL || !size || iova > max ||
	    size - 1 > max - iova)
		return -EINVAL;
	if (pt->flags & VTD_PGTABLE_NONCOHERENT)
		return -EOPNOTSUPP;
	vtd_pt_dirty_level(pt, pt->root, pt->levels, iova, iova + size - 1,
			   !(flags & IOMMU_DIRTY_NO_CLEAR), dirty);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pgtable_read_and_clear_dirty);

/**
 * vtd_pgtable_lookup() - find the leaf that translates an IOVA
 * @pt: the page table
 * @iova: the address
 * @pte: the raw leaf entry, on success
 * @level: its level (1 for 4KiB, 2 for 2MiB, 3 for 1GiB), on success
 *
 * Return: 0, or -ENOENT if @iova is not mapped or beyond the address width.
 */
int vtd_pgtable_lookup(struct vtd_pgtable *pt, unsigned long iova, u64 *pte,
		       unsigned int *level)
{
	unsigned int lvl = pt->levels;
	u64 *table = pt->root;

	if (iova > vtd_pt_max_iova(pt))
		return -ENOENT;
	for (;; lvl--) {
		u64 val = READ_ONCE(table[vtd_pt_index(iova, lvl)]);

		if (!val)
			return -ENOENT;
		if (vtd_pt_is_leaf(val, lvl)) {
			*pte = val;
			*level = lvl;
			return 0;
		}
		table = vtd_pt_table(val);
	}
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pgtable_lookup);

/**
 * vtd_pgtable_iova_to_phys() - translate an IOVA
 * @pt: the page table
 * @iova: the address
 *
 * Return: the physical address @iova maps to, or 0 if it is not mapped.
 */
phys_addr_t vtd_pgtable_iova_to_phys(struct vtd_pgtable *pt,
				     unsigned long iova)
{
	unsigned int level;
	u64 pte, mask;

	if (vtd_pgtable_lookup(pt, iova, &pte, &level))
		return 0;
	mask = vtd_pt_span(level) - 1;
	return ((pte & VTD_PTE_ADDR) & ~mask) | (iova & mask);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pgtable_iova_to_phys);
