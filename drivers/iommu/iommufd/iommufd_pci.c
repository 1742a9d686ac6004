// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd_pci: PCI devices handed to userspace through iommufd.
 *
 * The driver has no ID table: an administrator gives it a device with
 * driver_override and drivers_probe.  For every device it creates
 * /dev/iommufd/<BDF> (mode 0600), whose ioctls follow the VFIO device cdev
 * ABI (<uapi/linux/iommufd_pci.h>): bind the device to an iommufd context,
 * then attach, replace and detach HW pagetables on its RID and PASIDs.
 *
 * One file may be open on a node at a time (EBUSY otherwise); it is the
 * device's user.  Closing it unbinds the device, which detaches every
 * PASID and then the RID and hands the DMA ownership back.  Bus mastering
 * is on only while the device is bound, so the device never masters
 * through the kernel's default domain on userspace's behalf, and BAR 0 can
 * be mapped only while bound too.
 *
 * Removal of the device from the driver (unbind through sysfs, hot
 * unplug, rmmod) while the node is open ends the binding at once and
 * revokes the BAR mappings (later accesses get SIGBUS); the open file
 * stays, but every operation on it fails with ENODEV.
 *
 * Locking: @lock of a node serializes its ioctls, open, release and
 * removal.  The mmap and fault handlers run under the mm's mmap_lock,
 * which ioctls may take while holding @lock (to copy from userspace), so
 * they use @map_lock instead, nested inside @lock where both are held.
 */
#define pr_fmt(fmt) "iommufd_pci: " fmt

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/iommufd_pasid.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <uapi/linux/iommufd_pci.h>

#include "iommufd_private.h"

#define IOMMUFD_PCI_NAME	"iommufd_pci"
#define IOMMUFD_PCI_MINORS	256
#define IOMMUFD_PCI_BAR		0

/**
 * struct iommufd_pci_node - a PCI device handed to userspace
 * @dev: the node's device; the last reference frees the node
 * @cdev: the character device, /dev/iommufd/<BDF>; holds @dev while open
 * @pdev: the PCI device (a reference)
 * @lock: serializes ioctls, open, release and removal; protects the fields
 *	  up to @attached
 * @file: the file open on the node, or NULL (one at a time)
 * @removed: the driver has let go of @pdev; the node is dead
 * @idev: the binding, or NULL before IOMMUFD_PCI_BIND
 * @attached: the PASIDs (IOMMU_NO_PASID: the RID) that hold a HWPT,
 *	      which tells an attach from a replace; the value entry says
 *	      whether the attach came with IOMMUFD_PCI_ATTACH_PASID, which
 *	      matters for PASID 0 only (see iommufd_pci_attach_locked())
 * @map_lock: protects @mappable against the mmap and fault handlers
 * @mappable: BAR 0 may be mapped: the device is bound
 */
struct iommufd_pci_node {
	struct device dev;
	struct cdev cdev;
	struct pci_dev *pdev;
	struct mutex lock; /* see above */
	struct file *file;
	bool removed;
	struct iommufd_device *idev;
	struct xarray attached;
	struct mutex map_lock; /* see above */
	bool mappable;
};

static dev_t iommufd_pci_devt;
static DEFINE_IDA(iommufd_pci_minors);

static char *iommufd_pci_devnode(const struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return kasprintf(GFP_KERNEL, "iommufd/%s", dev_name(dev));
}

static const struct class iommufd_pci_class = {
	.name = IOMMUFD_PCI_NAME,
	.devnode = iommufd_pci_devnode,
};

static void iommufd_pci_node_release(struct device *dev)
{
	struct iommufd_pci_node *node =
		container_of(dev, struct iommufd_pci_node, dev);

	ida_free(&iommufd_pci_minors, MINOR(dev->devt));
	pci_dev_put(node->pdev);
	mutex_destroy(&node->map_lock);
	mutex_destroy(&node->lock);
	kfree(node);
}

/* Revoke BAR 0: no mapping is made or faulted in again until set. */
static void iommufd_pci_set_mappable(struct iommufd_pci_node *node,
				     bool mappable)
{
	mutex_lock(&node->map_lock);
	node->mappable = mappable;
	if (!mappable && node->file)
		unmap_mapping_range(node->file->f_mapping, 0, 0, true);
	mutex_unlock(&node->map_lock);
}

static void iommufd_pci_unbind_locked(struct iommufd_pci_node *node)
{
	lockdep_assert_held(&node->lock);
	if (!node->idev)
		return;
	/* No more DMA, then no more register access, then the unbind. */
	pci_clear_master(node->pdev);
	iommufd_pci_set_mappable(node, false);
	iommufd_device_unbind(node->idev);
	node->idev = NULL;
	xa_destroy(&node->attached);
}

