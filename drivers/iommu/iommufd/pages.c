// SPDX-License-Identifier: GPL-2.0
/*
 * User memory behind IOAS mappings, pinned only while something needs it.
 *
 * IOMMU_IOAS_MAP records a range of the caller's address space in a struct
 * iopt_pages and pins nothing.  Pages are pinned (FOLL_LONGTERM) when a
 * user appears: an iommu_domain that must hold the mapping, or an access
 * object that pins pages for an emulated device.  Every page has a count
 * of such users; the page is pinned when its count leaves zero and unpinned
 * when it returns there, as in mainline iommufd.
 *
 * The memory is either a range of the mapping process's address space
 * (IOMMU_IOAS_MAP) or a range of a memfd (IOMMU_IOAS_MAP_FILE), whose
 * pages are pinned through the file with memfd_pin_folios() and so do not
 * depend on any address space.
 *
 * Pinned pages are charged when they are pinned, as mainline does, in the
 * mode the context chose with IOMMU_OPTION_RLIMIT_MODE: to the owner's
 * user locked_vm (mode 0, the default) or to the owning process's
 * mm->locked_vm (mode 1, what VFIO type1 does), limited by the owning
 * process's RLIMIT_MEMLOCK unless the mapper had CAP_IPC_LOCK, and always
 * to the owning process's mm->pinned_vm.  The charge goes with the pin.
 * The owner is the mapping process; IOMMU_IOAS_CHANGE_PROCESS can hand
 * the charge of file mappings to another one.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/maple_tree.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iommufd_private.h"

/* Pages pinned per call into GUP. */
#define IOPT_PIN_CHUNK 512UL
/*
 * Pins of up to this many pages (a map of a few pages) keep the pages GUP
 * returns on the stack, not in an allocation of IOPT_PIN_CHUNK entries.
 */
#define IOPT_PIN_STACK 16

/*
 * struct user_struct has locked_vm only if a user of it is built in (the
 * condition below is the one in <linux/sched/user.h>).  Without it, e.g.
 * in the project's minimal debug kernel, the limit is applied to the
 * mapping process's mm->pinned_vm instead, like mainline's process-based
 * accounting mode; the limit is RLIMIT_MEMLOCK either way.
 */
#if defined(CONFIG_NET) || defined(CONFIG_IO_URING) || \
	defined(CONFIG_VFIO_PCI_ZDEV_KVM) || IS_ENABLED(CONFIG_IOMMUFD) || \
	defined(CONFIG_SECRETMEM)
#define IOPT_CHARGE_USER 1
#else
#define IOPT_CHARGE_USER 0
#endif

static_assert(sizeof(atomic_long_t) == sizeof(atomic64_t));

/*
 * The owner charged for pinned pages: the mapping process, until
 * IOMMU_IOAS_CHANGE_PROCESS hands file mappings to another one.
 */
struct iopt_owner {
	struct task_struct *task;
	struct mm_struct *mm;
	struct user_struct *user;
};

static struct iopt_owner iopt_pages_owner(struct iopt_pages *pages)
{
	return (struct iopt_owner){
		.task = pages->source_task,
		.mm = pages->source_mm,
		.user = pages->source_user,
	};
}

static struct iopt_owner iopt_current_owner(void)
{
	return (struct iopt_owner){
		.task = current->group_leader,
		.mm = current->mm,
		.user = current_user(),
	};
}

static atomic_long_t *iopt_user_counter(struct iopt_owner *owner)
{
#if IOPT_CHARGE_USER
	return &owner->user->locked_vm;
#else
	return (atomic_long_t *)&owner->mm->pinned_vm;
#endif
}

/* RLIMIT_MODE 1: the owner's mm->locked_vm, as VFIO type1 charges. */
static int iopt_update_mm_locked_vm(struct iopt_owner *owner,
				    unsigned long npages, bool inc, bool force)
{
	int rc;

	/* An exited owner has no locked_vm left to charge or uncharge. */
	if (!mmget_not_zero(owner->mm))
		return inc ? -EFAULT : 0;
	mmap_write_lock(owner->mm);
	rc = __account_locked_vm(owner->mm, npages, inc, owner->task, force);
	mmap_write_unlock(owner->mm);
	mmput(owner->mm);
	return rc;
}

/*
 * Charge @npages pinned pages of @pages to @owner.  @force skips the
 * RLIMIT_MEMLOCK check (the pages are pinned already).
 */
