// SPDX-License-Identifier: GPL-2.0
/*
 * IOVA bookkeeping of an IOAS.
 *
 * Three interval trees describe the IOVA space:
 *  - areas: what is mapped; each area maps a byte range of one struct
 *    iopt_pages (user memory, possibly shared with other areas);
 *  - reserved: what may never be mapped (e.g. outside a domain's
 *    aperture), each range tagged with the owner that reserved it;
 *  - allowed: if not empty, where automatic IOVA allocation may look.
 *
 * Memory is pinned only while something needs it.  While the IOAS has at
 * least one iommu_domain, every area is "filled": its pages are pinned
 * once (whatever the number of domains) and every domain holds exactly the
 * mappings of @areas: a new area is mapped into every domain before the
 * call returns (and removed from all of them again if any fails), an area
 * is unmapped from every domain before its pages can be unpinned, and a
 * domain that is added later is first filled with every existing area.
 * Access objects pin ranges of areas on their own (see access.c).
 *
 * Alignment is mainline's: with neither a domain nor a page-pinning
 * access, IOVAs, lengths and user addresses are byte granular
 * (iova_alignment 1).  A domain raises the alignment to its smallest page
 * size, an access that pins pages and IOMMU_OPTION_HUGE_PAGES=0 to
 * PAGE_SIZE; a raise that existing areas do not satisfy fails with
 * EADDRINUSE, and later mappings must satisfy it (EINVAL).
 *
 * Everything is done under iopt->lock, except the calls into access
 * drivers' unmap callbacks, which are made without it.
 */
#include <kunit/visibility.h>
#include <linux/iommu.h>
#include <linux/iommufd_pasid.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "iommufd_private.h"

/**
 * struct iopt_area - one mapping of an IOAS
 * @node: IOVA range
 * @pages: the user memory (one reference)
 * @start_byte: offset in @pages (from its first page) of the byte mapped
 *		at @node.start
 * @prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE
 * @num_accesses: pin calls of access objects holding pages of the area
 * @prevent_access: an unmap is waiting for the accesses: no new pins
 */
struct iopt_area {
	struct interval_tree_node node;
	struct iopt_pages *pages;
	unsigned long start_byte;
	int prot;
	unsigned int num_accesses;
	bool prevent_access;
};

/**
 * struct iopt_reserved - a range that may not be mapped
 * @node: the IOVA range
 * @owner: who reserved it; iopt_unreserve() removes by owner
 */
struct iopt_reserved {
	struct interval_tree_node node;
	void *owner;
};

/* iopt_free_itree() frees a node as the allocation containing it. */
static_assert(offsetof(struct iopt_reserved, node) == 0);

/* Unmap waits this many rounds of notifications for accesses to unpin. */
#define IOPT_UNMAP_TRIES 100

static struct iopt_area *iopt_area_first(struct io_pagetable *iopt,
					 unsigned long start,
					 unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_first(&iopt->areas, start, last);
	return node ? container_of(node, struct iopt_area, node) : NULL;
}

static struct iopt_area *iopt_area_next(struct iopt_area *area,
					unsigned long start,
					unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_next(&area->node, start, last);
	return node ? container_of(node, struct iopt_area, node) : NULL;
}

static unsigned long iopt_area_length(struct iopt_area *area)
{
	return area->node.last - area->node.start + 1;
}

/* Offset in the area's pages of the byte mapped at @iova. */
static unsigned long iopt_area_start_byte(struct iopt_area *area,
					  unsigned long iova)
{
	return area->start_byte + (iova - area->node.start);
}

static unsigned long iopt_area_index(struct iopt_area *area,
				     unsigned long iova)
{
	return iopt_area_start_byte(area, iova) >> PAGE_SHIFT;
}

static int iopt_area_pin(struct iopt_area *area)
{
	return iopt_pages_pin(area->pages,
			      iopt_area_index(area, area->node.start),
			      iopt_area_index(area, area->node.last), NULL);
}

static void iopt_area_unpin(struct iopt_area *area)
{
	iopt_pages_unpin(area->pages, iopt_area_index(area, area->node.start),
			 iopt_area_index(area, area->node.last));
}

/*
 * The alignment (*@out) the domains (and @extra, one about to be added),
 * the accesses and the options of @iopt need, as mainline computes it;
 * -EADDRINUSE if it is a raise that an existing area does not satisfy
 * (IOVA, length or offset of the user memory in its page).
 */
static int iopt_calculate_iova_alignment(struct io_pagetable *iopt,
					 struct iommu_domain *extra,
					 unsigned long *out)
{
	unsigned long align = iopt->disable_large_pages ? PAGE_SIZE : 1;
	struct iommufd_access *access;
	struct iommu_domain *domain;
	struct iopt_area *area;
	unsigned long index;

	lockdep_assert_held(&iopt->lock);

	xa_for_each(&iopt->domains, index, domain)
		align = max(align, 1UL << __ffs(domain->pgsize_bitmap));
	if (extra)
		align = max(align, 1UL << __ffs(extra->pgsize_bitmap));
	xa_for_each(&iopt->accesses, index, access)
		align = max(align, access->iova_alignment);

	if (align > iopt->iova_alignment) {
		for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
		     area = iopt_area_next(area, 0, ULONG_MAX)) {
			if ((area->node.start | iopt_area_length(area) |
			     offset_in_page(area->start_byte)) & (align - 1))
				return -EADDRINUSE;
		}
	}
	*out = align;
	return 0;
}

static int iopt_update_iova_alignment(struct io_pagetable *iopt)
{
	unsigned long align;
	int rc;

	rc = iopt_calculate_iova_alignment(iopt, NULL, &align);
	if (!rc)
		iopt->iova_alignment = align;
	return rc;
}

void iopt_init(struct io_pagetable *iopt)
{
	mutex_init(&iopt->lock);
	iopt->areas = RB_ROOT_CACHED;
	iopt->allowed = RB_ROOT_CACHED;
	iopt->reserved = RB_ROOT_CACHED;
	xa_init_flags(&iopt->domains, XA_FLAGS_ALLOC);
	xa_init_flags(&iopt->accesses, XA_FLAGS_ALLOC);
	/* Without a domain, nothing constrains IOVAs: byte granular. */
	iopt->iova_alignment = 1;
	iopt->account_mode = IOPT_ACCOUNT_USER;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_init);

/**
 * iopt_iova_alignment() - the alignment mappings of an IOAS need now
 * @iopt: the IOVA space
 *
 * Return: the alignment in bytes (a power of two), as reported by
 * IOMMU_IOAS_IOVA_RANGES.
 */
unsigned long iopt_iova_alignment(struct io_pagetable *iopt)
{
	unsigned long align;

	mutex_lock(&iopt->lock);
	align = iopt->iova_alignment;
	mutex_unlock(&iopt->lock);
	return align;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_iova_alignment);

/**
 * iopt_disable_large_pages() - require PAGE_SIZE alignment
 * @iopt: the IOVA space
 *
 * What IOMMU_OPTION_HUGE_PAGES = 0 asks for.
 *
 * Return: 0; -EINVAL if domains hold mappings already; -EADDRINUSE if a
 * mapping is not PAGE_SIZE aligned.
 */
