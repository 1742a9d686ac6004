// SPDX-License-Identifier: GPL-2.0
/*
 * HW pagetables: the iommu_domains of a context.
 *
 * A paging HWPT (IOMMUFD_OBJ_HWPT_PAGING) is a domain the IOMMU driver
 * walks and the kernel fills: it is added to its IOAS's io_pagetable, which
 * maps every present and future mapping of the IOAS into it.  A nested HWPT
 * (IOMMUFD_OBJ_HWPT_NESTED) is a first-stage table userspace owns (a
 * guest's), translated through the second stage of a paging HWPT that was
 * allocated as a nest parent; userspace tells the IOMMU when it changes the
 * table with IOMMU_HWPT_INVALIDATE.
 *
 * References: a paging HWPT holds one on its IOAS, a nested HWPT one on its
 * parent, and every attachment (pasid.c) one on its HWPT, so IOMMU_DESTROY
 * fails with EBUSY on anything still in use.
 *
 * Attaching an IOAS instead of a HWPT to a device's RID makes an automatic
 * ("auto domain") paging HWPT, shared by every device of the same IOMMU
 * driver attached to that IOAS and destroyed with its last attachment.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/iommufd_dirty.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

/* Serializes looking for an auto domain with allocating one. */
static DEFINE_MUTEX(iommufd_auto_domain_lock);

/* The IOMMU core keeps dev_iommu_ops() to itself. */
static const struct iommu_ops *iommufd_hwpt_dev_ops(struct device *dev)
{
	return dev->iommu->iommu_dev->ops;
}

static struct iommufd_hwpt_paging *
to_hwpt_paging(struct iommufd_hw_pagetable *hwpt)
{
	return container_of(hwpt, struct iommufd_hwpt_paging, common);
}

static struct iommufd_hwpt_nested *
to_hwpt_nested(struct iommufd_hw_pagetable *hwpt)
{
	return container_of(hwpt, struct iommufd_hwpt_nested, common);
}

/**
 * iommufd_hwpt_to_paging() - the paging HWPT whose IOAS a HWPT maps
 * @hwpt: a paging or nested HWPT
 *
 * Return: @hwpt itself if it is a paging HWPT, else NULL.
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_to_paging(struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt->obj.type != IOMMUFD_OBJ_HWPT_PAGING)
		return NULL;
	return to_hwpt_paging(hwpt);
}

/**
 * iommufd_hwpt_find_paging() - the paging HWPT whose IOAS DMA goes through
 * @hwpt: a paging or nested HWPT
 *
 * Return: @hwpt itself if it is a paging HWPT, its parent if it is nested.
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_find_paging(struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt->obj.type == IOMMUFD_OBJ_HWPT_NESTED)
		return to_hwpt_nested(hwpt)->parent;
	return to_hwpt_paging(hwpt);
}

/**
 * iommufd_hwpt_enforce_cc() - make a HWPT enforce cache coherency
 * @hwpt: the HWPT a device that can enforce snooping is attaching to
 *
 * A domain that does not enforce coherency yet is asked to; drivers
 * refuse once the domain has mappings.  A nested HWPT is judged by its
 * parent, whose second stage decides about snooping.
 *
 * Return: 0, or -EINVAL if the domain cannot enforce it.
 */
int iommufd_hwpt_enforce_cc(struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommu_domain *domain;
	int rc = 0;

	if (hwpt->obj.type == IOMMUFD_OBJ_HWPT_NESTED)
		hwpt_paging = to_hwpt_nested(hwpt)->parent;
	else
		hwpt_paging = to_hwpt_paging(hwpt);
	domain = hwpt_paging->common.domain;

	/* The IOAS lock orders this with mappings being added. */
	mutex_lock(&hwpt_paging->ioas->iopt.lock);
	if (!hwpt_paging->enforce_cache_coherency) {
		if (domain->ops->enforce_cache_coherency)
			hwpt_paging->enforce_cache_coherency =
				domain->ops->enforce_cache_coherency(domain);
		if (!hwpt_paging->enforce_cache_coherency)
			rc = -EINVAL;
	}
	mutex_unlock(&hwpt_paging->ioas->iopt.lock);
	return rc;
}

/*
 * A paging HWPT whose domain is allocated, configured and added to @ioas,
 * with an ID reserved but not yet visible.  The caller finalizes it or
 * undoes it with iommufd_hwpt_abort().
 */
static struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_device *idev,
			  struct iommufd_ioas *ioas, u32 flags,
			  const struct iommu_user_data *user_data)
{
	const u32 valid_flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
				IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				IOMMU_HWPT_FAULT_ID_VALID |
				IOMMU_HWPT_ALLOC_PASID;
	const struct iommu_ops *ops = iommufd_hwpt_dev_ops(idev->dev);
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommu_domain *domain;
	int rc;

	if (flags & ~valid_flags)
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags || user_data) && !ops->domain_alloc_user)
		return ERR_PTR(-EOPNOTSUPP);
	/*
	 * vtd_sm's paging domains take no driver data; a VT-d first-stage
	 * table needs a nest parent (pt_id of a HWPT), not an IOAS.
	 */
	if (user_data)
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !device_iommu_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))
		return ERR_PTR(-EOPNOTSUPP);
	/* A nest parent is never the stage that faults to userspace. */
	if ((flags & IOMMU_HWPT_FAULT_ID_VALID) &&
	    (flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
		return ERR_PTR(-EOPNOTSUPP);

	hwpt_paging = kzalloc(sizeof(*hwpt_paging), GFP_KERNEL_ACCOUNT);
	if (!hwpt_paging)
		return ERR_PTR(-ENOMEM);

	if (ops->domain_alloc_user) {
		domain = ops->domain_alloc_user(idev->dev,
						flags & ~IOMMU_HWPT_FAULT_ID_VALID,
						NULL, NULL);
		/* The 6.12 core leaves this to the caller of the op. */
		if (!IS_ERR(domain))
			domain->owner = ops;
	} else {
		domain = iommu_paging_domain_alloc(idev->dev);
	}
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
		goto err_free;
	}
	hwpt_paging->common.domain = domain;
	hwpt_paging->common.pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	hwpt_paging->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	/* Whether dirty bits of the domain can be read: see dirty.c. */
	hwpt_paging->dirty_record =
		device_iommu_capable(idev->dev, IOMMUFD_CAP_DIRTY_RECORD);

	/*
	 * Coherency is decided before anything is mapped: some formats
	 * carry it in every PTE.  A driver that reported the capability but
	 * cannot enforce it on a fresh domain is broken.
	 */
	if (idev->enforce_cache_coherency) {
		if (domain->ops->enforce_cache_coherency)
			hwpt_paging->enforce_cache_coherency =
				domain->ops->enforce_cache_coherency(domain);
		if (WARN_ON(!hwpt_paging->enforce_cache_coherency)) {
			rc = -EINVAL;
			goto err_domain;
		}
	}

	rc = iommufd_object_reserve(idev->ictx, &hwpt_paging->common.obj,
				    IOMMUFD_OBJ_HWPT_PAGING);
	if (rc)
		goto err_domain;

	rc = iopt_add_domain(&ioas->iopt, domain);
	if (rc)
		goto err_abort;
	/* Dropped by iommufd_hwpt_paging_destroy(). */
	refcount_inc(&ioas->obj.users);
	hwpt_paging->ioas = ioas;
	return hwpt_paging;

err_abort:
	iommufd_object_abort(idev->ictx, &hwpt_paging->common.obj);
err_domain:
	iommu_domain_free(domain);
err_free:
	kfree(hwpt_paging);
	return ERR_PTR(rc);
}

static struct iommufd_hwpt_nested *
iommufd_hwpt_nested_alloc(struct iommufd_device *idev,
			  struct iommufd_hwpt_paging *parent, u32 flags,
			  const struct iommu_user_data *user_data)
{
	const struct iommu_ops *ops = iommufd_hwpt_dev_ops(idev->dev);
	struct iommufd_hwpt_nested *hwpt_nested;
	struct iommu_domain *domain;
	int rc;

	if ((flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) ||
	    !user_data->len || !ops->domain_alloc_user)
		return ERR_PTR(-EOPNOTSUPP);
	/*
	 * An auto domain goes away with its last attachment, so it cannot
	 * be a parent; nor can a domain of another driver.
	 */
	if (parent->auto_domain || !parent->nest_parent ||
	    parent->common.domain->owner != ops)
		return ERR_PTR(-EINVAL);

	hwpt_nested = kzalloc(sizeof(*hwpt_nested), GFP_KERNEL_ACCOUNT);
	if (!hwpt_nested)
		return ERR_PTR(-ENOMEM);

	domain = ops->domain_alloc_user(idev->dev,
					flags & ~IOMMU_HWPT_FAULT_ID_VALID,
					parent->common.domain, user_data);
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
		goto err_free;
	}
	domain->owner = ops;
	if (WARN_ON_ONCE(domain->type != IOMMU_DOMAIN_NESTED)) {
		rc = -EOPNOTSUPP;
		goto err_domain;
	}
	hwpt_nested->common.domain = domain;
	hwpt_nested->common.pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;

	rc = iommufd_object_reserve(idev->ictx, &hwpt_nested->common.obj,
				    IOMMUFD_OBJ_HWPT_NESTED);
	if (rc)
		goto err_domain;
	/* Dropped by iommufd_hwpt_nested_destroy(). */
	refcount_inc(&parent->common.obj.users);
	hwpt_nested->parent = parent;
	return hwpt_nested;