static int iopt_charge_owner(struct iopt_pages *pages,
			     struct iopt_owner *owner, unsigned long npages,
			     bool force)
{
	unsigned long limit, new;
	atomic_long_t *counter;
	long cur;
	int rc;

	if (!pages->charged)
		goto pinned_vm;
	if (pages->account_mode == IOPT_ACCOUNT_MM) {
		rc = iopt_update_mm_locked_vm(owner, npages, true, force);
		if (rc)
			return rc;
		goto pinned_vm;
	}
	limit = task_rlimit(owner->task, RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	counter = iopt_user_counter(owner);
	cur = atomic_long_read(counter);
	do {
		if (check_add_overflow((unsigned long)cur, npages, &new) ||
		    (new > limit && !force))
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(counter, &cur, new));
	if (!IOPT_CHARGE_USER)
		return 0;
pinned_vm:
	atomic64_add(npages, &owner->mm->pinned_vm);
	return 0;
}

static void iopt_uncharge_owner(struct iopt_pages *pages,
				struct iopt_owner *owner, unsigned long npages)
{
	if (!pages->charged)
		goto pinned_vm;
	if (pages->account_mode == IOPT_ACCOUNT_MM) {
		iopt_update_mm_locked_vm(owner, npages, false, true);
		goto pinned_vm;
	}
	atomic_long_sub(npages, iopt_user_counter(owner));
	if (!IOPT_CHARGE_USER)
		return;
pinned_vm:
	atomic64_sub(npages, &owner->mm->pinned_vm);
}

static int iopt_charge(struct iopt_pages *pages, unsigned long npages)
{
	struct iopt_owner owner = iopt_pages_owner(pages);
	int rc;

	lockdep_assert_held(&pages->mutex);
	rc = iopt_charge_owner(pages, &owner, npages, false);
	if (!rc)
		pages->npinned += npages;
	return rc;
}

static void iopt_uncharge(struct iopt_pages *pages, unsigned long npages)
{
	struct iopt_owner owner = iopt_pages_owner(pages);

	lockdep_assert_held(&pages->mutex);
	iopt_uncharge_owner(pages, &owner, npages);
	pages->npinned -= npages;
}

static struct iopt_pages *iopt_pages_new(unsigned long start_byte,
					 unsigned long length, bool writable)
{
	struct iopt_pages *pages;

	if (!length || length > SIZE_MAX - PAGE_SIZE)
		return ERR_PTR(-EINVAL);

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	mutex_init(&pages->mutex);
	mt_init_flags(&pages->runs, MT_FLAGS_LOCK_EXTERN);
	mt_set_external_lock(&pages->runs, &pages->mutex);
	pages->npages = DIV_ROUND_UP(length + start_byte, PAGE_SIZE);
	pages->writable = writable;
	pages->charged = !capable(CAP_IPC_LOCK);
	pages->account_mode = IOPT_ACCOUNT_USER;
	pages->source_task = get_task_struct(current->group_leader);
	pages->source_mm = current->mm;
	mmgrab(pages->source_mm);
	pages->source_user = get_uid(current_user());
	return pages;
}

/**
 * iopt_pages_alloc() - record a range of the caller's memory, unpinned
 * @uaddr: user address of the first byte
 * @length: length in bytes
 * @writable: devices may write to the memory (it is pinned for write)
 *
 * Nothing is pinned or checked in the address space: that happens when a
 * user of the pages appears, see iopt_pages_pin().  The pages are charged
 * to the user's locked_vm (IOPT_ACCOUNT_USER) unless the caller sets
 * ->account_mode before the first pin.
 *
 * Return: the pages with one reference, or an ERR_PTR: -EINVAL for an
 * empty or too long range, -EOVERFLOW if it wraps, -ENOMEM.
 */
struct iopt_pages *iopt_pages_alloc(unsigned long uaddr, unsigned long length,
				    bool writable)
{
	struct iopt_pages *pages;
	unsigned long end;

	if (!length || length > SIZE_MAX - PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(uaddr, length, &end))
		return ERR_PTR(-EOVERFLOW);
	pages = iopt_pages_new(offset_in_page(uaddr), length, writable);
	if (!IS_ERR(pages))
		pages->uptr = ALIGN_DOWN(uaddr, PAGE_SIZE);
	return pages;
}

/**
 * iopt_pages_alloc_file() - record a range of a memfd, unpinned
 * @file: the file; the pages hold a reference to it
 * @start: file offset of the first byte
 * @length: length in bytes
 * @writable: devices may write to the memory
 *
 * As iopt_pages_alloc(), the file is only looked at when the pages are
 * pinned: a file that is no memfd, or a range beyond its end, makes the
 * pin fail with -EINVAL.
 *
 * Return: the pages with one reference, or an ERR_PTR: -EPERM to map
 * writeable a file not open for writing or sealed against writes
 * (F_SEAL_WRITE), -EINVAL, -EOVERFLOW, -ENOMEM.
 */
struct iopt_pages *iopt_pages_alloc_file(struct file *file,
					 unsigned long start,
					 unsigned long length, bool writable)
{
	struct iopt_pages *pages;
	unsigned long end;
	int rc;

	if (!length || length > SIZE_MAX - PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(start, length, &end) || end > LLONG_MAX)
		return ERR_PTR(-EOVERFLOW);
	if (writable) {
		if (!(file->f_mode & FMODE_WRITE))
			return ERR_PTR(-EPERM);
		/* Keeps F_SEAL_WRITE off while devices may write. */
		rc = mapping_map_writable(file->f_mapping);
		if (rc)
			return ERR_PTR(rc);
	}
	pages = iopt_pages_new(offset_in_page(start), length, writable);
	if (IS_ERR(pages)) {
		if (writable)
			mapping_unmap_writable(file->f_mapping);
		return pages;
	}
	pages->file = get_file(file);
	pages->start = ALIGN_DOWN(start, PAGE_SIZE);
	return pages;
}

/*
 * The pinned pages are kept as runs: ranges of page indexes pinned to
 * physically contiguous memory and having one count of users.  A maple
 * tree (locked by @pages->mutex) holds one value entry per run: the count
 * in the low IOPT_USERS_BITS and, above them, the run's PFN minus its
 * index modulo 2^IOPT_DELTA_BITS, which is the same for every index of the
 * run, so a run cut in two keeps its entry in both halves.  Memory that
 * the kernel maps in 2 MiB pages takes one entry per 2 MiB or more, where
 * a record per 4 KiB page cost most of the time of a map (two XArray
 * stores and two lookups per page).
 *
 * Every pin stores its range with boundaries of its own (a run is cut at
 * both ends of the range if needed), so the unpin of the same range only
 * rewrites whole runs, which needs no memory; iopt_pages_cut() makes the
 * boundary when an area is cut in two.  An entry with no users is a run
 * that was unpinned where storing NULL (which may merge free ranges and
 * need memory) failed.
 *
 * Memory in small pieces would take an entry per piece, and the tree
 * allocates nodes as it grows: some allocation calls for every eight
 * entries stored, about one per entry in all, so pinning 2 MiB of 4 KiB
 * pages scattered in memory made some 500 calls.  So IOPT_BLOCK_PAGES
 * pages just pinned that lie in IOPT_BLOCK_MIN_RUNS or more physical
 * pieces are kept in a struct iopt_block instead, with a PFN and a count
 * of users per page, and take one entry (a pointer, where runs are value
 * entries).  A block is never cut: its pages' counts change in place,
 * which needs no memory either, and it leaves the tree when its last
 * page loses its last user.
 */
#define IOPT_USERS_BITS 20
#define IOPT_USERS_MAX ((1UL << IOPT_USERS_BITS) - 1)
#define IOPT_DELTA_BITS (BITS_PER_LONG - 1 - IOPT_USERS_BITS)
#define IOPT_DELTA_MASK ((1UL << IOPT_DELTA_BITS) - 1)

#define IOPT_BLOCK_PAGES 64
#define IOPT_BLOCK_MIN_RUNS 8

/**
 * struct iopt_block - pinned pages in many pieces, one tree entry
 * @first: index of the first page; the entry spans [first, first + n - 1]
 * @n: pages
 * @used: pages with users
 * @users: users of each page
 * @pfn: PFN of each page (if it has users)
 */
struct iopt_block {
	unsigned long first;
	unsigned int n;
	unsigned int used;
	u32 users[IOPT_BLOCK_PAGES];
	unsigned long pfn[IOPT_BLOCK_PAGES];
};

/*
 * struct iopt_run - what the tree says about [first, last]
 * @first: first index asked for
 * @last: last index of the run holding @first, but at most the limit
 *	  given to iopt_run_at()
 * @pfn: PFN of @first (if @users)
 * @users: 0 if @first is not pinned
 * @block: the block holding the run, if a block does
 */
struct iopt_run {
	unsigned long first;
	unsigned long last;
	unsigned long pfn;
	unsigned long users;
	struct iopt_block *block;
};

static void *iopt_run_entry(unsigned long index, unsigned long pfn,
			    unsigned long users)
{
	return xa_mk_value((((pfn - index) & IOPT_DELTA_MASK) <<
			    IOPT_USERS_BITS) | users);
}

/*
 * The run of @blk from @index to @run->last at most: pages with the same
 * count of users and, if they have users, physically contiguous.
 */
static void iopt_block_run(struct iopt_block *blk, unsigned long index,
			   struct iopt_run *run)
{
	unsigned long i = index - blk->first, end = run->last - blk->first, j;

	run->block = blk;
	run->users = blk->users[i];
	run->pfn = run->users ? blk->pfn[i] : 0;
	for (j = i + 1; j <= end; j++) {
		if (blk->users[j] != run->users ||
		    (run->users && blk->pfn[j] != run->pfn + (j - i)))
			break;
	}
	run->last = blk->first + j - 1;
}

static void iopt_run_at(struct iopt_pages *pages, unsigned long index,
			unsigned long last, struct iopt_run *run)
{
	MA_STATE(mas, &pages->runs, index, index);
	unsigned long v;
	void *entry;

	lockdep_assert_held(&pages->mutex);
	entry = mas_walk(&mas);
	run->first = index;
	run->last = min(mas.last, last);
	run->pfn = 0;
	run->users = 0;
	run->block = NULL;
	if (!entry)
		return;
	if (!xa_is_value(entry)) {
		iopt_block_run(entry, index, run);
		return;
	}
	v = xa_to_value(entry);
	run->users = v & IOPT_USERS_MAX;
	run->pfn = ((v >> IOPT_USERS_BITS) + index) & IOPT_DELTA_MASK;
}

static int iopt_run_store(struct iopt_pages *pages, unsigned long first,
			  unsigned long last, void *entry)
{
	MA_STATE(mas, &pages->runs, first, last);

	return mas_store_gfp(&mas, entry, GFP_KERNEL_ACCOUNT);
}

/*
 * Take @blk out of the tree once no page of it has a user: NULL over its
 * range, or, if that needs memory and fails, an entry with no users over
 * exactly the block's range, which replaces it in place.
 */
static void iopt_block_remove(struct iopt_pages *pages, struct iopt_block *blk)
{
	unsigned long last = blk->first + blk->n - 1;

	if (iopt_run_store(pages, blk->first, last, NULL))
		WARN_ON(iopt_run_store(pages, blk->first, last,
				       xa_mk_value(0)));
	kfree(blk);
}

/*
 * Set the users of the pages [first, last] of @blk, all of which had
 * @old each, to @users (no memory needed); @blk may be gone afterwards.
 */
static void iopt_block_set_users(struct iopt_pages *pages,
				 struct iopt_block *blk, unsigned long first,
				 unsigned long last, unsigned long old,
				 unsigned long users)
{
	unsigned long i;

	for (i = first - blk->first; i <= last - blk->first; i++)
		blk->users[i] = users;
	if (!old)
		blk->used += last - first + 1;
	else if (!users)
		blk->used -= last - first + 1;
	if (!blk->used)
		iopt_block_remove(pages, blk);
}

/*
 * Drop a user of the pages of @run, a run of a block; unpin them if it
 * was their last.  Return: the number of pages unpinned.
 */
static unsigned long iopt_block_put_users(struct iopt_pages *pages,
					  struct iopt_run *run, bool dirty)
{
	unsigned long n = run->last - run->first + 1;

	if (WARN_ON(!run->users))
		return 0;
	if (run->users == 1)
		unpin_user_page_range_dirty_lock(pfn_to_page(run->pfn), n,
						 dirty && pages->writable);
	iopt_block_set_users(pages, run->block, run->first, run->last,
			     run->users, run->users - 1);
	return run->users == 1 ? n : 0;
}

/*
 * Forget the runs [first, last], whole runs that lost their last user:
 * one store of NULL over all of them.  If that needs memory and fails,
 * each run is marked unpinned in place instead, which needs none.
 */
static void iopt_runs_clear(struct iopt_pages *pages, unsigned long first,
			    unsigned long last)
{
	struct iopt_run run;

	if (!iopt_run_store(pages, first, last, NULL))
		return;
	while (first <= last) {
		iopt_run_at(pages, first, last, &run);
		WARN_ON(iopt_run_store(pages, first, run.last, xa_mk_value(0)));
		first = run.last + 1;
	}
}

/*
 * Drop a user of every page in [first, last], all of which have one; pages
 * left without a user are unpinned, a run per call, marked dirty if @dirty
 * and the pages are writable (a device may have written to them), and
 * uncharged.  Runs next to each other that lose their last user leave the
 * tree with one store.
 */
static void iopt_pages_put_users(struct iopt_pages *pages, unsigned long first,
				 unsigned long last, bool dirty)
{
	unsigned long index = first, released = 0, gone = 0, gone_first = 0;
	struct iopt_run run;

	lockdep_assert_held(&pages->mutex);

	while (index <= last) {
		unsigned long n;

		iopt_run_at(pages, index, last, &run);
		n = run.last - index + 1;
		if (run.block) {
			if (gone) {
				iopt_runs_clear(pages, gone_first, index - 1);
				gone = 0;
			}
			released += iopt_block_put_users(pages, &run, dirty);
			index = run.last + 1;
			cond_resched();
			continue;
		}
		if (run.users == 1) {
			unpin_user_page_range_dirty_lock(pfn_to_page(run.pfn), n,
							 dirty && pages->writable);
			if (!gone)
				gone_first = index;
			gone += n;
			released += n;
			index = run.last + 1;
			cond_resched();
			continue;
		}
		if (gone) {
			iopt_runs_clear(pages, gone_first, index - 1);
			gone = 0;
		}
		if (!WARN_ON(!run.users))
			WARN_ON(iopt_run_store(pages, index, run.last,
					       iopt_run_entry(index, run.pfn,
							      run.users - 1)));
		index = run.last + 1;
		cond_resched();
	}
	if (gone)
		iopt_runs_clear(pages, gone_first, last);
	if (released)
		iopt_uncharge(pages, released);
}

/*
 * Pin pages of a file mapping, one memfd_pin_folios() call per page, so
 * that each page holds a pin of its own as pinned user memory does.
 */
static long iopt_pages_pin_file(struct iopt_pages *pages, unsigned long index,
				unsigned long n, struct page **out)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		loff_t pos = pages->start + ((index + i) << PAGE_SHIFT);
		struct folio *folio;
		pgoff_t offset;
		long ret;

		ret = memfd_pin_folios(pages->file, pos, pos + PAGE_SIZE - 1,
				       &folio, 1, &offset);
		if (ret <= 0) {
			if (i)
				return i;
			return ret ? ret : -EFAULT;
		}
		out[i] = folio_page(folio, offset >> PAGE_SHIFT);
	}
	return n;
}