int iopt_disable_large_pages(struct io_pagetable *iopt)
{
	int rc = 0;

	mutex_lock(&iopt->lock);
	if (iopt->disable_large_pages)
		goto out;
	if (!xa_empty(&iopt->domains) &&
	    !RB_EMPTY_ROOT(&iopt->areas.rb_root)) {
		rc = -EINVAL;
		goto out;
	}
	iopt->disable_large_pages = true;
	rc = iopt_update_iova_alignment(iopt);
	if (rc)
		iopt->disable_large_pages = false;
out:
	mutex_unlock(&iopt->lock);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_disable_large_pages);

/**
 * iopt_enable_large_pages() - drop the PAGE_SIZE requirement again
 * @iopt: the IOVA space
 */
void iopt_enable_large_pages(struct io_pagetable *iopt)
{
	mutex_lock(&iopt->lock);
	iopt->disable_large_pages = false;
	/* Lowering the alignment cannot fail. */
	WARN_ON(iopt_update_iova_alignment(iopt));
	mutex_unlock(&iopt->lock);
}

/**
 * iopt_free_itree() - free every node of a tree of allowed or reserved
 *                     ranges
 * @itree: the tree; nodes must be the first member of a kmalloc'ed struct
 */
void iopt_free_itree(struct rb_root_cached *itree)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_iter_first(itree, 0, ULONG_MAX))) {
		interval_tree_remove(node, itree);
		kfree(node);
	}
}

/* Scatterlist entries per iommu_map_sg() call: one page of them. */
#define IOPT_MAP_SG_NENTS	(PAGE_SIZE / sizeof(struct scatterlist))
/* Longest run in one entry (its length is an unsigned int). */
#define IOPT_MAP_SG_MAX		SZ_1G

/*
 * A walk over the physically contiguous stretches of an area's pinned
 * pages, with the pages' mutex held: the tree does not change meanwhile,
 * so the run that ends one stretch (the first that does not continue the
 * memory) is kept for the next stretch, which starts with it, rather than
 * looked up again.
 * @area: the area
 * @last: index of the area's last page
 * @index: first page of the run kept, if @n
 * @n: pages of the run kept from @index, 0 if none is
 * @pfn: PFN of @index
 */
struct iopt_area_walk {
	struct iopt_area *area;
	unsigned long last;
	unsigned long index;
	unsigned long n;
	unsigned long pfn;
};

static unsigned long iopt_area_walk_run(struct iopt_area_walk *walk,
					unsigned long index,
					unsigned long *pfn)
{
	unsigned long n;

	if (walk->n && walk->index == index) {
		*pfn = walk->pfn;
		n = walk->n;
		walk->n = 0;
		return n;
	}
	return __iopt_pages_pfn_run(walk->area->pages, index, walk->last, pfn);
}

/*
 * The physically contiguous stretch of the area's pinned pages at @done
 * bytes into it, at most @max bytes: its first page and its length, 0 if
 * the page at @done is not pinned (a bug).  One lookup per run of pinned
 * pages, not per page: runs that follow one another may continue the
 * memory (they differ only in users).
 */
static unsigned long iopt_area_run(struct iopt_area_walk *walk,
				   unsigned long done, unsigned long max,
				   struct page **first)
{
	unsigned long byte = walk->area->start_byte + done;
	unsigned long index = byte >> PAGE_SHIFT;
	unsigned long pfn, next, n, run;
	phys_addr_t phys;

	n = iopt_area_walk_run(walk, index, &pfn);
	if (WARN_ON(!n))
		return 0;
	*first = pfn_to_page(pfn);
	phys = PFN_PHYS(pfn) + offset_in_page(byte);
	run = min(max, n * PAGE_SIZE - offset_in_page(byte));
	index += n;
	while (run < max) {
		n = iopt_area_walk_run(walk, index, &next);
		if (!n || PFN_PHYS(next) != phys + run) {
			/* The next stretch starts here: keep the run. */
			walk->index = index;
			walk->n = n;
			walk->pfn = next;
			break;
		}
		run = min(max, run + n * PAGE_SIZE);
		index += n;
	}
	return run;
}

/*
 * Map a filled (pinned) area into @domain, under the mutex of its pages.
 * An area in one physically contiguous stretch (every single page, and
 * memory in one huge page) takes one iommu_map() call.  Otherwise the
 * stretches go to iommu_map_sg() up to a page of scatterlist entries at a
 * time: the driver maps each with its largest pages and syncs the mapped
 * range once per call (iotlb_sync_map), not once per stretch.  If @iopt's
 * large pages are disabled, every CPU page is mapped with its own
 * iommu_map() call instead, so that the domain holds no larger IOMMU page.
 * IOVA, length and page offset of the area are aligned to the domain's
 * smallest page (see iopt_calculate_iova_alignment()).
 */
static int iopt_area_map_domain(struct io_pagetable *iopt,
				struct iopt_area *area,
				struct iommu_domain *domain)
{
	struct iopt_area_walk walk = {
		.area = area,
		.last = iopt_area_index(area, area->node.last),
	};
	unsigned long len = iopt_area_length(area), done = 0;
	struct scatterlist *sgl = NULL;
	struct page *page;
	int rc = 0;

	mutex_lock(&area->pages->mutex);
	while (done < len) {
		unsigned long off = offset_in_page(area->start_byte + done);
		unsigned long chunk, run;
		unsigned int n = 0;
		ssize_t mapped;

		if (iopt->disable_large_pages) {
			run = iopt_area_run(&walk, done,
					    min(len - done, PAGE_SIZE - off),
					    &page);
			if (!run) {
				rc = -EFAULT;
				goto err_unmap;
			}
			rc = iommu_map(domain, area->node.start + done,
				       page_to_phys(page) + off, run,
				       area->prot, GFP_KERNEL_ACCOUNT);
			if (rc)
				goto err_unmap;
			done += run;
			continue;
		}
		run = iopt_area_run(&walk, done,
				    min(len - done,
					(unsigned long)IOPT_MAP_SG_MAX),
				    &page);
		if (!run) {
			rc = -EFAULT;
			goto err_unmap;
		}
		if (run == len) {
			/* One stretch: no scatterlist.  Undoes its own part. */
			rc = iommu_map(domain, area->node.start,
				       page_to_phys(page) + off, len,
				       area->prot, GFP_KERNEL_ACCOUNT);
			goto out;
		}
		if (!sgl) {
			sgl = kmalloc_array(IOPT_MAP_SG_NENTS, sizeof(*sgl),
					    GFP_KERNEL);
			if (!sgl) {
				rc = -ENOMEM;
				goto err_unmap;
			}
		}
		sg_init_table(sgl, IOPT_MAP_SG_NENTS);
		sg_set_page(&sgl[n++], page, run, off);
		chunk = run;
		while (n < IOPT_MAP_SG_NENTS && done + chunk < len) {
			run = iopt_area_run(&walk, done + chunk,
					    min(len - done - chunk,
						(unsigned long)IOPT_MAP_SG_MAX),
					    &page);
			if (!run) {
				rc = -EFAULT;
				goto err_unmap;
			}
			sg_set_page(&sgl[n++], page, run,
				    offset_in_page(area->start_byte + done +
						   chunk));
			chunk += run;
		}
		sg_mark_end(&sgl[n - 1]);
		/* On an error it undoes its own part. */
		mapped = iommu_map_sg(domain, area->node.start + done, sgl, n,
				      area->prot, GFP_KERNEL_ACCOUNT);
		if (mapped < 0) {
			rc = mapped;
			goto err_unmap;
		}
		if (WARN_ON(mapped != chunk)) {
			iommu_unmap(domain, area->node.start + done, mapped);
			rc = -EIO;
			goto err_unmap;
		}
		done += chunk;
	}
out:
	mutex_unlock(&area->pages->mutex);
	kfree(sgl);
	return rc;

err_unmap:
	if (done)
		iommu_unmap(domain, area->node.start, done);
	goto out;
}