err_domain:
	iommu_domain_free(domain);
err_free:
	kfree(hwpt_nested);
	return ERR_PTR(rc);
}

static void iommufd_hwpt_free(struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt->fault)
		iommufd_put_object(&hwpt->fault->obj);
	if (hwpt->obj.type == IOMMUFD_OBJ_HWPT_PAGING) {
		struct iommufd_hwpt_paging *hwpt_paging = to_hwpt_paging(hwpt);

		iopt_remove_domain(&hwpt_paging->ioas->iopt, hwpt->domain);
		iommu_domain_free(hwpt->domain);
		iommufd_put_object(&hwpt_paging->ioas->obj);
		kfree(hwpt_paging);
	} else {
		struct iommufd_hwpt_nested *hwpt_nested = to_hwpt_nested(hwpt);

		iommu_domain_free(hwpt->domain);
		iommufd_put_object(&hwpt_nested->parent->common.obj);
		kfree(hwpt_nested);
	}
}

/* Undo a HWPT whose ID was reserved but never finalized. */
static void iommufd_hwpt_abort(struct iommufd_ctx *ictx,
			       struct iommufd_hw_pagetable *hwpt)
{
	iommufd_object_abort(ictx, &hwpt->obj);
	iommufd_hwpt_free(hwpt);
}

/**
 * iommufd_hwpt_paging_destroy() - free a paging HWPT nothing uses any more
 * @obj: the object; its ID is gone
 *
 * Unmaps the IOAS from the domain, frees it and drops the IOAS.
 */
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	iommufd_hwpt_free(container_of(obj, struct iommufd_hw_pagetable, obj));
}

/**
 * iommufd_hwpt_nested_destroy() - free a nested HWPT nothing uses any more
 * @obj: the object; its ID is gone
 */
void iommufd_hwpt_nested_destroy(struct iommufd_object *obj)
{
	iommufd_hwpt_free(container_of(obj, struct iommufd_hw_pagetable, obj));
}

/**
 * iommufd_hwpt_alloc_ioctl() - IOMMU_HWPT_ALLOC
 * @ucmd: the call
 *
 * Errors as mainline: EOPNOTSUPP for a non-zero @__reserved (not
 * @__reserved2, which is padding and ignored), an
 * unknown or unsupported flag, or data the driver does not take; EINVAL
 * for data_type and data_len that disagree, a @pt_id that names neither
 * an IOAS nor a paging HWPT, or a parent that is no nest parent; ENOENT
 * for an unknown device or a fault_id (with IOMMU_HWPT_FAULT_ID_VALID)
 * that names no fault queue; ENODEV if the device was unbound while the
 * driver read its data (see iommufd_device_unbind()).
 *
 * The device is held while the IOMMU driver allocates the domain, which
 * for a nested HWPT includes the driver's copy of the data from
 * userspace; it is put before the answer is written back.
 *
 * Return: 0 or a negative errno.
 */
