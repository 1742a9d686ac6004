// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU_IOAS_MAP_FILE and IOMMU_IOAS_CHANGE_PROCESS.
 *
 * A file mapping takes its memory from a memfd (shmem or hugetlbfs)
 * rather than from the caller's address space.  Like IOMMU_IOAS_MAP it
 * pins nothing by itself: the pages are pinned through the file
 * (memfd_pin_folios()) when a domain or an access needs them, so the
 * mapping does not depend on any address space, and a file that is not a
 * memfd, or a range beyond its end, is refused only then (EINVAL), as in
 * mainline.  Pinned pages are charged to the mapping process like any
 * mapping's.
 *
 * Because such memory belongs to no address space, its charge may move to
 * another process: IOMMU_IOAS_CHANGE_PROCESS makes the calling process
 * the owner of the charge of every mapping of the context, provided all
 * of them are file mappings.
 */
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

#define IOMMUFD_MAP_FILE_FLAGS                                   \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | \
	 IOMMU_IOAS_MAP_READABLE)

/**
 * iommufd_ioas_map_file() - ioctl(IOMMU_IOAS_MAP_FILE)
 * @ucmd: the call; struct iommu_ioas_map_file
 *
 * Return: 0, or the errors of IOMMU_IOAS_MAP (the file offset takes the
 * place of the user address in the alignment rules); besides: -EBADF for
 * an fd that is not open; -EPERM to map writeable a file not open for
 * writing or sealed against writes.
 */
int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;
	unsigned long iova = cmd->iova;
	struct iommufd_ioas *ioas;
	struct file *file;
	int rc;

	if (cmd->flags & ~IOMMUFD_MAP_FILE_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags &
	      (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	file = fget(cmd->fd);
	if (!file) {
		rc = -EBADF;
		goto out_put;
	}
	rc = iopt_map_file(&ioas->iopt, &iova, file, cmd->start, cmd->length,
			   iommufd_map_prot(cmd->flags),
			   cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA);
	fput(file);
	if (rc)
		goto out_put;
	cmd->iova = iova;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* Serializes changes of ownership; nests every IOAS lock of a context. */
static DEFINE_MUTEX(iommufd_change_process_lock);

struct iommufd_change_walk {
	struct iopt_pages_visitor visitor;
	struct xarray *seen;
};

/* Every area must be a file mapping; collect each iopt_pages once. */
static int iommufd_change_visit(struct iopt_pages_visitor *visitor,
				struct iopt_pages *pages)
{
	struct iommufd_change_walk *walk =
		container_of(visitor, struct iommufd_change_walk, visitor);
	int rc;

	if (!pages->file)
		return -EINVAL;
	if (iopt_pages_owned_by_current(pages))
		return 0;
	/* The value is what was charged to the caller; nothing yet. */
	rc = xa_insert(walk->seen, (unsigned long)pages, xa_mk_value(0),
		       GFP_KERNEL);
	if (rc == -EBUSY)
		return 0;
	if (rc)
		return rc;
	iopt_pages_get(pages);
	return 0;
}

/*
 * References to every IOAS of @ictx in @ioases, so that they can be
 * locked without the lock of the ID table.
 */
static int iommufd_grab_ioases(struct iommufd_ctx *ictx,
			       struct xarray *ioases)
{
	struct iommufd_object *obj;
	unsigned long index;
	int rc = 0;

	xa_lock(&ictx->objects);
	xa_for_each(&ictx->objects, index, obj) {
		if (obj->type != IOMMUFD_OBJ_IOAS ||
		    !refcount_inc_not_zero(&obj->users))
			continue;
		rc = xa_err(xa_store(ioases, index, obj, GFP_ATOMIC));
		if (rc) {
			refcount_dec(&obj->users);
			break;
		}
	}
	xa_unlock(&ictx->objects);
	return rc;
}

static struct io_pagetable *iommufd_obj_iopt(struct iommufd_object *obj)
{
	return &container_of(obj, struct iommufd_ioas, obj)->iopt;
}

/**
 * iommufd_ioas_change_process() - ioctl(IOMMU_IOAS_CHANGE_PROCESS)
 * @ucmd: the call; struct iommu_ioas_change_process
 *
 * Every IOAS of the context is locked, so no mapping comes or goes.  The
 * pages pinned now are charged to the calling process first, and only
 * then uncharged from their old owners, so a failure changes nothing.
 *
 * Return: 0 (also with no mappings at all); -EOPNOTSUPP for a non-zero
 * reserved field; -EINVAL if any mapping was not made with
 * IOMMU_IOAS_MAP_FILE; -ENOMEM over the caller's RLIMIT_MEMLOCK or out of
 * memory.
 */
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_change_process *cmd = ucmd->cmd;
	struct iommufd_change_walk walk = {
		.visitor.visit = iommufd_change_visit,
	};
	struct iommufd_object *obj, *locked;
	unsigned long index, lindex;
	struct xarray ioases, seen;
	struct iopt_pages *pages;
	void *entry;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	xa_init(&ioases);
	xa_init(&seen);
	walk.seen = &seen;
	rc = iommufd_grab_ioases(ucmd->ictx, &ioases);
	if (rc)
		goto out_put;

	mutex_lock(&iommufd_change_process_lock);
	xa_for_each(&ioases, index, obj)
		mutex_lock_nest_lock(&iommufd_obj_iopt(obj)->lock,
				     &iommufd_change_process_lock);

	xa_for_each(&ioases, index, obj) {
		rc = iopt_walk_pages(iommufd_obj_iopt(obj), &walk.visitor);
		if (rc)
			goto out_unlock;
	}

	xa_for_each(&seen, index, entry) {
		unsigned long charged;

		pages = (struct iopt_pages *)index;
		rc = iopt_pages_charge_current(pages, &charged);
		if (rc)
			break;
		xa_store(&seen, index, xa_mk_value(charged), GFP_KERNEL);
	}
	if (rc) {
		/* Undo the charges made before the failing one. */
		xa_for_each_range(&seen, lindex, entry, 0, index - 1)
			iopt_pages_uncharge_current((struct iopt_pages *)lindex,
						    xa_to_value(entry));
		goto out_unlock;
	}
	xa_for_each(&seen, index, entry)
		iopt_pages_change_owner((struct iopt_pages *)index,
					xa_to_value(entry));

out_unlock:
	xa_for_each(&ioases, lindex, locked)
		mutex_unlock(&iommufd_obj_iopt(locked)->lock);
	mutex_unlock(&iommufd_change_process_lock);
out_put:
	xa_for_each(&seen, index, entry)
		iopt_pages_put((struct iopt_pages *)index);
	xa_destroy(&seen);
	xa_for_each(&ioases, index, obj)
		iommufd_put_object(obj);
	xa_destroy(&ioases);
	return rc;
}