static void iopt_area_unmap_domain(struct iopt_area *area,
				   struct iommu_domain *domain)
{
	size_t len = iopt_area_length(area);

	/* Unmapping exactly what was mapped cannot fail in a sane driver. */
	WARN_ON(iommu_unmap(domain, area->node.start, len) != len);
}

/* Pin @area and map it into every domain, or do nothing. */
static int iopt_area_fill_domains(struct io_pagetable *iopt,
				  struct iopt_area *area)
{
	struct iommu_domain *domain, *undo;
	unsigned long index, uindex;
	int rc;

	if (xa_empty(&iopt->domains))
		return 0;
	rc = iopt_area_pin(area);
	if (rc)
		return rc;
	xa_for_each(&iopt->domains, index, domain) {
		rc = iopt_area_map_domain(iopt, area, domain);
		if (rc)
			goto err_undo;
	}
	return 0;

err_undo:
	xa_for_each(&iopt->domains, uindex, undo) {
		if (uindex == index)
			break;
		iopt_area_unmap_domain(area, undo);
	}
	iopt_area_unpin(area);
	return rc;
}

static void iopt_area_unfill_domains(struct io_pagetable *iopt,
				     struct iopt_area *area)
{
	struct iommu_domain *domain;
	unsigned long index;

	if (xa_empty(&iopt->domains))
		return;
	xa_for_each(&iopt->domains, index, domain)
		iopt_area_unmap_domain(area, domain);
	iopt_area_unpin(area);
}

/* Take @area out of every domain and the tree, and free it. */
static void iopt_area_destroy(struct io_pagetable *iopt,
			      struct iopt_area *area)
{
	iopt_area_unfill_domains(iopt, area);
	interval_tree_remove(&area->node, &iopt->areas);
	iopt_pages_put(area->pages);
	kfree(area);
}

static bool iopt_range_busy(struct io_pagetable *iopt, unsigned long start,
			    unsigned long last, unsigned long *busy_last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_first(&iopt->areas, start, last);
	if (!node)
		node = interval_tree_iter_first(&iopt->reserved, start, last);
	if (!node)
		return false;
	*busy_last = node->last;
	return true;
}

/*
 * The first IOVA at or above @start that is a multiple of @align plus
 * @page_offset, if it leaves room for @length bytes up to @hi.
 */
static bool iopt_align_start(unsigned long *start, unsigned long hi,
			     unsigned long length, unsigned long align,
			     unsigned long page_offset)
{
	unsigned long s;

	if (check_add_overflow(*start, align - 1, &s))
		return false;
	s = (s & ~(align - 1)) | page_offset;
	if (s >= hi || hi - s < length - 1)
		return false;
	*start = s;
	return true;
}

/*
 * Lowest IOVA in [lo, hi] chosen by iopt_align_start() where @length bytes
 * touch neither an area nor a reserved range.
 */
static bool iopt_find_hole(struct io_pagetable *iopt, unsigned long lo,
			   unsigned long hi, unsigned long length,
			   unsigned long align, unsigned long page_offset,
			   unsigned long *iova)
{
	unsigned long start = lo, busy_last;

	while (iopt_align_start(&start, hi, length, align, page_offset)) {
		if (!iopt_range_busy(iopt, start, start + length - 1,
				     &busy_last)) {
			*iova = start;
			return true;
		}
		/* Any start up to busy_last would overlap the same range. */
		if (busy_last >= hi)
			return false;
		start = busy_last + 1;
	}
	return false;
}

/*
 * Choose an IOVA for @length bytes of memory starting at user address
 * @uaddr.  As in mainline, the IOVA keeps the page offset of the user
 * address and the natural alignment of the length as far as the user
 * address has it too (up to a huge page), so that huge pages can map it;
 * IOVA 0 and the last page are never returned.  -EINVAL if that alignment
 * is below the IOAS's.
 */
static int iopt_alloc_iova(struct io_pagetable *iopt, unsigned long *iova,
			   unsigned long uaddr, unsigned long length)
{
	const unsigned long lo = PAGE_SIZE, hi = ULONG_MAX - PAGE_SIZE;
	unsigned long page_offset = offset_in_page(uaddr);
	unsigned long max_align = PAGE_SIZE;
	struct interval_tree_node *node;
	unsigned long align;

	lockdep_assert_held(&iopt->lock);

	if (!length || length >= ULONG_MAX / 2)
		return -EOVERFLOW;
	align = roundup_pow_of_two(length);
	if (uaddr)
		align = min(align, 1UL << __ffs(uaddr));
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	max_align = HPAGE_SIZE;
#endif
	align = min(align, max_align);
	if (align < iopt->iova_alignment)
		return -EINVAL;

	if (RB_EMPTY_ROOT(&iopt->allowed.rb_root))
		return iopt_find_hole(iopt, lo, hi, length, align, page_offset,
				      iova) ? 0 : -ENOSPC;

	for (node = interval_tree_iter_first(&iopt->allowed, lo, hi); node;
	     node = interval_tree_iter_next(node, lo, hi)) {
		if (iopt_find_hole(iopt, max(node->start, lo),
				   min(node->last, hi), length, align,
				   page_offset, iova))
			return 0;
	}
	return -ENOSPC;
}

static int iopt_check_iova(struct io_pagetable *iopt, unsigned long iova,
			   unsigned long length)
{
	unsigned long last;

	lockdep_assert_held(&iopt->lock);

	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (interval_tree_iter_first(&iopt->reserved, iova, last))
		return -EINVAL;
	if (interval_tree_iter_first(&iopt->areas, iova, last))
		return -EEXIST;
	return 0;
}

/**
 * iopt_free_pieces() - free a list of pieces and the references they hold
 * @pieces: list of struct iopt_piece
 */
void iopt_free_pieces(struct list_head *pieces)
{
	struct iopt_piece *piece, *next;

	list_for_each_entry_safe(piece, next, pieces, node) {
		if (piece->pages)
			iopt_pages_put(piece->pages);
		list_del(&piece->node);
		kfree(piece);
	}
}
EXPORT_SYMBOL_IF_KUNIT(iopt_free_pieces);