/*
 * Pinned pages not yet in the tree: [first, first + n) at PFNs
 * [pfn, pfn + n).
 */
struct iopt_pend {
	unsigned long first;
	unsigned long pfn;
	unsigned long n;
};

static int iopt_pend_flush(struct iopt_pages *pages, struct iopt_pend *pend)
{
	int rc;

	if (!pend->n)
		return 0;
	rc = iopt_run_store(pages, pend->first, pend->first + pend->n - 1,
			    iopt_run_entry(pend->first, pend->pfn, 1));
	if (!rc)
		pend->n = 0;
	return rc;
}

/*
 * Do the @n pages at @tmp lie in IOPT_BLOCK_MIN_RUNS pieces or more?  Pages
 * whose first and last PFN are @n - 1 apart are taken as one piece without
 * a look at the others (mostly they are: huge pages), so that contiguous
 * memory costs two lookups per IOPT_BLOCK_PAGES; were they not, they are
 * kept as runs, which is only less compact.
 */
static bool iopt_scattered(struct page **tmp, unsigned long n)
{
	unsigned long i, runs = 1, pfn = page_to_pfn(tmp[0]), next;

	if (page_to_pfn(tmp[n - 1]) == pfn + n - 1)
		return false;
	for (i = 1; i < n && runs < IOPT_BLOCK_MIN_RUNS; i++, pfn = next) {
		next = page_to_pfn(tmp[i]);
		if (next != pfn + 1)
			runs++;
	}
	return runs >= IOPT_BLOCK_MIN_RUNS;
}

