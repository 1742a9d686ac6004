// SPDX-License-Identifier: GPL-2.0
/*
 * Pinning user memory for IOAS mappings.
 *
 * Memory is pinned when it is mapped (FOLL_LONGTERM: it stays pinned for as
 * long as a device may reach it) and charged to the calling user's
 * locked_vm against RLIMIT_MEMLOCK, as mainline iommufd does by default,
 * unless the caller has CAP_IPC_LOCK.  The charge is undone when the last
 * area using the pages goes away, whoever that is.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>

#include "iommufd_private.h"

/* Pages pinned per call to pin_user_pages_fast(). */
#define IOPT_PIN_CHUNK 512UL

/*
 * struct user_struct has locked_vm only if a user of it is built in (the
 * condition below is the one in <linux/sched/user.h>).  Without it, e.g.
 * in the project's minimal debug kernel, the pages are charged to the
 * calling process's mm->pinned_vm instead, like mainline's process-based
 * accounting mode; the limit is RLIMIT_MEMLOCK either way.
 */
#if defined(CONFIG_NET) || defined(CONFIG_IO_URING) || \
	defined(CONFIG_VFIO_PCI_ZDEV_KVM) || IS_ENABLED(CONFIG_IOMMUFD) || \
	defined(CONFIG_SECRETMEM)
#define IOPT_CHARGE_USER 1
#else
#define IOPT_CHARGE_USER 0
#endif

static atomic_long_t *iopt_counter(struct iopt_pages *pages)
{
#if IOPT_CHARGE_USER
	return &pages->user->locked_vm;
#else
	static_assert(sizeof(atomic_long_t) == sizeof(atomic64_t));
	return (atomic_long_t *)&pages->mm->pinned_vm;
#endif
}

static void iopt_charge_owner_get(struct iopt_pages *pages)
{
#if IOPT_CHARGE_USER
	pages->user = get_uid(current_user());
#else
	pages->mm = current->mm;
	mmgrab(pages->mm);
#endif
}

static void iopt_charge_owner_put(struct iopt_pages *pages)
{
#if IOPT_CHARGE_USER
	free_uid(pages->user);
#else
	mmdrop(pages->mm);
#endif
}

static int iopt_charge(struct iopt_pages *pages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	atomic_long_t *counter = iopt_counter(pages);
	long cur = atomic_long_read(counter);
	unsigned long new;

	do {
		if (check_add_overflow((unsigned long)cur, pages->npages,
				       &new) || new > limit)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(counter, &cur, new));
	return 0;
}

static void iopt_uncharge(struct iopt_pages *pages)
{
	atomic_long_sub(pages->npages, iopt_counter(pages));
}

/**
 * iopt_pages_pin() - pin and charge a range of the caller's memory
 * @uaddr: page-aligned user address
 * @length: page-aligned, non-zero length in bytes
 * @writable: pin for write (devices may write to the memory)
 *
 * Return: the pinned pages with one reference, or an ERR_PTR: -ENOMEM when
 * over RLIMIT_MEMLOCK or out of memory, -EFAULT when the range is not
 * entirely mapped (with write permission if @writable).
 */
struct iopt_pages *iopt_pages_pin(unsigned long uaddr, unsigned long length,
				  bool writable)
{
	unsigned int gup_flags = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	unsigned long npages = length >> PAGE_SHIFT;
	struct iopt_pages *pages;
	unsigned long done = 0;
	int rc;

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	pages->npages = npages;
	pages->uaddr = uaddr;
	pages->writable = writable;

	if (!capable(CAP_IPC_LOCK)) {
		pages->charged = true;
		iopt_charge_owner_get(pages);
		rc = iopt_charge(pages);
		if (rc) {
			iopt_charge_owner_put(pages);
			kfree(pages);
			return ERR_PTR(rc);
		}
	}

	pages->pages = kvcalloc(npages, sizeof(*pages->pages),
				GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!pages->pages) {
		rc = -ENOMEM;
		goto err_uncharge;
	}

	while (done < npages) {
		unsigned long nr = min(npages - done, IOPT_PIN_CHUNK);
		long ret;

		ret = pin_user_pages_fast(uaddr + (done << PAGE_SHIFT), nr,
					  gup_flags, pages->pages + done);
		if (ret <= 0) {
			rc = ret ? ret : -EFAULT;
			goto err_unpin;
		}
		done += ret;
		cond_resched();
	}
	return pages;

err_unpin:
	unpin_user_pages(pages->pages, done);
	kvfree(pages->pages);
err_uncharge:
	if (pages->charged) {
		iopt_uncharge(pages);
		iopt_charge_owner_put(pages);
	}
	kfree(pages);
	return ERR_PTR(rc);
}

/**
 * iopt_pages_get() - take another reference on pinned pages
 * @pages: the pages
 */
void iopt_pages_get(struct iopt_pages *pages)
{
	kref_get(&pages->kref);
}

static void iopt_pages_release(struct kref *kref)
{
	struct iopt_pages *pages = container_of(kref, struct iopt_pages, kref);

	/* A device may have written to writable pages: mark them dirty. */
	unpin_user_pages_dirty_lock(pages->pages, pages->npages,
				    pages->writable);
	kvfree(pages->pages);
	if (pages->charged) {
		iopt_uncharge(pages);
		iopt_charge_owner_put(pages);
	}
	kfree(pages);
}

/**
 * iopt_pages_put() - drop a reference; the last one unpins and uncharges
 * @pages: the pages
 */
void iopt_pages_put(struct iopt_pages *pages)
{
	kref_put(&pages->kref, iopt_pages_release);
}