/**
 * iopt_map_pieces() - map slices of user memory at consecutive IOVAs
 * @iopt: the IOVA space
 * @pieces: list of struct iopt_piece; on success their page references
 *          move to the new areas (the list itself stays the caller's)
 * @length: total length of the pieces in bytes
 * @iova: the IOVA to map at if @fixed, else returns the chosen IOVA
 * @prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE
 * @fixed: map at *@iova rather than choose one
 *
 * Every piece becomes one area (unmapped only as a whole).  If the IOAS
 * has domains, the memory is pinned and mapped into every one of them.
 * Either all pieces are mapped or none is.
 *
 * Return: 0; -EINVAL for an empty range, one not aligned to the IOAS's
 * alignment (IOVA, length or the user page offset) or one touching a
 * reserved range; -EEXIST if a fixed range is already mapped; -ENOSPC if
 * no free IOVA range is found; -EPERM for write access to memory mapped
 * read-only; -EOVERFLOW; and when pinning for domains: -ENOMEM (also over
 * RLIMIT_MEMLOCK), -EFAULT, or an error of the IOMMU driver.
 */
int iopt_map_pieces(struct io_pagetable *iopt, struct list_head *pieces,
		    unsigned long length, unsigned long *iova, int prot,
		    bool fixed)
{
	struct iopt_area *one, **areas = &one;
	struct iopt_piece *piece, *first;
	unsigned long n = 0, i, cur;
	int rc;

	list_for_each_entry(piece, pieces, node)
		n++;
	if (WARN_ON(!n))
		return -EINVAL;

	/* A single piece (every IOMMU_IOAS_MAP) needs no array. */
	if (n > 1) {
		areas = kcalloc(n, sizeof(*areas), GFP_KERNEL);
		if (!areas)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		areas[i] = kzalloc(sizeof(*areas[i]), GFP_KERNEL_ACCOUNT);
		if (!areas[i]) {
			rc = -ENOMEM;
			goto out_free;
		}
	}

	mutex_lock(&iopt->lock);
	if (!length || (length & (iopt->iova_alignment - 1))) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (fixed) {
		rc = iopt_check_iova(iopt, *iova, length);
	} else {
		first = list_first_entry(pieces, struct iopt_piece, node);
		rc = iopt_alloc_iova(iopt, iova,
				     first->pages->uptr + first->start_byte,
				     length);
	}
	if (rc)
		goto out_unlock;

	cur = *iova;
	i = 0;
	list_for_each_entry(piece, pieces, node) {
		struct iopt_area *area = areas[i];

		if ((prot & IOMMU_WRITE) && !piece->pages->writable) {
			rc = -EPERM;
			goto err_remove;
		}
		if (offset_in_page(piece->start_byte) &
		    (iopt->iova_alignment - 1)) {
			rc = -EINVAL;
			goto err_remove;
		}
		if (check_add_overflow(cur, piece->length - 1,
				       &area->node.last)) {
			rc = -EOVERFLOW;
			goto err_remove;
		}
		area->node.start = cur;
		area->pages = piece->pages;
		area->start_byte = piece->start_byte;
		area->prot = prot;
		rc = iopt_area_fill_domains(iopt, area);
		if (rc)
			goto err_remove;
		interval_tree_insert(&area->node, &iopt->areas);
		cur = area->node.last + 1;
		i++;
	}
	/* The areas own the page references now. */
	list_for_each_entry(piece, pieces, node)
		piece->pages = NULL;
	mutex_unlock(&iopt->lock);
	if (areas != &one)
		kfree(areas);
	return 0;

err_remove:
	while (i--) {
		iopt_area_unfill_domains(iopt, areas[i]);
		interval_tree_remove(&areas[i]->node, &iopt->areas);
	}
out_unlock:
	mutex_unlock(&iopt->lock);
	i = n;
out_free:
	while (i--)
		kfree(areas[i]);
	if (areas != &one)
		kfree(areas);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_map_pieces);

/**
 * iopt_map_user() - map a range of the caller's memory
 * @iopt: the IOVA space
 * @iova: the IOVA to map at if @fixed, else returns the chosen IOVA
 * @uaddr: user address
 * @length: length in bytes
 * @prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE
 * @fixed: map at *@iova rather than choose one
 *
 * Nothing is pinned unless the IOAS has a domain.  @uaddr's offset in its
 * page, @length and @iova must be aligned to the IOAS's alignment.
 *
 * Return: 0 or a negative errno, see iopt_map_pieces() and
 * iopt_pages_alloc().
 */
int iopt_map_user(struct io_pagetable *iopt, unsigned long *iova,
		  unsigned long uaddr, unsigned long length, int prot,
		  bool fixed)
{
	struct iopt_piece piece = {};
	LIST_HEAD(pieces);
	int rc;

	piece.pages = iopt_pages_alloc(uaddr, length, prot & IOMMU_WRITE);
	if (IS_ERR(piece.pages))
		return PTR_ERR(piece.pages);
	piece.pages->account_mode = iopt->account_mode;
	piece.start_byte = uaddr - piece.pages->uptr;
	piece.length = length;
	list_add(&piece.node, &pieces);

	rc = iopt_map_pieces(iopt, &pieces, length, iova, prot, fixed);
	if (piece.pages)
		iopt_pages_put(piece.pages);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_map_user);

/**
 * iopt_map_file() - map a range of a memfd
 * @iopt: the IOVA space
 * @iova: the IOVA to map at if @fixed, else returns the chosen IOVA
 * @file: the memfd
 * @start: file offset of the first byte
 * @length: length in bytes
 * @prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE
 * @fixed: map at *@iova rather than choose one
 *
 * As iopt_map_user(), with @start's offset in its page in place of the
 * user address's.  The file is pinned through (memfd_pin_folios()) when a
 * domain or an access needs the pages.
 *
 * Return: 0 or a negative errno, see iopt_map_pieces() and
 * iopt_pages_alloc_file().
 */
int iopt_map_file(struct io_pagetable *iopt, unsigned long *iova,
		  struct file *file, unsigned long start, unsigned long length,
		  int prot, bool fixed)
{
	struct iopt_piece piece = {};
	LIST_HEAD(pieces);
	int rc;

	piece.pages = iopt_pages_alloc_file(file, start, length,
					    prot & IOMMU_WRITE);
	if (IS_ERR(piece.pages))
		return PTR_ERR(piece.pages);
	piece.pages->account_mode = iopt->account_mode;
	piece.start_byte = start - piece.pages->start;
	piece.length = length;
	list_add(&piece.node, &pieces);

	rc = iopt_map_pieces(iopt, &pieces, length, iova, prot, fixed);
	if (piece.pages)
		iopt_pages_put(piece.pages);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_map_file);

/**
 * iopt_walk_pages() - visit the memory behind every mapping
 * @iopt: the IOVA space; the caller holds its lock
 * @visitor: its ->visit() is called for each area, in IOVA order; a
 *	     non-zero return stops the walk and is returned
 *
 * Return: 0 or what ->visit() returned.
 */
int iopt_walk_pages(struct io_pagetable *iopt,
		    struct iopt_pages_visitor *visitor)
{
	struct iopt_area *area;
	int rc;

	lockdep_assert_held(&iopt->lock);
	for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_next(area, 0, ULONG_MAX)) {
		rc = visitor->visit(visitor, area->pages);
		if (rc)
			return rc;
	}
	return 0;
}