static int iommufd_pci_bind_locked(struct iommufd_pci_node *node,
				   struct iommufd_ctx *ictx, u32 *devid)
{
	struct iommufd_device *idev;

	lockdep_assert_held(&node->lock);
	if (node->removed)
		return -ENODEV;
	if (node->idev)
		return -EBUSY;
	idev = iommufd_device_bind(ictx, &node->pdev->dev, devid);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	node->idev = idev;
	/* DMA now goes where the context says: blocked until attached. */
	pci_set_master(node->pdev);
	iommufd_pci_set_mappable(node, true);
	return 0;
}

static int iommufd_pci_ioctl_bind(struct iommufd_pci_node *node,
				  struct iommufd_pci_bind __user *arg)
{
	const size_t minsz = offsetofend(struct iommufd_pci_bind, out_devid);
	struct iommufd_pci_bind bind;
	struct iommufd_ctx *ictx;
	u32 devid;
	int ret;

	if (copy_from_user(&bind, arg, minsz))
		return -EFAULT;
	if (bind.argsz < minsz || bind.flags || bind.iommufd < 0)
		return -EINVAL;

	CLASS(fd, f)(bind.iommufd);
	if (fd_empty(f))
		return -EBADF;
	ictx = iommufd_ctx_from_file(fd_file(f));
	if (IS_ERR(ictx))
		return PTR_ERR(ictx);

	mutex_lock(&node->lock);
	ret = iommufd_pci_bind_locked(node, ictx, &devid);
	if (!ret && put_user(devid, &arg->out_devid)) {
		iommufd_pci_unbind_locked(node);
		ret = -EFAULT;
	}
	mutex_unlock(&node->lock);
	/* The binding holds a reference of its own. */
	iommufd_ctx_put(ictx);
	return ret;
}

/* Every ioctl but BIND needs a live, bound node. */
static int iommufd_pci_check_bound(struct iommufd_pci_node *node)
{
	lockdep_assert_held(&node->lock);
	if (node->removed)
		return -ENODEV;
	if (!node->idev)
		return -EINVAL;
	return 0;
}

/*
 * As VFIO does, the node keeps apart what it attached with and without
 * IOMMUFD_PCI_ATTACH_PASID: an ATTACH is a replace only of what the same
 * kind of ATTACH attached.  So PASID 0 given with the PASID flag on a RID
 * attached without it is an attach on an attached RID: EBUSY, as in
 * mainline, never a replace; and the other way round.
 */
static int iommufd_pci_attach_locked(struct iommufd_pci_node *node,
				     struct iommufd_pci_attach __user *arg,
				     u32 pasid, u32 pt_id, bool by_pasid)
{
	struct iommufd_device *idev = node->idev;
	void *entry = xa_load(&node->attached, pasid);
	int ret;

	if (entry && xa_to_value(entry) != by_pasid)
		return -EBUSY;
	if (entry) {
		/* The HWPT there stays if the replace fails. */
		ret = iommufd_device_pasid_replace(idev, pasid, &pt_id);
		if (ret)
			return ret;
		if (put_user(pt_id, &arg->pt_id)) {
			iommufd_device_pasid_detach(idev, pasid);
			xa_erase(&node->attached, pasid);
			return -EFAULT;
		}
		return 0;
	}

	/* Reserve the slot first, so recording the attach cannot fail. */
	ret = xa_reserve(&node->attached, pasid, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	ret = iommufd_device_pasid_attach(idev, pasid, &pt_id);
	if (ret)
		goto err_release;
	if (put_user(pt_id, &arg->pt_id)) {
		ret = -EFAULT;
		goto err_detach;
	}
	xa_store(&node->attached, pasid, xa_mk_value(by_pasid), GFP_KERNEL);
	return 0;

err_detach:
	iommufd_device_pasid_detach(idev, pasid);
err_release:
	xa_release(&node->attached, pasid);
	return ret;
}

static int iommufd_pci_ioctl_attach(struct iommufd_pci_node *node,
				    struct iommufd_pci_attach __user *arg)
{
	const size_t minsz = offsetofend(struct iommufd_pci_attach, pt_id);
	struct iommufd_pci_attach attach;
	u32 pasid = IOMMU_NO_PASID;
	int ret;

	mutex_lock(&node->lock);
	ret = iommufd_pci_check_bound(node);
	if (ret)
		goto out;
	ret = -EFAULT;
	if (copy_from_user(&attach, arg, minsz))
		goto out;
	ret = -EINVAL;
	if (attach.argsz < minsz || attach.flags & ~IOMMUFD_PCI_ATTACH_PASID)
		goto out;
	if (attach.flags & IOMMUFD_PCI_ATTACH_PASID) {
		if (attach.argsz < offsetofend(struct iommufd_pci_attach, pasid))
			goto out;
		ret = -EFAULT;
		if (get_user(pasid, &arg->pasid))
			goto out;
	}
	ret = iommufd_pci_attach_locked(node, arg, pasid, attach.pt_id,
					attach.flags & IOMMUFD_PCI_ATTACH_PASID);
out:
	mutex_unlock(&node->lock);
	return ret;
}

static int iommufd_pci_ioctl_detach(struct iommufd_pci_node *node,
				    struct iommufd_pci_detach __user *arg)
{
	const size_t minsz = offsetofend(struct iommufd_pci_detach, flags);
	struct iommufd_pci_detach detach;
	u32 pasid = IOMMU_NO_PASID;
	void *entry;
	int ret;

	mutex_lock(&node->lock);
	ret = iommufd_pci_check_bound(node);
	if (ret)
		goto out;
	ret = -EFAULT;
	if (copy_from_user(&detach, arg, minsz))
		goto out;
	ret = -EINVAL;
	if (detach.argsz < minsz || detach.flags & ~IOMMUFD_PCI_DETACH_PASID)
		goto out;
	if (detach.flags & IOMMUFD_PCI_DETACH_PASID) {
		if (detach.argsz < offsetofend(struct iommufd_pci_detach, pasid))
			goto out;
		ret = -EFAULT;
		if (get_user(pasid, &arg->pasid))
			goto out;
	}
	/*
	 * Detaching what holds nothing is not an error; nor is detaching
	 * what the other kind of ATTACH attached, which stays.
	 */
	entry = xa_load(&node->attached, pasid);
	if (entry && xa_to_value(entry) ==
		     !!(detach.flags & IOMMUFD_PCI_DETACH_PASID)) {
		iommufd_device_pasid_detach(node->idev, pasid);
		xa_erase(&node->attached, pasid);
	}
	ret = 0;
out:
	mutex_unlock(&node->lock);
	return ret;
}

static long iommufd_pci_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct iommufd_pci_node *node = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case IOMMUFD_PCI_BIND:
		return iommufd_pci_ioctl_bind(node, uarg);
	case IOMMUFD_PCI_ATTACH:
		return iommufd_pci_ioctl_attach(node, uarg);
	case IOMMUFD_PCI_DETACH:
		return iommufd_pci_ioctl_detach(node, uarg);
	}
	return -ENOTTY;
}