/* Record the @n pages at @tmp, just pinned, as a block at @first. */
static int iopt_block_store(struct iopt_pages *pages, unsigned long first,
			    struct page **tmp, unsigned long n)
{
	struct iopt_block *blk;
	unsigned long i;
	int rc;

	blk = kzalloc(sizeof(*blk), GFP_KERNEL_ACCOUNT);
	if (!blk)
		return -ENOMEM;
	blk->first = first;
	blk->n = n;
	blk->used = n;
	for (i = 0; i < n; i++) {
		blk->pfn[i] = page_to_pfn(tmp[i]);
		blk->users[i] = 1;
	}
	rc = iopt_run_store(pages, first, first + n - 1, blk);
	if (rc)
		kfree(blk);
	return rc;
}

/*
 * Pin [index, index + n), none of which is pinned yet, with one user: up
 * to IOPT_PIN_CHUNK pages per call into GUP, stored as runs of physically
 * contiguous pages (a run may span several calls), or as blocks where
 * IOPT_BLOCK_PAGES pages of a call lie in many pieces.  If the range is
 * part of @into, a block whose pages there lost their users, the pages go
 * back into it.
 */
static int iopt_pages_pin_new(struct iopt_pages *pages, unsigned long index,
			      unsigned long n, struct page **tmp,
			      struct iopt_block *into)
{
	unsigned int gup_flags = FOLL_LONGTERM |
				 (pages->writable ? FOLL_WRITE : 0);
	bool remote = !pages->file && current->mm != pages->source_mm;
	struct iopt_pend pend = {};
	unsigned long done = 0;
	int locked = 0;
	int rc;