/**
 * iopt_get_pieces() - take references on the memory mapped at a range
 * @iopt: the IOVA space
 * @iova: first IOVA
 * @length: length in bytes
 * @pieces: empty list; receives one struct iopt_piece per area crossed
 *
 * The range must be mapped without a gap; it may start or end inside an
 * area, at any byte.  Free the list with iopt_free_pieces().
 *
 * Return: 0, -EINVAL for a zero length, -EOVERFLOW, -ENOENT if part of the
 * range is not mapped, or -ENOMEM.
 */
int iopt_get_pieces(struct io_pagetable *iopt, unsigned long iova,
		    unsigned long length, struct list_head *pieces)
{
	unsigned long last, cur = iova;
	int rc = 0;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;

	mutex_lock(&iopt->lock);
	for (;;) {
		struct iopt_area *area = iopt_area_first(iopt, cur, cur);
		unsigned long piece_last;
		struct iopt_piece *piece;

		if (!area) {
			rc = -ENOENT;
			break;
		}
		piece = kzalloc(sizeof(*piece), GFP_KERNEL_ACCOUNT);
		if (!piece) {
			rc = -ENOMEM;
			break;
		}
		piece_last = min(last, area->node.last);
		piece->pages = area->pages;
		iopt_pages_get(piece->pages);
		piece->start_byte = iopt_area_start_byte(area, cur);
		piece->length = piece_last - cur + 1;
		list_add_tail(&piece->node, pieces);
		if (piece_last == last)
			break;
		cur = piece_last + 1;
	}
	mutex_unlock(&iopt->lock);
	if (rc)
		iopt_free_pieces(pieces);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_get_pieces);

static int iopt_unmap_range(struct io_pagetable *iopt, unsigned long start,
			    unsigned long last, unsigned long *unmapped)
{
	unsigned long bytes = 0, busy_start = 0;
	struct iopt_area *area, *next;
	unsigned int tries = 0;
	bool accessed;

again:
	mutex_lock(&iopt->lock);
	/* All or nothing: refuse before changing anything. */
	accessed = false;
	for (area = iopt_area_first(iopt, start, last); area;
	     area = iopt_area_next(area, start, last)) {
		if (area->node.start < start || area->node.last > last) {
			mutex_unlock(&iopt->lock);
			return -ENOENT;
		}
		if (area->num_accesses)
			accessed = true;
	}
	/*
	 * Ask the accesses to unpin what they hold, one area at a time and
	 * without the lock (their callbacks unpin through it), until none is
	 * left.  New pins on the area are refused meanwhile.
	 */
	for (area = accessed ? iopt_area_first(iopt, start, last) : NULL;
	     area; area = iopt_area_next(area, start, last)) {
		unsigned long first = area->node.start;
		unsigned long len = iopt_area_length(area);

		if (!area->num_accesses)
			continue;
		area->prevent_access = true;
		mutex_unlock(&iopt->lock);
		if (first != busy_start)
			tries = 0;
		busy_start = first;
		if (++tries > IOPT_UNMAP_TRIES) {
			pr_warn_ratelimited("iommufd_pasid: an access does not unpin IOVA %#lx\n",
					    first);
			return -EDEADLOCK;
		}
		iommufd_access_notify_unmap(iopt, first, len);
		goto again;
	}
	for (area = iopt_area_first(iopt, start, last); area; area = next) {
		next = iopt_area_next(area, start, last);
		bytes += iopt_area_length(area);
		iopt_area_destroy(iopt, area);
	}
	mutex_unlock(&iopt->lock);

	*unmapped = bytes;
	return 0;
}

/**
 * iopt_cut() - split the mapping that crosses an IOVA
 * @iopt: the IOVA space
 * @iova: a mapping holding both @iova - 1 and @iova becomes two, the
 *	  second starting at @iova
 *
 * For VFIO type1 v1, whose unmap may take part of a mapping.  Only while
 * large pages are disabled: every domain then maps each CPU page with a
 * call of its own, so the domains' mappings stay as they are, and each
 * half can later be unmapped from them alone.  The cut must be at a page
 * boundary of the memory, so that each pinned page belongs to one half.
 *
 * Return: 0, also if no mapping crosses @iova; -EINVAL if large pages are
 * enabled or @iova is inside a page of the mapping's memory; -EBUSY if an
 * access object holds pins in the mapping; -ENOMEM.
 */
int iopt_cut(struct io_pagetable *iopt, unsigned long iova)
{
	struct iopt_area *area, *tail;
	int rc = 0;

	if (!iova)
		return 0;
	tail = kzalloc(sizeof(*tail), GFP_KERNEL_ACCOUNT);
	if (!tail)
		return -ENOMEM;

	mutex_lock(&iopt->lock);
	area = iopt_area_first(iopt, iova - 1, iova - 1);
	if (!area || area->node.last == iova - 1)
		goto out_free;
	if (!iopt->disable_large_pages ||
	    offset_in_page(iopt_area_start_byte(area, iova))) {
		rc = -EINVAL;
		goto out_free;
	}
	if (area->num_accesses || area->prevent_access) {
		rc = -EBUSY;
		goto out_free;
	}
	/* Each half unpins on its own: the pinned run must end at the cut. */
	if (!xa_empty(&iopt->domains)) {
		rc = iopt_pages_cut(area->pages, iopt_area_index(area, iova));
		if (rc)
			goto out_free;
	}
	iopt_pages_get(area->pages);
	tail->pages = area->pages;
	tail->start_byte = iopt_area_start_byte(area, iova);
	tail->prot = area->prot;
	tail->node.start = iova;
	tail->node.last = area->node.last;
	interval_tree_remove(&area->node, &iopt->areas);
	area->node.last = iova - 1;
	interval_tree_insert(&area->node, &iopt->areas);
	interval_tree_insert(&tail->node, &iopt->areas);
	mutex_unlock(&iopt->lock);
	return 0;

out_free:
	mutex_unlock(&iopt->lock);
	kfree(tail);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_cut);

/**
 * iopt_unmap() - remove the mappings inside a range
 * @iopt: the IOVA space
 * @iova: first IOVA
 * @length: length in bytes
 * @unmapped: returns the number of bytes unmapped, may be NULL
 *
 * Every mapping the range touches must lie inside it: mappings are not
 * split.  Access objects holding pins in the mappings are told to unpin
 * (&iommufd_access_ops.unmap) and waited for.
 *
 * Return: 0, also if nothing was mapped there (as in mainline; the ioctl
 * reports ENOENT then); -ENOENT if the range cuts a mapping (nothing is
 * unmapped then); -EINVAL for a zero length; -EOVERFLOW; -EDEADLOCK if an
 * access does not unpin.
 */
int iopt_unmap(struct io_pagetable *iopt, unsigned long iova,
	       unsigned long length, unsigned long *unmapped)
{
	unsigned long last, bytes = 0;
	int rc;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	rc = iopt_unmap_range(iopt, iova, last, &bytes);
	if (unmapped)
		*unmapped = bytes;
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_unmap);