int iommufd_hwpt_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	const struct iommu_user_data user_data = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.len = cmd->data_len,
	};
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_object *pt_obj;
	struct iommufd_device *idev;
	int rc;

	/* __reserved2 is padding; mainline does not check it either. */
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;

	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	pt_obj = iommufd_get_object(ucmd->ictx, cmd->pt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(pt_obj)) {
		rc = -EINVAL;
		goto out_put_idev;
	}

	if (pt_obj->type == IOMMUFD_OBJ_IOAS) {
		struct iommufd_ioas *ioas =
			container_of(pt_obj, struct iommufd_ioas, obj);
		struct iommufd_hwpt_paging *hwpt_paging;

		hwpt_paging = iommufd_hwpt_paging_alloc(idev, ioas, cmd->flags,
							user_data.len ?
							&user_data : NULL);
		if (IS_ERR(hwpt_paging)) {
			rc = PTR_ERR(hwpt_paging);
			goto out_put_pt;
		}
		hwpt = &hwpt_paging->common;
	} else if (pt_obj->type == IOMMUFD_OBJ_HWPT_PAGING) {
		struct iommufd_hwpt_paging *parent =
			container_of(pt_obj, struct iommufd_hwpt_paging,
				     common.obj);
		struct iommufd_hwpt_nested *hwpt_nested;

		hwpt_nested = iommufd_hwpt_nested_alloc(idev, parent,
							cmd->flags, &user_data);
		if (IS_ERR(hwpt_nested)) {
			rc = PTR_ERR(hwpt_nested);
			goto out_put_pt;
		}
		hwpt = &hwpt_nested->common;
	} else {
		rc = -EINVAL;
		goto out_put_pt;
	}

	/*
	 * The driver may have copied its data from a page userspace held
	 * back (userfaultfd) for longer than the unbind of the device
	 * waited: the device is gone then, and so is the HWPT.
	 */
	if (READ_ONCE(idev->unbound)) {
		rc = -ENODEV;
		goto out_abort;
	}

	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		struct iommufd_fault *fault;

		fault = iommufd_get_fault(ucmd->ictx, cmd->fault_id);
		if (IS_ERR(fault)) {
			rc = PTR_ERR(fault);
			goto out_abort;
		}
		/* The lookup's reference becomes the HWPT's. */
		iommufd_fault_hwpt_set(hwpt, fault);
	}

	/*
	 * Done with the device before writing to userspace, so the copy
	 * cannot hold up its unbind; the HWPT does not refer to it.
	 */
	iommufd_put_object(&idev->obj);
	idev = NULL;

	cmd->out_hwpt_id = hwpt->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;
	iommufd_object_finalize(ucmd->ictx, &hwpt->obj);
	goto out_put_pt;

out_abort:
	iommufd_hwpt_abort(ucmd->ictx, hwpt);
out_put_pt:
	iommufd_put_object(pt_obj);
out_put_idev:
	if (idev)
		iommufd_put_object(&idev->obj);
	return rc;
}

/**
 * iommufd_hwpt_invalidate_ioctl() - IOMMU_HWPT_INVALIDATE
 * @ucmd: the call
 *
 * Hands the array of invalidation entries to the driver of a nested HWPT.
 * @entry_num is written back with the number of entries the driver
 * handled, also when it fails part way.
 *
 * Return: 0; EOPNOTSUPP for a non-zero reserved field or a domain
 * without user invalidation; EINVAL for entries without an array or a
 * length, and for a HWPT that is not nested;
 * ENOENT for an unknown ID; or an error of the driver.
 */
int iommufd_hwpt_invalidate_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct iommu_user_data_array data_array = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
	};
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_object *pt_obj;
	u32 done_num = 0;
	int rc;

	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	/*
	 * As in mainline, neither the length nor the number of entries is
	 * bounded here: the driver copies them one by one, refuses an entry
	 * longer than its structure, and reports how many it handled.
	 */
	if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len)) {
		rc = -EINVAL;
		goto out;
	}

	pt_obj = iommufd_get_object(ucmd->ictx, cmd->hwpt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(pt_obj)) {
		rc = PTR_ERR(pt_obj);
		goto out;
	}
	/*
	 * Linux 6.12 looks the ID up as a nested HWPT only, so any other
	 * object is unknown here (ENOENT), and 6.12's own selftests expect
	 * that.  Mainline answers EINVAL since it also takes vIOMMUs here;
	 * no vIOMMU object can exist on this stack.
	 */
	if (pt_obj->type != IOMMUFD_OBJ_HWPT_NESTED) {
		rc = -ENOENT;
		goto out_put;
	}
	hwpt = container_of(pt_obj, struct iommufd_hw_pagetable, obj);
	if (!hwpt->domain->ops->cache_invalidate_user) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	rc = hwpt->domain->ops->cache_invalidate_user(hwpt->domain,
						      &data_array);
	done_num = data_array.entry_num;

out_put:
	iommufd_put_object(pt_obj);
out:
	cmd->entry_num = done_num;
	if (iommufd_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}