static vm_fault_t iommufd_pci_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct iommufd_pci_node *node = vma->vm_private_data;
	unsigned long pfn;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	pfn = (pci_resource_start(node->pdev, IOMMUFD_PCI_BAR) >> PAGE_SHIFT) +
	      vma->vm_pgoff + ((vmf->address - vma->vm_start) >> PAGE_SHIFT);
	mutex_lock(&node->map_lock);
	if (node->mappable)
		ret = vmf_insert_pfn(vma, vmf->address, pfn);
	mutex_unlock(&node->map_lock);
	return ret;
}

static const struct vm_operations_struct iommufd_pci_vm_ops = {
	.fault = iommufd_pci_fault,
};

/*
 * EXTENSION: offset 0 of the node is BAR 0 (a memory BAR whose start is
 * page aligned); a mapping must lie within its whole pages.  Pages are
 * faulted in on access, so revoking them at unbind or removal is complete.
 */
static int iommufd_pci_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct iommufd_pci_node *node = file->private_data;
	struct pci_dev *pdev = node->pdev;
	resource_size_t start = pci_resource_start(pdev, IOMMUFD_PCI_BAR);
	unsigned long npages;
	int ret = 0;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (!(pci_resource_flags(pdev, IOMMUFD_PCI_BAR) & IORESOURCE_MEM) ||
	    !PAGE_ALIGNED(start))
		return -ENODEV;
	npages = pci_resource_len(pdev, IOMMUFD_PCI_BAR) >> PAGE_SHIFT;
	if (vma->vm_pgoff >= npages || vma_pages(vma) > npages - vma->vm_pgoff)
		return -EINVAL;

	mutex_lock(&node->map_lock);
	if (!node->mappable)
		ret = -EINVAL;
	mutex_unlock(&node->map_lock);
	if (ret)
		return ret;

	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_private_data = node;
	vma->vm_ops = &iommufd_pci_vm_ops;
	return 0;
}

static int iommufd_pci_open(struct inode *inode, struct file *file)
{
	struct iommufd_pci_node *node =
		container_of(inode->i_cdev, struct iommufd_pci_node, cdev);
	int ret = 0;

	mutex_lock(&node->lock);
	if (node->removed)
		ret = -ENODEV;
	else if (node->file)
		ret = -EBUSY;
	else
		node->file = file;
	mutex_unlock(&node->lock);
	if (ret)
		return ret;
	file->private_data = node;
	return stream_open(inode, file);
}

