// SPDX-License-Identifier: GPL-2.0
/*
 * Access objects: in-kernel users of the memory an IOAS maps.
 *
 * A driver whose device has no IOMMU translation of its own (an emulated
 * or mediated device) reaches guest memory through an access object
 * attached to an IOAS: iommufd_access_rw() copies to or from an IOVA range,
 * iommufd_access_pin_pages() pins the pages behind one for as long as the
 * device needs them.  Such pins are what make the IOAS pin memory without
 * a domain (see pages.c); a driver that pins must provide an unmap
 * callback, because userspace may unmap the range at any time: the unmap
 * calls the callback of every access of the IOAS, without locks held, and
 * waits until no access holds a pin in the range any more (it gives up
 * with EDEADLOCK after many rounds).
 *
 * The object has an ID in the context, like every object, but no uAPI
 * creates it; the driver holds a reference until iommufd_access_destroy(),
 * so IOMMU_DESTROY of it fails with EBUSY, and the access holds a
 * reference on the IOAS it is attached to (which therefore cannot be
 * destroyed) and on the context's file.
 */
#include <linux/err.h>
#include <linux/export.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommufd_pasid.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "iommufd_private.h"

/**
 * iommufd_access_create() - create an access object in a context
 * @ictx: the context, e.g. from iommufd_ctx_from_file()
 * @ops: the driver's callbacks; @ops->unmap is required to pin pages
 * @data: argument of the callbacks
 * @id: returns the object's ID in @ictx
 *
 * The access holds a reference on @ictx until iommufd_access_destroy().
 *
 * Context: process context; may sleep.
 * Return: the access, or ERR_PTR(-ENOMEM) or another negative errno.
 */
struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      u32 *id)
{
	struct iommufd_access *access;
	int rc;

	access = kzalloc(sizeof(*access), GFP_KERNEL_ACCOUNT);
	if (!access)
		return ERR_PTR(-ENOMEM);
	rc = iommufd_object_reserve(ictx, &access->obj, IOMMUFD_OBJ_ACCESS);
	if (rc) {
		kfree(access);
		return ERR_PTR(rc);
	}
	access->ictx = ictx;
	access->ops = ops;
	access->data = data;
	access->iova_alignment = ops->needs_pin_pages ? PAGE_SIZE : 1;
	mutex_init(&access->ioas_lock);
	get_file(ictx->file);
	/* The driver's own reference, dropped by iommufd_access_destroy(). */
	refcount_inc(&access->obj.users);
	iommufd_object_finalize(ictx, &access->obj);
	*id = access->obj.id;
	return access;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_create, IOMMUFD_PASID);

/*
 * Move the access to @new_ioas (NULL: detach).  The driver is asked to
 * unpin everything from the old IOAS first; pins are refused meanwhile.
 */
static int iommufd_access_change_ioas(struct iommufd_access *access,
				      struct iommufd_ioas *new_ioas)
{
	struct iommufd_ioas *cur_ioas = access->ioas;
	u32 cur_id = access->iopt_id, new_id = 0;
	int rc;

	lockdep_assert_held(&access->ioas_lock);

	/* Another change is between its two halves. */
	if (cur_ioas != access->ioas_unpin)
		return -EBUSY;
	if (cur_ioas == new_ioas)
		return 0;

	access->ioas = NULL;
	if (new_ioas) {
		rc = iopt_add_access(&new_ioas->iopt, access, &new_id);
		if (rc) {
			access->ioas = cur_ioas;
			return rc;
		}
		refcount_inc(&new_ioas->obj.users);
	}
	if (cur_ioas) {
		if (access->ops->unmap) {
			/* Its unpins take the lock, through ioas_unpin. */
			mutex_unlock(&access->ioas_lock);
			access->ops->unmap(access->data, 0, ULONG_MAX);
			mutex_lock(&access->ioas_lock);
		}
		iopt_remove_access(&cur_ioas->iopt, cur_id);
		iommufd_put_object(&cur_ioas->obj);
	}
	access->ioas = new_ioas;
	access->ioas_unpin = new_ioas;
	access->iopt_id = new_id;
	return 0;
}

