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
	xa_init(&pages->pinned);
	xa_init(&pages->users);
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

/* Pin pages of a file mapping, one pin per page as for user memory. */
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

/* Pin [index, index + n), none of which is pinned yet. */
static int iopt_pages_pin_new(struct iopt_pages *pages, unsigned long index,
			      unsigned long n, struct page **tmp)
{
	unsigned int gup_flags = FOLL_LONGTERM |
				 (pages->writable ? FOLL_WRITE : 0);
	bool remote = !pages->file && current->mm != pages->source_mm;
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

	if (use_mm && !pages->file && current->mm == pages->source_mm) {
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

	/* Every user went away with its area. */
	WARN_ON(!xa_empty(&pages->users) || !xa_empty(&pages->pinned));
	xa_destroy(&pages->users);
	xa_destroy(&pages->pinned);
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