	rc = iopt_charge(pages, n);
	if (rc)
		return rc;
	if (remote && !mmget_not_zero(pages->source_mm)) {
		rc = -EFAULT;
		goto err_uncharge;
	}

	while (done < n) {
		unsigned long nr = min(n - done, IOPT_PIN_CHUNK);
		unsigned long uaddr = pages->uptr +
				      ((index + done) << PAGE_SHIFT);
		unsigned long i, j;
		long ret;

		if (pages->file) {
			ret = iopt_pages_pin_file(pages, index + done, nr, tmp);
		} else if (!remote) {
			ret = pin_user_pages_fast(uaddr, nr, gup_flags, tmp);
		} else {
			if (!locked) {
				mmap_read_lock(pages->source_mm);
				locked = 1;
			}
			ret = pin_user_pages_remote(pages->source_mm, uaddr, nr,
						    gup_flags, tmp, &locked);
		}
		if (ret <= 0) {
			rc = ret ? ret : -EFAULT;
			goto err_unpin;
		}
		if (into) {
			for (i = 0; i < ret; i++)
				into->pfn[index + done + i - into->first] =
					page_to_pfn(tmp[i]);
		}
		/*
		 * Stretch by stretch of contiguous pages, each within one
		 * IOPT_BLOCK_PAGES of the call: a compare per page, the
		 * rest per stretch.
		 */
		for (i = 0; !into && i < ret; i = j) {
			unsigned long pfn, seg, end;

			/* Each IOPT_BLOCK_PAGES of the call: many pieces? */
			seg = min_t(unsigned long, ret - i, IOPT_BLOCK_PAGES);
			if (!(i % IOPT_BLOCK_PAGES) &&
			    iopt_scattered(tmp + i, seg)) {
				rc = iopt_pend_flush(pages, &pend);
				if (!rc)
					rc = iopt_block_store(pages,
							      index + done + i,
							      tmp + i, seg);
				if (rc) {
					unpin_user_pages(tmp + i, ret - i);
					done += i;
					goto err_unpin;
				}
				j = i + seg;
				continue;
			}
			/* Up to the end of this IOPT_BLOCK_PAGES at most. */
			end = min_t(unsigned long, ret,
				    round_down(i, IOPT_BLOCK_PAGES) +
				    IOPT_BLOCK_PAGES);
			pfn = page_to_pfn(tmp[i]);
			for (j = i + 1; j < end; j++)
				if (page_to_pfn(tmp[j]) != pfn + (j - i))
					break;
			if (pend.n && pfn == pend.pfn + pend.n) {
				pend.n += j - i;
				continue;
			}
			rc = iopt_pend_flush(pages, &pend);
			/* The entry holds no larger PFN (none on x86-64). */
			if (!rc && WARN_ON_ONCE(pfn > IOPT_DELTA_MASK))
				rc = -EFAULT;
			if (rc) {
				/* Never written to: unpin without dirtying. */
				unpin_user_pages(tmp + i, ret - i);
				done += i;
				goto err_unpin;
			}
			pend.first = index + done + i;
			pend.pfn = pfn;
			pend.n = j - i;
		}
		if (into)
			iopt_block_set_users(pages, into, index + done,
					     index + done + ret - 1, 0, 1);
		done += ret;
		if (!locked)
			cond_resched();
	}
	rc = iopt_pend_flush(pages, &pend);
	if (rc)
		goto err_unpin;
	if (locked)
		mmap_read_unlock(pages->source_mm);
	if (remote)
		mmput(pages->source_mm);
	return 0;

err_unpin:
	if (locked)
		mmap_read_unlock(pages->source_mm);
	if (remote)
		mmput(pages->source_mm);
	if (pend.n) {
		unpin_user_page_range_dirty_lock(pfn_to_page(pend.pfn), pend.n,
						 false);
		done -= pend.n;
	}
	/* What was stored: [index, index + done), one user each. */
	if (done) {
		/* iopt_pages_put_users() uncharges these itself. */
		iopt_pages_put_users(pages, index, index + done - 1, false);
		n -= done;
	}
err_uncharge:
	iopt_uncharge(pages, n);
	return rc;
}