static int iommufd_access_change_ioas_id(struct iommufd_access *access,
					 u32 ioas_id)
{
	struct iommufd_ioas *ioas;
	int rc;

	ioas = iommufd_get_ioas(access->ictx, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iommufd_access_change_ioas(access, ioas);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/**
 * iommufd_access_attach() - attach an access to an IOAS
 * @access: the access, not attached
 * @ioas_id: the IOAS's ID in the access's context
 *
 * An access whose driver pins pages raises the IOAS's IOVA alignment to
 * PAGE_SIZE.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL if already attached; -ENOENT if @ioas_id is not an
 * IOAS; -EADDRINUSE if the IOAS has mappings not aligned to PAGE_SIZE and
 * the driver pins pages; -ENOMEM.
 */
int iommufd_access_attach(struct iommufd_access *access, u32 ioas_id)
{
	int rc;

	mutex_lock(&access->ioas_lock);
	if (access->ioas || access->ioas_unpin)
		rc = -EINVAL;
	else
		rc = iommufd_access_change_ioas_id(access, ioas_id);
	mutex_unlock(&access->ioas_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_attach, IOMMUFD_PASID);

/**
 * iommufd_access_replace() - move an attached access to another IOAS
 * @access: the access, attached
 * @ioas_id: the new IOAS's ID
 *
 * The driver's unmap callback is called for the whole IOVA space of the
 * old IOAS; replacing with the same IOAS does nothing.  On failure the
 * access stays attached to the old IOAS.
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOENT if the access is not attached or @ioas_id is not an
 * IOAS; -EBUSY during a concurrent change; the errors of
 * iommufd_access_attach().
 */
int iommufd_access_replace(struct iommufd_access *access, u32 ioas_id)
{
	int rc;

	mutex_lock(&access->ioas_lock);
	if (!access->ioas)
		rc = -ENOENT;
	else
		rc = iommufd_access_change_ioas_id(access, ioas_id);
	mutex_unlock(&access->ioas_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_replace, IOMMUFD_PASID);

/**
 * iommufd_access_detach() - detach an access from its IOAS
 * @access: the access, attached
 *
 * The driver's unmap callback is called for the whole IOVA space first,
 * and must unpin everything it pinned.
 *
 * Context: process context; may sleep.
 */
void iommufd_access_detach(struct iommufd_access *access)
{
	mutex_lock(&access->ioas_lock);
	if (!WARN_ON(!access->ioas))
		WARN_ON(iommufd_access_change_ioas(access, NULL));
	mutex_unlock(&access->ioas_lock);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_detach, IOMMUFD_PASID);

void iommufd_access_destroy_object(struct iommufd_object *obj)
{
	struct iommufd_access *access =
		container_of(obj, struct iommufd_access, obj);
	struct iommufd_ctx *ictx = access->ictx;

	mutex_lock(&access->ioas_lock);
	if (access->ioas)
		WARN_ON(iommufd_access_change_ioas(access, NULL));
	mutex_unlock(&access->ioas_lock);
	mutex_destroy(&access->ioas_lock);
	kfree(access);
	/* Last: it may drop the last reference on the /dev/iommu file. */
	iommufd_ctx_put(ictx);
}

/**
 * iommufd_access_destroy() - destroy an access object
 * @access: the access, attached or not
 *
 * Detaches the access if it is attached (calling the unmap callback),
 * removes its ID and drops its reference on the context.
 *
 * Context: process context; may sleep.
 */
void iommufd_access_destroy(struct iommufd_access *access)
{
	iommufd_object_remove(access->ictx, &access->obj);
	iommufd_access_destroy_object(&access->obj);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_destroy, IOMMUFD_PASID);

/**
 * iommufd_access_notify_unmap() - ask every access of an IOAS to unpin
 * @iopt: the IOAS's IOVA space
 * @iova: first IOVA being unmapped
 * @length: length in bytes
 *
 * Called by the unmap path without the IOAS's lock held.
 */
void iommufd_access_notify_unmap(struct io_pagetable *iopt,
				 unsigned long iova, unsigned long length)
{
	struct iommufd_access *access;
	unsigned long index;

	xa_lock(&iopt->accesses);
	xa_for_each(&iopt->accesses, index, access) {
		if (!refcount_inc_not_zero(&access->obj.users))
			continue;
		xa_unlock(&iopt->accesses);
		if (access->ops->unmap)
			access->ops->unmap(access->data, iova, length);
		iommufd_put_object(&access->obj);
		xa_lock(&iopt->accesses);
	}
	xa_unlock(&iopt->accesses);
}

/**
 * iommufd_access_pin_pages() - pin the pages behind a range of IOVA
 * @access: the access, attached; its ops have @needs_pin_pages and @unmap
 * @iova: first IOVA; must be the first byte of a page of user memory
 * @length: length in bytes
 * @out_pages: receives one struct page per page the range touches
 * @flags: IOMMUFD_ACCESS_RW_WRITE if the device writes (the mappings must
 *	   be writeable), else the mappings must be readable
 *
 * The pages stay pinned until iommufd_access_unpin_pages() on the same
 * range, which the driver must call at the latest from its unmap
 * callback.  Pinned pages are charged like pages mapped into a domain.
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOENT if the access is not attached or part of the range
 * is not mapped; -EINVAL for a zero length, a range an unmap is waiting
 * on, or one whose mappings do not join on page boundaries; -EPERM if a
 * mapping lacks the permission; -EOVERFLOW; -ENOMEM (also over
 * RLIMIT_MEMLOCK); -EFAULT if the memory is not there.
 */
int iommufd_access_pin_pages(struct iommufd_access *access,
			     unsigned long iova, unsigned long length,
			     struct page **out_pages, unsigned int flags)
{
	int rc;

	if (WARN_ON(!access->ops->needs_pin_pages || !access->ops->unmap))
		return -EINVAL;

	mutex_lock(&access->ioas_lock);
	if (!access->ioas)
		rc = -ENOENT;
	else
		rc = iopt_access_pin(&access->ioas->iopt, iova, length,
				     out_pages, flags);
	mutex_unlock(&access->ioas_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_pin_pages, IOMMUFD_PASID);

/**
 * iommufd_access_unpin_pages() - undo iommufd_access_pin_pages()
 * @access: the access
 * @iova: the IOVA given to iommufd_access_pin_pages()
 * @length: the length given to it
 *
 * Also works from the unmap callback while the access is being detached.
 *
 * Context: process context; may sleep.
 */
void iommufd_access_unpin_pages(struct iommufd_access *access,
				unsigned long iova, unsigned long length)
{
	mutex_lock(&access->ioas_lock);
	if (!WARN_ON(!access->ioas_unpin))
		iopt_access_unpin(&access->ioas_unpin->iopt, iova, length);
	mutex_unlock(&access->ioas_lock);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_unpin_pages, IOMMUFD_PASID);

/**
 * iommufd_access_rw() - read or write the memory behind a range of IOVA
 * @access: the access, attached
 * @iova: first IOVA (any byte)
 * @data: kernel buffer
 * @length: bytes to copy
 * @flags: IOMMUFD_ACCESS_RW_WRITE to copy @data to the memory, else from
 *	   it; IOMMUFD_ACCESS_RW_KTHREAD if the caller may not run in the
 *	   address space of the process that mapped the memory
 *
 * Without IOMMUFD_ACCESS_RW_KTHREAD, a caller running in that address
 * space copies through it directly.  Otherwise pages a domain or an access
 * holds pinned are copied under the pages' lock; a copy within one page
 * that nothing holds gets a short-term pin of that page (not charged);
 * the pages of other copies are pinned and charged for the copy.
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOENT if the access is not attached or part of the range
 * is not mapped; -EINVAL for a zero length or a range an unmap is
 * waiting on; -EPERM if a mapping lacks the permission; -EFAULT;
 * -EOVERFLOW.  On failure part of the copy may have been done.
 */
int iommufd_access_rw(struct iommufd_access *access, unsigned long iova,
		      void *data, size_t length, unsigned int flags)
{
	int rc;

	mutex_lock(&access->ioas_lock);
	if (!access->ioas)
		rc = -ENOENT;
	else
		rc = iopt_access_rw(&access->ioas->iopt, iova, data, length,
				    flags);
	mutex_unlock(&access->ioas_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_rw, IOMMUFD_PASID);