/**
 * iopt_unmap_all() - remove every mapping
 * @iopt: the IOVA space
 * @unmapped: returns the number of bytes unmapped, may be NULL
 *
 * Return: 0 (also when there was nothing to unmap), or -EDEADLOCK if an
 * access does not unpin.
 */
int iopt_unmap_all(struct io_pagetable *iopt, unsigned long *unmapped)
{
	unsigned long bytes = 0;
	int rc;

	rc = iopt_unmap_range(iopt, 0, ULONG_MAX, &bytes);
	if (unmapped)
		*unmapped = bytes;
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_unmap_all);

/**
 * iopt_set_allowed() - replace the allowed ranges
 * @iopt: the IOVA space
 * @allowed: the new tree of ranges; on success it receives the old one.
 *           Either way the caller frees it with iopt_free_itree().
 *
 * Return: 0, or -EADDRINUSE if a new range overlaps a reserved one.
 */
int iopt_set_allowed(struct io_pagetable *iopt,
		     struct rb_root_cached *allowed)
{
	struct interval_tree_node *node;

	mutex_lock(&iopt->lock);
	for (node = interval_tree_iter_first(allowed, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		if (interval_tree_iter_first(&iopt->reserved, node->start,
					     node->last)) {
			mutex_unlock(&iopt->lock);
			return -EADDRINUSE;
		}
	}
	swap(*allowed, iopt->allowed);
	mutex_unlock(&iopt->lock);
	return 0;
}

/**
 * iopt_walk_usable() - report the IOVA ranges that are not reserved
 * @iopt: the IOVA space
 * @visitor: its ->visit() is called for each range in ascending order; a
 *           non-zero return stops the walk and is returned
 *
 * Return: 0 or what ->visit() returned.
 */
int iopt_walk_usable(struct io_pagetable *iopt,
		     struct iopt_range_visitor *visitor)
{
	struct interval_tree_node *node;
	unsigned long cur = 0;
	bool done = false;
	int rc = 0;

	mutex_lock(&iopt->lock);
	/* Reserved ranges may overlap; they come sorted by start. */
	for (node = interval_tree_iter_first(&iopt->reserved, 0, ULONG_MAX);
	     node && !done; node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		if (node->start > cur) {
			rc = visitor->visit(visitor, cur, node->start - 1);
			if (rc)
				goto out;
		}
		if (node->last == ULONG_MAX)
			done = true;
		else
			cur = max(cur, node->last + 1);
	}
	if (!done)
		rc = visitor->visit(visitor, cur, ULONG_MAX);
out:
	mutex_unlock(&iopt->lock);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_walk_usable);

static int __iopt_reserve(struct io_pagetable *iopt, unsigned long start,
			  unsigned long last, void *owner)
{
	struct iopt_reserved *res;

	lockdep_assert_held(&iopt->lock);

	if (interval_tree_iter_first(&iopt->areas, start, last) ||
	    interval_tree_iter_first(&iopt->allowed, start, last))
		return -EADDRINUSE;
	res = kzalloc(sizeof(*res), GFP_KERNEL_ACCOUNT);
	if (!res)
		return -ENOMEM;
	res->node.start = start;
	res->node.last = last;
	res->owner = owner;
	interval_tree_insert(&res->node, &iopt->reserved);
	return 0;
}

static void __iopt_unreserve(struct io_pagetable *iopt, void *owner)
{
	struct interval_tree_node *node, *next;

	lockdep_assert_held(&iopt->lock);

	for (node = interval_tree_iter_first(&iopt->reserved, 0, ULONG_MAX);
	     node; node = next) {
		struct iopt_reserved *res =
			container_of(node, struct iopt_reserved, node);

		next = interval_tree_iter_next(node, 0, ULONG_MAX);
		if (res->owner != owner)
			continue;
		interval_tree_remove(node, &iopt->reserved);
		kfree(res);
	}
}

/**
 * iopt_reserve() - forbid mapping a range
 * @iopt: the IOVA space
 * @start: first IOVA
 * @last: last IOVA (inclusive)
 * @owner: tag for iopt_unreserve()
 *
 * Return: 0, -EADDRINUSE if the range is mapped or allowed, or -ENOMEM.
 */
int iopt_reserve(struct io_pagetable *iopt, unsigned long start,
		 unsigned long last, void *owner)
{
	int rc;

	mutex_lock(&iopt->lock);
	rc = __iopt_reserve(iopt, start, last, owner);
	mutex_unlock(&iopt->lock);
	return rc;
}

/**
 * iopt_unreserve() - drop every reserved range of an owner
 * @iopt: the IOVA space
 * @owner: the tag given to iopt_reserve()
 */
void iopt_unreserve(struct io_pagetable *iopt, void *owner)
{
	mutex_lock(&iopt->lock);
	__iopt_unreserve(iopt, owner);
	mutex_unlock(&iopt->lock);
}

/**
 * iopt_add_domain() - keep a domain in sync with the IOAS from now on
 * @iopt: the IOVA space
 * @domain: a paging domain with nothing mapped
 *
 * IOVA outside the domain's aperture becomes reserved, the IOAS's
 * alignment rises to the domain's smallest page size, and every existing
 * mapping is mapped into the domain (the first domain pins the memory of
 * every mapping).  Undo with iopt_remove_domain().
 *
 * Return: 0; -EINVAL if the domain cannot map single CPU pages;
 * -EADDRINUSE if a mapping or an allowed range lies outside the aperture,
 * or a mapping is not aligned to the domain's page size; -ENOMEM (also
 * over RLIMIT_MEMLOCK), -EFAULT when pinning, or an error of the IOMMU
 * driver.
 */
int iopt_add_domain(struct io_pagetable *iopt, struct iommu_domain *domain)
{
	const struct iommu_domain_geometry *geo = &domain->geometry;
	struct iopt_area *area, *undo;
	unsigned long align;
	bool first;
	u32 index;
	int rc;

	if (!domain->pgsize_bitmap ||
	    __ffs(domain->pgsize_bitmap) > PAGE_SHIFT)
		return -EINVAL;

	mutex_lock(&iopt->lock);
	rc = iopt_calculate_iova_alignment(iopt, domain, &align);
	if (rc)
		goto out_unlock;
	if (geo->aperture_start)
		rc = __iopt_reserve(iopt, 0, geo->aperture_start - 1, domain);
	if (!rc && geo->aperture_end < ULONG_MAX)
		rc = __iopt_reserve(iopt, geo->aperture_end + 1, ULONG_MAX,
				    domain);
	if (rc)
		goto err_unreserve;

	first = xa_empty(&iopt->domains);
	rc = xa_alloc(&iopt->domains, &index, domain, xa_limit_32b,
		      GFP_KERNEL_ACCOUNT);
	if (rc)
		goto err_unreserve;

	for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_next(area, 0, ULONG_MAX)) {
		if (first) {
			rc = iopt_area_pin(area);
			if (rc)
				goto err_unmap;
		}
		rc = iopt_area_map_domain(iopt, area, domain);
		if (rc) {
			if (first)
				iopt_area_unpin(area);
			goto err_unmap;
		}
	}
	iopt->iova_alignment = align;
	mutex_unlock(&iopt->lock);
	return 0;

err_unmap:
	for (undo = iopt_area_first(iopt, 0, ULONG_MAX); undo;
	     undo = iopt_area_next(undo, 0, ULONG_MAX)) {
		if (undo == area)
			break;
		iopt_area_unmap_domain(undo, domain);
		if (first)
			iopt_area_unpin(undo);
	}
	xa_erase(&iopt->domains, index);
err_unreserve:
	__iopt_unreserve(iopt, domain);
out_unlock:
	mutex_unlock(&iopt->lock);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_add_domain);