/*
 * Fill @out with the pages [first, last], all pinned: pfn_to_page() per
 * page, for the callers that want struct pages (access objects).
 */
static void iopt_pages_fill(struct iopt_pages *pages, unsigned long first,
			    unsigned long last, struct page **out)
{
	unsigned long index = first, i;
	struct iopt_run run;

	while (index <= last) {
		iopt_run_at(pages, index, last, &run);
		for (i = 0; i <= run.last - index; i++)
			*out++ = pfn_to_page(run.pfn + i);
		index = run.last + 1;
	}
}

/**
 * iopt_pages_pin() - add a user to a range of pages, pinning what is new
 * @pages: the pages
 * @first: index of the first page (0 is the page holding the first byte)
 * @last: index of the last page, inclusive
 * @out: if not NULL, receives the @last - @first + 1 pinned pages
 *
 * Pages without a user so far are pinned from the address space that
 * mapped them (the caller's own or, through its mm, the mapping
 * process's) and charged.  Undo with iopt_pages_unpin() on the same range.
 *
 * Context: process context; takes @pages->mutex and the mm's mmap_lock.
 * Return: 0; -ENOMEM over RLIMIT_MEMLOCK or out of memory; -EFAULT if
 * part of the range is not mapped (with write permission for writable
 * pages) or the mapping process has exited; -EOVERFLOW if a page has
 * 2^20 - 1 users already.  Nothing changes on failure.
 */
int iopt_pages_pin(struct iopt_pages *pages, unsigned long first,
		   unsigned long last, struct page **out)
{
	struct page *stack[IOPT_PIN_STACK], **tmp = stack;
	unsigned long index = first;
	struct iopt_run run;
	int rc = 0;

	if (WARN_ON(first > last || last >= pages->npages))
		return -EINVAL;

	/* Every pin of a range pins at most as many pages as it has. */
	if (last - first >= IOPT_PIN_STACK) {
		tmp = kmalloc_array(IOPT_PIN_CHUNK, sizeof(*tmp), GFP_KERNEL);
		if (!tmp)
			return -ENOMEM;
	}

	mutex_lock(&pages->mutex);
	while (index <= last) {
		iopt_run_at(pages, index, last, &run);
		if (!run.users)
			rc = iopt_pages_pin_new(pages, index,
						run.last - index + 1, tmp,
						run.block);
		else if (run.users == IOPT_USERS_MAX)
			rc = -EOVERFLOW;
		else if (run.block)
			iopt_block_set_users(pages, run.block, index, run.last,
					     run.users, run.users + 1);	/* rc is 0 */
		else
			rc = iopt_run_store(pages, index, run.last,
					    iopt_run_entry(index, run.pfn,
							   run.users + 1));
		if (rc)
			break;
		index = run.last + 1;
		cond_resched();
	}
	if (rc) {
		/* Pages pinned here go unused: no need to dirty them. */
		if (index > first)
			iopt_pages_put_users(pages, first, index - 1, false);
	} else if (out) {
		iopt_pages_fill(pages, first, last, out);
	}
	mutex_unlock(&pages->mutex);
	if (tmp != stack)
		kfree(tmp);
	return rc;
}

/**
 * iopt_pages_unpin() - drop a user of a range of pages
 * @pages: the pages
 * @first: index of the first page
 * @last: index of the last page, inclusive
 *
 * Pages left without a user are unpinned (marked dirty if writable) and
 * uncharged, a physically contiguous run with one call.
 */
void iopt_pages_unpin(struct iopt_pages *pages, unsigned long first,
		      unsigned long last)
{
	mutex_lock(&pages->mutex);
	iopt_pages_put_users(pages, first, last, true);
	mutex_unlock(&pages->mutex);
}

/**
 * iopt_pages_cut() - start a run of pinned pages at an index
 * @pages: the pages
 * @index: page index
 *
 * For an area cut in two at @index (iopt_cut()): the pins of either half
 * can then be dropped without memory.
 *
 * Return: 0 or -ENOMEM.
 */
int iopt_pages_cut(struct iopt_pages *pages, unsigned long index)
{
	MA_STATE(mas, &pages->runs, index, index);
	void *entry;
	int rc = 0;

	mutex_lock(&pages->mutex);
	entry = mas_walk(&mas);
	/*
	 * The entry does not depend on where the run starts.  A block needs
	 * no cut: its pages' users change in place.
	 */
	if (entry && xa_is_value(entry) && mas.index < index)
		rc = iopt_run_store(pages, index, mas.last, entry);
	mutex_unlock(&pages->mutex);
	return rc;
}

/**
 * iopt_pages_pfn_run() - the physically contiguous pinned run at an index
 * @pages: the pages
 * @index: page index
 * @last: the last index of interest
 * @pfn: returns the PFN of @index
 *
 * Only meaningful while the caller holds a user of @index.  Runs that
 * follow may continue the physical range (they differ in users).
 *
 * Return: the number of pages from @index to the end of its run or to
 * @last, whichever comes first; 0 if @index is not pinned.
 */
unsigned long iopt_pages_pfn_run(struct iopt_pages *pages, unsigned long index,
				 unsigned long last, unsigned long *pfn)
{
	unsigned long n;

	mutex_lock(&pages->mutex);
	n = __iopt_pages_pfn_run(pages, index, last, pfn);
	mutex_unlock(&pages->mutex);
	return n;
}

