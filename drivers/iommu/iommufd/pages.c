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
 * Pinned pages are charged when they are pinned, as mainline's default
 * accounting mode does: to the mapping user's locked_vm, limited by the
 * mapping process's RLIMIT_MEMLOCK unless it had CAP_IPC_LOCK, and always
 * to the mapping process's mm->pinned_vm.  The charge goes with the pin.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/highmem.h>
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

static atomic_long_t *iopt_limited_counter(struct iopt_pages *pages)
{
#if IOPT_CHARGE_USER
	return &pages->source_user->locked_vm;
#else
	return (atomic_long_t *)&pages->source_mm->pinned_vm;
#endif
}

static int iopt_charge(struct iopt_pages *pages, unsigned long npages)
{
	unsigned long limit, new;
	atomic_long_t *counter;
	long cur;

	if (pages->charged) {
		limit = task_rlimit(pages->source_task, RLIMIT_MEMLOCK) >>
			PAGE_SHIFT;
		counter = iopt_limited_counter(pages);
		cur = atomic_long_read(counter);
		do {
			if (check_add_overflow((unsigned long)cur, npages,
					       &new) || new > limit)
				return -ENOMEM;
		} while (!atomic_long_try_cmpxchg(counter, &cur, new));
		if (!IOPT_CHARGE_USER)
			return 0;
	}
	atomic64_add(npages, &pages->source_mm->pinned_vm);
	return 0;
}

static void iopt_uncharge(struct iopt_pages *pages, unsigned long npages)
{
	if (pages->charged) {
		atomic_long_sub(npages, iopt_limited_counter(pages));
		if (!IOPT_CHARGE_USER)
			return;
	}
	atomic64_sub(npages, &pages->source_mm->pinned_vm);
}

/**
 * iopt_pages_alloc() - record a range of the caller's memory, unpinned
 * @uaddr: user address of the first byte
 * @length: length in bytes
 * @writable: devices may write to the memory (it is pinned for write)
 *
 * Nothing is pinned or checked in the address space: that happens when a
 * user of the pages appears, see iopt_pages_pin().
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

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	mutex_init(&pages->mutex);
	xa_init(&pages->pinned);
	xa_init(&pages->users);
	pages->uptr = ALIGN_DOWN(uaddr, PAGE_SIZE);
	pages->npages = DIV_ROUND_UP(length + (uaddr - pages->uptr),
				     PAGE_SIZE);
	pages->writable = writable;
	pages->charged = !capable(CAP_IPC_LOCK);
	pages->source_task = get_task_struct(current->group_leader);
	pages->source_mm = current->mm;
	mmgrab(pages->source_mm);
	pages->source_user = get_uid(current_user());
	return pages;
}

static unsigned long iopt_users(struct iopt_pages *pages, unsigned long index)
{
	void *entry = xa_load(&pages->users, index);

	return entry ? xa_to_value(entry) : 0;
}

/* Unpin and forget pinned pages [index, index + n) that have no users. */
static void iopt_pages_release_range(struct iopt_pages *pages,
				     unsigned long index, unsigned long n)
{
	unsigned long i;

	for (i = index; i < index + n; i++) {
		struct page *page = xa_erase(&pages->pinned, i);

		/* A device may have written to writable pages. */
		if (!WARN_ON(!page))
			unpin_user_pages_dirty_lock(&page, 1, pages->writable);
	}
	iopt_uncharge(pages, n);
}

/* Pin [index, index + n), none of which is pinned yet. */
static int iopt_pages_pin_new(struct iopt_pages *pages, unsigned long index,
			      unsigned long n, struct page **tmp)
{
	unsigned int gup_flags = FOLL_LONGTERM |
				 (pages->writable ? FOLL_WRITE : 0);
	bool remote = current->mm != pages->source_mm;
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
		unsigned long i;
		long ret;

		if (!remote) {
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
		for (i = 0; i < ret; i++) {
			rc = xa_err(xa_store(&pages->pinned, index + done + i,
					     tmp[i], GFP_KERNEL_ACCOUNT));
			if (rc) {
				unpin_user_pages(tmp + i, ret - i);
				done += i;
				goto err_unpin;
			}
		}
		done += ret;
		if (!locked)
			cond_resched();
	}
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
	/* Never written to: unpin without dirtying. */
	while (done--)
		unpin_user_page(xa_erase(&pages->pinned, index + done));
err_uncharge:
	iopt_uncharge(pages, n);
	return rc;
}