/**
 * iopt_remove_domain() - unmap everything from a domain and stop syncing it
 * @iopt: the IOVA space
 * @domain: a domain added with iopt_add_domain()
 *
 * The last domain unpins what only the domains needed; the IOAS's
 * alignment falls back to what is left.
 */
void iopt_remove_domain(struct io_pagetable *iopt,
			struct iommu_domain *domain)
{
	struct iommu_domain *entry;
	struct iopt_area *area;
	unsigned long index;
	bool last;

	mutex_lock(&iopt->lock);
	xa_for_each(&iopt->domains, index, entry) {
		if (entry == domain)
			break;
	}
	if (WARN_ON(entry != domain)) {
		mutex_unlock(&iopt->lock);
		return;
	}
	xa_erase(&iopt->domains, index);
	last = xa_empty(&iopt->domains);
	for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_next(area, 0, ULONG_MAX)) {
		iopt_area_unmap_domain(area, domain);
		if (last)
			iopt_area_unpin(area);
	}
	__iopt_unreserve(iopt, domain);
	/* Lowering the alignment cannot fail. */
	WARN_ON(iopt_update_iova_alignment(iopt));
	mutex_unlock(&iopt->lock);
}
EXPORT_SYMBOL_IF_KUNIT(iopt_remove_domain);

/**
 * iopt_add_access() - count an access in the IOAS's alignment
 * @iopt: the IOVA space
 * @access: the access; its ->iova_alignment applies from now on
 * @id: returns the index to give iopt_remove_access()
 *
 * Return: 0, -EADDRINUSE if a mapping is not aligned as the access needs,
 * or -ENOMEM.
 */
int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access,
		    u32 *id)
{
	int rc;

	mutex_lock(&iopt->lock);
	rc = xa_alloc(&iopt->accesses, id, access, xa_limit_16b,
		      GFP_KERNEL_ACCOUNT);
	if (!rc) {
		rc = iopt_update_iova_alignment(iopt);
		if (rc)
			xa_erase(&iopt->accesses, *id);
	}
	mutex_unlock(&iopt->lock);
	return rc;
}

/**
 * iopt_remove_access() - undo iopt_add_access()
 * @iopt: the IOVA space
 * @id: the index iopt_add_access() returned
 */
void iopt_remove_access(struct io_pagetable *iopt, u32 id)
{
	mutex_lock(&iopt->lock);
	WARN_ON(!xa_erase(&iopt->accesses, id));
	WARN_ON(iopt_update_iova_alignment(iopt));
	mutex_unlock(&iopt->lock);
}

/*
 * Walk the areas covering [iova, last] without a gap.  For each, @fn is
 * called with the area and the inclusive sub-range; a non-zero return
 * stops the walk.  *@done is the first IOVA not walked.
 */
static int iopt_walk_contig(struct io_pagetable *iopt, unsigned long iova,
			    unsigned long last, unsigned long *done,
			    int (*fn)(struct iopt_area *area,
				      unsigned long first, unsigned long last,
				      void *arg),
			    void *arg)
{
	unsigned long cur = iova;
	int rc;

	lockdep_assert_held(&iopt->lock);

	for (;;) {
		struct iopt_area *area = iopt_area_first(iopt, cur, cur);
		unsigned long end;

		if (!area) {
			rc = -ENOENT;
			break;
		}
		end = min(last, area->node.last);
		rc = fn(area, cur, end, arg);
		if (rc)
			break;
		if (end == last) {
			*done = last;
			return 0;
		}
		cur = end + 1;
	}
	*done = cur;
	return rc;
}

/**
 * struct iopt_dirty_arg - state of a walk reading dirty bits
 * @domain: the domain whose dirty bits are read
 * @flags: IOMMU_DIRTY_NO_CLEAR or 0
 * @dirty: where the driver records dirty ranges
 * @rc: the driver's error, if it failed
 */
struct iopt_dirty_arg {
	struct iommu_domain *domain;
	unsigned long flags;
	struct iommu_dirty_bitmap *dirty;
	int rc;
};

static int iopt_read_dirty_area(struct iopt_area *area, unsigned long first,
				unsigned long last, void *arg)
{
	struct iopt_dirty_arg *d = arg;

	d->rc = d->domain->dirty_ops->read_and_clear_dirty(d->domain, first,
							   last - first + 1,
							   d->flags, d->dirty);
	return d->rc;
}

/**
 * iopt_read_and_clear_dirty() - read the dirty bits of a mapped range
 * @iopt: the IOAS
 * @domain: a domain of @iopt with read_and_clear_dirty
 * @flags: IOMMU_DIRTY_NO_CLEAR to leave the bits set, or 0
 * @iova: first IOVA of the range
 * @length: length of the range, not 0
 * @bitmap: where the driver's records go
 *
 * Under the IOAS lock, so that no mapping changes meanwhile, the driver
 * reads (and unless IOMMU_DIRTY_NO_CLEAR clears) the dirty bits of each
 * area in the range, then the IOTLB is flushed for the cleared ones.
 *
 * Return: 0; -EINVAL if the range is not mapped without a gap, in which
 * case the areas before the gap have been read; or the driver's error.
 */
int iopt_read_and_clear_dirty(struct io_pagetable *iopt,
			      struct iommu_domain *domain, unsigned long flags,
			      unsigned long iova, unsigned long length,
			      struct iova_bitmap *bitmap)
{
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	struct iopt_dirty_arg arg = {
		.domain = domain,
		.flags = flags,
		.dirty = &dirty,
	};
	unsigned long done;
	int rc;

	iommu_dirty_bitmap_init(&dirty, bitmap, &gather);
	mutex_lock(&iopt->lock);
	rc = iopt_walk_contig(iopt, iova, iova + length - 1, &done,
			      iopt_read_dirty_area, &arg);
	if (!(flags & IOMMU_DIRTY_NO_CLEAR))
		iommu_iotlb_sync(domain, &gather);
	mutex_unlock(&iopt->lock);
	/* A gap, not the driver: mainline's answer for a hole is EINVAL. */
	if (rc == -ENOENT && !arg.rc)
		rc = -EINVAL;
	return rc;
}

/**
 * iopt_set_dirty_tracking() - turn dirty tracking of a domain on or off
 * @iopt: the IOAS
 * @domain: a domain of @iopt with dirty_ops
 * @enable: on or off
 *
 * Before tracking is turned on, the dirty bits left from an earlier
 * period are cleared, so that the first bitmap read shows only what was
 * written since.
 *
 * Return: 0 or the driver's error.
 */