/*
 * The next automatic HWPT of @ioas from ID *@index on, with a reference
 * taken, or NULL; *@index is moved past it.  Domains of another IOMMU
 * driver are passed over: attaching them would fail with EINVAL anyway.
 */
static struct iommufd_hwpt_paging *
iommufd_hwpt_next_auto(struct iommufd_device *idev, struct iommufd_ioas *ioas,
		       unsigned long *index)
{
	const struct iommu_ops *ops = iommufd_hwpt_dev_ops(idev->dev);
	struct iommufd_ctx *ictx = idev->ictx;
	struct iommufd_hwpt_paging *found = NULL;
	struct iommufd_object *obj;

	xa_lock(&ictx->objects);
	xa_for_each_start(&ictx->objects, *index, obj, *index) {
		struct iommufd_hwpt_paging *hwpt_paging;

		if (obj->type != IOMMUFD_OBJ_HWPT_PAGING)
			continue;
		hwpt_paging = container_of(obj, struct iommufd_hwpt_paging,
					   common.obj);
		if (!hwpt_paging->auto_domain || hwpt_paging->ioas != ioas ||
		    hwpt_paging->common.domain->owner != ops)
			continue;
		if (refcount_inc_not_zero(&obj->users)) {
			found = hwpt_paging;
			break;
		}
	}
	xa_unlock(&ictx->objects);
	(*index)++;
	return found;
}

/**
 * iommufd_hwpt_auto_attach() - attach an IOAS through an automatic HWPT
 * @idev: the device
 * @ioas: the IOAS
 * @pasid: where; IOMMU_NO_PASID for the RID
 * @try: the attach or replace to do with each candidate
 * @pt_id: returns the ID of the HWPT @try succeeded with
 *
 * As in mainline, every automatic HWPT of @ioas is tried in turn with
 * @try: one that gives -EINVAL does not fit the device (or its group) and
 * the next is tried; any other error ends the search.  If none fits, a new
 * automatic HWPT is allocated for the device and tried; it is destroyed
 * again if that fails.  An automatic HWPT is destroyed with its last
 * attachment.
 *
 * Context: process context; serialized with every other automatic attach.
 * Return: 0, or the error of the last @try or of the allocation.
 */
int iommufd_hwpt_auto_attach(struct iommufd_device *idev,
			     struct iommufd_ioas *ioas, u32 pasid,
			     iommufd_hwpt_try_fn try, u32 *pt_id)
{
	struct iommufd_hwpt_paging *hwpt_paging;
	unsigned long index = 0;
	int rc;

	mutex_lock(&iommufd_auto_domain_lock);
	while ((hwpt_paging = iommufd_hwpt_next_auto(idev, ioas, &index))) {
		rc = try(idev, pasid, &hwpt_paging->common);
		if (!rc)
			*pt_id = hwpt_paging->common.obj.id;
		iommufd_hwpt_put(idev->ictx, &hwpt_paging->common);
		if (rc != -EINVAL)
			goto out_unlock;
	}

	hwpt_paging = iommufd_hwpt_paging_alloc(idev, ioas, 0, NULL);
	if (IS_ERR(hwpt_paging)) {
		rc = PTR_ERR(hwpt_paging);
		goto out_unlock;
	}
	hwpt_paging->auto_domain = true;
	/* Attached before it is visible, as mainline does. */
	rc = try(idev, pasid, &hwpt_paging->common);
	if (rc) {
		iommufd_hwpt_abort(idev->ictx, &hwpt_paging->common);
		goto out_unlock;
	}
	*pt_id = hwpt_paging->common.obj.id;
	iommufd_object_finalize(idev->ictx, &hwpt_paging->common.obj);
out_unlock:
	mutex_unlock(&iommufd_auto_domain_lock);
	return rc;
}

/**
 * iommufd_hwpt_put() - release a HWPT from iommufd_hwpt_get_for_attach()
 * @ictx: the HWPT's context
 * @hwpt: the HWPT
 *
 * An auto domain is destroyed when this was its last user.
 */
void iommufd_hwpt_put(struct iommufd_ctx *ictx,
		      struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging = iommufd_hwpt_to_paging(hwpt);

	if (hwpt_paging && hwpt_paging->auto_domain)
		iommufd_object_put_and_try_destroy(ictx, &hwpt->obj);
	else
		iommufd_put_object(&hwpt->obj);
}