static void iopt_pages_put_users(struct iopt_pages *pages, unsigned long first,
				 unsigned long last)
{
	unsigned long i, start = 0, n = 0;

	lockdep_assert_held(&pages->mutex);

	for (i = first; i <= last; i++) {
		unsigned long users = iopt_users(pages, i);

		if (WARN_ON(!users))
			continue;
		if (users > 1) {
			/* Replacing a value entry needs no memory. */
			xa_store(&pages->users, i, xa_mk_value(users - 1),
				 GFP_KERNEL);
			continue;
		}
		xa_erase(&pages->users, i);
		/* Release runs of pages that lost their last user at once. */
		if (n && start + n != i) {
			iopt_pages_release_range(pages, start, n);
			n = 0;
		}
		if (!n++)
			start = i;
	}
	if (n)
		iopt_pages_release_range(pages, start, n);
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
 * pages) or the mapping process has exited.  Nothing changes on failure.
 */
int iopt_pages_pin(struct iopt_pages *pages, unsigned long first,
		   unsigned long last, struct page **out)
{
	unsigned long i, start = 0, n = 0;
	struct page **tmp;
	int rc = 0;

	if (WARN_ON(first > last || last >= pages->npages))
		return -EINVAL;

	tmp = kmalloc_array(IOPT_PIN_CHUNK, sizeof(*tmp), GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;

	mutex_lock(&pages->mutex);
	/* First pin the runs of pages nobody uses yet. */
	for (i = first; i <= last + 1; i++) {
		if (i <= last && !iopt_users(pages, i)) {
			if (!n++)
				start = i;
			continue;
		}
		if (!n)
			continue;
		rc = iopt_pages_pin_new(pages, start, n, tmp);
		if (rc)
			break;
		n = 0;
	}
	if (rc) {
		/* Unpin the runs pinned before the failing one. */
		for (i = first; i <= last; i++) {
			if (!iopt_users(pages, i) &&
			    xa_load(&pages->pinned, i)) {
				unpin_user_page(xa_erase(&pages->pinned, i));
				iopt_uncharge(pages, 1);
			}
		}
		goto out;
	}

	for (i = first; i <= last; i++) {
		rc = xa_err(xa_store(&pages->users, i,
				     xa_mk_value(iopt_users(pages, i) + 1),
				     GFP_KERNEL_ACCOUNT));
		if (rc) {
			if (i > first)
				iopt_pages_put_users(pages, first, i - 1);
			/* Pages pinned above whose count never rose. */
			for (; i <= last; i++) {
				if (iopt_users(pages, i))
					continue;
				unpin_user_page(xa_erase(&pages->pinned, i));
				iopt_uncharge(pages, 1);
			}
			goto out;
		}
		if (out)
			out[i - first] = xa_load(&pages->pinned, i);
	}
out:
	mutex_unlock(&pages->mutex);
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
 * uncharged.
 */
void iopt_pages_unpin(struct iopt_pages *pages, unsigned long first,
		      unsigned long last)
{
	mutex_lock(&pages->mutex);
	iopt_pages_put_users(pages, first, last);
	mutex_unlock(&pages->mutex);
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
	return xa_load(&pages->pinned, index);
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
 * Otherwise the pages are pinned for the duration of the copy.
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
	int rc;

	if (write && !pages->writable)
		return -EPERM;

	if (use_mm && current->mm == pages->source_mm) {
		void __user *uptr = (void __user *)(pages->uptr + start_byte);

		if (write)
			rc = copy_to_user(uptr, data, length);
		else
			rc = copy_from_user(data, uptr, length);
		return rc ? -EFAULT : 0;
	}

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

	/* Every user went away with its area. */
	WARN_ON(!xa_empty(&pages->users) || !xa_empty(&pages->pinned));
	xa_destroy(&pages->users);
	xa_destroy(&pages->pinned);
	mutex_destroy(&pages->mutex);
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
