// SPDX-License-Identifier: GPL-2.0
/*
 * Device objects: binding a device to a context, and IOMMU_GET_HW_INFO.
 *
 * A driver that hands a device to userspace (iommufd_pci) binds it to the
 * context userspace names.  The binding claims the DMA ownership of the
 * device's IOMMU group for that context, so no kernel driver and no other
 * context can use its DMA until the binding ends, and creates an
 * IOMMUFD_OBJ_DEVICE object whose ID userspace uses for the device.
 *
 * The binding owns the object: besides the reference of the context's ID
 * table it holds one of its own, so IOMMU_DESTROY of a bound device fails
 * with EBUSY.  The binding also holds a reference on the /dev/iommu file,
 * so the context, and every object the device's attachments use, lives
 * as long as any device is bound to it.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/iommu.h>
#include <linux/iommufd_pasid.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Bind devices whose MSIs the platform cannot isolate (no interrupt remapping); such a device can raise host interrupts with DMA writes (default: refuse)");

/*
 * A DMA write to the MSI window is an interrupt, and the IOMMU does not
 * translate it: without interrupt remapping (or another way to isolate
 * MSIs) a device userspace owns could raise any interrupt of the host.
 */
static int iommufd_device_check_msi(struct device *dev,
				    struct iommu_group *group)
{
	if (iommu_group_has_isolated_msi(group))
		return 0;
	if (!READ_ONCE(allow_unsafe_interrupts))
		return -EPERM;
	dev_warn(dev, "MSIs not isolated (no interrupt remapping); bound because allow_unsafe_interrupts is set\n");
	return 0;
}

/* The IOMMU core keeps its own helper for this private. */
static const struct iommu_ops *iommufd_dev_iommu_ops(struct device *dev)
{
	return dev->iommu->iommu_dev->ops;
}

static void iommufd_group_release(struct kref *kref)
{
	struct iommufd_group *igroup =
		container_of(kref, struct iommufd_group, kref);

	/* A newer record may have replaced this one already: leave it. */
	xa_cmpxchg(&igroup->ictx->groups, iommu_group_id(igroup->group),
		   igroup, NULL, GFP_KERNEL);
	WARN_ON(!xa_empty(&igroup->pasid_attach));
	xa_destroy(&igroup->pasid_attach);
	mutex_destroy(&igroup->lock);
	iommu_group_put(igroup->group);
	kfree(igroup);
}

static void iommufd_group_put(struct iommufd_group *igroup)
{
	kref_put(&igroup->kref, iommufd_group_release);
}

/* A live record of @group, with a reference taken; xa_lock is held. */
static bool iommufd_group_try_get(struct iommufd_group *igroup,
				  struct iommu_group *group)
{
	return igroup && igroup->group == group &&
	       kref_get_unless_zero(&igroup->kref);
}

/*
 * The context's record of @dev's IOMMU group: the one its other bound
 * devices use, or a new one.  A record whose last reference is being
 * dropped right now is replaced, not revived.
 */
static struct iommufd_group *iommufd_group_get(struct iommufd_ctx *ictx,
					       struct device *dev)
{
	struct iommufd_group *igroup, *cur, *new;
	struct iommu_group *group;
	unsigned int id;

	group = iommu_group_get(dev);
	if (!group)
		return ERR_PTR(-ENODEV);
	id = iommu_group_id(group);

	xa_lock(&ictx->groups);
	igroup = xa_load(&ictx->groups, id);
	if (iommufd_group_try_get(igroup, group)) {
		xa_unlock(&ictx->groups);
		iommu_group_put(group);
		return igroup;
	}
	xa_unlock(&ictx->groups);

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new) {
		iommu_group_put(group);
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&new->kref);
	new->ictx = ictx;
	new->group = group;
	mutex_init(&new->lock);
	xa_init(&new->pasid_attach);

	xa_lock(&ictx->groups);
	cur = igroup;
	for (;;) {
		igroup = __xa_cmpxchg(&ictx->groups, id, cur, new,
				      GFP_KERNEL_ACCOUNT);
		if (xa_is_err(igroup)) {
			xa_unlock(&ictx->groups);
			kfree(new);
			iommu_group_put(group);
			return ERR_PTR(xa_err(igroup));
		}
		if (igroup == cur)	/* stored */
			break;
		/* Someone else stored a record meanwhile: use it if live. */
		if (iommufd_group_try_get(igroup, group)) {
			xa_unlock(&ictx->groups);
			kfree(new);
			iommu_group_put(group);
			return igroup;
		}
		cur = igroup;
	}
	xa_unlock(&ictx->groups);
	return new;
}

