/* SPDX-License-Identifier: GPL-2.0 */
/*
 * I/O page tables of the VT-d scalable-mode driver: second-level (SL) and
 * first-level (FL) translation tables as the remapping hardware walks them.
 */
#ifndef _VTD_SM_PGTABLE_H
#define _VTD_SM_PGTABLE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/list.h>
#include <linux/sizes.h>
#include <linux/types.h>

struct iommu_dirty_bitmap;
struct iommu_iotlb_gather;
struct page;

/*
 * Bits of a table entry.  Both formats have 512 eight-byte entries per 4KiB
 * table, the output address in bits 51:12 and the page-size bit at bit 7.
 */
#define VTD_PTE_ADDR		GENMASK_ULL(51, 12)
#define VTD_PTE_PS		BIT_ULL(7)

/* Second-level entries. */
#define VTD_SLPTE_R		BIT_ULL(0)
#define VTD_SLPTE_W		BIT_ULL(1)
#define VTD_SLPTE_X		BIT_ULL(2)
#define VTD_SLPTE_A		BIT_ULL(8)
#define VTD_SLPTE_D		BIT_ULL(9)
#define VTD_SLPTE_SNP		BIT_ULL(11)

/* First-level entries (x86-64 paging format). */
#define VTD_FLPTE_P		BIT_ULL(0)
#define VTD_FLPTE_RW		BIT_ULL(1)
#define VTD_FLPTE_US		BIT_ULL(2)
#define VTD_FLPTE_PWT		BIT_ULL(3)
#define VTD_FLPTE_PCD		BIT_ULL(4)
#define VTD_FLPTE_A		BIT_ULL(5)
#define VTD_FLPTE_D		BIT_ULL(6)
#define VTD_FLPTE_XD		BIT_ULL(63)

/**
 * enum vtd_pgtable_format - layout of the table entries
 * @VTD_PGTABLE_SL: second-level table (3, 4 or 5 levels, as CAP.SAGAW allows)
 * @VTD_PGTABLE_FL: first-level table (4 or 5 levels, x86-64 paging format)
 */
enum vtd_pgtable_format {
	VTD_PGTABLE_SL,
	VTD_PGTABLE_FL,
};

/* The unit does not snoop its table walks: write entries back with clflush. */
#define VTD_PGTABLE_NONCOHERENT	BIT(0)
/* The unit has snoop control (ECAP.SC): IOMMU_CACHE sets SNP in SL leaves. */
#define VTD_PGTABLE_SNOOP_CTRL	BIT(1)

/**
 * struct vtd_pgtable_cfg - what vtd_pgtable_init() builds
 * @format: SL or FL
 * @levels: number of table levels: 3, 4 or 5 for SL, 4 or 5 for FL
 * @aw: input address width in bits; 0 means all that @levels translate
 *	(9 * @levels + 12 for SL; one bit less for FL, whose IOVAs must be
 *	canonical and so stay in the lower half).  IOVAs at or above 2^@aw
 *	are rejected.
 * @pgsize_bitmap: page sizes leaves may have: SZ_4K, optionally SZ_2M, and
 *	SZ_1G only together with SZ_2M (see vtd_pgtable_sl_pgsizes() and
 *	vtd_pgtable_fl_pgsizes())
 * @flags: VTD_PGTABLE_NONCOHERENT, VTD_PGTABLE_SNOOP_CTRL
 * @nid: NUMA node for the table pages, or NUMA_NO_NODE
 */
struct vtd_pgtable_cfg {
	enum vtd_pgtable_format format;
	unsigned int levels;
	unsigned int aw;
	unsigned long pgsize_bitmap;
	unsigned int flags;
	int nid;
};

/**
 * struct vtd_pgtable - an I/O page table
 * @format: SL or FL
 * @levels: number of levels; the root is at level @levels, leaves of 4KiB
 *	pages at level 1
 * @aw: input address width in bits
 * @pgsize_bitmap: page sizes leaves may have
 * @flags: VTD_PGTABLE_* flags from the configuration
 * @nid: NUMA node of the table pages
 * @root: the root table (one zeroed page from the page allocator)
 * @nr_tables: table pages that are part of the table, root included.  A
 *	page moved to an unmap's freelist no longer counts.
 *
 * The table has no lock.  Map and unmap of disjoint IOVA ranges may run at
 * the same time; a new table page is published with one compare-and-exchange
 * and the loser of a race frees its page.  Callers serialise operations on
 * overlapping ranges, as the IOMMU core requires of its users.
 */
struct vtd_pgtable {
	enum vtd_pgtable_format format;
	unsigned int levels;
	unsigned int aw;
	unsigned long pgsize_bitmap;
	unsigned int flags;
	int nid;
	u64 *root;
	atomic_long_t nr_tables;
};

unsigned long vtd_pgtable_sl_pgsizes(u64 cap);
unsigned long vtd_pgtable_fl_pgsizes(u64 cap);

int vtd_pgtable_init(struct vtd_pgtable *pt, const struct vtd_pgtable_cfg *cfg,
		     gfp_t gfp);
void vtd_pgtable_destroy(struct vtd_pgtable *pt);
phys_addr_t vtd_pgtable_root_phys(const struct vtd_pgtable *pt);

int vtd_pgtable_map_pages(struct vtd_pgtable *pt, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped);
size_t vtd_pgtable_unmap_pages(struct vtd_pgtable *pt, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather);
phys_addr_t vtd_pgtable_iova_to_phys(struct vtd_pgtable *pt,
				     unsigned long iova);
int vtd_pgtable_read_and_clear_dirty(struct vtd_pgtable *pt,
				     unsigned long iova, size_t size,
				     unsigned long flags,
				     struct iommu_dirty_bitmap *dirty);
int vtd_pgtable_lookup(struct vtd_pgtable *pt, unsigned long iova, u64 *pte,
		       unsigned int *level);
void vtd_pgtable_put_pages(struct list_head *freelist);

#if IS_ENABLED(CONFIG_KUNIT)
struct page *vtd_pgtable_alloc_table(struct vtd_pgtable *pt, gfp_t gfp);
#endif

#endif /* _VTD_SM_PGTABLE_H */
