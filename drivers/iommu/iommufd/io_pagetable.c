// SPDX-License-Identifier: GPL-2.0
/*
 * IOVA bookkeeping of an IOAS.
 *
 * Three interval trees describe the IOVA space:
 *  - areas: what is mapped; each area maps a slice of one struct
 *    iopt_pages (pinned memory, possibly shared with other areas);
 *  - reserved: what may never be mapped (e.g. outside a domain's
 *    aperture), each range tagged with the owner that reserved it;
 *  - allowed: if not empty, where automatic IOVA allocation may look.
 *
 * Every iommu_domain in @domains holds exactly the mappings of @areas: a
 * new area is mapped into every domain before the call returns (and
 * removed from all of them again if any fails), an area is unmapped from
 * every domain before its pages can be unpinned, and a domain that is
 * added later is first filled with every existing area.  All of it is
 * done under iopt->lock.
 */
#include <kunit/visibility.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "iommufd_private.h"

/**
 * struct iopt_area - one mapping of an IOAS
 * @node: IOVA range, page aligned
 * @pages: the pinned memory (one reference)
 * @pgoff: index in @pages of the page mapped at @node.start
 * @prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE
 */
struct iopt_area {
	struct interval_tree_node node;
	struct iopt_pages *pages;
	unsigned long pgoff;
	int prot;
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

static struct iopt_area *iopt_area_first(struct io_pagetable *iopt,
					 unsigned long start,
					 unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_first(&iopt->areas, start, last);
	return node ? container_of(node, struct iopt_area, node) : NULL;
}

static unsigned long iopt_area_length(struct iopt_area *area)
{
	return area->node.last - area->node.start + 1;
}

void iopt_init(struct io_pagetable *iopt)
{
	mutex_init(&iopt->lock);
	iopt->areas = RB_ROOT_CACHED;
	iopt->allowed = RB_ROOT_CACHED;
	iopt->reserved = RB_ROOT_CACHED;
	xa_init_flags(&iopt->domains, XA_FLAGS_ALLOC);
	/*
	 * Mappings are made of whole CPU pages, so IOVAs and lengths are
	 * page aligned (what mainline requires once a domain is attached).
	 */
	iopt->iova_alignment = PAGE_SIZE;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_init);

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

static int iopt_area_map_domain(struct iopt_area *area,
				struct iommu_domain *domain)
{
	unsigned long npages = iopt_area_length(area) >> PAGE_SHIFT;
	struct page **pages = area->pages->pages + area->pgoff;
	unsigned long i = 0;
	int rc;

	while (i < npages) {
		phys_addr_t phys = page_to_phys(pages[i]);
		unsigned long run = 1;

		/* Map physically contiguous pages with one call. */
		while (i + run < npages &&
		       page_to_phys(pages[i + run]) == phys + run * PAGE_SIZE)
			run++;
		rc = iommu_map(domain, area->node.start + i * PAGE_SIZE, phys,
			       run * PAGE_SIZE, area->prot, GFP_KERNEL_ACCOUNT);
		if (rc)
			goto err_unmap;
		i += run;
	}
	return 0;

err_unmap:
	if (i)
		iommu_unmap(domain, area->node.start, i * PAGE_SIZE);
	return rc;
}

static void iopt_area_unmap_domain(struct iopt_area *area,
				   struct iommu_domain *domain)
{
	size_t len = iopt_area_length(area);

	/* Unmapping exactly what was mapped cannot fail in a sane driver. */
	WARN_ON(iommu_unmap(domain, area->node.start, len) != len);
}

/* Map @area into every domain, or into none. */
static int iopt_area_fill_domains(struct io_pagetable *iopt,
				  struct iopt_area *area)
{
	struct iommu_domain *domain, *undo;
	unsigned long index, uindex;
	int rc;

	xa_for_each(&iopt->domains, index, domain) {
		rc = iopt_area_map_domain(area, domain);
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
	return rc;
}

static void iopt_area_unfill_domains(struct io_pagetable *iopt,
				     struct iopt_area *area)
{
	struct iommu_domain *domain;
	unsigned long index;