/**
 * iommufd_device_bind() - bind a device to an iommufd context
 * @ictx: the context
 * @dev: a device behind an IOMMU, whose driver does no DMA of its own
 *	 (&device_driver.driver_managed_dma)
 * @id: returns the device's object ID in @ictx
 *
 * Claims the DMA ownership of @dev's IOMMU group for @ictx: the group
 * leaves its default domain and the device's RID is blocked until a HW
 * pagetable is attached.  The binding holds a reference on @ictx of its
 * own; the caller may drop its reference afterwards.  Undo with
 * iommufd_device_unbind().
 *
 * Context: process context; may sleep.
 * Devices of one IOMMU group bound to the same context share their
 * attachments: see Documentation/userspace-api/iommufd.rst.
 *
 * Return: the device, or ERR_PTR(-ENODEV) if @dev is not behind an IOMMU,
 * ERR_PTR(-EINVAL) if its IOMMU cannot keep DMA cache coherent
 * (IOMMU_CAP_CACHE_COHERENCY), ERR_PTR(-EPERM) if the platform cannot
 * isolate the device's MSIs and the allow_unsafe_interrupts parameter is
 * not set, ERR_PTR(-EPERM) if a kernel driver or another context owns the
 * DMA of its group, ERR_PTR(-EBUSY) if the group is on a domain other than
 * its default one without an owner, or another negative errno.
 */
struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id)
{
	struct iommufd_group *igroup;
	struct iommufd_device *idev;
	int rc;

	if (!device_iommu_mapped(dev) || !dev->iommu)
		return ERR_PTR(-ENODEV);
	/*
	 * IOAS mappings are made with IOMMU_CACHE and userspace has no way
	 * to restore coherency by hand, so, as in mainline, a device whose
	 * IOMMU cannot keep its DMA cache coherent is refused.
	 */
	if (!device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		return ERR_PTR(-EINVAL);
	igroup = iommufd_group_get(ictx, dev);
	if (IS_ERR(igroup))
		return ERR_CAST(igroup);

	rc = iommufd_device_check_msi(dev, igroup->group);
	if (rc)
		goto err_group;
	rc = iommu_device_claim_dma_owner(dev, ictx);
	if (rc)
		goto err_group;

	idev = kzalloc(sizeof(*idev), GFP_KERNEL_ACCOUNT);
	if (!idev) {
		rc = -ENOMEM;
		goto err_owner;
	}
	rc = iommufd_object_reserve(ictx, &idev->obj, IOMMUFD_OBJ_DEVICE);
	if (rc)
		goto err_free;

	idev->ictx = ictx;
	idev->dev = get_device(dev);
	idev->igroup = igroup;
	idev->max_pasids = dev->iommu->max_pasids;
	idev->enforce_cache_coherency =
		device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
	/*
	 * A mock device of the test build is bound by an object of @ictx
	 * itself: holding the file would be a reference cycle.
	 */
	idev->holds_file = !iommufd_selftest_is_mock_dev(dev);
	if (idev->holds_file)
		get_file(ictx->file);
	/* The binding's own reference, dropped by iommufd_device_unbind(). */
	refcount_inc(&idev->obj.users);
	iommufd_object_finalize(ictx, &idev->obj);
	*id = idev->obj.id;
	return idev;

err_free:
	kfree(idev);
err_owner:
	iommu_device_release_dma_owner(dev);
err_group:
	iommufd_group_put(igroup);
	return ERR_PTR(rc);
}
EXPORT_SYMBOL_GPL(iommufd_device_bind);

/* What the binding holds besides the attachments and the DMA ownership. */
static void iommufd_device_free_rest(struct iommufd_device *idev)
{
	struct iommufd_ctx *ictx = idev->ictx;
	bool holds_file = idev->holds_file;

	iommufd_group_put(idev->igroup);
	put_device(idev->dev);
	kfree(idev);
	/* Last: it may drop the last reference on the /dev/iommu file. */
	if (holds_file)
		iommufd_ctx_put(ictx);
}

/* Everything but the attachments: they are gone already. */
static void iommufd_device_free(struct iommufd_device *idev)
{
	iommu_device_release_dma_owner(idev->dev);
	iommufd_device_free_rest(idev);
}

/**
 * iommufd_device_unbind() - end a binding made by iommufd_device_bind()
 * @idev: the device
 *
 * Detaches every PASID, then the RID, removes the device object (its ID
 * becomes unknown; ioctls using it at that moment are waited for, up to
 * the remove_timeout_ms parameter), and gives the DMA ownership of the
 * device's group back: the group returns to its default domain.  If an
 * ioctl still holds the object when the wait ends (a driver stuck copying
 * from userspace), the unbind completes all the same: the object is left
 * to that ioctl, which fails with ENODEV where the device matters and
 * frees the object (its references on the device, the group record and
 * the context) when it puts it.  The caller must make sure that no
 * attach, replace or detach on @idev runs at the same time or later.
 *
 * Context: process context; may sleep.
 */
void iommufd_device_unbind(struct iommufd_device *idev)
{
	/* First, so nothing an attachment holds can keep the object. */
	iommufd_attach_destroy(idev);
	/* Seen by ioctls that looked the device up before the removal. */
	WRITE_ONCE(idev->unbound, true);
	if (!iommufd_object_remove_timeout(idev->ictx, &idev->obj)) {
		iommufd_device_free(idev);
		return;
	}
	/* The device goes back to the kernel now, whatever the ioctl does. */
	iommu_device_release_dma_owner(idev->dev);
	iommufd_object_orphan(&idev->obj);
}
EXPORT_SYMBOL_GPL(iommufd_device_unbind);

/**
 * iommufd_device_unbind_wait() - iommufd_device_unbind() without a bound
 * @idev: the device
 *
 * For a binding that an object of its own context owns (a mock device of
 * the test build): that object's destroy frees the device right after,
 * so ioctls still using it are waited for however long they take.
 *
 * Context: process context; may sleep.
 */
void iommufd_device_unbind_wait(struct iommufd_device *idev)
{
	iommufd_attach_destroy(idev);
	WRITE_ONCE(idev->unbound, true);
	iommufd_object_remove(idev->ictx, &idev->obj);
	iommufd_device_free(idev);
}

/**
 * iommufd_device_release_orphan() - release_orphan op of IOMMUFD_OBJ_DEVICE
 * @obj: a device whose unbind timed out waiting for an ioctl, now without
 *	 references
 *
 * Frees what the unbind left: the references on the device, on the
 * context's record of its IOMMU group and on the context.
 */
void iommufd_device_release_orphan(struct iommufd_object *obj)
{
	iommufd_device_free_rest(container_of(obj, struct iommufd_device,
					      obj));
}

/**
 * iommufd_device_destroy() - destroy op of IOMMUFD_OBJ_DEVICE
 * @obj: the object, which nothing references any more
 *
 * Never reached while the binding holds its reference, that is never in
 * practice: iommufd_device_unbind() takes the object out of its context
 * itself.  It tears everything down all the same.
 */
void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev =
		container_of(obj, struct iommufd_device, obj);

	iommufd_attach_destroy(idev);
	iommufd_device_free(idev);
}

/**
 * iommufd_get_device() - look up a bound device and take a reference
 * @ictx: context
 * @id: the device's object ID
 *
 * Return: the device or ERR_PTR(-ENOENT).  Release with
 * iommufd_put_object().
 */
struct iommufd_device *iommufd_get_device(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_DEVICE);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct iommufd_device, obj);
}