int iopt_set_dirty_tracking(struct io_pagetable *iopt,
			    struct iommu_domain *domain, bool enable)
{
	const struct iommu_dirty_ops *ops = domain->dirty_ops;
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	struct iopt_area *area;
	int rc = 0;

	mutex_lock(&iopt->lock);
	if (enable) {
		iommu_dirty_bitmap_init(&dirty, NULL, &gather);
		for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
		     area = iopt_area_next(area, 0, ULONG_MAX)) {
			rc = ops->read_and_clear_dirty(domain, area->node.start,
						       iopt_area_length(area),
						       0, &dirty);
			if (rc)
				break;
		}
		iommu_iotlb_sync(domain, &gather);
	}
	if (!rc)
		rc = ops->set_dirty_tracking(domain, enable);
	mutex_unlock(&iopt->lock);
	return rc;
}

struct iopt_pin_arg {
	struct page **out;
	unsigned int flags;
	unsigned long last;
};

static bool iopt_access_prot_ok(struct iopt_area *area, unsigned int flags)
{
	if (flags & IOMMUFD_ACCESS_RW_WRITE)
		return area->prot & IOMMU_WRITE;
	return area->prot & IOMMU_READ;
}

static int iopt_access_pin_area(struct iopt_area *area, unsigned long first,
				unsigned long last, void *arg)
{
	struct iopt_pin_arg *pin = arg;
	unsigned long index = iopt_area_index(area, first);
	unsigned long last_index = iopt_area_index(area, last);
	int rc;

	if (area->prevent_access)
		return -EINVAL;
	/* Pages are handed out whole: area boundaries must be page ones. */
	if (offset_in_page(iopt_area_start_byte(area, first)) ||
	    (last != pin->last &&
	     offset_in_page(iopt_area_start_byte(area, last)) != PAGE_SIZE - 1))
		return -EINVAL;
	if (!iopt_access_prot_ok(area, pin->flags))
		return -EPERM;
	rc = iopt_pages_pin(area->pages, index, last_index, pin->out);
	if (rc)
		return rc;
	area->num_accesses++;
	pin->out += last_index - index + 1;
	return 0;
}

static int iopt_access_unpin_area(struct iopt_area *area, unsigned long first,
				  unsigned long last, void *arg)
{
	if (WARN_ON(!area->num_accesses))
		return -EINVAL;
	iopt_pages_unpin(area->pages, iopt_area_index(area, first),
			 iopt_area_index(area, last));
	area->num_accesses--;
	return 0;
}

/**
 * iopt_access_pin() - pin the pages behind a range of IOVA for an access
 * @iopt: the IOVA space
 * @iova: first IOVA; must map the first byte of a page
 * @length: length in bytes
 * @out_pages: receives one page per page the range touches
 * @flags: IOMMUFD_ACCESS_RW_WRITE to pin writeable mappings
 *
 * Return: 0; -ENOENT if part of the range is not mapped; -EINVAL if an
 * unmap of it is in progress or the range's pages are not whole pages of
 * user memory; -EPERM if a mapping lacks the permission; -EOVERFLOW;
 * errors of iopt_pages_pin().  Nothing is left pinned on failure.
 */
int iopt_access_pin(struct io_pagetable *iopt, unsigned long iova,
		    unsigned long length, struct page **out_pages,
		    unsigned int flags)
{
	struct iopt_pin_arg arg = { .out = out_pages, .flags = flags };
	unsigned long done, dummy;
	int rc;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &arg.last))
		return -EOVERFLOW;

	mutex_lock(&iopt->lock);
	rc = iopt_walk_contig(iopt, iova, arg.last, &done,
			      iopt_access_pin_area, &arg);
	if (rc && done > iova)
		iopt_walk_contig(iopt, iova, done - 1, &dummy,
				 iopt_access_unpin_area, NULL);
	mutex_unlock(&iopt->lock);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_access_pin);

/**
 * iopt_access_unpin() - undo iopt_access_pin() on the same range
 * @iopt: the IOVA space
 * @iova: first IOVA
 * @length: length in bytes
 */
void iopt_access_unpin(struct io_pagetable *iopt, unsigned long iova,
		       unsigned long length)
{
	unsigned long last, done;

	if (WARN_ON(!length) ||
	    WARN_ON(check_add_overflow(iova, length - 1, &last)))
		return;
	mutex_lock(&iopt->lock);
	WARN_ON(iopt_walk_contig(iopt, iova, last, &done,
				 iopt_access_unpin_area, NULL));
	mutex_unlock(&iopt->lock);
}
EXPORT_SYMBOL_IF_KUNIT(iopt_access_unpin);

struct iopt_rw_arg {
	void *data;
	unsigned int flags;
};

static int iopt_access_rw_area(struct iopt_area *area, unsigned long first,
			       unsigned long last, void *arg)
{
	struct iopt_rw_arg *rw = arg;
	unsigned long len = last - first + 1;
	int rc;

	if (area->prevent_access)
		return -EINVAL;
	if (!iopt_access_prot_ok(area, rw->flags))
		return -EPERM;
	rc = iopt_pages_rw(area->pages, iopt_area_start_byte(area, first),
			   rw->data, len, rw->flags & IOMMUFD_ACCESS_RW_WRITE,
			   !(rw->flags & IOMMUFD_ACCESS_RW_KTHREAD));
	if (!rc)
		rw->data += len;
	return rc;
}

/**
 * iopt_access_rw() - read or write the memory behind a range of IOVA
 * @iopt: the IOVA space
 * @iova: first IOVA (any byte)
 * @data: kernel buffer of @length bytes
 * @length: length in bytes
 * @flags: IOMMUFD_ACCESS_RW_WRITE to write, IOMMUFD_ACCESS_RW_KTHREAD if
 *	   the caller does not run in the mapping process
 *
 * Return: 0; -ENOENT if part of the range is not mapped; -EINVAL if an
 * unmap of it is in progress; -EPERM if a mapping lacks the permission;
 * -EFAULT; -EOVERFLOW.  A failed copy may have copied a part.
 */
int iopt_access_rw(struct io_pagetable *iopt, unsigned long iova, void *data,
		   unsigned long length, unsigned int flags)
{
	struct iopt_rw_arg arg = { .data = data, .flags = flags };
	unsigned long last, done;
	int rc;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	mutex_lock(&iopt->lock);
	rc = iopt_walk_contig(iopt, iova, last, &done, iopt_access_rw_area,
			      &arg);
	mutex_unlock(&iopt->lock);
	return rc;
}

/**
 * iopt_destroy() - free an IOVA space
 * @iopt: the IOVA space; no domain or access may be left in it
 *
 * Unmaps everything, which releases memory no other IOAS shares.
 */
void iopt_destroy(struct io_pagetable *iopt)
{
	WARN_ON(!xa_empty(&iopt->domains));
	WARN_ON(!xa_empty(&iopt->accesses));
	iopt_unmap_all(iopt, NULL);
	iopt_free_itree(&iopt->allowed);
	iopt_free_itree(&iopt->reserved);
	xa_destroy(&iopt->domains);
	xa_destroy(&iopt->accesses);
	mutex_destroy(&iopt->lock);
}
EXPORT_SYMBOL_IF_KUNIT(iopt_destroy);