/**
 * __iopt_pages_pfn_run() - iopt_pages_pfn_run() with the mutex held
 * @pages: the pages; the caller holds @pages->mutex
 * @index: page index
 * @last: the last index of interest
 * @pfn: returns the PFN of @index
 *
 * For a walk over many runs under one lock (mapping an area into a
 * domain).
 *
 * Return: as iopt_pages_pfn_run().
 */
unsigned long __iopt_pages_pfn_run(struct iopt_pages *pages,
				   unsigned long index, unsigned long last,
				   unsigned long *pfn)
{
	struct iopt_run run;

	iopt_run_at(pages, index, last, &run);
	*pfn = run.pfn;
	return run.users ? run.last - index + 1 : 0;
}

/**
 * iopt_pages_pinned() - the pinned page at an index, if it is pinned
 * @pages: the pages
 * @index: page index
 *
 * Only meaningful while the caller holds a user of @index.
 *
 * Return: the page or NULL.
 */
struct page *iopt_pages_pinned(struct iopt_pages *pages, unsigned long index)
{
	unsigned long pfn;

	if (!iopt_pages_pfn_run(pages, index, index, &pfn))
		return NULL;
	return pfn_to_page(pfn);
}

/*
 * Copy between @data and the pages of [@start_byte, @start_byte + @length)
 * without a pin of our own when every one of them holds a user already (a domain or an access
 * pinned it): as long as @pages->mutex is held none can be unpinned.  The
 * kthread path of a small iommufd_access_rw() then costs a walk of the
 * tree or two instead of a store to it, a charge and GUP and their undo.
 *
 * Return: false, having copied nothing, if a page is not pinned.
 */
static bool iopt_pages_rw_pinned(struct iopt_pages *pages,
				 unsigned long start_byte, void *data,
				 unsigned long length, bool write)
{
	unsigned long first = start_byte >> PAGE_SHIFT;
	unsigned long last = (start_byte + length - 1) >> PAGE_SHIFT;
	unsigned long off = offset_in_page(start_byte);
	unsigned long index, pfn, n;
	struct iopt_run run;

	lockdep_assert_held(&pages->mutex);
	for (index = first; index <= last; index = run.last + 1) {
		iopt_run_at(pages, index, last, &run);
		if (!run.users)
			return false;
	}
	for (index = first; index <= last; index = run.last + 1) {
		iopt_run_at(pages, index, last, &run);
		for (pfn = run.pfn; pfn <= run.pfn + (run.last - index); pfn++) {
			n = min(length, PAGE_SIZE - off);
			if (write)
				memcpy_to_page(pfn_to_page(pfn), off, data, n);
			else
				memcpy_from_page(data, pfn_to_page(pfn), off,
						 n);
			data += n;
			length -= n;
			off = 0;
		}
		cond_resched();
	}
	return true;
}

/*
 * The kthread path of a copy within one page of user memory that nothing
 * holds pinned: a short-term pin of that page from the mapping process's
 * address space, for the copy only.  It is neither stored in the tree nor
 * charged, as it ends before the call returns; on the debug kernel this
 * halves the cost of such a call.
 *
 * Return: 0, -EFAULT or an error of pin_user_pages_remote().
 */
static int iopt_pages_rw_page(struct iopt_pages *pages,
			      unsigned long start_byte, void *data,
			      unsigned long length, bool write)
{
	unsigned long uaddr = pages->uptr + (start_byte & PAGE_MASK);
	unsigned long off = offset_in_page(start_byte);
	struct page *page;
	int locked = 1;
	long ret;

	if (!mmget_not_zero(pages->source_mm))
		return -EFAULT;
	mmap_read_lock(pages->source_mm);
	ret = pin_user_pages_remote(pages->source_mm, uaddr, 1,
				    write ? FOLL_WRITE : 0, &page, &locked);
	if (locked)
		mmap_read_unlock(pages->source_mm);
	mmput(pages->source_mm);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	if (write)
		memcpy_to_page(page, off, data, length);
	else
		memcpy_from_page(data, page, off, length);
	unpin_user_pages_dirty_lock(&page, 1, write);
	return 0;
}

/**
 * iopt_pages_rw() - copy between a kernel buffer and the user memory
 * @pages: the pages
 * @start_byte: offset from the start of the first page
 * @data: the kernel buffer
 * @length: bytes to copy
 * @write: copy @data to the memory rather than from it
 * @use_mm: the caller runs in the mapping process's address space and may
 *	    use plain user copies
 *
 * Otherwise, where all of the pages are pinned already (by a domain or an
 * access), the copy holds the pages' mutex instead of a pin of its own;
 * where not, a copy within one page of user memory pins that page
 * short-term (neither stored nor charged) and other copies pin and charge
 * their pages for the duration of the copy.
 *
 * Return: 0, -EPERM to write read-only pages, -EFAULT, or an error of
 * iopt_pages_pin().
 */