static int iommufd_pci_release(struct inode *inode, struct file *file)
{
	struct iommufd_pci_node *node = file->private_data;

	mutex_lock(&node->lock);
	iommufd_pci_unbind_locked(node);
	node->file = NULL;
	mutex_unlock(&node->lock);
	return 0;
}

static const struct file_operations iommufd_pci_fops = {
	.owner = THIS_MODULE,
	.open = iommufd_pci_open,
	.release = iommufd_pci_release,
	.unlocked_ioctl = iommufd_pci_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = iommufd_pci_mmap,
};

static int iommufd_pci_probe(struct pci_dev *pdev,
			     const struct pci_device_id *id)
{
	struct iommufd_pci_node *node;
	int minor, ret;

	/* Without an IOMMU, userspace would drive DMA to anywhere. */
	if (!device_iommu_mapped(&pdev->dev))
		return -ENODEV;

	minor = ida_alloc_max(&iommufd_pci_minors, IOMMUFD_PCI_MINORS - 1,
			      GFP_KERNEL);
	if (minor < 0)
		return minor;
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node) {
		ida_free(&iommufd_pci_minors, minor);
		return -ENOMEM;
	}
	node->pdev = pci_dev_get(pdev);
	mutex_init(&node->lock);
	mutex_init(&node->map_lock);
	xa_init(&node->attached);
	device_initialize(&node->dev);
	node->dev.class = &iommufd_pci_class;
	node->dev.parent = &pdev->dev;
	node->dev.devt = MKDEV(MAJOR(iommufd_pci_devt), minor);
	node->dev.release = iommufd_pci_node_release;
	/* From here on, put_device() frees the node and the minor. */
	ret = dev_set_name(&node->dev, "%s", pci_name(pdev));
	if (ret)
		goto err_put;

	ret = pci_enable_device(pdev);
	if (ret)
		goto err_put;
	/* Whatever the previous driver left: no DMA until bound. */
	pci_clear_master(pdev);
	if (pci_resource_flags(pdev, IOMMUFD_PCI_BAR) & IORESOURCE_MEM) {
		ret = pci_request_region(pdev, IOMMUFD_PCI_BAR,
					 IOMMUFD_PCI_NAME);
		if (ret)
			goto err_disable;
	}

	cdev_init(&node->cdev, &iommufd_pci_fops);
	node->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&node->cdev, &node->dev);
	if (ret)
		goto err_region;
	pci_set_drvdata(pdev, node);
	return 0;

err_region:
	if (pci_resource_flags(pdev, IOMMUFD_PCI_BAR) & IORESOURCE_MEM)
		pci_release_region(pdev, IOMMUFD_PCI_BAR);
err_disable:
	pci_disable_device(pdev);
err_put:
	put_device(&node->dev);
	return ret;
}

static void iommufd_pci_remove(struct pci_dev *pdev)
{
	struct iommufd_pci_node *node = pci_get_drvdata(pdev);

	/* No new opens; a file already open keeps the node. */
	cdev_device_del(&node->cdev, &node->dev);
	mutex_lock(&node->lock);
	node->removed = true;
	iommufd_pci_unbind_locked(node);
	mutex_unlock(&node->lock);

	if (pci_resource_flags(pdev, IOMMUFD_PCI_BAR) & IORESOURCE_MEM)
		pci_release_region(pdev, IOMMUFD_PCI_BAR);
	pci_disable_device(pdev);
	put_device(&node->dev);
}

static struct pci_driver iommufd_pci_driver = {
	.name = IOMMUFD_PCI_NAME,
	/* No ID table: devices come through driver_override only. */
	.probe = iommufd_pci_probe,
	.remove = iommufd_pci_remove,
	/* DMA is the business of the iommufd context the device is bound to. */
	.driver_managed_dma = true,
};

/**
 * iommufd_pci_init() - register the class, the minors and the PCI driver
 *
 * Return: 0 or a negative errno.
 */
int iommufd_pci_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&iommufd_pci_devt, 0, IOMMUFD_PCI_MINORS,
				  IOMMUFD_PCI_NAME);
	if (ret)
		return ret;
	ret = class_register(&iommufd_pci_class);
	if (ret)
		goto err_chrdev;
	ret = pci_register_driver(&iommufd_pci_driver);
	if (ret)
		goto err_class;
	return 0;

err_class:
	class_unregister(&iommufd_pci_class);
err_chrdev:
	unregister_chrdev_region(iommufd_pci_devt, IOMMUFD_PCI_MINORS);
	return ret;
}

/**
 * iommufd_pci_exit() - undo iommufd_pci_init()
 *
 * Every device leaves the driver, which ends its binding.
 */
void iommufd_pci_exit(void)
{
	pci_unregister_driver(&iommufd_pci_driver);
	class_unregister(&iommufd_pci_class);
	unregister_chrdev_region(iommufd_pci_devt, IOMMUFD_PCI_MINORS);
	ida_destroy(&iommufd_pci_minors);
}