/*
 * The PASID width and the PASID features the device uses.  The Execute
 * and Privileged bits are those enabled in the PCI PASID capability's
 * control register: only what the device has been set up to send counts.
 */
static void iommufd_hw_info_pasid(struct iommufd_device *idev,
				  struct iommu_hw_info *cmd)
{
	int ctrl;

	cmd->out_max_pasid_log2 = 0;
	if (!idev->max_pasids)
		return;
	cmd->out_max_pasid_log2 = ilog2(idev->max_pasids);

	if (!dev_is_pci(idev->dev))
		return;
	ctrl = pci_pasid_status(to_pci_dev(idev->dev));
	if (ctrl < 0)
		return;
	if (ctrl & PCI_PASID_CTRL_EXEC)
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_PASID_EXEC;
	if (ctrl & PCI_PASID_CTRL_PRIV)
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_PASID_PRIV;
}

/*
 * Copy @data (@data_len bytes) to the user buffer of @len bytes: truncated
 * if the buffer is smaller, the buffer's tail zeroed if it is larger.
 */
static int iommufd_hw_info_copy(void __user *ubuf, u32 len, const void *data,
				u32 data_len)
{
	u32 copy = min(len, data_len);

	if (copy_to_user(ubuf, data, copy))
		return -EFAULT;
	if (copy < len && clear_user(ubuf + copy, len - copy))
		return -EFAULT;
	return 0;
}

/**
 * iommufd_get_hw_info() - ioctl(IOMMU_GET_HW_INFO)
 * @ucmd: the call; struct iommu_hw_info
 *
 * Reports the IOMMU driver's data about the unit behind a bound device
 * (ops->hw_info), the generic capabilities and the device's PASID width.
 * With IOMMU_HW_INFO_FLAG_INPUT_TYPE, @in_data_type names the data type
 * wanted; a type the driver does not report gives EOPNOTSUPP.
 *
 * Return: 0, -EOPNOTSUPP for unknown flags or a non-zero reserved byte,
 * -ENOENT for an unknown device ID, -EFAULT, or the driver's error.
 */
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	void __user *ubuf = u64_to_user_ptr(cmd->data_uptr);
	const struct iommu_ops *ops;
	struct iommufd_device *idev;
	u32 want = IOMMU_HW_INFO_TYPE_DEFAULT;
	u32 data_len = 0;
	void *data = NULL;
	int rc;

	if (cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return -EOPNOTSUPP;
	if (memchr_inv(cmd->__reserved, 0, sizeof(cmd->__reserved)))
		return -EOPNOTSUPP;
	if (cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		want = cmd->in_data_type;

	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	ops = iommufd_dev_iommu_ops(idev->dev);
	if (ops->hw_info) {
		data = ops->hw_info(idev->dev, &data_len, &cmd->out_data_type);
		if (IS_ERR(data)) {
			rc = PTR_ERR(data);
			data = NULL;
			goto out;
		}
		/* A driver with data has a type of its own. */
		if (WARN_ON_ONCE(cmd->out_data_type == IOMMU_HW_INFO_TYPE_NONE)) {
			rc = -EOPNOTSUPP;
			goto out;
		}
		if (want != IOMMU_HW_INFO_TYPE_DEFAULT &&
		    want != cmd->out_data_type) {
			rc = -EOPNOTSUPP;
			goto out;
		}
	} else {
		cmd->out_data_type = IOMMU_HW_INFO_TYPE_NONE;
	}

	cmd->out_capabilities = 0;
	if (device_iommu_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	iommufd_hw_info_pasid(idev, cmd);
	/*
	 * Done with the device before touching user memory: a copy that
	 * faults on a page userspace never provides (userfaultfd) must not
	 * hold up its unbind.
	 */
	iommufd_put_object(&idev->obj);
	idev = NULL;

	rc = iommufd_hw_info_copy(ubuf, cmd->data_len, data, data_len);
	if (rc)
		goto out;
	/* What the kernel has, whatever userspace's buffer could take. */
	cmd->data_len = data_len;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out:
	kfree(data);
	if (idev)
		iommufd_put_object(&idev->obj);
	return rc;
}