int iopt_pages_rw(struct iopt_pages *pages, unsigned long start_byte,
		  void *data, unsigned long length, bool write, bool use_mm)
{
	unsigned long first = start_byte >> PAGE_SHIFT;
	unsigned long last = (start_byte + length - 1) >> PAGE_SHIFT;
	unsigned long i, done = 0;
	bool copied;
	int rc;

	if (write && !pages->writable)
		return -EPERM;

	if (use_mm && !pages->file && current->mm == pages->source_mm) {
		void __user *uptr = (void __user *)(pages->uptr + start_byte);

		if (write)
			rc = copy_to_user(uptr, data, length);
		else
			rc = copy_from_user(data, uptr, length);
		return rc ? -EFAULT : 0;
	}

	mutex_lock(&pages->mutex);
	copied = iopt_pages_rw_pinned(pages, start_byte, data, length, write);
	mutex_unlock(&pages->mutex);
	if (copied)
		return 0;
	if (first == last && !pages->file)
		return iopt_pages_rw_page(pages, start_byte, data, length,
					  write);

	rc = iopt_pages_pin(pages, first, last, NULL);
	if (rc)
		return rc;
	for (i = first; i <= last; i++) {
		unsigned long off = i == first ? offset_in_page(start_byte) : 0;
		unsigned long n = min(length - done, PAGE_SIZE - off);
		struct page *page = iopt_pages_pinned(pages, i);

		if (write)
			memcpy_to_page(page, off, data + done, n);
		else
			memcpy_from_page(data + done, page, off, n);
		done += n;
	}
	iopt_pages_unpin(pages, first, last);
	return 0;
}

/**
 * iopt_pages_charge_current() - charge what is pinned now to the caller
 * @pages: file pages about to change owner
 * @charged: returns the number of pages charged
 *
 * First step of IOMMU_IOAS_CHANGE_PROCESS: the caller's limits apply.
 * Follow with iopt_pages_change_owner() or undo with
 * iopt_pages_uncharge_current().
 *
 * Return: 0; -ENOMEM over the caller's RLIMIT_MEMLOCK.
 */
int iopt_pages_charge_current(struct iopt_pages *pages,
			      unsigned long *charged)
{
	struct iopt_owner owner = iopt_current_owner();
	int rc;

	mutex_lock(&pages->mutex);
	*charged = pages->npinned;
	rc = iopt_charge_owner(pages, &owner, *charged, false);
	mutex_unlock(&pages->mutex);
	return rc;
}

/**
 * iopt_pages_uncharge_current() - undo iopt_pages_charge_current()
 * @pages: the pages
 * @charged: what iopt_pages_charge_current() returned
 */
void iopt_pages_uncharge_current(struct iopt_pages *pages,
				 unsigned long charged)
{
	struct iopt_owner owner = iopt_current_owner();

	mutex_lock(&pages->mutex);
	iopt_uncharge_owner(pages, &owner, charged);
	mutex_unlock(&pages->mutex);
}

/**
 * iopt_pages_change_owner() - make the caller the owner of the charge
 * @pages: the pages
 * @charged: what iopt_pages_charge_current() returned
 *
 * The old owner is uncharged; pins made or dropped since
 * iopt_pages_charge_current() are settled with the caller without a limit
 * check, as they are in place already.
 */
void iopt_pages_change_owner(struct iopt_pages *pages, unsigned long charged)
{
	struct iopt_owner new = iopt_current_owner();
	struct iopt_owner old;

	mutex_lock(&pages->mutex);
	old = iopt_pages_owner(pages);
	if (pages->npinned > charged)
		iopt_charge_owner(pages, &new, pages->npinned - charged, true);
	else if (pages->npinned < charged)
		iopt_uncharge_owner(pages, &new, charged - pages->npinned);
	iopt_uncharge_owner(pages, &old, pages->npinned);

	pages->source_task = get_task_struct(new.task);
	pages->source_mm = new.mm;
	mmgrab(new.mm);
	pages->source_user = get_uid(new.user);
	mutex_unlock(&pages->mutex);

	put_task_struct(old.task);
	mmdrop(old.mm);
	free_uid(old.user);
}

/**
 * iopt_pages_owned_by_current() - is the caller the owner already
 * @pages: the pages
 *
 * Return: true if the calling process owns the charge of @pages.
 */
bool iopt_pages_owned_by_current(struct iopt_pages *pages)
{
	bool ret;

	mutex_lock(&pages->mutex);
	ret = pages->source_mm == current->mm &&
	      pages->source_task == current->group_leader &&
	      pages->source_user == current_user();
	mutex_unlock(&pages->mutex);
	return ret;
}

/**
 * iopt_pages_get() - take another reference on the pages
 * @pages: the pages
 */
void iopt_pages_get(struct iopt_pages *pages)
{
	kref_get(&pages->kref);
}

static void iopt_pages_release(struct kref *kref)
{
	struct iopt_pages *pages = container_of(kref, struct iopt_pages, kref);
	void *entry;

	MA_STATE(mas, &pages->runs, 0, 0);

	/* Every user went away with its area. */
	WARN_ON(pages->npinned);
	/*
	 * Nobody else can reach the pages now; the mutex is the tree's
	 * external lock, which its functions check.  A tree left empty by
	 * the last unpin (the usual case) has nothing to walk or free.
	 */
	if (!mtree_empty(&pages->runs)) {
		mutex_lock(&pages->mutex);
		/* A block leaves the tree with its last user: none is left. */
		mas_for_each(&mas, entry, ULONG_MAX) {
			if (WARN_ON(!xa_is_value(entry)))
				kfree(entry);
		}
		__mt_destroy(&pages->runs);
		mutex_unlock(&pages->mutex);
	}
	mutex_destroy(&pages->mutex);
	if (pages->file) {
		if (pages->writable)
			mapping_unmap_writable(pages->file->f_mapping);
		fput(pages->file);
	}
	free_uid(pages->source_user);
	mmdrop(pages->source_mm);
	put_task_struct(pages->source_task);
	kfree(pages);
}

/**
 * iopt_pages_put() - drop a reference; the last one frees the record
 * @pages: the pages
 */
void iopt_pages_put(struct iopt_pages *pages)
{
	kref_put(&pages->kref, iopt_pages_release);
}