	xa_for_each(&iopt->domains, index, domain)
		iopt_area_unmap_domain(area, domain);
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
 * Lowest IOVA in [lo, hi], aligned to @align, where @length bytes touch
 * neither an area nor a reserved range.
 */
static bool iopt_find_hole(struct io_pagetable *iopt, unsigned long lo,
			   unsigned long hi, unsigned long length,
			   unsigned long align, unsigned long *iova)
{
	unsigned long start, busy_last;

	if (lo > ULONG_MAX - (align - 1))
		return false;
	start = ALIGN(lo, align);
	while (start <= hi && hi - start >= length - 1) {
		if (!iopt_range_busy(iopt, start, start + length - 1,
				     &busy_last)) {
			*iova = start;
			return true;
		}
		/* Any start up to busy_last would overlap the same range. */
		if (busy_last >= hi || busy_last > ULONG_MAX - align)
			return false;
		start = ALIGN(busy_last + 1, align);
	}
	return false;
}

/*
 * Choose an IOVA for @length bytes of memory starting at user address
 * @uaddr.  The IOVA keeps the natural alignment of the length as far as
 * the user address has it too, so that huge pages can map it; IOVA 0 is
 * never returned.
 */
static int iopt_alloc_iova(struct io_pagetable *iopt, unsigned long *iova,
			   unsigned long uaddr, unsigned long length)
{
	const unsigned long lo = PAGE_SIZE, hi = ULONG_MAX - PAGE_SIZE;
	struct interval_tree_node *node;
	unsigned long align;

	lockdep_assert_held(&iopt->lock);

	if (length >= ULONG_MAX / 2)
		return -EOVERFLOW;
	align = roundup_pow_of_two(length);
	if (uaddr)
		align = min(align, 1UL << __ffs(uaddr));
	align = max(align, iopt->iova_alignment);

	if (RB_EMPTY_ROOT(&iopt->allowed.rb_root))
		return iopt_find_hole(iopt, lo, hi, length, align, iova) ?
			0 : -ENOSPC;

	for (node = interval_tree_iter_first(&iopt->allowed, lo, hi); node;
	     node = interval_tree_iter_next(node, lo, hi)) {
		if (iopt_find_hole(iopt, max(node->start, lo),
				   min(node->last, hi), length, align, iova))
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
 * iopt_map_pieces() - map slices of pinned memory at consecutive IOVAs
 * @iopt: the IOVA space
 * @pieces: list of struct iopt_piece; on success their page references
 *          move to the new areas (the list itself stays the caller's)
 * @length: total length of the pieces in bytes
 * @iova: the IOVA to map at if @fixed, else returns the chosen IOVA
 * @prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE
 * @fixed: map at *@iova rather than choose one
 *
 * Every piece becomes one area (unmapped only as a whole), mapped into
 * every domain of @iopt.  Either all pieces are mapped or none is.
 *
 * Return: 0; -EINVAL for a misaligned or empty range or one touching a
 * reserved range; -EEXIST if a fixed range is already mapped; -ENOSPC if
 * no free IOVA range is found; -EPERM for write access to memory pinned
 * read-only; -EOVERFLOW; -ENOMEM; or an error of the IOMMU driver.
 */
int iopt_map_pieces(struct io_pagetable *iopt, struct list_head *pieces,
		    unsigned long length, unsigned long *iova, int prot,
		    bool fixed)
{
	struct iopt_piece *piece, *first;
	struct iopt_area **areas;
	unsigned long n = 0, i, cur;
	int rc;

	if (!length || (length & (iopt->iova_alignment - 1)))
		return -EINVAL;

	list_for_each_entry(piece, pieces, node) {
		if ((prot & IOMMU_WRITE) && !piece->pages->writable)
			return -EPERM;
		n++;
	}
	if (WARN_ON(!n))
		return -EINVAL;

	areas = kcalloc(n, sizeof(*areas), GFP_KERNEL);
	if (!areas)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		areas[i] = kzalloc(sizeof(*areas[i]), GFP_KERNEL_ACCOUNT);
		if (!areas[i]) {
			rc = -ENOMEM;
			goto out_free;
		}
	}

	mutex_lock(&iopt->lock);
	if (fixed) {
		rc = iopt_check_iova(iopt, *iova, length);
	} else {
		first = list_first_entry(pieces, struct iopt_piece, node);
		rc = iopt_alloc_iova(iopt, iova, first->pages->uaddr +
				     (first->pgoff << PAGE_SHIFT), length);
	}
	if (rc)
		goto out_unlock;

	cur = *iova;
	i = 0;
	list_for_each_entry(piece, pieces, node) {
		struct iopt_area *area = areas[i];

		area->node.start = cur;
		area->node.last = cur + (piece->npages << PAGE_SHIFT) - 1;
		area->pages = piece->pages;
		area->pgoff = piece->pgoff;
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
	kfree(areas);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_map_pieces);

/**
 * iopt_map_user() - pin user memory and map it
 * @iopt: the IOVA space
 * @iova: the IOVA to map at if @fixed, else returns the chosen IOVA
 * @uaddr: page-aligned user address
 * @length: page-aligned length in bytes
 * @prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE
 * @fixed: map at *@iova rather than choose one
 *
 * Return: 0 or a negative errno, see iopt_map_pieces() and
 * iopt_pages_pin().
 */
int iopt_map_user(struct io_pagetable *iopt, unsigned long *iova,
		  unsigned long uaddr, unsigned long length, int prot,
		  bool fixed)
{
	struct iopt_piece piece = {};
	unsigned long end;
	LIST_HEAD(pieces);
	int rc;

	/* iova_alignment is never above PAGE_SIZE, see iopt_init(). */
	if (!length || !PAGE_ALIGNED(uaddr) || !PAGE_ALIGNED(length))
		return -EINVAL;
	if (check_add_overflow(uaddr, length, &end))
		return -EOVERFLOW;

	piece.pages = iopt_pages_pin(uaddr, length, prot & IOMMU_WRITE);
	if (IS_ERR(piece.pages))
		return PTR_ERR(piece.pages);
	piece.npages = length >> PAGE_SHIFT;
	list_add(&piece.node, &pieces);

	rc = iopt_map_pieces(iopt, &pieces, length, iova, prot, fixed);
	if (piece.pages)
		iopt_pages_put(piece.pages);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_map_user);

/**
 * iopt_get_pieces() - take references on the memory mapped at a range
 * @iopt: the IOVA space
 * @iova: first IOVA, page aligned
 * @length: length in bytes, page aligned
 * @pieces: empty list; receives one struct iopt_piece per area crossed
 *
 * The range must be mapped without a gap; it may start or end inside an
 * area.  Free the list with iopt_free_pieces().
 *
 * Return: 0, -EINVAL, -EOVERFLOW, -ENOENT if part of the range is not
 * mapped, or -ENOMEM.
 */
int iopt_get_pieces(struct io_pagetable *iopt, unsigned long iova,
		    unsigned long length, struct list_head *pieces)
{
	unsigned long last, cur = iova;
	int rc = 0;

	if (!length || (iova | length) & (iopt->iova_alignment - 1))
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
		piece = kzalloc(sizeof(*piece), GFP_KERNEL);
		if (!piece) {
			rc = -ENOMEM;
			break;
		}
		piece_last = min(last, area->node.last);
		piece->pages = area->pages;
		iopt_pages_get(piece->pages);
		piece->pgoff = area->pgoff +
			       ((cur - area->node.start) >> PAGE_SHIFT);
		piece->npages = (piece_last - cur + 1) >> PAGE_SHIFT;
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
	struct iopt_area *area;
	unsigned long bytes = 0;
	struct interval_tree_node *node;

	mutex_lock(&iopt->lock);
	/* All or nothing: refuse before changing anything. */
	for (node = interval_tree_iter_first(&iopt->areas, start, last); node;
	     node = interval_tree_iter_next(node, start, last)) {
		if (node->start < start || node->last > last) {
			mutex_unlock(&iopt->lock);
			return -ENOENT;
		}
	}
	while ((area = iopt_area_first(iopt, start, last))) {
		bytes += iopt_area_length(area);
		iopt_area_destroy(iopt, area);
	}
	mutex_unlock(&iopt->lock);

	if (unmapped)
		*unmapped = bytes;
	return bytes ? 0 : -ENOENT;
}

/**
 * iopt_unmap() - remove the mappings inside a range
 * @iopt: the IOVA space
 * @iova: first IOVA
 * @length: length in bytes
 * @unmapped: returns the number of bytes unmapped, may be NULL
 *
 * Return: 0; -ENOENT if the range cuts a mapping or holds none (nothing
 * is unmapped then); -EINVAL for a zero length; -EOVERFLOW.
 */
int iopt_unmap(struct io_pagetable *iopt, unsigned long iova,
	       unsigned long length, unsigned long *unmapped)
{
	unsigned long last;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	return iopt_unmap_range(iopt, iova, last, unmapped);
}
EXPORT_SYMBOL_IF_KUNIT(iopt_unmap);

/**
 * iopt_unmap_all() - remove every mapping
 * @iopt: the IOVA space
 * @unmapped: returns the number of bytes unmapped, may be NULL
 *
 * Return: 0 (also when there was nothing to unmap).
 */
int iopt_unmap_all(struct io_pagetable *iopt, unsigned long *unmapped)
{
	int rc;

	if (unmapped)
		*unmapped = 0;
	rc = iopt_unmap_range(iopt, 0, ULONG_MAX, unmapped);
	return rc == -ENOENT ? 0 : rc;
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
 * IOVA outside the domain's aperture becomes reserved, and every existing
 * mapping is mapped into the domain.  Undo with iopt_remove_domain().
 *
 * Return: 0; -EINVAL if the domain cannot map single CPU pages;
 * -EADDRINUSE if a mapping or an allowed range lies outside the aperture;
 * -ENOMEM or an error of the IOMMU driver.
 */
int iopt_add_domain(struct io_pagetable *iopt, struct iommu_domain *domain)
{
	const struct iommu_domain_geometry *geo = &domain->geometry;
	struct interval_tree_node *node, *undo;
	u32 index;
	int rc;

	if (!domain->pgsize_bitmap ||
	    __ffs(domain->pgsize_bitmap) > PAGE_SHIFT)
		return -EINVAL;

	mutex_lock(&iopt->lock);
	if (geo->aperture_start)
		rc = __iopt_reserve(iopt, 0, geo->aperture_start - 1, domain);
	else
		rc = 0;
	if (!rc && geo->aperture_end < ULONG_MAX)
		rc = __iopt_reserve(iopt, geo->aperture_end + 1, ULONG_MAX,
				    domain);
	if (rc)
		goto err_unreserve;

	rc = xa_alloc(&iopt->domains, &index, domain, xa_limit_32b,
		      GFP_KERNEL_ACCOUNT);
	if (rc)
		goto err_unreserve;

	for (node = interval_tree_iter_first(&iopt->areas, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		rc = iopt_area_map_domain(container_of(node, struct iopt_area,
						       node), domain);
		if (rc)
			goto err_unmap;
	}
	mutex_unlock(&iopt->lock);
	return 0;

err_unmap:
	for (undo = interval_tree_iter_first(&iopt->areas, 0, ULONG_MAX);
	     undo != node; undo = interval_tree_iter_next(undo, 0, ULONG_MAX))
		iopt_area_unmap_domain(container_of(undo, struct iopt_area,
						    node), domain);
	xa_erase(&iopt->domains, index);
err_unreserve:
	__iopt_unreserve(iopt, domain);
	mutex_unlock(&iopt->lock);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_add_domain);

/**
 * iopt_remove_domain() - unmap everything from a domain and stop syncing it
 * @iopt: the IOVA space
 * @domain: a domain added with iopt_add_domain()
 */
void iopt_remove_domain(struct io_pagetable *iopt,
			struct iommu_domain *domain)
{
	struct interval_tree_node *node;
	struct iommu_domain *entry;
	unsigned long index;

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
	for (node = interval_tree_iter_first(&iopt->areas, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX))
		iopt_area_unmap_domain(container_of(node, struct iopt_area,
						    node), domain);
	__iopt_unreserve(iopt, domain);
	mutex_unlock(&iopt->lock);
}
EXPORT_SYMBOL_IF_KUNIT(iopt_remove_domain);

/**
 * iopt_destroy() - free an IOVA space
 * @iopt: the IOVA space; no domain may be left in it
 *
 * Unmaps everything, which unpins memory no other IOAS shares.
 */
void iopt_destroy(struct io_pagetable *iopt)
{
	WARN_ON(!xa_empty(&iopt->domains));
	iopt_unmap_all(iopt, NULL);
	iopt_free_itree(&iopt->allowed);
	iopt_free_itree(&iopt->reserved);
	xa_destroy(&iopt->domains);
	mutex_destroy(&iopt->lock);
}
EXPORT_SYMBOL_IF_KUNIT(iopt_destroy);
